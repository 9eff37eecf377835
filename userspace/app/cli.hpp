// Command-line parsing, kept apart from running so it is unit-tested.
#pragma once

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "gate.hpp"
#include "probe.hpp"

namespace CLI {
class App;
}

namespace proclife {

struct OutputOptions {
  std::string format = "text";  // a name in output_formats()
  std::string output_path;  // empty: stderr
  std::string record_path;  // empty: no recording
};

struct TraceOptions {
  OutputOptions output;
  uint32_t ring_buffer_mb = 2;
  bool verbose = false;
  bool trace_all = false;     // the whole host (monitor), not one tree
  // Where wait results come from; monitor --precise-reaping off: none.
  ReapSource reap_source = ReapSource::automatic;
  // Capture the call stack of every wait, fork and exit_group call.
  bool stacks = false;
};

struct RunCommand {
  TraceOptions trace;
  std::vector<std::string> command;
  std::vector<GateCondition> fail_on;
  // After CMD exits: keep following its descendants (nullopt: no; 0: no limit).
  std::optional<double> wait_leaked_s;
  bool kill_leaked = false;
};

struct AttachCommand {
  TraceOptions trace;
  pid_t pid = 0;
  std::optional<double> duration_s;
};

struct ReportCommand {
  OutputOptions output;
  std::string recording;
};

struct MonitorCommand {
  std::string events_path;                          // empty: stdout
  std::string metrics_address = "127.0.0.1:9464";  // empty: no metrics endpoint
  double zombie_threshold_s = 60;
  double slow_reap_threshold_s = 5;
  uint32_t max_unreaped_children = 50;
  uint64_t max_live = 500000;
  double retention_s = 2;
  bool precise_reaping = true;
  std::string cgroup;  // empty: the whole host; else only this cgroup2 subtree
  uint32_t ring_buffer_mb = 16;
  bool verbose = false;
};

// What the user asked for, or a message to print and an exit status.
struct CliExit {
  int status = 0;
  std::string message;  // for stdout when status is 0, else stderr
};

using ParsedCommand = std::variant<RunCommand, AttachCommand, ReportCommand, MonitorCommand, CliExit>;

// Exit statuses of proclife itself (documented in the README).
inline constexpr int kExitProclifeError = 125;
inline constexpr int kExitCannotExecute = 126;
inline constexpr int kExitNotFound = 127;
inline constexpr int kExitGateFailed = 86;  // a --fail-on condition held

ParsedCommand parse_command_line(int argc, const char* const* argv);

// Builds the very CLI::App parse_command_line parses with and hands it to
// inspect: the man page and the shell completions are generated from it.
void inspect_command_line(const std::function<void(const CLI::App&)>& inspect);

}  // namespace proclife
