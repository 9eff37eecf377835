// Small text helpers shared by the human-readable renderers.
#pragma once

#include <cstdint>
#include <string>

#include "model.hpp"

namespace proclife {

// "850 ns", "41.2 µs", "3.5 ms", "1.204 s".
std::string format_duration(uint64_t ns);
// "+1.204s" relative to the trace start (may be negative for pre-existing).
std::string format_offset(int64_t ns);
// "exited 3", "killed by SIGKILL", "killed by SIGSEGV (core dumped)".
std::string describe_exit(const ExitStatus& status);
// "sh (4242)", escaped.
std::string describe_process(const Process& process);
std::string describe_pid(uint32_t pid, const std::string& comm);
// Who sent a signal: "bash (4242)", or "the kernel" for faults, the
// terminal's keys, the OOM killer and timers.
std::string describe_sender(const SignalSender& sender);

}  // namespace proclife
