// The findings rules, each on its own and each reported exactly once.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "findings.hpp"

using namespace proclife::monitor;

namespace {

constexpr uint64_t kSecond = 1'000'000'000;

FindingsConfig config() {
  FindingsConfig config;
  config.zombie_threshold_ns = 60 * kSecond;
  config.slow_reap_threshold_ns = 5 * kSecond;
  config.unreaped_children_limit = 2;
  config.max_zombies = 100;
  return config;
}

const ProcessKey kShell{100, 1};
const ProcessKey kInit{1, 0};

ParentRef shell(bool waiting = false, SigchldDisposition sigchld = SigchldDisposition::handler) {
  return {kShell, "bash", {waiting, sigchld}};
}

ExitFact exit_of(int32_t pid, uint64_t exit_ns, ParentRef parent = shell()) {
  return {{pid, 5}, "worker", exit_ns, parent};
}

ReapFact reap_of(int32_t pid, uint64_t reap_ns, ParentRef reaper = shell()) { return {{pid, 5}, reap_ns, reaper}; }

}  // namespace

TEST_CASE("A zombie is reported once when it reaches the threshold, with its parent", "[monitor][findings]") {
  FindingsEngine engine(config());
  CHECK(engine.on_exit(exit_of(200, 10 * kSecond, shell(true, SigchldDisposition::default_action))).empty());
  CHECK(engine.tick(69 * kSecond).empty());
  auto findings = engine.tick(70 * kSecond);
  REQUIRE(findings.size() == 1);
  const Finding& zombie = findings[0];
  CHECK(zombie.kind == FindingKind::zombie);
  CHECK(zombie.ts_ns == 70 * kSecond);
  CHECK(zombie.process == ProcessKey{200, 5});
  CHECK(zombie.comm == "worker");
  CHECK(zombie.zombie_ns == 60 * kSecond);
  CHECK_FALSE(zombie.reaped);
  CHECK(zombie.parent.key == kShell);
  CHECK(zombie.parent.comm == "bash");
  CHECK(zombie.parent.state.waiting_for_other_child);
  CHECK(zombie.parent.state.sigchld == SigchldDisposition::default_action);
  CHECK(engine.tick(500 * kSecond).empty());
}

TEST_CASE("A reported zombie is reported again when reaped, with its total time", "[monitor][findings]") {
  FindingsEngine engine(config());
  engine.on_exit(exit_of(200, 10 * kSecond));
  REQUIRE(engine.tick(80 * kSecond).size() == 1);
  auto findings = engine.on_reap(reap_of(200, 110 * kSecond));
  REQUIRE(findings.size() == 2);
  CHECK(findings[0].kind == FindingKind::zombie);
  CHECK(findings[0].reaped);
  CHECK(findings[0].zombie_ns == 100 * kSecond);
  CHECK(findings[0].ts_ns == 110 * kSecond);
  // Reaping a long zombie is also a slow reap: the rules are independent.
  CHECK(findings[1].kind == FindingKind::slow_reap);
  CHECK(engine.zombies() == 0);
  CHECK(engine.on_reap(reap_of(200, 120 * kSecond)).empty());
}

TEST_CASE("A zombie reaped before the threshold makes no zombie finding", "[monitor][findings]") {
  FindingsEngine engine(config());
  engine.on_exit(exit_of(200, 10 * kSecond));
  CHECK(engine.on_reap(reap_of(200, 10 * kSecond + 1000)).empty());
  CHECK(engine.tick(1000 * kSecond).empty());
}

TEST_CASE("slow_reap fires when exit to reap exceeds its threshold, naming the reaper", "[monitor][findings]") {
  FindingsEngine engine(config());
  engine.on_exit(exit_of(200, 10 * kSecond));
  engine.on_exit(exit_of(201, 10 * kSecond));
  CHECK(engine.on_reap(reap_of(200, 15 * kSecond)).empty());  // exactly the threshold: not slow
  auto findings = engine.on_reap(reap_of(201, 15 * kSecond + 1, {kInit, "systemd", {}}));
  REQUIRE(findings.size() == 1);
  CHECK(findings[0].kind == FindingKind::slow_reap);
  CHECK(findings[0].process == ProcessKey{201, 5});
  CHECK(findings[0].zombie_ns == 5 * kSecond + 1);
  CHECK(findings[0].parent.comm == "systemd");
}

TEST_CASE("An adoption is an orphan finding and moves a zombie to its new parent", "[monitor][findings]") {
  FindingsEngine engine(config());
  engine.on_exit(exit_of(200, 10 * kSecond));
  AdoptFact adopt{{200, 5}, "worker", 11 * kSecond, kShell, "bash", {{50, 2}, "tini", {}}, true};
  auto findings = engine.on_adopt(adopt);
  REQUIRE(findings.size() == 1);
  CHECK(findings[0].kind == FindingKind::orphan);
  CHECK(findings[0].previous_parent == kShell);
  CHECK(findings[0].previous_parent_comm == "bash");
  CHECK(findings[0].parent.comm == "tini");
  CHECK(findings[0].by_subreaper);

  auto zombie = engine.tick(70 * kSecond);
  REQUIRE(zombie.size() == 1);
  CHECK(zombie[0].parent.key == ProcessKey{50, 2});
  CHECK(zombie[0].parent.comm == "tini");
}

