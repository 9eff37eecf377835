#include "cli.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cmath>
#include <cstdlib>
#include <algorithm>
#include <map>
#include <vector>

#include "formats.hpp"
#include "version.hpp"

namespace proclife {
namespace {

std::string format_names() {
  std::vector<std::string> names;
  for (const auto& format : output_formats()) names.emplace_back(format.name);
  std::sort(names.begin(), names.end());
  std::string text;
  for (const auto& name : names) text += (text.empty() ? "" : ", ") + name;
  return text;
}

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// A format by name only (any case), from the registry: never by its
// number, and a wrong one is one line that lists the right ones.
CLI::Option* add_format_option(CLI::App& command, OutputOptions& output) {
  std::string help = "Report format:";
  for (const auto& format : output_formats()) help += fmt::format("\n  {:<9} {}", format.name, format.summary);
  return command
      .add_option_function<std::string>(
          "--format,-f", [&output](const std::string& name) { output.format = lower(name); }, help)
      ->check([](const std::string& name) {
        return find_output_format(lower(name)) ? std::string()
                                               : "'" + name + "' is not a format: " + format_names();
      })
      ->option_text("FORMAT");
}

// SECONDS: a finite number of seconds, positive (or zero when allowed), at
// most a year: nan, inf and 1e300 are mistakes, not durations.
std::string check_seconds(const std::string& text, bool allow_zero) {
  char* end = nullptr;
  double value = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !std::isfinite(value)) return "'" + text + "' is not a number of seconds";
  if (value < 0 || (value == 0 && !allow_zero))
    return "'" + text + "' must be " + (allow_zero ? "zero or more" : "more than zero") + " seconds";
  if (value > 365.0 * 24 * 3600) return "'" + text + "' is more than a year";
  return {};
}

CLI::Option* add_output_options(CLI::App& command, OutputOptions& output) {
  CLI::Option* format = add_format_option(command, output);
  command.add_option("-o,--output", output.output_path, "Write the report to FILE instead of stderr")
      ->option_text("FILE");
  return format;
}

void add_trace_options(CLI::App& command, TraceOptions& trace) {
  CLI::Option* format = add_output_options(command, trace.output);
  command
      .add_flag_function(
          "--explain", [&trace](int64_t) { trace.output.format = "explain"; },
          "Same as --format explain: the reaping story in plain language")
      ->excludes(format);
  command.add_option("--record", trace.output.record_path, "Also record every event to FILE (NDJSON)")
      ->option_text("FILE");
  command.add_option("--ring-buffer-mb", trace.ring_buffer_mb, "Kernel ring buffer size in MiB (power of two)")
      ->check(CLI::Range(1, 1024))
      ->check([](const std::string& text) {
        unsigned long value = std::stoul(text, nullptr, 0);  // base 0, as CLI11 converts it
        return (value & (value - 1)) == 0 ? std::string() : std::string("must be a power of two");
      })
      ->option_text("MIB");
  command.add_flag("--stacks", trace.stacks,
                   "Show where in the program each wait, fork and exit_group was called (costs a copy of the "
                   "stack in the kernel per such call, and an unwind in proclife; the ring buffer defaults to 16 "
                   "MiB then)");
  command.add_flag("--verbose,-v", trace.verbose,
                   "Show how the probe was loaded and attached, with libbpf's log when libbpf loads it");
}

// Stacks make the consumer slower (each is unwound, and the first names
// from a library load its debug info, up to a few hundred ms): a larger ring
// then keeps the lifetime events of a busy tree, unless the user chose one.
constexpr uint32_t kStacksRingBufferMb = 16;
void stacks_ring_default(const CLI::App& command, TraceOptions& trace) {
  if (trace.stacks && command.get_option("--ring-buffer-mb")->count() == 0) trace.ring_buffer_mb = kStacksRingBufferMb;
}

// One line: what is wrong, and where to read more. An unknown option before
// the subcommand is named as such, not as a missing subcommand.
CliExit usage_error(const CLI::App& app, std::string what) {
  if (app.get_subcommands().empty() && !app.remaining().empty()) {
    const std::string first = app.remaining().front();
    what = (first.rfind("-", 0) == 0 ? "unknown option " + first + ": a subcommand comes first"
                                     : "unknown subcommand '" + first + "'") +
           " (run, attach or report)";
  }
  return CliExit{kExitProclifeError, "proclife: " + what + "; see proclife --help\n"};
}

// Parses argv, or (inspect set) hands the fully built app to inspect instead.
ParsedCommand parse_or_inspect(int argc, const char* const* argv, const std::function<void(const CLI::App&)>* inspect) {
  CLI::App app{"proclife: process lifetimes from the kernel: fork, exec, exit, SIGCHLD, wait and reap", "proclife"};
  app.require_subcommand(1);
  app.set_version_flag("--version", PROCLIFE_VERSION);

  RunCommand run;
  auto* run_cmd = app.add_subcommand("run", "Run CMD and trace its whole process tree");
  add_trace_options(*run_cmd, run.trace);
  std::string fail_on;
  auto* fail_on_opt = run_cmd->add_option("--fail-on", fail_on,
                      "Exit 86 when any of these hold: leaked, orphan, zombie, killed, lost (comma-separated)")
      ->option_text("LIST");
  // A flag, so `--wait-leaked CMD` never takes CMD as its value; kept as
  // text so that 0.5 stays 0.5 (a numeric flag drops the fraction).
  std::string wait_leaked = "0";
  auto* wait_leaked_opt = run_cmd->add_flag(
      "--wait-leaked{0}", wait_leaked,
      "After CMD exits, keep following its descendants until they exit (--wait-leaked=SECONDS: at most that long)");
  wait_leaked_opt->check([](const std::string& text) { return check_seconds(text, true); })
      ->option_text("[=SECONDS]");
  run_cmd->add_flag("--kill-leaked", run.kill_leaked,
                    "After CMD exits, SIGTERM what is left of its tree, SIGKILL after 2 s, and report it");
  // CMD: everything from the first non-option, or after `--`, to the end;
  // options after it are CMD's, never proclife's.
  run_cmd->add_option("CMD", run.command, "The command to trace, and its arguments");
  run_cmd->positionals_at_end();

  AttachCommand attach;
  auto* attach_cmd = app.add_subcommand("attach", "Trace a running process and its descendants");
  add_trace_options(*attach_cmd, attach.trace);
  attach_cmd->add_option("-p,--pid", attach.pid, "The process to follow")
      ->required()
      ->check([](const std::string& text) {
        char* end = nullptr;
        long value = std::strtol(text.c_str(), &end, 10);
        return !text.empty() && *end == '\0' && value > 0 && value <= 4194304 ? std::string()
                                                                               : "'" + text + "' is not a pid";
      })
      ->option_text("PID");
  double duration = 0;
  auto* duration_opt =
      attach_cmd->add_option("--duration", duration, "Stop after SECONDS (default: when PID exits, or Ctrl-C)")
          ->check([](const std::string& text) { return check_seconds(text, false); })
          ->option_text("SECONDS");

  ReportCommand report;
  auto* report_cmd = app.add_subcommand("report", "Rebuild a report from a recording, without root");
  add_output_options(*report_cmd, report.output);
  report_cmd->add_option("recording", report.recording, "A file written by --record")->required();

  MonitorCommand monitor;
  auto* monitor_cmd = app.add_subcommand(
      "monitor", "Watch every process on the host: lifetimes and findings as NDJSON, Prometheus metrics");
  monitor_cmd->add_option("--events", monitor.events_path,
                          "Write lifetime and finding records to FILE (reopened on SIGHUP) instead of stdout")
      ->option_text("FILE");
  monitor_cmd->add_option("--metrics-address", monitor.metrics_address,
                          "Serve Prometheus metrics on HOST:PORT (default 127.0.0.1:9464; empty: none)")
      ->option_text("ADDR");
  monitor_cmd->add_flag_function(
      "--no-metrics", [&monitor](int64_t) { monitor.metrics_address.clear(); }, "Serve no metrics");
  monitor_cmd->add_option("--zombie-threshold", monitor.zombie_threshold_s,
                          "Report a zombie older than SECONDS (default 60)")
      ->check([](const std::string& text) { return check_seconds(text, false); })
      ->option_text("SECONDS");
  monitor_cmd->add_option("--slow-reap-threshold", monitor.slow_reap_threshold_s,
                          "Report a reap later than SECONDS after the exit (default 5)")
      ->check([](const std::string& text) { return check_seconds(text, false); })
      ->option_text("SECONDS");
  monitor_cmd->add_option("--max-unreaped-children", monitor.max_unreaped_children,
                          "Report a parent holding more than N unreaped children (default 50)")
      ->check(CLI::PositiveNumber)
      ->option_text("N");
  monitor_cmd->add_option("--max-live", monitor.max_live,
                          "Track at most N processes; the oldest are evicted and counted (default 500000)")
      ->check(CLI::Range(uint64_t{1000}, uint64_t{100'000'000}))
      ->option_text("N");
  monitor_cmd->add_option("--retention", monitor.retention_s,
                          "Keep a reaped process SECONDS for late events before writing it out (default 2)")
      ->check([](const std::string& text) { return check_seconds(text, true); })
      ->check(CLI::Range(0.0, 3600.0))
      ->option_text("SECONDS");
  std::string precise = "on";
  monitor_cmd->add_option("--precise-reaping", precise,
                          "on: exact reap times from a syscall hook; off: no syscall hook, reap times "
                          "approximate (from the kernel's release of the process)")
      ->check(CLI::IsMember({"on", "off"}))
      ->option_text("on|off");
  monitor_cmd->add_option("--cgroup", monitor.cgroup,
                          "Only processes in this cgroup2 subtree (a path under the cgroup2 mount, e.g. "
                          "/system.slice); counters then count finished lifetimes")
      ->option_text("PATH");
  monitor_cmd->add_option("--ring-buffer-mb", monitor.ring_buffer_mb,
                          "Kernel ring buffer size in MiB (power of two, default 16)")
      ->check(CLI::Range(1, 1024))
      ->check([](const std::string& text) {
        unsigned long value = std::stoul(text, nullptr, 0);
        return (value & (value - 1)) == 0 ? std::string() : std::string("must be a power of two");
      })
      ->option_text("MIB");
  monitor_cmd->add_flag("--verbose,-v", monitor.verbose,
                        "Show how the probe was loaded and attached, with libbpf's log when libbpf loads it");

  if (inspect) {
    (*inspect)(app);
    return CliExit{};
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    return CliExit{0, app.help()};  // the selected subcommand's help, when there is one
  } catch (const CLI::CallForVersion&) {
    return CliExit{0, version_text()};
  } catch (const CLI::ParseError& e) {
    return usage_error(app, e.what());
  }
  if (attach_cmd->parsed()) {
    stacks_ring_default(*attach_cmd, attach.trace);
    if (duration_opt->count()) attach.duration_s = duration;
    return attach;
  }
  if (monitor_cmd->parsed()) {
    monitor.precise_reaping = precise == "on";
    if (!monitor.cgroup.empty() && monitor.cgroup.front() != '/')
      return CliExit{kExitProclifeError,
                     "proclife monitor: --cgroup: must be a path under the cgroup2 mount, starting with /\n"};
    while (monitor.cgroup.size() > 1 && monitor.cgroup.back() == '/') monitor.cgroup.pop_back();
    return monitor;
  }
  if (run_cmd->parsed()) {
    stacks_ring_default(*run_cmd, run.trace);
    if (fail_on_opt->count()) {
      std::string error;
      auto conditions = parse_gate_conditions(fail_on, error);
      if (!conditions) return CliExit{kExitProclifeError, "proclife run: --fail-on: " + error + "\n"};
      run.fail_on = *conditions;
    }
    if (wait_leaked_opt->count()) run.wait_leaked_s = std::strtod(wait_leaked.c_str(), nullptr);
    if (run.command.empty())
      return CliExit{kExitProclifeError, "proclife run: no command given (usage: proclife run [OPTIONS] -- CMD [ARGS...])\n"};
    return run;
  }
  return report;
}

}  // namespace

ParsedCommand parse_command_line(int argc, const char* const* argv) { return parse_or_inspect(argc, argv, nullptr); }

void inspect_command_line(const std::function<void(const CLI::App&)>& inspect) {
  parse_or_inspect(0, nullptr, &inspect);
}

}  // namespace proclife
