// Builds synthetic event streams that read like the scenario they act out,
// so model and renderer tests need no kernel. Times are µs after the origin.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "events.hpp"
#include "model.hpp"
#include "stack.hpp"

namespace proclife::test {

inline constexpr uint64_t kOrigin = 1'000'000'000;  // ns: when the trace started
inline constexpr uint32_t kObserver = 100;           // proclife's own pid

struct Proc {
  uint32_t pid;
  uint64_t start_ns;
  uint32_t tid = 0;  // 0: the leader
  TaskId task() const { return {tid ? tid : pid, pid, start_ns}; }
  ProcKey key() const { return {pid, start_ns}; }
  Proc thread(uint32_t thread_tid) const { return {pid, start_ns, thread_tid}; }
};

inline uint64_t at_us(uint64_t us) { return kOrigin + us * 1000; }

inline uint32_t exited(int code) { return static_cast<uint32_t>(code) << 8; }
inline uint32_t killed(int sig, bool core = false) { return static_cast<uint32_t>(sig) | (core ? 0x80u : 0u); }

class Scenario {
 public:
  // The `run` root, started by proclife (the observer).
  Proc root(uint32_t pid, uint64_t start_us = 0) {
    root_pid_ = pid;
    return {pid, at_us(start_us)};
  }

  Proc fork(Proc parent, uint32_t child_pid, uint64_t t_us, std::string comm = "child") {
    Proc child{child_pid, at_us(t_us)};
    ForkEvent fork{child.task(), child_pid, 0, kernel::kSigchld, false, std::move(comm)};
    push(t_us, parent.task(), std::move(fork));
    return child;
  }

  Proc thread(Proc process, uint32_t tid, uint64_t t_us) {
    ForkEvent fork{process.thread(tid).task(), tid, 0, -1, true, "thread"};
    push(t_us, process.task(), std::move(fork));
    return process.thread(tid);
  }

  void exec(Proc p, std::string filename, std::vector<std::string> argv, uint64_t t_us) {
    std::string comm = filename.substr(filename.find_last_of('/') + 1).substr(0, 15);
    push(t_us, p.task(), ExecEvent{p.task().tid, comm, std::move(filename), std::move(argv), false});
  }

  // The last thread of `p` exits with a raw wait status. `parent` is who it
  // notifies; `parent_handler` its SIGCHLD disposition (0 default, 1 ignore).
  void exit(Proc p, uint32_t status, uint64_t t_us, Proc parent, uint64_t parent_handler = 0,
            uint32_t parent_flags = 0, Proc new_reaper = {1, 0}) {
    ExitEvent exit;
    exit.exit_code = status;
    exit.group_dead = true;
    exit.signal_flags = kernel::kSignalGroupExit;
    exit.group_exit_code = status;
    exit.task_flags = (status & 0x7f) ? kernel::kPfSignaled : 0;
    exit.exit_signal = kernel::kSigchld;
    exit.parent = parent.task();
    exit.new_reaper = new_reaper.task();
    exit.parent_sigchld_handler = parent_handler;
    exit.parent_sigchld_flags = parent_flags;
    exit.comm = "exiting";
    push(t_us, p.task(), std::move(exit));
  }

  void thread_exit(Proc thread, uint64_t t_us) {
    ExitEvent exit;
    exit.parent = {1, 1, 0};
    push(t_us, thread.task(), std::move(exit));
  }

  void sigchld(Proc child, Proc parent, int result, uint64_t t_us, int si_code = kernel::kCldExited) {
    SignalGenerateEvent sig;
    sig.target = parent.task();
    sig.sig = kernel::kSigchld;
    sig.info_code = si_code;
    sig.info_pid = static_cast<int32_t>(child.pid);
    sig.result = result;
    push(t_us, child.task(), std::move(sig));
  }

  void signal(Proc sender, Proc target, int sig, uint64_t t_us, std::string sender_comm = "killer") {
    SignalGenerateEvent event;
    event.target = target.task();
    event.sig = sig;
    event.comm = std::move(sender_comm);
    push(t_us, sender.task(), std::move(event));
  }

  void deliver_sigchld(Proc parent, uint64_t handler, uint64_t t_us, uint64_t sa_flags = 0) {
    SignalDeliverEvent sig;
    sig.target = parent.task();
    sig.sig = kernel::kSigchld;
    sig.handler = handler;
    sig.sa_flags = sa_flags;
    push(t_us, parent.task(), std::move(sig));
  }

  // wait4(which, &status, options) entered at enter_us (its wait_enter, unless
  // wait_enter() sent it already), returned `ret` at exit_us.
  void wait4(Proc waiter, int which, uint32_t options, int64_t ret, uint32_t status, uint64_t enter_us,
             uint64_t exit_us) {
    enter_unless_open(waiter, which > 0 ? which : 0, enter_us);
    WaitExitEvent wait;
    wait.syscall = WaitSyscall::wait4;
    wait.which = which;
    wait.options = options;
    wait.ret = ret;
    wait.status = static_cast<int32_t>(status);
    wait.status_read = ret > 0;
    push(exit_us, waiter.task(), std::move(wait));
  }

