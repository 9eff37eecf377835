// The renderers against golden files, the JSON report's contract, and
// hostile process names.
//
// Golden files live in tests/golden/ (PROCLIFE_GOLDEN_DIR). When a renderer
// changes on purpose, regenerate them deliberately and review the diff:
//
//   PROCLIFE_UPDATE_GOLDEN=1 ./build/tests/proclife_unit_tests '[golden]'
//   git diff tests/golden/
//
// With PROCLIFE_UPDATE_GOLDEN=1 the golden tests write the files instead of
// comparing against them; without it a missing golden file is a failure.
#include <catch2/catch.hpp>

#include <algorithm>
#include <regex>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "escape.hpp"
#include "explain.hpp"
#include "render_common.hpp"
#include "report.hpp"
#include "verdict.hpp"
#include "scenario.hpp"

using namespace proclife;
using namespace proclife::test;
using Json = nlohmann::json;

namespace {

bool updating_golden() {
  const char* update = std::getenv("PROCLIFE_UPDATE_GOLDEN");
  return update && std::string(update) == "1";
}

void check_golden(const std::string& name, const std::string& actual) {
  const std::string path = std::string(PROCLIFE_GOLDEN_DIR) + "/" + name;
  if (updating_golden()) {
    std::ofstream out(path, std::ios::binary);
    out << actual;
    REQUIRE(out.good());
    WARN("updated golden file " << path);
    return;
  }
  std::ifstream in(path, std::ios::binary);
  INFO("golden file " << path << " (regenerate with PROCLIFE_UPDATE_GOLDEN=1)");
  REQUIRE(in.good());
  std::stringstream expected;
  expected << in.rdbuf();
  CHECK(actual == expected.str());
}

// The example from the README: `proclife run -- sh -c 'sleep 0.1; exit 3'`.
// sh forks sleep, sleep exits 0, SIGCHLD runs sh's handler, sh reaps sleep
// with wait4, sh exits 3 and proclife reaps it.
struct ShSleep {
  Proc sh{0, 0};
  Proc sleep{0, 0};
  Scenario s;

