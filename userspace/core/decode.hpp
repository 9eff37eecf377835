// Raw ring-buffer records (bpf/proclife_abi.h) to typed events, and the wait
// status word to its parts. The only place that knows the record layouts.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "events.hpp"

namespace proclife {

// nullopt for a record that is too short or of an unknown kind; callers count
// it as a decode error (Graph::decode_errors), never drop it unseen.
std::optional<Event> decode_record(const void* data, size_t size);

struct ExitStatus {
  int code = 0;               // exit(code); 0 when killed
  std::optional<int> signal;  // set when killed by a signal
  bool core_dumped = false;
};

ExitStatus decode_exit_status(uint32_t status);

// What a wait call returned in its status word or siginfo.
enum class WaitReport { none, exited, stopped, continued };
WaitReport classify_wait_report(const WaitExitEvent& wait);

// "SIGCHLD", "SIGRTMIN+3", or "signal 99".
std::string signal_name(int sig);

const char* clone_syscall_name(CloneSyscall syscall);
const char* wait_syscall_name(WaitSyscall syscall);

}  // namespace proclife
