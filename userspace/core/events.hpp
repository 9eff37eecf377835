// Decoded kernel events: what the rest of proclife consumes. Built from the
// raw ring-buffer records (decode.cpp) or from a recording (record.cpp), so
// the model and every analysis can be fed synthetic streams in tests.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace proclife {

// A process is its tgid plus its leader's start time: pids are reused.
struct ProcKey {
  uint32_t pid = 0;
  uint64_t start_ns = 0;  // kernel CLOCK_MONOTONIC, absolute

  bool operator==(const ProcKey&) const = default;
};

struct TaskId {
  uint32_t tid = 0;
  uint32_t tgid = 0;
  uint64_t tgid_start_ns = 0;

  ProcKey process() const { return {tgid, tgid_start_ns}; }
  bool operator==(const TaskId&) const = default;
};

enum class WaitSyscall { wait4, waitid };
enum class CloneSyscall { clone, clone3, fork, vfork };

struct ForkEvent {
  TaskId child;
  uint32_t child_ns_pid = 0;
  uint32_t child_ns_level = 0;
  int32_t child_exit_signal = 0;
  bool shares_mm = false;
  std::string comm;
  // The parent's clone-family call, read at fork time (older probes sent it
  // as a separate CloneReturnEvent): unset when the call was none of them.
  std::optional<CloneSyscall> clone_syscall;
  uint64_t clone_flags = 0;
  bool clone_flags_known = false;
};

struct ExecEvent {
  uint32_t old_tid = 0;
  std::string comm;
  std::string filename;
  std::vector<std::string> argv;
  bool argv_truncated = false;
};

struct ExitEvent {
  uint32_t exit_code = 0;  // task->exit_code, a raw wait status word
  bool group_dead = false;
  uint32_t task_flags = 0;
  uint32_t signal_flags = 0;
  uint32_t group_exit_code = 0;
  int32_t exit_signal = 0;
  uint32_t ns_pid = 0;
  uint32_t ns_level = 0;
  TaskId parent;
  TaskId new_reaper;  // tgid 0 when unknown or not group_dead
  uint64_t parent_sigchld_handler = 0;
  uint32_t parent_sigchld_flags = 0;
  bool ptraced = false;
  std::string comm;
  uint32_t thread_forks = 0;  // group_dead: threads it created (counted in the kernel)
};

struct FreeEvent {
  TaskId parent;  // real_parent at release: the reaper (tgid 0 from older probes)
};

struct WaitEnterEvent {
  int32_t target_pid = 0;
};

struct WaitExitEvent {
  uint64_t enter_ns = 0;  // 0: do_wait() never ran
  WaitSyscall syscall = WaitSyscall::wait4;
  int32_t which = 0;  // wait4: pid argument; waitid: idtype
  int32_t id = 0;     // waitid: id
  uint32_t options = 0;
  int64_t ret = 0;
  int32_t status = 0;
  int32_t info_code = 0;
  int32_t info_pid = 0;
  bool status_read = false;
};

struct SignalEvent {
  bool delivered = false;  // false: signal_generate (header = sender)
  TaskId target;
  int32_t sig = 0;
  int32_t info_code = 0;
  int32_t info_pid = 0;
  int32_t info_status = 0;
  int32_t result = 0;
  bool group = false;
  uint64_t handler = 0;
  uint64_t sa_flags = 0;
  std::string comm;
};

struct CloneReturnEvent {
  TaskId child;
  uint64_t flags = 0;
  CloneSyscall syscall = CloneSyscall::clone;
  bool flags_known = false;
  int64_t ret = 0;
};

using EventBody = std::variant<ForkEvent, ExecEvent, ExitEvent, FreeEvent, WaitEnterEvent,
                               WaitExitEvent, SignalEvent, CloneReturnEvent>;

struct Event {
  uint64_t ns = 0;  // kernel CLOCK_MONOTONIC
  uint32_t cpu = 0;
  TaskId task;  // the task the event is about (current, or the freed task)
  EventBody body;
};

// Kernel values the model interprets; stable ABI on every kernel.
namespace kernel {
inline constexpr int kSigchld = 17;
inline constexpr uint32_t kPfSignaled = 0x00000400;
inline constexpr uint32_t kSignalGroupExit = 0x00000004;
inline constexpr uint64_t kSigIgn = 1;
inline constexpr uint64_t kSaNocldwait = 0x00000002;
inline constexpr uint64_t kSaSiginfo = 0x00000004;
inline constexpr uint64_t kSaRestart = 0x10000000;
inline constexpr uint32_t kWnohang = 0x00000001;
inline constexpr uint32_t kWuntraced = 0x00000002;
inline constexpr uint32_t kWexited = 0x00000004;
inline constexpr uint32_t kWcontinued = 0x00000008;
inline constexpr uint32_t kWnowait = 0x01000000;
inline constexpr uint32_t kWnothread = 0x20000000;
inline constexpr uint32_t kWall = 0x40000000;
inline constexpr uint32_t kWclone = 0x80000000;
inline constexpr int kCldExited = 1, kCldKilled = 2, kCldDumped = 3, kCldTrapped = 4,
                     kCldStopped = 5, kCldContinued = 6;
inline constexpr int kPAll = 0, kPPid = 1, kPPgid = 2, kPPidfd = 3;
}  // namespace kernel

}  // namespace proclife

template <>
struct std::hash<proclife::ProcKey> {
  size_t operator()(const proclife::ProcKey& k) const noexcept {
    return std::hash<uint64_t>{}(k.start_ns * 0x9E3779B97F4A7C15ull ^ k.pid);
  }
};
