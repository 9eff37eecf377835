// Orphans, leaks, threads, spawn and pid reuse on the real kernel.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <regex>
#include <set>

#include "harness.hpp"

using namespace proclife::ktest;

namespace {

// "key 123" printed by the workload on its stdout.
int64_t fact(const Traced& traced, const std::string& key) {
  std::smatch match;
  INFO("workload output:\n" << traced.stderr_text);
  REQUIRE(std::regex_search(traced.stderr_text, match, std::regex(key + " (\\d+)")));
  return std::stoll(match[1]);
}

std::vector<Json> lifecycle(const Traced& traced) { return traced.all("lifecycle"); }

// The one child of CMD, whatever it is called: a background job may not have
// exec'd yet when CMD exits and the trace ends.
Json only_child_of_cmd(const Traced& traced) {
  const auto& procs = traced.report.at("processes");
  REQUIRE(procs.size() == 2);
  CHECK(procs[1].at("parent_pid") == procs[0].at("pid"));
  return procs[1];
}

}  // namespace

TEST_CASE("double-fork daemon: orphaned to its real adopter, leaked at CMD's exit", "[vm]") {
  auto traced = trace({workload("lifecycle"), "double_fork"});
  REQUIRE(traced.status == 0);
  auto procs = lifecycle(traced);
  REQUIRE(procs.size() == 3);
  const auto& middle = procs[1];
  const auto& daemon = procs[2];
  const auto& orphaned = daemon.at("orphaned");
  REQUIRE_FALSE(orphaned.is_null());
  CHECK(orphaned.at("old_parent_pid") == middle.at("pid"));
  CHECK(orphaned.at("new_parent_pid") == fact(traced, "adopted_by"));
  CHECK(daemon.at("state_at_end") == "running");
  CHECK(middle.at("orphaned").is_null());
}

// The leader that forked the orphan is not the last thread of its process to
// die, and the last one does not hold the orphan when it dies.
TEST_CASE("a child is orphaned when its parent's exit_group ends a second thread too", "[vm]") {
  auto traced = trace({workload("lifecycle"), "thread_orphan"});
  REQUIRE(traced.status == 0);
  auto procs = lifecycle(traced);
  REQUIRE(procs.size() == 3);
  const auto& orphaned = procs[2].at("orphaned");
  REQUIRE_FALSE(orphaned.is_null());
  CHECK(orphaned.at("old_parent_pid") == procs[1].at("pid"));
  CHECK(orphaned.at("new_parent_pid") == fact(traced, "adopted_by"));
  CHECK(procs[2].at("state_at_end") == "running");
}

TEST_CASE("wait-leaked follows the daemon to its exit and its release by the adopter") {
  auto traced = trace({workload("lifecycle"), "double_fork"}, {"--wait-leaked=10"});
  REQUIRE(traced.status == 0);
  auto daemon = lifecycle(traced).at(2);
  CHECK(daemon.at("exit").at("code") == 0);
  // Its adopter (init here) reaps it in its own time, which proclife does not wait for.
  CHECK(daemon.at("state_at_end") != "running");
  if (daemon.at("state_at_end") == "reaped") CHECK(daemon.at("reaper_pid") == fact(traced, "adopted_by"));
}

TEST_CASE("kill-leaked ends what CMD left behind and says who killed it") {
  auto traced = trace({"sh", "-c", "sleep 30 & exit 0"}, {"--kill-leaked"});
  REQUIRE(traced.status == 0);
  auto sleeper = only_child_of_cmd(traced);
  CHECK(sleeper.at("exit").at("signal") == 15);
  CHECK(sleeper.at("exit").at("killed_by").at("comm") == "proclife");
  CHECK(sleeper.at("state_at_end") != "running");
}

TEST_CASE("a parent SIGKILLed with running children: who killed it, and the orphans", "[vm]") {
  auto traced = trace({workload("lifecycle"), "parent_killed"});
  REQUIRE(traced.status == 0);
  auto procs = lifecycle(traced);
  REQUIRE(procs.size() == 4);
  const auto& cmd = procs[0];
  const auto& middle = procs[1];
  CHECK(middle.at("exit").at("signal") == 9);
  CHECK(middle.at("exit").at("killed_by").at("pid") == cmd.at("pid"));
  CHECK(middle.at("reaper_pid") == cmd.at("pid"));
  for (size_t i = 2; i < 4; ++i) {
    CHECK(procs[i].at("orphaned").at("old_parent_pid") == middle.at("pid"));
    CHECK(procs[i].at("state_at_end") == "running");
  }
}

