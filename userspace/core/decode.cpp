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
  return {raw.syscall_nr == PL_NR_WAITID ? WaitSyscall::waitid : WaitSyscall::wait4,
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

// The bytes after a record's fixed part. Only a variable-length kind (stack)
// has a decode_body that takes them, and it may refuse the record: a tail
// shorter than its own lengths say is a decode error, never an over-read.
struct Tail {
  const uint8_t* data;
  size_t size;
};

static_assert(int(StackSite::wait) == PL_STACK_SITE_WAIT && int(StackSite::fork) == PL_STACK_SITE_FORK &&
              int(StackSite::exit_group) == PL_STACK_SITE_EXIT_GROUP);
static_assert(int(PythonWalk::not_python) == PL_PY_WALK_NOT_PYTHON && int(PythonWalk::complete) == PL_PY_WALK_COMPLETE &&
              int(PythonWalk::truncated) == PL_PY_WALK_TRUNCATED &&
              int(PythonWalk::no_thread_state) == PL_PY_WALK_NO_THREAD_STATE &&
              int(PythonWalk::read_failed) == PL_PY_WALK_READ_FAILED);

std::optional<StackEvent> decode_body(const pl_stack_event& raw, Tail tail, As<StackEvent>) {
  if (raw.site > PL_STACK_SITE_EXIT_GROUP || raw.python_walk > PL_PY_WALK_READ_FAILED ||
      raw.python_count > PL_PY_FRAMES_MAX || raw.stack_len > PL_STACK_MAX)
    return std::nullopt;
  size_t python_bytes = size_t{raw.python_count} * sizeof(pl_python_frame);
  if (tail.size < python_bytes + raw.stack_len) return std::nullopt;

  StackEvent event;
  event.site = static_cast<StackSite>(raw.site);
  event.site_ns = raw.site_ns;
  StackCapture& capture = event.capture;
  capture.ip = raw.ip;
  capture.sp = raw.sp;
  capture.bp = raw.bp;
  capture.bx = raw.bx;
  capture.r12 = raw.r12;
  capture.r13 = raw.r13;
  capture.r14 = raw.r14;
  capture.r15 = raw.r15;
  capture.stack_truncated = (raw.flags & PL_STACK_TRUNCATED) != 0;
  capture.python_walk = static_cast<PythonWalk>(raw.python_walk);
  for (uint32_t i = 0; i < raw.python_count; ++i) {
    pl_python_frame frame;
    std::memcpy(&frame, tail.data + i * sizeof frame, sizeof frame);
    capture.python.push_back({frame.code, frame.prev_instr, frame.is_entry != 0, frame.owner});
  }
  capture.stack.assign(tail.data + python_bytes, tail.data + python_bytes + raw.stack_len);
  return event;
}

template <typename Raw, typename Body>
std::optional<EventBody> decode_as(const void* data, size_t size) {
  Raw raw;
  if (!read_record(data, size, raw)) return std::nullopt;
  Tail tail{static_cast<const uint8_t*>(data) + sizeof raw, size - sizeof raw};
  if constexpr (requires { decode_body(raw, tail, As<Body>{}); }) {
    auto body = decode_body(raw, tail, As<Body>{});
    if (!body) return std::nullopt;
    return std::move(*body);
  } else {
    return decode_body(raw, As<Body>{});
  }
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
