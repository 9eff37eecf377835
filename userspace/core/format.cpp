#include "format.hpp"

#include <fmt/format.h>

#include "escape.hpp"

namespace proclife {

std::string format_duration(uint64_t ns) {
  if (ns < 1000) return fmt::format("{} ns", ns);
  if (ns < 1000000) return fmt::format("{:.1f} µs", ns / 1e3);
  if (ns < 1000000000) return fmt::format("{:.1f} ms", ns / 1e6);
  return fmt::format("{:.3f} s", ns / 1e9);
}

std::string format_offset(int64_t ns) { return fmt::format("{:+.3f}s", ns / 1e9); }

std::string describe_exit(const ExitStatus& status) {
  if (!status.signal) return fmt::format("exited {}", status.code);
  return fmt::format("killed by {}{}", signal_name(*status.signal), status.core_dumped ? " (core dumped)" : "");
}

std::string describe_pid(uint32_t pid, const std::string& comm) {
  if (comm.empty()) return fmt::format("pid {}", pid);
  return fmt::format("{} ({})", printable(comm), pid);
}

std::string describe_sender(const SignalSender& sender) {
  return sender.from_kernel ? std::string("the kernel") : describe_pid(sender.pid, sender.comm);
}

std::string describe_process(const Process& process) { return describe_pid(process.key.pid, process.comm); }

}  // namespace proclife
