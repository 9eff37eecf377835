// What the graph and timeline renderers (dot, perfetto, svg) share: a process's
// life on the trace's clock, the flags people look for, and label text.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "model.hpp"

namespace proclife {

// A process's phases, clamped to the traced window: it runs from start to
// exit, is a zombie from exit to reap, and is gone after reap. A process
// still running at the end has exit == reap == the trace end.
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

// `text` (already printable) cut to at most `max_chars` code points on a
// UTF-8 boundary, ending in "…" when cut.
std::string clip(std::string_view text, size_t max_chars);
// Number of code points in valid UTF-8.
size_t utf8_length(std::string_view text);

}  // namespace proclife
