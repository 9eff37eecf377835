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

#include "output.hpp"
#include "pidfd.hpp"
#include "session.hpp"

namespace proclife {
namespace {

struct ProcEntry {
  uint32_t parent_pid = 0;
  std::string comm;
};

// pid -> (ppid, comm) for every process in /proc now. comm sits in
// parentheses and may itself contain ") ", so parse from the last ')'.
std::map<uint32_t, ProcEntry> read_proc_table() {
  std::map<uint32_t, ProcEntry> table;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(entry.path() / "stat");
    std::string stat((std::istreambuf_iterator<char>(in)), {});
    auto open = stat.find('('), close = stat.rfind(')');
    if (open == std::string::npos || close == std::string::npos || close + 4 > stat.size()) continue;
    unsigned parent = 0;
    if (sscanf(stat.c_str() + close + 2, "%*c %u", &parent) != 1) continue;
    table[static_cast<uint32_t>(std::stoul(name))] = {parent, stat.substr(open + 1, close - open - 1)};
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

}  // namespace

int attach_command(const AttachCommand& command) {
  auto target = static_cast<pid_t>(command.pid);
  PidFd pidfd(target);
  if (pidfd.get() < 0) throw std::runtime_error(fmt::format("cannot attach to pid {}: {}", target, strerror(errno)));

  check_distinct_outputs(command.trace.output);
  ReportSink report(command.trace.output, std::cerr);
  std::unique_ptr<std::ofstream> recording;
  if (!command.trace.output.record_path.empty())
    recording = open_output_file(command.trace.output.record_path, "the recording");

  Session session(command.trace);
  GraphOptions options{monotonic_ns(), 0, 0};
  Graph& graph = session.start_graph(options);
  RecordHeader header;
  header.origin_ns = options.origin_ns;
  header.command = {fmt::format("attach -p {}", command.pid)};
  // Follow first, then scan: a child forked in between is caught by the
  // second scan, or by its fork event once its parent is followed.
  std::set<uint32_t> followed;
  for (int scan = 0; scan < 2; ++scan) {
    auto table = read_proc_table();
    if (!table.count(command.pid)) break;
    for (uint32_t pid : subtree(table, command.pid)) {
      if (pid == session.self_pid() || !followed.insert(pid).second) continue;
      session.probe().track(static_cast<pid_t>(pid));
      graph.seed_pre_existing(pid, table[pid].parent_pid, table[pid].comm);
      header.pre_existing.push_back({pid, table[pid].parent_pid, table[pid].comm});
    }
  }
  // Nothing is consumed before follow(): the recording misses no event.
  if (recording) session.record_to(std::move(recording), header);
  std::cerr << fmt::format("proclife: attached to {} process{} under pid {}; Ctrl-C stops\n", followed.size(),
                           followed.size() == 1 ? "" : "es", command.pid);

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
