// What the user is told about a process, decided once: whether it is CMD,
// and whether it leaked, became an orphan, stayed a zombie or was killed.
// Every renderer and --fail-on ask here, so they never disagree.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "model.hpp"

namespace proclife {

// The `run` root: forked by proclife (the observer). attach has no CMD.
bool is_cmd(const Graph& graph, const Process& process);
// When CMD exited; the trace end when it did not (or there is no CMD).
uint64_t cmd_end_ns(const Graph& graph);

// Not CMD, and still running when CMD exited (its exit, or its reap when the
// exit was not seen, came later). Without a CMD (attach) nothing leaks.
bool leaked(const Graph& graph, const Process& process, uint64_t cmd_end);
// Its parent died before it.
bool orphan(const Process& process);
// Exited and never reaped by its traced parent. An orphan left to init is
// listed as a zombie but not counted: init's reaping is not the tree's doing.
bool unreaped_by_traced_parent(const Process& process);
// Not CMD, and died of a signal proclife did not send (--kill-leaked's are not counted).
bool killed(const Graph& graph, const Process& process);

// Exited and not reaped at the end (an orphan left to init included).
bool zombie_at_end(const Process& process);

// Every flag the user is shown for a process, in the order they are shown.
struct Verdict {
  bool cmd = false;
  bool orphan = false;
  bool leaked = false;
  bool zombie = false;  // zombie_at_end()
  bool killed = false;
};
Verdict verdict(const Graph& graph, const Process& process, uint64_t cmd_end);
// "CMD", "ORPHAN", "LEAKED", "ZOMBIE", "KILLED": the set ones, in that order.
std::vector<std::string_view> flag_names(const Verdict& verdict);
// The same joined with spaces.
std::string flag_words(const Verdict& verdict);

// How many code points of argv every report shows.
inline constexpr size_t kArgvDisplayChars = 72;
// The last exec's argv as a shell would read it, cut to kArgvDisplayChars
// code points ending in "…" when longer. Empty without an exec.
std::string last_argv(const Process& process);

}  // namespace proclife
