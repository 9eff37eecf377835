// decode.cpp is the only code that knows the ring-buffer layouts: these tests
// build records byte for byte as bpf/proclife.bpf.c writes them (the structs
// of the shared ABI header) and check every field comes out where it belongs.
#include <catch2/catch.hpp>

#include <cstring>
#include <string>
#include <vector>

#include "decode.hpp"
#include "encode.hpp"
#include "kernel.hpp"
#include "proclife_abi.h"

using namespace proclife;

namespace {

template <typename Raw>
std::vector<unsigned char> bytes_of(const Raw& raw) {
  std::vector<unsigned char> bytes(sizeof raw);
  std::memcpy(bytes.data(), &raw, sizeof raw);
  return bytes;
}

// A record zero-filled like bpf_ringbuf_reserve() + explicit stores, with the
// header every program writes first.
template <typename Raw>
Raw record(uint32_t kind) {
  Raw raw;
  std::memset(&raw, 0, sizeof raw);
  raw.hdr.kind = kind;
  raw.hdr.cpu = 1;
  raw.hdr.ns = 5'000'000'123;
  raw.hdr.tid = 4243;
  raw.hdr.tgid = 4242;
  raw.hdr.tgid_start_ns = 4'000'000'000;
  return raw;
}

template <size_t N>
void set_chars(char (&field)[N], const std::string& text) {
  std::memcpy(field, text.data(), std::min(text.size(), N));
}

template <typename Raw>
Event decode(const Raw& raw) {
  auto bytes = bytes_of(raw);
  auto event = decode_record(bytes.data(), bytes.size());
  REQUIRE(event);
  return *event;
}

// The body alone, by value: a reference into decode()'s temporary would dangle.
template <typename Body, typename Raw>
Body decode_body(const Raw& raw) {
  return std::get<Body>(decode(raw).body);
}

void check_header(const Event& event) {
  CHECK(event.ns == 5'000'000'123);
  CHECK(event.cpu == 1);
  CHECK(event.task == TaskId{4243, 4242, 4'000'000'000});
}

pl_exec_event exec_record(const std::string& args, uint32_t args_len, bool truncated) {
  auto raw = record<pl_exec_event>(PL_EV_EXEC);
  set_chars(raw.comm, "ls");
  set_chars(raw.filename, "/usr/bin/ls");
  raw.filename_len = 12;
  std::memcpy(raw.args, args.data(), std::min(args.size(), sizeof raw.args));
  raw.args_len = args_len;
  raw.args_truncated = truncated;
  return raw;
}

WaitExitEvent wait4_returned(int64_t ret, int32_t status) {
  WaitExitEvent wait;
  wait.syscall = WaitSyscall::wait4;
  wait.which = -1;
  wait.ret = ret;
  wait.status = status;
  wait.status_read = ret > 0;
  return wait;
}

WaitExitEvent waitid_returned(int32_t si_pid, int32_t si_code, int64_t ret = 0) {
  WaitExitEvent wait;
  wait.syscall = WaitSyscall::waitid;
  wait.which = kernel::kPAll;
  wait.ret = ret;
  wait.info_pid = si_pid;
  wait.info_code = si_code;
  wait.status_read = true;
  return wait;
}

}  // namespace

TEST_CASE("a fork record decodes to the child's identity, namespace pid and comm", "[decode]") {
  auto raw = record<pl_fork_event>(PL_EV_FORK);
  raw.child = {4250, 4250, 4'100'000'000};
  raw.child_ns_pid = 7;
  raw.child_ns_level = 1;
  raw.child_exit_signal = 17;
  raw.shares_mm = 0;
  set_chars(raw.comm, "bash");

  Event event = decode(raw);
  check_header(event);
  const auto& fork = std::get<ForkEvent>(event.body);
  CHECK(fork.child == TaskId{4250, 4250, 4'100'000'000});
  CHECK(fork.child_ns_pid == 7);
  CHECK(fork.child_ns_level == 1);
  CHECK(fork.child_exit_signal == 17);
  CHECK_FALSE(fork.shares_mm);
  CHECK(fork.comm == "bash");
}

TEST_CASE("a thread's fork record keeps exit_signal -1 and CLONE_VM", "[decode]") {
  // The kernel stores exit_signal -1 for threads; the ABI ships it as __u32.
  auto raw = record<pl_fork_event>(PL_EV_FORK);
  raw.child = {4244, 4242, 4'000'000'000};
  raw.child_exit_signal = static_cast<uint32_t>(-1);
  raw.shares_mm = 1;

  const auto fork = decode_body<ForkEvent>(raw);
  CHECK(fork.child_exit_signal == -1);
  CHECK(fork.shares_mm);
}

TEST_CASE("a comm that fills all 16 bytes without a NUL stays within its field", "[decode]") {
  auto raw = record<pl_fork_event>(PL_EV_FORK);
  set_chars(raw.comm, "abcdefghijklmnop");  // no terminator: bounded by the field
  CHECK(std::get<ForkEvent>(decode(raw).body).comm == "abcdefghijklmnop");
}

TEST_CASE("an exec record splits NUL-separated arguments into argv", "[decode]") {
  std::string args("ls\0-la\0/tmp\0", 12);
  auto raw = exec_record(args, 12, false);
  raw.old_tid = 4243;

  Event event = decode(raw);
  check_header(event);
  const auto& exec = std::get<ExecEvent>(event.body);
  CHECK(exec.old_tid == 4243);
  CHECK(exec.comm == "ls");
  CHECK(exec.filename == "/usr/bin/ls");
  CHECK(exec.argv == std::vector<std::string>{"ls", "-la", "/tmp"});
  CHECK_FALSE(exec.argv_truncated);
}

TEST_CASE("an exec record keeps empty arguments", "[decode]") {
  std::string args("printf\0\0x\0", 10);
  const auto exec = decode_body<ExecEvent>(exec_record(args, 10, false));
  CHECK(exec.argv == std::vector<std::string>{"printf", "", "x"});
}

TEST_CASE("a truncated exec record keeps the cut-off last argument", "[decode]") {
  // The BPF side stops copying at its buffer: the last argument has no NUL.
  std::string args("ls\0-la\0/very/long/pa", 20);
  const auto exec = decode_body<ExecEvent>(exec_record(args, 20, true));
  CHECK(exec.argv == std::vector<std::string>{"ls", "-la", "/very/long/pa"});
  CHECK(exec.argv_truncated);
}

TEST_CASE("an exec record ignores bytes beyond args_len", "[decode]") {
  std::string args("sh\0-c\0leftover\0", 16);
  const auto exec = decode_body<ExecEvent>(exec_record(args, 6, false));
  CHECK(exec.argv == std::vector<std::string>{"sh", "-c"});
}

TEST_CASE("an exec record whose args_len exceeds the buffer is read only up to the buffer", "[decode]") {
  std::string args(PL_ARGS_LEN, 'a');
  args[PL_ARGS_LEN / 2] = '\0';
  const auto exec = decode_body<ExecEvent>(exec_record(args, 60000, true));
  REQUIRE(exec.argv.size() == 2);
  CHECK(exec.argv[0].size() == PL_ARGS_LEN / 2);
  CHECK(exec.argv[1].size() == PL_ARGS_LEN / 2 - 1);
}

TEST_CASE("an exit record decodes every field", "[decode]") {
  auto raw = record<pl_exit_event>(PL_EV_EXIT);
  raw.exit_code = 3 << 8;
  raw.group_dead = 1;
  raw.task_flags = 0x400;
  raw.signal_flags = 0x4;
  raw.group_exit_code = 9;
  raw.exit_signal = 17;
  raw.ns_pid = 12;
  raw.ns_level = 2;
  raw.parent = {4242, 4242, 4'000'000'000};
  raw.new_reaper = {1, 1, 0};
  raw.parent_sigchld_handler = 0x55550000;
  raw.parent_sigchld_flags = 0x2;
  raw.ptraced = 1;
  set_chars(raw.comm, "sleep");

  Event event = decode(raw);
  check_header(event);
  const auto& exit = std::get<ExitEvent>(event.body);
  CHECK(exit.exit_code == (3u << 8));
  CHECK(exit.group_dead);
  CHECK(exit.task_flags == 0x400);
  CHECK(exit.signal_flags == 0x4);
  CHECK(exit.group_exit_code == 9);
  CHECK(exit.exit_signal == 17);
  CHECK(exit.ns_pid == 12);
  CHECK(exit.ns_level == 2);
  CHECK(exit.parent == TaskId{4242, 4242, 4'000'000'000});
  CHECK(exit.new_reaper == TaskId{1, 1, 0});
  CHECK(exit.parent_sigchld_handler == 0x55550000);
  CHECK(exit.parent_sigchld_flags == 0x2);
  CHECK(exit.ptraced);
  CHECK(exit.comm == "sleep");
}

TEST_CASE("a free record decodes to a FreeEvent about the freed task", "[decode]") {
  Event event = decode(record<pl_free_event>(PL_EV_FREE));
  check_header(event);
  CHECK(std::holds_alternative<FreeEvent>(event.body));
}

TEST_CASE("a wait-enter record keeps a negative target (a process group)", "[decode]") {
  auto raw = record<pl_wait_enter_event>(PL_EV_WAIT_ENTER);
  raw.target_pid = -77;
  Event event = decode(raw);
  check_header(event);
  CHECK(std::get<WaitEnterEvent>(event.body).target_pid == -77);
}

TEST_CASE("a wait-exit record for wait4 decodes arguments and result", "[decode]") {
  auto raw = record<pl_wait_exit_event>(PL_EV_WAIT_EXIT);
  raw.syscall_nr = PL_NR_WAIT4;
  raw.arg_which = -1;
  raw.options = kernel::kWnohang | kernel::kWuntraced;
  raw.ret = 4250;
  raw.status = 0x137f;
  raw.status_read = 1;

  Event event = decode(raw);
  check_header(event);
  const auto& wait = std::get<WaitExitEvent>(event.body);
  CHECK(wait.syscall == WaitSyscall::wait4);
  CHECK(wait.which == -1);
  CHECK(wait.options == (kernel::kWnohang | kernel::kWuntraced));
  CHECK(wait.ret == 4250);
  CHECK(wait.status == 0x137f);
  CHECK(wait.status_read);
}

TEST_CASE("a wait-exit record for waitid decodes the siginfo fields and an error return", "[decode]") {
  auto raw = record<pl_wait_exit_event>(PL_EV_WAIT_EXIT);
  raw.syscall_nr = PL_NR_WAITID;
  raw.arg_which = kernel::kPPidfd;
  raw.arg_id = 3;
  raw.options = kernel::kWexited;
  raw.ret = -10;  // -ECHILD
  raw.status = 2;
  raw.info_code = kernel::kCldExited;
  raw.info_pid = 4250;

  const auto wait = decode_body<WaitExitEvent>(raw);
  CHECK(wait.syscall == WaitSyscall::waitid);
  CHECK(wait.which == kernel::kPPidfd);
  CHECK(wait.id == 3);
  CHECK(wait.ret == -10);
  CHECK(wait.status == 2);
  CHECK(wait.info_code == kernel::kCldExited);
  CHECK(wait.info_pid == 4250);
  CHECK_FALSE(wait.status_read);
}

TEST_CASE("signal records decode as generate or deliver by their kind", "[decode]") {
  auto raw = record<pl_signal_event>(PL_EV_SIGNAL_GENERATE);
  raw.target = {4242, 4242, 4'000'000'000};
  raw.sig = 17;
  raw.info_code = kernel::kCldKilled;
  raw.info_pid = 4243;
  raw.info_status = 9;
  raw.result = 2;
  raw.group = 1;
  raw.sa_handler = 0x401000;
  raw.sa_flags = kernel::kSaRestart | kernel::kSaSiginfo;
  set_chars(raw.comm, "victim");

  Event generated = decode(raw);
  check_header(generated);
  const auto& sig = std::get<SignalGenerateEvent>(generated.body);
  CHECK(sig.target == TaskId{4242, 4242, 4'000'000'000});
  CHECK(sig.sig == 17);
  CHECK(sig.info_code == kernel::kCldKilled);
  CHECK(sig.info_pid == 4243);
  CHECK(sig.info_status == 9);
  CHECK(sig.result == 2);
  CHECK(sig.group);
  CHECK(sig.handler == 0x401000);
  CHECK(sig.sa_flags == (kernel::kSaRestart | kernel::kSaSiginfo));
  CHECK(sig.comm == "victim");

  raw.hdr.kind = PL_EV_SIGNAL_DELIVER;
  CHECK(std::holds_alternative<SignalDeliverEvent>(decode(raw).body));
}

TEST_CASE("a clone-return record names the syscall that made the child", "[decode]") {
  auto syscall_of = [](uint32_t nr) {
    auto raw = record<pl_clone_return_event>(PL_EV_CLONE_RETURN);
    raw.syscall_nr = nr;
    return std::get<CloneReturnEvent>(decode(raw).body).syscall;
  };
  CHECK(syscall_of(PL_NR_CLONE) == CloneSyscall::clone);
  CHECK(syscall_of(PL_NR_FORK) == CloneSyscall::fork);
  CHECK(syscall_of(PL_NR_VFORK) == CloneSyscall::vfork);
  CHECK(syscall_of(PL_NR_CLONE3) == CloneSyscall::clone3);

  auto raw = record<pl_clone_return_event>(PL_EV_CLONE_RETURN);
  raw.child = {4250, 4250, 4'100'000'000};
  raw.flags = 0x100 | 0x4000;
  raw.syscall_nr = PL_NR_CLONE3;
  raw.flags_known = 1;
  raw.ret = 4250;
  Event event = decode(raw);
  check_header(event);
  const auto& ret = std::get<CloneReturnEvent>(event.body);
  CHECK(ret.child == TaskId{4250, 4250, 4'100'000'000});
  CHECK(ret.flags == (0x100 | 0x4000));
  CHECK(ret.flags_known);
  CHECK(ret.ret == 4250);
}

TEST_CASE("a record padded beyond its struct still decodes", "[decode]") {
  // Ring-buffer records are rounded up to 8 bytes; extra bytes are not an error.
  auto raw = record<pl_free_event>(PL_EV_FREE);
  auto bytes = bytes_of(raw);
  bytes.resize(bytes.size() + 8, 0xAA);
  CHECK(decode_record(bytes.data(), bytes.size()));
}

TEST_CASE("a record one byte shorter than its kind's struct decodes to nothing", "[decode]") {
  auto check_short = [](auto raw) {
    auto bytes = bytes_of(raw);
    CHECK(decode_record(bytes.data(), bytes.size()));  // the full record decodes...
    CHECK_FALSE(decode_record(bytes.data(), bytes.size() - 1));  // ...one byte less does not
  };
  check_short(record<pl_fork_event>(PL_EV_FORK));
  check_short(record<pl_exec_event>(PL_EV_EXEC));
  check_short(record<pl_exit_event>(PL_EV_EXIT));
  check_short(record<pl_free_event>(PL_EV_FREE));
  check_short(record<pl_wait_enter_event>(PL_EV_WAIT_ENTER));
  check_short(record<pl_wait_exit_event>(PL_EV_WAIT_EXIT));
  check_short(record<pl_signal_event>(PL_EV_SIGNAL_GENERATE));
  check_short(record<pl_signal_event>(PL_EV_SIGNAL_DELIVER));
  check_short(record<pl_clone_return_event>(PL_EV_CLONE_RETURN));
}

TEST_CASE("a record shorter than a header, or empty, decodes to nothing", "[decode]") {
  auto bytes = bytes_of(record<pl_exec_event>(PL_EV_EXEC));
  CHECK_FALSE(decode_record(bytes.data(), sizeof(pl_header) - 1));
  CHECK_FALSE(decode_record(bytes.data(), 4));  // just the kind
  CHECK_FALSE(decode_record(bytes.data(), 0));
}

TEST_CASE("a record of an unknown kind decodes to nothing", "[decode]") {
  // Big enough for any kind, so only the tag can make it fail.
  auto raw = record<pl_exec_event>(PL_EV_EXEC);
  for (uint32_t kind : {0u, static_cast<uint32_t>(PL_EV_KIND_COUNT), 99u, 0xffffffffu}) {
    raw.hdr.kind = kind;
    auto bytes = bytes_of(raw);
    INFO("kind " << kind);
    CHECK_FALSE(decode_record(bytes.data(), bytes.size()));
  }
}

TEST_CASE("decode_exit_status splits every exit code", "[decode]") {
  for (int code = 0; code <= 255; ++code) {
    INFO("code " << code);
    ExitStatus status = decode_exit_status(static_cast<uint32_t>(code) << 8);
    CHECK(status.code == code);
    CHECK_FALSE(status.signal);
    CHECK_FALSE(status.core_dumped);
  }
}

TEST_CASE("decode_exit_status recognises every signal, with and without a core dump", "[decode]") {
  for (int sig = 1; sig <= 64; ++sig) {
    INFO("signal " << sig);
    ExitStatus plain = decode_exit_status(static_cast<uint32_t>(sig));
    REQUIRE(plain.signal);
    CHECK(*plain.signal == sig);
    CHECK(plain.code == 0);
    CHECK_FALSE(plain.core_dumped);

    ExitStatus cored = decode_exit_status(static_cast<uint32_t>(sig) | 0x80);
    REQUIRE(cored.signal);
    CHECK(*cored.signal == sig);
    CHECK(cored.core_dumped);
  }
}

TEST_CASE("classify_wait_report reads wait4's status word", "[decode]") {
  CHECK(classify_wait_report(wait4_returned(4250, 0)) == WaitReport::exited);
  CHECK(classify_wait_report(wait4_returned(4250, 3 << 8)) == WaitReport::exited);
  CHECK(classify_wait_report(wait4_returned(4250, 9)) == WaitReport::exited);          // killed
  CHECK(classify_wait_report(wait4_returned(4250, 11 | 0x80)) == WaitReport::exited);  // core dumped
  CHECK(classify_wait_report(wait4_returned(4250, 0x137f)) == WaitReport::stopped);    // SIGSTOP
  CHECK(classify_wait_report(wait4_returned(4250, 0x057f)) == WaitReport::stopped);    // SIGTRAP
  CHECK(classify_wait_report(wait4_returned(4250, 0xffff)) == WaitReport::continued);
}

TEST_CASE("classify_wait_report finds nothing in a wait4 that returned 0 or an error", "[decode]") {
  CHECK(classify_wait_report(wait4_returned(0, 0)) == WaitReport::none);    // WNOHANG, nothing yet
  CHECK(classify_wait_report(wait4_returned(-10, 0)) == WaitReport::none);  // ECHILD
  CHECK(classify_wait_report(wait4_returned(-4, 0)) == WaitReport::none);   // EINTR
}

TEST_CASE("classify_wait_report counts a wait4 without a status pointer as an exit", "[decode]") {
  // wait4(pid, NULL, 0) reports only exits unless WUNTRACED/WCONTINUED were asked.
  WaitExitEvent wait = wait4_returned(4250, 0);
  wait.status_read = false;
  CHECK(classify_wait_report(wait) == WaitReport::exited);
}

TEST_CASE("classify_wait_report reads waitid's CLD_* codes", "[decode]") {
  CHECK(classify_wait_report(waitid_returned(4250, kernel::kCldExited)) == WaitReport::exited);
  CHECK(classify_wait_report(waitid_returned(4250, kernel::kCldKilled)) == WaitReport::exited);
  CHECK(classify_wait_report(waitid_returned(4250, kernel::kCldDumped)) == WaitReport::exited);
  CHECK(classify_wait_report(waitid_returned(4250, kernel::kCldTrapped)) == WaitReport::stopped);
  CHECK(classify_wait_report(waitid_returned(4250, kernel::kCldStopped)) == WaitReport::stopped);
  CHECK(classify_wait_report(waitid_returned(4250, kernel::kCldContinued)) == WaitReport::continued);
}

TEST_CASE("classify_wait_report finds nothing in a waitid with si_pid 0, an error, or no siginfo", "[decode]") {
  // WNOHANG with nothing to report: returns 0 and leaves si_pid zeroed.
  CHECK(classify_wait_report(waitid_returned(0, 0)) == WaitReport::none);
  CHECK(classify_wait_report(waitid_returned(0, kernel::kCldExited)) == WaitReport::none);
  CHECK(classify_wait_report(waitid_returned(4250, kernel::kCldExited, -10)) == WaitReport::none);
  WaitExitEvent no_info = waitid_returned(4250, kernel::kCldExited);
  no_info.status_read = false;
  CHECK(classify_wait_report(no_info) == WaitReport::none);
}

TEST_CASE("signal_name names standard, real-time and unknown signals", "[decode]") {
  CHECK(signal_name(1) == "SIGHUP");
  CHECK(signal_name(9) == "SIGKILL");
  CHECK(signal_name(17) == "SIGCHLD");
  CHECK(signal_name(31) == "SIGSYS");
  CHECK(signal_name(34) == "SIGRTMIN+0");
  CHECK(signal_name(37) == "SIGRTMIN+3");
  CHECK(signal_name(64) == "SIGRTMIN+30");
  CHECK(signal_name(0) == "signal 0");
  CHECK(signal_name(32) == "signal 32");  // reserved by glibc: no name
  CHECK(signal_name(65) == "signal 65");
  CHECK(signal_name(-1) == "signal -1");
}

TEST_CASE("syscall names match the kernel's", "[decode]") {
  CHECK(std::string(wait_syscall_name(WaitSyscall::wait4)) == "wait4");
  CHECK(std::string(wait_syscall_name(WaitSyscall::waitid)) == "waitid");
  CHECK(std::string(clone_syscall_name(CloneSyscall::clone)) == "clone");
  CHECK(std::string(clone_syscall_name(CloneSyscall::clone3)) == "clone3");
  CHECK(std::string(clone_syscall_name(CloneSyscall::fork)) == "fork");
  CHECK(std::string(clone_syscall_name(CloneSyscall::vfork)) == "vfork");
}

TEST_CASE("a fork record carries the clone call and its flags, read at fork time", "[decode]") {
  auto raw = record<pl_fork_event>(PL_EV_FORK);
  raw.child = {4250, 4250, 4'100'000'000};
  raw.child_exit_signal = 17;
  raw.clone_nr = PL_NR_CLONE;
  raw.clone_flags = PL_CLONE_PARENT | PL_SIGCHLD;
  raw.clone_flags_known = 1;
  auto fork = decode_body<ForkEvent>(raw);
  REQUIRE(fork.clone_syscall);
  CHECK(*fork.clone_syscall == CloneSyscall::clone);
  CHECK(fork.clone_flags == (PL_CLONE_PARENT | PL_SIGCHLD));
  CHECK(fork.clone_flags_known);

  raw.clone_nr = PL_NR_VFORK;
  raw.clone_flags = PL_CLONE_VFORK | PL_CLONE_VM | PL_SIGCHLD;
  fork = decode_body<ForkEvent>(raw);
  CHECK(fork.clone_syscall == CloneSyscall::vfork);
  CHECK(fork.clone_flags == (PL_CLONE_VFORK | PL_CLONE_VM | PL_SIGCHLD));

  raw.clone_nr = PL_NR_CLONE3;  // clone_args unreadable
  raw.clone_flags = 0;
  raw.clone_flags_known = 0;
  fork = decode_body<ForkEvent>(raw);
  CHECK(fork.clone_syscall == CloneSyscall::clone3);
  CHECK_FALSE(fork.clone_flags_known);
}

TEST_CASE("a fork made outside any clone-family call has no clone facts", "[decode]") {
  auto raw = record<pl_fork_event>(PL_EV_FORK);
  raw.child = {4250, 4250, 4'100'000'000};
  raw.clone_nr = 0;  // an io_uring worker, say
  const auto fork = decode_body<ForkEvent>(raw);
  CHECK_FALSE(fork.clone_syscall);
  CHECK_FALSE(fork.clone_flags_known);
}

TEST_CASE("an exit record carries the threads counted in the kernel and the cgroup id", "[decode]") {
  auto raw = record<pl_exit_event>(PL_EV_EXIT);
  raw.group_dead = 1;
  raw.cgroup_id = 0x1234'5678'9abc;
  raw.thread_forks = 41;
  const auto exit = decode_body<ExitEvent>(raw);
  CHECK(exit.thread_forks == 41);
  CHECK(exit.cgroup_id == 0x1234'5678'9abc);
}

TEST_CASE("a free record names the parent that released it", "[decode]") {
  auto raw = record<pl_free_event>(PL_EV_FREE);
  raw.parent = {4242, 4242, 4'000'000'000};
  CHECK(decode_body<FreeEvent>(raw).parent == TaskId{4242, 4242, 4'000'000'000});
}

TEST_CASE("clone facts, thread counts and the releasing parent survive encode and decode", "[decode]") {
  ForkEvent fork{{4250, 4250, 7}, 4250, 0, 17, false, "runc", CloneSyscall::clone3, PL_CLONE_PARENT, true};
  auto bytes = encode_record(Event{5, 1, {4242, 4242, 3}, fork});
  auto decoded = decode_record(bytes.data(), bytes.size());
  REQUIRE(decoded);
  const auto& back = std::get<ForkEvent>(decoded->body);
  CHECK(back.clone_syscall == CloneSyscall::clone3);
  CHECK(back.clone_flags == PL_CLONE_PARENT);
  CHECK(back.clone_flags_known);

  ExitEvent exit;
  exit.group_dead = true;
  exit.thread_forks = 9;
  exit.cgroup_id = 77;
  bytes = encode_record(Event{6, 1, {4250, 4250, 7}, exit});
  decoded = decode_record(bytes.data(), bytes.size());
  REQUIRE(decoded);
  CHECK(std::get<ExitEvent>(decoded->body).thread_forks == 9);
  CHECK(std::get<ExitEvent>(decoded->body).cgroup_id == 77);

  bytes = encode_record(Event{7, 1, {4250, 4250, 7}, FreeEvent{{4242, 4242, 3}}});
  decoded = decode_record(bytes.data(), bytes.size());
  REQUIRE(decoded);
  CHECK(std::get<FreeEvent>(decoded->body).parent == TaskId{4242, 4242, 3});
}
