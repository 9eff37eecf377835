// Issue 11: never harm a stranger, never run CMD untraced, never print
// garbage. Each case acts out one way proclife used to get this wrong.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include "harness.hpp"

using namespace proclife::ktest;

namespace {

// A path under /tmp that does not exist (yet).
std::string fresh_path(const char* stem) {
  std::string path = temp_path(stem);
  unlink(path.c_str());
  return path;
}

bool exists(const std::string& path) { return access(path.c_str(), F_OK) == 0; }

}  // namespace

TEST_CASE("proclife SIGKILLed before the filter holds CMD: CMD never runs") {
  require_root();
  std::string marker = fresh_path("ran"), log = temp_path("log");
  pid_t proclife = spawn({PROCLIFE_BIN, "run", "--", "touch", marker}, log, {"PROCLIFE_TEST_KILL_AT=filter-insert"});
  CHECK(wait_exit(proclife) == 128 + SIGKILL);
  usleep(300000);  // a released CMD would have run by now
  INFO(slurp(log));
  CHECK_FALSE(exists(marker));
  unlink(log.c_str());
}

TEST_CASE("proclife killed while opening a --record FIFO: CMD never runs") {
  require_root();
  for (int sig : {SIGKILL, SIGTERM, SIGINT}) {
    INFO("signal " << sig);
    std::string fifo = fresh_path("fifo"), marker = fresh_path("ran"), log = temp_path("log");
    REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
    pid_t proclife = spawn({PROCLIFE_BIN, "run", "--record", fifo, "--", "touch", marker}, log);
    usleep(500000);  // blocked in open(): nobody reads the FIFO
    kill(proclife, sig);
    CHECK(wait_exit(proclife) == 128 + sig);
    usleep(300000);
    CHECK_FALSE(exists(marker));
    unlink(fifo.c_str());
    unlink(log.c_str());
  }
}

TEST_CASE("an output that cannot be opened ends proclife before CMD runs") {
  require_root();
  std::string dir = fresh_path("dir");
  REQUIRE(mkdir(dir.c_str(), 0700) == 0);
  for (const std::string& bad : {std::string("/nonexistent/x"), dir}) {
    for (const char* option : {"-o", "--record"}) {
      INFO(option << " " << bad);
      std::string marker = fresh_path("ran"), out;
      int status = run_capture({PROCLIFE_BIN, "run", option, bad, "--", "touch", marker}, out);
      INFO(out);
      CHECK(status == 125);
      CHECK_FALSE(exists(marker));
      CHECK(out.find("cannot write") != std::string::npos);
      CHECK(std::count(out.begin(), out.end(), '\n') == 1);
    }
  }
  rmdir(dir.c_str());
}

TEST_CASE("the report and the recording naming one file are refused before CMD runs") {
  require_root();
  std::string path = temp_path("same"), marker = fresh_path("ran");
  std::string link = fresh_path("link");
  REQUIRE(symlink(path.c_str(), link.c_str()) == 0);
  for (const auto& record : {path, link}) {
    INFO(record);
    std::string out;
    CHECK(run_capture({PROCLIFE_BIN, "run", "-o", path, "--record", record, "--", "touch", marker}, out) == 125);
    CHECK(out.find("same file") != std::string::npos);
    CHECK_FALSE(exists(marker));
  }
  unlink(link.c_str());
  unlink(path.c_str());
}

TEST_CASE("a report that cannot be written is said, and CMD's status is kept") {
  require_root();
  std::string out;
  SECTION("CMD failed: its status wins") {
    CHECK(run_capture({PROCLIFE_BIN, "run", "-o", "/dev/full", "--", "sh", "-c", "exit 3"}, out) == 3);
  }
  SECTION("CMD succeeded: the failure to write is proclife's") {
    CHECK(run_capture({PROCLIFE_BIN, "run", "-o", "/dev/full", "--", "true"}, out) == 125);
  }
  SECTION("the gate failed: its status wins") {
    CHECK(run_capture({PROCLIFE_BIN, "run", "-o", "/dev/full", "--fail-on", "leaked", "--kill-leaked", "--", "sh",
                       "-c", "sleep 30 &"},
                      out) == 86);
  }
  INFO(out);
  CHECK(out.find("cannot write the report to /dev/full: No space left on device") != std::string::npos);
}

TEST_CASE("a report on stderr that cannot be written is not lost silently") {
  require_root();
  pid_t proclife = fork();
  REQUIRE(proclife >= 0);
  if (proclife == 0) {
    int full = open("/dev/full", O_WRONLY);
    dup2(full, 2);
    execl(PROCLIFE_BIN, PROCLIFE_BIN, "run", "--", "true", static_cast<char*>(nullptr));
    _exit(127);
  }
  CHECK(wait_exit(proclife) == 125);
}

