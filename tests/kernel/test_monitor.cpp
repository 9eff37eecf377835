// proclife monitor on the real kernel: it runs host-wide, restricted here to
// a cgroup the test makes (--cgroup), so that every count is the workload's
// and exact however busy the host is.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <thread>

#include "harness.hpp"

using namespace proclife::ktest;
using Clock = std::chrono::steady_clock;

namespace {

std::string cgroup2_mount() {
  std::ifstream in("/proc/self/mountinfo");
  for (std::string line; std::getline(in, line);) {
    auto dash = line.find(" - cgroup2 ");
    if (dash == std::string::npos) continue;
    std::istringstream fields(line);
    std::string id, parent, dev, root, mount;
    fields >> id >> parent >> dev >> root >> mount;
    if (root == "/") return mount;
  }
  FAIL("no cgroup2 mount");
  return {};
}

std::vector<Json> records(const std::string& path) {
  std::vector<Json> out;
  std::istringstream in(slurp(path));
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(Json::parse(line));
  return out;
}

template <typename Pred>
bool eventually(Pred pred, double seconds) {
  auto deadline = Clock::now() + std::chrono::duration<double>(seconds);
  while (Clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return pred();
}

std::string http_get(uint16_t port, const std::string& path) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  std::string request = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  REQUIRE(write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size()));
  std::string response;
  char buffer[4096];
  for (ssize_t n; (n = read(fd, buffer, sizeof buffer)) > 0;) response.append(buffer, n);
  close(fd);
  auto body = response.find("\r\n\r\n");
  REQUIRE(body != std::string::npos);
  REQUIRE(response.rfind("HTTP/1.", 0) == 0);
  REQUIRE(response.find(" 200 ") != std::string::npos);
  return response.substr(body + 4);
}

// The value of one sample line, e.g. `proclife_exits_total{kind="code0"}`; -1 when absent.
double sample(const std::string& page, const std::string& series) {
  std::istringstream in(page);
  for (std::string line; std::getline(in, line);)
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  return -1;
}

// The BPF links a process holds, by id, from its fds' fdinfo.
std::vector<std::string> link_ids(pid_t pid) {
  std::vector<std::string> ids;
  std::string dir = "/proc/" + std::to_string(pid) + "/fdinfo/";
  for (int fd = 0; fd < 1024; ++fd) {
    std::ifstream in(dir + std::to_string(fd));
    for (std::string line; std::getline(in, line);)
      if (line.rfind("link_id:", 0) == 0) ids.push_back(std::to_string(std::stoul(line.substr(8))));
  }
  return ids;
}

bool bpftool_lists_link(const std::string& links, const std::string& id) {
  std::istringstream in(links);
  for (std::string line; std::getline(in, line);)
    if (line.rfind(id + ":", 0) == 0) return true;
  return false;
}

struct TestCgroup {
  std::string relative, dir;
  TestCgroup() {
    relative = "/proclife-monitor-test-" + std::to_string(getpid());
    dir = cgroup2_mount() + relative;
    REQUIRE(mkdir(dir.c_str(), 0755) == 0);
  }
  ~TestCgroup() {
    for (int attempt = 0; attempt < 200 && rmdir(dir.c_str()) != 0; ++attempt)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
};

}  // namespace

