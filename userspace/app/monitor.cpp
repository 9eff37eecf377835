// proclife monitor: the whole host, for as long as it runs. The graph is
// driven by the probe as in `run`, but nothing waits for the end: a
// GraphObserver turns each change into counters and findings as it happens,
// and a process leaves the graph once it is reaped and written out (after a
// short retention, so late events still find it). Memory stays bounded.
#include "monitor.hpp"

#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <unordered_map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cgroup.hpp"
#include "findings.hpp"
#include "json_writer.hpp"
#include "metrics.hpp"
#include "metrics_server.hpp"
#include "report.hpp"
#include "session.hpp"

namespace proclife {
namespace {

namespace mon = proclife::monitor;
using Json = nlohmann::ordered_json;

constexpr uint64_t kTickNs = 250'000'000;
constexpr uint64_t kCompactNs = 1'000'000'000;
constexpr uint64_t kLostLogNs = 10'000'000'000;

uint64_t seconds_ns(double seconds) { return static_cast<uint64_t>(std::llround(seconds * 1e9)); }

uint64_t realtime_ns() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + ts.tv_nsec;
}

std::string dump(const Json& doc) { return doc.dump(-1, ' ', false, Json::error_handler_t::replace); }

// The JSON report's layout is dump(2)'s: a raw newline only ever starts an
// indented line (strings escape theirs), so dropping both makes one NDJSON line.
void one_line(std::string& text) {
  size_t out = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n') {
      while (i + 1 < text.size() && text[i + 1] == ' ') ++i;
      continue;
    }
    text[out++] = text[i];
  }
  text.resize(out);
}

// A live process's cgroup2 path, from /proc (its "0::" line).
std::optional<std::string> proc_cgroup(uint32_t pid) {
  std::ifstream in(fmt::format("/proc/{}/cgroup", pid));
  for (std::string line; std::getline(in, line);)
    if (line.rfind("0::", 0) == 0) return line.substr(3);
  return std::nullopt;
}

struct ProcEntry {
  uint32_t pid = 0;
  uint32_t ppid = 0;
  std::string comm;
  bool zombie = false;
};

// Every process in /proc but kernel threads (PF_KTHREAD in stat's 9th field).
std::vector<ProcEntry> scan_proc() {
  std::vector<ProcEntry> found;
  std::unique_ptr<DIR, int (*)(DIR*)> dir(opendir("/proc"), closedir);
  if (!dir) return found;
  while (dirent* entry = readdir(dir.get())) {
    char* end = nullptr;
    unsigned long pid = strtoul(entry->d_name, &end, 10);
    if (!pid || *end) continue;
    std::ifstream in(fmt::format("/proc/{}/stat", pid));
    std::string stat;
    if (!std::getline(in, stat)) continue;  // gone meanwhile
    size_t open = stat.find('('), close = stat.rfind(')');
    if (open == std::string::npos || close == std::string::npos || close < open) continue;
    std::istringstream rest(stat.substr(close + 1));
    std::string state, ppid, field;
    rest >> state >> ppid;
    uint64_t flags = 0;
    for (int i = 5; i <= 9 && rest >> field; ++i)
      if (i == 9) flags = strtoull(field.c_str(), nullptr, 10);
    if (flags & kernel::kPfKthread) continue;
    found.push_back({static_cast<uint32_t>(pid), static_cast<uint32_t>(strtoul(ppid.c_str(), nullptr, 10)),
                     stat.substr(open + 1, close - open - 1), state == "Z"});
  }
  return found;
}

mon::SigchldDisposition to_monitor(SigchldDisposition disposition) {
  switch (disposition) {
    case SigchldDisposition::default_action: return mon::SigchldDisposition::default_action;
    case SigchldDisposition::ignore: return mon::SigchldDisposition::ignored;
    case SigchldDisposition::handler: return mon::SigchldDisposition::handler;
  }
  return mon::SigchldDisposition::unknown;
}

mon::ProcessKey mkey(ProcKey key) { return {static_cast<int32_t>(key.pid), key.start_ns}; }

std::string_view exit_kind(const ExitRecord& exit) {
  ExitStatus status = exit.status();
  if (status.signal) return "signal";
  return status.code == 0 ? "code0" : "nonzero";
}

