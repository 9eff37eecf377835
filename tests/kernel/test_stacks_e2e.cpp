// --stacks end to end: the real binary (`proclife run --stacks`) on C
// workloads with known call sites, built with and without frame pointers and
// stripped, and on CPython 3.11 programs; then `proclife report` on the
// recording, as an unprivileged user, naming what the recording lacks.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "harness.hpp"

using namespace proclife::ktest;

namespace {

// Debian's interpreter, never PATH's python3 (a pyenv shim on some hosts).
const std::string kPython = "/usr/bin/python3.11";
constexpr uint64_t kWnohang = 1;

std::string symbol_of(const Json& frame) {
  const auto& symbol = frame.at("symbol");
  return symbol.is_null() ? std::string() : symbol.get<std::string>();
}

std::vector<std::string> symbols(const Json& stack) {
  std::vector<std::string> names;
  for (const auto& frame : stack.at("frames")) names.push_back(symbol_of(frame));
  return names;
}

std::string shown(const Json& stack) {
  std::string text;
  for (const auto& frame : stack.at("frames"))
    text += "  " + frame.value("kind", std::string()) + " " + symbol_of(frame) + " " +
            (frame.at("file").is_null() ? std::string() : frame.at("file").get<std::string>()) + ":" +
            frame.at("line").dump() + " " + (frame.at("module").is_null() ? "" : frame.at("module").get<std::string>()) +
            "\n";
  if (!stack.at("incomplete").is_null()) text += "  incomplete: " + stack.at("incomplete").get<std::string>() + "\n";
  return text;
}

// Where `name` first is in the frames (innermost first), or -1.
long index_of(const Json& stack, const std::string& name) {
  auto names = symbols(stack);
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return static_cast<long>(i);
  return -1;
}

// `callee` called straight from `caller`: the two frames are adjacent.
void check_called_from(const Json& stack, const std::string& callee, const std::string& caller) {
  INFO("frames:\n" << shown(stack));
  long at = index_of(stack, callee);
  REQUIRE(at >= 0);
  CHECK(index_of(stack, caller) == at + 1);
}

bool ends_with(const std::string& text, const std::string& tail) {
  return text.size() >= tail.size() && text.compare(text.size() - tail.size(), tail.size(), tail) == 0;
}

// A Python frame named `qualname` whose file ends with `file`.
const Json* python_frame(const Json& stack, const std::string& qualname) {
  for (const auto& frame : stack.at("frames"))
    if (frame.at("kind") == "python" && symbol_of(frame) == qualname) return &frame;
  return nullptr;
}

// The process the workload started as (the first so named, in fork order)
// and the child it forked.
std::pair<Json, Json> parent_and_child(const Json& report, const std::string& comm) {
  INFO("report: " << report.dump(1));
  for (const auto& parent : report.at("processes")) {
    if (parent.at("comm") != comm) continue;
    for (const auto& process : report.at("processes"))
      if (process.at("parent_pid") == parent.at("pid")) return {parent, process};
    FAIL("no child of " << parent.at("pid") << " in the report");
  }
  FAIL("no process named " << comm << " in the report");
  return {};
}

// The parent's wait call that reaped `child`.
Json reaping_wait(const Json& parent, const Json& child) {
  INFO("waits: " << parent.at("waits").dump(1));
  for (const auto& call : parent.at("waits").at("stacks"))
    if (call.at("reaped_pid") == child.at("pid")) return call;
  FAIL("no wait stack reaped " << child.at("pid"));
  return {};
}

// `fn@0x<address>`, the name a stripped function gets from its .eh_frame
// entry, at the address nm gives `function` in the unstripped build.
std::string stripped_name(const std::string& unstripped, const std::string& function) {
  std::string output;
  REQUIRE(run_capture({"nm", unstripped}, output) == 0);
  std::istringstream lines(output);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::string address, type, name;
    if (fields >> address >> type >> name && name == function) {
      std::ostringstream text;
      text << "fn@0x" << std::hex << std::stoull(address, nullptr, 16);
      return text.str();
    }
  }
  FAIL("nm finds no " << function << " in " << unstripped);
  return {};
}

