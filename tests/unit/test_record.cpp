// Recording and replay: every field of every event kind survives the round
// trip, hostile strings included, so a replayed graph is the live one; and a
// damaged recording gives one error that names its line, never a crash.
#include <catch2/catch.hpp>

#include <limits>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "escape.hpp"
#include "json_report.hpp"
#include "record.hpp"
#include "report.hpp"
#include "scenario.hpp"

using namespace proclife;
using namespace std::string_literals;

namespace {

// Bytes a traced process may choose: invalid UTF-8, a terminal escape, line
// breaks, JSON's own metacharacters, NUL, DEL, a C1 control, real UTF-8.
const std::vector<std::string> kHostile = {
    "\xff\xfe not utf-8"s, "\x1b[31mred\x1b[0m"s, "two\nlines\r\n"s, "quote\" back\\slash"s, "nul\0byte"s,
    "del\x7f"s,            "c1 \xc2\x85 next"s,   "h\xc3\xa9llo \xe2\x98\x83"s, ""s, "\xc0\xaf overlong"s,
    "\xed\xa0\x80 surrogate"s, "cut \xe2\x98"s};

// Every field of each body, listed apart from record.cpp so a field the
// recording forgets is caught here.
auto tie(const ForkEvent& e) {
  return std::tie(e.child, e.child_ns_pid, e.child_ns_level, e.child_exit_signal, e.shares_mm, e.comm,
                  e.clone_syscall, e.clone_flags, e.clone_flags_known);
}
auto tie(const ExecEvent& e) { return std::tie(e.old_tid, e.comm, e.filename, e.argv, e.argv_truncated); }
auto tie(const ExitEvent& e) {
  return std::tie(e.exit_code, e.group_dead, e.task_flags, e.signal_flags, e.group_exit_code, e.exit_signal,
                  e.ns_pid, e.ns_level, e.parent, e.new_reaper, e.parent_sigchld_handler, e.parent_sigchld_flags,
                  e.ptraced, e.comm, e.thread_forks);
}
auto tie(const FreeEvent& e) { return std::tie(e.parent); }
auto tie(const WaitEnterEvent& e) { return std::tie(e.target_pid); }
auto tie(const WaitExitEvent& e) {
  return std::tie(e.syscall, e.which, e.id, e.options, e.ret, e.status, e.info_code, e.info_pid,
                  e.status_read);
}
auto tie(const SignalEvent& e) {
  return std::tie(e.target, e.sig, e.info_code, e.info_pid, e.info_status, e.result, e.group,
                  e.handler, e.sa_flags, e.comm);
}
auto tie(const CloneReturnEvent& e) { return std::tie(e.child, e.flags, e.syscall, e.flags_known, e.ret); }
// What the recording keeps of a stack: never the capture.
auto tie(const StackEvent& e) {
  std::vector<std::tuple<Frame::Kind, uint64_t, std::string, std::string, uint64_t, std::string, std::string, uint32_t>>
      frames;
  for (const auto& f : e.stack.frames)
    frames.emplace_back(f.kind, f.pc, f.module, f.build_id, f.module_address, f.symbol, f.file, f.line);
  return std::make_tuple(e.site, e.site_ns, frames, e.stack.truncated, e.stack.incomplete);
}

bool same_event(const Event& a, const Event& b) {
  if (a.ns != b.ns || a.cpu != b.cpu || !(a.task == b.task) || a.body.index() != b.body.index()) return false;
  return std::visit(
      [&b](const auto& body) { return tie(body) == tie(std::get<std::decay_t<decltype(body)>>(b.body)); }, a.body);
}

constexpr uint64_t kU64Max = std::numeric_limits<uint64_t>::max();
constexpr uint32_t kU32Max = std::numeric_limits<uint32_t>::max();
constexpr int32_t kI32Min = std::numeric_limits<int32_t>::min();
constexpr int64_t kI64Min = std::numeric_limits<int64_t>::min();

const TaskId kTaskA{4243, 4242, kU64Max};
const TaskId kTaskB{7, 8, 9};

// One event of every kind (both signal kinds, every enumerator), each field
// away from its default, strings taken from kHostile in turn.
std::vector<Event> every_kind() {
  size_t next_string = 0;
  auto hostile = [&next_string] { return kHostile[next_string++ % kHostile.size()]; };
  std::vector<Event> events;
  auto push = [&events](EventBody body) {
    events.push_back(Event{1000 + events.size(), static_cast<uint32_t>(events.size()), kTaskA, std::move(body)});
  };
  push(ForkEvent{kTaskB, kU32Max, 3, -1, true, hostile()});
  for (auto syscall : {CloneSyscall::clone, CloneSyscall::clone3, CloneSyscall::fork, CloneSyscall::vfork})
    push(ForkEvent{kTaskB, 1, 0, 17, false, hostile(), syscall, kU64Max, syscall != CloneSyscall::clone3});
  push(ExecEvent{kU32Max, hostile(), hostile(), {hostile(), hostile(), hostile(), ""}, true});
  for (const auto& s : kHostile) push(ExecEvent{1, s, s, {s, s}, false});
  ExitEvent exit{0x8b, true, 0x400, 4, 0x8b00, kI32Min, 5, 2, kTaskB, kTaskA, kU64Max, 0x10000004, true, hostile()};
  exit.thread_forks = kU32Max;
  push(exit);
  push(FreeEvent{});
  push(FreeEvent{kTaskB});
  push(WaitEnterEvent{-1});
  push(WaitEnterEvent{kI32Min});
  push(WaitExitEvent{WaitSyscall::wait4, -1, 0, kU32Max, kI64Min, kI32Min, 1, 2, true});
  push(WaitExitEvent{WaitSyscall::waitid, 3, 7, 4, std::numeric_limits<int64_t>::max(), 0, -5, -6, false});
  push(SignalGenerateEvent{{kTaskB, 17, 1, 4243, 0x8b, 1, true, 1, 0x4000000, hostile()}});
  push(SignalDeliverEvent{{kTaskB, 64, -6, -1, -2, 4, false, kU64Max, kU64Max, hostile()}});
  for (auto syscall : {CloneSyscall::clone, CloneSyscall::clone3, CloneSyscall::fork, CloneSyscall::vfork})
    push(CloneReturnEvent{kTaskB, kU64Max, syscall, true, -11});
  for (auto site : {StackSite::wait, StackSite::fork, StackSite::exit_group}) {
    Stack stack;
    stack.frames.push_back({Frame::Kind::native, kU64Max, hostile(), "0badc0de", kU64Max, hostile(), hostile(), 0});
    stack.frames.push_back({Frame::Kind::python, 0, "", "", 0, hostile(), hostile(), kU32Max});
    stack.truncated = site == StackSite::fork;
    stack.incomplete = hostile();
    push(StackEvent{site, kU64Max, {}, std::move(stack)});
  }
  return events;
}

RecordHeader sample_header() {
  RecordHeader header;
  header.proclife_version = "0.1.0";
  header.kernel_release = "6.18.0-test";
  header.boot_id = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
  header.origin_ns = test::kOrigin;
  header.observer_pid = test::kObserver;
  header.root_pid = 4242;
  header.command = {"sh", "-c", "echo \x1b[2J\xff; exit 3"s};
  header.pre_existing = {{4000, 1, "bash"}, {4001, 4000, "\xffvi\x1b"s}};
  header.reap_source = "fexit";
  return header;
}

std::string record(const RecordHeader& header, const std::vector<Event>& events, uint64_t lost, uint64_t end_ns) {
  std::ostringstream out;
  RecordWriter writer(out, header);
  for (const auto& event : events) writer.write(event);
  writer.finish({lost, end_ns});
  return out.str();
}

Recording read(const std::string& text, std::string_view name = "trace.ndjson") {
  std::istringstream in(text);
  return read_recording(in, name);
}

// The message a bad recording gives; fails the test when it gives none.
std::string error_of(const std::string& text) {
  try {
    read(text);
  } catch (const RecordingError& e) {
    return e.what();
  }
  FAIL("no RecordingError for:\n" << text);
  return {};
}

// A small valid recording, line by line, to damage one line at a time.
const std::string kHeaderLine =
    R"({"type":"header","format_version":2,"proclife_version":"0.1.0","kernel_release":"6.18.0",)"
    R"("boot_id":"b","origin_ns":1000,"observer_pid":100,"observer_comm":"proclife","root_pid":200,)"
    R"("command":["true"],"pre_existing":[]})";
const std::string kForkLine =
    R"({"type":"event","kind":"fork","ns":2000,"cpu":1,"task":{"tid":200,"tgid":200,"start_ns":1000},)"
    R"("child":{"tid":201,"tgid":201,"start_ns":2000},"child_ns_pid":201,"child_ns_level":0,)"
    R"("child_exit_signal":17,"shares_mm":false,"comm":"true"})";
const std::string kTrailerLine = R"({"type":"trailer","lost_events":0,"end_ns":9000})";

std::string replace(std::string text, const std::string& from, const std::string& to) {
  auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

std::string with_fork_line(const std::string& fork_line) {
  return kHeaderLine + "\n" + fork_line + "\n" + kTrailerLine + "\n";
}

}  // namespace

TEST_CASE("every event kind survives a recording unchanged, hostile strings included", "[record]") {
  auto events = every_kind();
  auto header = sample_header();
  std::string text = record(header, events, 3, test::at_us(99));

  Recording recording = read(text);
  CHECK(recording.header == header);
  REQUIRE(recording.events.size() == events.size());
  for (size_t i = 0; i < events.size(); ++i) {
    INFO("event " << i);
    CHECK(same_event(recording.events[i], events[i]));
  }
  REQUIRE(recording.trailer);
  CHECK(recording.trailer->lost_events == 3);
  CHECK(recording.trailer->end_ns == test::at_us(99));
  CHECK(recording.warning.empty());
}

TEST_CASE("a recording is one line per event, each valid UTF-8 JSON without raw control bytes", "[record]") {
  auto events = every_kind();
  std::string text = record(sample_header(), events, 0, 1);
  std::istringstream in(text);
  size_t lines = 0;
  for (std::string line; std::getline(in, line); ++lines) {
    CHECK(is_valid_utf8(line));
    for (char c : line) CHECK(static_cast<unsigned char>(c) >= 0x20);
    CHECK_NOTHROW(nlohmann::json::parse(line));
  }
  CHECK(lines == events.size() + 2);
  CHECK(text.back() == '\n');
}

TEST_CASE("a string that is not UTF-8 is recorded as hex, a valid one as a JSON string", "[record]") {
  Event event{1, 0, kTaskA, ExecEvent{1, "\xff\x01"s, "\x1b[0m", {"ok"}, false}};
  std::string text = record(sample_header(), {event}, 0, 1);
  CHECK(text.find(R"("comm":{"hex":"ff01"})") != std::string::npos);
  CHECK(text.find(R"("filename":"\u001b[0m")") != std::string::npos);
  CHECK(text.find(R"("argv":["ok"])") != std::string::npos);
  CHECK(text.find(R"("kind":"exec","ns":1,"cpu":0,"task":{"tid":4243,"tgid":4242,"start_ns":)") !=
        std::string::npos);
}

TEST_CASE("a graph replayed from a recording reports exactly as the live one", "[record]") {
  using namespace test;
  Scenario s;
  auto root = s.root(4242);
  auto child = s.fork(root, 4243, 10, "wor\x1bker\xff");
  s.exec(child, "/bin/\xfe\nsleep", {"sleep", "1\x1b[2J", "\xc3"}, 20);
  auto thread = s.thread(child, 4244, 25);
  s.thread_exit(thread, 30);
  s.exit(child, exited(3), 40, root);
  s.sigchld(child, root, 0, 41);
  s.deliver_sigchld(root, 0x401000, 42);
  s.wait4(root, -1, 0, 4243, exited(3), 35, 43);
  auto orphan = s.fork(root, 4245, 50);
  s.exit(root, killed(9), 60, Proc{kObserver, 0}, 0, 0, Proc{1, 0});
  s.observer_reaps(root, 5, 61);
  s.exit(orphan, exited(0), 70, Proc{1, 0});
  s.free(child, 80);

  Graph live = s.graph(90);
  live.set_lost_events(2);
  RecordHeader header = sample_header();
  header.command = {"sh", "-c", "\xff"s};
  header.pre_existing.clear();
  std::string text = record(header, s.events, 2, at_us(90));

  ReportContext context{header.command};
  std::string expected = test::json_report_text(live, context);
  CHECK(test::json_report_text(build_graph(read(text)), context) == expected);

  std::istringstream in(text);
  Replay replay = replay_recording(in, "trace.ndjson");
  CHECK(replay.warning.empty());
  CHECK(replay.header == header);
  CHECK(test::json_report_text(replay.graph, ReportContext{replay.header.command}) == expected);
}

TEST_CASE("an attach recording seeds the replayed graph with the processes found running", "[record]") {
  using namespace test;
  const std::vector<PreExistingProcess> found = {{500, 1, "bash"}, {501, 500, "sle\xff" "ep"s}, {502, 500, "vi"}};
  Graph live({kOrigin, 0, 0, "proclife", "fexit"});  // sample_header()'s reap source
  for (const auto& p : found) live.seed_pre_existing(p.pid, p.parent_pid, p.comm);
  Scenario s;
  Proc shell{500, 5}, sleeper{501, 6};
  auto child = s.fork(shell, 510, 10, "ls");
  s.exit(child, exited(0), 20, shell);
  s.wait4(shell, -1, 0, 510, exited(0), 15, 21);
  s.exit(sleeper, killed(15), 30, shell);
  for (const auto& event : s.events) live.apply(event);
  live.finish(at_us(40));

  RecordHeader header = sample_header();
  header.observer_pid = 0;
  header.root_pid = 0;
  header.command = {"attach -p 500"};
  header.pre_existing = found;
  Recording recording = read(record(header, s.events, 0, at_us(40)));
  CHECK(recording.header.pre_existing == found);
  ReportContext context{header.command};
  CHECK(test::json_report_text(build_graph(recording), context) == test::json_report_text(live, context));
}

TEST_CASE("a writer flushes in batches and on flush(), and keeps its events without finish()", "[record]") {
  std::ostringstream out;
  auto events = every_kind();
  {
    RecordWriter writer(out, sample_header());
    CHECK(out.str().find(R"("type":"header")") != std::string::npos);  // at once
    writer.write(events[0]);
    writer.flush();
    CHECK(read(out.str()).events.size() == 1);
    for (int i = 0; i < 2000; ++i) writer.write(events[static_cast<size_t>(i) % events.size()]);
    CHECK(out.str().size() > 64 * 1024);  // batches went out before any flush()
    CHECK(writer.events_written() == 2001);
  }  // destroyed without finish(): a recording cut short
  Recording recording = read(out.str());
  CHECK(recording.events.size() == 2001);
  CHECK_FALSE(recording.trailer);
  CHECK(recording.warning == "trace.ndjson: truncated: no trailer after line 2002; the trace may end early");
}

TEST_CASE("a recording without a trailer keeps its events and warns", "[record]") {
  SECTION("cut after a whole line") {
    Recording recording = read(kHeaderLine + "\n" + kForkLine + "\n");
    CHECK(recording.events.size() == 1);
    CHECK_FALSE(recording.trailer);
    CHECK(recording.warning.find("truncated: no trailer") != std::string::npos);
  }
  SECTION("cut inside a line: that line is dropped") {
    Recording recording = read(kHeaderLine + "\n" + kForkLine + "\n" + kForkLine.substr(0, 50));
    CHECK(recording.events.size() == 1);
    CHECK(recording.warning == "trace.ndjson: truncated: line 3 is cut short and there is no trailer; "
                               "the trace may end early");
  }
  SECTION("only the header") {
    Recording recording = read(kHeaderLine + "\n");
    CHECK(recording.events.empty());
    CHECK_FALSE(recording.warning.empty());
    std::istringstream in(kHeaderLine);
    Replay replay = replay_recording(in);
    CHECK(replay.graph.end_ns() == 1000);
  }
  SECTION("the graph ends at the last event") {
    Graph graph = build_graph(read(kHeaderLine + "\n" + kForkLine + "\n"));
    CHECK(graph.end_ns() == 2000);
    CHECK(graph.lost_events() == 0);
  }
}

TEST_CASE("a whole recording needs no final newline, and blank lines are skipped", "[record]") {
  Recording recording = read(kHeaderLine + "\n\n" + kForkLine + "\r\n  \n" + kTrailerLine);
  CHECK(recording.events.size() == 1);
  CHECK(recording.trailer);
  CHECK(recording.warning.empty());
}

TEST_CASE("a damaged recording gives one error naming its line and the problem", "[record]") {
  struct Case {
    const char* what;
    std::string text;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"empty file", "", "trace.ndjson: empty: not a proclife recording (no header)"},
      {"blank file", "\n \n", "trace.ndjson: empty: not a proclife recording (no header)"},
      {"no header", kForkLine + "\n", R"(trace.ndjson:1: expected the header first, found "event")"},
      {"header cut short", kHeaderLine.substr(0, 40), "trace.ndjson:1: the header is cut short"},
      {"header not JSON", "hello\n", "trace.ndjson:1: not valid JSON: "},
      {"header not an object", "[1,2]\n", "trace.ndjson:1: expected the header, found an array"},
      {"header without a field", replace(kHeaderLine, R"("root_pid":200,)", "") + "\n",
       R"(trace.ndjson:1: header has no "root_pid")"},
      {"newer format", replace(kHeaderLine, R"("format_version":2)", R"("format_version":3)") + "\n",
       "trace.ndjson:1: format_version 3 is newer than what this proclife reads (1 to 2)"},
      {"older format", replace(kHeaderLine, R"("format_version":2)", R"("format_version":0)") + "\n",
       "trace.ndjson:1: format_version 0 is not one this proclife reads (1 to 2)"},
      {"format_version a string", replace(kHeaderLine, R"("format_version":2)", R"("format_version":"1")"),
       R"(trace.ndjson:1: header: "format_version" must be a 32-bit integer, not a string)"},
      {"bad JSON in the middle", kHeaderLine + "\n{\"type\":\"event\",\n" + kTrailerLine + "\n",
       "trace.ndjson:2: not valid JSON: "},
      {"bad JSON on a last line that ends", kHeaderLine + "\n" + kForkLine + "\n{\"ty\n",
       "trace.ndjson:3: not valid JSON: "},
      {"line not an object", kHeaderLine + "\n42\n", "trace.ndjson:2: expected a JSON object, found a number"},
      {"line without type", kHeaderLine + "\n{}\n", R"(trace.ndjson:2: line has no "type")"},
      {"type not a string", kHeaderLine + "\n{\"type\":1}\n",
       R"(trace.ndjson:2: line: "type" must be a string, not a number)"},
      {"unknown type", kHeaderLine + "\n" + R"({"type":"\u001b[2J"})" + "\n",
       R"(trace.ndjson:2: unknown line type "\e[2J")"},
      {"second header", kHeaderLine + "\n" + kHeaderLine + "\n", "trace.ndjson:2: a second header"},
      {"unknown kind", with_fork_line(replace(kForkLine, R"("kind":"fork")", R"("kind":"spawn")")),
       R"(trace.ndjson:2: unknown event kind "spawn")"},
      {"no kind", with_fork_line(replace(kForkLine, R"("kind":"fork",)", "")),
       R"(trace.ndjson:2: event has no "kind")"},
      {"no ns", with_fork_line(replace(kForkLine, R"("ns":2000,)", "")), R"(trace.ndjson:2: event has no "ns")"},
      {"ns a string", with_fork_line(replace(kForkLine, R"("ns":2000)", R"("ns":"2000")")),
       R"(trace.ndjson:2: event: "ns" must be an unsigned 64-bit integer, not a string)"},
      {"ns a fraction", with_fork_line(replace(kForkLine, R"("ns":2000)", R"("ns":2000.5)")),
       R"(trace.ndjson:2: event: "ns" must be an unsigned 64-bit integer, not a floating-point number)"},
      {"ns the graph's absent stamp", with_fork_line(replace(kForkLine, R"("ns":2000)", R"("ns":18446744073709551615)")),
       R"(trace.ndjson:2: event "ns" is 2^64 - 1, a time no kernel gives)"},
      {"ns too big", with_fork_line(replace(kForkLine, R"("ns":2000)", R"("ns":18446744073709551616)")),
       R"(trace.ndjson:2: event: "ns" must be an unsigned 64-bit integer, not a floating-point number)"},
      {"number beyond a double", with_fork_line(replace(kForkLine, R"("ns":2000)", R"("ns":1e999)")),
       "trace.ndjson:2: not valid JSON: number overflow parsing '1e999'"},
      {"cpu out of range", with_fork_line(replace(kForkLine, R"("cpu":1)", R"("cpu":4294967296)")),
       R"(trace.ndjson:2: event: "cpu" is out of range for an unsigned 32-bit integer)"},
      {"negative unsigned", with_fork_line(replace(kForkLine, R"("cpu":1)", R"("cpu":-1)")),
       R"(trace.ndjson:2: event: "cpu" is out of range for an unsigned 32-bit integer)"},
      {"signed out of range",
       with_fork_line(replace(kForkLine, R"("child_exit_signal":17)", R"("child_exit_signal":-2147483649)")),
       R"(trace.ndjson:2: fork event: "child_exit_signal" is out of range for a 32-bit integer)"},
      {"task null", with_fork_line(replace(kForkLine, R"("task":{"tid":200,"tgid":200,"start_ns":1000})",
                                           R"("task":null)")),
       R"(trace.ndjson:2: event: "task" must be an object {tid, tgid, start_ns}, not null)"},
      {"nested field missing", with_fork_line(replace(kForkLine, R"("tid":201,)", "")),
       R"(trace.ndjson:2: fork event has no "child.tid")"},
      {"body field missing", with_fork_line(replace(kForkLine, R"(,"comm":"true")", "")),
       R"(trace.ndjson:2: fork event has no "comm")"},
      {"bool a number", with_fork_line(replace(kForkLine, R"("shares_mm":false)", R"("shares_mm":0)")),
       R"(trace.ndjson:2: fork event: "shares_mm" must be true or false, not a number)"},
      {"string a number", with_fork_line(replace(kForkLine, R"("comm":"true")", R"("comm":5)")),
       R"(trace.ndjson:2: fork event: "comm" must be a string or {"hex": "..."}, not a number)"},
      {"hex not hex", with_fork_line(replace(kForkLine, R"("comm":"true")", R"("comm":{"hex":"zz"})")),
       R"(trace.ndjson:2: fork event: "comm" has a "hex" that is not pairs of hex digits)"},
      {"hex odd", with_fork_line(replace(kForkLine, R"("comm":"true")", R"("comm":{"hex":"abc"})")),
       R"(trace.ndjson:2: fork event: "comm" has a "hex" that is not pairs of hex digits)"},
      {"hex with another key",
       with_fork_line(replace(kForkLine, R"("comm":"true")", R"("comm":{"hex":"ab","x":1})")),
       R"(trace.ndjson:2: fork event: "comm" must be a string or {"hex": "..."}, not an object)"},
      {"argv element wrong",
       kHeaderLine + "\n" +
           R"({"type":"event","kind":"exec","ns":1,"cpu":0,"task":{"tid":1,"tgid":1,"start_ns":1},)"
           R"("old_tid":1,"comm":"a","filename":"/a","argv":["a",null],"argv_truncated":false})" + "\n",
       R"(trace.ndjson:2: exec event: "argv[1]" must be a string or {"hex": "..."}, not null)"},
      {"bad enum",
       kHeaderLine + "\n" +
           R"({"type":"event","kind":"clone_return","ns":1,"cpu":0,"task":{"tid":1,"tgid":1,"start_ns":1},)"
           R"("child":{"tid":2,"tgid":2,"start_ns":2},"flags":0,"syscall":"spawn","flags_known":true,"ret":2})" +
           "\n",
       R"(trace.ndjson:2: clone_return event: "syscall" is "spawn", not one of clone, clone3, fork, vfork)"},
      {"pre_existing not an array", replace(kHeaderLine, R"("pre_existing":[])", R"("pre_existing":{})"),
       R"(trace.ndjson:1: header: "pre_existing" must be an array of {pid, parent_pid, comm}, not an object)"},
      {"pre_existing element wrong", replace(kHeaderLine, R"("pre_existing":[])", R"("pre_existing":[{"pid":1}])"),
       R"(trace.ndjson:1: header has no "pre_existing[0].parent_pid")"},
      {"trailer without a field", kHeaderLine + "\n{\"type\":\"trailer\",\"end_ns\":5}\n",
       R"(trace.ndjson:2: trailer has no "lost_events")"},
      {"data after the trailer", with_fork_line(kForkLine) + kForkLine + "\n",
       "trace.ndjson:4: data after the trailer"},
      {"NUL bytes", kHeaderLine + "\n\0\0\0\n"s, "trace.ndjson:2: not valid JSON"},
      {"invalid UTF-8 in a JSON string", with_fork_line(replace(kForkLine, R"("comm":"true")", "\"comm\":\"\xff\"")),
       "trace.ndjson:2: not valid JSON"},
      {"deep nesting", kHeaderLine + "\n" + std::string(100000, '[') + "\n", "trace.ndjson:2: not valid JSON"},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    std::string message = error_of(c.text);
    CHECK(message.substr(0, c.message.size()) == c.message);
    CHECK(message.find('\x1b') == std::string::npos);
  }
}

TEST_CASE("a line longer than 16 MiB is an error, not a memory hog", "[record]") {
  std::string huge = kHeaderLine + "\n\"" + std::string((16 << 20) + 1, 'a') + "\"\n";
  CHECK(error_of(huge) == "trace.ndjson:2: line longer than 16 MiB");
}

TEST_CASE("a stream that fails while writing is an error", "[record]") {
  std::ostringstream out;
  RecordWriter writer(out, sample_header());
  out.setstate(std::ios::badbit);
  writer.write(every_kind().front());
  CHECK_THROWS_WITH(writer.flush(), "cannot write the recording");
}

namespace {

// An endless stream of one byte that counts what the reader took from it.
class EndlessBuf : public std::streambuf {
 public:
  explicit EndlessBuf(char byte) : chunk_(1 << 16, byte) {}
  uint64_t served = 0;

 protected:
  int_type underflow() override {
    served += chunk_.size();
    setg(chunk_.data(), chunk_.data(), chunk_.data() + chunk_.size());
    return traits_type::to_int_type(chunk_[0]);
  }

 private:
  std::string chunk_;
};

}  // namespace

TEST_CASE("a line past the limit is refused once the limit is read, not after the whole line", "[record][bounded]") {
  for (char byte : {'\0', 'x', '{'}) {
    EndlessBuf endless(byte);
    std::istream in(&endless);
    try {
      RecordReader reader(in, "zero");
      FAIL("read a header from an endless line");
    } catch (const RecordingError& e) {
      CHECK(std::string(e.what()) == "zero:1: line longer than 16 MiB");
    }
    CHECK(endless.served <= (16u << 20) + (128u << 10));
  }
  // The same after a header, and with the limit itself still accepted.
  std::string header = record(sample_header(), {}, 0, 1);
  header.resize(header.find('\n') + 1);
  std::string at_limit = header + std::string((16u << 20) - 1, ' ') + "\n" + R"({"type":"trailer","lost_events":0,"end_ns":1})";
  CHECK(read(at_limit).trailer.has_value());
  std::string over = header + std::string((16u << 20) + 1, ' ') + "\n";
  CHECK(error_of(over) == "trace.ndjson:2: line longer than 16 MiB");
}

TEST_CASE("lines are read whole across chunk boundaries, terminated or not", "[record][bounded]") {
  std::string header = record(sample_header(), {}, 0, 1);
  header.resize(header.find('\n') + 1);
  // A comm just long enough to straddle the reader's 64 KiB chunks.
  auto events = every_kind();
  std::get<ForkEvent>(events[0].body).comm = std::string((64 << 10) + 7, 'c');
  std::string text = record(sample_header(), events, 0, 1);
  Recording recording = read(text);
  CHECK(std::get<ForkEvent>(recording.events[0].body).comm.size() == (64 << 10) + 7);
  CHECK(recording.events.size() == events.size());
  // The last line without its '\n' is still read (the trailer here).
  text.pop_back();
  CHECK(read(text).trailer.has_value());
  CHECK(read(header + "\n  \n").warning.find("truncated") != std::string::npos);
}

TEST_CASE("an inconsistent recording is replayed with one warning per kind, naming the line", "[record][inconsistent]") {
  using namespace test;
  Scenario s;
  Proc sh = s.root(10);
  auto child = s.fork(sh, 11, 50);
  s.exit(child, exited(0), 20, sh);  // before its fork
  auto other = s.fork(sh, 12, 60);
  s.exit(other, exited(0), 30, sh);  // before its fork too: counted, not named again
  s.wait4(sh, -1, 0, 11, exited(0), 70, 65);  // returns (line 7) before it was entered (6)
  std::string text = record(sample_header(), s.events, 0, at_us(90));
  std::istringstream in(text);
  Replay replay = replay_recording(in, "trace.ndjson");
  REQUIRE(replay.inconsistencies.size() == 2);
  CHECK_THAT(replay.inconsistencies[0],
             Catch::StartsWith("trace.ndjson:3: inconsistent recording: the exit of pid 11 is stamped 30.0 µs before") &&
                 Catch::Contains("(2 such events in all"));
  CHECK_THAT(replay.inconsistencies[1],
             Catch::StartsWith("trace.ndjson:7: inconsistent recording: a wait call of pid 10 returns 5.0 µs before"));
  // The model holds no negative or wrapped time: the exits are taken as at the forks.
  const Process* p = replay.graph.find({11, at_us(50)});
  REQUIRE(p);
  REQUIRE(p->exit);
  CHECK(p->exit->ns == *p->fork_ns);
  REQUIRE(p->reap);
  CHECK(p->reap->ns >= p->exit->ns);
  const Process* waiter = replay.graph.find({sh.pid, sh.start_ns});
  REQUIRE(waiter);
  CHECK(waiter->rare().waits.blocked_ns == 0);
}

TEST_CASE("a fork after its child's own events is reported, not silently pre-existing", "[record][inconsistent]") {
  using namespace test;
  Scenario s;
  Proc sh = s.root(10);
  Proc child{11, at_us(5)};
  s.exec(child, "/bin/true", {"true"}, 6);
  Scenario forks;
  forks.fork(sh, 11, 5);
  std::vector<Event> events = s.events;
  events.push_back(forks.events.front());  // the fork, after the exec
  std::istringstream in(record(sample_header(), events, 0, at_us(90)));
  Replay replay = replay_recording(in, "trace.ndjson");
  REQUIRE(replay.inconsistencies.size() == 1);
  CHECK_THAT(replay.inconsistencies[0], Catch::StartsWith("trace.ndjson:3: inconsistent recording: the fork of pid 11"));
  // A consistent recording gives none.
  std::istringstream good(record(sample_header(), forks.events, 0, at_us(90)));
  CHECK(replay_recording(good, "ok").inconsistencies.empty());
}

TEST_CASE("a recording made before the fork record's clone facts, thread counts and reap source reads with defaults",
          "[record]") {
  const std::string exit_line =
      R"({"type":"event","kind":"exit","ns":3000,"cpu":0,"task":{"tid":201,"tgid":201,"start_ns":2000},)"
      R"("exit_code":0,"group_dead":true,"task_flags":0,"signal_flags":0,"group_exit_code":0,"exit_signal":17,)"
      R"("ns_pid":201,"ns_level":0,"parent":{"tid":200,"tgid":200,"start_ns":1000},)"
      R"("new_reaper":{"tid":1,"tgid":1,"start_ns":0},"parent_sigchld_handler":0,"parent_sigchld_flags":0,)"
      R"("ptraced":false,"comm":"true"})";
  const std::string free_line =
      R"({"type":"event","kind":"free","ns":4000,"cpu":0,"task":{"tid":201,"tgid":201,"start_ns":2000}})";
  Recording recording = read(kHeaderLine + "\n" + kForkLine + "\n" + exit_line + "\n" + free_line + "\n" +
                             kTrailerLine + "\n");
  CHECK(recording.header.reap_source.empty());
  REQUIRE(recording.events.size() == 3);
  const auto& fork = std::get<ForkEvent>(recording.events[0].body);
  CHECK_FALSE(fork.clone_syscall);
  CHECK_FALSE(fork.clone_flags_known);
  CHECK(std::get<ExitEvent>(recording.events[1].body).thread_forks == 0);
  CHECK(std::get<FreeEvent>(recording.events[2].body).parent.tgid == 0);
}

TEST_CASE("a format_version 1 recording, whose wait returns carry enter_ns, replays as before", "[record]") {
  using namespace test;
  Scenario s;
  Proc sh = s.root(10);
  auto child = s.fork(sh, 11, 50);
  s.exit(child, exited(0), 80, sh);
  s.wait4(sh, -1, 0, 11, exited(0), 60, 90);
  std::string text = record(sample_header(), s.events, 0, at_us(100));
  REQUIRE(text.find(R"("format_version":2)") != std::string::npos);
  text = replace(text, R"("format_version":2)", R"("format_version":1)");
  text = replace(text, R"("kind":"wait_exit",)", R"("kind":"wait_exit","enter_ns":1000060000,)");
  std::istringstream in(text);
  Replay replay = replay_recording(in, "v1.ndjson");
  const Process* reaped = replay.graph.find(child.key());
  REQUIRE(reaped);
  REQUIRE(reaped->reap);
  CHECK(reaped->reap->wait_enter_ns == at_us(60));
  CHECK(replay.graph.find(sh.key())->rare().waits.blocked_ns == 30'000u);
}
