#include "run.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fmt/format.h>
#include <fstream>
#include <iostream>
#include <stdexcept>

#include "decode.hpp"
#include "escape.hpp"
#include "format.hpp"
#include "gate.hpp"
#include "launcher.hpp"
#include "pidfd.hpp"
#include "output.hpp"
#include "record.hpp"
#include "session.hpp"

#ifndef P_PIDFD
#define P_PIDFD 3  // Linux 5.4; older glibc headers lack the name
#endif

namespace proclife {
namespace {

constexpr uint64_t kKillGraceNs = 2'000'000'000;

int shell_status(const siginfo_t& info) {
  return info.si_code == CLD_EXITED ? info.si_status : 128 + info.si_status;
}

std::vector<size_t> running_processes(const Graph& graph) {
  std::vector<size_t> running;
  for (size_t i = 0; i < graph.processes().size(); ++i)
    if (graph.processes()[i].end_state() == EndState::running) running.push_back(i);
  return running;
}

// A process still running, as proclife last saw it and, when that differs,
// as it is now: one that exec'd or renamed itself after its last event seen
// (setsid -f's child, a job of a shell killed before it exec'd) would be
// named by what it was.
std::string describe_now(const Process& process) {
  std::string seen = describe_process(process);
  auto now = current_command(static_cast<pid_t>(process.key.pid), process.key.start_ns);
  if (!now) return seen;
  std::vector<std::string> last_argv = process.execs.empty() ? std::vector<std::string>{} : process.execs.back().argv;
  if (now->comm == process.comm && (now->argv == last_argv || process.execs.empty())) return seen;
  return fmt::format("{}, now {} `{}`", seen, printable(now->comm), printable(shell_join(now->argv)));
}

std::string list_processes(const Graph& graph, const std::vector<size_t>& indices) {
  std::string text;
  for (size_t index : indices) text += (text.empty() ? "" : ", ") + describe_now(graph.processes()[index]);
  return text;
}

// Before the report: the processes still running whose name changed since
// they were last seen, so the report's names are not taken for what runs.
void say_renamed(const Graph& graph) {
  std::vector<std::string> renamed;
  for (size_t index : running_processes(graph)) {
    std::string now = describe_now(graph.processes()[index]);
    if (now != describe_process(graph.processes()[index])) renamed.push_back(now);
  }
  if (renamed.empty()) return;
  std::string text;
  for (const auto& item : renamed) text += (text.empty() ? "" : "; ") + item;
  std::cerr << fmt::format("proclife: still running, named below as last seen: {}\n", text);
}

// proclife is the parent of CMD, and also of whatever the kernel hands it:
// a sibling CMD made with clone(CLONE_PARENT) (runc's nsexec does). A good
// parent reaps them, or a program waiting for them to vanish hangs. CMD
// itself is reaped through its pidfd, for its status: reaping stops at it.
void reap_other_children(pid_t cmd) {
  for (;;) {
    siginfo_t info{};
    if (waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) != 0 || info.si_pid == 0 || info.si_pid == cmd) return;
    siginfo_t reaped{};
    waitid(P_PID, static_cast<id_t>(info.si_pid), &reaped, WEXITED | WNOHANG);
  }
}

// What proclife knows of CMD's job control: a stopped CMD is said once, and
// is continued whenever proclife signals it, so none is left stopped.
struct CmdState {
  pid_t pid;
  int pidfd;
  bool stopped = false;

  // On SIGCHLD: CMD stopped or continued?
  void check_stop() {
    siginfo_t info{};
    if (waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(pidfd), &info, WSTOPPED | WCONTINUED | WNOHANG) != 0 ||
        info.si_pid == 0)
      return;
    if (info.si_code == CLD_STOPPED && !stopped)
      std::cerr << fmt::format("proclife: CMD ({}) is stopped by {}; proclife waits until it continues and exits\n",
                               pid, signal_name(info.si_status));
    stopped = info.si_code == CLD_STOPPED;
  }
  // A signal sent to CMD acts only once CMD runs.
  void wake() {
    if (stopped) kill(pid, SIGCONT);
  }
};

