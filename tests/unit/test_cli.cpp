// Command-line parsing: what `proclife run` hands to the traced command must
// be exactly what the user typed after CMD, and every mistake must end in a
// one-line error with proclife's own exit status (125), not a crash.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "cli.hpp"
#include "formats.hpp"
#include "output.hpp"

using namespace proclife;

namespace {

ParsedCommand parse(std::vector<std::string> args) {
  args.insert(args.begin(), "proclife");
  std::vector<const char*> argv;
  for (const auto& arg : args) argv.push_back(arg.c_str());
  return parse_command_line(static_cast<int>(argv.size()), argv.data());
}

RunCommand parse_run(std::vector<std::string> args) {
  ParsedCommand parsed = parse(std::move(args));
  if (auto* exit = std::get_if<CliExit>(&parsed)) FAIL("CliExit " << exit->status << ": " << exit->message);
  REQUIRE(std::holds_alternative<RunCommand>(parsed));
  return std::get<RunCommand>(parsed);
}

CliExit parse_exit(std::vector<std::string> args) {
  ParsedCommand parsed = parse(std::move(args));
  REQUIRE(std::holds_alternative<CliExit>(parsed));
  return std::get<CliExit>(parsed);
}

using Args = std::vector<std::string>;

}  // namespace

TEST_CASE("run -- CMD ARGS traces CMD with its arguments", "[cli]") {
  RunCommand run = parse_run({"run", "--", "sleep", "1"});
  CHECK(run.command == Args{"sleep", "1"});
  CHECK(run.trace.output.format == "text");
  CHECK(run.trace.output.output_path.empty());
  CHECK(run.trace.output.record_path.empty());
  CHECK(run.trace.ring_buffer_mb == 2);
  CHECK_FALSE(run.trace.verbose);
}

TEST_CASE("run CMD ARGS works without --", "[cli]") {
  CHECK(parse_run({"run", "sleep", "1"}).command == Args{"sleep", "1"});
}

TEST_CASE("arguments after CMD stay CMD's, with or without --", "[cli]") {
  CHECK(parse_run({"run", "--", "ls", "-la"}).command == Args{"ls", "-la"});
  CHECK(parse_run({"run", "ls", "-la"}).command == Args{"ls", "-la"});

  // Options proclife itself knows must not be taken from CMD's arguments.
  RunCommand dashed = parse_run({"run", "--", "tool", "--format", "json", "-o", "x"});
  CHECK(dashed.command == Args{"tool", "--format", "json", "-o", "x"});
  CHECK(dashed.trace.output.format == "text");
  CHECK(dashed.trace.output.output_path.empty());

  RunCommand bare = parse_run({"run", "tool", "--format", "json", "-v"});
  CHECK(bare.command == Args{"tool", "--format", "json", "-v"});
  CHECK(bare.trace.output.format == "text");
  CHECK_FALSE(bare.trace.verbose);
}

TEST_CASE("CMD's own --help and --version stay CMD's arguments", "[cli]") {
  // `proclife run -- grep --help` traces grep printing its help.
  CHECK(parse_run({"run", "--", "grep", "--help"}).command == Args{"grep", "--help"});
  CHECK(parse_run({"run", "--", "grep", "--version"}).command == Args{"grep", "--version"});
  CHECK(parse_run({"run", "grep", "--help"}).command == Args{"grep", "--help"});
}

TEST_CASE("a second -- belongs to CMD", "[cli]") {
  CHECK(parse_run({"run", "--", "git", "log", "--", "file"}).command == Args{"git", "log", "--", "file"});
}

TEST_CASE("arguments with spaces and quotes reach CMD unchanged", "[cli]") {
  CHECK(parse_run({"run", "--", "sh", "-c", "sleep 0.1; exit 3"}).command == Args{"sh", "-c", "sleep 0.1; exit 3"});
  CHECK(parse_run({"run", "--", "echo", "it's \"x\""}).command == Args{"echo", "it's \"x\""});
}

TEST_CASE("options before CMD configure the run", "[cli]") {
  RunCommand run = parse_run({"run", "--format", "json", "-o", "f", "--", "x"});
  CHECK(run.trace.output.format == "json");
  CHECK(run.trace.output.output_path == "f");
  CHECK(run.command == Args{"x"});

  RunCommand more = parse_run({"run", "-f", "dot", "--record", "trace.ndjson", "--ring-buffer-mb", "64", "-v", "x"});
  CHECK(more.trace.output.format == "dot");
  CHECK(more.trace.output.record_path == "trace.ndjson");
  CHECK(more.trace.ring_buffer_mb == 64);
  CHECK(more.trace.verbose);
  CHECK(more.command == Args{"x"});
}

