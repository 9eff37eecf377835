// The thin RAII layer over libbpf: open, configure, load and attach the
// skeleton; hand raw ring-buffer records to a callback; detach on destruction.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>

struct proclife_bpf;
struct ring_buffer;

namespace proclife {

struct ProbeOptions {
  bool trace_all = false;           // the whole host, not one tree
  uint32_t self_pid = 0;            // proclife: its waits for CMD are recorded
  uint32_t ring_buffer_bytes = 2u << 20;  // power of two, at least a page
  bool verbose = false;             // libbpf's own log on stderr
  // false: attach no syscall tracepoint (no exact reaps or clone flags;
  // reaps then come from sched_process_free, approximate).
  bool syscall_hook = true;
};

class Probe {
 public:
  using RecordHandler = std::function<void(const void* data, size_t size)>;

  // Throws std::runtime_error with a one-line, actionable message.
  Probe(const ProbeOptions& options, RecordHandler handler);
  ~Probe();
  Probe(const Probe&) = delete;
  Probe& operator=(const Probe&) = delete;

  // Follow this process and every process it creates from now on.
  void track(pid_t pid);
  // The fd to wait on for new records (epoll); then call consume().
  int ready_fd() const;
  // Hands every record waiting in the ring buffer to the handler.
  void consume();
  // Records lost in the kernel: ring buffer full, or `traced` map full.
  uint64_t lost_events() const;
  // The same, by cause: each has its own remedy.
  struct Lost {
    uint64_t ring_buffer_full = 0;  // records the ring buffer had no room for
    uint64_t traced_table_full = 0;  // new processes the `traced` map had no room for
  };
  Lost lost_by_cause() const;

 private:
  static int on_record(void* self, void* data, size_t size);

  std::unique_ptr<proclife_bpf, void (*)(proclife_bpf*)> skel_;
  std::unique_ptr<ring_buffer, void (*)(ring_buffer*)> ring_;
  RecordHandler handler_;
  std::exception_ptr parked_;
};

// CLOCK_MONOTONIC now, the clock bpf_ktime_get_ns() reads.
uint64_t monotonic_ns();

}  // namespace proclife
