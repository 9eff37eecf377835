#include "kernel.hpp"

#include <array>

namespace proclife {

SigchldResult sigchld_result(int32_t trace_signal_result) {
  switch (trace_signal_result) {
    case 0: return SigchldResult::delivered;
    case 1: return SigchldResult::ignored;
    case 2: return SigchldResult::pending;
    case 3: return SigchldResult::overflow;
    case 4: return SigchldResult::lose_info;
  }
  return SigchldResult::unknown;
}

SigchldDisposition sigchld_disposition(uint64_t sa_handler) {
  if (sa_handler == kernel::kSigDfl) return SigchldDisposition::default_action;
  if (sa_handler == kernel::kSigIgn) return SigchldDisposition::ignore;
  return SigchldDisposition::handler;
}

ExitStatus decode_exit_status(uint32_t status) {
  ExitStatus out;
  int sig = status & 0x7f;
  if (sig == 0) {
    out.code = (status >> 8) & 0xff;
  } else {
    out.signal = sig;
    out.core_dumped = (status & 0x80) != 0;
  }
  return out;
}

WaitReport classify_wait_report(const WaitExitEvent& wait) {
  if (wait.syscall == WaitSyscall::wait4) {
    if (wait.ret <= 0) return WaitReport::none;
    // No status pointer: only an exit, unless it also asked for stops and continues.
    if (!wait.status_read)
      return (wait.options & (kernel::kWuntraced | kernel::kWcontinued)) ? WaitReport::none : WaitReport::exited;
    if ((wait.status & 0xff) == 0x7f) return WaitReport::stopped;
    if (wait.status == 0xffff) return WaitReport::continued;
    return WaitReport::exited;
  }
  if (wait.ret != 0 || !wait.status_read || wait.info_pid == 0) return WaitReport::none;
  switch (wait.info_code) {
    case kernel::kCldExited:
    case kernel::kCldKilled:
    case kernel::kCldDumped: return WaitReport::exited;
    case kernel::kCldContinued: return WaitReport::continued;
    default: return WaitReport::stopped;
  }
}

std::string signal_name(int sig) {
  static constexpr std::array<const char*, 32> names = {
      nullptr,   "SIGHUP",  "SIGINT",    "SIGQUIT", "SIGILL",    "SIGTRAP", "SIGABRT",  "SIGBUS",
      "SIGFPE",  "SIGKILL", "SIGUSR1",   "SIGSEGV", "SIGUSR2",   "SIGPIPE", "SIGALRM",  "SIGTERM",
      "SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP",   "SIGTTIN", "SIGTTOU",  "SIGURG",
      "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH",  "SIGIO",   "SIGPWR",   "SIGSYS"};
  if (sig > 0 && sig < static_cast<int>(names.size())) return names[sig];
  if (sig >= 34 && sig <= 64) return "SIGRTMIN+" + std::to_string(sig - 34);
  return "signal " + std::to_string(sig);
}

}  // namespace proclife
