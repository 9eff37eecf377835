// The userspace path on one core: raw ring-buffer records -> decode -> graph
// -> JSON report, timed on a recorded trace (e.g. of the fork storm).
//
//   proclife_userspace_bench RECORDING [REPETITIONS]
//
// The recording holds decoded events; they are encoded back into the exact
// records the kernel writes (bpf/proclife_abi.h), so the timed loop does what
// `proclife run` does per event, without the ring buffer itself.
#include <time.h>

#include <algorithm>
#include <cstring>
#include <fmt/format.h>
#include <fstream>
#include <iostream>
#include <ostream>
#include <streambuf>
#include <type_traits>
#include <vector>

#include "decode.hpp"
#include "proclife_abi.h"
#include "record.hpp"
#include "report.hpp"

namespace {

using namespace proclife;

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
  std::memset(out, 0, N);
  std::memcpy(out, text.data(), std::min(text.size(), N - 1));
}

// Appends one event as the record the kernel would have written.
class Encoder {
 public:
  void encode(const Event& event) {
    std::visit([&](const auto& body) { encode_body(event, body); }, event.body);
  }
  const std::vector<std::vector<uint8_t>>& records() const { return records_; }

 private:
  template <typename Raw>
  Raw start(const Event& event, uint32_t kind) {
    Raw raw;
    std::memset(&raw, 0, sizeof raw);
    raw.hdr = {kind, event.cpu, event.ns, event.task.tid, event.task.tgid, event.task.tgid_start_ns};
    return raw;
  }
  template <typename Raw>
  void push(const Raw& raw) {
    auto bytes = reinterpret_cast<const uint8_t*>(&raw);
    records_.emplace_back(bytes, bytes + sizeof raw);
  }

  void encode_body(const Event& e, const ForkEvent& fork) {
    auto raw = start<pl_fork_event>(e, PL_EV_FORK);
    raw.child = raw_id(fork.child);
    raw.child_ns_pid = fork.child_ns_pid;
    raw.child_ns_level = fork.child_ns_level;
    raw.child_exit_signal = static_cast<uint32_t>(fork.child_exit_signal);
    raw.shares_mm = fork.shares_mm;
    copy_string(raw.comm, fork.comm);
    push(raw);
  }
  void encode_body(const Event& e, const ExecEvent& exec) {
    auto raw = start<pl_exec_event>(e, PL_EV_EXEC);
    raw.old_tid = exec.old_tid;
    copy_string(raw.comm, exec.comm);
    copy_string(raw.filename, exec.filename);
    std::string args;
    for (const auto& arg : exec.argv) args += arg + '\0';
    raw.args_len = static_cast<uint32_t>(std::min(args.size(), sizeof raw.args));
    std::memcpy(raw.args, args.data(), raw.args_len);
    push(raw);
  }
  void encode_body(const Event& e, const ExitEvent& exit) {
    auto raw = start<pl_exit_event>(e, PL_EV_EXIT);
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
    push(raw);
  }
  void encode_body(const Event& e, const FreeEvent&) { push(start<pl_free_event>(e, PL_EV_FREE)); }
  void encode_body(const Event& e, const WaitEnterEvent& wait) {
    auto raw = start<pl_wait_enter_event>(e, PL_EV_WAIT_ENTER);
    raw.target_pid = wait.target_pid;
    push(raw);
  }
  void encode_body(const Event& e, const WaitExitEvent& wait) {
    auto raw = start<pl_wait_exit_event>(e, PL_EV_WAIT_EXIT);
    raw.enter_ns = wait.enter_ns;
    raw.syscall_nr = wait.syscall == WaitSyscall::waitid ? PL_NR_WAITID : PL_NR_WAIT4;
    raw.arg_which = wait.which;
    raw.arg_id = wait.id;
    raw.options = wait.options;
    raw.ret = wait.ret;
    raw.status = wait.status;
    raw.info_code = wait.info_code;
    raw.info_pid = wait.info_pid;
    raw.status_read = wait.status_read;
    push(raw);
  }
  void encode_body(const Event& e, const SignalEvent& sig) {
    auto raw = start<pl_signal_event>(e, sig.delivered ? PL_EV_SIGNAL_DELIVER : PL_EV_SIGNAL_GENERATE);
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
    push(raw);
  }
  void encode_body(const Event& e, const CloneReturnEvent& ret) {
    auto raw = start<pl_clone_return_event>(e, PL_EV_CLONE_RETURN);
    raw.child = raw_id(ret.child);
    raw.flags = ret.flags;
    raw.syscall_nr = clone_nr(ret.syscall);
    raw.flags_known = ret.flags_known;
    raw.ret = ret.ret;
    push(raw);
  }

  std::vector<std::vector<uint8_t>> records_;
};

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + ts.tv_nsec / 1e9;
}

class NullBuffer : public std::streambuf {
 protected:
  int overflow(int c) override { return c; }
  std::streamsize xsputn(const char*, std::streamsize n) override { return n; }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: proclife_userspace_bench RECORDING [REPETITIONS]\n";
    return 2;
  }
  std::ifstream in(argv[1], std::ios::binary);
  if (!in) {
    std::cerr << "proclife_userspace_bench: cannot read " << argv[1] << '\n';
    return 2;
  }
  int repetitions = argc > 2 ? std::max(1, std::atoi(argv[2])) : 5;
  Recording recording = read_recording(in, argv[1]);
  Encoder encoder;
  for (const auto& event : recording.events) encoder.encode(event);
  const auto& records = encoder.records();

  std::vector<double> model_rates, full_rates;
  size_t processes = 0;
  NullBuffer null_buffer;
  std::ostream null_stream(&null_buffer);
  for (int rep = 0; rep < repetitions; ++rep) {
    double begin = thread_cpu_seconds();
    Graph graph(graph_options(recording.header));
    for (const auto& record : records)
      if (auto event = decode_record(record.data(), record.size())) graph.apply(*event);
    graph.finish(recording.trailer ? recording.trailer->end_ns : 0);
    double modelled = thread_cpu_seconds();
    write_json_report(graph, ReportContext{recording.header.command}, null_stream);
    double reported = thread_cpu_seconds();
    processes = graph.processes().size();
    model_rates.push_back(records.size() / (modelled - begin));
    full_rates.push_back(records.size() / (reported - begin));
  }
  std::sort(model_rates.begin(), model_rates.end());
  std::sort(full_rates.begin(), full_rates.end());
  std::cout << fmt::format(
      "userspace path on {} events ({} processes), median of {} on one core: decode+model {:.2f} M events/s; "
      "decode+model+JSON report {:.2f} M events/s\n",
      records.size(), processes, repetitions, model_rates[model_rates.size() / 2] / 1e6, full_rates[full_rates.size() / 2] / 1e6);
  return 0;
}
