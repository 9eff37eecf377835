#include "gate.hpp"

#include <fmt/format.h>

#include <ostream>
#include <sstream>

#include "escape.hpp"
#include "format.hpp"
#include "verdict.hpp"

namespace proclife {
namespace {

constexpr GateCondition kAllConditions[] = {GateCondition::leaked, GateCondition::orphan, GateCondition::zombie,
                                            GateCondition::killed, GateCondition::lost};

bool holds(const Graph& graph, GateCondition condition, const Process& process, uint64_t cmd_end) {
  switch (condition) {
    case GateCondition::leaked: return leaked(graph, process, cmd_end);
    case GateCondition::orphan: return orphan(process);
    case GateCondition::zombie: return unreaped_by_traced_parent(process);
    case GateCondition::killed: return killed(graph, process);
    case GateCondition::lost: return false;
  }
  return false;
}

const char* condition_summary(GateCondition condition) {
  switch (condition) {
    case GateCondition::leaked: return "still running when CMD exited";
    case GateCondition::orphan: return "orphaned (their parent died first)";
    case GateCondition::zombie: return "exited and never reaped";
    case GateCondition::killed: return "killed by a signal";
    case GateCondition::lost: return "events lost";
  }
  return "";
}

}  // namespace

const char* gate_condition_name(GateCondition condition) {
  switch (condition) {
    case GateCondition::leaked: return "leaked";
    case GateCondition::orphan: return "orphan";
    case GateCondition::zombie: return "zombie";
    case GateCondition::killed: return "killed";
    case GateCondition::lost: return "lost";
  }
  return "";
}

std::optional<std::vector<GateCondition>> parse_gate_conditions(const std::string& list, std::string& error) {
  std::vector<GateCondition> conditions;
  std::stringstream items(list);
  std::string item;
  while (std::getline(items, item, ',')) {
    bool known = false;
    for (auto condition : kAllConditions) {
      if (item != gate_condition_name(condition)) continue;
      conditions.push_back(condition);
      known = true;
    }
    if (!known) {
      error = fmt::format("unknown condition '{}' (known: leaked, orphan, zombie, killed, lost)", printable(item));
      return std::nullopt;
    }
  }
  if (conditions.empty()) {
    error = "no condition given (known: leaked, orphan, zombie, killed, lost)";
    return std::nullopt;
  }
  return conditions;
}

std::vector<GateFinding> evaluate_gate(const Graph& graph, const std::vector<GateCondition>& conditions) {
  std::vector<GateFinding> findings;
  uint64_t cmd_end = cmd_end_ns(graph);
  for (auto condition : conditions) {
    GateFinding finding{condition, {}};
    const auto& procs = graph.processes();
    for (size_t i = 0; i < procs.size(); ++i)
      if (holds(graph, condition, procs[i], cmd_end)) finding.processes.push_back(i);
    bool found = condition == GateCondition::lost ? graph.lost_events() + graph.decode_errors() > 0
                                                  : !finding.processes.empty();
    if (found) findings.push_back(std::move(finding));
  }
  return findings;
}

void write_gate_findings(const Graph& graph, const std::vector<GateFinding>& findings, std::ostream& out) {
  for (const auto& finding : findings) {
    if (finding.condition == GateCondition::lost) {
      out << fmt::format("proclife: --fail-on lost: {} events lost, {} records not decoded\n", graph.lost_events(),
                         graph.decode_errors());
      continue;
    }
    out << fmt::format("proclife: --fail-on {}: {} process{} {}:\n", gate_condition_name(finding.condition),
                       finding.processes.size(), finding.processes.size() == 1 ? "" : "es",
                       condition_summary(finding.condition));
    for (size_t index : finding.processes) {
      const Process& process = graph.processes()[index];
      std::string argv = process.execs.empty() ? "" : " `" + last_argv(process) + "`";
      out << "  " << describe_process(process) << argv << '\n';
    }
  }
}

}  // namespace proclife