TEST_CASE("monitor: lifetimes, findings and metrics of a workload in its cgroup, and SIGTERM leaves nothing attached",
          "[monitor]") {
  require_root();
  TestCgroup cgroup;
  std::string events = "/tmp/proclife-ktest-monitor-" + std::to_string(getpid()) + ".ndjson";
  std::string log = events + ".log";
  unlink(events.c_str());
  pid_t monitor = spawn({PROCLIFE_BIN, "monitor", "--events", events, "--metrics-address", "127.0.0.1:0",
                         "--zombie-threshold", "0.2", "--slow-reap-threshold", "5", "--retention", "0.2", "--cgroup",
                         cgroup.relative},
                        log);
  Json start;
  REQUIRE(eventually(
      [&] {
        auto recs = records(events);
        if (recs.empty()) return false;
        start = recs.front();
        return true;
      },
      15));
  INFO(slurp(log));
  REQUIRE(start["type"] == "start");
  CHECK(start["pid"] == monitor);
  CHECK(start["trace_start_realtime_ns"].get<uint64_t>() > 0);
  std::string address = start["metrics_address"];
  uint16_t port = static_cast<uint16_t>(std::stoi(address.substr(address.rfind(':') + 1)));

  // Attached: the monitor holds its links, and bpftool lists them.
  std::vector<std::string> ids = link_ids(monitor);
  REQUIRE(ids.size() >= 6);
  std::string links;
  run_capture({"bpftool", "link", "show"}, links);
  for (const auto& id : ids) CHECK(bpftool_lists_link(links, id));

  pid_t load = fork();
  REQUIRE(load >= 0);
  if (load == 0) {
    std::ofstream(cgroup.dir + "/cgroup.procs") << getpid() << std::flush;
    execl(workload("monitor_load").c_str(), "monitor_load", nullptr);
    _exit(127);
  }
  int status = 0;
  REQUIRE(waitpid(load, &status, 0) == load);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);

  std::map<std::string, Json> lifetimes;
  std::vector<Json> findings;
  REQUIRE(eventually(
      [&] {
        lifetimes.clear();
        findings.clear();
        for (auto& rec : records(events)) {
          if (rec["type"] == "lifetime") lifetimes[rec["comm"]] = rec;
          if (rec["type"] == "finding") findings.push_back(rec);
        }
        return lifetimes.size() >= 8;
      },
      10));
  INFO(slurp(events));
  REQUIRE(lifetimes.size() == 8);
  auto lifetime = [&](const std::string& comm) {
    REQUIRE(lifetimes.count(comm));
    return lifetimes[comm];
  };
  Json main = lifetime("monitor_load");
  CHECK(main["pid"] == load);
  CHECK(main["exit"]["code"] == 0);
  CHECK(main["reaper_pid"] == getpid());
  CHECK(main["reaped_via"] == "wait4");
  for (const char* comm : {"ml-ok", "ml-three", "ml-kill", "ml-oparent", "ml-orphan", "ml-waited", "ml-zombie"}) {
    INFO(comm);
    Json rec = lifetime(comm);
    // Host-wide, threads are counted in the kernel too (its `traced` entries).
    CHECK(rec["threads"] == (std::string(comm) == "ml-three" ? 2 : 1));
    CHECK(rec["cgroup"]["path"] == cgroup.relative);
    CHECK(rec["reaper_pid"] == load);
    CHECK(rec["reaped_via"] == "wait4");
    CHECK(rec["reap_time_exact"] == true);
    CHECK(rec["pre_existing"] == false);
  }
  CHECK(main["cgroup"]["path"] == cgroup.relative);
  CHECK(lifetime("ml-three")["exit"]["code"] == 3);
  CHECK(lifetime("ml-kill")["exit"]["signal"] == SIGTERM);
  CHECK(lifetime("ml-orphan")["orphaned"]["old_parent_pid"] == lifetime("ml-oparent")["pid"]);
  CHECK(lifetime("ml-orphan")["orphaned"]["new_parent_pid"] == load);

  int orphan_findings = 0, zombie_findings = 0, other_findings = 0;
  for (const auto& f : findings) {
    INFO(f.dump());
    CHECK(f["cgroup"]["path"] == cgroup.relative);
    if (f["kind"] == "orphan") {
      ++orphan_findings;
      // Its comm is the one it was forked with: its prctl rename shows at its exit.
      CHECK(f["pid"] == lifetime("ml-orphan")["pid"]);
      CHECK(f["by_subreaper"] == true);
      CHECK(f["new_parent"]["pid"] == load);
      CHECK(f["previous_parent_pid"] == lifetime("ml-oparent")["pid"]);
    } else if (f["kind"] == "zombie") {
      CHECK(f["comm"] == "ml-zombie");
      if (zombie_findings++ == 0) {
        CHECK(f["reaped"] == false);
        CHECK(f["parent"]["pid"] == load);
        CHECK(f["parent"]["waiting_for_other_child"] == true);
        CHECK(f["parent"]["sigchld"] == "default");
        CHECK(f["zombie_ns"].get<uint64_t>() >= 200'000'000);
      } else {
        CHECK(f["reaped"] == true);
        CHECK(f["reaper"]["pid"] == load);
        CHECK(f["zombie_ns"].get<uint64_t>() >= 500'000'000);
      }
    } else {
      ++other_findings;
    }
  }
  CHECK(orphan_findings == 1);
  CHECK(zombie_findings == 2);
  CHECK(other_findings == 0);

  std::string page = http_get(port, "/metrics");
  std::string page_path = events + ".metrics";
  std::ofstream(page_path) << page;
  std::string promtool_out;
  CHECK(run_capture({"sh", "-c", std::string(PROCLIFE_PROMTOOL) + " check metrics < " + page_path}, promtool_out) ==
        0);
  INFO(promtool_out);
  INFO(page);
  CHECK(sample(page, "proclife_forks_total") == 8);
  CHECK(sample(page, "proclife_execs_total") == 1);
  CHECK(sample(page, "proclife_exits_total{kind=\"code0\"}") == 6);
  CHECK(sample(page, "proclife_exits_total{kind=\"nonzero\"}") == 1);
  CHECK(sample(page, "proclife_exits_total{kind=\"signal\"}") == 1);
  CHECK(sample(page, "proclife_reaps_total{via=\"wait4\"}") == 8);
  CHECK(sample(page, "proclife_reaps_total{via=\"waitid\"}") == 0);
  CHECK(sample(page, "proclife_reaps_total{via=\"autoreap\"}") == 0);
  CHECK(sample(page, "proclife_reaps_total{via=\"released\"}") == 0);
  CHECK(sample(page, "proclife_orphans_total") == 1);
  CHECK(sample(page, "proclife_findings_total{kind=\"zombie\"}") == 2);
  CHECK(sample(page, "proclife_findings_total{kind=\"orphan\"}") == 1);
  CHECK(sample(page, "proclife_findings_total{kind=\"slow_reap\"}") == 0);
  CHECK(sample(page, "proclife_lost_events_total") == 0);
  CHECK(sample(page, "proclife_decode_errors_total") == 0);
  CHECK(sample(page, "proclife_zombie_seconds_count") == 8);
  double sigchld = 0;
  for (const char* result : {"delivered", "ignored", "pending", "overflow", "lose_info"})
    sigchld += sample(page, std::string("proclife_sigchld_total{result=\"") + result + "\"}");
  CHECK(sigchld == 8);

  auto before = Clock::now();
  REQUIRE(kill(monitor, SIGTERM) == 0);
  REQUIRE(waitpid(monitor, &status, 0) == monitor);
  double took = std::chrono::duration<double>(Clock::now() - before).count();
  CHECK(took < 1.0);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  run_capture({"bpftool", "link", "show"}, links);
  for (const auto& id : ids) CHECK_FALSE(bpftool_lists_link(links, id));
  unlink(events.c_str());
  unlink(log.c_str());
  unlink(page_path.c_str());
}