// Where the records go: stdout, or a file reopened on SIGHUP (logrotate).
class EventStream {
 public:
  explicit EventStream(std::string path) : path_(std::move(path)) { reopen(); }
  void reopen() {
    if (path_.empty()) return;
    file_.close();
    file_.clear();
    file_.open(path_, std::ios::app | std::ios::binary);
    if (!file_) throw std::runtime_error("cannot write the events to " + path_);
  }
  void line(const std::string& text) { out() << text << '\n'; }
  void flush() { out().flush(); }

 private:
  std::ostream& out() { return path_.empty() ? std::cout : file_; }
  std::string path_;
  std::ofstream file_;
};

class Monitor : public GraphObserver {
 public:
  Monitor(const MonitorCommand& command, EventStream& events, mon::MonitorMetrics& metrics)
      : command_(command),
        events_(events),
        metrics_(metrics),
        findings_(mon::FindingsConfig{seconds_ns(command.zombie_threshold_s), seconds_ns(command.slow_reap_threshold_s),
                                      command.max_unreaped_children}),
        retention_ns_(seconds_ns(command.retention_s)) {
    if (auto mount = mon::find_cgroup2_mount()) resolver_.emplace(mount->mount_point, 4096);
  }

  void attach(Graph& graph) { graph_ = &graph; }

  // Zombies already there at start-up: their exit time is unknown, so their
  // age counts from now; their parent is the one /proc names.
  void seed(const std::vector<ProcEntry>& entries, uint64_t now_ns) {
    std::unordered_map<uint32_t, const ProcEntry*> by_pid;
    for (const auto& entry : entries) by_pid.emplace(entry.pid, &entry);
    for (const auto& entry : entries) {
      graph_->seed_pre_existing(entry.pid, entry.ppid, entry.comm);
      if (!entry.zombie || !in_scope_pid(entry.pid)) continue;
      auto parent = by_pid.find(entry.ppid);
      mon::ParentRef ref{{static_cast<int32_t>(entry.ppid), 0},
                         parent != by_pid.end() ? parent->second->comm : std::string(), {}};
      startup_zombies_.emplace(entry.pid, true);
      emit(findings_.on_exit({{static_cast<int32_t>(entry.pid), 0}, entry.comm, now_ns, ref}));
    }
  }

  void on_fork(const Graph&, const Process&) override {
    if (!filtered()) metrics_.forks.inc();
  }
  void on_exec(const Graph&, const Process&) override {
    if (!filtered()) metrics_.execs.inc();
  }
  void on_exit(const Graph& graph, const Process& process) override {
    if (!filtered()) metrics_.exits.at(exit_kind(*process.exit)).inc();
    if (filtered() && !in_scope(process)) return;
    mon::ParentRef parent{{static_cast<int32_t>(process.parent_pid), 0}, {}, {}};
    if (process.parent) parent.key = mkey(*process.parent);
    if (const Process* p = process.parent ? graph.find(*process.parent) : nullptr) {
      parent.comm = p->comm.str();
      for (const auto& wait : p->rare().open_waits)
        if (wait.target_pid > 0 && static_cast<uint32_t>(wait.target_pid) != process.key.pid &&
            static_cast<uint32_t>(wait.target_pid) != process.ns_pid)
          parent.state.waiting_for_other_child = true;
    }
    parent.state.sigchld = to_monitor(process.parent_sigchld);
    findings_.on_parent_state(parent.key, parent.state);
    emit(findings_.on_exit({mkey(process.key), process.comm.str(), process.exit->ns, parent}));
  }
  void on_reap(const Graph&, const Process& process) override {
    const ReapRecord& reap = *process.reap;
    if (!filtered()) {
      metrics_.reaps.at(reap_via_name(reap.via)).inc();
      if (auto zombie = process.zombie_ns()) metrics_.zombie_seconds.observe(*zombie / 1e9);
    }
    mon::ParentRef reaper{{static_cast<int32_t>(reap.reaper_pid), 0}, reap.reaper_comm.str(), {}};
    if (reap.reaper) reaper.key = mkey(*reap.reaper);
    mon::ProcessKey key = mkey(process.key);
    if (process.pre_existing && !process.exit && startup_zombies_.erase(process.key.pid)) key.start_ns = 0;
    emit(findings_.on_reap({key, reap.ns, reaper}));
    ++finished_;
  }
  void on_orphan(const Graph& graph, const Process& process) override {
    if (!filtered()) metrics_.orphans.inc();
    if (filtered() && !in_scope_pid(process.key.pid)) return;
    const OrphanRecord& orphan = *process.rare().orphaned;
    const Process* old_parent = graph.find(orphan.old_parent);
    const Process* adopter = graph.find(orphan.new_parent);
    bool by_init = orphan.new_parent.pid == 1 || (adopter && adopter->ns_pid == 1);
    mon::ParentRef new_parent{mkey(orphan.new_parent), orphan.new_parent_comm.str(), {}};
    emit(findings_.on_adopt({mkey(process.key), process.comm.str(), orphan.ns, mkey(orphan.old_parent),
                             old_parent ? old_parent->comm.str() : std::string(), new_parent, !by_init}));
  }

