// What the graph and timeline renderers (dot, perfetto, svg) share: a process's
// life on the trace's clock, the flags people look for, and label text.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "format.hpp"
#include "model.hpp"

namespace proclife {

// A process's phases, clamped to the traced window: it runs from start to
// exit, is a zombie from exit to reap, and is gone after reap. A process
// still running at the end has exit == reap == the trace end; one reaped
// whose exit was not seen runs until its reap (exited stays false).
struct Lifetime {
  uint64_t start_ns = 0;  // its fork, or the trace start when it predates it
  uint64_t exit_ns = 0;
  uint64_t reap_ns = 0;
  bool exited = false;
  bool reaped = false;
};

// The trace end: when tracing stopped, or the last time the graph saw.
uint64_t trace_end_ns(const Graph& graph);
Lifetime lifetime(const Graph& graph, const Process& process, uint64_t end_ns);

// The traced window, [origin, trace_end_ns()]: every duration a report
// prints lies inside it.
struct TraceWindow {
  uint64_t begin = 0;
  uint64_t end = 0;
  uint64_t length() const { return end - begin; }
  // From `from` to `to`, both inside the window; else absent.
  std::optional<uint64_t> span(uint64_t from, uint64_t to) const;
};
TraceWindow trace_window(const Graph& graph);

// How long it ran: from its fork (the trace start when it predates the
// trace) to its exit, or to the end when still running. Absent when the
// events disagree (an exit stamped before the fork) or its exit was not seen
// though it was reaped.
std::optional<uint64_t> ran_ns(const Process& process, const TraceWindow& window);
// How long it was a zombie: until its reap, or until the end when never reaped.
std::optional<uint64_t> zombie_for_ns(const Process& process, const TraceWindow& window);

// The one sentence every report tells about how a process ended up:
// "reaped by sh (4242) via wait4 after 51.7 µs", "released by ... within",
// "auto-reaped at exit (parent ... ignores SIGCHLD)", "exit not seen; reaped
// by ... at +1.204s", "never reaped: a zombie for 2.0 ms at the end",
// "still running at the end[, blocked in wait for any child since +0.1s]".
std::string reap_sentence(const Graph& graph, const Process& process, const TraceWindow& window);
// Who reaped it, by its last known name: it may have exec'd since the reap.
std::string describe_reaper(const Graph& graph, const ReapRecord& reap);

// Kept for perfetto.cpp (json worktree) until it moves to verdict(): the
// other formats take every flag from core/verdict.hpp.
struct ProcessFlags {
  bool orphan = false;  // its parent died first
  bool leaked = false;  // still running when the trace ended
  bool zombie = false;  // exited, never reaped
  bool killed = false;  // ended by a signal
};

ProcessFlags process_flags(const Process& process);
// "ORPHAN LEAKED ZOMBIE KILLED", the set ones only.
std::string flag_words(const ProcessFlags& flags);
// "exited 3", "killed by SIGKILL", or "running" at the end.
std::string exit_text(const Process& process);

// Who was sent its exit SIGCHLD: the parent at the time it exited.
std::optional<ProcKey> sigchld_receiver(const Process& process);
// The wait call, in its reaper's recorded calls, that reaped `process`.
const WaitCall* reaping_call(const Graph& graph, const Process& process);
// True when the process was reaped by someone other than its fork parent.
bool reaped_by_stranger(const Process& process);


}  // namespace proclife
