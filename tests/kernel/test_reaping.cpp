// The reaping story on the real kernel: each way of waiting, as proclife saw it.
#include <catch2/catch.hpp>

#include "harness.hpp"

using namespace proclife::ktest;

namespace {

struct Family {
  Traced traced;
  Json parent;
  std::vector<Json> children;
};

Family run_mode(const std::string& mode) {
  Family family{trace({workload("reaping"), mode}), {}, {}};
  INFO("reaping " << mode << ": " << family.traced.stderr_text);
  REQUIRE(family.traced.status == 0);
  auto all = family.traced.all("reaping");
  family.parent = all.front();
  family.children.assign(all.begin() + 1, all.end());
  REQUIRE(family.traced.report.at("lost_events") == 0);
  return family;
}

}  // namespace

TEST_CASE("a WNOHANG polling loop: polls counted, the reap is a WNOHANG wait4", "[vm]") {
  auto family = run_mode("wnohang");
  REQUIRE(family.children.size() == 1);
  const auto& child = family.children[0];
  CHECK(child.at("exit").at("code") == 4);
  CHECK(child.at("reaped_via") == "wait4");
  CHECK(child.at("reaper_pid") == family.parent.at("pid"));
  CHECK(child.at("sigchld").at("result") == "ignored");
  CHECK(family.parent.at("waits").at("wnohang_polls").get<int>() >= 3);
  CHECK(family.parent.at("waits").at("blocked_ns") == 0);
}

TEST_CASE("a SIGCHLD handler reaping with waitpid(-1, WNOHANG)", "[vm]") {
  auto family = run_mode("handler");
  REQUIRE(family.children.size() == 3);
  for (const auto& child : family.children) {
    CHECK(child.at("state_at_end") == "reaped");
    CHECK(child.at("reaper_pid") == family.parent.at("pid"));
    const auto& sigchld = child.at("sigchld");
    CHECK(sigchld.at("result") == "delivered");
    CHECK(sigchld.at("handler") == "handler");
    CHECK(sigchld.at("delivered_ns").get<int64_t>() >= sigchld.at("generated_ns").get<int64_t>());
    CHECK(child.at("reap_ns").get<int64_t>() >= sigchld.at("delivered_ns").get<int64_t>());
  }
}

TEST_CASE("SIGCHLD set to SIG_IGN: autoreaped at exit, no signal, never a zombie", "[vm]") {
  auto family = run_mode("sig_ign");
  REQUIRE(family.children.size() == 1);
  const auto& child = family.children[0];
  CHECK(child.at("reaped_via") == "autoreap");
  CHECK(child.at("zombie_ns") == 0);
  CHECK(child.at("sigchld").is_null());
  CHECK(child.at("state_at_end") == "reaped");
}

TEST_CASE("SA_NOCLDWAIT with a handler: autoreaped, SIGCHLD still delivered", "[vm]") {
  auto family = run_mode("nocldwait");
  REQUIRE(family.children.size() == 1);
  const auto& child = family.children[0];
  CHECK(child.at("reaped_via") == "autoreap");
  CHECK(child.at("sigchld").at("result") == "delivered");
  CHECK(child.at("sigchld").at("handler") == "handler");
  CHECK((child.at("sigchld").at("sa_flags").get<uint64_t>() & 2) == 2);
}

TEST_CASE("waitid(P_PIDFD) on a pidfd reaps", "[vm]") {
  auto family = run_mode("pidfd");
  REQUIRE(family.children.size() == 1);
  const auto& child = family.children[0];
  CHECK(child.at("reaped_via") == "waitid");
  CHECK(child.at("exit").at("code") == 5);
  CHECK(child.at("reaper_pid") == family.parent.at("pid"));
}

TEST_CASE("a parent that reaps late: a zombie for a measurable time") {
  auto family = run_mode("late");
  REQUIRE(family.children.size() == 1);
  const auto& child = family.children[0];
  CHECK(child.at("reaped_via") == "wait4");
  CHECK(child.at("zombie_ns").get<int64_t>() >= 150'000'000);
  CHECK(child.at("zombie_ns").get<int64_t>() < 2'000'000'000);
}

TEST_CASE("a stopped and continued child: CLD_STOPPED/CLD_CONTINUED reports do not reap") {
  auto family = run_mode("stop_continue");
  REQUIRE(family.children.size() == 1);
  const auto& child = family.children[0];
  CHECK(child.at("exit").at("code") == 3);
  CHECK(child.at("reaped_via") == "wait4");
  CHECK(family.parent.at("waits").at("calls") == 3);
  CHECK(child.at("state_at_end") == "reaped");
}

TEST_CASE("several children exit while SIGCHLD is pending: one signal, several reaps") {
  auto family = run_mode("pending");
  REQUIRE(family.children.size() == 3);
  int pending = 0;
  int64_t delivered = -1;
  for (const auto& child : family.children) {
    const auto& sigchld = child.at("sigchld");
    pending += sigchld.at("result") == "pending";
    REQUIRE_FALSE(sigchld.at("delivered_ns").is_null());
    if (delivered < 0) delivered = sigchld.at("delivered_ns").get<int64_t>();
    CHECK(sigchld.at("delivered_ns") == delivered);  // one delivery for all three
    CHECK(child.at("reaper_pid") == family.parent.at("pid"));
  }
  CHECK(pending == 2);
}

TEST_CASE("the Python example: the interpreter reaps its worker before it exits", "[vm]") {
  auto traced = trace({"/usr/bin/python3", std::string(PROCLIFE_SOURCE_DIR) + "/examples/multiprocessing_lifetime.py"});
  REQUIRE(traced.status == 0);
  CHECK(traced.stderr_text.find("All done") != std::string::npos);
  auto pythons = traced.all("python3");
  REQUIRE(pythons.size() == 2);
  const auto& interpreter = pythons[0];
  const auto& worker = pythons[1];
  CHECK(worker.at("exit").at("code") == 0);
  CHECK(worker.at("reaper_pid") == interpreter.at("pid"));
  CHECK(worker.at("reaped_via") == "wait4");
  CHECK(worker.at("sigchld").at("result") == "ignored");
  // The interpreter ran past its last line, then waited for the worker.
  CHECK(interpreter.at("exit").at("ns").get<int64_t>() > worker.at("reap_ns").get<int64_t>());
  CHECK(interpreter.at("waits").at("blocked_ns").get<int64_t>() > 300'000'000);
}
