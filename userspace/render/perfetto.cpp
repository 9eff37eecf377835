// The lifetime graph as Chrome trace-event JSON, for ui.perfetto.dev and
// chrome://tracing: a track per process with its running and zombie phases,
// its wait calls, SIGCHLD instants, and flows fork -> child, exit -> reap.
#include <fmt/format.h>

#include <algorithm>
#include <ostream>
#include <set>

#include "escape.hpp"
#include "json_writer.hpp"
#include "explain.hpp"
#include "format.hpp"
#include "render_common.hpp"
#include "verdict.hpp"
#include "report.hpp"
#include "stack_text.hpp"
#include "tree.hpp"

namespace proclife {
namespace {

// Streamed through the JSON writer as it goes: the trace of a hundred thousand
// processes is never one document in memory. Each event's "args" is written
// by a callable given the writer.
class TraceWriter {
 public:
  TraceWriter(const Graph& graph, std::ostream& out)
      : graph_(graph), end_ns_(trace_end_ns(graph)), out_(out), json_(text_, JsonLayout::compact) {
    json_.begin_object();
    json_.key("traceEvents").begin_array();
  }

  void process(const Process& process, size_t sort_index);
  void finish(const ReportContext& context);

 private:
  // Trace-event time: µs since the trace start, as a number. Perfetto reads
  // it back as int64(µs * 1000), truncating: a quarter ns keeps an exact ns
  // from landing 1 ns early and breaking the nesting of slices. Written as
  // the exact decimal (ns / 1000 and 0.25 ns more), not through a double.
  void us(uint64_t ns) { dur(graph_.origin_ns(), ns); }
  void dur(uint64_t from, uint64_t to) {
    if (to <= from) {
      json_.decimal(0, 0, 1);
      return;
    }
    uint64_t ns = to - from;
    json_.decimal(ns / 1000, static_cast<uint32_t>(ns % 1000) * 100 + 25, 5);
  }

  void begin_event(const char* ph, std::string_view name, uint32_t pid, uint32_t tid) {
    json_.begin_object();
    json_.key("ph").value(ph).key("name").value(name).key("pid").value(pid).key("tid").value(tid);
  }
  template <class Args>
  void args(Args&& write_args) {
    json_.key("args").begin_object();
    write_args();
    json_.end_object();
  }
  template <class Args>
  void metadata(const char* name, uint32_t pid, uint32_t tid, Args&& write_args) {
    begin_event("M", name, pid, tid);
    args(write_args);
    json_.end_object();
  }
  template <class Args>
  void slice(std::string_view name, const char* category, uint32_t pid, uint32_t tid, uint64_t from, uint64_t to,
             Args&& write_args) {
    begin_event("X", name, pid, tid);
    json_.key("ts");
    us(from);
    json_.key("cat").value(category).key("dur");
    dur(from, to);
    args(write_args);
    json_.end_object();
  }
  template <class Args>
  void instant(std::string_view name, uint32_t pid, uint64_t ns, Args&& write_args) {
    begin_event("i", name, pid, pid);
    json_.key("ts");
    us(ns);
    json_.key("s").value("t");
    args(write_args);
    json_.end_object();
  }
  // Perfetto binds a flow's start to the slice last begun on its track, and
  // draws the arrow from that slice's end to the start of the slice bound at
  // the other side ("bp":"e": the enclosing one). So each flow event comes
  // 1 ns after the slice it must bind to begins, and nothing begins between.
  void flow_event(const char* ph, const char* name, uint64_t id, uint32_t pid, uint32_t tid, uint64_t ns) {
    begin_event(ph, name, pid, tid);
    json_.key("ts");
    us(ns);
    json_.key("cat").value(name).key("id").value(id);
    if (ph[0] == 'f') json_.key("bp").value("e");
    json_.end_object();
  }

  void phases(const Process& process);
  void waits(const Process& process);
  void signals(const Process& process);
  void flows(const Process& process);

