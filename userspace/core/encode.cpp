#include "encode.hpp"

#include <algorithm>
#include <cstring>
#include <string>

namespace proclife {
namespace {

uint32_t clone_nr(CloneSyscall syscall) {
  switch (syscall) {
    case CloneSyscall::fork: return PL_NR_FORK;
    case CloneSyscall::vfork: return PL_NR_VFORK;
    case CloneSyscall::clone3: return PL_NR_CLONE3;
    case CloneSyscall::clone: break;
  }
  return PL_NR_CLONE;
}

pl_task_id raw_id(const TaskId& id) { return {id.tid, id.tgid, id.tgid_start_ns}; }

template <size_t N>
void copy_string(char (&out)[N], const std::string& text) {
  std::memcpy(out, text.data(), std::min(text.size(), N - 1));
}

void encode_body(pl_fork_event& raw, const ForkEvent& fork) {
  raw.child = raw_id(fork.child);
  raw.child_ns_pid = fork.child_ns_pid;
  raw.child_ns_level = fork.child_ns_level;
  raw.child_exit_signal = static_cast<uint32_t>(fork.child_exit_signal);
  raw.shares_mm = fork.shares_mm;
  copy_string(raw.comm, fork.comm);
  if (fork.clone_syscall) {
    raw.clone_nr = clone_nr(*fork.clone_syscall);
    raw.clone_flags = fork.clone_flags;
    raw.clone_flags_known = fork.clone_flags_known;
  }
}

void encode_body(pl_exec_event& raw, const ExecEvent& exec) {
  raw.old_tid = exec.old_tid;
  copy_string(raw.comm, exec.comm);
  copy_string(raw.filename, exec.filename);
  std::string args;
  for (const auto& arg : exec.argv) args += arg + '\0';
  raw.args_len = static_cast<uint32_t>(std::min(args.size(), sizeof raw.args));
  raw.args_truncated = exec.argv_truncated;
  std::memcpy(raw.args, args.data(), raw.args_len);
}

void encode_body(pl_exit_event& raw, const ExitEvent& exit) {
  raw.exit_code = exit.exit_code;
  raw.group_dead = exit.group_dead;
  raw.task_flags = exit.task_flags;
  raw.signal_flags = exit.signal_flags;
  raw.group_exit_code = exit.group_exit_code;
  raw.exit_signal = static_cast<uint32_t>(exit.exit_signal);
  raw.ns_pid = exit.ns_pid;
  raw.ns_level = exit.ns_level;
  raw.parent = raw_id(exit.parent);
  raw.new_reaper = raw_id(exit.new_reaper);
  raw.parent_sigchld_handler = exit.parent_sigchld_handler;
  raw.parent_sigchld_flags = exit.parent_sigchld_flags;
  raw.ptraced = exit.ptraced;
  copy_string(raw.comm, exit.comm);
  raw.cgroup_id = exit.cgroup_id;
  raw.thread_forks = exit.thread_forks;
}

void encode_body(pl_free_event& raw, const FreeEvent& free) { raw.parent = raw_id(free.parent); }

void encode_body(pl_wait_enter_event& raw, const WaitEnterEvent& wait) { raw.target_pid = wait.target_pid; }

void encode_body(pl_wait_exit_event& raw, const WaitExitEvent& wait) {
  raw.syscall_nr = wait.syscall == WaitSyscall::waitid ? PL_NR_WAITID : PL_NR_WAIT4;
  raw.arg_which = wait.which;
  raw.arg_id = wait.id;
  raw.options = wait.options;
  raw.ret = wait.ret;
  raw.status = wait.status;
  raw.info_code = wait.info_code;
  raw.info_pid = wait.info_pid;
  raw.status_read = wait.status_read;
}

void encode_body(pl_signal_event& raw, const SignalEvent& sig) {
  raw.target = raw_id(sig.target);
  raw.sig = sig.sig;
  raw.info_code = sig.info_code;
  raw.info_pid = sig.info_pid;
  raw.info_status = sig.info_status;
  raw.result = sig.result;
  raw.group = sig.group;
  raw.sa_handler = sig.handler;
  raw.sa_flags = sig.sa_flags;
  copy_string(raw.comm, sig.comm);
}

void encode_body(pl_clone_return_event& raw, const CloneReturnEvent& ret) {
  raw.child = raw_id(ret.child);
  raw.flags = ret.flags;
  raw.syscall_nr = clone_nr(ret.syscall);
  raw.flags_known = ret.flags_known;
  raw.ret = ret.ret;
}

void encode_body(pl_stack_event& raw, const StackEvent& stack) {
  const StackCapture& capture = stack.capture;
  raw.site_ns = stack.site_ns;
  raw.site = static_cast<uint32_t>(stack.site);
  raw.flags = capture.stack_truncated ? PL_STACK_TRUNCATED : 0;
  raw.ip = capture.ip;
  raw.sp = capture.sp;
  raw.bp = capture.bp;
  raw.bx = capture.bx;
  raw.r12 = capture.r12;
  raw.r13 = capture.r13;
  raw.r14 = capture.r14;
  raw.r15 = capture.r15;
  raw.stack_len = static_cast<uint32_t>(capture.stack.size());
  raw.python_walk = static_cast<uint32_t>(capture.python_walk);
  raw.python_count = static_cast<uint32_t>(capture.python.size());
}

// The variable part after pl_stack_event: the Python frames, then the stack.
void encode_tail(std::vector<uint8_t>& out, const StackEvent& stack) {
  for (const auto& frame : stack.capture.python) {
    pl_python_frame raw{frame.code, frame.prev_instr, frame.is_entry, frame.owner, {}};
    auto bytes = reinterpret_cast<const uint8_t*>(&raw);
    out.insert(out.end(), bytes, bytes + sizeof raw);
  }
  out.insert(out.end(), stack.capture.stack.begin(), stack.capture.stack.end());
}

// Zero-filled like bpf_ringbuf_reserve() followed by explicit stores.
template <class Raw, class Body>
std::vector<uint8_t> encode_as(const Event& event, uint32_t kind, const Body& body) {
  Raw raw;
  std::memset(&raw, 0, sizeof raw);
  raw.hdr = {kind, event.cpu, event.ns, event.task.tid, event.task.tgid, event.task.tgid_start_ns};
  encode_body(raw, body);
  auto bytes = reinterpret_cast<const uint8_t*>(&raw);
  std::vector<uint8_t> out(bytes, bytes + sizeof raw);
  if constexpr (requires { encode_tail(out, body); }) encode_tail(out, body);
  return out;
}

}  // namespace

std::vector<uint8_t> encode_record(const Event& event) {
#define PROCLIFE_ENCODE_KIND(name, abi, Raw, Body) \
  , [&](const Body& body) { return encode_as<Raw>(event, abi, body); }
  return dispatch(event.body PROCLIFE_EVENT_KINDS(PROCLIFE_ENCODE_KIND));
#undef PROCLIFE_ENCODE_KIND
}

}  // namespace proclife
