// The kernel's vocabulary, in one place: the constants proclife interprets,
// the wait status word, signal names, and the closed sets of values (a
// SIGCHLD's fate, a disposition) as enums with one name table each.
// Decoding a record (decode.hpp) is separate: this is what the values mean.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "events.hpp"
#include "proclife_abi.h"
#include "sentinel.hpp"

namespace proclife {

// Stable ABI on every kernel. The ones the probe also reads are written once,
// in proclife_abi.h.
namespace kernel {
inline constexpr int kSigchld = PL_SIGCHLD;
inline constexpr uint32_t kPfSignaled = PL_PF_SIGNALED;
inline constexpr uint32_t kPfKthread = PL_PF_KTHREAD;
inline constexpr uint32_t kSignalGroupExit = PL_SIGNAL_GROUP_EXIT;
inline constexpr uint64_t kCloneVm = PL_CLONE_VM, kCloneVfork = PL_CLONE_VFORK, kCloneParent = PL_CLONE_PARENT;
inline constexpr uint64_t kSigDfl = 0, kSigIgn = 1;
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
inline constexpr int kCldExited = 1, kCldKilled = 2, kCldDumped = 3, kCldTrapped = 4, kCldStopped = 5,
                     kCldContinued = 6;
inline constexpr int kPAll = 0, kPPid = 1, kPPgid = 2, kPPidfd = 3;
}  // namespace kernel

// A value of a closed set and the word reports use for it.
template <class Enum>
struct Named {
  Enum value;
  std::string_view name;
};

template <class Enum, size_t N>
constexpr std::string_view name_of(const std::array<Named<Enum>, N>& names, Enum value) {
  for (const auto& entry : names)
    if (entry.value == value) return entry.name;
  return names.front().name;  // not reached: every enumerator is listed
}

inline constexpr std::array<Named<WaitSyscall>, 2> kWaitSyscallNames{{
    {WaitSyscall::wait4, "wait4"},
    {WaitSyscall::waitid, "waitid"},
}};
inline constexpr std::array<Named<CloneSyscall>, 4> kCloneSyscallNames{{
    {CloneSyscall::clone, "clone"},
    {CloneSyscall::clone3, "clone3"},
    {CloneSyscall::fork, "fork"},
    {CloneSyscall::vfork, "vfork"},
}};

// What signal_generate did with a SIGCHLD (TRACE_SIGNAL_*, include/trace/events/signal.h).
enum class SigchldResult : uint8_t { delivered, ignored, pending, overflow, lose_info, unknown };
inline constexpr std::array<Named<SigchldResult>, 6> kSigchldResultNames{{
    {SigchldResult::delivered, "delivered"},
    {SigchldResult::ignored, "ignored"},
    {SigchldResult::pending, "pending"},  // one was already pending: one signal for several children
    {SigchldResult::overflow, "overflow"},
    {SigchldResult::lose_info, "lose_info"},
    {SigchldResult::unknown, "unknown"},
}};
SigchldResult sigchld_result(int32_t trace_signal_result);

// A SIGCHLD disposition: sa_handler is SIG_DFL, SIG_IGN or a function.
enum class SigchldDisposition : uint8_t { default_action, ignore, handler };
inline constexpr std::array<Named<SigchldDisposition>, 3> kSigchldDispositionNames{{
    {SigchldDisposition::default_action, "default"},
    {SigchldDisposition::ignore, "ignore"},
    {SigchldDisposition::handler, "handler"},
}};
SigchldDisposition sigchld_disposition(uint64_t sa_handler);

inline std::string_view wait_syscall_name(WaitSyscall syscall) { return name_of(kWaitSyscallNames, syscall); }
inline std::string_view clone_syscall_name(CloneSyscall syscall) { return name_of(kCloneSyscallNames, syscall); }
inline std::string_view sigchld_result_name(SigchldResult result) { return name_of(kSigchldResultNames, result); }
inline std::string_view disposition_name(SigchldDisposition disposition) {
  return name_of(kSigchldDispositionNames, disposition);
}

struct ExitStatus {
  int code = 0;                // exit(code); 0 when killed
  Sentinel<int, 0> signal;     // set when killed by a signal
  bool core_dumped = false;
};

ExitStatus decode_exit_status(uint32_t status);

// What a wait call returned in its status word or siginfo.
enum class WaitReport : uint8_t { none, exited, stopped, continued };
WaitReport classify_wait_report(const WaitExitEvent& wait);

// "SIGCHLD", "SIGRTMIN+3", or "signal 99".
std::string signal_name(int sig);

}  // namespace proclife
