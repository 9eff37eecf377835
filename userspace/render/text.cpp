#include <fmt/format.h>

#include <ostream>

#include "escape.hpp"
#include "format.hpp"
#include "render_common.hpp"
#include "report.hpp"
#include "stack_text.hpp"
#include "tree.hpp"
#include "verdict.hpp"

namespace proclife {
namespace {

std::string short_argv(const Process& process) {
  return process.execs.empty() ? "" : " `" + last_argv(process) + "`";
}

// --stacks: " (fork in main (app.py:9))", the innermost frame that means
// something; nothing without a stack.
std::string site_text(std::string_view call, const Boxed<Stack>& stack) {
  const Frame* frame = stack ? innermost_frame(*stack) : nullptr;
  return frame ? fmt::format(" ({} in {})", call, frame_text(*frame)) : "";
}

std::string describe_line(const Graph& graph, const Process& process, const TraceWindow& window, uint64_t cmd_end) {
  std::string line = describe_process(process);
  if (std::string flags = flag_words(verdict(graph, process, cmd_end)); !flags.empty()) line += " [" + flags + "]";
  line += short_argv(process);
  uint64_t start = process.fork_ns.value_or(process.key.start_ns);
  if (start) line += fmt::format(" {}", format_offset(graph.rel(start)));
  line += site_text(clone_kind_name(process), process.rare().fork_stack);
  if (process.pre_existing) line += " (pre-existing)";
  if (process.threads > 1) line += fmt::format(" [{} threads]", process.threads);
  if (process.exit) {
    if (auto ran = ran_ns(process, window))
      line += fmt::format(", ran {}{}", start < window.begin ? "at least " : "", format_duration(*ran));
    line += ", " + describe_exit(process.exit->status());
    if (const auto& killer = process.rare().killed_by)
      line += " from " + describe_sender(*killer);
  }
  line += ", " + reap_sentence(graph, process, window);
  if (const WaitCall* call = reaping_call(graph, process))
    line += site_text(wait_syscall_name(call->syscall), call->stack);
  else if (!process.exit && !process.rare().open_waits.empty())
    line += site_text("wait", process.rare().open_waits.front().stack);
  if (const auto& orphan = process.rare().orphaned)
    line += fmt::format("; orphaned at {}, adopted by {}", format_offset(graph.rel(orphan->ns)),
                        describe_pid(orphan->new_parent.pid, orphan->new_parent_comm));
  return line;
}

struct TextWriter {
  const Graph& graph;
  TraceWindow window;
  uint64_t cmd_end;
  std::ostream& out;

  std::string line(const Process& process) const { return describe_line(graph, process, window, cmd_end); }
  void tree(const ProcessTree& tree, size_t index, const std::string& prefix, bool last, bool root) const {
    const std::string branch = root ? "" : (last ? "└─ " : "├─ ");
    out << prefix << branch << line(graph.processes()[index]) << '\n';
    const std::string child_prefix = root ? prefix : prefix + (last ? "   " : "│  ");
    const auto& children = tree.children[index];
    for (size_t i = 0; i < children.size(); ++i)
      this->tree(tree, children[i], child_prefix, i + 1 == children.size(), false);
  }

  template <typename Predicate>
  void problem_list(const char* title, Predicate listed) const {
    bool any = false;
    for (const auto& process : graph.processes()) {
      if (!listed(verdict(graph, process, cmd_end), process)) continue;
      if (!any) out << title << '\n';
      any = true;
      out << "  " << line(process) << '\n';
    }
    if (any) out << '\n';
  }
};

}  // namespace

void write_text_report(const Graph& graph, const ReportContext& context, std::ostream& out) {
  size_t threads = 0;
  for (const auto& process : graph.processes()) threads += process.threads;
  TextWriter writer{graph, trace_window(graph), cmd_end_ns(graph), out};
  out << fmt::format("proclife: {}: {} ({} in all), {} traced\n", shell_join(context.command),
                     count_of(graph.processes().size(), "process", "processes"), count_of(threads, "thread", "threads"), format_duration(writer.window.length()));
  if (graph.lost_events())
    out << fmt::format("WARNING: {} lost in the kernel (ring buffer or traced table full); parts of this report may "
                       "be wrong.\n",
                       count_of(graph.lost_events(), "event was", "events were"));
  if (graph.decode_errors())
    out << fmt::format("WARNING: {} records could not be decoded; parts of this report may be wrong.\n",
                       graph.decode_errors());
  if (graph.stacks_not_taken())
    out << fmt::format("note: {} not taken: the ring buffer was over half full, and lifetime events go first.\n",
                       count_of(graph.stacks_not_taken(), "stack was", "stacks were"));
  out << '\n';
  // Without a CMD (attach), running at the end is no leak, just where the trace stopped.
  writer.problem_list("LEAKED: still running when CMD exited",
                      [](const Verdict& verdict, const Process&) { return verdict.leaked; });
  writer.problem_list("STILL RUNNING when the trace ended", [](const Verdict& verdict, const Process& process) {
    return !verdict.leaked && process.end_state() == EndState::running;
  });
  writer.problem_list("ZOMBIES: exited, never reaped",
                      [](const Verdict& verdict, const Process&) { return verdict.zombie; });
  ProcessTree tree = build_tree(graph);
  for (size_t root : tree.roots) writer.tree(tree, root, "", true, true);
}

}  // namespace proclife
