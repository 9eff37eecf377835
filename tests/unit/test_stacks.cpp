// --stacks: resolved call stacks reach their call site in the graph, survive
// the recording byte for byte, and read well in every report.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <sstream>
#include <string>

#include "explain.hpp"
#include "json_report.hpp"
#include "record.hpp"
#include "report.hpp"
#include "scenario.hpp"
#include "stack_text.hpp"

using namespace proclife;
using namespace proclife::test;

namespace {

constexpr const char* kLibc = "/usr/lib/x86_64-linux-gnu/libc.so.6";
constexpr const char* kLibpython = "/usr/lib/x86_64-linux-gnu/libpython3.12.so.1.0";
const std::string kMp = "/usr/lib/python3.12/multiprocessing/";

Stack stack_of(std::vector<Frame> frames) { return Stack{std::move(frames), false, ""}; }

// Python's multiprocessing: fork a worker, poll for it from active_children(),
// then join it at exit (the README's example).
Stack fork_stack() {
  return stack_of({native_frame("_Fork", kLibc, 0xe3d10), native_frame("os_fork", kLibpython, 0x2a1f0),
                   python_frame("Popen._launch", kMp + "popen_fork.py", 66),
                   python_frame("Process.start", kMp + "process.py", 121), python_frame("<module>", "/srv/app.py", 9)});
}

Stack poll_stack() {
  return stack_of({native_frame("wait4", kLibc, 0xea3c0), python_frame("posix.waitpid", "", 0),
                   python_frame("Popen.poll", kMp + "popen_fork.py", 27),
                   python_frame("_cleanup", kMp + "process.py", 61),
                   python_frame("active_children", kMp + "process.py", 43), python_frame("<module>", "/srv/app.py", 12)});
}

Stack join_stack() {
  return stack_of({native_frame("wait4", kLibc, 0xea3c0), python_frame("posix.waitpid", "", 0),
                   python_frame("Popen.poll", kMp + "popen_fork.py", 27),
                   python_frame("Popen.wait", kMp + "popen_fork.py", 43),
                   python_frame("BaseProcess.join", kMp + "process.py", 149),
                   python_frame("_exit_function", kMp + "util.py", 357), native_frame("atexit_callfuncs", kLibpython),
                   native_frame("Py_FinalizeEx", kLibpython), native_frame("Py_RunMain", kLibpython),
                   native_frame("__libc_start_call_main", kLibc)});
}

Stack exit_stack() {
  return stack_of({native_frame("_exit", kLibc, 0xe3f00), native_frame("os__exit", kLibpython, 0x2b000),
                   python_frame("Popen._launch", kMp + "popen_fork.py", 71)});
}

struct PythonJoin {
  Scenario s;
  Proc python = s.root(29053);
  Proc worker{0, 0};