TEST_CASE("the format option accepts every registered format name in any case", "[cli]") {
  REQUIRE(output_formats().size() == 6);
  for (const auto& format : output_formats()) {
    std::string name(format.name);
    INFO(name);
    CHECK(parse_run({"run", "--format", name, "--", "x"}).trace.output.format == name);
  }
  CHECK(parse_run({"run", "--format", "JSON", "--", "x"}).trace.output.format == "json");
}

TEST_CASE("the help lists every registered format with its summary", "[cli]") {
  CliExit help = parse_exit({"run", "--help"});
  CHECK(help.status == 0);
  for (const auto& format : output_formats()) {
    CHECK_THAT(help.message, Catch::Contains(std::string(format.name)));
    CHECK_THAT(help.message, Catch::Contains(std::string(format.summary)));
  }
}

TEST_CASE("the explain flag is the same as --format explain", "[cli]") {
  RunCommand run = parse_run({"run", "--explain", "--", "x"});
  CHECK(run.trace.output.format == "explain");
  CHECK(run.command == Args{"x"});
}

TEST_CASE("an unknown option is an error that names it", "[cli]") {
  // Not CMD: `run --bogus -- x` must not try to execute "--bogus".
  for (Args args : {Args{"run", "--bogus", "--", "x"}, Args{"run", "--bogus", "x"}}) {
    INFO(args.size() << " arguments");
    CliExit exit = parse_exit(args);
    CHECK(exit.status == kExitProclifeError);
    CHECK(exit.status == 125);
    CHECK_THAT(exit.message, Catch::Contains("--bogus"));
  }
}

TEST_CASE("run without a command is an error that says so", "[cli]") {
  for (Args args : {Args{"run"}, Args{"run", "--"}, Args{"run", "--format", "json"}, Args{"run", "-o", "f", "--"}}) {
    INFO(args.size() << " arguments");
    CliExit exit = parse_exit(args);
    CHECK(exit.status == 125);
    CHECK_THAT(exit.message, Catch::Contains("no command"));
  }
}

TEST_CASE("a --format that does not exist is an error", "[cli]") {
  CliExit exit = parse_exit({"run", "--format", "xml", "--", "x"});
  CHECK(exit.status == 125);
  CHECK_THAT(exit.message, Catch::Contains("xml"));
}

TEST_CASE("the ring buffer size must be a power of two from 1 to 1024 MiB", "[cli]") {
  for (std::string size : {"1", "2", "8", "1024"}) {
    INFO(size);
    CHECK(parse_run({"run", "--ring-buffer-mb", size, "--", "x"}).trace.ring_buffer_mb == std::stoul(size));
  }
  CliExit three = parse_exit({"run", "--ring-buffer-mb", "3", "--", "x"});
  CHECK(three.status == 125);
  CHECK_THAT(three.message, Catch::Contains("power of two"));
  for (std::string bad : {"0", "12", "2048", "-4", "abc", "4x"}) {
    INFO(bad);
    CHECK(parse_exit({"run", "--ring-buffer-mb", bad, "--", "x"}).status == 125);
  }
}

TEST_CASE("the ring buffer size rejects a non-power of two written in hex or octal", "[cli]") {
  // CLI11 converts integers with base 0 (0x10 is 16, 032 is 26): the power-of-two
  // check must judge the value that will be used, not its decimal reading.
  for (std::string bad : {"0x3", "032"}) {
    INFO(bad);
    ParsedCommand parsed = parse({"run", "--ring-buffer-mb", bad, "--", "x"});
    if (auto* run = std::get_if<RunCommand>(&parsed)) {
      uint32_t mb = run->trace.ring_buffer_mb;
      CHECK((mb & (mb - 1)) == 0);  // accepted: then it must at least be a power of two
    } else {
      CHECK(std::get<CliExit>(parsed).status == 125);
    }
  }
}

TEST_CASE("a missing option value is an error", "[cli]") {
  CHECK(parse_exit({"run", "-o"}).status == 125);
  CHECK(parse_exit({"run", "--format"}).status == 125);
}

TEST_CASE("asking for help prints usage and exits 0", "[cli]") {
  CliExit top = parse_exit({"--help"});
  CHECK(top.status == 0);
  CHECK_THAT(top.message, Catch::Contains("run"));
  CHECK_THAT(top.message, Catch::Contains("report"));

  // The subcommand's own help lists its options.
  CliExit run = parse_exit({"run", "--help"});
  CHECK(run.status == 0);
  CHECK_THAT(run.message, Catch::Contains("--ring-buffer-mb"));
}

