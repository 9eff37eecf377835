// The foundation end to end: the real probe under `proclife run`.
#include <catch2/catch.hpp>

#include <sys/utsname.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "harness.hpp"

using namespace proclife::ktest;

TEST_CASE("fork + blocking wait: the child's exit code and its reap by the parent", "[vm]") {
  auto traced = trace({workload("fork_wait"), "7"});
  REQUIRE(traced.status == 0);
  auto procs = traced.all("fork_wait");
  REQUIRE(procs.size() == 2);
  const auto& parent = procs[0];
  const auto& child = procs[1];
  CHECK(child.at("parent_pid") == parent.at("pid"));
  CHECK(child.at("clone").at("kind") == "fork");
  CHECK(child.at("exit").at("code") == 7);
  CHECK(child.at("exit").at("signal").is_null());
  CHECK(child.at("reaper_pid") == parent.at("pid"));
  CHECK(child.at("reaped_via") == "wait4");
  CHECK(child.at("state_at_end") == "reaped");
  CHECK(child.at("zombie_ns").get<int64_t>() >= 0);
  CHECK(child.at("zombie_ns").get<int64_t>() < 1'000'000'000);
  CHECK(parent.at("waits").at("calls") == 1);
  CHECK(parent.at("waits").at("blocked_ns").get<int64_t>() >= 40'000'000);
  CHECK(parent.at("reaper_pid").get<int64_t>() > 0);
  CHECK(traced.report.at("lost_events") == 0);
}

TEST_CASE("the issue's example: sh, its sleep child, exit status 3", "[vm]") {
  auto traced = trace({"sh", "-c", "sleep 0.1 & wait; exit 3"});
  CHECK(traced.status == 3);
  auto sh = traced.one("sh");
  auto sleep = traced.one("sleep");
  CHECK(sh.at("exit").at("code") == 3);
  CHECK(sleep.at("exit").at("code") == 0);
  CHECK(sleep.at("reaper_pid") == sh.at("pid"));
  CHECK(sleep.at("argv") == Json::array({"sleep", "0.1"}));
  CHECK(sleep.at("execs").size() == 1);
  CHECK(sleep.at("state_at_end") == "reaped");
}

// The reap source: scripts/vmtest.sh runs the [vm] tests once per source it
// forces with PROCLIFE_REAP_SOURCE; unforced, auto picks one and says so.
TEST_CASE("the probe says where wait results come from, and honours a forced source", "[vm]") {
  auto traced = trace({"sh", "-c", "sleep 0.05 & wait"}, {"--verbose"});
  REQUIRE(traced.status == 0);
  const char* forced = getenv("PROCLIFE_REAP_SOURCE");
  std::string expected = forced && *forced && std::string(forced) != "auto" ? forced : "";
  INFO(traced.stderr_text);
  if (!expected.empty()) {
    CHECK(traced.stderr_text.find("reap source: " + expected + "\n") != std::string::npos);
  } else {
    CHECK((traced.stderr_text.find("reap source: fexit\n") != std::string::npos ||
           traced.stderr_text.find("reap source: sys_exit\n") != std::string::npos));
  }
  auto sleep = traced.one("sleep");
  CHECK(sleep.at("reaper_pid") == traced.one("sh").at("pid"));
  CHECK(sleep.at("clone").at("kind") == "fork");
}

// How the programs were loaded: scripts/vmtest.sh and ctest force each way
// with PROCLIFE_LOADER; unforced, kernels with CO-RE in the kernel (5.17 on)
// take the light skeleton, older ones libbpf.
TEST_CASE("the probe says how it was loaded, and honours a forced loader", "[vm]") {
  auto traced = trace({"true"}, {"--verbose"});
  REQUIRE(traced.status == 0);
  const char* forced = getenv("PROCLIFE_LOADER");
  std::string loader = forced && *forced ? forced : "auto";
  if (loader == "auto") {
    utsname uts{};
    REQUIRE(uname(&uts) == 0);
    int major = 0, minor = 0;
    REQUIRE(sscanf(uts.release, "%d.%d", &major, &minor) == 2);
    loader = major > 5 || (major == 5 && minor >= 17) ? "light" : "libbpf";
  }
  INFO(traced.stderr_text);
  if (loader == "light") {
    CHECK(traced.stderr_text.find("probe: loaded by the kernel (light skeleton) in ") != std::string::npos);
    CHECK(traced.stderr_text.find("helper's peak RSS") == std::string::npos);
  } else {
    CHECK(traced.stderr_text.find("probe: loaded by libbpf in a helper process in ") != std::string::npos);
  }

  std::string log = temp_path("loader");
  pid_t bad = spawn({PROCLIFE_BIN, "run", "--", "true"}, log, {"PROCLIFE_LOADER=bogus"});
  CHECK(wait_exit(bad) != 0);
  CHECK(slurp(log).find("PROCLIFE_LOADER=bogus: expected auto, light or libbpf") != std::string::npos);
}

// No syscall hook at all (the monitor's --precise-reaping=off): a wait4 reap
// is then known only from sched_process_free, marked approximate.
TEST_CASE("reap source none: reaps come from the release, approximate", "[vm]") {
  const char* outer = getenv("PROCLIFE_REAP_SOURCE");
  std::string saved = outer ? outer : "";
  setenv("PROCLIFE_REAP_SOURCE", "none", 1);
  auto traced = trace({"sh", "-c", "sleep 0.05 & wait; exit 4"});
  if (outer) setenv("PROCLIFE_REAP_SOURCE", saved.c_str(), 1);
  else unsetenv("PROCLIFE_REAP_SOURCE");
  CHECK(traced.status == 4);
  auto sh = traced.one("sh");
  auto sleep = traced.one("sleep");
  CHECK(sleep.at("state_at_end") == "reaped");
  CHECK(sleep.at("reaper_pid") == sh.at("pid"));
  CHECK(sleep.at("reap_time_exact") == false);
  CHECK(sleep.at("reaped_via").is_null());
  CHECK(sleep.at("exit").at("code") == 0);
  CHECK(sh.at("exit").at("code") == 4);
}