  PythonJoin() {
    s.exec(python, "/usr/bin/python3", {"python3", "/srv/app.py"}, 10);
    worker = s.fork(python, 29054, 100, "python3");
    s.stack(python, StackSite::fork, 100, fork_stack());
    for (uint64_t t : {200, 300}) {
      s.wait_enter(python, -1, t);
      s.stack(python, StackSite::wait, t, poll_stack());
      s.wait4(python, -1, kernel::kWnohang, 0, 0, t, t + 1);
    }
    s.wait_enter(python, 29054, 1000);
    s.stack(python, StackSite::wait, 1000, join_stack());
    s.stack(worker, StackSite::exit_group, 500'000, exit_stack());
    s.exit(worker, exited(0), 500'010, python);
    s.last<ExitEvent>().comm = "python3";
    s.wait4(python, 29054, 0, 29054, exited(0), 1000, 501'700);
    s.exit(python, exited(0), 502'000, Proc{kObserver, 0});
    s.last<ExitEvent>().comm = "python3";
    s.observer_reaps(python, 50, 502'100);
  }

  Graph graph() const { return s.graph(503'000); }
  static ReportContext context() { return {{"python3", "/srv/app.py"}}; }
};

std::string explain_text(const Graph& graph) {
  std::ostringstream out;
  write_explain_report(graph, PythonJoin::context(), out);
  return out.str();
}

std::string text_report(const Graph& graph) {
  std::ostringstream out;
  write_text_report(graph, PythonJoin::context(), out);
  return out.str();
}

}  // namespace

TEST_CASE("stacks: each reaches its call: the wait call, the child forked, the exit", "[stacks][model]") {
  PythonJoin scenario;
  Graph graph = scenario.graph();
  const Process& python = *graph.find(scenario.python.key());
  const Process& worker = *graph.find(scenario.worker.key());

  REQUIRE(worker.rare().fork_stack);
  CHECK(worker.rare().fork_stack->frames[2].symbol == "Popen._launch");
  REQUIRE(worker.exit);
  REQUIRE(worker.rare().exit_group_stack);
  CHECK(worker.rare().exit_group_stack->frames[1].symbol == "os__exit");

  REQUIRE(python.rare().wait_calls.size() == 3);
  for (int poll : {0, 1}) {
    INFO("poll " << poll);
    REQUIRE(python.rare().wait_calls[poll].stack);  // WNOHANG calls that found nothing keep theirs too
    CHECK(python.rare().wait_calls[poll].stack->frames[3].symbol == "_cleanup");
  }
  REQUIRE(python.rare().wait_calls[2].stack);
  CHECK(python.rare().wait_calls[2].reaped == scenario.worker.key());
  CHECK(python.rare().wait_calls[2].stack->frames[4].symbol == "BaseProcess.join");
  CHECK(python.rare().open_waits.empty());
  CHECK(graph.has_stacks());
  CHECK(graph.unmatched_stacks() == 0);
}

TEST_CASE("stacks: a wait's stack after its return (no enter hook), or while it still blocks", "[stacks][model]") {
  Scenario s;
  Proc sh = s.root(10);
  Proc child = s.fork(sh, 11, 100);
  s.wait4(sh, -1, kernel::kWnohang, 0, 0, 200, 201);
  s.stack(sh, StackSite::wait, 200, stack_of({native_frame("waitproc")}));
  s.wait_enter(sh, 11, 300);
  s.stack(sh, StackSite::wait, 300, stack_of({native_frame("waitforjob")}));
  Graph graph = s.graph(1000);

  const Process& process = *graph.find(sh.key());
  REQUIRE(process.rare().wait_calls.size() == 1);
  REQUIRE(process.rare().wait_calls[0].stack);
  CHECK(process.rare().wait_calls[0].stack->frames[0].symbol == "waitproc");
  REQUIRE(process.rare().open_waits.size() == 1);
  REQUIRE(process.rare().open_waits[0].stack);
  CHECK(process.rare().open_waits[0].stack->frames[0].symbol == "waitforjob");
  CHECK_FALSE(graph.find(child.key())->rare().fork_stack);
  // Where it hangs, in the tree and in JSON.
  std::ostringstream text;
  write_text_report(graph, {{"sh"}}, text);
  CHECK(text.str().find("blocked in wait for id 11 since +0.000s (wait in waitforjob)") != std::string::npos);
  auto json = json_report(graph, {{"sh"}});
  CHECK(json["processes"][0]["waiting_at_end"]["stack"]["frames"][0]["symbol"] == "waitforjob");
}

TEST_CASE("stacks for calls the graph does not hold are counted, never attached", "[stacks][model]") {
  Scenario s;
  Proc sh = s.root(10);
  Proc child = s.fork(sh, 11, 100);
  s.thread(sh, 12, 150);
  s.stack(sh, StackSite::fork, 150, stack_of({native_frame("pthread_create")}));  // a thread, not a process
  s.stack(sh, StackSite::fork, 170, stack_of({native_frame("nothing_forked_then")}));
  s.stack(Proc{77, at_us(0)}, StackSite::exit_group, 180, stack_of({native_frame("untraced")}));
  s.wait4(sh, -1, 0, 11, exited(0), 200, 300);
  s.stack(sh, StackSite::wait, 250, stack_of({native_frame("no_such_call")}));
  s.stack(Proc{kObserver, 0}, StackSite::wait, 50, stack_of({native_frame("proclife_itself")}));  // ignored
  s.stack(sh, StackSite::fork, 100, stack_of({native_frame("the_real_fork")}));
  s.stack(sh, StackSite::fork, 100, stack_of({native_frame("a_second_for_it")}));
  Graph graph = s.graph(1000);

  CHECK(graph.unmatched_stacks() == 5);
  CHECK(graph.find(child.key())->rare().fork_stack->frames[0].symbol == "the_real_fork");
  CHECK(!graph.find(sh.key())->rare().wait_calls[0].stack);
  CHECK(!graph.find({77, at_us(0)}));  // a stack makes no process
  auto json = json_report(graph, {{"sh"}});
  CHECK(json["unmatched_stacks"] == 5);
}

TEST_CASE("stacks: a polling loop keeps 64, counts the rest, and a reaping call always keeps its own", "[stacks][model]") {
  Scenario s;
  Proc sh = s.root(10);
  Proc child = s.fork(sh, 11, 100);
  for (uint64_t i = 0; i < 100; ++i) {
    s.wait_enter(sh, -1, 200 + 2 * i);
    s.stack(sh, StackSite::wait, 200 + 2 * i, stack_of({native_frame("poll_loop")}));
    s.wait4(sh, -1, kernel::kWnohang, 0, 0, 200 + 2 * i, 201 + 2 * i);
  }
  s.exit(child, exited(0), 500, sh);
  s.wait_enter(sh, -1, 600);
  s.stack(sh, StackSite::wait, 600, stack_of({native_frame("reap_it")}));
  s.wait4(sh, -1, kernel::kWnohang, 11, exited(0), 600, 601);
  Graph graph = s.graph(1000);

  const Process& process = *graph.find(sh.key());
  size_t with_stack = 0;
  for (const auto& call : process.rare().wait_calls) with_stack += call.stack.has_value();
  CHECK(with_stack == Graph::kMaxWaitStacks + 1);
  CHECK(process.rare().waits.stacks_dropped == 100 - Graph::kMaxWaitStacks);
  REQUIRE(process.rare().wait_calls.back().stack);
  CHECK(process.rare().wait_calls.back().stack->frames[0].symbol == "reap_it");
  CHECK(json_report(graph, {{"sh"}})["processes"][0]["waits"]["stacks_dropped"] == 36);
  CHECK(explain_text(graph).find("(the stacks of 36 more that reaped nothing were not kept)") != std::string::npos);
}

TEST_CASE("stacks go with their process when the monitor compacts the graph", "[stacks][model]") {
  PythonJoin scenario;
  Graph graph = scenario.graph();
  CHECK(graph.compact([&](const Process& p) { return p.key == scenario.worker.key(); }) == 1);
  CHECK(!graph.find(scenario.worker.key()));
  const Process& python = *graph.find(scenario.python.key());
  CHECK(python.rare().wait_calls[2].stack->frames[4].symbol == "BaseProcess.join");  // the survivor keeps its own
}

TEST_CASE("explain: where each fork and the reaping wait were called, polls folded by call site",
          "[stacks][explain]") {
  std::string report = explain_text(PythonJoin().graph());
  INFO(report);
  CHECK(report.find("    fork by python3 (29053), called from\n"
                    "      os_fork <- Popen._launch (popen_fork.py:66)\n"
                    "      <- Process.start (process.py:121) <- <module> (app.py:9)\n") != std::string::npos);
  CHECK(report.find("    python3 (29053) polled 2x with WNOHANG from posix.waitpid <- Popen.poll (popen_fork.py:27) "
                    "<- _cleanup (process.py:61) <- active_children (process.py:43) <- ...\n") != std::string::npos);
  CHECK(report.find("    python3 (29053) blocked 500.7 ms in wait4(29054, 0), called from\n"
                    "      posix.waitpid <- Popen.poll (popen_fork.py:27)\n"
                    "      <- Popen.wait (popen_fork.py:43) <- BaseProcess.join (process.py:149)\n"
                    "      <- _exit_function (util.py:357) <- atexit_callfuncs <- Py_FinalizeEx\n"
                    "      <- Py_RunMain <- ...\n") != std::string::npos);
}

TEST_CASE("frame text: Python and native frames, libc wrappers skipped, cut at eight", "[stacks][explain]") {
  CHECK(frame_text(python_frame("Popen.wait", kMp + "popen_fork.py", 43)) == "Popen.wait (popen_fork.py:43)");
  CHECK(frame_text(native_frame("", "/opt/app/bin/server", 0x1a2b)) == "server+0x1a2b");
  Frame jit;
  jit.pc = 0x7f0012345678;
  CHECK(frame_text(jit) == "0x7f0012345678");
  // Only libc: nothing would be left, so nothing is skipped.
  CHECK(stack_chain(stack_of({native_frame("wait4", kLibc)})) == "wait4");
  Stack cut = stack_of({native_frame("a"), native_frame("b")});
  cut.truncated = true;
  cut.incomplete = "process gone before its maps were read";
  CHECK(stack_chain(cut) == "a <- b <- ... (incomplete: process gone before its maps were read)");
  CHECK(stack_chain(Stack{{}, false, "no stack copied"}) == "no frames (incomplete: no stack copied)");
  CHECK(innermost_frame(join_stack())->symbol == "posix.waitpid");  // the first Python frame
  CHECK(innermost_frame(stack_of({native_frame("wait4", kLibc), native_frame("waitproc", "/bin/dash")}))->symbol ==
        "waitproc");
}

TEST_CASE("explain: a few polling places per child, names cut: its size follows the recording's",
          "[stacks][explain]") {
  Scenario s;
  Proc sh = s.root(10);
  Proc child = s.fork(sh, 11, 100);
  for (uint64_t i = 0; i < 5; ++i) {
    s.wait4(sh, -1, kernel::kWnohang, 0, 0, 200 + i, 200 + i);
    s.stack(sh, StackSite::wait, 200 + i, stack_of({native_frame(std::string(1000, 'a' + i))}));
  }
  s.exit(child, exited(0), 500, sh);
  s.wait4(sh, -1, 0, 11, exited(0), 600, 601);
  std::string report = explain_text(s.graph(1000));
  INFO(report);
  CHECK(report.find("polled 1x with WNOHANG from " + std::string(159, 'c') + "…\n") != std::string::npos);
  CHECK(report.find(std::string(160, 'd')) == std::string::npos);
  CHECK(report.find("    and 2x more from 2 other places\n") != std::string::npos);
}

TEST_CASE("text: the innermost meaningful frame next to the fork and the reaping wait", "[stacks][text]") {
  std::string report = text_report(PythonJoin().graph());
  INFO(report);
  CHECK(report.find("python3 (29054) +0.000s (fork in Popen._launch (popen_fork.py:66)), ran 499.9 ms, exited 0, "
                    "reaped by python3 (29053) via wait4 after 1.7 ms (wait4 in posix.waitpid)") != std::string::npos);
}

TEST_CASE("JSON: stack on forks, exits, wait calls, and absent without stacks", "[stacks][json]") {
  auto report = json_report(PythonJoin().graph(), PythonJoin::context());
  CHECK(report["unmatched_stacks"] == 0);
  const auto& python = report["processes"][0];
  const auto& worker = report["processes"][1];
  REQUIRE(worker["pid"] == 29054);
  const auto& fork = worker["fork_stack"];
  CHECK(fork["truncated"] == false);
  CHECK(fork["incomplete"].is_null());
  CHECK(fork["frames"][0] == nlohmann::ordered_json::parse(R"({"kind":"native","module":")" + std::string(kLibc) +
                                                           R"(","build_id":"0123456789abcdef","address":933136,)"
                                                           R"("symbol":"_Fork","file":null,"line":null})"));
  CHECK(fork["frames"][2] == nlohmann::ordered_json::parse(R"({"kind":"python","module":null,"build_id":null,)"
                                                           R"("address":null,"symbol":"Popen._launch","file":")" +
                                                           kMp + R"(popen_fork.py","line":66})"));
  CHECK(worker["exit"]["stack"]["frames"][1]["symbol"] == "os__exit");
  CHECK(python["fork_stack"].is_null());  // proclife made it
  CHECK(python["exit"]["stack"].is_null());
  const auto& calls = python["waits"]["stacks"];
  REQUIRE(calls.size() == 3);
  CHECK(calls[0]["reaped_pid"].is_null());
  CHECK(calls[0]["options"] == kernel::kWnohang);
  CHECK(calls[2]["reaped_pid"] == 29054);
  CHECK(calls[2]["enter_ns"] == 1'000'000);
  CHECK(calls[2]["stack"]["frames"].size() == 10);
  CHECK(python["waits"]["stacks_dropped"] == 0);

  Scenario plain;
  Proc sh = plain.root(10);
  plain.fork(sh, 11, 100);
  std::string text = json_report_text(plain.graph(1000), {{"sh"}});
  for (const char* key : {"stack", "unmatched_stacks"}) CHECK(text.find(key) == std::string::npos);
}

namespace {

RecordHeader minimal_header() {
  RecordHeader header;
  header.proclife_version = "0.1.0";
  header.origin_ns = test::kOrigin;
  header.observer_pid = test::kObserver;
  header.root_pid = 500;
  header.command = {"sh"};
  return header;
}

// The one event line RecordWriter writes for `event`.
std::string recorded_line(const Event& event) {
  std::ostringstream out;
  RecordWriter writer(out, minimal_header());
  writer.write(event);
  writer.finish({0, event.ns});
  std::istringstream lines(out.str());
  for (std::string line; std::getline(lines, line);)
    if (line.find("\"kind\":\"stack\"") != std::string::npos) return line + "\n";
  FAIL("no stack line in " << out.str());
  return {};
}

// `line` read back through a whole recording, as `report` reads it.
std::pair<Event, StackEvent> read_stack_line(const std::string& line) {
  std::ostringstream out;
  RecordWriter writer(out, minimal_header());
  writer.finish({0, 0});
  std::string whole = out.str();
  whole.insert(whole.find('\n') + 1, line);
  std::istringstream in(whole);
  Recording recording = read_recording(in, "stack");
  REQUIRE(recording.events.size() == 1);
  return {recording.events[0], std::get<StackEvent>(recording.events[0].body)};
}

}  // namespace

TEST_CASE("the recording keeps resolved frames byte for byte and never the capture", "[stacks][record]") {
  Stack stack = stack_of({native_frame("sym\x1b[2J\n\"q\" \xe2\x80\xae" "evil \xff", "/lib/\x01mod\xc0.so", 0x42),
                          python_frame("Q.\u202ename", "/srv/\xfe\"x\".py", 7), native_frame("", "")});
  stack.frames[2].pc = 0x7f00deadbeef;
  stack.frames[2].build_id.clear();
  stack.truncated = true;
  stack.incomplete = "gone \x1b]0;t\x07";
  StackEvent event{StackSite::fork, 123456789, {}, stack};
  event.capture.ip = 0xdead;
  event.capture.stack = {1, 2, 3};
  Event header{123456790, 3, {501, 500, 42}, {}};

  header.body = event;
  std::string line = recorded_line(header);
  INFO(line);
  CHECK(line.back() == '\n');
  CHECK(line.find('\n') == line.size() - 1);
  CHECK(line.find('\x1b') == std::string::npos);
  auto json = nlohmann::json::parse(line);
  CHECK(json["kind"] == "stack");
  CHECK(json["site"] == "fork");
  for (const char* key : {"capture", "ip", "python_walk"}) CHECK(!json.contains(key));
  CHECK(json["frames"][1]["symbol"] == "Q.\u202ename");  // valid UTF-8: a JSON string (the bidi control escaped)
  CHECK(json["frames"][0]["symbol"].is_object());        // not UTF-8: {"hex": ...}
  CHECK(json["frames"][0]["module"].is_object());

  auto [read_header, read] = read_stack_line(line);
  CHECK(read_header.ns == header.ns);
  CHECK(read_header.task == header.task);
  CHECK(read.site == StackSite::fork);
  CHECK(read.site_ns == 123456789);
  CHECK(read.capture.stack.empty());
  REQUIRE(read.stack.frames.size() == 3);
  for (size_t i = 0; i < 3; ++i) {
    const Frame &a = stack.frames[i], &b = read.stack.frames[i];
    INFO("frame " << i);
    CHECK(a.kind == b.kind);
    CHECK(a.pc == b.pc);
    CHECK(a.module == b.module);
    CHECK(a.build_id == b.build_id);
    CHECK(a.module_address == b.module_address);
    CHECK(a.symbol == b.symbol);
    CHECK(a.file == b.file);
    CHECK(a.line == b.line);
  }
  CHECK(read.stack.truncated);
  CHECK(read.stack.incomplete == stack.incomplete);

  auto broken = [&](const std::string& from, const std::string& to) {
    std::string edited = line;
    edited.replace(edited.find(from), from.size(), to);
    return edited;
  };
  CHECK_THROWS_WITH(read_stack_line(broken("\"site\":\"fork\"", "\"site\":\"clone\"")),
                    Catch::Contains("\"site\" is \"clone\", not one of wait, fork, exit_group"));
  CHECK_THROWS_WITH(read_stack_line(broken("\"kind\":\"python\"", "\"kind\":\"lua\"")),
                    Catch::Contains("\"frames[1].kind\" is \"lua\""));
  CHECK_THROWS_WITH(read_stack_line(broken("\"line\":7", "\"line\":-7")),
                    Catch::Contains("\"frames[1].line\" is out of range"));
}

TEST_CASE("a Python stack reads without the interpreter's C plumbing, its entry points kept", "[stacks][text]") {
  Stack stack = stack_of({native_frame("wait4", kLibc, 0xea3c0), native_frame("os_waitpid", kLibpython),
                          native_frame("cfunction_vectorcall_FASTCALL", kLibpython),
                          python_frame("Popen.poll", kMp + "popen_fork.py", 27),
                          native_frame("_PyEval_Vector", kLibpython), native_frame("helper", "/usr/lib/ext.so"),
                          python_frame("_exit_function", kMp + "util.py", 357),
                          native_frame("_PyObject_Call", kLibpython), native_frame("Py_FinalizeEx", kLibpython)});
  CHECK(stack_chain(stack, 16) ==
        "os_waitpid <- Popen.poll (popen_fork.py:27) <- helper <- _exit_function (util.py:357) <- Py_FinalizeEx");
  // Without Python frames nothing is plumbing: an embedding program's C frames all show.
  Stack native = stack_of({native_frame("os_waitpid", kLibpython), native_frame("_PyEval_Vector", kLibpython)});
  CHECK(stack_chain(native, 16) == "os_waitpid <- _PyEval_Vector");
}

TEST_CASE("GCC's clone suffixes and symbol versions are not part of a function's name as shown", "[stacks][text]") {
  CHECK(frame_text(native_frame("os_waitpid.lto_priv.0", kLibpython)) == "os_waitpid");
  CHECK(frame_text(native_frame("wait_for.isra.0.cold", "/bin/bash")) == "wait_for");
  CHECK(frame_text(native_frame("__libc_start_main@@GLIBC_2.34", kLibc)) == "__libc_start_main");
  CHECK(frame_text(python_frame("Popen.lto_priv.0", "/x.py", 3)) == "Popen.lto_priv.0 (x.py:3)");  // Python names are as written
}
