#include "verdict.hpp"

#include "escape.hpp"
#include "format.hpp"

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
  if (!graph.observer_pid() || is_cmd(graph, process)) return false;
  if (process.exit) return process.exit->ns > cmd_end;
  return !process.reap || process.reap->ns > cmd_end;
}

bool orphan(const Process& process) { return process.rare().orphaned.has_value(); }

bool unreaped_by_traced_parent(const Process& process) {
  return process.end_state() == EndState::zombie && process.parent.has_value();
}

bool killed(const Graph& graph, const Process& process) {
  if (is_cmd(graph, process) || !process.exit || !process.exit->status().signal) return false;
  const auto& sender = process.rare().killed_by;
  return !(sender && graph.observer_pid() && sender->pid == graph.observer_pid());
}

bool zombie_at_end(const Process& process) { return process.end_state() == EndState::zombie; }

Verdict verdict(const Graph& graph, const Process& process, uint64_t cmd_end) {
  return {is_cmd(graph, process), orphan(process), leaked(graph, process, cmd_end), zombie_at_end(process),
          killed(graph, process)};
}

std::vector<std::string_view> flag_names(const Verdict& verdict) {
  std::vector<std::string_view> names;
  if (verdict.cmd) names.push_back("CMD");
  if (verdict.orphan) names.push_back("ORPHAN");
  if (verdict.leaked) names.push_back("LEAKED");
  if (verdict.zombie) names.push_back("ZOMBIE");
  if (verdict.killed) names.push_back("KILLED");
  return names;
}

std::string flag_words(const Verdict& verdict) {
  std::string out;
  for (auto name : flag_names(verdict)) {
    if (!out.empty()) out += ' ';
    out += name;
  }
  return out;
}

std::string last_argv(const Process& process) {
  if (process.execs.empty()) return {};
  return clip(shell_join(process.execs.back().argv), kArgvDisplayChars);
}

}  // namespace proclife