TEST_CASE("a subreaper adopts and reaps its grandchild", "[vm]") {
  auto traced = trace({workload("lifecycle"), "subreaper"});
  REQUIRE(traced.status == 0);
  auto procs = lifecycle(traced);
  REQUIRE(procs.size() == 3);
  const auto& cmd = procs[0];
  const auto& grandchild = procs[2];
  CHECK(grandchild.at("pid") == fact(traced, "grandchild"));
  CHECK(grandchild.at("orphaned").at("new_parent_pid") == cmd.at("pid"));
  CHECK(grandchild.at("reaper_pid") == cmd.at("pid"));
  CHECK(grandchild.at("reaped_via") == "wait4");
  CHECK(grandchild.at("exit").at("code") == 6);
}

TEST_CASE("a child forked by a thread that exits stays the process's child") {
  auto traced = trace({workload("lifecycle"), "thread_fork"});
  REQUIRE(traced.status == 0);
  auto procs = lifecycle(traced);
  REQUIRE(procs.size() == 2);
  CHECK(procs[0].at("threads") == 2);
  CHECK(procs[1].at("orphaned").is_null());
  CHECK(procs[1].at("reaper_pid") == procs[0].at("pid"));
}

TEST_CASE("exit_group from a non-leader thread: the process's status and the calling thread") {
  auto traced = trace({workload("lifecycle"), "thread_exit_group"});
  CHECK(traced.status == 5);
  auto process = traced.one("lifecycle");
  CHECK(process.at("exit").at("code") == 5);
  CHECK(process.at("exit").at("exit_group_tid") == fact(traced, "exit_group_tid"));
  CHECK(process.at("exit").at("exit_group_tid") != process.at("pid"));
  CHECK(process.at("threads") == 2);
}

TEST_CASE("execve from a non-leader thread: the process keeps the leader's pid", "[vm]") {
  auto traced = trace({workload("lifecycle"), "thread_exec"});
  REQUIRE(traced.status == 0);
  auto process = traced.one("true");
  REQUIRE(process.at("execs").size() == 2);
  CHECK(process.at("execs")[1].at("tid") == fact(traced, "exec_tid"));
  CHECK(process.at("execs")[1].at("filename") == "/bin/true");
  CHECK(process.at("exit").at("code") == 0);
}

TEST_CASE("vfork and posix_spawn are told apart from fork", "[vm]") {
  auto traced = trace({workload("lifecycle"), "spawn"});
  REQUIRE(traced.status == 0);
  auto spawned = traced.all("true");
  REQUIRE(spawned.size() == 2);
  CHECK(spawned[0].at("clone").at("kind") == "vfork");
  CHECK(spawned[1].at("clone").at("kind") == "spawn");
  CHECK(traced.one("lifecycle").at("clone").at("kind") == "fork");
}

TEST_CASE("a reused pid: two processes with the same pid stay two processes") {
  auto traced = trace({workload("lifecycle"), "pid_reuse"});
  REQUIRE(traced.status == 0);
  auto reused = fact(traced, "reused");
  std::vector<Json> same;
  for (const auto& process : traced.report.at("processes"))
    if (process.at("pid") == reused) same.push_back(process);
  REQUIRE(same.size() == 2);
  CHECK(same[0].at("start_ns") != same[1].at("start_ns"));
  CHECK(same[0].at("exit").at("code") == 11);
  CHECK(same[1].at("exit").at("code") == 12);
  CHECK(same[0].at("state_at_end") == "reaped");
  CHECK(same[1].at("state_at_end") == "reaped");
}

TEST_CASE("a child killed by a signal: the status decoded exactly") {
  auto traced = trace({workload("lifecycle"), "killed"});
  REQUIRE(traced.status == 0);
  auto child = lifecycle(traced).at(1);
  CHECK(child.at("exit").at("signal") == 15);
  CHECK(child.at("exit").at("code") == 0);
  CHECK(child.at("exit").at("core_dumped") == false);
  CHECK(child.at("exit").at("killed_by").at("pid") == child.at("pid"));
}

