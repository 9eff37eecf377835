// The lifetime graph: every traced process keyed by (pid, start time), built
// from a stream of decoded events. Pure: time comes only from the events.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "decode.hpp"
#include "events.hpp"

namespace proclife {

enum class EndState { reaped, zombie, running };
enum class ReapVia { wait4, waitid, autoreap, released };

struct CloneInfo {
  std::optional<CloneSyscall> syscall;  // unknown until the syscall returns
  uint64_t flags = 0;
  bool shares_mm = false;  // CLONE_VM, seen at fork
};

struct ExecRecord {
  uint64_t ns = 0;
  uint32_t tid = 0;  // the thread that called execve
  std::string filename;
  std::vector<std::string> argv;
  bool argv_truncated = false;
};

struct SignalSender {
  uint32_t pid = 0;
  uint32_t tid = 0;
  std::string comm;
  uint64_t ns = 0;
  // si_code > 0: the kernel sent it (a fault, the terminal, the OOM killer,
  // a timer), whatever task happened to be running then.
  bool from_kernel = false;
};

struct ExitRecord {
  uint64_t ns = 0;
  uint32_t raw_status = 0;
  ExitStatus status;
  uint32_t last_tid = 0;                 // the thread whose exit ended the process
  std::optional<uint32_t> exit_group_tid;  // the thread that called exit_group
  std::optional<SignalSender> killed_by;   // who sent the fatal signal
};

struct SigchldRecord {
  uint64_t generated_ns = 0;
  int result = 0;  // TRACE_SIGNAL_*: 0 delivered, 1 ignored, 2 pending, 3 overflow, 4 lose_info
  int info_code = 0;
  std::optional<uint64_t> delivered_ns;
  uint64_t handler = 0;
  uint64_t sa_flags = 0;
};

struct ReapRecord {
  ReapVia via = ReapVia::wait4;
  uint64_t ns = 0;
  std::optional<ProcKey> reaper;  // unset when the reaper is not traced
  uint32_t reaper_pid = 0;
  std::string reaper_comm;
  std::optional<uint64_t> wait_enter_ns;
  bool wnohang = false;
  bool parent_ignores_sigchld = false;  // autoreap: SIG_IGN rather than SA_NOCLDWAIT
};

struct OrphanRecord {
  uint64_t ns = 0;
  ProcKey old_parent;
  ProcKey new_parent;
  std::string new_parent_comm;  // empty when the new parent is not traced
};

struct WaitCall {
  uint64_t enter_ns = 0;
  uint64_t exit_ns = 0;
  uint32_t tid = 0;
  WaitSyscall syscall = WaitSyscall::wait4;
  int32_t which = 0;
  int32_t id = 0;
  uint32_t options = 0;
  int64_t ret = 0;
  WaitReport report = WaitReport::none;
  std::optional<ProcKey> reaped;
};

struct WaitStats {
  uint32_t calls = 0;
  uint32_t wnohang_polls = 0;  // WNOHANG calls that found nothing
  uint64_t blocked_ns = 0;     // time inside calls made without WNOHANG
};

struct OpenWait {  // a wait call entered and not yet returned
  uint64_t since_ns = 0;
  uint32_t tid = 0;
  int32_t target_pid = 0;  // 0: any child
};

struct ChildSignal {  // SIGCHLD for a stop or continue
  uint64_t ns = 0;
  int info_code = 0;
  int result = 0;
};

struct Process {
  ProcKey key;
  uint32_t ns_pid = 0;
  uint32_t ns_level = 0;
  bool pre_existing = false;  // its fork was not seen
  std::optional<ProcKey> fork_parent;
  uint32_t fork_parent_pid = 0;
  std::optional<ProcKey> parent;  // now: the fork parent, or who adopted it
  uint32_t parent_pid = 0;
  std::optional<uint64_t> fork_ns;
  int32_t exit_signal = kernel::kSigchld;
  CloneInfo clone;
  std::string comm;
  std::vector<ExecRecord> execs;
  uint32_t threads = 1;  // ever, the leader included
  std::optional<ExitRecord> exit;
  std::optional<SigchldRecord> sigchld;
  uint64_t parent_sigchld_handler = 0;  // the parent's SIGCHLD disposition when this exited
  std::vector<ChildSignal> stop_signals;
  std::optional<ReapRecord> reap;
  std::optional<OrphanRecord> orphaned;
  WaitStats waits;
  std::vector<WaitCall> wait_calls;  // the first kMaxWaitCalls
  std::vector<OpenWait> open_waits;  // at the end: what it hangs in
  std::vector<size_t> children;     // indices of everything it was parent of (skip the reaped)
  bool freed = false;
  // Kept until the process ends, to compute its wait status as the kernel does.
  std::optional<uint32_t> leader_exit_code;
  std::optional<uint32_t> exit_group_tid;