namespace {

// Forks a stranger (untraced: a child of this test) that runs `sleep 40`,
// trying to give it `pid` through ns_last_pid; returns its pid.
pid_t stranger_at(pid_t pid) {
  {
    std::ofstream last("/proc/sys/kernel/ns_last_pid");
    last << pid - 1;
  }
  pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    execlp("sleep", "sleep", "40", static_cast<char*>(nullptr));
    _exit(127);
  }
  return child;
}

struct LostExits {
  int status = -1;
  std::string log;
  std::vector<pid_t> strangers;     // all the strangers started
  size_t strangers_on_leaked_pids = 0;
};

// proclife with a 1 MiB ring buffer on lose_exits: the leakers' exits are
// lost and strangers take their pids before proclife looks at them again.
LostExits run_lose_exits(const std::string& option) {
  require_root();
  std::string dir = fresh_path("lose");
  REQUIRE(mkdir(dir.c_str(), 0700) == 0);
  std::string log = temp_path("log");
  pid_t proclife = spawn({PROCLIFE_BIN, "run", "--ring-buffer-mb", "1", option, "-o", "/dev/null", "--",
                          workload("lose_exits"), dir, "20"},
                         log);
  std::string pids_path = dir + "/pids";
  for (int i = 0; i < 3000 && !exists(pids_path); ++i) usleep(10000);
  REQUIRE(exists(pids_path));
  LostExits result;
  std::ifstream pids(pids_path);
  for (pid_t leaked; pids >> leaked;) {
    pid_t stranger = stranger_at(leaked);
    result.strangers.push_back(stranger);
    if (stranger == leaked) ++result.strangers_on_leaked_pids;
  }
  std::ofstream(dir + "/go").put('\n');
  // Bounded: --wait-leaked with no limit must not wait for strangers.
  int status = 0;
  pid_t done = 0;
  for (int i = 0; i < 1500 && done == 0; ++i) {
    done = waitpid(proclife, &status, WNOHANG);
    if (done == 0) usleep(20000);
  }
  if (done == 0) {
    kill(proclife, SIGKILL);
    waitpid(proclife, &status, 0);
  }
  result.status = done == 0 ? -1 : (WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
  result.log = slurp(log);
  unlink(log.c_str());
  std::filesystem::remove_all(dir);
  return result;
}

// Every stranger is still alive, then ended by the test itself.
void require_strangers_unharmed(const LostExits& run) {
  INFO(run.log);
  INFO(run.strangers_on_leaked_pids << " strangers on leaked pids");
  REQUIRE(run.strangers_on_leaked_pids > 0);  // else the test proved nothing
  for (pid_t stranger : run.strangers) {
    int status = 0;
    CHECK(waitpid(stranger, &status, WNOHANG) == 0);  // not dead of a signal from proclife
    kill(stranger, SIGKILL);
    waitpid(stranger, &status, 0);
  }
}

}  // namespace

TEST_CASE("kill-leaked after lost exits: no stranger holding a freed pid is signalled") {
  auto run = run_lose_exits("--kill-leaked");
  require_strangers_unharmed(run);
  CHECK(run.status == 0);
  CHECK(run.log.find("the leak list is a guess: signalling none") != std::string::npos);
  // The loss was the ring buffer's, and only its remedy is given.
  CHECK(run.log.find("the ring buffer was full; try --ring-buffer-mb 4") != std::string::npos);
  CHECK(run.log.find("table of traced processes") == std::string::npos);
}

TEST_CASE("wait-leaked after lost exits: stops for processes that are gone, waits for no stranger") {
  auto run = run_lose_exits("--wait-leaked");
  require_strangers_unharmed(run);
  CHECK(run.status == 0);  // ended by itself, not by the test's deadline
  CHECK(run.log.find("already exited, unseen") != std::string::npos);
}

TEST_CASE("wait-leaked=0.5 waits half a second, not forever") {
  auto start = std::chrono::steady_clock::now();
  auto traced = trace({"sh", "-c", "sleep 30 & echo leaked $!"}, {"--wait-leaked=0.5"});
  double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  INFO(traced.stderr_text);
  CHECK(traced.status == 0);
  CHECK(took >= 0.5);
  CHECK(took < 5);
  auto sleeper = traced.one("sleep");
  CHECK(sleeper.at("state_at_end") == "running");
  kill(static_cast<pid_t>(sleeper.at("pid").get<int>()), SIGKILL);
}

