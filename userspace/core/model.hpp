// The lifetime graph: every traced process keyed by (pid, start time), built
// from a stream of decoded events. Pure: time comes only from the events.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "boxed.hpp"
#include "chunked_vector.hpp"
#include "comm.hpp"
#include "events.hpp"
#include "kernel.hpp"
#include "process_index.hpp"
#include "sentinel.hpp"
#include "stack.hpp"

namespace proclife {

enum class EndState : uint8_t { reaped, zombie, running };
inline constexpr std::array<Named<EndState>, 3> kEndStateNames{{
    {EndState::reaped, "reaped"},
    {EndState::zombie, "zombie"},
    {EndState::running, "running"},
}};
enum class ReapVia : uint8_t { wait4, waitid, autoreap, released };
inline constexpr std::array<Named<ReapVia>, 4> kReapViaNames{{
    {ReapVia::wait4, "wait4"},
    {ReapVia::waitid, "waitid"},
    {ReapVia::autoreap, "autoreap"},
    {ReapVia::released, "released"},
}};
inline std::string_view end_state_name(EndState state) { return name_of(kEndStateNames, state); }
inline std::string_view reap_via_name(ReapVia via) { return name_of(kReapViaNames, via); }

struct ExecRecord {
  uint64_t ns = 0;
  uint32_t tid = 0;  // the thread that called execve
  std::string filename;
  std::vector<std::string> argv;
  bool argv_truncated = false;
};

// The probe captures PL_FILENAME_LEN bytes, the NUL included: a filename
// that fills them may have been cut.
inline bool filename_truncated(const ExecRecord& exec) { return exec.filename.size() >= PL_FILENAME_LEN - 1; }

struct SignalSender {
  uint32_t pid = 0;
  uint32_t tid = 0;
  Comm comm;
  uint64_t ns = 0;
  // si_code > 0: the kernel sent it (a fault, the terminal, the OOM killer,
  // a timer), whatever task happened to be running then.
  bool from_kernel = false;
};

struct ExitRecord {
  uint64_t ns = 0;
  uint64_t cgroup_id = 0;  // cgroup2 id at exit; 0 unknown
  uint32_t raw_status = 0;
  uint32_t last_tid = 0;  // the thread whose exit ended the process