  EndState end_state() const;
  // From exit_notify() (SIGCHLD generated; else the exit) to the reap.
  std::optional<uint64_t> zombie_ns() const;
};

struct GraphOptions {
  uint64_t origin_ns = 0;         // when tracing started
  uint32_t observer_pid = 0;      // proclife itself: the parent of a `run` root
  uint32_t root_pid = 0;          // the `run` root, whose fork proclife made untraced
  std::string observer_comm = "proclife";
};

class Graph {
 public:
  static constexpr size_t kMaxWaitCalls = 4096;

  explicit Graph(GraphOptions options = {});

  void apply(const Event& event);
  // Marks a process known to exist before tracing began (attach, the run root).
  size_t add_pre_existing(ProcKey key, uint32_t parent_pid, std::string comm);
  // attach: a process found in /proc, whose kernel start time is not known
  // yet (start_ns 0); the first event naming its pid supplies it.
  void seed_pre_existing(uint32_t pid, uint32_t parent_pid, std::string comm);
  void finish(uint64_t end_ns) { end_ns_ = end_ns; }
  void set_lost_events(uint64_t lost) { lost_events_ = lost; }

  // A deque: growing never copies the processes already recorded.
  const std::deque<Process>& processes() const { return procs_; }
  const Process* find(ProcKey key) const;
  std::optional<size_t> index_of(ProcKey key) const;
  uint64_t origin_ns() const { return options_.origin_ns; }
  uint64_t end_ns() const { return end_ns_; }
  uint64_t lost_events() const { return lost_events_; }
  uint32_t observer_pid() const { return options_.observer_pid; }
  // Time relative to the trace start, for reports.
  int64_t rel(uint64_t ns) const { return static_cast<int64_t>(ns - options_.origin_ns); }

 private:
  size_t ensure(ProcKey key);
  std::optional<size_t> adopt_seeded(ProcKey key);
  Process& at(size_t index) { return procs_[index]; }

  void on_fork(const Event& e, const ForkEvent& fork);
  void on_clone_return(const Event& e, const CloneReturnEvent& ret);
  void apply_clone(size_t child, ProcKey creator, CloneSyscall syscall, uint64_t flags, bool flags_known);
  void on_exec(const Event& e, const ExecEvent& exec);
  void on_exit(const Event& e, const ExitEvent& exit);
  void on_free(const Event& e, const FreeEvent& free);
  void on_wait_enter(const Event& e, const WaitEnterEvent& wait);
  void on_wait_exit(const Event& e, const WaitExitEvent& wait);
  void on_signal_generate(const Event& e, const SignalEvent& sig);
  void on_signal_deliver(const Event& e, const SignalEvent& sig);

  void end_process(size_t index, const Event& e, const ExitEvent& exit);
  void reparent_children(size_t index, const Event& e, const ExitEvent& exit);
  // Unreaped children by the pid their parent's wait reports (host or
  // namespace pid); parent nullopt is proclife, the observer.
  std::optional<size_t> match_child(std::optional<size_t> parent, uint32_t pid) const;
  std::optional<uint32_t> parent_slot(const Process& process) const;
  void link_child(size_t child);
  void unlink_child(size_t child);
  void record_reap(size_t child, ReapRecord reap);
  std::optional<size_t> sigchld_sender(const Event& e, const SignalEvent& sig);

  GraphOptions options_;
  std::deque<Process> procs_;
  std::unordered_map<ProcKey, size_t> by_key_;
  std::unordered_map<uint32_t, std::vector<size_t>> pending_sigchld_;  // by receiving tgid
  std::unordered_map<uint64_t, SignalSender> last_signal_;  // (tgid << 8 | sig) -> sender
  std::unordered_map<uint64_t, size_t> unreaped_children_;  // (parent slot << 32 | pid) -> index
  std::unordered_map<uint32_t, size_t> seeded_;  // pid -> index, start time still unknown
  uint64_t end_ns_ = 0;
  uint64_t lost_events_ = 0;
};

// "fork", "vfork", "spawn" (CLONE_VM|CLONE_VFORK, as posix_spawn does),
// "clone", or "unknown" when the creating syscall was not seen.
const char* clone_kind_name(const Process& process);
const char* end_state_name(EndState state);
const char* reap_via_name(ReapVia via);
const char* sigchld_result_name(int result);

}  // namespace proclife