TEST_CASE("asking for the version prints it and exits 0", "[cli]") {
  CliExit exit = parse_exit({"--version"});
  CHECK(exit.status == 0);
  CHECK_THAT(exit.message, Catch::Contains(PROCLIFE_VERSION));
}

TEST_CASE("no subcommand, or an unknown one, is an error", "[cli]") {
  CHECK(parse_exit({}).status == 125);
  CliExit unknown = parse_exit({"frobnicate"});
  CHECK(unknown.status == 125);
  CHECK_FALSE(unknown.message.empty());
}

TEST_CASE("report FILE rebuilds a report from a recording", "[cli]") {
  ParsedCommand parsed = parse({"report", "trace.ndjson"});
  REQUIRE(std::holds_alternative<ReportCommand>(parsed));
  const auto& report = std::get<ReportCommand>(parsed);
  CHECK(report.recording == "trace.ndjson");
  CHECK(report.output.format == "text");

  ParsedCommand json = parse({"report", "--format", "json", "-o", "out.json", "trace.ndjson"});
  REQUIRE(std::holds_alternative<ReportCommand>(json));
  CHECK(std::get<ReportCommand>(json).output.format == "json");
  CHECK(std::get<ReportCommand>(json).output.output_path == "out.json");
  CHECK(std::get<ReportCommand>(json).recording == "trace.ndjson");
}

TEST_CASE("report without a recording is an error", "[cli]") {
  CHECK(parse_exit({"report"}).status == 125);
}

TEST_CASE("the format registry finds each format by its name, and no other", "[cli]") {
  for (const char* name : {"text", "json", "explain", "dot", "perfetto", "svg"}) {
    INFO(name);
    REQUIRE(find_output_format(name));
    CHECK(find_output_format(name)->name == name);
  }
  CHECK_FALSE(find_output_format("xml"));
  CHECK(output_formats().front().name == OutputOptions{}.format);  // the default comes first
}

TEST_CASE("wait-leaked keeps fractions of a second", "[cli]") {
  CHECK(parse_run({"run", "--wait-leaked=0.5", "--", "x"}).wait_leaked_s == 0.5);
  CHECK(parse_run({"run", "--wait-leaked=1.5", "--", "x"}).wait_leaked_s == 1.5);
  CHECK(parse_run({"run", "--wait-leaked=3", "--", "x"}).wait_leaked_s == 3);
  // Bare: no limit; and the flag never takes CMD as its value.
  RunCommand bare = parse_run({"run", "--wait-leaked", "sleep", "1"});
  CHECK(bare.wait_leaked_s == 0);
  CHECK(bare.command == Args{"sleep", "1"});
  CHECK_FALSE(parse_run({"run", "--", "x"}).wait_leaked_s);
}

TEST_CASE("seconds must be finite numbers: nan, inf and junk are one-line errors", "[cli]") {
  for (std::string bad : {"nan", "inf", "-1", "1e300", "abc", "0.5s", ""}) {
    INFO(bad);
    if (!bad.empty()) {  // `--wait-leaked=` is the bare flag to CLI11
      CliExit wait = parse_exit({"run", "--wait-leaked=" + bad, "--", "x"});
      CHECK(wait.status == 125);
      CHECK(std::count(wait.message.begin(), wait.message.end(), '\n') == 1);
    }
    CliExit duration = parse_exit({"attach", "-p", "1", "--duration", bad});
    CHECK(duration.status == 125);
    CHECK(std::count(duration.message.begin(), duration.message.end(), '\n') == 1);
  }
  CHECK(parse_exit({"attach", "-p", "1", "--duration", "0"}).status == 125);
  ParsedCommand attach = parse({"attach", "-p", "1", "--duration", "0.25"});
  REQUIRE(std::holds_alternative<AttachCommand>(attach));
  CHECK(std::get<AttachCommand>(attach).duration_s == 0.25);
}

TEST_CASE("a bad pid is named plainly", "[cli]") {
  for (std::string bad : {"0", "-3", "1x", "99999999999"}) {
    INFO(bad);
    CliExit exit = parse_exit({"attach", "--pid", bad});
    CHECK(exit.status == 125);
    CHECK_THAT(exit.message, Catch::Contains("'" + bad + "' is not a pid"));
    CHECK(exit.message.size() < 120);
  }
}

TEST_CASE("the format option takes names only, and a wrong one is one line listing them", "[cli]") {
  for (std::string bad : {"nonsense", "3", "0"}) {
    INFO(bad);
    CliExit exit = parse_exit({"run", "--format", bad, "--", "x"});
    CHECK(exit.status == 125);
    CHECK(exit.message == "proclife: --format: '" + bad +
                              "' is not a format: dot, explain, json, perfetto, svg, text; see proclife --help\n");
  }
}