  ExitStatus status() const { return decode_exit_status(raw_status); }
};

struct SigchldRecord {
  uint64_t generated_ns = 0;
  OptionalNs delivered_ns;
  uint64_t sa_flags = 0;
  int info_code = 0;
  SigchldResult result = SigchldResult::delivered;
  SigchldDisposition disposition = SigchldDisposition::default_action;  // once delivered
};

struct ReapRecord {
  uint64_t ns = 0;
  OptionalNs wait_enter_ns;
  OptionalKey reaper;  // unset when the reaper is not traced
  Comm reaper_comm;
  uint32_t reaper_pid = 0;
  ReapVia via = ReapVia::wait4;
  bool wnohang : 1 = false;
  bool parent_ignores_sigchld : 1 = false;  // autoreap: SIG_IGN rather than SA_NOCLDWAIT
  // 1 + the reaping call's index in the reaper's wait_calls (0: that call is
  // not kept), so that renderers find it for each child without a scan.
  uint16_t wait_call_slot = 0;
};

struct OrphanRecord {
  uint64_t ns = 0;
  ProcKey old_parent;
  ProcKey new_parent;
  Comm new_parent_comm;  // empty when the new parent is not traced
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
  OptionalKey reaped;
  Boxed<Stack> stack;  // --stacks: where it was called (see Graph::kMaxWaitStacks)
};

struct WaitStats {
  uint32_t calls = 0;
  uint32_t wnohang_polls = 0;  // WNOHANG calls that found nothing
  uint64_t blocked_ns = 0;     // time inside calls made without WNOHANG
  // --stacks: the stacks of calls that reaped nothing are kept for the first
  // Graph::kMaxWaitStacks of them; the rest are counted here.
  uint32_t stacks_kept = 0;
  uint32_t stacks_dropped = 0;
};

struct OpenWait {  // a wait call entered and not yet returned
  uint64_t since_ns = 0;
  uint32_t tid = 0;
  int32_t target_pid = 0;  // 0: any child
  Boxed<Stack> stack;  // --stacks: moves to its WaitCall when it returns
};

struct ChildSignal {  // SIGCHLD for a stop or continue
  uint64_t ns = 0;
  int info_code = 0;
  SigchldResult result = SigchldResult::delivered;
};

// What most processes never have, in one box a record pays a pointer for
// until it has any of it: a parent's waits, stop signals, an orphaning, a
// fatal signal's sender, stacks.
struct RareParts {
  WaitStats waits;
  std::vector<WaitCall> wait_calls;  // the first Graph::kMaxWaitCalls
  std::vector<OpenWait> open_waits;  // at the end: what it hangs in
  std::vector<ChildSignal> stop_signals;
  std::optional<OrphanRecord> orphaned;
  std::optional<SignalSender> killed_by;  // who sent the fatal signal, once it exited
  Boxed<Stack> fork_stack;        // --stacks: where its parent called fork/clone
  Boxed<Stack> exit_group_stack;  // --stacks: where exit_group was called
  // Its leader's exit code when the leader died first: the process's wait
  // status when it ends by its last thread's exit (wait_task_zombie()).
  OptionalU32 leader_exit_code;
};

// One per process the trace saw: hundreds of thousands in a long trace, so the
// small fields are grouped to waste no padding, what most processes never have
// is in RareParts, and the record fits in kProcessBytes.
struct Process {
  ProcKey key;
  OptionalKey fork_parent;
  OptionalKey parent;  // now: the fork parent, or who adopted it
  OptionalNs fork_ns;
  uint64_t clone_flags = 0;
  uint32_t ns_pid = 0;
  uint32_t fork_parent_pid = 0;
  uint32_t parent_pid = 0;
  int32_t exit_signal = kernel::kSigchld;
  uint32_t threads = 1;        // ever, the leader included
  OptionalU32 exit_group_tid;  // the thread that called exit_group
  Comm comm;
  RareVector<ExecRecord> execs;
  Stamped<ExitRecord, &ExitRecord::ns> exit;
  Stamped<SigchldRecord, &SigchldRecord::generated_ns> sigchld;
  Stamped<ReapRecord, &ReapRecord::ns> reap;
  RareVector<uint32_t> children;  // indices of everything it was parent of (skip the reaped)
  Boxed<RareParts> rare_parts;    // read through rare(), written through edit_rare()
  std::optional<CloneSyscall> clone_syscall;  // unknown until the syscall returns
  bool shares_mm = false;                     // CLONE_VM, seen at fork
  uint8_t ns_level = 0;                       // of its pid namespace: at most 32 (MAX_PID_NS_LEVEL)
  SigchldDisposition parent_sigchld = SigchldDisposition::default_action;  // when this exited
  bool pre_existing = false;  // its fork was not seen

  const RareParts& rare() const { return rare_parts ? *rare_parts : kNoRareParts; }
  RareParts& edit_rare() {
    if (!rare_parts) rare_parts = RareParts{};
    return *rare_parts;
  }

  EndState end_state() const;
  // When it became a zombie: exit_notify() (SIGCHLD generated, when that
  // came before the reap; else the exit). Absent while its exit is not seen.
  std::optional<uint64_t> zombie_since_ns() const;
  // From zombie_since_ns() to the reap. Absent without both, or when the
  // reap is stamped before the exit (the events disagree).
  std::optional<uint64_t> zombie_ns() const;