  ShSleep() {
    sh = s.root(4242);
    s.exec(sh, "/bin/sh", {"sh", "-c", "sleep 0.1; exit 3"}, 50);
    sleep = s.fork(sh, 4243, 200, "sh");
    s.exec(sleep, "/usr/bin/sleep", {"sleep", "0.1"}, 400);
    s.exit(sleep, exited(0), 100'400, sh);
    s.last<ExitEvent>().comm = "sleep";
    s.sigchld(sleep, sh, 0, 100'410);
    s.deliver_sigchld(sh, 0x55d0c0de1234, 100'450, kernel::kSaRestart);
    s.wait4(sh, -1, 0, 4243, exited(0), 100'460, 100'470);
    s.exit(sh, exited(3), 100'600, Proc{kObserver, 0});
    s.last<ExitEvent>().comm = "sh";
    s.observer_reaps(sh, 300, 100'650);
  }

  Graph graph() const { return s.graph(101'000); }
  static ReportContext context() { return {{"sh", "-c", "sleep 0.1; exit 3"}}; }
};

std::string text_report(const Graph& graph, const ReportContext& context) {
  std::ostringstream out;
  write_text_report(graph, context, out);
  return out.str();
}

std::string json_text(const Graph& graph, const ReportContext& context) {
  std::ostringstream out;
  write_json_report(graph, context, out);
  return out.str();
}

std::string explain_report(const Graph& graph, const ReportContext& context) {
  std::ostringstream out;
  write_explain_report(graph, context, out);
  return out.str();
}

// A tree with one of each ending: reaped, killed, orphaned, zombie, running.
// Every name the processes choose is `name`.
struct EveryEnding {
  Scenario s;
  Proc sh = s.root(10);
  Proc sleep{11, 0}, killer{12, 0}, victim{13, 0}, mid{14, 0}, leaf{15, 0}, zombie{16, 0}, daemon{17, 0};

  explicit EveryEnding(const std::string& name) {
    s.exec(sh, "/bin/" + name, {"sh", "-c", name}, 10);
    sleep = s.fork(sh, 11, 100, name);
    s.exec(sleep, "/usr/bin/sleep", {"sleep", name, "--opt=" + name}, 110);
    s.exit(sleep, exited(0), 1000, sh);
    s.last<ExitEvent>().comm = name;
    s.sigchld(sleep, sh, 0, 1001);
    s.deliver_sigchld(sh, 0x401000, 1010, kernel::kSaRestart);
    s.wait4(sh, -1, 0, 11, exited(0), 1020, 1030);

    killer = s.fork(sh, 12, 200, name);
    victim = s.fork(sh, 13, 210, name);
    s.signal(killer, victim, 9, 1100, name);
    s.exit(victim, killed(9), 1110, sh);
    s.wait4(sh, 13, kernel::kWnohang, 0, 0, 1105, 1106);
    s.wait4(sh, 13, 0, 13, killed(9), 1107, 1120);

    mid = s.fork(sh, 14, 300, name);
    leaf = s.fork(mid, 15, 310, name);
    s.exit(mid, exited(0), 1200, sh);
    s.wait4(sh, 14, 0, 14, exited(0), 1190, 1210);

    zombie = s.fork(sh, 16, 400, name);
    s.exit(zombie, exited(1), 1300, sh);
    daemon = s.fork(sh, 17, 500, name);
  }

  Graph graph() const { return s.graph(5000); }
  ReportContext context(const std::string& name) const { return {{"sh", "-c", name}}; }
};

const Json& process_json(const Json& report, uint32_t pid) {
  const Json& processes = report.at("processes");
  auto found = std::find_if(processes.begin(), processes.end(), [&](const Json& p) { return p.at("pid") == pid; });
  INFO("pid " << pid);
  REQUIRE(found != processes.end());
  return *found;
}

bool is_number_or_null(const Json& value) { return value.is_null() || value.is_number_integer(); }

}  // namespace

TEST_CASE("the text report of sh running sleep matches its golden file", "[reports][golden]") {
  ShSleep example;
  check_golden("sh_sleep.txt", text_report(example.graph(), ShSleep::context()));
}

TEST_CASE("the JSON report of sh running sleep matches its golden file", "[reports][golden]") {
  ShSleep example;
  check_golden("sh_sleep.json", json_text(example.graph(), ShSleep::context()));
}

TEST_CASE("the explain report of sh running sleep matches its golden file", "[reports][golden]") {
  ShSleep example;
  check_golden("sh_sleep.explain.txt", explain_report(example.graph(), ShSleep::context()));
}

TEST_CASE("the JSON report has the documented top-level keys", "[reports][json]") {
  ShSleep example;
  Graph graph = example.graph();
  graph.set_lost_events(5);
  Json report = Json::parse(json_text(graph, ShSleep::context()));

  REQUIRE(report.is_object());
  CHECK(report.at("schema_version") == 1);
  CHECK(report.at("command") == Json{"sh", "-c", "sleep 0.1; exit 3"});
  CHECK(report.at("lost_events") == 5);
  REQUIRE(report.at("processes").is_array());
  CHECK(report.at("processes").size() == graph.processes().size());
}

TEST_CASE("every process in the JSON report has the documented keys and types", "[reports][json]") {
  EveryEnding tree("name");
  Graph graph = tree.graph();
  Json report = Json::parse(json_text(graph, tree.context("name")));
  REQUIRE(report.at("processes").size() == 8);

  for (const auto& p : report.at("processes")) {
    INFO(p.dump());
    CHECK(p.at("pid").is_number_integer());
    CHECK(p.at("start_ns").is_number_integer());
    CHECK(is_number_or_null(p.at("parent_pid")));
    CHECK(p.at("comm").is_string());
    CHECK(p.at("argv").is_array());
    CHECK(is_number_or_null(p.at("fork_ns")));
    REQUIRE(p.at("execs").is_array());
    for (const auto& exec : p.at("execs")) {
      CHECK(exec.at("ns").is_number_integer());
      CHECK(exec.at("filename").is_string());
      CHECK(exec.at("argv").is_array());
    }
    const Json& exit = p.at("exit");
    if (!exit.is_null()) {
      CHECK(exit.at("ns").is_number_integer());
      CHECK(exit.at("code").is_number_integer());
      CHECK(is_number_or_null(exit.at("signal")));
      CHECK(exit.at("core_dumped").is_boolean());
    }
    CHECK(is_number_or_null(p.at("reaper_pid")));
    CHECK(is_number_or_null(p.at("reap_ns")));
    CHECK(is_number_or_null(p.at("zombie_ns")));
    CHECK((p.at("state_at_end") == "reaped" || p.at("state_at_end") == "zombie" || p.at("state_at_end") == "running"));
    CHECK(p.at("threads").is_number_integer());
    CHECK((p.at("sigchld").is_null() || p.at("sigchld").is_object()));
    CHECK((p.at("reaped_via").is_null() || p.at("reaped_via").is_string()));
    const Json& waits = p.at("waits");
    CHECK(waits.at("calls").is_number_integer());
    CHECK(waits.at("wnohang_polls").is_number_integer());
    CHECK(waits.at("blocked_ns").is_number_integer());
    CHECK((p.at("orphaned").is_null() || p.at("orphaned").is_object()));
  }
}

TEST_CASE("the JSON report's values match the graph", "[reports][json]") {
  EveryEnding tree("name");
  Json report = Json::parse(json_text(tree.graph(), tree.context("name")));

  const Json& sh = process_json(report, 10);
  CHECK(sh.at("start_ns") == 0);  // relative to the trace start
  CHECK(sh.at("parent_pid") == kObserver);
  CHECK(sh.at("comm") == "name");
  CHECK(sh.at("argv") == Json{"sh", "-c", "name"});
  CHECK(sh.at("waits").at("calls") == 4);
  CHECK(sh.at("waits").at("wnohang_polls") == 1);
  CHECK(sh.at("waits").at("blocked_ns") == 10'000 + 13'000 + 20'000);
  CHECK(sh.at("exit").is_null());
  CHECK(sh.at("state_at_end") == "running");

  const Json& sleep = process_json(report, 11);
  CHECK(sleep.at("start_ns") == 100'000);
  CHECK(sleep.at("fork_ns") == 100'000);
  CHECK(sleep.at("parent_pid") == 10);
  CHECK(sleep.at("argv") == Json{"sleep", "name", "--opt=name"});
  REQUIRE(sleep.at("execs").size() == 1);
  CHECK(sleep.at("execs")[0].at("ns") == 110'000);
  CHECK(sleep.at("execs")[0].at("filename") == "/usr/bin/sleep");
  CHECK(sleep.at("exit").at("ns") == 1'000'000);
  CHECK(sleep.at("exit").at("code") == 0);
  CHECK(sleep.at("exit").at("signal").is_null());
  CHECK(sleep.at("exit").at("core_dumped") == false);
  CHECK(sleep.at("reaper_pid") == 10);
  CHECK(sleep.at("reap_ns") == 1'030'000);
  CHECK(sleep.at("zombie_ns") == 29'000);  // from SIGCHLD (exit_notify), not the exit event
  CHECK(sleep.at("reaped_via") == "wait4");
  CHECK(sleep.at("state_at_end") == "reaped");
  CHECK(sleep.at("threads") == 1);
  CHECK(sleep.at("sigchld").at("result") == "delivered");
  CHECK(sleep.at("sigchld").at("delivered_ns") == 1'010'000);
  CHECK(sleep.at("orphaned").is_null());

  const Json& victim = process_json(report, 13);
  CHECK(victim.at("exit").at("signal") == 9);
  CHECK(victim.at("exit").at("code") == 0);

  const Json& leaf = process_json(report, 15);
  CHECK(leaf.at("orphaned").at("old_parent_pid") == 14);
  CHECK(leaf.at("orphaned").at("new_parent_pid") == 1);
  CHECK(leaf.at("orphaned").at("ns") == 1'200'000);

  const Json& zombie = process_json(report, 16);
  CHECK(zombie.at("state_at_end") == "zombie");
  CHECK(zombie.at("exit").at("code") == 1);
  CHECK(zombie.at("reaper_pid").is_null());
  CHECK(zombie.at("reap_ns").is_null());
  CHECK(zombie.at("zombie_ns").is_null());
  CHECK(zombie.at("reaped_via").is_null());

  const Json& daemon = process_json(report, 17);
  CHECK(daemon.at("exit").is_null());
  CHECK(daemon.at("state_at_end") == "running");
}

TEST_CASE("the JSON report of the run root names proclife as its reaper", "[reports][json]") {
  ShSleep example;
  Json report = Json::parse(json_text(example.graph(), ShSleep::context()));
  const Json& sh = process_json(report, 4242);
  CHECK(sh.at("reaper_pid") == kObserver);
  CHECK(sh.at("reaped_via") == "waitid");
  CHECK(sh.at("exit").at("code") == 3);
  CHECK(sh.at("zombie_ns") == 50'000);
  CHECK(sh.at("waits").at("calls") == 1);
  CHECK(sh.at("waits").at("blocked_ns") == 10'000);
}

TEST_CASE("hostile names leave no escape sequence and no extra line in text and explain reports", "[reports][hostile]") {
  // ESC [2J clears the screen; the newline would forge a line of the report;
  // C2 9B is CSI on terminals that honour C1; the rest is not UTF-8.
  const std::string evil = "ev\x1b[2Jil\nFAKE \"dq\" 'sq' back\\slash \xff\xc0\xaf \xc2\x9b" "31m end";
  EveryEnding hostile(evil);
  EveryEnding benign("benign");

  auto check_safe = [](const std::string& report, const std::string& benign_report) {
    CHECK(report.find('\x1b') == std::string::npos);
    CHECK(report.find("\xc2\x9b") == std::string::npos);
    CHECK(is_valid_utf8(report));
    // Every newline is one the renderer wrote: as many lines as with benign names.
    CHECK(std::count(report.begin(), report.end(), '\n') ==
          std::count(benign_report.begin(), benign_report.end(), '\n'));
    std::istringstream lines(report);
    for (std::string line; std::getline(lines, line);) CHECK(line.rfind("FAKE", 0) == std::string::npos);
  };

  SECTION("text") {
    std::string report = text_report(hostile.graph(), hostile.context(evil));
    INFO(report);
    check_safe(report, text_report(benign.graph(), benign.context("benign")));
    CHECK(report.find("\\e[2J") != std::string::npos);  // escaped, still readable
  }
  SECTION("explain") {
    std::string report = explain_report(hostile.graph(), hostile.context(evil));
    INFO(report);
    check_safe(report, explain_report(benign.graph(), benign.context("benign")));
    CHECK(report.find("\\e[2J") != std::string::npos);
  }
}

TEST_CASE("hostile names keep the JSON report valid", "[reports][hostile]") {
  const std::string evil = "ev\x1b[2Jil\nFAKE \"dq\" 'sq' back\\slash \xff\xc0\xaf \xc2\x9b" "31m end";
  EveryEnding hostile(evil);
  std::string text = json_text(hostile.graph(), hostile.context(evil));

  Json report;
  REQUIRE_NOTHROW(report = Json::parse(text));
  CHECK(report.at("processes").size() == 8);
  for (const auto& p : report.at("processes")) CHECK(is_valid_utf8(p.at("comm").get<std::string>()));
}

TEST_CASE("hostile but valid UTF-8 names round-trip through the JSON report exactly", "[reports][hostile]") {
  // JSON escapes control characters itself: nothing is lost when the bytes are UTF-8.
  const std::string evil = "ev\x1b[2Jil\nFAKE \"dq\" back\\slash \xc2\x9b" "31m é";
  EveryEnding hostile(evil);
  Json report = Json::parse(json_text(hostile.graph(), hostile.context(evil)));

  CHECK(report.at("command") == Json{"sh", "-c", evil});
  // A task name holds 15 bytes, as in the kernel: these still carry the escape, newline and quote.
  CHECK(process_json(report, 11).at("comm") == evil.substr(0, Comm::kMaxLen));
  CHECK(process_json(report, 11).at("argv") == Json{"sleep", evil, "--opt=" + evil});
}

TEST_CASE("the text report stays valid UTF-8 when it shortens a long argv", "[reports][hostile]") {
  // The argv column is cut to a fixed width: the cut must not split a character.
  Scenario s;
  Proc sh = s.root(10);
  std::string accents;
  for (int i = 0; i < 100; ++i) accents += "é";  // a cut counted in bytes would split an é
  s.exec(sh, "/bin/echo", {"echo", accents}, 10);
  std::string report = text_report(s.graph(100), {{"echo"}});
  INFO(report);
  CHECK(report.find("…`") != std::string::npos);  // it was shortened, marked as such
  CHECK(is_valid_utf8(report));
}

TEST_CASE("explain does not report a negative delay when a WNOHANG wait entered just before the exit", "[reports]") {
  // On two CPUs, wait4(WNOHANG) can enter before the child's exit event and
  // still find the zombie: the wait's enter time precedes the exit.
  Scenario s;
  Proc sh = s.root(10);
  s.exec(sh, "/bin/sh", {"sh"}, 10);
  Proc child = s.fork(sh, 11, 100, "child");
  s.exit(child, exited(0), 500, sh);
  s.wait4(sh, -1, kernel::kWnohang, 11, exited(0), 499, 501);
  std::string report = explain_report(s.graph(1000), {{"sh"}});
  INFO(report);
  // 2^64 ns is 18446744073.7 s: an unsigned underflow in a duration.
  CHECK(report.find("18446744073") == std::string::npos);
}

TEST_CASE("explain says when a reaping wait's start was not seen, rather than guess before or after", "[reports]") {
  // Attached while sh was already blocked in wait4, or its wait_enter lost.
  Scenario s;
  Proc sh = s.root(10);
  s.exec(sh, "/bin/sh", {"sh"}, 10);
  Proc child = s.fork(sh, 11, 100, "child");
  s.exit(child, exited(0), 500, sh);
  s.wait4(sh, -1, 0, 11, exited(0), 200, 600);
  std::erase_if(s.events, [](const Event& e) { return std::holds_alternative<WaitEnterEvent>(e.body); });
  Graph graph = s.graph(1000);
  const Process& reaped = *graph.find(child.key());
  REQUIRE(reaped.reap);
  CHECK_FALSE(reaped.reap->wait_enter_ns);
  CHECK(graph.find(sh.key())->rare().waits.calls == 1);
  CHECK(graph.find(sh.key())->rare().waits.blocked_ns == 0);
  std::string report = explain_report(graph, {{"sh"}});
  INFO(report);
  CHECK(report.find("sh (10) reaped it with wait4(-1, 0) (when that call began was not seen); a zombie for 100.0 µs") !=
        std::string::npos);
  CHECK(report.find("came back") == std::string::npos);
  CHECK(report.find("already blocked") == std::string::npos);
}

TEST_CASE("a wait return pairs with its own thread's open wait, not another thread's", "[reports]") {
  Scenario s;
  Proc sh = s.root(10);
  Proc worker = sh.thread(12);
  Proc child = s.fork(sh, 11, 100, "child");
  s.wait_enter(worker, 0, 150);  // still waiting at the end
  s.exit(child, exited(0), 500, sh);
  s.wait4(sh, -1, 0, 11, exited(0), 300, 600);
  Graph graph = s.graph(1000);
  REQUIRE(graph.find(child.key())->reap);
  CHECK(graph.find(child.key())->reap->wait_enter_ns == at_us(300));
  const auto& open_waits = graph.find(sh.key())->rare().open_waits;
  REQUIRE(open_waits.size() == 1);
  CHECK(open_waits[0].tid == 12);
  CHECK(open_waits[0].since_ns == at_us(150));
}

namespace {

// Every "<number> <unit>" duration in a report, in ns.
std::vector<double> durations_in(const std::string& report) {
  static const std::regex duration("(-?[0-9]+(\\.[0-9]+)?) (ns|µs|ms|s)\\b");
  std::vector<double> out;
  for (auto it = std::sregex_iterator(report.begin(), report.end(), duration); it != std::sregex_iterator(); ++it) {
    double value = std::stod((*it)[1]);
    std::string unit = (*it)[3];
    out.push_back(value * (unit == "ns" ? 1 : unit == "µs" ? 1e3 : unit == "ms" ? 1e6 : 1e9));
  }
  return out;
}

using ReportWriter = void (*)(const Graph&, const ReportContext&, std::ostream&);

std::string render_with(ReportWriter writer, const Graph& graph) {
  std::ostringstream out;
  writer(graph, {{"sh"}}, out);
  return out.str();
}

constexpr std::pair<const char*, ReportWriter> kHumanFormats[] = {
    {"text", write_text_report}, {"explain", write_explain_report}, {"dot", write_dot_report}, {"svg", write_svg_report}};

// ShSleep with every exit event dropped: the reaps are seen, the exits not.
Scenario without_exits(Scenario s) {
  std::erase_if(s.events, [](const Event& e) { return std::holds_alternative<ExitEvent>(e.body); });
  return s;
}

}  // namespace

TEST_CASE("a reap whose exit was lost: no garbage duration, every format says reaped, exit not seen", "[reports][lost]") {
  ShSleep sh_sleep;
  Graph graph = without_exits(sh_sleep.s).graph(101'000);
  const Process& sleep = *graph.find(sh_sleep.sleep.key());
  REQUIRE(sleep.reap);
  REQUIRE_FALSE(sleep.exit);
  CHECK_FALSE(sleep.zombie_ns());
  uint64_t length = trace_window(graph).length();
  for (auto [name, writer] : kHumanFormats) {
    // Twice: a value read from uninitialised memory would differ between runs.
    std::string report = render_with(writer, graph);
    INFO(name << ":\n" << report);
    CHECK(report == render_with(writer, graph));
    CHECK(report.find("exit not seen") != std::string::npos);
    CHECK(report.find("still running") == std::string::npos);
    CHECK(report.find("(leaked)") == std::string::npos);  // explain
    CHECK(report.find("LEAKED:") == std::string::npos);   // text
    CHECK(report.find("[LEAKED") == std::string::npos);   // text
    CHECK(report.find("\\nLEAKED") == std::string::npos);  // dot
    CHECK(report.find("> LEAKED<") == std::string::npos);  // svg
    for (double ns : durations_in(report)) {
      CHECK(ns >= 0);
      CHECK(ns <= static_cast<double>(length));
    }
  }
  Json json = Json::parse(json_text(graph, ShSleep::context()));
  CHECK(process_json(json, 4243).at("state_at_end") == "reaped");
  CHECK(process_json(json, 4243).at("zombie_ns").is_null());
  CHECK_FALSE(leaked(graph, sleep, cmd_end_ns(graph)));
}

TEST_CASE("no format prints a duration longer than the trace or negative from an inconsistent stream", "[reports][lost]") {
  // Exit before fork, reap before exit, SIGCHLD delivered before it was
  // generated, a wait that returned before it entered.
  Scenario s;
  Proc sh = s.root(10);
  s.exec(sh, "/bin/sh", {"sh"}, 10);
  Proc early = s.fork(sh, 11, 500, "early");
  s.exit(early, exited(0), 200, sh);
  s.sigchld(early, sh, 0, 900);
  s.deliver_sigchld(sh, 0x401000, 100);
  s.wait4(sh, -1, 0, 11, exited(0), 950, 150);
  Proc backwards = s.fork(sh, 12, 600, "backwards");
  s.exit(backwards, exited(0), 800, sh);
  s.wait4(sh, -1, 0, 12, exited(0), 700, 700);
  Proc zombie = s.fork(sh, 13, 900, "zombie");
  s.exit(zombie, exited(0), 400, sh);
  Graph graph = s.graph(1000);
  uint64_t length = trace_window(graph).length();
  REQUIRE(length == 1'000'000);
  for (auto [name, writer] : kHumanFormats) {
    std::string report = render_with(writer, graph);
    INFO(name << ":\n" << report);
    CHECK(report.find("18446744073") == std::string::npos);
    for (double ns : durations_in(report)) {
      CHECK(ns >= 0);
      CHECK(ns <= static_cast<double>(length));
    }
  }
}

TEST_CASE("the one duration formatter never prints a wrapped difference", "[reports][lost]") {
  CHECK(format_duration(uint64_t{51'700}) == "51.7 µs");
  CHECK(format_duration(uint64_t{0} - 5) == "an unknown time");
  CHECK(format_duration(std::optional<uint64_t>()) == "an unknown time");
  CHECK(elapsed(10, 5) == std::nullopt);
  CHECK(elapsed(5, 10) == 5u);
}

TEST_CASE("flags and the reap sentence come from one place in every format", "[reports][verdict]") {
  EveryEnding every("x");
  Graph graph = every.graph();
  uint64_t cmd_end = cmd_end_ns(graph);
  TraceWindow window = trace_window(graph);
  std::string text = render_with(write_text_report, graph);
  std::string dot = render_with(write_dot_report, graph);
  std::string svg = render_with(write_svg_report, graph);
  std::string explain = render_with(write_explain_report, graph);
  INFO(text);
  for (const auto& process : graph.processes()) {
    INFO("pid " << process.key.pid);
    std::string flags = flag_words(verdict(graph, process, cmd_end));
    if (!flags.empty()) {
      CHECK(text.find(describe_process(process) + " [" + flags + "]") != std::string::npos);
      CHECK(dot.find("\\n" + flags + "\"") != std::string::npos);
    }
    for (auto word : flag_names(verdict(graph, process, cmd_end)))
      CHECK(svg.find("<tspan class=\"" + std::string(word) + "\">") != std::string::npos);
    std::string sentence = reap_sentence(graph, process, window);
    CHECK(text.find(sentence) != std::string::npos);
    if (process.exit || process.reap) CHECK(dot.find(sentence) != std::string::npos);
  }
  // sh is CMD; 17 leaked (running when CMD's trace ended), 15 too (orphaned, running).
  CHECK(text.find("x (10) [CMD]") != std::string::npos);
  CHECK(text.find("LEAKED: still running when CMD exited") != std::string::npos);
  CHECK(explain.find("(leaked)") != std::string::npos);
}

TEST_CASE("without a CMD (attach) nothing is leaked: still running at the end", "[reports][verdict]") {
  Graph graph({kOrigin, 0, 0});
  graph.add_pre_existing({42, kOrigin - 5}, 1, "daemon");
  graph.finish(at_us(100));
  std::string text = render_with(write_text_report, graph);
  INFO(text);
  CHECK(text.find("LEAKED") == std::string::npos);
  CHECK(text.find("STILL RUNNING when the trace ended") != std::string::npos);
  CHECK(render_with(write_explain_report, graph).find("leaked") == std::string::npos);
}
