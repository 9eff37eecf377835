#include "model.hpp"

#include <algorithm>
#include <stdexcept>

namespace proclife {
namespace {

constexpr uint32_t kObserverSlot = UINT32_MAX;

uint64_t child_slot_key(uint32_t parent_slot, uint32_t pid) { return static_cast<uint64_t>(parent_slot) << 32 | pid; }

bool is_exit_report(int info_code) {
  return info_code == kernel::kCldExited || info_code == kernel::kCldKilled || info_code == kernel::kCldDumped;
}

uint64_t signal_slot(uint32_t tgid, int sig) { return static_cast<uint64_t>(tgid) << 8 | (sig & 0xff); }

// A recording may say anything; the kernel nests pid namespaces 32 deep.
uint8_t pid_ns_level(uint32_t level) { return static_cast<uint8_t>(std::min<uint32_t>(level, UINT8_MAX)); }

// What a process's next exec or exit may not precede: its fork, its last exec.
uint64_t last_event_ns(const Process& process) {
  uint64_t ns = process.fork_ns.value_or(0);
  if (!process.execs.empty()) ns = std::max(ns, process.execs.back().ns);
  return ns;
}

}  // namespace

EndState Process::end_state() const {
  if (reap) return EndState::reaped;
  return exit ? EndState::zombie : EndState::running;
}

std::optional<uint64_t> Process::zombie_since_ns() const {
  if (!exit) return std::nullopt;
  // sched_process_exit fires as do_exit() begins; the task is a zombie only
  // once exit_notify() has run, which is when SIGCHLD is generated. Tearing
  // down a large address space in between can take milliseconds.
  bool sigchld_first = sigchld && sigchld->generated_ns >= exit->ns && (!reap || sigchld->generated_ns <= reap->ns);
  return sigchld_first ? sigchld->generated_ns : exit->ns;
}

std::optional<uint64_t> Process::zombie_ns() const {
  auto since = zombie_since_ns();
  if (!since || !reap || reap->ns < *since) return std::nullopt;
  return reap->ns - *since;
}

Graph::Graph(GraphOptions options) : options_(std::move(options)) {}

void Graph::set_options(GraphOptions options) {
  if (!procs_.empty() || decode_errors_) throw std::logic_error("Graph::set_options after the first event");
  options_ = std::move(options);
}

const Process* Graph::find(ProcKey key) const {
  auto index = index_of(key);
  return index ? &procs_[*index] : nullptr;
}

std::optional<size_t> Graph::index_of(ProcKey key) const {
  return by_key_.find(key, key_of());
}

size_t Graph::add_pre_existing(ProcKey key, uint32_t parent_pid, std::string comm) {
  if (auto existing = index_of(key)) return *existing;
  Process process;
  process.key = key;
  process.ns_pid = key.pid;
  process.pre_existing = true;
  process.parent_pid = parent_pid;
  process.fork_parent_pid = parent_pid;
  process.comm = std::move(comm);
  size_t index = procs_.size();
  procs_.push_back(std::move(process));
  by_key_.insert(key, index, key_of());
  link_child(index);
  return index;
}

void Graph::seed_pre_existing(uint32_t pid, uint32_t parent_pid, std::string comm) {
  ProcKey key{pid, 0};
  if (index_of(key)) return;
  size_t index = add_pre_existing(key, parent_pid, std::move(comm));
  if (auto parent = seeded_.find(parent_pid); parent != seeded_.end()) {
    at(index).fork_parent = at(parent->second).key;
    at(index).parent = at(index).fork_parent;
    link_child(index);
    note_parent_refs(index);
  }
  seeded_.emplace(pid, index);
}

std::optional<size_t> Graph::adopt_seeded(ProcKey key) {
  auto seeded = seeded_.find(key.pid);
  if (seeded == seeded_.end()) return std::nullopt;
  size_t index = seeded->second;
  seeded_.erase(seeded);
  ProcKey placeholder = at(index).key;
  by_key_.erase(placeholder, key_of());
  at(index).key = key;
  by_key_.insert(key, index, key_of());
  if (auto refs = placeholder_refs_.find(key.pid); refs != placeholder_refs_.end()) {
    for (size_t referrer : refs->second) {
      Process& process = at(referrer);
      if (process.fork_parent == placeholder) process.fork_parent = key;
      if (process.parent == placeholder) process.parent = key;
    }
    placeholder_refs_.erase(refs);
  }
  return index;
}

void Graph::note_parent_refs(size_t index) {
  const Process& process = at(index);
  for (const auto& named : {process.fork_parent, process.parent}) {
    if (!named || named->start_ns != 0) continue;
    auto seeded = seeded_.find(named->pid);
    if (seeded != seeded_.end() && at(seeded->second).key == *named) placeholder_refs_[named->pid].push_back(index);
  }
}

void Graph::note(InconsistencyNote note) {
  inconsistency_counts_[static_cast<size_t>(note.kind)]++;
  if (inconsistency_) inconsistency_(note);
}

uint64_t Graph::not_before(uint64_t ns, uint64_t bound, Inconsistency kind, const Process& process,
                           const char* event) {
  if (ns >= bound) return ns;
  note({kind, process.key, event, ns, bound});
  return bound;
}

size_t Graph::ensure(ProcKey key) {
  if (auto existing = index_of(key)) return *existing;
  if (auto seeded = adopt_seeded(key)) return *seeded;
  if (key.pid != options_.root_pid || !options_.root_pid) return add_pre_existing(key, 0, {});
  // The run root: proclife forked it untraced, at its start time.
  size_t index = add_pre_existing(key, options_.observer_pid, {});
  at(index).pre_existing = false;
  at(index).fork_ns = key.start_ns;
  return index;
}

void Graph::apply(const Event& event) {
  dispatch(
      event.body, [&](const ForkEvent& fork) { on_fork(event, fork); },
      [&](const ExecEvent& exec) { on_exec(event, exec); }, [&](const ExitEvent& exit) { on_exit(event, exit); },
      [&](const FreeEvent& free) { on_free(event, free); },
      [&](const WaitEnterEvent& wait) { on_wait_enter(event, wait); },
      [&](const WaitExitEvent& wait) { on_wait_exit(event, wait); },
      [&](const SignalGenerateEvent& sig) { on_signal_generate(event, sig); },
      [&](const SignalDeliverEvent& sig) { on_signal_deliver(event, sig); },
      [&](const CloneReturnEvent& ret) { on_clone_return(event, ret); },
      [&](const StackEvent& stack) { on_stack(event, stack); });
}

void Graph::on_fork(const Event& e, const ForkEvent& fork) {
  size_t parent = ensure(e.task.process());
  if (fork.child.tgid == e.task.tgid) {
    at(parent).threads++;
    return;
  }
  ProcKey key = fork.child.process();
  if (auto known = index_of(key)) {
    // Its own events came first: it stays as they made it, pre-existing.
    if (at(*known).pre_existing && !seeded_.count(key.pid))
      note({Inconsistency::fork_after_own_events, key, "fork", e.ns, 0});
    return;
  }
  if (auto seeded = adopt_seeded(key)) {
    // attach: found in /proc by the second scan, forked after the first.
    at(*seeded).pre_existing = false;
    at(*seeded).fork_ns = e.ns;
    return;
  }
  Process child;
  child.key = key;
  child.ns_pid = fork.child_ns_pid;
  child.ns_level = pid_ns_level(fork.child_ns_level);
  child.fork_parent = at(parent).key;
  child.fork_parent_pid = at(parent).key.pid;
  child.parent = child.fork_parent;
  child.parent_pid = child.fork_parent_pid;
  child.fork_ns = e.ns;
  child.exit_signal = fork.child_exit_signal;
  child.shares_mm = fork.shares_mm;
  child.comm = fork.comm;
  size_t index = procs_.size();
  procs_.push_back(std::move(child));
  by_key_.insert(key, index, key_of());
  link_child(index);
  // The clone facts before the observer hears of it: CLONE_PARENT changes
  // its parent.
  if (fork.clone_syscall)
    apply_clone(index, at(parent).key, *fork.clone_syscall, fork.clone_flags, fork.clone_flags_known);
  note_parent_refs(index);
  if (observer_) observer_->on_fork(*this, at(index));
}

// Recordings made by older probes: the clone facts came when the call returned.
void Graph::on_clone_return(const Event& e, const CloneReturnEvent& ret) {
  if (ret.child.tid != ret.child.tgid) return;  // a thread
  auto child = index_of(ret.child.process());
  if (!child) return;
  if (apply_clone(*child, e.task.process(), ret.syscall, ret.flags, ret.flags_known)) note_parent_refs(*child);
}

bool Graph::apply_clone(size_t child, ProcKey creator_key, CloneSyscall syscall, uint64_t flags, bool flags_known) {
  Process& process = at(child);
  process.clone_syscall = syscall;
  if (!flags_known) return false;
  process.clone_flags = flags;
  // CLONE_PARENT (runc's nsexec, for one): the child's parent is its
  // creator's parent, who gets its SIGCHLD and must reap it.
  auto creator = index_of(creator_key);
  if (!(flags & kernel::kCloneParent) || !creator || process.reap) return false;
  unlink_child(child);
  process.parent = at(*creator).parent;
  process.parent_pid = at(*creator).parent_pid;
  link_child(child);
  return true;  // the caller notes the new parent's references
}

void Graph::on_exec(const Event& e, const ExecEvent& exec) {
  Process& process = at(ensure(e.task.process()));
  uint64_t ns = not_before(e.ns, last_event_ns(process), Inconsistency::event_before_fork, process, "exec");
  process.execs.push_back({ns, exec.old_tid, exec.filename, exec.argv, exec.argv_truncated});
  process.comm = exec.comm;
  if (observer_) observer_->on_exec(*this, process);
}

void Graph::on_exit(const Event& e, const ExitEvent& exit) {
  size_t index = ensure(e.task.process());
  Process& process = at(index);
  if (e.task.tid == e.task.tgid) {
    // Needed only when a later thread's exit ends the process and no group
    // exit code stands for all (see end_process).
    if (!exit.group_dead && !(exit.signal_flags & kernel::kSignalGroupExit))
      process.edit_rare().leader_exit_code = exit.exit_code;
    if (!exit.comm.empty()) process.comm = exit.comm;
  }
  // do_group_exit() sets SIGNAL_GROUP_EXIT for the caller; every thread it
  // zaps dies through get_signal(), which marks it PF_SIGNALED.
  if ((exit.signal_flags & kernel::kSignalGroupExit) && !(exit.task_flags & kernel::kPfSignaled) &&
      !process.exit_group_tid && !process.exit)
    process.exit_group_tid = e.task.tid;
  // The probe reports a thread's exit only when it matters here: the leader,
  // the exit_group() caller, the last thread.
  if (!exit.group_dead) return;
  // Threads are counted in the kernel (older probes sent a fork per thread).
  process.threads = std::max(process.threads, 1 + exit.thread_forks);
  if (process.exit) return;  // two threads raced to see signal->live reach 0
  end_process(index, e, exit);
}

void Graph::end_process(size_t index, const Event& e, const ExitEvent& exit) {
  Process& process = at(index);
  // wait_task_zombie(): the group exit code when the group was killed or
  // exit_group()ed, else the leader's own exit code.
  uint32_t raw = (exit.signal_flags & kernel::kSignalGroupExit) ? exit.group_exit_code
                 : e.task.tid == e.task.tgid                    ? exit.exit_code
                                                                : process.rare().leader_exit_code.value_or(exit.exit_code);
  uint64_t ns = not_before(e.ns, last_event_ns(process), Inconsistency::event_before_fork, process, "exit");
  ExitRecord record{.ns = ns, .cgroup_id = exit.cgroup_id, .raw_status = raw, .last_tid = e.task.tid};
  if (auto signal = record.status().signal) {
    auto sender = last_signal_.find(signal_slot(e.task.tgid, *signal));
    if (sender != last_signal_.end()) process.edit_rare().killed_by = sender->second;
  }
  // Its pid may be reused: nothing of what it received may outlive it.
  for (int sig = 1; sig <= 64; ++sig) last_signal_.erase(signal_slot(e.task.tgid, sig));
  pending_sigchld_.erase(e.task.tgid);
  process.exit = record;
  process.exit_signal = exit.exit_signal;
  process.parent_sigchld = sigchld_disposition(exit.parent_sigchld_handler);
  if (process.ns_level == 0 && exit.ns_level > 0) {
    // Learnt only now (it existed before the trace): its parent's wait will
    // report this pid.
    process.ns_level = pid_ns_level(exit.ns_level);
    process.ns_pid = exit.ns_pid;
    if (auto slot = parent_slot(process)) unreaped_children_[child_slot_key(*slot, process.ns_pid)] = index;
  }

  // do_notify_parent(): no zombie when the parent ignores SIGCHLD or set SA_NOCLDWAIT.
  if (observer_) observer_->on_exit(*this, process);
  bool autoreap = !exit.ptraced && exit.exit_signal == kernel::kSigchld &&
                  (exit.parent_sigchld_handler == kernel::kSigIgn ||
                   (exit.parent_sigchld_flags & kernel::kSaNocldwait));
  if (autoreap) {
    ReapRecord reap;
    reap.via = ReapVia::autoreap;
    reap.ns = ns;
    reap.parent_ignores_sigchld = exit.parent_sigchld_handler == kernel::kSigIgn;
    reap.reaper = index_of(exit.parent.process()) ? std::optional(exit.parent.process()) : std::nullopt;
    reap.reaper_pid = exit.parent.tgid;
    if (reap.reaper) reap.reaper_comm = find(*reap.reaper)->comm;
    record_reap(index, std::move(reap));
  }
  reparent_children(index, e, exit);
}

void Graph::reparent_children(size_t index, const Event& e, const ExitEvent& exit) {
  ProcKey new_parent = exit.new_reaper.process();
  // No reaper: a pid namespace's init died, and its children die with it.
  if (!new_parent.pid) return;
  std::optional<size_t> adopter = index_of(new_parent);
  std::vector<size_t> children;
  if (!at(index).children.empty()) children.assign(at(index).children.begin(), at(index).children.end());
  at(index).children.clear();
  for (size_t child : children) {
    Process& orphan = at(child);
    if (orphan.reap || orphan.parent != at(index).key) continue;
    unlink_child(child);
    orphan.edit_rare().orphaned = OrphanRecord{e.ns, at(index).key, new_parent, adopter ? at(*adopter).comm : std::string()};
    orphan.parent = adopter ? std::optional(new_parent) : std::nullopt;
    orphan.parent_pid = new_parent.pid;
    link_child(child);
    note_parent_refs(child);
    if (observer_) observer_->on_orphan(*this, orphan);
  }
}

std::optional<uint32_t> Graph::parent_slot(const Process& process) const {
  if (process.parent) {
    auto parent = index_of(*process.parent);
    return parent ? std::optional(static_cast<uint32_t>(*parent)) : std::nullopt;
  }
  if (options_.observer_pid && process.parent_pid == options_.observer_pid) return kObserverSlot;
  return std::nullopt;
}

void Graph::link_child(size_t child) {
  const Process& process = at(child);
  auto slot = parent_slot(process);
  if (!slot) return;
  if (*slot != kObserverSlot) at(*slot).children.push_back(static_cast<uint32_t>(child));
  // wait4 and waitid report pids as the caller's namespace sees them.
  unreaped_children_[child_slot_key(*slot, process.key.pid)] = child;
  if (process.ns_pid != process.key.pid) unreaped_children_[child_slot_key(*slot, process.ns_pid)] = child;
}

void Graph::unlink_child(size_t child) {
  const Process& process = at(child);
  auto slot = parent_slot(process);
  if (!slot) return;
  for (uint32_t pid : {process.key.pid, process.ns_pid}) {
    auto it = unreaped_children_.find(child_slot_key(*slot, pid));
    if (it != unreaped_children_.end() && it->second == child) unreaped_children_.erase(it);
  }
}

std::optional<size_t> Graph::match_child(std::optional<size_t> parent, uint32_t pid) const {
  uint32_t slot = parent ? static_cast<uint32_t>(*parent) : kObserverSlot;
  auto it = unreaped_children_.find(child_slot_key(slot, pid));
  if (it == unreaped_children_.end()) return std::nullopt;
  return it->second;
}

void Graph::record_reap(size_t child, ReapRecord reap) {
  Process& process = at(child);
  if (process.reap) return;
  if (process.exit) reap.ns = not_before(reap.ns, process.exit->ns, Inconsistency::reap_before_exit, process, "reap");
  else if (reap.via != ReapVia::released) note({Inconsistency::reap_before_exit, process.key, "reap", reap.ns, 0});
  unlink_child(child);
  process.reap = std::move(reap);
  if (observer_) observer_->on_reap(*this, process);
}

void Graph::on_free(const Event& e, const FreeEvent& free) {
  auto index = index_of(e.task.process());
  if (!index) index = adopt_seeded(e.task.process());  // a zombie found in /proc
  if (!index) return;
  Process& process = at(*index);
  if (process.reap || !process.exit) return;
  // Released without a wait we saw: its reaper is not traced (init adopting
  // an orphan), it used waitid without an infop, or no wait results are
  // traced at all. The time is the free's, an RCU grace period after the
  // real reap.
  const auto& orphaned = process.rare().orphaned;
  if (free.parent.tgid && orphaned && free.parent.process() == orphaned->old_parent) {
    // Its parent reaped it before dying, which only the release tells
    // without wait results: it was never orphaned.
    unlink_child(*index);
    process.parent = orphaned->old_parent;
    process.parent_pid = orphaned->old_parent.pid;
    process.edit_rare().orphaned.reset();
    note_parent_refs(*index);
  }
  ReapRecord reap;
  reap.via = ReapVia::released;
  reap.ns = e.ns;
  reap.reaper = process.parent;
  reap.reaper_pid = process.parent_pid;
  // Its parent's key outlives the parent's record when compact() removed it.
  if (const Process* parent = process.parent ? find(*process.parent) : nullptr) reap.reaper_comm = parent->comm;
  record_reap(*index, std::move(reap));
}

namespace {

// The thread's open wait, taken out of `open_waits`. A thread is in one wait
// at a time.
std::optional<OpenWait> take_open_wait(std::vector<OpenWait>& open_waits, uint32_t tid) {
  auto it = std::find_if(open_waits.begin(), open_waits.end(), [&](const OpenWait& open) { return open.tid == tid; });
  if (it == open_waits.end()) return std::nullopt;
  OpenWait open = std::move(*it);
  open_waits.erase(it);
  return open;
}

}  // namespace

void Graph::on_wait_enter(const Event& e, const WaitEnterEvent& wait) {
  // proclife's own waits (for the run root) are kept only to time its reap.
  bool by_observer = options_.observer_pid && e.task.tgid == options_.observer_pid;
  auto& open_waits = by_observer ? observer_open_waits_ : at(ensure(e.task.process())).edit_rare().open_waits;
  // Without the syscall hook no return closes the thread's last one.
  take_open_wait(open_waits, e.task.tid);
  open_waits.push_back({e.ns, e.task.tid, wait.target_pid});
}

void Graph::on_wait_exit(const Event& e, const WaitExitEvent& wait) {
  bool by_observer = options_.observer_pid && e.task.tgid == options_.observer_pid;
  std::optional<size_t> waiter;
  if (!by_observer) waiter = ensure(e.task.process());
  bool wnohang = wait.options & kernel::kWnohang;
  // The return closes the thread's open wait: when it began and where it was
  // called. Without one (do_wait() never reached: bad arguments; or its
  // wait_enter lost) when it began is not known, and not guessed.
  auto open = take_open_wait(by_observer ? observer_open_waits_ : at(*waiter).edit_rare().open_waits, e.task.tid);
  uint64_t enter_ns = open ? open->since_ns : e.ns;
  if (enter_ns > e.ns) {
    note({Inconsistency::wait_return_before_entry, e.task.process(), "wait", e.ns, enter_ns});
    enter_ns = e.ns;  // as if it returned at once
  }

  WaitCall call{enter_ns, e.ns, e.task.tid, wait.syscall, wait.which, wait.id, wait.options, wait.ret,
                classify_wait_report(wait), std::nullopt};
  uint32_t reported_pid = wait.syscall == WaitSyscall::wait4 ? static_cast<uint32_t>(std::max<int64_t>(wait.ret, 0))
                                                             : static_cast<uint32_t>(wait.info_pid);
  std::optional<size_t> reaped_child;
  if (call.report == WaitReport::exited && !(wait.options & kernel::kWnowait)) {
    if (auto child = match_child(waiter, reported_pid); child && !at(*child).reap) {
      reaped_child = child;
      ReapRecord reap;
      reap.via = wait.syscall == WaitSyscall::waitid ? ReapVia::waitid : ReapVia::wait4;
      reap.ns = e.ns;
      reap.reaper_pid = e.task.tgid;
      reap.reaper_comm = by_observer ? options_.observer_comm : at(*waiter).comm;
      if (waiter) reap.reaper = at(*waiter).key;
      if (open) reap.wait_enter_ns = enter_ns;
      reap.wnohang = wnohang;
      call.reaped = at(*child).key;
      record_reap(*child, std::move(reap));
    }
  }
  if (!waiter) return;
  RareParts& rare = at(*waiter).edit_rare();
  Boxed<Stack> stack = open ? std::move(open->stack) : Boxed<Stack>{};
  rare.waits.calls++;
  bool found_nothing = wait.syscall == WaitSyscall::wait4 ? wait.ret == 0 : wait.ret == 0 && wait.info_pid == 0;
  if (wnohang && found_nothing) rare.waits.wnohang_polls++;
  if (open && !wnohang && e.ns >= enter_ns) rare.waits.blocked_ns += e.ns - enter_ns;
  if (rare.wait_calls.size() >= kMaxWaitCalls) {
    if (stack) rare.waits.stacks_dropped++;
    return;
  }
  keep_wait_stack(rare.waits, call, std::move(stack));
  rare.wait_calls.push_back(std::move(call));
  if (reaped_child) at(*reaped_child).reap->wait_call_slot = static_cast<uint16_t>(rare.wait_calls.size());
}

void Graph::keep_wait_stack(WaitStats& waits, WaitCall& call, Boxed<Stack> stack) {
  if (!stack) return;
  if (!call.reaped && waits.stacks_kept >= kMaxWaitStacks) {
    waits.stacks_dropped++;
    return;
  }
  if (!call.reaped) waits.stacks_kept++;
  call.stack = std::move(stack);
}

void Graph::visit_stacks(const std::function<void(Stack&)>& visit) {
  auto each = [&](Boxed<Stack>& stack) {
    if (stack) visit(*stack);
  };
  for (Process& process : procs_) {
    if (!process.rare_parts) continue;
    RareParts& rare = *process.rare_parts;
    each(rare.fork_stack);
    each(rare.exit_group_stack);
    for (WaitCall& call : rare.wait_calls) each(call.stack);
    for (OpenWait& wait : rare.open_waits) each(wait.stack);
  }
}

void Graph::on_stack(const Event& e, const StackEvent& event) {
  ++stacks_seen_;
  // proclife's own waits for the run root are not calls the graph keeps.
  if (options_.observer_pid && e.task.tgid == options_.observer_pid) return;
  auto caller = index_of(e.task.process());
  if (!caller) {
    ++unmatched_stacks_;
    return;
  }
  Process& process = at(*caller);
  switch (event.site) {
    case StackSite::wait:
      if (!process.rare_parts) break;
      // Sent after the wait_enter, so usually while the call is open; a
      // probe without the enter hook leaves only the returned call.
      for (auto& open : process.rare_parts->open_waits)
        if (open.tid == e.task.tid && open.since_ns == event.site_ns && !open.stack) {
          open.stack = event.stack;
          return;
        }
      for (auto call = process.rare_parts->wait_calls.rbegin(); call != process.rare_parts->wait_calls.rend(); ++call) {
        if (call->tid != e.task.tid) continue;
        if (call->enter_ns != event.site_ns || call->stack) break;
        keep_wait_stack(process.rare_parts->waits, *call, event.stack);
        return;
      }
      break;
    case StackSite::fork:
      if (auto child = forked_at(*caller, event.site_ns); child && !at(*child).rare().fork_stack) {
        at(*child).edit_rare().fork_stack = event.stack;
        return;
      }
      break;
    case StackSite::exit_group:
      // Before the exit a later call's stack replaces an earlier one; after
      // it, the first to arrive is the caller's.
      if (!process.exit || !process.rare().exit_group_stack) {
        process.edit_rare().exit_group_stack = event.stack;
        return;
      }
      break;
  }
  ++unmatched_stacks_;
}

// The process `parent` forked at `ns`: among its children, or among its
// parent's when CLONE_PARENT handed the child over. None for a thread.
std::optional<size_t> Graph::forked_at(size_t parent, uint64_t ns) const {
  ProcKey creator = procs_[parent].key;
  auto made_by = [&](size_t holder) -> std::optional<size_t> {
    const auto& children = procs_[holder].children;
    for (auto child = children.rbegin(); child != children.rend(); ++child)
      if (procs_[*child].fork_ns == ns && procs_[*child].fork_parent == creator) return *child;
    return std::nullopt;
  };
  if (auto child = made_by(parent)) return child;
  const auto& grandparent = procs_[parent].parent;
  if (auto holder = grandparent ? index_of(*grandparent) : std::nullopt) return made_by(*holder);
  return std::nullopt;
}

std::optional<size_t> Graph::sigchld_sender(const Event& e, const SignalEvent& sig) {
  auto sender = index_of(e.task.process());
  if (sender && at(*sender).parent && at(*sender).parent->pid == sig.target.tgid) return sender;
  // A dying parent re-notifies the new parent of its zombie children
  // (reparent_leader()): then only info_pid names the child.
  auto pid = static_cast<uint32_t>(sig.info_pid);
  if (options_.observer_pid && sig.target.tgid == options_.observer_pid) return match_child(std::nullopt, pid);
  if (auto target = index_of(sig.target.process())) return match_child(target, pid);
  return std::nullopt;
}

void Graph::on_signal_generate(const Event& e, const SignalEvent& sig) {
  if (sig.sig != kernel::kSigchld) {
    last_signal_[signal_slot(sig.target.tgid, sig.sig)] =
        SignalSender{e.task.tgid, e.task.tid, sig.comm, e.ns, sig.info_code > 0};
    return;
  }
  auto child = sigchld_sender(e, sig);
  if (!child) return;
  Process& process = at(*child);
  if (!is_exit_report(sig.info_code)) {
    process.edit_rare().stop_signals.push_back({e.ns, sig.info_code, sigchld_result(sig.result)});
    return;
  }
  if (process.sigchld) return;
  SigchldResult result = sigchld_result(sig.result);
  process.sigchld = SigchldRecord{.generated_ns = e.ns, .info_code = sig.info_code, .result = result};
  if (result == SigchldResult::delivered || result == SigchldResult::pending)
    pending_sigchld_[sig.target.tgid].push_back(*child);
}

void Graph::on_signal_deliver(const Event& e, const SignalEvent& sig) {
  if (sig.sig != kernel::kSigchld) return;
  auto pending = pending_sigchld_.find(e.task.tgid);
  if (pending == pending_sigchld_.end()) return;
  // One dequeued SIGCHLD stands for every child whose SIGCHLD was pending.
  for (size_t child : pending->second) {
    auto& record = at(child).sigchld;
    if (!record || record->delivered_ns) continue;
    record->delivered_ns = e.ns;
    record->disposition = sigchld_disposition(sig.handler);
    record->sa_flags = sig.sa_flags;
  }
  pending_sigchld_.erase(pending);
}

size_t Graph::compact(const std::function<bool(const Process&)>& drop) {
  constexpr size_t kGone = SIZE_MAX;
  std::vector<size_t> remap(procs_.size(), kGone);
  ChunkedVector<Process> kept;
  for (size_t i = 0; i < procs_.size(); ++i) {
    if (drop(procs_[i])) continue;
    remap[i] = kept.size();
    kept.push_back(std::move(procs_[i]));
  }
  size_t removed = procs_.size() - kept.size();
  procs_.swap(kept);
  kept.clear();
  if (!removed) return 0;

  // Fresh containers: their bucket arrays shrink with the graph.
  by_key_.clear();
  for (size_t i = 0; i < procs_.size(); ++i) {
    by_key_.insert(procs_[i].key, i, key_of());
    procs_[i].children.erase_if([&](uint32_t child) { return remap[child] == kGone; });
    for (uint32_t& child : procs_[i].children.span()) child = static_cast<uint32_t>(remap[child]);
  }

  std::unordered_map<uint32_t, std::vector<size_t>> pending;
  for (auto& [tgid, children] : pending_sigchld_) {
    std::vector<size_t> moved;
    for (size_t child : children)
      if (remap[child] != kGone) moved.push_back(remap[child]);
    if (!moved.empty()) pending.emplace(tgid, std::move(moved));
  }
  pending_sigchld_.swap(pending);

  std::unordered_map<uint64_t, size_t> unreaped;
  for (auto [slot_pid, child] : unreaped_children_) {
    auto slot = static_cast<uint32_t>(slot_pid >> 32);
    if (remap[child] == kGone) continue;
    if (slot != kObserverSlot) {
      if (remap[slot] == kGone) continue;
      slot = static_cast<uint32_t>(remap[slot]);
    }
    unreaped.emplace(child_slot_key(slot, static_cast<uint32_t>(slot_pid)), remap[child]);
  }
  unreaped_children_.swap(unreaped);

  std::unordered_map<uint32_t, size_t> seeded;
  for (auto [pid, index] : seeded_)
    if (remap[index] != kGone) seeded.emplace(pid, remap[index]);
  seeded_.swap(seeded);

  std::unordered_map<uint32_t, std::vector<size_t>> refs;
  for (auto& [pid, referrers] : placeholder_refs_) {
    std::vector<size_t> moved;
    for (size_t index : referrers)
      if (remap[index] != kGone) moved.push_back(remap[index]);
    if (!moved.empty()) refs.emplace(pid, std::move(moved));
  }
  placeholder_refs_.swap(refs);
  return removed;
}

const char* clone_kind_name(const Process& process) {
  if (!process.clone_syscall) return process.pre_existing ? "unknown" : (process.shares_mm ? "clone" : "fork");
  switch (*process.clone_syscall) {
    case CloneSyscall::fork: return "fork";
    case CloneSyscall::vfork: return "vfork";
    case CloneSyscall::clone:
    case CloneSyscall::clone3:
      constexpr uint64_t kSpawn = kernel::kCloneVm | kernel::kCloneVfork;
      if ((process.clone_flags & kSpawn) == kSpawn) return "spawn";
      if (process.clone_flags & kernel::kCloneVfork) return "vfork";
      return (process.clone_flags & kernel::kCloneVm) ? "clone" : "fork";
  }
  return "unknown";
}

}  // namespace proclife
