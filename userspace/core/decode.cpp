#include "decode.hpp"

#include <algorithm>
#include <cstring>
#include <type_traits>

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

template <class Body>
using As = std::type_identity<Body>;

CloneSyscall clone_syscall(uint32_t nr);

ForkEvent decode_body(const pl_fork_event& raw, As<ForkEvent>) {
  ForkEvent fork{task_id(raw.child), raw.child_ns_pid, raw.child_ns_level, static_cast<int32_t>(raw.child_exit_signal),
                 raw.shares_mm != 0, bounded_string(raw.comm, sizeof raw.comm)};
  if (raw.clone_nr) {
    fork.clone_syscall = clone_syscall(raw.clone_nr);
    fork.clone_flags = raw.clone_flags;
    fork.clone_flags_known = raw.clone_flags_known != 0;
  }
  return fork;
}

ExecEvent decode_body(const pl_exec_event& raw, As<ExecEvent>) {
  size_t args_len = std::min<size_t>(raw.args_len, sizeof raw.args);
  return {raw.old_tid, bounded_string(raw.comm, sizeof raw.comm), bounded_string(raw.filename, sizeof raw.filename),
          split_args(raw.args, args_len), raw.args_truncated != 0};
}

ExitEvent decode_body(const pl_exit_event& raw, As<ExitEvent>) {
  return {raw.exit_code,
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
          raw.cgroup_id,
          raw.thread_forks};
}

FreeEvent decode_body(const pl_free_event& raw, As<FreeEvent>) { return {task_id(raw.parent)}; }

WaitEnterEvent decode_body(const pl_wait_enter_event& raw, As<WaitEnterEvent>) { return {raw.target_pid}; }

WaitExitEvent decode_body(const pl_wait_exit_event& raw, As<WaitExitEvent>) {
  return {raw.enter_ns,
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

SignalEvent decode_signal(const pl_signal_event& raw) {
  return {task_id(raw.target), raw.sig,        raw.info_code, raw.info_pid,
          raw.info_status,     raw.result,     raw.group != 0, raw.sa_handler,
          raw.sa_flags,        bounded_string(raw.comm, sizeof raw.comm)};
}

SignalGenerateEvent decode_body(const pl_signal_event& raw, As<SignalGenerateEvent>) { return {decode_signal(raw)}; }
SignalDeliverEvent decode_body(const pl_signal_event& raw, As<SignalDeliverEvent>) { return {decode_signal(raw)}; }

CloneSyscall clone_syscall(uint32_t nr) {
  switch (nr) {
    case PL_NR_FORK: return CloneSyscall::fork;
    case PL_NR_VFORK: return CloneSyscall::vfork;
    case PL_NR_CLONE3: return CloneSyscall::clone3;
    case PL_NR_CLONE:
    default: return CloneSyscall::clone;
  }
}

CloneReturnEvent decode_body(const pl_clone_return_event& raw, As<CloneReturnEvent>) {
  return {task_id(raw.child), raw.flags, clone_syscall(raw.syscall_nr), raw.flags_known != 0, raw.ret};
}

template <typename Raw, typename Body>
std::optional<EventBody> decode_as(const void* data, size_t size) {
  Raw raw;
  if (!read_record(data, size, raw)) return std::nullopt;
  return decode_body(raw, As<Body>{});
}

std::optional<EventBody> decode_body(uint32_t kind, const void* data, size_t size) {
  switch (kind) {
#define PROCLIFE_DECODE_KIND(name, abi, Raw, Body) \
  case abi: return decode_as<Raw, Body>(data, size);
    PROCLIFE_EVENT_KINDS(PROCLIFE_DECODE_KIND)
#undef PROCLIFE_DECODE_KIND
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

}  // namespace proclife
