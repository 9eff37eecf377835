#include <ostream>

#include "json_writer.hpp"
#include "report.hpp"
#include "stack_names.hpp"

namespace proclife {
namespace {

// Nanoseconds since the trace started, or null.
std::optional<int64_t> rel(const Graph& graph, const std::optional<uint64_t>& ns) {
  return ns ? std::optional(graph.rel(*ns)) : std::nullopt;
}

void write_clone(JsonWriter& json, const Process& process) {
  json.begin_object();
  json.key("kind").value(clone_kind_name(process));
  json.key("syscall");
  if (process.clone_syscall) json.value(clone_syscall_name(*process.clone_syscall));
  else json.null();
  json.key("flags").value(process.clone_flags);
  json.end_object();
}

// A signal the kernel generated ran in whatever task was current: no sender pid then.
void write_killed_by(JsonWriter& json, const Graph& graph, const SignalSender& sender) {
  json.begin_object();
  json.key("source").value(sender.from_kernel ? "kernel" : "process");
  if (sender.from_kernel) {
    json.key("pid").null().key("tid").null().key("comm").null();
  } else {
    json.key("pid").value(sender.pid).key("tid").value(sender.tid).key("comm").value(sender.comm);
  }
  json.key("ns").value(graph.rel(sender.ns));
  json.end_object();
}

// --stacks: the frames as resolved, innermost first. A native frame's
// address is where it is in its ELF file (what a symbolizer takes), or the
// runtime address in anonymous memory.
void write_stack(JsonWriter& json, const Boxed<Stack>& stack) {
  if (!stack) {
    json.null();
    return;
  }
  auto text = [&](const std::string& value) -> JsonWriter& { return value.empty() ? json.null() : json.value(value); };
  json.begin_object();
  json.key("frames").begin_array();
  for (const auto& frame : stack->frames) {
    bool native = frame.kind == Frame::Kind::native;
    json.begin_object();
    json.key("kind").value(frame_kind_name(frame.kind));
    json.key("module");
    text(frame.module);
    json.key("build_id");
    text(frame.build_id);
    json.key("address").value(native ? std::optional(frame.module.empty() ? frame.pc : frame.module_address)
                                     : std::nullopt);
    json.key("symbol");
    text(frame.symbol);
    json.key("file");
    text(frame.file);
    json.key("line").value(frame.line ? std::optional(frame.line) : std::nullopt);
    json.end_object();
  }
  json.end_array();
  json.key("truncated").value(stack->truncated);
  json.key("incomplete");
  text(stack->incomplete);
  json.end_object();
}

// --stacks: the wait calls whose stack was kept, each where it was called.
void write_wait_stacks(JsonWriter& json, const Graph& graph, const Process& process) {
  json.begin_array();
  for (const auto& call : process.rare().wait_calls) {
    if (!call.stack) continue;
    json.begin_object();
    json.key("enter_ns").value(graph.rel(call.enter_ns));
    json.key("exit_ns").value(graph.rel(call.exit_ns));
    json.key("tid").value(call.tid);
    json.key("syscall").value(wait_syscall_name(call.syscall));
    json.key("options").value(call.options);
    json.key("ret").value(call.ret);
    json.key("reaped_pid").value(call.reaped ? std::optional(call.reaped->pid) : std::nullopt);
    json.key("stack");
    write_stack(json, call.stack);
    json.end_object();
  }
  json.end_array();
}

void write_exit(JsonWriter& json, const Graph& graph, const Process& process) {
  if (!process.exit) {
    json.null();
    return;
  }
  const ExitRecord& exit = *process.exit;
  const ExitStatus status = exit.status();
  json.begin_object();
  json.key("ns").value(graph.rel(exit.ns));
  json.key("code").value(status.code);
  json.key("signal").value(status.signal);
  json.key("core_dumped").value(status.core_dumped);
  json.key("raw_status").value(exit.raw_status);
  json.key("last_tid").value(exit.last_tid);
  json.key("exit_group_tid").value(process.exit_group_tid);
  json.key("killed_by");
  if (const auto& sender = process.rare().killed_by) write_killed_by(json, graph, *sender);
  else json.null();
  if (graph.has_stacks()) {
    json.key("stack");
    write_stack(json, process.rare().exit_group_stack);
  }
  json.end_object();
}

void write_sigchld(JsonWriter& json, const Graph& graph, const Process& process) {
  if (!process.sigchld) {
    json.null();
    return;
  }
  const SigchldRecord& sig = *process.sigchld;
  bool delivered = sig.delivered_ns.has_value();
  json.begin_object();
  json.key("generated_ns").value(graph.rel(sig.generated_ns));
  json.key("result").value(sigchld_result_name(sig.result));
  json.key("delivered_ns").value(rel(graph, sig.delivered_ns));
  json.key("handler");
  if (delivered) json.value(disposition_name(sig.disposition));
  else json.null();
  json.key("sa_flags").value(delivered ? std::optional(sig.sa_flags) : std::nullopt);
  json.end_object();
}

void write_execs(JsonWriter& json, const Graph& graph, const Process& process) {
  json.begin_array();
  for (const auto& exec : process.execs) {
    json.begin_object();
    json.key("ns").value(graph.rel(exec.ns));
    json.key("tid").value(exec.tid);
    json.key("filename").value(exec.filename);
    json.key("argv").value(exec.argv);
    json.key("argv_truncated").value(exec.argv_truncated);
    json.key("filename_truncated").value(filename_truncated(exec));
    json.end_object();
  }
  json.end_array();
}

void write_orphaned(JsonWriter& json, const Graph& graph, const Process& process) {
  if (!process.rare().orphaned) {
    json.null();
    return;
  }
  const OrphanRecord& orphan = *process.rare().orphaned;
  json.begin_object();
  json.key("ns").value(graph.rel(orphan.ns));
  json.key("old_parent_pid").value(orphan.old_parent.pid);
  json.key("new_parent_pid").value(orphan.new_parent.pid ? std::optional(orphan.new_parent.pid) : std::nullopt);
  json.end_object();
}

// A wait call still blocked when the trace ended: where a hang is.
void write_waiting(JsonWriter& json, const Graph& graph, const Process& process) {
  if (process.rare().open_waits.empty() || process.exit) {
    json.null();
    return;
  }
  const OpenWait& wait = process.rare().open_waits.front();
  json.begin_object();
  json.key("since_ns").value(graph.rel(wait.since_ns));
  json.key("tid").value(wait.tid);
  json.key("target_pid").value(wait.target_pid ? std::optional(wait.target_pid) : std::nullopt);
  if (graph.has_stacks()) {
    json.key("stack");
    write_stack(json, wait.stack);
  }
  json.end_object();
}

void write_process(JsonWriter& json, const Graph& graph, const Process& process) {
  const auto& reap = process.reap;
  json.begin_object();
  json.key("pid").value(process.key.pid);
  json.key("ns_pid").value(process.ns_pid);
  json.key("start_ns").value(process.key.start_ns ? std::optional(graph.rel(process.key.start_ns)) : std::nullopt);
  json.key("parent_pid").value(process.fork_parent_pid ? std::optional(process.fork_parent_pid) : std::nullopt);
  json.key("comm").value(process.comm);
  json.key("argv").value(process.execs.empty() ? std::vector<std::string>() : process.execs.back().argv);
  json.key("pre_existing").value(process.pre_existing);
  json.key("fork_ns").value(rel(graph, process.fork_ns));
  json.key("clone");
  write_clone(json, process);
  if (graph.has_stacks()) {
    json.key("fork_stack");
    write_stack(json, process.rare().fork_stack);
  }
  json.key("execs");
  write_execs(json, graph, process);
  json.key("exit");
  write_exit(json, graph, process);
  json.key("reaper_pid").value(reap && reap->reaper_pid ? std::optional(reap->reaper_pid) : std::nullopt);
  json.key("reap_ns").value(reap ? std::optional(graph.rel(reap->ns)) : std::nullopt);
  json.key("reap_time_exact").value(reap ? std::optional(reap->via != ReapVia::released) : std::nullopt);
  json.key("zombie_ns").value(process.zombie_ns());
  json.key("reaped_via");
  if (reap && reap->via != ReapVia::released) json.value(reap_via_name(reap->via));
  else json.null();
  json.key("sigchld");
  write_sigchld(json, graph, process);
  const WaitStats& waits = process.rare().waits;
  json.key("waits").begin_object();
  json.key("calls").value(waits.calls);
  json.key("wnohang_polls").value(waits.wnohang_polls);
  json.key("blocked_ns").value(waits.blocked_ns);
  if (graph.has_stacks()) {
    json.key("stacks");
    write_wait_stacks(json, graph, process);
    json.key("stacks_dropped").value(waits.stacks_dropped);
  }
  json.end_object();
  json.key("orphaned");
  write_orphaned(json, graph, process);
  json.key("waiting_at_end");
  write_waiting(json, graph, process);
  json.key("state_at_end").value(end_state_name(process.end_state()));
  json.key("threads").value(process.threads);
  json.end_object();
}

}  // namespace

void write_json_process(JsonWriter& json, const Graph& graph, const Process& process) {
  write_process(json, graph, process);
}

// Streamed one process at a time: a trace of a hundred thousand processes
// must not become one document in memory.
void write_json_report(const Graph& graph, const ReportContext& context, std::ostream& out) {
  std::string text;
  JsonWriter json(text);
  json.begin_object();
  json.key("schema_version").value(int64_t{1});
  json.key("command").value(context.command);
  json.key("lost_events").value(graph.lost_events());
  json.key("decode_errors").value(graph.decode_errors());
  json.key("reap_source");
  if (graph.reap_source().empty()) json.null();
  else json.value(graph.reap_source());
  if (graph.has_stacks() || graph.stacks_not_taken()) {
    json.key("unmatched_stacks").value(graph.unmatched_stacks());
    json.key("stacks_not_taken").value(graph.stacks_not_taken());
  }
  json.key("duration_ns").value(graph.end_ns() > graph.origin_ns() ? graph.end_ns() - graph.origin_ns() : 0);
  json.key("processes").begin_array();
  for (const auto& process : graph.processes()) {
    write_process(json, graph, process);
    json.spill(out);
  }
  json.end_array();
  json.end_object();
  out << text << '\n';
}

}  // namespace proclife