TEST_CASE("monitor: a taken metrics port is one clear error line, before anything is attached", "[monitor]") {
  require_root();
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(listen(fd, 1) == 0);
  socklen_t len = sizeof addr;
  REQUIRE(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  std::string taken = "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  std::string output;
  int status = run_capture({PROCLIFE_BIN, "monitor", "--metrics-address", taken}, output);
  close(fd);
  CHECK(status != 0);
  CHECK(output == "proclife monitor: cannot listen on " + taken + ": Address already in use\n");
}

namespace {

// The names of the BPF programs behind a process's links (bpftool truncates
// them to 15 characters).
std::vector<std::string> attached_program_names(pid_t pid) {
  std::vector<std::string> names;
  std::string dir = "/proc/" + std::to_string(pid) + "/fdinfo/";
  for (int fd = 0; fd < 1024; ++fd) {
    std::ifstream in(dir + std::to_string(fd));
    bool link = false;
    std::string prog_id;
    for (std::string line; std::getline(in, line);) {
      if (line.rfind("link_id:", 0) == 0) link = true;
      if (line.rfind("prog_id:", 0) == 0) prog_id = std::to_string(std::stoul(line.substr(8)));
    }
    if (!link || prog_id.empty()) continue;
    std::string shown;
    run_capture({"bpftool", "prog", "show", "id", prog_id}, shown);
    std::smatch name;
    if (std::regex_search(shown, name, std::regex("name (\\S+)"))) names.push_back(name[1]);
  }
  return names;
}

// Forks a child into the cgroup that exits with `code`, and reaps it.
void run_in_cgroup(const TestCgroup& cgroup, int code) {
  pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    std::ofstream(cgroup.dir + "/cgroup.procs") << getpid() << std::flush;
    _exit(code);
  }
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
}

std::vector<Json> lifetimes_with_code(const std::string& path, int code) {
  std::vector<Json> out;
  for (auto& rec : records(path))
    if (rec["type"] == "lifetime" && rec["exit"]["code"] == code) out.push_back(rec);
  return out;
}

}  // namespace