  void waitid(Proc waiter, int idtype, int id, uint32_t options, uint32_t reported_pid, int si_code,
              uint64_t enter_us, uint64_t exit_us) {
    enter_unless_open(waiter, idtype == kernel::kPPid ? id : 0, enter_us);
    WaitExitEvent wait;
    wait.syscall = WaitSyscall::waitid;
    wait.which = idtype;
    wait.id = id;
    wait.options = options;
    wait.ret = 0;
    wait.info_pid = static_cast<int32_t>(reported_pid);
    wait.info_code = si_code;
    wait.status_read = true;
    push(exit_us, waiter.task(), std::move(wait));
  }

  // The probe's wait_enter, for a call still open (or whose stack comes first).
  void wait_enter(Proc waiter, int32_t target_pid, uint64_t t_us) {
    push(t_us, waiter.task(), WaitEnterEvent{target_pid});
    open_waits_.insert(waiter.task().tid);
  }

  // --stacks: the resolved stack of the call `caller` made at site_us, sent
  // right after that call's event.
  void stack(Proc caller, StackSite site, uint64_t site_us, Stack stack) {
    push(site_us, caller.task(), StackEvent{site, at_us(site_us), {}, std::move(stack)});
  }

  void free(Proc p, uint64_t t_us) { push(t_us, p.task(), FreeEvent{}); }

  // One thread's exit during a group exit (exit_group() or a fatal signal).
  // The caller of exit_group() dies through do_exit() directly; every thread
  // it zapped dies through get_signal(), which marks it PF_SIGNALED. `last`
  // is the thread that saw signal->live reach 0 (group_dead).
  void group_exit_thread(Proc thread, uint32_t group_status, uint64_t t_us, Proc parent, bool caller, bool last) {
    ExitEvent exit;
    exit.exit_code = group_status;
    exit.group_dead = last;
    exit.signal_flags = kernel::kSignalGroupExit;
    exit.group_exit_code = group_status;
    exit.task_flags = caller ? 0 : kernel::kPfSignaled;
    exit.exit_signal = kernel::kSigchld;
    exit.parent = parent.task();
    exit.new_reaper = Proc{1, 0}.task();
    push(t_us, thread.task(), std::move(exit));
  }

  // The clone-family syscall that made `child` returned in `parent`.
  void clone_return(Proc parent, Proc child, CloneSyscall syscall, uint64_t flags, uint64_t t_us) {
    push(t_us, parent.task(), CloneReturnEvent{child.task(), flags, syscall, true, child.pid});
  }

  // The body of the event pushed last, to set a field the helpers above
  // leave at its default (a comm, WNOWAIT, ptraced...).
  template <typename Body>
  Body& last() {
    return std::get<Body>(events.back().body);
  }

  // The observer (proclife) reaps the root with waitid(P_PIDFD).
  void observer_reaps(Proc root, uint64_t enter_us, uint64_t exit_us) {
    waitid(Proc{kObserver, 0}, kernel::kPPidfd, 3, kernel::kWexited, root.pid, kernel::kCldExited, enter_us, exit_us);
  }

  Graph graph(uint64_t end_us) const {
    Graph graph({kOrigin, kObserver, root_pid_, "proclife", reap_source});
    for (const auto& event : events) graph.apply(event);
    graph.finish(at_us(end_us));
    return graph;
  }

  std::vector<Event> events;
  // What the probe would have said: wait results came from fexit.
  std::string reap_source = "fexit";

 private:
  void push(uint64_t t_us, TaskId task, EventBody body) {
    events.push_back(Event{at_us(t_us), 0, task, std::move(body)});
  }

  void enter_unless_open(Proc waiter, int32_t target_pid, uint64_t enter_us) {
    if (!open_waits_.erase(waiter.task().tid)) push(enter_us, waiter.task(), WaitEnterEvent{target_pid});
  }

  std::set<uint32_t> open_waits_;  // threads whose wait_enter() awaits its return

  uint32_t root_pid_ = 0;
};

// Frames as the resolver makes them, innermost first.
inline Frame native_frame(std::string symbol, std::string module = "/usr/bin/app", uint64_t address = 0x1000) {
  Frame frame;
  frame.pc = 0x555500000000 + address;
  frame.module = std::move(module);
  frame.build_id = "0123456789abcdef";
  frame.module_address = address;
  frame.symbol = std::move(symbol);
  return frame;
}

inline Frame python_frame(std::string qualname, std::string file, uint32_t line) {
  Frame frame;
  frame.kind = Frame::Kind::python;
  frame.symbol = std::move(qualname);
  frame.file = std::move(file);
  frame.line = line;
  return frame;
}

}  // namespace proclife::test