struct Sites {
  std::string fork_site = "fork_site", wait_site = "wait_site", main = "main";
};

// The three stacks of stack_sites as `proclife run --stacks` reports them.
void check_sites(const std::string& binary, const Sites& names) {
  auto traced = trace({workload(binary)}, {"--stacks"});
  INFO("proclife stderr:\n" << traced.stderr_text);
  REQUIRE(traced.status == 0);
  auto [parent, child] = parent_and_child(traced.report, binary);

  {  // the child's fork_stack: the fork site, called from main
    check_called_from(child.at("fork_stack"), names.fork_site, names.main);
    for (const auto& frame : child.at("fork_stack").at("frames"))
      if (symbol_of(frame) == names.fork_site) CHECK(ends_with(frame.at("module").get<std::string>(), "/" + binary));
  }
  {  // the reaping wait: the wait site, called from main, blocking
    Json call = reaping_wait(parent, child);
    CHECK((call.at("options").get<uint64_t>() & kWnohang) == 0);
    check_called_from(call.at("stack"), names.wait_site, names.main);
  }
  {  // the child's exit_group: made in libc, from the fork site, with main below
    const Json& stack = child.at("exit").at("stack");
    INFO("frames:\n" << shown(stack));
    REQUIRE_FALSE(stack.at("frames").empty());
    const auto& innermost = stack.at("frames").front();
    CHECK(innermost.at("kind") == "native");
    CHECK(innermost.at("module").get<std::string>().find("libc") != std::string::npos);
    check_called_from(stack, names.fork_site, names.main);
  }
}

std::vector<Json> read_lines(const std::string& path) {
  std::vector<Json> lines;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) lines.push_back(Json::parse(line));
  return lines;
}

void write_lines(const std::string& path, const std::vector<Json>& lines) {
  std::ofstream out(path, std::ios::trunc);
  for (const auto& line : lines) out << line.dump() << '\n';
  REQUIRE(out.good());
}

// `proclife report RECORDING --format json` as nobody: no root, no capability.
Json report_unprivileged(const std::string& recording) {
  REQUIRE(chmod(recording.c_str(), 0644) == 0);
  // A directory of nobody's own for the report: /tmp's sticky bit (with
  // fs.protected_regular) keeps nobody from opening a root-owned file there.
  char dir[] = "/tmp/proclife-ktest-nobody-XXXXXX";
  REQUIRE(mkdtemp(dir) != nullptr);
  REQUIRE(chmod(dir, 0777) == 0);
  std::string out = std::string(dir) + "/report.json";
  std::string messages;
  int status = run_capture({"setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", PROCLIFE_BIN, "report",
                            recording, "--format", "json", "-o", out},
                           messages);
  INFO("report as nobody:\n" << messages);
  REQUIRE(status == 0);
  std::string text = slurp(out);
  unlink(out.c_str());
  rmdir(dir);
  return Json::parse(text);
}

// Every stack in a report, keyed by where it is, as frame symbols.
std::map<std::string, std::vector<std::string>> all_stacks(const Json& report) {
  std::map<std::string, std::vector<std::string>> stacks;
  for (const auto& process : report.at("processes")) {
    std::string pid = process.at("pid").dump();
    if (!process.at("fork_stack").is_null()) stacks["fork " + pid] = symbols(process.at("fork_stack"));
    if (!process.at("exit").is_null() && !process.at("exit").at("stack").is_null())
      stacks["exit " + pid] = symbols(process.at("exit").at("stack"));
    for (const auto& call : process.at("waits").at("stacks"))
      stacks["wait " + pid + " at " + call.at("enter_ns").dump()] = symbols(call.at("stack"));
  }
  return stacks;
}

}  // namespace

TEST_CASE("stacks end to end: a C program built with frame pointers", "[vm][stacks]") {
  check_sites("sites_fp", {});
}

