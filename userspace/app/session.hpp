// One tracing session: the probe, the graph it feeds, and the loop that
// waits on the ring buffer, a process's pidfd and the signals proclife
// handles. `run` and `attach` are phases of following on top of it.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

#include "cli.hpp"
#include "model.hpp"
#include "probe.hpp"

namespace proclife {

class Session {
 public:
  // Blocks the signals proclife handles, loads and attaches the probe.
  explicit Session(const TraceOptions& options);
  ~Session();

  // The graph exists once the session knows who it observes (the run root).
  Graph& start_graph(GraphOptions options);
  Graph& graph() { return *graph_; }
  Probe& probe() { return probe_; }
  uint32_t self_pid() const { return self_pid_; }

  enum class Wake { done, watched_fd, deadline, signal };
  struct Woken {
    Wake why;
    int signal = 0;              // for Wake::signal
    bool from_terminal = false;  // the tty sent it to the whole foreground group
  };
  // Follows events until `done()` holds, `watch_fd` is readable, the deadline
  // (CLOCK_MONOTONIC ns) passes, or a handled signal arrives.
  Woken follow(const std::function<bool()>& done, int watch_fd, std::optional<uint64_t> deadline_ns);

  // Drains the ring buffer and closes the graph at the current time.
  void finish();

  // Called with every decoded event, after the graph has it (recording).
  void on_event(std::function<void(const Event&)> listener) { listener_ = std::move(listener); }
  // Called after each batch of events (to flush a recording).
  void on_batch(std::function<void()> listener) { batch_listener_ = std::move(listener); }

 private:
  void consume();

  uint32_t self_pid_;
  int signal_fd_ = -1;
  int epoll_fd_ = -1;
  std::unique_ptr<Graph> graph_;
  std::function<void(const Event&)> listener_;
  std::function<void()> batch_listener_;
  Probe probe_;
};

// ProbeOptions for these trace options.
ProbeOptions probe_options(const TraceOptions& options, uint32_t self_pid);

}  // namespace proclife
