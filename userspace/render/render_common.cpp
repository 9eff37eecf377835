#include "render_common.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "format.hpp"

namespace proclife {

uint64_t trace_end_ns(const Graph& graph) {
  uint64_t end = std::max(graph.end_ns(), graph.origin_ns());
  // A graph that was never finish()ed, or events stamped after the end.
  for (const auto& process : graph.processes()) {
    end = std::max(end, process.fork_ns.value_or(0));
    if (!process.execs.empty()) end = std::max(end, process.execs.back().ns);
    if (process.exit) end = std::max(end, process.exit->ns);
    if (process.reap) end = std::max(end, process.reap->ns);
    if (process.sigchld) end = std::max(end, process.sigchld->delivered_ns.value_or(process.sigchld->generated_ns));
    if (!process.rare().wait_calls.empty()) end = std::max(end, process.rare().wait_calls.back().exit_ns);
  }
  return end;
}

Lifetime lifetime(const Graph& graph, const Process& process, uint64_t end_ns) {
  auto clamp = [&](uint64_t ns) { return std::clamp(ns, graph.origin_ns(), end_ns); };
  Lifetime life;
  life.start_ns = clamp(process.fork_ns.value_or(process.key.start_ns));
  life.exited = process.exit.has_value();
  life.reaped = process.reap.has_value();
  uint64_t exit_ns = process.exit ? process.exit->ns : process.reap ? process.reap->ns : end_ns;
  life.exit_ns = std::max(life.start_ns, clamp(exit_ns));
  life.reap_ns = std::max(life.exit_ns, process.reap ? clamp(process.reap->ns) : end_ns);
  return life;
}

std::optional<uint64_t> TraceWindow::span(uint64_t from, uint64_t to) const {
  if (from < begin || to > end) return std::nullopt;
  return elapsed(from, to);
}

TraceWindow trace_window(const Graph& graph) { return {graph.origin_ns(), trace_end_ns(graph)}; }

std::optional<uint64_t> ran_ns(const Process& process, const TraceWindow& window) {
  if (!process.exit && process.reap) return std::nullopt;
  uint64_t start = std::max(process.fork_ns.value_or(process.key.start_ns), window.begin);
  return window.span(start, process.exit ? process.exit->ns : window.end);
}

std::optional<uint64_t> zombie_for_ns(const Process& process, const TraceWindow& window) {
  auto since = process.zombie_since_ns();
  if (!since) return std::nullopt;
  if (!process.reap) return window.span(*since, window.end);
  auto zombie = process.zombie_ns();
  return zombie && window.span(*since, process.reap->ns) ? zombie : std::nullopt;
}

std::string describe_reaper(const Graph& graph, const ReapRecord& reap) {
  const Process* traced = reap.reaper ? graph.find(*reap.reaper) : nullptr;
  return describe_pid(reap.reaper_pid, traced ? traced->comm : reap.reaper_comm);
}

std::string reap_sentence(const Graph& graph, const Process& process, const TraceWindow& window) {
  const auto& reap = process.reap;
  if (!reap) {
    if (process.exit) {
      auto zombie = zombie_for_ns(process, window);
      return zombie ? fmt::format("never reaped: a zombie for {} at the end", format_duration(*zombie))
                    : std::string("never reaped: still a zombie at the end");
    }
    if (process.rare().open_waits.empty()) return "still running at the end";
    const OpenWait& wait = process.rare().open_waits.front();
    return fmt::format("still running at the end, blocked in wait for {} since {}",
                       wait.target_pid ? fmt::format("id {}", wait.target_pid) : std::string("any child"),
                       format_offset(graph.rel(wait.since_ns)));
  }
  std::string reaper = describe_reaper(graph, *reap);
  if (reap->via == ReapVia::autoreap)
    return fmt::format("auto-reaped at exit (parent {} {})", reaper,
                       reap->parent_ignores_sigchld ? "ignores SIGCHLD" : "set SA_NOCLDWAIT");
  std::string how = reap->via == ReapVia::released ? fmt::format("released by {}", reaper)
                                                   : fmt::format("reaped by {} via {}", reaper, reap_via_name(reap->via));
  const char* untraced = reap->via == ReapVia::released ? " (its wait was not traced)" : "";
  auto zombie = zombie_for_ns(process, window);
  if (!process.exit || !zombie)
    return fmt::format("{}{} at {}{}", process.exit ? "" : "exit not seen; ", how, format_offset(graph.rel(reap->ns)),
                       untraced);
  return fmt::format("{} {} {}{}", how, reap->via == ReapVia::released ? "within" : "after", format_duration(*zombie),
                     untraced);
}

std::string exit_text(const Process& process) {
  return process.exit ? describe_exit(process.exit->status()) : "running";
}

std::optional<ProcKey> sigchld_receiver(const Process& process) {
  // Children still unreaped when their parent dies are handed over with it:
  // the SIGCHLD of one that had already exited went to the old parent.
  const auto& orphaned = process.rare().orphaned;
  if (orphaned && process.exit && process.exit->ns <= orphaned->ns) return orphaned->old_parent;
  return process.parent;
}

const WaitCall* reaping_call(const Graph& graph, const Process& process) {
  if (!process.reap || !process.reap->reaper) return nullptr;
  const Process* reaper = graph.find(*process.reap->reaper);
  size_t slot = process.reap->wait_call_slot;
  if (!reaper || slot == 0 || slot > reaper->rare().wait_calls.size()) return nullptr;
  const WaitCall& call = reaper->rare().wait_calls[slot - 1];
  return call.reaped && *call.reaped == process.key ? &call : nullptr;
}

bool reaped_by_stranger(const Process& process) {
  const auto& reap = process.reap;
  if (!reap || reap->reaper_pid == 0) return false;
  if (reap->reaper && process.fork_parent) return *reap->reaper != *process.fork_parent;
  if (reap->reaper || process.fork_parent) return true;
  return reap->reaper_pid != process.fork_parent_pid;
}

}  // namespace proclife
