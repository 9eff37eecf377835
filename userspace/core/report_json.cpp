#include <ostream>

#include "report.hpp"

namespace proclife {
namespace {

using Json = nlohmann::ordered_json;

Json nullable_ns(const Graph& graph, const std::optional<uint64_t>& ns) {
  return ns ? Json(graph.rel(*ns)) : Json(nullptr);
}

const char* handler_name(uint64_t handler) {
  if (handler == 0) return "default";
  if (handler == kernel::kSigIgn) return "ignore";
  return "handler";
}

Json clone_json(const Process& process) {
  Json clone = {{"kind", clone_kind_name(process)}};
  clone["syscall"] = process.clone.syscall ? Json(clone_syscall_name(*process.clone.syscall)) : Json(nullptr);
  clone["flags"] = process.clone.flags;
  return clone;
}

// A signal the kernel generated ran in whatever task was current: no sender pid then.
Json killed_by_json(const Graph& graph, const SignalSender& sender) {
  if (sender.from_kernel) return {{"source", "kernel"}, {"pid", nullptr}, {"tid", nullptr}, {"comm", nullptr},
                                  {"ns", graph.rel(sender.ns)}};
  return {{"source", "process"}, {"pid", sender.pid}, {"tid", sender.tid}, {"comm", sender.comm},
          {"ns", graph.rel(sender.ns)}};
}

Json exit_json(const Graph& graph, const Process& process) {
  if (!process.exit) return nullptr;
  const ExitRecord& exit = *process.exit;
  Json out = {{"ns", graph.rel(exit.ns)},
              {"code", exit.status.code},
              {"signal", exit.status.signal ? Json(*exit.status.signal) : Json(nullptr)},
              {"core_dumped", exit.status.core_dumped},
              {"raw_status", exit.raw_status},
              {"last_tid", exit.last_tid},
              {"exit_group_tid", exit.exit_group_tid ? Json(*exit.exit_group_tid) : Json(nullptr)}};
  if (exit.killed_by)
    out["killed_by"] = killed_by_json(graph, *exit.killed_by);
  else
    out["killed_by"] = nullptr;
  return out;
}

Json sigchld_json(const Graph& graph, const Process& process) {
  if (!process.sigchld) return nullptr;
  const SigchldRecord& sig = *process.sigchld;
  return {{"generated_ns", graph.rel(sig.generated_ns)},
          {"result", sigchld_result_name(sig.result)},
          {"delivered_ns", nullable_ns(graph, sig.delivered_ns)},
          {"handler", sig.delivered_ns ? Json(handler_name(sig.handler)) : Json(nullptr)},
          {"sa_flags", sig.delivered_ns ? Json(sig.sa_flags) : Json(nullptr)}};
}

Json execs_json(const Graph& graph, const Process& process) {
  Json execs = Json::array();
  for (const auto& exec : process.execs)
    execs.push_back({{"ns", graph.rel(exec.ns)}, {"tid", exec.tid}, {"filename", exec.filename},
                     {"argv", exec.argv}, {"argv_truncated", exec.argv_truncated}});
  return execs;
}

Json orphan_json(const Graph& graph, const Process& process) {
  if (!process.orphaned) return nullptr;
  const OrphanRecord& orphan = *process.orphaned;
  return {{"ns", graph.rel(orphan.ns)},
          {"old_parent_pid", orphan.old_parent.pid},
          {"new_parent_pid", orphan.new_parent.pid ? Json(orphan.new_parent.pid) : Json(nullptr)}};
}

// A wait call still blocked when the trace ended: where a hang is.
Json waiting_json(const Graph& graph, const Process& process) {
  if (process.open_waits.empty() || process.exit) return nullptr;
  const OpenWait& wait = process.open_waits.front();
  return {{"since_ns", graph.rel(wait.since_ns)}, {"tid", wait.tid},
          {"target_pid", wait.target_pid ? Json(wait.target_pid) : Json(nullptr)}};
}

Json reaped_via_json(const Process& process) {
  if (!process.reap || process.reap->via == ReapVia::released) return nullptr;
  return reap_via_name(process.reap->via);
}

Json process_json(const Graph& graph, const Process& process) {
  const ExecRecord* last_exec = process.execs.empty() ? nullptr : &process.execs.back();
  const auto& reap = process.reap;
  auto zombie = process.zombie_ns();
  return {
      {"pid", process.key.pid},
      {"ns_pid", process.ns_pid},
      {"start_ns", process.key.start_ns ? Json(graph.rel(process.key.start_ns)) : Json(nullptr)},
      {"parent_pid", process.fork_parent_pid ? Json(process.fork_parent_pid) : Json(nullptr)},
      {"comm", process.comm},
      {"argv", last_exec ? Json(last_exec->argv) : Json::array()},
      {"pre_existing", process.pre_existing},
      {"fork_ns", nullable_ns(graph, process.fork_ns)},
      {"clone", clone_json(process)},
      {"execs", execs_json(graph, process)},
      {"exit", exit_json(graph, process)},
      {"reaper_pid", reap && reap->reaper_pid ? Json(reap->reaper_pid) : Json(nullptr)},
      {"reap_ns", reap ? Json(graph.rel(reap->ns)) : Json(nullptr)},
      {"reap_time_exact", reap ? Json(reap->via != ReapVia::released) : Json(nullptr)},
      {"zombie_ns", zombie ? Json(*zombie) : Json(nullptr)},
      {"reaped_via", reaped_via_json(process)},
      {"sigchld", sigchld_json(graph, process)},
      {"waits", {{"calls", process.waits.calls},
                 {"wnohang_polls", process.waits.wnohang_polls},
                 {"blocked_ns", process.waits.blocked_ns}}},
      {"orphaned", orphan_json(graph, process)},
      {"waiting_at_end", waiting_json(graph, process)},
      {"state_at_end", end_state_name(process.end_state())},
      {"threads", process.threads},
  };
}

// The document without its processes, which are streamed into it.
Json report_frame(const Graph& graph, const ReportContext& context) {
  return {{"schema_version", 1},
          {"command", context.command},
          {"lost_events", graph.lost_events()},
          {"duration_ns", graph.end_ns() > graph.origin_ns() ? graph.end_ns() - graph.origin_ns() : 0},
          {"processes", Json::array()}};
}

}  // namespace

Json json_report(const Graph& graph, const ReportContext& context) {
  Json report = report_frame(graph, context);
  for (const auto& process : graph.processes()) report["processes"].push_back(process_json(graph, process));
  return report;
}

std::string dump_json(const Json& doc, int indent) {
  // Invalid UTF-8 in a process's name or argv must not make the document invalid.
  return doc.dump(indent, ' ', false, Json::error_handler_t::replace);
}

// Byte for byte what dump_json(json_report(...), 2) gives, one process at a
// time: a trace of a hundred thousand processes must not become one DOM.
void write_json_report(const Graph& graph, const ReportContext& context, std::ostream& out) {
  const std::string frame = dump_json(report_frame(graph, context), 2);
  const std::string empty = "\"processes\": []";
  size_t hole = frame.rfind(empty);
  out << frame.substr(0, hole) << "\"processes\": [";
  const char* separator = "\n";
  for (const auto& process : graph.processes()) {
    std::string text = dump_json(process_json(graph, process), 2);
    out << separator << "    ";
    for (char c : text) {
      out << c;
      if (c == '\n') out << "    ";
    }
    separator = ",\n";
  }
  if (!graph.processes().empty()) out << "\n  ";
  out << "]" << frame.substr(hole + empty.size()) << '\n';
}

}  // namespace proclife