TEST_CASE("a non-root user holding CAP_BPF and CAP_PERFMON may trace") {
  require_root();
  std::string out;
  int status = run_capture({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=+bpf,+perfmon",
                            "--ambient-caps=+bpf,+perfmon", PROCLIFE_BIN, "run", "--", "sh", "-c", "exit 7"},
                           out);
  INFO(out);
  CHECK(status == 7);
  CHECK(out.find("needs root") == std::string::npos);
}

TEST_CASE("report writes to stdout, which is what users redirect") {
  require_root();
  std::string recording = temp_path("rec"), out;
  REQUIRE(run_capture({PROCLIFE_BIN, "run", "-o", "/dev/null", "--record", recording, "--", "true"}, out) == 0);
  std::string json = temp_path("json"), log = temp_path("log");
  pid_t report = fork();
  REQUIRE(report >= 0);
  if (report == 0) {
    int fd = open(json.c_str(), O_WRONLY | O_TRUNC);
    int err = open(log.c_str(), O_WRONLY | O_TRUNC);
    dup2(fd, 1);
    dup2(err, 2);
    execl(PROCLIFE_BIN, PROCLIFE_BIN, "report", recording.c_str(), "--format", "json", static_cast<char*>(nullptr));
    _exit(127);
  }
  CHECK(wait_exit(report) == 0);
  std::string text = slurp(json);
  INFO(slurp(log));
  REQUIRE_FALSE(text.empty());
  CHECK(Json::parse(text).at("processes").size() == 1);
  CHECK(slurp(log).empty());
  for (const auto& path : {recording, json, log}) unlink(path.c_str());
}

TEST_CASE("CMD's clone(CLONE_PARENT) sibling is reaped by proclife and drawn as its child") {
  require_root();
  // Waits for its sibling to vanish: it hangs (exit 1) if proclife never reaps it.
  auto traced = trace({workload("clone_parent")});
  INFO(traced.stderr_text);
  CHECK(traced.status == 0);
  auto procs = traced.all("clone_parent");
  REQUIRE(procs.size() == 2);
  uint64_t proclife = procs[0].at("parent_pid");
  CHECK(procs[1].at("reaper_pid") == proclife);
  CHECK(procs[1].at("state_at_end") == "reaped");
  // The text tree: both at the top level, children of proclife.
  std::string out;
  CHECK(run_capture({PROCLIFE_BIN, "run", "--", workload("clone_parent")}, out) == 0);
  INFO(out);
  CHECK(out.find("└─") == std::string::npos);
}

namespace {

// Waits up to `seconds` for `needle` to show in the file at `path`.
bool wait_for_text(const std::string& path, const std::string& needle, double seconds) {
  for (int i = 0; i < seconds * 50; ++i) {
    if (slurp(path).find(needle) != std::string::npos) return true;
    usleep(20000);
  }
  return false;
}

char proc_state(pid_t pid) {
  std::string stat = slurp("/proc/" + std::to_string(pid) + "/stat");
  auto close = stat.rfind(')');
  return close == std::string::npos || close + 2 >= stat.size() ? 0 : stat[close + 2];
}

}  // namespace

TEST_CASE("a CMD that stops itself: said on stderr, and not left stopped when proclife is stopped") {
  require_root();
  std::string log = temp_path("log");
  pid_t proclife = spawn({PROCLIFE_BIN, "run", "-o", "/dev/null", "--", "sh", "-c", "echo cmd $$; kill -STOP $$; exit 5"},
                         log);
  REQUIRE(wait_for_text(log, "is stopped by SIGSTOP", 10));
  std::smatch match;
  std::string text = slurp(log);
  REQUIRE(std::regex_search(text, match, std::regex("cmd (\\d+)")));
  pid_t cmd = std::stoi(match[1]);
  CHECK(proc_state(cmd) == 'T');
  kill(proclife, SIGTERM);
  CHECK(wait_exit(proclife) == 128 + SIGTERM);
  INFO(slurp(log));
  usleep(200000);
  CHECK(proc_state(cmd) != 'T');  // gone (killed by the SIGTERM it was sent), or running
  CHECK(std::count(text.begin(), text.end(), '\n') == 2);  // "cmd N" and the one line
  unlink(log.c_str());
}