  // Every tick: zombies past the threshold, the gauges, lost events; every
  // second (or when at the cap), the finished lifetimes leave the graph.
  void tick(uint64_t now_ns, const Probe& probe, bool force_out = false) {
    emit(findings_.tick(now_ns));
    count_delta(metrics_.lost_events, probe.lost_events(), lost_seen_);
    count_delta(metrics_.decode_errors, graph_->decode_errors(), decode_errors_seen_);
    uint64_t evictions = evicted_ + findings_.untracked_zombies() + (resolver_ ? resolver_->evictions() : 0);
    count_delta(metrics_.evictions, evictions, evictions_seen_);
    metrics_.zombies.set(static_cast<double>(findings_.zombies()));
    uint64_t oldest = findings_.oldest_zombie_exit_ns();
    metrics_.oldest_zombie_age_seconds.set(oldest && now_ns > oldest ? (now_ns - oldest) / 1e9 : 0.0);
    if (force_out || now_ns >= next_compact_ns_ || graph_->processes().size() > command_.max_live) {
      next_compact_ns_ = now_ns + kCompactNs;
      compact(now_ns, force_out);
    }
    if (now_ns >= next_lost_log_ns_ || force_out) {
      next_lost_log_ns_ = now_ns + kLostLogNs;
      uint64_t lost = probe.lost_events();
      if (lost > lost_logged_) {
        std::cerr << fmt::format(
            "proclife monitor: {} events lost since the last report ({} in all): the ring buffer was full; raise "
            "--ring-buffer-mb\n",
            lost - lost_logged_, lost);
        events_.line(dump(Json{{"type", "lost_events"},
                               {"ns", graph_->rel(now_ns)},
                               {"lost", lost - lost_logged_},
                               {"lost_total", lost}}));
        lost_logged_ = lost;
      }
    }
    events_.flush();
  }

 private:
  bool filtered() const { return !command_.cgroup.empty(); }
  bool under_filter(const std::string& path) const {
    return path == command_.cgroup || command_.cgroup == "/" ||
           (path.size() > command_.cgroup.size() && path.compare(0, command_.cgroup.size(), command_.cgroup) == 0 &&
            path[command_.cgroup.size()] == '/');
  }
  std::optional<std::string> cgroup_path(const Process& process) {
    if (process.exit && process.exit->cgroup_id && resolver_) return resolver_->path(process.exit->cgroup_id);
    if (!process.exit && !process.reap) return proc_cgroup(process.key.pid);
    return std::nullopt;
  }
  bool in_scope(const Process& process) {
    if (!filtered()) return true;
    auto path = cgroup_path(process);
    return path && under_filter(*path);
  }
  bool in_scope_pid(uint32_t pid) {
    if (!filtered()) return true;
    auto path = proc_cgroup(pid);
    return path && under_filter(*path);
  }

  static void count_delta(mon::Counter& counter, uint64_t now, uint64_t& seen) {
    if (now > seen) counter.inc(now - seen);
    seen = std::max(seen, now);
  }

  Json cgroup_json(const std::optional<std::string>& path) const {
    Json cgroup = Json::object();
    if (!path) {
      cgroup["path"] = nullptr;
      cgroup["unit"] = nullptr;
      cgroup["container_id"] = nullptr;
      return cgroup;
    }
    mon::CgroupOwner owner = mon::cgroup_owner(*path);
    cgroup["path"] = *path;
    cgroup["unit"] = owner.unit.empty() ? Json(nullptr) : Json(owner.unit);
    cgroup["container_id"] = owner.container_id.empty() ? Json(nullptr) : Json(owner.container_id);
    return cgroup;
  }

