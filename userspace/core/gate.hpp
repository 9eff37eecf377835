// --fail-on: conditions that make a trace a failure, so proclife can gate CI
// on what a command left behind (`proclife run --fail-on leaked -- make test`).
#pragma once

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "model.hpp"

namespace proclife {

enum class GateCondition { leaked, orphan, zombie, killed, lost };

// "leaked,zombie" -> conditions; nullopt (and `error` set) for an unknown name.
std::optional<std::vector<GateCondition>> parse_gate_conditions(const std::string& list, std::string& error);
const char* gate_condition_name(GateCondition condition);

struct GateFinding {
  GateCondition condition;
  std::vector<size_t> processes;  // indices into graph.processes()
};

// Which of `conditions` hold, with the processes that caused each:
//   leaked: a descendant still running when CMD (the first root) exited
//   orphan: a process whose parent died before it
//   zombie: exited and never reaped by its (traced) parent by the end
//   killed: a process other than CMD died of a signal not sent by proclife
//   lost:   the kernel dropped events, or records could not be decoded
std::vector<GateFinding> evaluate_gate(const Graph& graph, const std::vector<GateCondition>& conditions);

void write_gate_findings(const Graph& graph, const std::vector<GateFinding>& findings, std::ostream& out);

}  // namespace proclife