// Follows until CMD exits; returns its status as a shell reports it.
// `interrupted`: the user pressed Ctrl-C (or sent a signal) meanwhile.
int follow_cmd(Session& session, pid_t cmd, bool& interrupted) {
  PidFd pidfd(cmd);
  if (pidfd.get() < 0) throw std::runtime_error(std::string("pidfd_open: ") + strerror(errno));
  CmdState state{cmd, pidfd.get()};
  session.on_child_signal([&] {
    state.check_stop();
    reap_other_children(cmd);
  });
  struct Reset {
    Session& session;
    pid_t cmd;
    ~Reset() { session.on_child_signal([cmd = cmd] { reap_other_children(cmd); }); }
  } reset{session, cmd};
  for (;;) {
    auto woke = session.follow(nullptr, pidfd.get(), std::nullopt);
    if (woke.why == Session::Wake::watched_fd) {
      siginfo_t info{};
      if (waitid(static_cast<idtype_t>(P_PIDFD), pidfd.get(), &info, WEXITED) == 0) return shell_status(info);
      continue;
    }
    if (interrupted) {
      std::cerr << fmt::format("proclife: interrupted again: reporting without waiting for {}\n", cmd);
      state.wake();  // leave nothing stopped behind: it gets the signal it is owed
      return 128 + woke.signal;
    }
    interrupted = true;
    // The terminal's Ctrl-C already reached CMD if it stayed in our process
    // group; one that made its own (timeout, some shells) hears it from us.
    if (!woke.from_terminal || getpgid(cmd) != getpgrp()) kill(cmd, woke.signal);
    state.wake();
  }
}

bool nothing_running(const Graph& graph) { return running_processes(graph).empty(); }

// The leaked processes that are provably still themselves: a pidfd held on
// each one whose start time matches what the probe saw. One that fails the
// check has exited (its exit unseen) and its pid may be a stranger's now.
struct Held {
  std::vector<size_t> indices;
  std::vector<PidFd> pidfds;
  std::vector<size_t> gone;
  bool all_exited() const {
    for (const auto& pidfd : pidfds)
      if (!pidfd.exited()) return false;
    return true;
  }
};

Held hold_leaked(const Graph& graph, const std::vector<size_t>& leaked) {
  Held held;
  for (size_t index : leaked) {
    const auto& key = graph.processes()[index].key;
    auto pidfd = PidFd::verified(static_cast<pid_t>(key.pid), key.start_ns);
    if (pidfd.get() < 0) {
      held.gone.push_back(index);
      continue;
    }
    held.indices.push_back(index);
    held.pidfds.push_back(std::move(pidfd));
  }
  return held;
}


void say_gone(const Graph& graph, const Held& held) {
  if (held.gone.empty()) return;
  std::cerr << fmt::format("proclife: {} already exited, unseen (their pids may be others' now): {}\n",
                           count_of(held.gone.size(), "leaked process", "leaked processes"),
                           list_processes(graph, held.gone));
}

void wait_for_leaked(Session& session, double limit_s) {
  auto leaked = running_processes(session.graph());
  if (leaked.empty()) return;
  if (uint64_t lost = session.probe().lost_events())
    std::cerr << fmt::format("proclife: {} events were lost: which processes are still running is a guess\n", lost);
  Held held = hold_leaked(session.graph(), leaked);
  say_gone(session.graph(), held);
  if (held.indices.empty()) return;
  std::cerr << fmt::format("proclife: CMD exited; following {} until {} ({}): {}\n",
                           count_of(held.indices.size(), "leaked process", "leaked processes"),
                           held.indices.size() == 1 ? "it exits" : "they exit",
                           limit_s > 0 ? fmt::format("at most {} s", limit_s) : "Ctrl-C stops",
                           list_processes(session.graph(), held.indices));
  std::optional<uint64_t> deadline;
  if (limit_s > 0) deadline = monotonic_ns() + static_cast<uint64_t>(limit_s * 1e9);
  session.follow([&] { return nothing_running(session.graph()) || held.all_exited(); }, -1, deadline);
}