 private:
  static inline const RareParts kNoRareParts{};
};

// Records are most of proclife's memory in a long trace: with the index and
// its parent's children list, a process costs about 265 bytes (50 MiB for
// 200,000 processes).
inline constexpr size_t kProcessBytes = 248;
static_assert(sizeof(Process) <= kProcessBytes, "a process record outgrew its budget");

// What no kernel sends, yet a damaged or edited recording can hold: events of
// one process in an impossible order. The graph repairs each so that no
// duration it holds or a report derives is negative or wraps, and says so.
enum class Inconsistency {
  event_before_fork,         // an exec or exit stamped before the process's fork (or an earlier exec)
  fork_after_own_events,     // a fork of a process whose events came first: it stays "pre-existing"
  reap_before_exit,          // a reap stamped before the exit, or with no exit yet
  wait_return_before_entry,  // a wait call that returns before it was entered
};
inline constexpr size_t kInconsistencyKinds = 4;

struct InconsistencyNote {
  Inconsistency kind;
  ProcKey process;
  const char* event = "";    // "exec", "exit", "reap", "wait" …
  uint64_t ns = 0;           // as the event says
  uint64_t bound_ns = 0;     // what it may not precede (0: unknown); the model uses this instead
};

struct GraphOptions {
  uint64_t origin_ns = 0;         // when tracing started
  uint32_t observer_pid = 0;      // proclife itself: the parent of a `run` root
  uint32_t root_pid = 0;          // the `run` root, whose fork proclife made untraced
  std::string observer_comm = "proclife";
  // Where wait results came from ("fexit", "sys_exit", "none"); empty when
  // unknown (recordings made before it was recorded).
  std::string reap_source;
};

class Graph;

// Told of each change as the Graph applies it, so a long-running consumer
// (the monitor) keeps counts and findings without rescanning. Called from
// inside Graph::apply(): an observer must not modify the graph.
class GraphObserver {
 public:
  virtual ~GraphObserver() = default;
  virtual void on_fork(const Graph&, const Process& /*child*/) {}  // a new process, not a thread
  virtual void on_exec(const Graph&, const Process&) {}
  // The process ended (exit is set); an autoreaped one gets on_reap right after.
  virtual void on_exit(const Graph&, const Process&) {}
  virtual void on_reap(const Graph&, const Process&) {}  // reap is set
  // Adopted by init or a subreaper (orphaned is set) when its parent died.
  virtual void on_orphan(const Graph&, const Process&) {}
};

class Graph {
 public:
  static constexpr size_t kMaxWaitCalls = 4096;
  static_assert(kMaxWaitCalls < std::numeric_limits<decltype(ReapRecord::wait_call_slot)>::max());
  // A process polling with WNOHANG in a loop makes a stack per call: the
  // calls that reaped a child always keep theirs, the others up to this.
  static constexpr uint32_t kMaxWaitStacks = 64;

  explicit Graph(GraphOptions options = {});
  // Who the trace observes, learnt once the run root is forked: only before
  // the first event (throws std::logic_error after).
  void set_options(GraphOptions options);

  void apply(const Event& event);
  // Marks a process known to exist before tracing began (attach, the run root).
  size_t add_pre_existing(ProcKey key, uint32_t parent_pid, std::string comm);
  // attach: a process found in /proc, whose kernel start time is not known
  // yet (start_ns 0); the first event naming its pid supplies it.
  void seed_pre_existing(uint32_t pid, uint32_t parent_pid, std::string comm);
  void finish(uint64_t end_ns) { end_ns_ = end_ns; }
  void set_lost_events(uint64_t lost) { lost_events_ = lost; }
  void set_stacks_not_taken(uint64_t count) { stacks_not_taken_ = count; }
  // Records the probe wrote that were too short or of an unknown kind.
  void add_decode_errors(uint64_t errors) { decode_errors_ += errors; }
  // Called at each inconsistency as the event that shows it is applied
  // (replay names the line); counted either way.
  void on_inconsistency(std::function<void(const InconsistencyNote&)> handler) { inconsistency_ = std::move(handler); }
  uint64_t inconsistencies(Inconsistency kind) const { return inconsistency_counts_[static_cast<size_t>(kind)]; }

  // Not owned; nullptr (the default) for none.
  void set_observer(GraphObserver* observer) { observer_ = observer; }

  // Removes every process `drop` selects (asked in processes() order) and
  // renumbers every index the graph keeps; returns how many went. Meant for
  // finished (reaped) processes: a survivor keeps the keys of removed ones
  // (parent, orphaned) as plain values, but a wait by a removed parent can no
  // longer match it: a survivor whose parent is removed is reaped by its free
  // (ReapVia::released). Events naming a removed process later make a new,
  // pre-existing entry for it.
  size_t compact(const std::function<bool(const Process&)>& drop);

  // The stack of a call its header's task made at site_ns: on the wait call,
  // the child forked, or the exit. Public until PROCLIFE_EVENT_KINDS has the
  // `stack` row; then apply() calls it like every handler.
  void on_stack(const Event& e, const StackEvent& stack);

