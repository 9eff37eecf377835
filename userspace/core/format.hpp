// Small text helpers shared by the human-readable renderers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "model.hpp"

namespace proclife {

// The one duration formatter: "850 ns", "41.2 µs", "3.5 ms", "1.204 s".
// Past INT64_MAX ns a duration can only be a wrapped negative difference:
// that prints as "an unknown time", never as centuries. Absent: the same.
std::string format_duration(uint64_t ns);
std::string format_duration(std::optional<uint64_t> ns);
// From `from` to `to`; nullopt when `to` comes first (events out of order or
// lost): a derived duration is absent rather than wrapped.
std::optional<uint64_t> elapsed(uint64_t from, uint64_t to);
// "+1.204s" relative to the trace start (may be negative for pre-existing).
std::string format_offset(int64_t ns);
// "exited 3", "killed by SIGKILL", "killed by SIGSEGV (core dumped)".
std::string describe_exit(const ExitStatus& status);
// "sh (4242)", escaped.
std::string describe_process(const Process& process);
std::string describe_pid(uint32_t pid, std::string_view comm);
// Who sent a signal: "bash (4242)", or "the kernel" for faults, the
// terminal's keys, the OOM killer and timers.
std::string describe_sender(const SignalSender& sender);

// "1 process", "3 processes": a count with its noun in the right number.
std::string count_of(size_t n, const char* one, const char* many);

// `text` (already printable) cut to at most `max_chars` code points on a
// UTF-8 boundary, ending in "…" when cut.
std::string clip(std::string_view text, size_t max_chars);
// Number of code points in valid UTF-8.
size_t utf8_length(std::string_view text);

}  // namespace proclife