TEST_CASE("stacks end to end: a C program built without frame pointers", "[vm][stacks]") {
  check_sites("sites_nofp", {});
}

TEST_CASE("stacks end to end: a stripped C program, named from .eh_frame", "[vm][stacks]") {
  std::string unstripped = workload("sites_nofp");
  Sites names{stripped_name(unstripped, "fork_site"), stripped_name(unstripped, "wait_site"),
              stripped_name(unstripped, "main")};
  check_sites("sites_stripped", names);
}

// Host only: the window (30 ms, under the 50 ms poll) is the test, and an
// emulated guest is slower.
TEST_CASE("stacks end to end: a process's stacks are resolved although it exec'd 30 ms later", "[stacks]") {
  auto traced = trace({workload("sites_fp"), "30", "/bin/true"}, {"--stacks"});
  INFO("proclife stderr:\n" << traced.stderr_text);
  REQUIRE(traced.status == 0);
  auto [parent, child] = parent_and_child(traced.report, "true");
  check_called_from(child.at("fork_stack"), "fork_site", "main");
  check_called_from(reaping_wait(parent, child).at("stack"), "wait_site", "main");
}

TEST_CASE("stacks end to end: multiprocessing's exit handler joins its worker", "[stacks]") {
  auto traced = trace({kPython, std::string(PROCLIFE_SOURCE_DIR) + "/examples/multiprocessing_lifetime.py"},
                      {"--stacks"});
  INFO("proclife stderr:\n" << traced.stderr_text);
  REQUIRE(traced.status == 0);
  auto [parent, worker] = parent_and_child(traced.report, "python3.11");

  {  // the reaping wait: Popen.poll/wait, BaseProcess.join, _exit_function
    Json call = reaping_wait(parent, worker);
    const Json& stack = call.at("stack");
    INFO("frames:\n" << shown(stack));
    CHECK((call.at("options").get<uint64_t>() & kWnohang) == 0);
    const Json* join = python_frame(stack, "BaseProcess.join");
    const Json* handler = python_frame(stack, "_exit_function");
    REQUIRE(join);
    REQUIRE(handler);
    CHECK(ends_with(join->at("file").get<std::string>(), "/multiprocessing/process.py"));
    CHECK(join->at("line").get<uint64_t>() > 0);
    CHECK(ends_with(handler->at("file").get<std::string>(), "/multiprocessing/util.py"));
    long popen = std::max(index_of(stack, "Popen.poll"), index_of(stack, "Popen.wait"));
    REQUIRE(popen >= 0);
    CHECK(popen < index_of(stack, "BaseProcess.join"));
    CHECK(index_of(stack, "BaseProcess.join") < index_of(stack, "_exit_function"));
  }
  {  // WNOHANG polls from _cleanup or active_children
    size_t polls = 0;
    for (const auto& call : parent.at("waits").at("stacks")) {
      if ((call.at("options").get<uint64_t>() & kWnohang) == 0) continue;
      INFO("frames:\n" << shown(call.at("stack")));
      CHECK((python_frame(call.at("stack"), "_cleanup") || python_frame(call.at("stack"), "active_children")));
      ++polls;
    }
    CHECK(polls > 0);
  }
}

TEST_CASE("stacks end to end: --explain says where multiprocessing joined its worker", "[stacks]") {
  require_root();
  std::string output;
  int status = run_capture({PROCLIFE_BIN, "run", "--explain", "--stacks", "--", kPython,
                            std::string(PROCLIFE_SOURCE_DIR) + "/examples/multiprocessing_lifetime.py"},
                           output);
  INFO(output);
  CHECK(status == 0);
  CHECK(output.find("called from") != std::string::npos);
  CHECK(output.find("BaseProcess.join (process.py:") != std::string::npos);
}