  // With --cgroup, counters count the lifetimes of the subtree as they are written out.
  void count_lifetime(const Process& process) {
    if (!process.pre_existing) metrics_.forks.inc();
    metrics_.execs.inc(process.execs.size());
    if (process.exit) metrics_.exits.at(exit_kind(*process.exit)).inc();
    if (process.reap) {
      metrics_.reaps.at(reap_via_name(process.reap->via)).inc();
      if (auto zombie = process.zombie_ns()) metrics_.zombie_seconds.observe(*zombie / 1e9);
    }
    if (process.rare().orphaned) metrics_.orphans.inc();
  }

  void write_lifetime(const Process& process) {
    auto path = cgroup_path(process);
    if (filtered()) {
      if (!path || !under_filter(*path)) return;
      count_lifetime(process);
    }
    if (process.sigchld && process.sigchld->result != SigchldResult::unknown)
      metrics_.sigchld.at(sigchld_result_name(process.sigchld->result)).inc();
    std::string text;
    JsonWriter json(text);
    write_json_process(json, *graph_, process);
    one_line(text);
    if (text.size() < 2) return;
    std::string line = "{\"type\": \"lifetime\", ";
    line.append(text, 1, text.size() - 2);
    line += ", \"cgroup\": " + dump(cgroup_json(path)) + "}";
    events_.line(line);
  }

  void compact(uint64_t now_ns, bool everything) {
    if (finished_ || everything) {
      size_t removed = graph_->compact([&](const Process& process) {
        if (!process.reap || (!everything && process.reap->ns + retention_ns_ > now_ns)) return false;
        write_lifetime(process);
        return true;
      });
      finished_ -= std::min<uint64_t>(finished_, removed);
    }
    size_t size = graph_->processes().size();
    if (size > command_.max_live) {
      // The cap: the oldest entries still in the graph go, uncounted elsewhere.
      size_t excess = size - command_.max_live + command_.max_live / 10;
      size_t seen = 0;
      evicted_ += graph_->compact([&](const Process&) { return seen++ < excess; });
      finished_ = 0;
      for (const auto& process : graph_->processes()) finished_ += process.reap.has_value();
    }
    size_t live = 0;
    for (const auto& process : graph_->processes()) live += !process.exit;
    metrics_.live_processes.set(static_cast<double>(live));
  }

  void emit(const std::vector<mon::Finding>& findings) {
    for (const auto& finding : findings) {
      const Process* process = graph_->find({static_cast<uint32_t>(finding.process.pid), finding.process.start_ns});
      std::optional<std::string> path;
      if (process) path = cgroup_path(*process);
      else path = proc_cgroup(static_cast<uint32_t>(finding.process.pid));
      if (filtered() && (!path || !under_filter(*path))) continue;
      metrics_.findings.at(mon::finding_kind_name(finding.kind)).inc();
      auto rel_start = [&](uint64_t start) { return start ? Json(graph_->rel(start)) : Json(nullptr); };
      Json record{{"type", "finding"},
                  {"kind", mon::finding_kind_name(finding.kind)},
                  {"ns", graph_->rel(finding.ts_ns)},
                  {"pid", finding.process.pid},
                  {"start_ns", rel_start(finding.process.start_ns)},
                  {"comm", finding.comm}};
      Json parent{{"pid", finding.parent.key.pid},
                  {"comm", finding.parent.comm},
                  {"waiting_for_other_child", finding.parent.state.waiting_for_other_child},
                  {"sigchld", mon::sigchld_disposition_name(finding.parent.state.sigchld)}};
      switch (finding.kind) {
        case mon::FindingKind::zombie:
          record["zombie_ns"] = finding.zombie_ns;
          record["reaped"] = finding.reaped;
          record["pre_existing"] = finding.process.start_ns == 0;
          record[finding.reaped ? "reaper" : "parent"] = parent;
          break;
        case mon::FindingKind::slow_reap:
          record["zombie_ns"] = finding.zombie_ns;
          record["reaper"] = parent;
          break;
        case mon::FindingKind::orphan:
          record["previous_parent_pid"] = finding.previous_parent.pid;
          record["previous_parent_comm"] = finding.previous_parent_comm;
          record["by_subreaper"] = finding.by_subreaper;
          record["new_parent"] = parent;
          break;
        case mon::FindingKind::unreaped_children:
          record["unreaped_children"] = finding.unreaped_children;
          break;
      }
      record["cgroup"] = cgroup_json(path);
      events_.line(dump(record));
    }
  }