TEST_CASE("a CMD that ignores SIGTERM and stops itself is continued, not left stopped, after two") {
  require_root();
  std::string log = temp_path("log");
  pid_t proclife = spawn(
      {PROCLIFE_BIN, "run", "-o", "/dev/null", "--", "sh", "-c", "trap '' TERM; echo cmd $$; kill -STOP $$; sleep 2"},
      log);
  REQUIRE(wait_for_text(log, "is stopped", 10));
  std::smatch match;
  std::string text = slurp(log);
  REQUIRE(std::regex_search(text, match, std::regex("cmd (\\d+)")));
  pid_t cmd = std::stoi(match[1]);
  kill(proclife, SIGTERM);
  usleep(300000);
  kill(proclife, SIGTERM);
  CHECK(wait_exit(proclife) == 128 + SIGTERM);
  usleep(200000);
  CHECK(proc_state(cmd) != 'T');
  kill(cmd, SIGKILL);
  unlink(log.c_str());
}

namespace {

// `proclife attach -p PID`, which must refuse at once: status and output.
int attach_refused(pid_t pid, std::string& out) {
  return run_capture({PROCLIFE_BIN, "attach", "-p", std::to_string(pid), "--duration", "5", "-o", "/dev/null"}, out);
}

}  // namespace

TEST_CASE("attach refuses what it cannot follow, in one line") {
  require_root();
  std::string out;
  SECTION("a zombie is not 'still running'") {
    pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) _exit(0);
    while (proc_state(child) != 'Z') usleep(1000);
    CHECK(attach_refused(child, out) == 125);
    CHECK(out.find("has exited (a zombie") != std::string::npos);
    waitpid(child, nullptr, 0);
  }
  SECTION("its own ancestor: a tree proclife is part of") {
    CHECK(attach_refused(getpid(), out) == 125);
    CHECK(out.find("an ancestor of proclife") != std::string::npos);
  }
  SECTION("a thread id: named as a thread of its process") {
    pid_t tid = 0;
    std::atomic<bool> stop{false};
    std::thread thread([&] {
      tid = gettid();
      while (!stop) usleep(1000);
    });
    while (!tid) usleep(1000);
    CHECK(attach_refused(tid, out) == 125);
    CHECK(out.find(std::to_string(tid) + " is a thread of process " + std::to_string(getpid())) != std::string::npos);
    stop = true;
    thread.join();
  }
  SECTION("kthreadd: kernel threads are not processes to trace") {
    CHECK(attach_refused(2, out) == 125);
    CHECK(out.find("kernel thread") != std::string::npos);
  }
  INFO(out);
  CHECK(std::count(out.begin(), out.end(), '\n') == 1);
}

TEST_CASE("attach does not follow a zombie descendant as running") {
  require_root();
  // A parent that leaves a zombie child and sleeps.
  pid_t parent = fork();
  REQUIRE(parent >= 0);
  if (parent == 0) {
    execlp("sh", "sh", "-c", "sh -c 'exec sleep 0' & exec sleep 1", static_cast<char*>(nullptr));
    _exit(127);
  }
  usleep(300000);  // the inner sh has exited; sleep 1 never reaps it
  std::string report_path = temp_path("attach"), out;
  int status = run_capture(
      {PROCLIFE_BIN, "attach", "-p", std::to_string(parent), "--format", "json", "-o", report_path}, out);
  wait_exit(parent);
  INFO(out);
  CHECK(status == 0);
  CHECK(out.find("not 1 zombie already exited") != std::string::npos);
  auto report = Json::parse(slurp(report_path));
  for (const auto& process : report.at("processes")) CHECK(process.at("state_at_end") != "running");
  unlink(report_path.c_str());
}

TEST_CASE("leaked processes are named by what they are at the end, and it is said") {
  SECTION("--kill-leaked names what it signals") {
    auto traced = trace({workload("lifecycle"), "renamed_leak"}, {"--kill-leaked"});
    INFO(traced.stderr_text);
    REQUIRE(traced.report.at("processes").size() == 2);
    auto leaked = traced.report.at("processes").at(1);
    std::string pid = std::to_string(leaked.at("pid").get<int>());
    CHECK(traced.stderr_text.find("SIGTERM to 1 leaked process: lifecycle (" + pid + "), now renamed `") !=
          std::string::npos);
  }
  SECTION("--fail-on leaked: said before the findings") {
    auto traced = trace({workload("lifecycle"), "renamed_leak"}, {"--fail-on", "leaked"});
    INFO(traced.stderr_text);
    CHECK(traced.status == 86);
    auto leaked = traced.all("lifecycle").at(1);
    std::string pid = std::to_string(leaked.at("pid").get<int>());
    CHECK(traced.stderr_text.find("still running, named below as last seen: lifecycle (" + pid + "), now renamed `") !=
          std::string::npos);
    kill(std::stoi(pid), SIGKILL);
  }
}