TEST_CASE("CMD killed by a signal: proclife exits 128+N like a shell") {
  auto traced = trace({"sh", "-c", "kill -KILL $$"});
  CHECK(traced.status == 128 + 9);
  CHECK(traced.one("sh").at("exit").at("signal") == 9);
}

TEST_CASE("nohup cmd & from a shell that exits: the background job is orphaned and leaked") {
  auto traced = trace({"sh", "-c", "nohup sleep 0.3 >/dev/null 2>&1 &"});
  REQUIRE(traced.status == 0);
  auto sleeper = only_child_of_cmd(traced);
  CHECK_FALSE(sleeper.at("orphaned").is_null());
  CHECK(sleeper.at("state_at_end") == "running");
}

TEST_CASE("setsid -f: the forked session leader is orphaned") {
  auto traced = trace({"setsid", "-f", "sleep", "0.2"}, {"--wait-leaked=5"});
  REQUIRE(traced.status == 0);
  auto sleeper = traced.one("sleep");
  CHECK_FALSE(sleeper.at("orphaned").is_null());
  CHECK(sleeper.at("exit").at("code") == 0);
}

TEST_CASE("a pid namespace: host and namespace pids, orphans go to the namespace's init", "[vm]") {
  auto traced = trace({"unshare", "--pid", "--fork", "sh", "-c", "sh -c 'sleep 0.2 &'; sleep 0.4"});
  REQUIRE(traced.status == 0);
  auto shells = traced.all("sh");
  REQUIRE(shells.size() == 2);
  const auto& ns_init = shells[0];
  CHECK(ns_init.at("ns_pid") == 1);
  CHECK(ns_init.at("pid") != 1);
  auto sleepers = traced.all("sleep");
  Json orphan;
  for (const auto& sleeper : sleepers)
    if (!sleeper.at("orphaned").is_null()) orphan = sleeper;
  REQUIRE_FALSE(orphan.is_null());
  CHECK(orphan.at("orphaned").at("new_parent_pid") == ns_init.at("pid"));
  CHECK(orphan.at("reaper_pid") == ns_init.at("pid"));
  CHECK(orphan.at("ns_pid") != orphan.at("pid"));
}

TEST_CASE("fail-on: a leak fails the gate with its own status, a clean run passes") {
  auto leaky = trace({"sh", "-c", "sleep 5 & exit 0"}, {"--fail-on", "leaked", "--kill-leaked"});
  CHECK(leaky.status == 86);
  CHECK(leaky.stderr_text.find("--fail-on leaked") != std::string::npos);
  auto clean = trace({"sh", "-c", "sleep 0.05 & wait; exit 0"}, {"--fail-on", "leaked,orphan,zombie,killed,lost"});
  CHECK(clean.status == 0);
  auto failing_cmd = trace({"sh", "-c", "exit 4"}, {"--fail-on", "leaked"});
  CHECK(failing_cmd.status == 4);
}

TEST_CASE("a core dump: signal and core flag decoded exactly as wait reported them") {
  auto traced = trace({workload("lifecycle"), "core_dump"});
  REQUIRE(traced.status == 0);
  auto child = lifecycle(traced).at(1);
  CHECK(child.at("exit").at("signal") == 6);
  CHECK(child.at("exit").at("core_dumped") == (fact(traced, "core_dumped") == 1));
}

TEST_CASE("attach -p: pre-existing processes, new children, and the end when PID exits") {
  require_root();
  pid_t target = fork();
  REQUIRE(target >= 0);
  if (target == 0) {
    // Long enough for proclife to load its programs on a loaded machine (~0.5 s).
    execlp("sh", "sh", "-c", "sleep 1.5; sleep 0.3 & wait", static_cast<char*>(nullptr));
    _exit(127);
  }
  std::string report_path = "/tmp/proclife-ktest-attach.json", log;
  int status = run_capture(
      {PROCLIFE_BIN, "attach", "-p", std::to_string(target), "--format", "json", "-o", report_path}, log);
  int target_status = 0;
  waitpid(target, &target_status, 0);
  INFO(log);
  REQUIRE(status == 0);
  std::ifstream in(report_path);
  auto report = Json::parse(in);
  Json root, later;
  for (const auto& process : report.at("processes")) {
    if (process.at("pid") == target) root = process;
    if (process.at("comm") == "sleep" && process.at("pre_existing") == false) later = process;
  }
  REQUIRE_FALSE(root.is_null());
  CHECK(root.at("pre_existing") == true);
  CHECK_FALSE(root.at("exit").is_null());
  REQUIRE_FALSE(later.is_null());
  CHECK(later.at("argv") == Json::array({"sleep", "0.3"}));
  CHECK(later.at("reaper_pid") == target);
}

