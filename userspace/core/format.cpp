#include "format.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>

#include "escape.hpp"

namespace proclife {

std::string format_duration(uint64_t ns) {
  if (ns > static_cast<uint64_t>(INT64_MAX)) return "an unknown time";
  if (ns < 1000) return fmt::format("{} ns", ns);
  if (ns < 1000000) return fmt::format("{:.1f} µs", ns / 1e3);
  if (ns < 1000000000) return fmt::format("{:.1f} ms", ns / 1e6);
  return fmt::format("{:.3f} s", ns / 1e9);
}

std::string format_duration(std::optional<uint64_t> ns) { return ns ? format_duration(*ns) : "an unknown time"; }

std::optional<uint64_t> elapsed(uint64_t from, uint64_t to) {
  if (to < from) return std::nullopt;
  return to - from;
}

std::string format_offset(int64_t ns) { return fmt::format("{:+.3f}s", ns / 1e9); }

std::string describe_exit(const ExitStatus& status) {
  if (!status.signal) return fmt::format("exited {}", status.code);
  return fmt::format("killed by {}{}", signal_name(*status.signal), status.core_dumped ? " (core dumped)" : "");
}

std::string describe_pid(uint32_t pid, std::string_view comm) {
  if (comm.empty()) return fmt::format("pid {}", pid);
  return fmt::format("{} ({})", printable(comm), pid);
}

std::string describe_sender(const SignalSender& sender) {
  return sender.from_kernel ? std::string("the kernel") : describe_pid(sender.pid, sender.comm);
}

std::string describe_process(const Process& process) { return describe_pid(process.key.pid, process.comm); }

size_t utf8_length(std::string_view text) {
  return static_cast<size_t>(std::count_if(text.begin(), text.end(),
                                           [](char c) { return (static_cast<uint8_t>(c) & 0xC0) != 0x80; }));
}

std::string clip(std::string_view text, size_t max_chars) {
  if (utf8_length(text) <= max_chars) return std::string(text);
  if (max_chars == 0) return {};
  size_t keep = max_chars - 1, chars = 0, i = 0;
  for (; i < text.size(); ++i) {
    bool starts_char = (static_cast<uint8_t>(text[i]) & 0xC0) != 0x80;
    if (starts_char && chars++ == keep) break;
  }
  return std::string(text.substr(0, i)) + "…";
}

std::string count_of(size_t n, const char* one, const char* many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

}  // namespace proclife
