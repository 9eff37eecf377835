// One tracing session: the probe, the graph it feeds, and the loop that
// waits on the ring buffer, a process's pidfd and the signals proclife
// handles. `run` and `attach` are phases of following on top of it.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <ostream>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "cli.hpp"
#include "model.hpp"
#include "probe.hpp"
#include "record.hpp"
#include "stack_stage.hpp"

namespace proclife {

class Session {
 public:
  // Blocks the signals proclife handles, loads and attaches the probe.
  explicit Session(const TraceOptions& options);
  ~Session();

  // The graph exists from construction, so no event can arrive before it;
  // this says who it observes (the run root is known only once forked), and
  // must come before the first follow(): events are consumed only there.
  Graph& configure_graph(GraphOptions options);
  Graph& graph() { return graph_; }
  Probe& probe() { return probe_; }
  // With --stacks: the resolver between the probe and the graph (attach
  // seeds it with the processes it found running); null otherwise.
  StackStage* stacks() { return stacks_.get(); }
  uint32_t self_pid() const { return self_pid_; }

  // Called from follow() whenever SIGCHLD arrives (possibly for several
  // children at once): run reaps the children the kernel gave proclife.
  void on_child_signal(std::function<void()> handler) { on_child_ = std::move(handler); }

  enum class Wake { done, watched_fd, deadline, signal };
  struct Woken {
    Wake why;
    int signal = 0;              // for Wake::signal
    bool from_terminal = false;  // the tty sent it to the whole foreground group
  };
  // Follows events until `done()` holds, `watch_fd` is readable, the deadline
  // (CLOCK_MONOTONIC ns) passes, or a handled signal arrives.
  Woken follow(const std::function<bool()>& done, int watch_fd, std::optional<uint64_t> deadline_ns);

  // Waits briefly for the release of zombies whose reaper proclife does not
  // trace (init adopting orphans): sched_process_free comes an RCU grace
  // period after the reap, and init may take its time.
  void settle_reaps();

  // Drains the ring buffer, closes the graph at the current time and ends
  // the recording.
  void finish();

  // Records every event from now on to `file` (NDJSON, see record.hpp),
  // opened by the caller before set-up began; the header's version, kernel
  // and boot id are filled in here.
  void record_to(std::unique_ptr<std::ostream> file, RecordHeader header);

  // A handled signal (Ctrl-C...) that arrived since the last follow(), if
  // any: set-up checks it before letting CMD run.
  std::optional<int> pending_signal();

 private:
  void consume();

  uint32_t self_pid_;
  int signal_fd_ = -1;
  int epoll_fd_ = -1;
  std::function<void()> on_child_;
  Graph graph_;
  std::unique_ptr<std::ostream> record_file_;
  std::optional<RecordWriter> recorder_;
  Probe probe_;
  std::unique_ptr<StackStage> stacks_;  // made after probe_, used only from follow()
  std::function<void(Event&)> prepare_;  // stacks_->prepare, or empty
};

}  // namespace proclife
