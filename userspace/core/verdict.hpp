// What the user is told about a process, decided once: whether it is CMD,
// and whether it leaked, became an orphan, stayed a zombie or was killed.
// Every renderer and --fail-on ask here, so they never disagree.
#pragma once

#include <cstdint>
#include <string>

#include "model.hpp"

namespace proclife {

// The `run` root: forked by proclife (the observer). attach has no CMD.
bool is_cmd(const Graph& graph, const Process& process);
// When CMD exited; the trace end when it did not (or there is no CMD).
uint64_t cmd_end_ns(const Graph& graph);

// Not CMD, and still running when CMD exited.
bool leaked(const Graph& graph, const Process& process, uint64_t cmd_end);
// Its parent died before it.
bool orphan(const Process& process);
// Exited and never reaped by its traced parent. An orphan left to init is
// listed as a zombie but not counted: init's reaping is not the tree's doing.
bool unreaped_by_traced_parent(const Process& process);
// Not CMD, and died of a signal proclife did not send (--kill-leaked's are not counted).
bool killed(const Graph& graph, const Process& process);

// The last exec's argv as a shell would read it; cut to `max_width` bytes on
// a UTF-8 boundary, ending in "...", when longer. Empty without an exec.
std::string last_argv(const Process& process, size_t max_width = SIZE_MAX);

}  // namespace proclife
