#include "explain.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <ostream>

#include "escape.hpp"
#include "format.hpp"
#include "render_common.hpp"
#include "stack_text.hpp"
#include "tree.hpp"
#include "verdict.hpp"

namespace proclife {
namespace {

std::string options_text(const WaitCall& call) {
  struct Flag {
    uint32_t bit;
    const char* name;
  };
  static constexpr Flag flags[] = {{kernel::kWnohang, "WNOHANG"},       {kernel::kWuntraced, "WUNTRACED"},
                                   {kernel::kWexited, "WEXITED"},       {kernel::kWcontinued, "WCONTINUED"},
                                   {kernel::kWnowait, "WNOWAIT"},       {kernel::kWnothread, "__WNOTHREAD"},
                                   {kernel::kWall, "__WALL"},           {kernel::kWclone, "__WCLONE"}};
  std::string out;
  for (const auto& flag : flags) {
    if (!(call.options & flag.bit)) continue;
    if (!out.empty()) out += '|';
    out += flag.name;
  }
  return out.empty() ? "0" : out;
}

std::string target_text(const WaitCall& call) {
  if (call.syscall == WaitSyscall::wait4) {
    if (call.which == -1) return "-1";
    if (call.which == 0) return "0 (own process group)";
    if (call.which < -1) return fmt::format("{} (process group {})", call.which, -call.which);
    return std::to_string(call.which);
  }
  switch (call.which) {
    case kernel::kPAll: return "P_ALL";
    case kernel::kPPid: return fmt::format("P_PID, {}", call.id);
    case kernel::kPPgid: return fmt::format("P_PGID, {}", call.id);
    case kernel::kPPidfd: return fmt::format("P_PIDFD, fd {}", call.id);
  }
  return fmt::format("idtype {}, {}", call.which, call.id);
}

}  // namespace

std::string describe_wait_call(const WaitCall& call) {
  return fmt::format("{}({}, {})", wait_syscall_name(call.syscall), target_text(call), options_text(call));
}

namespace {

// Could this call have reported `child`? Used to tell a child's own story
// out of a parent that waits for several.
bool may_target(const WaitCall& call, const Process& child) {
  if (call.syscall == WaitSyscall::wait4)
    return call.which <= 0 || static_cast<uint32_t>(call.which) == child.ns_pid ||
           static_cast<uint32_t>(call.which) == child.key.pid;
  if (call.which == kernel::kPPid)
    return static_cast<uint32_t>(call.id) == child.ns_pid || static_cast<uint32_t>(call.id) == child.key.pid;
  return true;  // P_ALL, P_PGID, P_PIDFD: cannot tell without more state
}

struct ChildWaits {
  std::vector<const WaitCall*> polls;  // WNOHANG calls that found nothing
  const WaitCall* reaping = nullptr;
};

ChildWaits waits_for(const Process& parent, const Process& child) {
  ChildWaits out;
  uint64_t from = child.fork_ns.value_or(0);
  for (const auto& call : parent.rare().wait_calls) {
    if (call.exit_ns < from || !may_target(call, child)) continue;
    if (call.reaped && *call.reaped == child.key) {
      out.reaping = &call;
      break;
    }
    if ((call.options & kernel::kWnohang) && call.ret == 0 && call.report == WaitReport::none) out.polls.push_back(&call);
  }
  return out;
}

std::string sigchld_text(const Graph& graph, const Process& child) {
  const auto& sig = child.sigchld;
  if (!sig) {
    if (child.reap && child.reap->via == ReapVia::autoreap)
      return "no SIGCHLD was sent (its parent set SIGCHLD to SIG_IGN)";
    return child.exit_signal == kernel::kSigchld ? "no SIGCHLD was seen"
                                                 : fmt::format("it was made to signal {} at exit, not SIGCHLD",
                                                               child.exit_signal ? signal_name(child.exit_signal) : "nothing");
  }
  std::string when = format_offset(graph.rel(sig->generated_ns));
  switch (sig->result) {
    case SigchldResult::ignored:
      return fmt::format("SIGCHLD was generated at {} and discarded ({})", when,
                         child.parent_sigchld == SigchldDisposition::default_action
                             ? "the parent's disposition is the default, ignore"
                             : "the parent was exiting itself");
    case SigchldResult::overflow:
      return fmt::format("SIGCHLD was generated at {} but the signal queue overflowed", when);
    default: break;
  }
  std::string text = sig->result == SigchldResult::pending ? fmt::format("SIGCHLD was generated at {} while one was already pending (one signal for several children)", when)
                                      : fmt::format("SIGCHLD was generated at {}", when);
  if (!sig->delivered_ns)
    return text + " and was not seen delivered to a handler (taken with signalfd or sigwait, or still pending)";
  const char* handler = sig->disposition == SigchldDisposition::default_action ? "the default action"
                        : sig->disposition == SigchldDisposition::ignore       ? "SIG_IGN"
                                                                               : "its handler";
  std::string flags;
  if (sig->sa_flags & kernel::kSaNocldwait) flags += " SA_NOCLDWAIT";
  if (sig->sa_flags & kernel::kSaSiginfo) flags += " SA_SIGINFO";
  if (sig->sa_flags & kernel::kSaRestart) flags += " SA_RESTART";
  auto delay = elapsed(sig->generated_ns, *sig->delivered_ns);
  return text + fmt::format(" and delivered {} to {}{}",
                            delay ? format_duration(*delay) + " later" : "at " + format_offset(graph.rel(*sig->delivered_ns)),
                            handler, flags.empty() ? "" : " (" + flags.substr(1) + ")");
}

// The reaping wait began after SIGCHLD reached a handler: the usual shape of
// a handler (or the loop it wakes) that reaps with WNOHANG.
bool handled_first(const Process& child, uint64_t wait_enter_ns) {
  const auto& sig = child.sigchld;
  return sig && sig->delivered_ns && sig->disposition == SigchldDisposition::handler && wait_enter_ns >= *sig->delivered_ns;
}

// How its reaper waited for it. The short forms (auto-reaped, released, an
// exit not seen, times that disagree) are the sentence every report tells.
std::string reap_text(const Graph& graph, const Process* parent, const Process& child, const TraceWindow& window) {
  const auto& reap = child.reap;
  auto zombie = zombie_for_ns(child, window);
  if (reap->via == ReapVia::autoreap || reap->via == ReapVia::released || !zombie)
    return reap_sentence(graph, child, window);
  std::string reaper = describe_reaper(graph, *reap);
  std::string text;
  const WaitCall* call = nullptr;
  ChildWaits waits;
  if (parent && reap->reaper && *reap->reaper == parent->key) {
    waits = waits_for(*parent, child);
    call = waits.reaping;
  }
  if (!waits.polls.empty())
    text += fmt::format("{} polled {} time{} with WNOHANG and found nothing; then ", reaper, waits.polls.size(),
                        waits.polls.size() == 1 ? "" : "s");
  std::string how = call ? describe_wait_call(*call) : std::string(reap_via_name(reap->via));
  if (!reap->wait_enter_ns)
    return text + fmt::format("{} reaped it with {} (when that call began was not seen); a zombie for {}",
                              text.empty() ? reaper : "it", how, format_duration(*zombie));
  uint64_t enter = *reap->wait_enter_ns;
  uint64_t zombie_since = *child.zombie_since_ns();
  if (enter <= zombie_since && !reap->wnohang)
    text += fmt::format("{} was already blocked in {}{}, which returned its pid", text.empty() ? reaper : "it", how,
                        [&]() -> std::string {
                          auto before = window.span(enter, zombie_since);
                          return before ? fmt::format(" (for {} before it became a zombie)", format_duration(*before)) : "";
                        }());
  else
    text += fmt::format("{} came back {} after it became a zombie{} and reaped it with {}", text.empty() ? reaper : "it",
                        format_duration(window.span(zombie_since, std::max(enter, zombie_since))),
                        handled_first(child, enter) ? ", once its SIGCHLD handler had run," : "", how);
  return text + fmt::format("; a zombie for {}", format_duration(*zombie));
}

std::string stops_text(const Graph& graph, const Process& child) {
  std::string text;
  for (const auto& stop : child.rare().stop_signals) {
    const char* what = stop.info_code == kernel::kCldContinued ? "continued" : stop.info_code == kernel::kCldTrapped ? "trapped" : "stopped";
    text += fmt::format("{} at {} (SIGCHLD {}), ", what, format_offset(graph.rel(stop.ns)), sigchld_result_name(stop.result));
  }
  return text;
}

void explain_child(const Graph& graph, const Process* parent, const Process& child, const TraceWindow& window,
                   uint64_t cmd_end, std::ostream& out) {
  out << "  - " << describe_process(child);
  if (const auto& orphaned = child.rare().orphaned) {
    out << fmt::format(": orphaned at {} when {} died, adopted by {}", format_offset(graph.rel(orphaned->ns)),
                       describe_pid(orphaned->old_parent.pid, parent ? parent->comm : ""),
                       describe_pid(orphaned->new_parent.pid, orphaned->new_parent_comm));
    out << (child.exit ? ";" : ".");
  }
  if (!child.exit && child.reap) {
    out << " its exit was not seen (events lost); " << reap_sentence(graph, child, window) << ".\n";
    return;
  }
  if (!child.exit) {
    out << " still running when the trace ended" << (leaked(graph, child, cmd_end) ? " (leaked).\n" : ".\n");
    return;
  }
  out << fmt::format(" {}{} at {}; {}; ", stops_text(graph, child), describe_exit(child.exit->status()),
                     format_offset(graph.rel(child.exit->ns)),
                     sigchld_text(graph, child));
  if (!child.reap) {
    out << "nobody reaped it: " << reap_sentence(graph, child, window) << ".\n";
    return;
  }
  out << reap_text(graph, parent, child, window) << ".\n";
}

// --stacks: where in the program the parent forked the child, polled for
// it and reaped it. Nothing without stacks.
void explain_call_sites(const Graph& graph, const Process& parent, const Process& child, std::ostream& out) {
  if (child.rare().fork_stack)
    out << fmt::format("    {} by {}, called from\n{}", clone_kind_name(child), describe_process(parent),
                       wrap_stack(*child.rare().fork_stack, "      "));
  ChildWaits waits = waits_for(parent, child);
  // Polls from one place in a loop read as one line.
  constexpr size_t kPollFrames = 4;
  std::vector<std::pair<std::string, size_t>> poll_sites;
  for (const WaitCall* call : waits.polls) {
    if (!call->stack) continue;
    std::string chain = stack_chain(*call->stack, kPollFrames);
    auto site = std::find_if(poll_sites.begin(), poll_sites.end(), [&](const auto& seen) { return seen.first == chain; });
    if (site == poll_sites.end()) poll_sites.emplace_back(std::move(chain), 1);
    else site->second++;
  }
  // A few places per child: a parent's polls are told again for each child.
  constexpr size_t kPollSites = 3;
  size_t elsewhere = 0;
  for (size_t i = 0; i < poll_sites.size(); ++i) {
    if (i >= kPollSites) {
      elsewhere += poll_sites[i].second;
      continue;
    }
    out << fmt::format("    {} polled {}x with WNOHANG from {}\n", describe_process(parent), poll_sites[i].second,
                       poll_sites[i].first);
  }
  if (elsewhere)
    out << fmt::format("    and {}x more from {} other places\n", elsewhere, poll_sites.size() - kPollSites);
  const WaitCall* call = reaping_call(graph, child);
  if (!call || !call->stack) return;
  std::string reaper = describe_reaper(graph, *child.reap);
  std::string how = describe_wait_call(*call);
  if (call->options & kernel::kWnohang)
    out << fmt::format("    {} reaped it with {}, called from\n", reaper, how);
  else
    out << fmt::format("    {} blocked {} in {}, called from\n", reaper,
                       format_duration(elapsed(call->enter_ns, call->exit_ns)), how);
  out << wrap_stack(*call->stack, "      ");
}

void explain_parent(const Graph& graph, const Process& parent, const std::vector<size_t>& children,
                    const TraceWindow& window, uint64_t cmd_end, std::ostream& out) {
  const WaitStats& waits = parent.rare().waits;
  out << fmt::format("{} made {} child process{}", describe_process(parent), children.size(),
                     children.size() == 1 ? "" : "es");
  if (waits.calls)
    out << fmt::format(" and called wait {} time{} ({} WNOHANG poll{} found nothing; {} blocked in wait)", waits.calls,
                       waits.calls == 1 ? "" : "s", waits.wnohang_polls, waits.wnohang_polls == 1 ? "" : "s",
                       format_duration(waits.blocked_ns <= window.length() ? std::optional(waits.blocked_ns)
                                                                           : std::nullopt));
  else
    out << " and never called wait4 or waitid";
  if (parent.exit)
    out << fmt::format("; it {} at {}, after {} of its children had been reaped", describe_exit(parent.exit->status()),
                       format_offset(graph.rel(parent.exit->ns)),
                       [&] {
                         size_t reaped = 0;
                         for (size_t c : children) {
                           const Process& child = graph.processes()[c];
                           reaped += child.reap && child.reap->ns <= parent.exit->ns;
                         }
                         return fmt::format("{}/{}", reaped, children.size());
                       }());
  if (waits.stacks_dropped)
    out << fmt::format(" (the stacks of {} more that reaped nothing were not kept)", waits.stacks_dropped);
  out << ":\n";
  for (size_t c : children) {
    explain_child(graph, &parent, graph.processes()[c], window, cmd_end, out);
    explain_call_sites(graph, parent, graph.processes()[c], out);
  }
}

}  // namespace

void write_explain_report(const Graph& graph, const ReportContext& context, std::ostream& out) {
  out << fmt::format("proclife explains {}\n", shell_join(context.command));
  if (graph.lost_events())
    out << fmt::format("WARNING: {} events were lost; some of this account may be wrong.\n", graph.lost_events());
  if (graph.decode_errors())
    out << fmt::format("WARNING: {} records could not be decoded; some of this account may be wrong.\n",
                       graph.decode_errors());
  if (graph.stacks_not_taken())
    out << fmt::format("note: {} not taken: the ring buffer was over half full, and lifetime events go first.\n",
                       count_of(graph.stacks_not_taken(), "stack was", "stacks were"));
  TraceWindow window = trace_window(graph);
  uint64_t cmd_end = cmd_end_ns(graph);
  ProcessTree tree = build_tree(graph);
  for (size_t root : tree.roots) {
    const Process& process = graph.processes()[root];
    out << '\n';
    out << fmt::format("{} {}:\n", describe_process(process),
                       is_cmd(graph, process) ? "is CMD, started by proclife"
                       : process.pre_existing ? "was running before the trace began"
                                              : "was started by an untraced process");
    explain_child(graph, nullptr, process, window, cmd_end, out);
  }
  for (size_t index : tree_order(tree)) {
    if (tree.children[index].empty()) continue;
    out << '\n';
    explain_parent(graph, graph.processes()[index], tree.children[index], window, cmd_end, out);
  }
}

}  // namespace proclife
