#include <fmt/format.h>

#include <ostream>

#include "escape.hpp"
#include "format.hpp"
#include "report.hpp"
#include "tree.hpp"
#include "verdict.hpp"

namespace proclife {
namespace {

constexpr size_t kMaxArgvWidth = 72;

std::string short_argv(const Process& process) {
  return process.execs.empty() ? "" : " `" + last_argv(process, kMaxArgvWidth) + "`";
}

std::string describe_reap(const Graph& graph, const Process& process) {
  const auto& reap = process.reap;
  if (!reap) {
    if (!process.exit && !process.open_waits.empty()) {
      const OpenWait& wait = process.open_waits.front();
      return fmt::format("still running at the end, blocked in wait for {} since {}",
                         wait.target_pid ? fmt::format("id {}", wait.target_pid) : std::string("any child"),
                         format_offset(graph.rel(wait.since_ns)));
    }
    if (!process.exit) return "still running at the end";
    return fmt::format("never reaped: a zombie for {} at the end",
                       format_duration(graph.end_ns() > process.exit->ns ? graph.end_ns() - process.exit->ns : 0));
  }
  // The reaper's last known name: it may have exec'd or renamed itself since.
  const Process* traced_reaper = reap->reaper ? graph.find(*reap->reaper) : nullptr;
  std::string reaper = describe_pid(reap->reaper_pid, traced_reaper ? traced_reaper->comm : reap->reaper_comm);
  switch (reap->via) {
    case ReapVia::autoreap:
      return fmt::format("auto-reaped at exit (parent {} {})", reaper,
                         reap->parent_ignores_sigchld ? "ignores SIGCHLD" : "set SA_NOCLDWAIT");
    case ReapVia::released:
      return fmt::format("released by {} within {} (its wait was not traced)", reaper,
                         format_duration(*process.zombie_ns()));
    default:
      return fmt::format("reaped by {} via {} after {}", reaper, reap_via_name(reap->via),
                         format_duration(*process.zombie_ns()));
  }
}

std::string describe_line(const Graph& graph, const Process& process) {
  std::string line = describe_process(process) + short_argv(process);
  uint64_t start = process.fork_ns.value_or(process.key.start_ns);
  if (start) line += fmt::format(" {}", format_offset(graph.rel(start)));
  if (process.pre_existing) line += " (pre-existing)";
  if (process.threads > 1) line += fmt::format(" [{} threads]", process.threads);
  if (process.exit) {
    if (start) line += fmt::format(", ran {}", format_duration(process.exit->ns - start));
    line += ", " + describe_exit(process.exit->status);
    if (const auto& killer = process.exit->killed_by)
      line += " from " + describe_sender(*killer);
  }
  line += ", " + describe_reap(graph, process);
  if (const auto& orphan = process.orphaned)
    line += fmt::format("; orphaned at {}, adopted by {}", format_offset(graph.rel(orphan->ns)),
                        describe_pid(orphan->new_parent.pid, orphan->new_parent_comm));
  return line;
}

void write_tree(const Graph& graph, const ProcessTree& tree, size_t index, const std::string& prefix, bool last,
                bool root, std::ostream& out) {
  const std::string branch = root ? "" : (last ? "└─ " : "├─ ");
  out << prefix << branch << describe_line(graph, graph.processes()[index]) << '\n';
  const std::string child_prefix = root ? prefix : prefix + (last ? "   " : "│  ");
  const auto& children = tree.children[index];
  for (size_t i = 0; i < children.size(); ++i)
    write_tree(graph, tree, children[i], child_prefix, i + 1 == children.size(), false, out);
}

void write_problem_list(const Graph& graph, EndState state, const char* title, std::ostream& out) {
  bool any = false;
  for (const auto& process : graph.processes()) {
    if (process.end_state() != state) continue;
    if (!any) out << title << '\n';
    any = true;
    out << "  " << describe_line(graph, process) << '\n';
  }
  if (any) out << '\n';
}

}  // namespace

void write_text_report(const Graph& graph, const ReportContext& context, std::ostream& out) {
  size_t threads = 0;
  for (const auto& process : graph.processes()) threads += process.threads;
  out << fmt::format("proclife: {}: {} processes ({} threads in all), {} traced\n", shell_join(context.command),
                     graph.processes().size(), threads,
                     format_duration(graph.end_ns() > graph.origin_ns() ? graph.end_ns() - graph.origin_ns() : 0));
  if (graph.lost_events())
    out << fmt::format("WARNING: {} events were lost (ring buffer full); parts of this report may be wrong.\n",
                       graph.lost_events());
  if (graph.decode_errors())
    out << fmt::format("WARNING: {} records could not be decoded; parts of this report may be wrong.\n",
                       graph.decode_errors());
  out << '\n';
  // Without a CMD (attach), running at the end is no leak, just where the trace stopped.
  write_problem_list(graph, EndState::running,
                     graph.observer_pid() ? "LEAKED: still running when the trace ended"
                                          : "STILL RUNNING when the trace ended",
                     out);
  write_problem_list(graph, EndState::zombie, "ZOMBIES: exited, never reaped", out);
  ProcessTree tree = build_tree(graph);
  for (size_t root : tree.roots) write_tree(graph, tree, root, "", true, true, out);
}

}  // namespace proclife