void kill_leaked(Session& session) {
  auto leaked = running_processes(session.graph());
  if (leaked.empty()) return;
  // With events lost, "still running" may be an exit proclife never saw, and
  // the pid a stranger's: never signal on a guess.
  if (uint64_t lost = session.probe().lost_events()) {
    std::cerr << fmt::format(
        "proclife: --kill-leaked: {} events were lost, so the leak list is a guess: signalling none of {}\n", lost,
        count_of(leaked.size(), "process", "processes"));
    return;
  }
  Held held = hold_leaked(session.graph(), leaked);
  say_gone(session.graph(), held);
  if (held.indices.empty()) return;
  std::cerr << fmt::format("proclife: CMD exited; sending SIGTERM to {}: {}\n",
                           count_of(held.indices.size(), "leaked process", "leaked processes"),
                           list_processes(session.graph(), held.indices));
  for (const auto& pidfd : held.pidfds) pidfd.send(SIGTERM);
  auto done = [&] { return nothing_running(session.graph()) || held.all_exited(); };
  session.follow(done, -1, monotonic_ns() + kKillGraceNs);
  std::vector<size_t> stubborn;
  for (size_t i = 0; i < held.indices.size(); ++i)
    if (!held.pidfds[i].exited()) stubborn.push_back(held.indices[i]);
  if (stubborn.empty()) return;
  std::cerr << fmt::format("proclife: still running after SIGTERM, sending SIGKILL: {}\n",
                           list_processes(session.graph(), stubborn));
  // The same pidfds: a pid reused since cannot be hit.
  for (size_t i = 0; i < held.indices.size(); ++i)
    if (!held.pidfds[i].exited()) held.pidfds[i].send(SIGKILL);
  session.follow(done, -1, monotonic_ns() + kKillGraceNs);
}

// Tests only: PROCLIFE_TEST_KILL_AT=STEP makes proclife SIGKILL itself at
// that set-up step, so a kernel test can prove CMD never runs when proclife
// dies before releasing it. Unset, it does nothing.
void test_kill_point(const char* step) {
  const char* at = getenv("PROCLIFE_TEST_KILL_AT");
  if (at && strcmp(at, step) == 0) raise(SIGKILL);
}

RecordHeader record_header(const RunCommand& command, const GraphOptions& options) {
  RecordHeader header;
  header.origin_ns = options.origin_ns;
  header.observer_pid = options.observer_pid;
  header.observer_comm = options.observer_comm;
  header.root_pid = options.root_pid;
  header.command = command.command;
  return header;
}

}  // namespace

int run_command(const RunCommand& command) {
  // Every output is opened first, while signals still have their default
  // action and before CMD exists: a path that cannot be written, or a FIFO
  // nobody reads that the user gives up on with Ctrl-C, ends proclife here.
  const OutputOptions& output = command.trace.output;
  check_distinct_outputs(output);
  ReportSink report(output, std::cerr);
  std::unique_ptr<std::ofstream> recording;
  if (!output.record_path.empty()) recording = open_output_file(output.record_path, "the recording");

  Session session(command.trace);
  uint64_t origin = monotonic_ns();
  GatedChild child(command.command);
  GraphOptions options{origin, session.self_pid(), static_cast<uint32_t>(child.pid())};
  session.configure_graph(options);
  if (recording) session.record_to(std::move(recording), record_header(command, options));
  test_kill_point("filter-insert");
  session.probe().track(child.pid());
  // A signal during set-up (blocked since the session began) aborts it: CMD
  // is killed at the gate by ~GatedChild and never runs.
  if (auto sig = session.pending_signal()) {
    std::cerr << fmt::format("proclife: {} during set-up: CMD was not started\n", signal_name(*sig));
    return 128 + *sig;
  }
  if (int error = child.release()) {
    std::cerr << "proclife: cannot execute '" << printable(command.command.front()) << "': " << strerror(error)
              << '\n';
    return error == ENOENT ? kExitNotFound : kExitCannotExecute;
  }

  bool interrupted = false;
  int status = follow_cmd(session, child.pid(), interrupted);
  reap_other_children(child.pid());
  if (command.wait_leaked_s && !interrupted) wait_for_leaked(session, *command.wait_leaked_s);
  if (command.kill_leaked) kill_leaked(session);
  session.settle_reaps();
  reap_other_children(child.pid());
  session.finish();
  const Graph& graph = session.graph();
  say_renamed(graph);
  std::string report_error = report.write(graph, ReportContext{command.command});
  if (!report_error.empty()) std::cerr << "proclife: " << report_error << '\n';
  auto lost = session.probe().lost_by_cause();
  std::cerr << lost_events_advice(lost.ring_buffer_full, lost.traced_table_full, command.trace.ring_buffer_mb);

  int result = status;
  if (!command.fail_on.empty()) {
    auto findings = evaluate_gate(graph, command.fail_on);
    write_gate_findings(graph, findings, std::cerr);
    if (!findings.empty()) result = kExitGateFailed;
  }
  // A report that could not be written never passes for success; a failing
  // CMD or gate keeps its own status (the error line above says the rest).
  return !report_error.empty() && result == 0 ? kExitProclifeError : result;
}

}  // namespace proclife