  const Graph& graph_;
  uint64_t end_ns_;
  std::ostream& out_;
  std::string text_;
  JsonWriter json_;
  std::set<std::pair<uint32_t, uint32_t>> named_threads_;
  uint64_t flow_ids_ = 0;
};

void TraceWriter::process(const Process& process, size_t sort_index) {
  uint32_t pid = process.key.pid;
  std::string name = printable(process.comm);
  metadata("process_name", pid, pid, [&] { json_.key("name").value(name); });
  metadata("process_sort_index", pid, pid, [&] { json_.key("sort_index").value(uint64_t{sort_index}); });
  metadata("thread_name", pid, pid, [&] { json_.key("name").value(name); });
  metadata("thread_sort_index", pid, pid, [&] { json_.key("sort_index").value(int64_t{0}); });
  named_threads_.insert({pid, pid});
  phases(process);
  waits(process);
  signals(process);
  flows(process);
  json_.spill(out_);
}

// Running from fork to exit, split at each exec; then a zombie until reaped.
void TraceWriter::phases(const Process& process) {
  uint32_t pid = process.key.pid;
  Lifetime life = lifetime(graph_, process, end_ns_);
  std::string flags = flag_words(verdict(graph_, process, cmd_end_ns(graph_)));
  const ExecRecord* exec_before = nullptr;  // the exec the phase began with
  auto phase_args = [&] {
    json_.key("pid").value(pid).key("parent_pid").value(process.fork_parent_pid);
    json_.key("clone").value(clone_kind_name(process));
    json_.key("state_at_end").value(end_state_name(process.end_state()));
    if (!flags.empty()) json_.key("flags").value(flags);
    if (!exec_before) return;
    json_.key("argv").begin_array();
    for (const auto& arg : exec_before->argv) json_.value(printable(arg));
    json_.end_array();
  };
  uint64_t from = life.start_ns;
  std::string name = process.pre_existing ? "running (before the trace)" : "running";
  for (const auto& exec : process.execs) {
    uint64_t at = std::clamp(exec.ns, from, life.exit_ns);
    slice(name, "running", pid, pid, from, at, phase_args);
    from = at;
    name = printable(exec.filename);
    exec_before = &exec;
  }
  slice(name, "running", pid, pid, from, life.exit_ns, [&] {
    phase_args();
    json_.key("end").value(process.exit ? exit_text(process) : "still running at the end");
    if (process.exit && process.rare().exit_group_stack)
      json_.key("exit_group_called_from").value(stack_chain(*process.rare().exit_group_stack));
  });
  if (!life.exited || (process.reap && process.reap->via == ReapVia::autoreap)) return;
  slice(process.reap ? "zombie" : "zombie (never reaped)", "zombie", pid, pid, life.exit_ns, life.reap_ns, [&] {
    json_.key("pid").value(pid).key("exit").value(exit_text(process));
    if (!process.reap) return;
    json_.key("reaped_via").value(reap_via_name(process.reap->via));
    json_.key("reaper").value(describe_pid(process.reap->reaper_pid, process.reap->reaper_comm));
  });
}

void TraceWriter::waits(const Process& process) {
  uint32_t pid = process.key.pid;
  for (const auto& call : process.rare().wait_calls) {
    // A wait made by another thread gets that thread's track, so slices nest.
    if (named_threads_.insert({pid, call.tid}).second)
      metadata("thread_name", pid, call.tid,
               [&] { json_.key("name").value(fmt::format("{} thread {}", printable(process.comm), call.tid)); });
    uint64_t enter = std::max(call.enter_ns, graph_.origin_ns());
    slice(describe_wait_call(call), "wait", pid, call.tid, enter, call.exit_ns, [&] {
      json_.key("ret").value(call.ret);
      if (call.reaped) json_.key("reaped_pid").value(call.reaped->pid);
      if (call.stack) json_.key("called_from").value(stack_chain(*call.stack));
    });
  }
}

void TraceWriter::signals(const Process& process) {
  uint32_t pid = process.key.pid;
  if (const auto& orphan = process.rare().orphaned)
    instant("orphaned", pid, orphan->ns, [&] {
      json_.key("old_parent_pid").value(orphan->old_parent.pid);
      json_.key("adopted_by").value(describe_pid(orphan->new_parent.pid, orphan->new_parent_comm));
    });
  const auto& sig = process.sigchld;
  if (!sig) return;
  auto receiver_key = sigchld_receiver(process);
  const Process* receiver = receiver_key ? graph_.find(*receiver_key) : nullptr;
  uint32_t receiver_pid = receiver ? receiver->key.pid : process.parent_pid;
  instant("SIGCHLD generated", pid, sig->generated_ns, [&] {
    json_.key("to_pid").value(receiver_pid).key("result").value(sigchld_result_name(sig->result));
  });
  if (!sig->delivered_ns) return;
  // On the receiver's track when it is traced; else on the child's own.
  instant("SIGCHLD delivered", receiver ? receiver_pid : pid, *sig->delivered_ns, [&] {
    json_.key("from_pid").value(pid).key("to_pid").value(receiver_pid);
    json_.key("handler").value(disposition_name(sig->disposition));
  });
}

// fork: a 1 ns "fork" mark on the parent's track -> the child's first slice.
// reap: the child's zombie slice -> a 1 ns "reap" mark at the end of the wait
// call that reaped it, on the reaper's track. Both arrows are drawn upright.
void TraceWriter::flows(const Process& process) {
  uint32_t pid = process.key.pid;
  std::string who = describe_process(process);
  auto child_pid = [&] { json_.key("child_pid").value(pid); };
  auto fork_args = [&] {
    child_pid();
    if (process.rare().fork_stack) json_.key("called_from").value(stack_chain(*process.rare().fork_stack));
  };
  const Process* parent = process.fork_parent ? graph_.find(*process.fork_parent) : nullptr;
  if (parent && process.fork_ns) {
    uint64_t at = std::max(*process.fork_ns, graph_.origin_ns()), id = ++flow_ids_;
    uint32_t parent_pid = parent->key.pid;
    slice("fork " + who, "fork", parent_pid, parent_pid, at, at + 1, fork_args);
    flow_event("s", "fork", id, parent_pid, parent_pid, at + 1);
    flow_event("f", "fork", id, pid, pid, at + 1);
  }
  Lifetime life = lifetime(graph_, process, end_ns_);
  if (!process.reap || !process.reap->reaper || process.reap->via == ReapVia::autoreap || !life.exited) return;
  const Process* reaper = graph_.find(*process.reap->reaper);
  if (!reaper) return;
  const WaitCall* call = reaping_call(graph_, process);
  uint32_t reaper_pid = reaper->key.pid, tid = call ? call->tid : reaper_pid;
  uint64_t from = life.reap_ns > life.exit_ns ? life.reap_ns - 1 : life.reap_ns, id = ++flow_ids_;
  if (call) from = std::max(from, call->enter_ns);
  flow_event("s", "reap", id, pid, pid, std::min(life.exit_ns + 1, life.reap_ns));
  slice("reap " + who, "reap", reaper_pid, tid, from, life.reap_ns, child_pid);
  flow_event("f", "reap", id, reaper_pid, tid, life.reap_ns);
}

void TraceWriter::finish(const ReportContext& context) {
  json_.end_array();
  json_.key("displayTimeUnit").value("ns");
  // otherData holds strings only, per the trace-event format.
  json_.key("otherData").begin_object();
  json_.key("command").value(shell_join(context.command));
  json_.key("duration").value(format_duration(end_ns_ > graph_.origin_ns() ? end_ns_ - graph_.origin_ns() : 0));
  json_.key("lost_events").value(std::to_string(graph_.lost_events()));
  json_.key("decode_errors").value(std::to_string(graph_.decode_errors()));
  json_.end_object();
  json_.end_object();
  out_ << text_ << '\n';
  text_.clear();
}

}  // namespace

void write_perfetto_report(const Graph& graph, const ReportContext& context, std::ostream& out) {
  TraceWriter writer(graph, out);
  std::vector<size_t> order = tree_order(build_tree(graph));
  for (size_t i = 0; i < order.size(); ++i) writer.process(graph.processes()[order[i]], i);
  writer.finish(context);
}

}  // namespace proclife
