// --fail-on: each condition holds exactly when its scenario happened.
#include <catch2/catch.hpp>

#include <sstream>

#include "gate.hpp"
#include "scenario.hpp"

using namespace proclife;
using namespace proclife::test;

namespace {

const std::vector<GateCondition> kAll = {GateCondition::leaked, GateCondition::orphan, GateCondition::zombie,
                                         GateCondition::killed, GateCondition::lost};

std::vector<GateCondition> held(const Graph& graph) {
  std::vector<GateCondition> conditions;
  for (const auto& finding : evaluate_gate(graph, kAll)) conditions.push_back(finding.condition);
  return conditions;
}

}  // namespace

TEST_CASE("a clean run holds no gate condition") {
  Scenario s;
  Proc sh = s.root(10);
  Proc child = s.fork(sh, 11, 1);
  s.exit(child, exited(0), 5, sh);
  s.wait4(sh, -1, 0, 11, exited(0), 2, 6);
  s.exit(sh, exited(0), 7, Proc{kObserver, 0});
  s.observer_reaps(sh, 7, 8);
  CHECK(held(s.graph(10)).empty());
}

TEST_CASE("each gate condition holds for its scenario and names the process") {
  Scenario s;
  Proc sh = s.root(10);
  Proc leaked = s.fork(sh, 11, 1);       // outlives CMD
  Proc zombie = s.fork(sh, 12, 1);       // exits, never reaped by sh
  Proc crashed = s.fork(sh, 13, 1);      // dies of SIGSEGV
  s.exit(zombie, exited(0), 3, sh);
  s.exit(crashed, killed(11), 4, sh);
  s.wait4(sh, 13, 0, 13, killed(11), 4, 5);
  s.exit(sh, exited(0), 7, Proc{kObserver, 0}, 0, 0, Proc{1, 0});
  s.observer_reaps(sh, 7, 8);
  Graph graph = s.graph(10);
  graph.set_lost_events(3);
  auto findings = evaluate_gate(graph, kAll);
  REQUIRE(findings.size() == 4);  // all but zombie
  auto pids_of = [&](GateCondition condition) {
    std::vector<uint32_t> pids;
    for (const auto& finding : findings)
      if (finding.condition == condition)
        for (size_t index : finding.processes) pids.push_back(graph.processes()[index].key.pid);
    return pids;
  };
  CHECK(pids_of(GateCondition::leaked) == std::vector<uint32_t>{11});
  CHECK(pids_of(GateCondition::orphan) == std::vector<uint32_t>{11, 12});  // sh died before them
  CHECK(pids_of(GateCondition::zombie).empty());  // 12 was orphaned to init, not left by a traced parent
  CHECK(pids_of(GateCondition::killed) == std::vector<uint32_t>{13});
  std::ostringstream out;
  write_gate_findings(graph, findings, out);
  CHECK(out.str().find("--fail-on lost: 3 events lost") != std::string::npos);
}

TEST_CASE("a zombie left by a traced parent fails the zombie gate") {
  Scenario s;
  Proc sh = s.root(10);
  Proc child = s.fork(sh, 11, 1);
  s.exit(child, exited(0), 3, sh);
  Graph graph = s.graph(10);  // sh still running, never waited
  auto findings = evaluate_gate(graph, {GateCondition::zombie});
  REQUIRE(findings.size() == 1);
  CHECK(graph.processes()[findings[0].processes.at(0)].key.pid == 11);
}

TEST_CASE("gate conditions parse from a list, an unknown one is an error naming it") {
  std::string error;
  auto conditions = parse_gate_conditions("leaked,zombie", error);
  REQUIRE(conditions);
  CHECK(*conditions == std::vector<GateCondition>{GateCondition::leaked, GateCondition::zombie});
  CHECK_FALSE(parse_gate_conditions("leaked,bogus", error));
  CHECK(error.find("bogus") != std::string::npos);
  CHECK_FALSE(parse_gate_conditions("", error));
}