TEST_CASE("monitor --precise-reaping=off: no syscall hook, reaps marked approximate, and SIGHUP reopens the events file",
          "[monitor]") {
  require_root();
  TestCgroup cgroup;
  std::string events = "/tmp/proclife-ktest-monitor-off-" + std::to_string(getpid()) + ".ndjson";
  std::string rotated = events + ".1", log = events + ".log";
  unlink(events.c_str());
  unlink(rotated.c_str());
  pid_t monitor = spawn({PROCLIFE_BIN, "monitor", "--precise-reaping=off", "--events", events, "--metrics-address",
                         "", "--retention", "0.1", "--cgroup", cgroup.relative},
                        log);
  REQUIRE(eventually([&] { return !records(events).empty(); }, 15));
  INFO(slurp(log));
  Json start = records(events).front();
  REQUIRE(start["type"] == "start");
  CHECK(start["precise_reaping"] == false);
  CHECK(start["reap_source"] == "none");
  auto programs = attached_program_names(monitor);
  std::string listed;
  for (const auto& name : programs) listed += name + " ";
  INFO(listed);
  CHECK(programs.size() >= 6);
  for (const auto& name : programs) {
    CHECK(name.find("sys_exit") == std::string::npos);
    CHECK(name.find("sys_enter") == std::string::npos);
    CHECK(name.rfind("handle_kernel_w", 0) != 0);  // fexit on kernel_wait4/kernel_waitid
  }

  run_in_cgroup(cgroup, 41);
  REQUIRE(eventually([&] { return !lifetimes_with_code(events, 41).empty(); }, 10));
  Json first = lifetimes_with_code(events, 41).front();
  CHECK(first["reap_time_exact"] == false);
  CHECK(first["reaper_pid"] == getpid());

  // logrotate's way: rename, then SIGHUP; the monitor writes to a new file.
  REQUIRE(rename(events.c_str(), rotated.c_str()) == 0);
  REQUIRE(kill(monitor, SIGHUP) == 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  run_in_cgroup(cgroup, 42);
  REQUIRE(eventually([&] { return !lifetimes_with_code(events, 42).empty(); }, 10));
  CHECK(lifetimes_with_code(rotated, 42).empty());
  CHECK(lifetimes_with_code(events, 41).empty());
  CHECK(lifetimes_with_code(rotated, 41).size() == 1);

  int status = 0;
  REQUIRE(kill(monitor, SIGTERM) == 0);
  REQUIRE(waitpid(monitor, &status, 0) == monitor);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  for (const auto& path : {events, rotated, log}) unlink(path.c_str());
}

TEST_CASE("monitor --max-live: past the cap the oldest entries are evicted and counted, and the monitor goes on",
          "[monitor]") {
  require_root();
  constexpr int kSleepers = 1300;  // the host's own processes come on top
  std::string events = "/tmp/proclife-ktest-monitor-cap-" + std::to_string(getpid()) + ".ndjson";
  std::string log = events + ".log";
  unlink(events.c_str());
  pid_t monitor = spawn({PROCLIFE_BIN, "monitor", "--max-live", "1000", "--events", events, "--metrics-address",
                         "127.0.0.1:0"},
                        log);
  REQUIRE(eventually([&] { return !records(events).empty(); }, 15));
  INFO(slurp(log));
  std::string address = records(events).front()["metrics_address"];
  uint16_t port = static_cast<uint16_t>(std::stoi(address.substr(address.rfind(':') + 1)));

  int gate[2];
  REQUIRE(pipe(gate) == 0);
  std::vector<pid_t> sleepers;
  for (int i = 0; i < kSleepers; ++i) {
    pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      close(gate[1]);
      char byte;
      (void)!read(gate[0], &byte, 1);
      _exit(0);
    }
    sleepers.push_back(child);
  }
  close(gate[0]);
  std::string page;
  bool evicted = eventually(
      [&] {
        page = http_get(port, "/metrics");
        return sample(page, "proclife_evictions_total") > 0;
      },
      10);
  close(gate[1]);
  for (pid_t child : sleepers) waitpid(child, nullptr, 0);
  INFO(page);
  CHECK(evicted);
  CHECK(sample(page, "proclife_live_processes") <= 1000);
  CHECK(sample(page, "proclife_lost_events_total") == 0);

  int status = 0;
  REQUIRE(kill(monitor, SIGTERM) == 0);
  REQUIRE(waitpid(monitor, &status, 0) == monitor);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  unlink(events.c_str());
  unlink(log.c_str());
}

