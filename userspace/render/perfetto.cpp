// The lifetime graph as Chrome trace-event JSON, for ui.perfetto.dev and
// chrome://tracing: a track per process with its running and zombie phases,
// its wait calls, SIGCHLD instants, and flows fork -> child, exit -> reap.
#include <fmt/format.h>

#include <algorithm>
#include <ostream>
#include <set>

#include "escape.hpp"
#include "explain.hpp"
#include "format.hpp"
#include "render_common.hpp"
#include "report.hpp"
#include "tree.hpp"

namespace proclife {
namespace {

using Json = nlohmann::ordered_json;

class TraceWriter {
 public:
  explicit TraceWriter(const Graph& graph) : graph_(graph), end_ns_(trace_end_ns(graph)) {}

  void process(const Process& process, size_t sort_index);
  Json finish(const ReportContext& context);

 private:
  // Trace-event time: µs since the trace start, as a number. Perfetto reads
  // it back as int64(µs * 1000), truncating: a quarter ns keeps an exact ns
  // from landing 1 ns early and breaking the nesting of slices.
  double us(uint64_t ns) const { return ns > graph_.origin_ns() ? (ns - graph_.origin_ns() + 0.25) / 1e3 : 0.0; }
  double dur(uint64_t from, uint64_t to) const { return to > from ? (to - from + 0.25) / 1e3 : 0.0; }

  Json track_event(const char* ph, const std::string& name, uint32_t pid, uint32_t tid, uint64_t ns) const {
    return {{"ph", ph}, {"name", name}, {"pid", pid}, {"tid", tid}, {"ts", us(ns)}};
  }
  void metadata(const char* name, uint32_t pid, uint32_t tid, Json args) {
    events_.push_back({{"ph", "M"}, {"name", name}, {"pid", pid}, {"tid", tid}, {"args", std::move(args)}});
  }
  void slice(const std::string& name, const char* category, uint32_t pid, uint32_t tid, uint64_t from, uint64_t to,
             Json args) {
    Json event = track_event("X", name, pid, tid, from);
    event["cat"] = category;
    event["dur"] = dur(from, to);
    event["args"] = std::move(args);
    events_.push_back(std::move(event));
  }
  void instant(const std::string& name, uint32_t pid, uint64_t ns, Json args) {
    Json event = track_event("i", name, pid, pid, ns);
    event["s"] = "t";
    event["args"] = std::move(args);
    events_.push_back(std::move(event));
  }
  // Perfetto binds a flow's start to the slice last begun on its track, and
  // draws the arrow from that slice's end to the start of the slice bound at
  // the other side ("bp":"e": the enclosing one). So each flow event comes
  // 1 ns after the slice it must bind to begins, and nothing begins between.
  void flow_event(const char* ph, const char* name, uint64_t id, uint32_t pid, uint32_t tid, uint64_t ns) {
    Json event = track_event(ph, name, pid, tid, ns);
    event["cat"] = name;
    event["id"] = id;
    if (ph[0] == 'f') event["bp"] = "e";
    events_.push_back(std::move(event));
  }

  void phases(const Process& process);
  void waits(const Process& process);
  void signals(const Process& process);
  void flows(const Process& process);