TEST_CASE("stacks end to end: a Python thread's wait has that thread's frames", "[vm][stacks]") {
  auto traced = trace({kPython, std::string(PROCLIFE_SOURCE_DIR) + "/tests/workloads/thread_wait.py"}, {"--stacks"});
  INFO("proclife stderr:\n" << traced.stderr_text);
  REQUIRE(traced.status == 0);
  auto [parent, child] = parent_and_child(traced.report, "python3.11");
  Json call = reaping_wait(parent, child);
  const Json& stack = call.at("stack");
  INFO("frames:\n" << shown(stack));
  CHECK(call.at("tid") != parent.at("pid"));  // not the main thread
  const Json* function = python_frame(stack, "fork_and_wait");
  REQUIRE(function);
  CHECK(ends_with(function->at("file").get<std::string>(), "/thread_wait.py"));
  CHECK(index_of(stack, "fork_and_wait") < index_of(stack, "Thread.run"));
  // The main thread meanwhile is in thread.join() at module level.
  CHECK_FALSE(python_frame(stack, "<module>"));
  CHECK_FALSE(python_frame(stack, "Thread.join"));
}

TEST_CASE("stacks end to end: report names frames again without root", "[stacks]") {
  std::string recording = temp_path("stacks-recording");
  auto traced = trace({workload("sites_fp")}, {"--stacks", "--record", recording});
  INFO("proclife stderr:\n" << traced.stderr_text);
  REQUIRE(traced.status == 0);
  auto live = all_stacks(traced.report);
  REQUIRE(live.size() >= 3);  // the fork, the reaping wait, the exits

  {  // the same symbols as the live trace
    CHECK(all_stacks(report_unprivileged(recording)) == live);
  }
  {  // a blanked name comes back; none for a missing file or another build
    // In the recording: wait_site loses its name (the file is there: named
    // again); fork_site its name, and its build-id is not its file's; main in
    // the child's exit stack its name, and its file is gone.
    size_t blanked = 0;
    auto lines = read_lines(recording);
    for (auto& line : lines) {
      if (line.value("kind", std::string()) != "stack") continue;
      for (auto& frame : line.at("frames")) {
        std::string symbol = frame.at("symbol");
        bool wait = symbol == "wait_site", fork = symbol == "fork_site";
        bool main_at_exit = symbol == "main" && line.at("site") == "exit_group";
        if (!wait && !fork && !main_at_exit) continue;
        frame["symbol"] = "";
        frame["file"] = "";
        frame["line"] = 0;
        if (fork) frame["build_id"] = std::string(40, '0');
        if (main_at_exit) {
          // Gone, and no file here has its build-id. (With the build-id of a
          // file found for another frame, it would be named: rightly.)
          frame["module"] = "/nonexistent/sites_fp";
          frame["build_id"] = std::string(40, 'f');
        }
        ++blanked;
      }
    }
    REQUIRE(blanked >= 4);  // wait_site once, fork_site at the fork and the child's exit, main at that exit
    write_lines(recording, lines);
    auto [parent, child] = parent_and_child(report_unprivileged(recording), "sites_fp");

    Json wait_stack = reaping_wait(parent, child).at("stack");
    INFO("wait frames:\n" << shown(wait_stack));
    long at = index_of(wait_stack, "wait_site");
    REQUIRE(at >= 0);
    const auto& named = wait_stack.at("frames").at(at);
    CHECK(ends_with(named.at("file").get<std::string>(), "stack_sites.c"));
    CHECK(named.at("line").get<uint64_t>() > 0);

    const Json& fork_stack = child.at("fork_stack");
    INFO("fork frames:\n" << shown(fork_stack));
    CHECK(index_of(fork_stack, "fork_site") == -1);
    CHECK(index_of(fork_stack, "") >= 0);  // the frame is there, unnamed
    CHECK(index_of(fork_stack, "main") >= 0);

    const Json& exit_stack = child.at("exit").at("stack");
    INFO("exit frames:\n" << shown(exit_stack));
    CHECK(index_of(exit_stack, "main") == -1);
    CHECK(index_of(exit_stack, "fork_site") == -1);
  }
  unlink(recording.c_str());
}
