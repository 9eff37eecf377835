#include "decode.hpp"

#include <array>
#include <cstring>

#include "proclife_abi.h"

namespace proclife {
namespace {

template <typename Raw>
bool read_record(const void* data, size_t size, Raw& out) {
  if (size < sizeof(Raw)) return false;
  std::memcpy(&out, data, sizeof(Raw));
  return true;
}

std::string bounded_string(const char* chars, size_t capacity) {
  return std::string(chars, strnlen(chars, capacity));
}

TaskId task_id(const pl_task_id& raw) { return {raw.tid, raw.tgid, raw.tgid_start_ns}; }

std::vector<std::string> split_args(const char* args, size_t len) {
  std::vector<std::string> argv;
  size_t begin = 0;
  for (size_t i = 0; i < len; ++i) {
    if (args[i] == '\0') {
      argv.emplace_back(args + begin, i - begin);
      begin = i + 1;
    }
  }
  if (begin < len) argv.emplace_back(args + begin, len - begin);  // cut short by truncation
  return argv;
}

CloneSyscall clone_syscall(uint32_t nr);

EventBody decode_fork(const pl_fork_event& raw) {
  ForkEvent fork{task_id(raw.child), raw.child_ns_pid, raw.child_ns_level,
                 static_cast<int32_t>(raw.child_exit_signal), raw.shares_mm != 0,
                 bounded_string(raw.comm, sizeof raw.comm)};
  if (raw.clone_nr) {
    fork.clone_syscall = clone_syscall(raw.clone_nr);
    fork.clone_flags = raw.clone_flags;
    fork.clone_flags_known = raw.clone_flags_known != 0;
  }
  return fork;
}

EventBody decode_exec(const pl_exec_event& raw) {
  size_t args_len = std::min<size_t>(raw.args_len, sizeof raw.args);
  return ExecEvent{raw.old_tid, bounded_string(raw.comm, sizeof raw.comm),
                   bounded_string(raw.filename, sizeof raw.filename),
                   split_args(raw.args, args_len), raw.args_truncated != 0};
}

EventBody decode_exit(const pl_exit_event& raw) {
  return ExitEvent{raw.exit_code,
                   raw.group_dead != 0,
                   raw.task_flags,
                   raw.signal_flags,
                   raw.group_exit_code,
                   static_cast<int32_t>(raw.exit_signal),
                   raw.ns_pid,
                   raw.ns_level,
                   task_id(raw.parent),
                   task_id(raw.new_reaper),
                   raw.parent_sigchld_handler,
                   raw.parent_sigchld_flags,
                   raw.ptraced != 0,
                   bounded_string(raw.comm, sizeof raw.comm),
                   raw.thread_forks};
}

EventBody decode_wait_exit(const pl_wait_exit_event& raw) {
  return WaitExitEvent{raw.enter_ns,
                       raw.syscall_nr == PL_NR_WAITID ? WaitSyscall::waitid : WaitSyscall::wait4,
                       raw.arg_which,
                       raw.arg_id,
                       raw.options,
                       raw.ret,
                       raw.status,
                       raw.info_code,
                       raw.info_pid,
                       raw.status_read != 0};
}

EventBody decode_signal(const pl_signal_event& raw, bool delivered) {
  return SignalEvent{delivered,      task_id(raw.target), raw.sig,         raw.info_code,
                     raw.info_pid,     raw.info_status,       raw.result,      raw.group != 0,
                     raw.sa_handler, raw.sa_flags,        bounded_string(raw.comm, sizeof raw.comm)};
}

CloneSyscall clone_syscall(uint32_t nr) {
  switch (nr) {
    case PL_NR_FORK: return CloneSyscall::fork;
    case PL_NR_VFORK: return CloneSyscall::vfork;
    case PL_NR_CLONE3: return CloneSyscall::clone3;
    case PL_NR_CLONE:
    default: return CloneSyscall::clone;
  }
}

template <typename Raw, typename Decode>
std::optional<EventBody> decode_as(const void* data, size_t size, Decode decode) {
  Raw raw;
  if (!read_record(data, size, raw)) return std::nullopt;
  return decode(raw);
}

std::optional<EventBody> decode_body(uint32_t kind, const void* data, size_t size) {
  switch (kind) {
    case PL_EV_FORK: return decode_as<pl_fork_event>(data, size, decode_fork);
    case PL_EV_EXEC: return decode_as<pl_exec_event>(data, size, decode_exec);
    case PL_EV_EXIT: return decode_as<pl_exit_event>(data, size, decode_exit);
    case PL_EV_FREE:
      return decode_as<pl_free_event>(data, size,
                                      [](const pl_free_event& raw) { return EventBody{FreeEvent{task_id(raw.parent)}}; });
    case PL_EV_WAIT_ENTER:
      return decode_as<pl_wait_enter_event>(
          data, size, [](const pl_wait_enter_event& raw) { return EventBody{WaitEnterEvent{raw.target_pid}}; });
    case PL_EV_WAIT_EXIT: return decode_as<pl_wait_exit_event>(data, size, decode_wait_exit);
    case PL_EV_SIGNAL_GENERATE:
      return decode_as<pl_signal_event>(data, size, [](auto& raw) { return decode_signal(raw, false); });
    case PL_EV_SIGNAL_DELIVER:
      return decode_as<pl_signal_event>(data, size, [](auto& raw) { return decode_signal(raw, true); });
    case PL_EV_CLONE_RETURN:
      return decode_as<pl_clone_return_event>(data, size, [](const pl_clone_return_event& raw) {
        return EventBody{CloneReturnEvent{task_id(raw.child), raw.flags, clone_syscall(raw.syscall_nr),
                                          raw.flags_known != 0, raw.ret}};
      });
    default: return std::nullopt;
  }
}

}  // namespace

std::optional<Event> decode_record(const void* data, size_t size) {
  pl_header hdr;
  if (!read_record(data, size, hdr)) return std::nullopt;
  auto body = decode_body(hdr.kind, data, size);
  if (!body) return std::nullopt;
  return Event{hdr.ns, hdr.cpu, TaskId{hdr.tid, hdr.tgid, hdr.tgid_start_ns}, std::move(*body)};
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

const char* clone_syscall_name(CloneSyscall syscall) {
  switch (syscall) {
    case CloneSyscall::clone: return "clone";
    case CloneSyscall::clone3: return "clone3";
    case CloneSyscall::fork: return "fork";
    case CloneSyscall::vfork: return "vfork";
  }
  return "clone";
}

const char* wait_syscall_name(WaitSyscall syscall) {
  return syscall == WaitSyscall::waitid ? "waitid" : "wait4";
}

}  // namespace proclife