  const Graph& graph_;
  uint64_t end_ns_;
  Json events_ = Json::array();
  std::set<std::pair<uint32_t, uint32_t>> named_threads_;
  uint64_t flow_ids_ = 0;
};

void TraceWriter::process(const Process& process, size_t sort_index) {
  uint32_t pid = process.key.pid;
  std::string name = printable(process.comm);
  metadata("process_name", pid, pid, {{"name", name}});
  metadata("process_sort_index", pid, pid, {{"sort_index", sort_index}});
  metadata("thread_name", pid, pid, {{"name", name}});
  metadata("thread_sort_index", pid, pid, {{"sort_index", 0}});
  named_threads_.insert({pid, pid});
  phases(process);
  waits(process);
  signals(process);
  flows(process);
}

// Running from fork to exit, split at each exec; then a zombie until reaped.
void TraceWriter::phases(const Process& process) {
  uint32_t pid = process.key.pid;
  Lifetime life = lifetime(graph_, process, end_ns_);
  Json args = {{"pid", pid}, {"parent_pid", process.fork_parent_pid}, {"clone", clone_kind_name(process)},
               {"state_at_end", end_state_name(process.end_state())}};
  if (std::string flags = flag_words(process_flags(process)); !flags.empty()) args["flags"] = flags;
  uint64_t from = life.start_ns;
  std::string name = process.pre_existing ? "running (before the trace)" : "running";
  Json phase_args = args;
  for (const auto& exec : process.execs) {
    uint64_t at = std::clamp(exec.ns, from, life.exit_ns);
    slice(name, "running", pid, pid, from, at, phase_args);
    from = at;
    name = printable(exec.filename);
    phase_args = args;
    Json argv = Json::array();
    for (const auto& arg : exec.argv) argv.push_back(printable(arg));
    phase_args["argv"] = std::move(argv);
  }
  phase_args["end"] = process.exit ? exit_text(process) : "still running at the end";
  slice(name, "running", pid, pid, from, life.exit_ns, std::move(phase_args));
  if (!life.exited || (process.reap && process.reap->via == ReapVia::autoreap)) return;
  Json zombie = {{"pid", pid}, {"exit", exit_text(process)}};
  if (process.reap) {
    zombie["reaped_via"] = reap_via_name(process.reap->via);
    zombie["reaper"] = describe_pid(process.reap->reaper_pid, process.reap->reaper_comm);
  }
  slice(process.reap ? "zombie" : "zombie (never reaped)", "zombie", pid, pid, life.exit_ns, life.reap_ns,
        std::move(zombie));
}

void TraceWriter::waits(const Process& process) {
  uint32_t pid = process.key.pid;
  for (const auto& call : process.wait_calls) {
    // A wait made by another thread gets that thread's track, so slices nest.
    if (named_threads_.insert({pid, call.tid}).second)
      metadata("thread_name", pid, call.tid, {{"name", fmt::format("{} thread {}", printable(process.comm), call.tid)}});
    Json args = {{"ret", call.ret}};
    if (call.reaped) args["reaped_pid"] = call.reaped->pid;
    uint64_t enter = std::max(call.enter_ns, graph_.origin_ns());
    slice(describe_wait_call(call), "wait", pid, call.tid, enter, call.exit_ns, std::move(args));
  }
}

void TraceWriter::signals(const Process& process) {
  uint32_t pid = process.key.pid;
  if (process.orphaned)
    instant("orphaned", pid, process.orphaned->ns,
            {{"old_parent_pid", process.orphaned->old_parent.pid},
             {"adopted_by", describe_pid(process.orphaned->new_parent.pid, process.orphaned->new_parent_comm)}});
  const auto& sig = process.sigchld;
  if (!sig) return;
  auto receiver_key = sigchld_receiver(process);
  const Process* receiver = receiver_key ? graph_.find(*receiver_key) : nullptr;
  uint32_t receiver_pid = receiver ? receiver->key.pid : process.parent_pid;
  instant("SIGCHLD generated", pid, sig->generated_ns,
          {{"to_pid", receiver_pid}, {"result", sigchld_result_name(sig->result)}});
  if (!sig->delivered_ns) return;
  // On the receiver's track when it is traced; else on the child's own.
  instant("SIGCHLD delivered", receiver ? receiver_pid : pid, *sig->delivered_ns,
          {{"from_pid", pid}, {"to_pid", receiver_pid}, {"handler", disposition_name(sig->disposition)}});
}

// fork: a 1 ns "fork" mark on the parent's track -> the child's first slice.
// reap: the child's zombie slice -> a 1 ns "reap" mark at the end of the wait
// call that reaped it, on the reaper's track. Both arrows are drawn upright.
void TraceWriter::flows(const Process& process) {
  uint32_t pid = process.key.pid;
  std::string who = describe_process(process);
  const Process* parent = process.fork_parent ? graph_.find(*process.fork_parent) : nullptr;
  if (parent && process.fork_ns) {
    uint64_t at = std::max(*process.fork_ns, graph_.origin_ns()), id = ++flow_ids_;
    uint32_t parent_pid = parent->key.pid;
    slice("fork " + who, "fork", parent_pid, parent_pid, at, at + 1, {{"child_pid", pid}});
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
  slice("reap " + who, "reap", reaper_pid, tid, from, life.reap_ns, {{"child_pid", pid}});
  flow_event("f", "reap", id, reaper_pid, tid, life.reap_ns);
}

Json TraceWriter::finish(const ReportContext& context) {
  // otherData holds strings only, per the trace-event format.
  Json other = {{"command", shell_join(context.command)},
                {"duration", format_duration(end_ns_ - graph_.origin_ns())},
                {"lost_events", std::to_string(graph_.lost_events())},
                {"decode_errors", std::to_string(graph_.decode_errors())}};
  return {{"traceEvents", std::move(events_)}, {"displayTimeUnit", "ns"}, {"otherData", std::move(other)}};
}

}  // namespace

void write_perfetto_report(const Graph& graph, const ReportContext& context, std::ostream& out) {
  TraceWriter writer(graph);
  std::vector<size_t> order = tree_order(build_tree(graph));
  for (size_t i = 0; i < order.size(); ++i) writer.process(graph.processes()[order[i]], i);
  out << dump_json(writer.finish(context)) << '\n';
}

}  // namespace proclife