  // Growing never moves the processes already recorded.
  const ChunkedVector<Process>& processes() const { return procs_; }
  const Process* find(ProcKey key) const;
  std::optional<size_t> index_of(ProcKey key) const;
  uint64_t origin_ns() const { return options_.origin_ns; }
  uint64_t end_ns() const { return end_ns_; }
  uint64_t lost_events() const { return lost_events_; }
  uint64_t decode_errors() const { return decode_errors_; }
  // --stacks: whether any stack arrived, and how many named a call the graph
  // does not hold (a thread's creation, a process or call not traced).
  bool has_stacks() const { return stacks_seen_ > 0; }
  // Every stack the graph holds, for a pass that completes their frames.
  void visit_stacks(const std::function<void(Stack&)>& visit);
  uint64_t unmatched_stacks() const { return unmatched_stacks_; }
  // Stacks the kernel gave up to keep the lifetime events (ring buffer busy).
  uint64_t stacks_not_taken() const { return stacks_not_taken_; }
  uint32_t observer_pid() const { return options_.observer_pid; }
  const std::string& reap_source() const { return options_.reap_source; }
  // Time relative to the trace start, for reports.
  int64_t rel(uint64_t ns) const { return static_cast<int64_t>(ns - options_.origin_ns); }

 private:
  size_t ensure(ProcKey key);
  std::optional<size_t> adopt_seeded(ProcKey key);
  // After setting a process's fork_parent or parent: index who names a placeholder.
  void note_parent_refs(size_t index);
  Process& at(size_t index) { return procs_[index]; }
  auto key_of() const {
    return [this](size_t index) { return procs_[index].key; };
  }

  void on_fork(const Event& e, const ForkEvent& fork);
  void on_clone_return(const Event& e, const CloneReturnEvent& ret);
  // true when CLONE_PARENT moved the child to its creator's parent.
  bool apply_clone(size_t child, ProcKey creator, CloneSyscall syscall, uint64_t flags, bool flags_known);
  void on_exec(const Event& e, const ExecEvent& exec);
  void on_exit(const Event& e, const ExitEvent& exit);
  void on_free(const Event& e, const FreeEvent& free);
  void on_wait_enter(const Event& e, const WaitEnterEvent& wait);
  void on_wait_exit(const Event& e, const WaitExitEvent& wait);
  void on_signal_generate(const Event& e, const SignalEvent& sig);
  void on_signal_deliver(const Event& e, const SignalEvent& sig);
  std::optional<size_t> forked_at(size_t parent, uint64_t ns) const;
  void keep_wait_stack(WaitStats& waits, WaitCall& call, Boxed<Stack> stack);

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
  GraphObserver* observer_ = nullptr;
  ChunkedVector<Process> procs_;
  ProcessIndex by_key_;
  std::unordered_map<uint32_t, std::vector<size_t>> pending_sigchld_;  // by receiving tgid
  std::unordered_map<uint64_t, SignalSender> last_signal_;  // (tgid << 8 | sig) -> sender
  std::unordered_map<uint64_t, size_t> unreaped_children_;  // (parent slot << 32 | pid) -> index
  std::unordered_map<uint32_t, size_t> seeded_;  // pid -> index, start time still unknown
  std::vector<OpenWait> observer_open_waits_;     // proclife's own, for the root's reap
  // pid of a seeded process -> who may name it by its placeholder key {pid, 0}
  // as fork parent or parent: adopting its real key renames only those.
  std::unordered_map<uint32_t, std::vector<size_t>> placeholder_refs_;
  void note(InconsistencyNote note);
  // `ns` no earlier than `bound` (0: none); noted when it was.
  uint64_t not_before(uint64_t ns, uint64_t bound, Inconsistency kind, const Process& process, const char* event);

  std::function<void(const InconsistencyNote&)> inconsistency_;
  std::array<uint64_t, kInconsistencyKinds> inconsistency_counts_{};
  uint64_t end_ns_ = 0;
  uint64_t lost_events_ = 0;
  uint64_t decode_errors_ = 0;
  uint64_t stacks_seen_ = 0;
  uint64_t unmatched_stacks_ = 0;
  uint64_t stacks_not_taken_ = 0;
};

// "fork", "vfork", "spawn" (CLONE_VM|CLONE_VFORK, as posix_spawn does),
// "clone", or "unknown" when the creating syscall was not seen.
const char* clone_kind_name(const Process& process);

}  // namespace proclife