  const MonitorCommand& command_;
  EventStream& events_;
  mon::MonitorMetrics& metrics_;
  mon::FindingsEngine findings_;
  std::optional<mon::CgroupResolver> resolver_;
  Graph* graph_ = nullptr;
  uint64_t retention_ns_;
  uint64_t finished_ = 0;  // reaped processes still in the graph
  uint64_t evicted_ = 0;
  std::unordered_map<uint32_t, bool> startup_zombies_;
  uint64_t next_compact_ns_ = 0, next_lost_log_ns_ = 0;
  uint64_t lost_seen_ = 0, decode_errors_seen_ = 0, evictions_seen_ = 0, lost_logged_ = 0;
};

}  // namespace

int monitor_command(const MonitorCommand& command) {
  // Blocked before the metrics thread exists, so it inherits the mask and
  // SIGTERM reaches the session's signalfd, never a default action there.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) sigaddset(&stop_signals, sig);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);  // a closed stdout is an error to report, not a death
  // Everything that can be refused is checked before the probe is attached.
  std::optional<mon::ListenAddress> address;
  if (!command.metrics_address.empty()) {
    std::string error;
    address = mon::parse_listen_address(command.metrics_address, error);
    if (!address) {
      std::cerr << "proclife monitor: --metrics-address: " << error << '\n';
      return kExitProclifeError;
    }
  }
  mon::Registry registry;
  mon::MonitorMetrics metrics(registry);
  std::unique_ptr<mon::MetricsServer> server;
  if (address) {
    std::string error;
    server = mon::MetricsServer::start(*address, [&registry] { return registry.render(); }, error);
    if (!server) {
      std::cerr << "proclife monitor: " << error << '\n';
      return kExitProclifeError;
    }
  }
  EventStream events(command.events_path);

  TraceOptions trace;
  trace.ring_buffer_mb = command.ring_buffer_mb;
  trace.verbose = command.verbose;
  trace.trace_all = true;
  // Precise reaping: wait results from fexit where it loads, else the
  // sys_exit tracepoint; off: none (reaps from sched_process_free).
  trace.reap_source = command.precise_reaping ? ReapSource::automatic : ReapSource::none;
  Session session(trace);
  Monitor monitor(command, events, metrics);
  uint64_t origin_ns = monotonic_ns();
  uint64_t realtime = realtime_ns();
  Graph& graph = session.configure_graph({origin_ns, 0, 0, "proclife"});
  graph.set_observer(&monitor);
  monitor.attach(graph);
  // Attached first, then /proc: a process forked in between is in both, and
  // its fork event adopts the entry the scan made.
  monitor.seed(scan_proc(), origin_ns);

  Json start{{"type", "start"},
             {"proclife_version", PROCLIFE_VERSION},
             {"pid", session.self_pid()},
             {"trace_start_realtime_ns", realtime},
             {"metrics_address", server ? Json(mon::ListenAddress{address->host, server->port()}.to_string())
                                        : Json(nullptr)},
             {"precise_reaping", command.precise_reaping},
             {"reap_source", reap_source_name(session.probe().reap_source())},
             {"cgroup", command.cgroup.empty() ? Json(nullptr) : Json(command.cgroup)}};
  events.line(dump(start));
  events.flush();

  uint64_t next_tick = monotonic_ns() + kTickNs;
  for (;;) {
    auto woken = session.follow(nullptr, -1, next_tick);
    if (woken.why == Session::Wake::signal) {
      if (woken.signal == SIGHUP) {
        events.reopen();
        continue;
      }
      break;  // SIGINT, SIGTERM, SIGQUIT
    }
    uint64_t now = monotonic_ns();
    if (now >= next_tick) {
      monitor.tick(now, session.probe());
      next_tick = now + kTickNs;
    }
  }
  session.finish();
  monitor.tick(monotonic_ns(), session.probe(), true);
  graph.set_observer(nullptr);
  if (server) server->stop();
  events.flush();
  return 0;
}

}  // namespace proclife
