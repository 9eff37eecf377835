#include "attach.hpp"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <stdexcept>

#include "escape.hpp"
#include "output.hpp"
#include "pidfd.hpp"
#include "proc_identity.hpp"
#include "session.hpp"

namespace proclife {
namespace {

struct ProcEntry {
  uint32_t parent_pid = 0;
  std::string comm;
  char state = '?';
};

// pid -> (ppid, comm) for every process in /proc now. comm sits in
// parentheses and may itself contain ") ", so parse from the last ')'.
std::map<uint32_t, ProcEntry> read_proc_table() {
  std::map<uint32_t, ProcEntry> table;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(entry.path() / "stat");
    std::string stat;
    try {
      stat.assign(std::istreambuf_iterator<char>(in), {});
    } catch (const std::ios_base::failure&) {
      continue;  // ESRCH: it exited while we read
    }
    auto open = stat.find('('), close = stat.rfind(')');
    if (open == std::string::npos || close == std::string::npos || close + 4 > stat.size()) continue;
    unsigned parent = 0;
    char state = '?';
    if (sscanf(stat.c_str() + close + 2, "%c %u", &state, &parent) != 2) continue;
    table[static_cast<uint32_t>(std::stoul(name))] = {parent, stat.substr(open + 1, close - open - 1), state};
  }
  return table;
}

// PID and its descendants, parents before children.
std::vector<uint32_t> subtree(const std::map<uint32_t, ProcEntry>& table, uint32_t root) {
  std::multimap<uint32_t, uint32_t> children;
  for (const auto& [pid, entry] : table) children.emplace(entry.parent_pid, pid);
  std::vector<uint32_t> order{root};
  for (size_t i = 0; i < order.size(); ++i) {
    auto [begin, end] = children.equal_range(order[i]);
    for (auto it = begin; it != end; ++it) order.push_back(it->second);
  }
  return order;
}

constexpr uint32_t kPfKthread = 0x00200000;  // include/linux/sched.h

// The thread group a task id belongs to (Tgid in /proc/ID/status), 0 if none.
uint32_t thread_group_of(pid_t id) {
  std::ifstream status("/proc/" + std::to_string(id) + "/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("Tgid:", 0) == 0) return static_cast<uint32_t>(std::stoul(line.substr(5)));
  return 0;
}

// Why PID cannot be attached to, in one line; "" when it can. A thread id is
// refused (naming its process) rather than quietly widened to the process.
std::string refusal(pid_t target) {
  auto stat = read_proc_stat(target);
  if (!stat) return fmt::format("no process {}", target);
  uint32_t tgid = thread_group_of(target);
  if (tgid && tgid != static_cast<uint32_t>(target))
    return fmt::format("{} is a thread of process {}: attach -p {}", target, tgid, tgid);
  if (stat->flags & kPfKthread)
    return fmt::format("{} ({}) is a kernel thread: it makes no processes to trace", target, printable(stat->comm));
  if (stat->state == 'Z' || stat->state == 'X')
    return fmt::format("{} ({}) has exited (a zombie its parent {} has not reaped): nothing left to trace", target,
                       printable(stat->comm), stat->parent_pid);
  // proclife inside its own subtree would trace itself, which the probe
  // leaves out: the subtree's end would never come.
  for (pid_t pid = getpid(); pid > 0;) {
    if (pid == target)
      return fmt::format("{} is {}: proclife cannot trace a tree it is part of", target,
                         pid == getpid() ? "proclife itself" : "an ancestor of proclife");
    auto up = read_proc_stat(pid);
    if (!up) break;
    pid = static_cast<pid_t>(up->parent_pid);
  }
  return {};
}

}  // namespace

int attach_command(const AttachCommand& command) {
  auto target = static_cast<pid_t>(command.pid);
  if (std::string why = refusal(target); !why.empty()) throw std::runtime_error("cannot attach: " + why);
  PidFd pidfd(target);
  if (pidfd.get() < 0) throw std::runtime_error(fmt::format("cannot attach to pid {}: {}", target, strerror(errno)));

  check_distinct_outputs(command.trace.output);
  ReportSink report(command.trace.output, std::cerr);
  std::unique_ptr<std::ofstream> recording;
  if (!command.trace.output.record_path.empty())
    recording = open_output_file(command.trace.output.record_path, "the recording");

  Session session(command.trace);
  GraphOptions options{monotonic_ns(), 0, 0};
  Graph& graph = session.configure_graph(options);
  RecordHeader header;
  header.origin_ns = options.origin_ns;
  header.command = {fmt::format("attach -p {}", command.pid)};
  // Follow first, then scan: a child forked in between is caught by the
  // second scan, or by its fork event once its parent is followed.
  std::set<uint32_t> followed, zombies;
  for (int scan = 0; scan < 2; ++scan) {
    auto table = read_proc_table();
    if (!table.count(command.pid)) break;
    for (uint32_t pid : subtree(table, command.pid)) {
      if (pid == session.self_pid() || followed.count(pid)) continue;
      // Already exited: following it would report it "running".
      if (table[pid].state == 'Z' || table[pid].state == 'X') {
        zombies.insert(pid);
        continue;
      }
      followed.insert(pid);
      session.probe().track(static_cast<pid_t>(pid));
      if (session.stacks()) session.stacks()->seed(static_cast<pid_t>(pid));
      graph.seed_pre_existing(pid, table[pid].parent_pid, table[pid].comm);
      header.pre_existing.push_back({pid, table[pid].parent_pid, table[pid].comm});
    }
  }
  // Nothing is consumed before follow(): the recording misses no event.
  if (recording) session.record_to(std::move(recording), header);
  std::cerr << fmt::format("proclife: attached to {} process{} under pid {}{}; Ctrl-C stops\n", followed.size(),
                           followed.size() == 1 ? "" : "es", command.pid,
                           zombies.empty() ? ""
                                           : fmt::format(" (not {} zombie{} already exited)", zombies.size(),
                                                         zombies.size() == 1 ? "" : "s"));

  std::optional<uint64_t> deadline;
  if (command.duration_s) deadline = monotonic_ns() + static_cast<uint64_t>(*command.duration_s * 1e9);
  session.follow(nullptr, pidfd.get(), deadline);
  session.settle_reaps();
  session.finish();
  std::string report_error = report.write(graph, ReportContext{header.command});
  if (report_error.empty()) return 0;
  std::cerr << "proclife: " << report_error << '\n';
  return kExitProclifeError;
}

}  // namespace proclife
