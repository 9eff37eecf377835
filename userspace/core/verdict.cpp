#include "verdict.hpp"

#include "escape.hpp"

namespace proclife {

bool is_cmd(const Graph& graph, const Process& process) {
  return graph.observer_pid() && process.fork_parent_pid == graph.observer_pid() && !process.fork_parent;
}

uint64_t cmd_end_ns(const Graph& graph) {
  for (const auto& process : graph.processes())
    if (is_cmd(graph, process) && process.exit) return process.exit->ns;
  return graph.end_ns();
}

bool leaked(const Graph& graph, const Process& process, uint64_t cmd_end) {
  return !is_cmd(graph, process) && (!process.exit || process.exit->ns > cmd_end);
}

bool orphan(const Process& process) { return process.orphaned.has_value(); }

bool unreaped_by_traced_parent(const Process& process) {
  return process.end_state() == EndState::zombie && process.parent.has_value();
}

bool killed(const Graph& graph, const Process& process) {
  if (is_cmd(graph, process) || !process.exit || !process.exit->status.signal) return false;
  const auto& sender = process.exit->killed_by;
  return !(sender && graph.observer_pid() && sender->pid == graph.observer_pid());
}

std::string last_argv(const Process& process, size_t max_width) {
  if (process.execs.empty()) return {};
  std::string joined = shell_join(process.execs.back().argv);
  if (joined.size() <= max_width) return joined;
  size_t cut = max_width - 3;  // not inside a UTF-8 sequence
  while (cut > 0 && (static_cast<unsigned char>(joined[cut]) & 0xC0) == 0x80) --cut;
  return joined.substr(0, cut) + "...";
}

}  // namespace proclife