TEST_CASE("explain and format options together are a clear error", "[cli]") {
  CliExit exit = parse_exit({"run", "--explain", "--format", "json", "--", "x"});
  CHECK(exit.status == 125);
  CHECK_THAT(exit.message, Catch::Contains("--explain"));
  CHECK_THAT(exit.message, Catch::Contains("--format"));
}

TEST_CASE("usage errors are one line", "[cli]") {
  for (Args args : {Args{"--bogus"}, Args{"frobnicate"}, Args{}, Args{"run"}, Args{"run", "--bogus", "x"},
                    Args{"report"}, Args{"attach"}}) {
    INFO(args.size() << " arguments");
    CliExit exit = parse_exit(args);
    CHECK(exit.status == 125);
    CHECK(std::count(exit.message.begin(), exit.message.end(), '\n') == 1);
  }
}

TEST_CASE("an unknown option before the subcommand is named, not taken for a missing subcommand", "[cli]") {
  CliExit exit = parse_exit({"--bogus"});
  CHECK_THAT(exit.message, Catch::Contains("unknown option --bogus"));
  CHECK_THAT(parse_exit({"frobnicate"}).message, Catch::Contains("unknown subcommand 'frobnicate'"));
}

TEST_CASE("an empty --fail-on is an error", "[cli]") {
  CliExit exit = parse_exit({"run", "--fail-on", "", "--", "x"});
  CHECK(exit.status == 125);
  CHECK_THAT(exit.message, Catch::Contains("no condition"));
}

TEST_CASE("lost events: each cause its own count and remedy, never one the option rejects", "[cli]") {
  CHECK(lost_events_advice(0, 0, 2).empty());
  CHECK(lost_events_advice(5, 0, 2) == "proclife: 5 events lost: the ring buffer was full; try --ring-buffer-mb 8\n");
  CHECK_THAT(lost_events_advice(5, 0, 512), Catch::Contains("try --ring-buffer-mb 1024"));
  std::string largest = lost_events_advice(5, 0, 1024);
  CHECK_THAT(largest, Catch::Contains("at its largest"));
  CHECK_THAT(largest, !Catch::Contains("try --ring-buffer-mb"));
  std::string table = lost_events_advice(0, 3, 2);
  CHECK_THAT(table, Catch::Contains("3 new processes not followed"));
  CHECK_THAT(table, Catch::Contains("a larger ring buffer does not help"));
  CHECK_THAT(table, !Catch::Contains("try --ring-buffer-mb"));
  std::string both = lost_events_advice(1, 1, 2);
  CHECK(std::count(both.begin(), both.end(), '\n') == 2);
  CHECK_THAT(both, Catch::Contains("1 event lost"));
  CHECK_THAT(both, Catch::Contains("1 new process not followed"));
}

TEST_CASE("monitor thresholds are finite seconds, refused in one line", "[cli]") {
  for (std::string option : {"--zombie-threshold", "--slow-reap-threshold", "--retention"}) {
    for (std::string bad : {"nan", "inf", "-1", "abc"}) {
      INFO(option << " " << bad);
      CliExit exit = parse_exit({"monitor", option, bad});
      CHECK(exit.status == 125);
      CHECK(std::count(exit.message.begin(), exit.message.end(), '\n') == 1);
      CHECK(exit.message.size() < 160);
    }
  }
}

TEST_CASE("the stacks option is off by default, on for run and attach, and its help says what it costs", "[cli][stacks]") {
  CHECK_FALSE(parse_run({"run", "--", "true"}).trace.stacks);
  CHECK(parse_run({"run", "--stacks", "--", "true"}).trace.stacks);
  ParsedCommand attach = parse({"attach", "-p", "1", "--stacks"});
  REQUIRE(std::holds_alternative<AttachCommand>(attach));
  CHECK(std::get<AttachCommand>(attach).trace.stacks);
  for (const char* command : {"run", "attach"}) {
    std::string help = parse_exit({command, "--help"}).message;
    INFO(help);
    CHECK(help.find("--stacks") != std::string::npos);
    CHECK(help.find("a copy of the stack in the kernel per such call") != std::string::npos);
  }
}

TEST_CASE("with --stacks the ring buffer is 16 MiB unless --ring-buffer-mb says otherwise", "[cli][stacks]") {
  CHECK(parse_run({"run", "--stacks", "--", "x"}).trace.ring_buffer_mb == 16);
  CHECK(parse_run({"run", "--stacks", "--ring-buffer-mb", "4", "--", "x"}).trace.ring_buffer_mb == 4);
  CHECK(parse_run({"run", "--", "x"}).trace.ring_buffer_mb == 2);
}
