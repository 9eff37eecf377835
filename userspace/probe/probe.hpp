// The thin RAII layer over the kernel: load proclife's eBPF programs (see
// loader.hpp), attach them, hand raw ring-buffer records to a callback;
// detach on destruction.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "fd.hpp"

struct ring_buffer;

namespace proclife {

// Where wait4/waitid results (the precise reaps) come from.
enum class ReapSource {
  automatic,           // fexit where the kernel allows it, else the sys_exit tracepoint
  fexit,               // fexit on kernel_wait4/kernel_waitid: no per-syscall cost
  syscall_tracepoint,  // tp_btf/sys_exit: every syscall on the host pays for it
  none,                // no wait results: reaps only from sched_process_free, approximate
};

// "fexit", "sys_exit", "none" (as --verbose, reports and recordings name it),
// or "auto" for ReapSource::automatic.
const char* reap_source_name(ReapSource source);
// Reads those names back; nullopt for anything else.
std::optional<ReapSource> parse_reap_source(std::string_view name);

// --stacks' exit_group() hook follows the reap source's verdict: fentry where
// fexit loads, tp_btf/sys_enter otherwise.
inline bool exit_group_by_fentry(ReapSource source) { return source == ReapSource::fexit; }

struct ProbeOptions {
  bool trace_all = false;           // the whole host, not one tree
  uint32_t self_pid = 0;            // proclife: its waits for CMD are recorded
  uint32_t ring_buffer_bytes = 2u << 20;  // power of two, at least a page
  bool verbose = false;             // how it loaded, and libbpf's own log, on stderr
  // automatic may be overridden by the PROCLIFE_REAP_SOURCE environment
  // variable (fexit, sys_exit, none): a test and diagnostic knob, as
  // PROCLIFE_LOADER (auto, light, libbpf) is for how it loads (loader.hpp).
  ReapSource reap_source = ReapSource::automatic;
  // --stacks: a stack record (PL_EV_STACK) after each wait_enter and fork of
  // the traced tree, and at every exit_group() call.
  bool stacks = false;
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
  // --stacks: stack records the kernel did not send because the ring buffer
  // was busy (not lost events: the lifetime events behind them were kept).
  uint64_t stacks_not_taken() const;
  // The source of wait results in use: never automatic.
  ReapSource reap_source() const { return reap_source_; }
  // The program that catches exit_group() for stacks ("fentry/__x64_sys_exit_group"
  // or "tp_btf/sys_enter"); nullptr without ProbeOptions::stacks.
  const char* exit_group_hook() const { return exit_group_hook_; }

  // Where process `tgid` keeps its CPython 3.11 _PyRuntime: its stack records
  // then carry its Python frames. The kernel forgets it when the process
  // execs or is freed; forget_python_runtime() is for anything earlier.
  void set_python_runtime(uint32_t tgid, uint64_t runtime_address);
  void forget_python_runtime(uint32_t tgid);

 private:
  static int on_record(void* self, void* data, size_t size);

  Fd traced_, python_runtimes_;
  std::vector<Fd> links_;  // closing a link detaches its program
  struct Unmap {
    size_t bytes;
    void operator()(const void* mapping) const;
  };
  std::unique_ptr<const void, Unmap> counters_;  // the programs' .bss, mapped read-only
  std::unique_ptr<ring_buffer, void (*)(ring_buffer*)> ring_;
  RecordHandler handler_;
  std::exception_ptr parked_;
  ReapSource reap_source_ = ReapSource::none;
  const char* exit_group_hook_ = nullptr;
};

// CLOCK_MONOTONIC now, the clock bpf_ktime_get_ns() reads.
uint64_t monotonic_ns();

}  // namespace proclife