// Only libbpf's loader has a helper process (probe/loader.hpp): forced here.
TEST_CASE("monitor: libbpf's helper process that loads the probe exits before anything is attached, so it is never "
          "a lifetime",
          "[monitor]") {
  require_root();
  std::string events = "/tmp/proclife-ktest-monitor-loader-" + std::to_string(getpid()) + ".ndjson";
  std::string log = events + ".log";
  unlink(events.c_str());
  pid_t monitor =
      spawn({PROCLIFE_BIN, "monitor", "--events", events, "--metrics-address", "", "--retention", "0.1"}, log,
            {"PROCLIFE_LOADER=libbpf"});
  REQUIRE(eventually([&] { return !records(events).empty(); }, 15));
  INFO(slurp(log));
  // One process of ours, so that lifetimes are known to be written.
  pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) _exit(44);
  REQUIRE(waitpid(child, nullptr, 0) == child);
  REQUIRE(eventually([&] { return !lifetimes_with_code(events, 44).empty(); }, 10));

  int status = 0;
  REQUIRE(kill(monitor, SIGTERM) == 0);
  REQUIRE(waitpid(monitor, &status, 0) == monitor);
  CHECK(WIFEXITED(status));
  size_t lifetimes = 0;
  for (auto& rec : records(events)) {
    if (rec["type"] != "lifetime") continue;
    ++lifetimes;
    INFO(rec.dump());
    CHECK(rec["parent_pid"] != monitor);
  }
  CHECK(lifetimes > 0);
  for (const auto& path : {events, log}) unlink(path.c_str());
}