TEST_CASE("An adopted process that is alive is an orphan finding and nothing more", "[monitor][findings]") {
  FindingsEngine engine(config());
  auto findings = engine.on_adopt({{300, 7}, "daemon", kSecond, kShell, "bash", {kInit, "systemd", {}}, false});
  REQUIRE(findings.size() == 1);
  CHECK_FALSE(findings[0].by_subreaper);
  CHECK(engine.zombies() == 0);
}

TEST_CASE("unreaped_children fires once per crossing of the limit", "[monitor][findings]") {
  FindingsEngine engine(config());  // limit 2
  CHECK(engine.on_exit(exit_of(201, kSecond)).empty());
  CHECK(engine.on_exit(exit_of(202, kSecond)).empty());
  auto crossing = engine.on_exit(exit_of(203, 2 * kSecond, shell(false, SigchldDisposition::ignored)));
  REQUIRE(crossing.size() == 1);
  CHECK(crossing[0].kind == FindingKind::unreaped_children);
  CHECK(crossing[0].process == kShell);
  CHECK(crossing[0].comm == "bash");
  CHECK(crossing[0].unreaped_children == 3);
  CHECK(crossing[0].parent.state.sigchld == SigchldDisposition::ignored);
  CHECK(engine.on_exit(exit_of(204, 3 * kSecond)).empty());  // still over: no repeat

  engine.on_reap(reap_of(204, 3 * kSecond));
  CHECK(engine.on_exit(exit_of(205, 3 * kSecond)).empty());  // 3 again, never fell to the limit
  engine.on_reap(reap_of(205, 3 * kSecond));
  engine.on_reap(reap_of(203, 3 * kSecond));  // 2: at the limit, re-armed
  auto again = engine.on_exit(exit_of(206, 4 * kSecond));
  REQUIRE(again.size() == 1);
  CHECK(again[0].unreaped_children == 3);
}

TEST_CASE("Adopted zombies count against the adopter's limit", "[monitor][findings]") {
  FindingsEngine engine(config());  // limit 2
  for (int32_t pid : {201, 202, 203}) engine.on_exit(exit_of(pid, kSecond, {{pid, 1}, "p", {}}));
  std::vector<Finding> last;
  for (int32_t pid : {201, 202, 203})
    last = engine.on_adopt({{pid, 5}, "worker", 2 * kSecond, {pid, 1}, "p", {kInit, "systemd", {}}, false});
  REQUIRE(last.size() == 2);
  CHECK(last[1].kind == FindingKind::unreaped_children);
  CHECK(last[1].process == kInit);
}

TEST_CASE("A parent's later state is what its zombie's finding reports", "[monitor][findings]") {
  FindingsEngine engine(config());
  engine.on_exit(exit_of(200, 0 + kSecond));
  engine.on_parent_state(kShell, {true, SigchldDisposition::ignored});
  auto findings = engine.tick(61 * kSecond);
  REQUIRE(findings.size() == 1);
  CHECK(findings[0].parent.state.waiting_for_other_child);
  CHECK(findings[0].parent.state.sigchld == SigchldDisposition::ignored);
}

TEST_CASE("Zombies are identified by pid and start time, not pid alone", "[monitor][findings]") {
  FindingsEngine engine(config());
  engine.on_exit({{200, 5}, "old", kSecond, shell()});
  CHECK(engine.on_reap({{200, 6}, 100 * kSecond, shell()}).empty());
  CHECK(engine.zombies() == 1);
}

TEST_CASE("The engine tracks at most max_zombies and counts the rest", "[monitor][findings]") {
  FindingsConfig small = config();
  small.max_zombies = 2;
  small.unreaped_children_limit = 100;
  FindingsEngine engine(small);
  engine.on_exit(exit_of(201, 3 * kSecond));
  engine.on_exit(exit_of(202, 2 * kSecond));
  engine.on_exit(exit_of(203, 1 * kSecond));
  CHECK(engine.zombies() == 2);
  CHECK(engine.untracked_zombies() == 1);
  CHECK(engine.oldest_zombie_exit_ns() == 2 * kSecond);
  engine.on_reap(reap_of(202, 4 * kSecond));
  CHECK(engine.oldest_zombie_exit_ns() == 3 * kSecond);
  engine.on_reap(reap_of(201, 4 * kSecond));
  CHECK(engine.oldest_zombie_exit_ns() == 0);
}

TEST_CASE("Finding and disposition names are the documented strings", "[monitor][findings]") {
  CHECK(finding_kind_name(FindingKind::zombie) == "zombie");
  CHECK(finding_kind_name(FindingKind::orphan) == "orphan");
  CHECK(finding_kind_name(FindingKind::slow_reap) == "slow_reap");
  CHECK(finding_kind_name(FindingKind::unreaped_children) == "unreaped_children");
  CHECK(sigchld_disposition_name(SigchldDisposition::default_action) == "default");
  CHECK(sigchld_disposition_name(SigchldDisposition::ignored) == "ignored");
  CHECK(sigchld_disposition_name(SigchldDisposition::handler) == "handler");
  CHECK(sigchld_disposition_name(SigchldDisposition::unknown) == "unknown");
}