namespace {

// Ids of the loaded BPF programs that are proclife's (named handle_*).
std::set<std::string> proclife_program_ids() {
  std::string out;
  run_capture({"bpftool", "prog", "show"}, out);
  std::set<std::string> ids;
  std::regex program("^(\\d+): [a-z_]+ +name handle_", std::regex::multiline);
  for (auto it = std::sregex_iterator(out.begin(), out.end(), program); it != std::sregex_iterator(); ++it)
    ids.insert((*it)[1]);
  return ids;
}

// Starts `proclife run -- sleep SECONDS` and returns its pid once its
// programs are loaded, with their ids (those not loaded before it started).
pid_t start_proclife(const char* seconds, std::set<std::string>& ids) {
  auto before = proclife_program_ids();
  pid_t proclife = fork();
  REQUIRE(proclife >= 0);
  if (proclife == 0) {
    int null = open("/dev/null", O_WRONLY);
    dup2(null, 2);
    execl(PROCLIFE_BIN, PROCLIFE_BIN, "run", "--", "sleep", seconds, static_cast<char*>(nullptr));
    _exit(127);
  }
  for (int i = 0; i < 200 && ids.size() < 8; ++i) {
    usleep(10000);
    for (const auto& id : proclife_program_ids())
      if (!before.count(id)) ids.insert(id);
  }
  REQUIRE(ids.size() >= 8);
  return proclife;
}

// The kernel frees a program once its last fd and link are closed, after an
// RCU grace period: give it a moment before calling it left behind.
bool any_loaded(const std::set<std::string>& ids) {
  for (int attempt = 0; attempt < 100; ++attempt) {
    auto now = proclife_program_ids();
    bool any = false;
    for (const auto& id : ids) any = any || now.count(id);
    if (!any) return false;
    usleep(20000);
  }
  return true;
}

}  // namespace

TEST_CASE("nothing stays attached after proclife exits, also after Ctrl-C", "[vm]") {
  require_root();
  SECTION("CMD exits") {
    std::set<std::string> ids;
    pid_t proclife = start_proclife("0.3", ids);
    int status = 0;
    waitpid(proclife, &status, 0);
    CHECK(WEXITSTATUS(status) == 0);
    CHECK_FALSE(any_loaded(ids));
  }
  SECTION("Ctrl-C") {
    std::set<std::string> ids;
    pid_t proclife = start_proclife("30", ids);
    kill(proclife, SIGINT);  // forwarded to CMD, which dies of it
    int status = 0;
    waitpid(proclife, &status, 0);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 128 + SIGINT);
    CHECK_FALSE(any_loaded(ids));
  }
}

TEST_CASE("not root: one line that says which privileges are needed") {
  std::string out;
  int status = run_capture({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", PROCLIFE_BIN, "run", "--",
                            "true"},
                           out);
  CHECK(status == 125);
  CHECK(out.find("needs root") != std::string::npos);
  CHECK(std::count(out.begin(), out.end(), '\n') == 1);
}

TEST_CASE("a leaked process blocked in wait at the end: where it hangs", "[vm]") {
  // bash's `wait` blocks in wait4 (dash's polls with WNOHANG around sigsuspend).
  auto traced = trace({"sh", "-c", "bash -c 'sleep 1 & wait' & sleep 0.3"});
  REQUIRE(traced.status == 0);
  const auto& procs = traced.report.at("processes");
  Json hung;
  for (const auto& process : procs)
    if (process.at("comm") == "bash" && process.at("state_at_end") == "running") hung = process;
  REQUIRE_FALSE(hung.is_null());
  const auto& waiting = hung.at("waiting_at_end");
  REQUIRE_FALSE(waiting.is_null());
  CHECK(waiting.at("tid") == hung.at("pid"));
  CHECK(waiting.at("since_ns").get<int64_t>() < traced.report.at("duration_ns").get<int64_t>());
}
