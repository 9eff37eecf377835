// The DOT, Perfetto and SVG renderers: the structure each promises, and that
// each stays valid whatever bytes a process puts in its name and argv.
//
// The hidden test "[dot-fixture]" writes the DOT of the fixture below to the
// file named by PROCLIFE_DOT_FIXTURE; a ctest (tests/CMakeLists.txt) then
// renders it with Graphviz, which is the real check of the DOT syntax.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "escape.hpp"
#include "explain.hpp"
#include "render_common.hpp"
#include "report.hpp"
#include "scenario.hpp"
#include "svg_util.hpp"

using namespace proclife;
using namespace proclife::test;
using Json = nlohmann::json;

namespace {

const std::string kHostileComm = "\x1b[31mevil\"\\\n";

// sh forks a worker (which forks a grandchild), a child that exits and is
// never reaped, a daemon still running at the end, and a process with a
// hostile name. The worker dies first: sh, a subreaper, adopts the
// grandchild, kills it and reaps it. The zombie's own child is orphaned to
// init, which is not traced, and released.
struct Family {
  Scenario s;
  Proc sh{0, 0}, worker{0, 0}, grandchild{0, 0}, stuck{0, 0}, daemon{0, 0}, hostile{0, 0}, lost{0, 0};

  Family() {
    sh = s.root(500);
    s.exec(sh, "/bin/sh", {"sh", "-c", "family"}, 10);
    worker = s.fork(sh, 501, 100, "sh");
    s.exec(worker, "/usr/bin/worker", {"worker", "--jobs", "2"}, 150);
    grandchild = s.fork(worker, 502, 200, "worker");
    stuck = s.fork(sh, 503, 300, "sh");
    daemon = s.fork(sh, 504, 350, "sh");
    hostile = s.fork(sh, 506, 360, kHostileComm);
    s.exec(hostile, "/tmp/" + kHostileComm, {"\xff\xfe", "<b>&amp;'\x01"}, 370);
    lost = s.fork(stuck, 505, 400, "sh");

    s.wait4(sh, -1, kernel::kWnohang, 0, 0, 900, 905);
    s.exit(worker, exited(0), 1000, sh, 0x1234, 0, sh);
    s.last<ExitEvent>().comm = "worker";
    s.sigchld(worker, sh, 0, 1005);
    s.deliver_sigchld(sh, 0x1234, 1010);
    s.wait4(sh, -1, 0, 501, exited(0), 1020, 1030);

    s.signal(sh, grandchild, 9, 2000, "sh");
    s.exit(grandchild, killed(9), 2010, sh, 0x1234);
    s.last<ExitEvent>().comm = "worker";
    s.sigchld(grandchild, sh, 0, 2015);
    s.wait4(sh, 502, 0, 502, killed(9), 2020, 2030);

    s.exit(stuck, exited(3), 3000, sh, 0x1234);
    s.last<ExitEvent>().comm = "sh";
    s.sigchld(stuck, sh, 0, 3005);
    s.exit(hostile, exited(1), 3500, sh, 0x1234);
    s.last<ExitEvent>().comm = kHostileComm;
    s.wait4(sh, 506, 0, 506, exited(1), 3400, 3600);
    s.exit(lost, exited(0), 4000, Proc{1, 0});
    s.last<ExitEvent>().comm = "sh";
    s.free(lost, 4100);
  }

  Graph graph() const { return s.graph(5000); }
  static ReportContext context() { return {{"sh", "-c", "family \x1b]0;title\x07 \xff"}}; }
  size_t index(const Graph& graph, Proc p) const { return *graph.index_of(p.key()); }
};

using Writer = void (*)(const Graph&, const ReportContext&, std::ostream&);

std::string render(Writer writer, const Graph& graph) {
  std::ostringstream out;
  writer(graph, Family::context(), out);
  return out.str();
}

size_t count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// Bytes no renderer may emit: invalid UTF-8 and control characters.
std::string byte_problem(const std::string& text) {
  if (!is_valid_utf8(text)) return "invalid UTF-8";
  for (unsigned char c : text)
    if (c < 0x20 && c != '\n' && c != '\t') return "a control character";
  return {};
}

// Enough of XML 1.0 to catch what a renderer gets wrong: unbalanced or
// mismatched tags, unquoted attributes, a raw & or <, forbidden characters.
std::string xml_problem(const std::string& doc) {
  if (auto bytes = byte_problem(doc); !bytes.empty()) return bytes;
  if (doc.find("\xEF\xBF\xBE") != std::string::npos || doc.find("\xEF\xBF\xBF") != std::string::npos)
    return "U+FFFE or U+FFFF";
  static const std::regex entity("&(amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);");
  static const std::regex name("[A-Za-z_:][-A-Za-z0-9_:.]*");
  auto entities_ok = [&](const std::string& text) {
    for (size_t at = text.find('&'); at != std::string::npos; at = text.find('&', at + 1))
      if (!std::regex_search(text.begin() + static_cast<long>(at), text.end(), entity,
                             std::regex_constants::match_continuous))
        return false;
    return true;
  };
  std::vector<std::string> open;
  bool root_done = false;
  size_t i = 0;
  while (i < doc.size()) {
    size_t lt = doc.find('<', i);
    std::string text = doc.substr(i, lt == std::string::npos ? std::string::npos : lt - i);
    if (!entities_ok(text)) return "a bad entity in text";
    if ((open.empty()) && text.find_first_not_of(" \n\t") != std::string::npos) return "text outside the root";
    if (lt == std::string::npos) break;
    if (doc.compare(lt, 2, "<?") == 0 || doc.compare(lt, 4, "<!--") == 0) {
      size_t end = doc.find(doc[lt + 1] == '?' ? "?>" : "-->", lt);
      if (end == std::string::npos) return "an unterminated declaration or comment";
      i = end + (doc[lt + 1] == '?' ? 2 : 3);
      continue;
    }
    bool closing = doc.compare(lt, 2, "</") == 0;
    size_t p = lt + (closing ? 2 : 1);
    std::smatch tag;
    if (!std::regex_search(doc.cbegin() + static_cast<long>(p), doc.cend(), tag, name,
                           std::regex_constants::match_continuous))
      return "a bad tag name";
    p += tag.length();
    if (closing) {
      if (open.empty() || open.back() != tag.str()) return "a mismatched </" + tag.str() + ">";
      open.pop_back();
      if (open.empty()) root_done = true;
      p = doc.find_first_not_of(" \n\t", p);
      if (p == std::string::npos || doc[p] != '>') return "a bad end tag";
      i = p + 1;
      continue;
    }
    if (root_done && open.empty()) return "a second root element";
    for (;;) {
      p = doc.find_first_not_of(" \n\t", p);
      if (p == std::string::npos) return "an unterminated tag";
      if (doc.compare(p, 2, "/>") == 0) {
        if (open.empty()) root_done = true;
        i = p + 2;
        break;
      }
      if (doc[p] == '>') {
        open.push_back(tag.str());
        i = p + 1;
        break;
      }
      std::smatch attribute;
      if (!std::regex_search(doc.cbegin() + static_cast<long>(p), doc.cend(), attribute, name,
                             std::regex_constants::match_continuous))
        return "a bad attribute in <" + tag.str() + ">";
      p += attribute.length();
      if (doc[p] != '=' || (doc[p + 1] != '"' && doc[p + 1] != '\'')) return "an unquoted attribute";
      size_t end = doc.find(doc[p + 1], p + 2);
      if (end == std::string::npos) return "an unterminated attribute";
      std::string value = doc.substr(p + 2, end - p - 2);
      if (value.find('<') != std::string::npos || !entities_ok(value)) return "a bad attribute value";
      p = end + 1;
    }
  }
  if (!open.empty()) return "an unclosed <" + open.back() + ">";
  return root_done ? "" : "no root element";
}

// DOT's lexical structure: strings closed, HTML labels and braces balanced.
std::string dot_problem(const std::string& dot) {
  if (auto bytes = byte_problem(dot); !bytes.empty()) return bytes;
  int braces = 0, angles = 0;
  bool in_string = false;
  for (size_t i = 0; i < dot.size(); ++i) {
    char c = dot[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
      else if (c == '\n') return "a newline in a string";
      continue;
    }
    if (angles > 0) {
      angles += c == '<' ? 1 : c == '>' ? -1 : 0;
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '<') angles = 1;
    else if (c == '{') ++braces;
    else if (c == '}' && --braces < 0) return "an unbalanced }";
  }
  if (in_string) return "an unterminated string";
  return braces == 0 && angles == 0 ? "" : "unbalanced braces or <>";
}

// The slice Perfetto binds a flow event to: the last one begun on its track
// at or before it (its slice stack's top), ties going to the later event.
const Json* bound_slice(const Json& events, const Json& flow) {
  const Json* bound = nullptr;
  for (const auto& event : events) {
    if (&event == &flow) break;
    bool slice = event["ph"] == "X" || event["ph"] == "i";
    if (slice && event["pid"] == flow["pid"] && event["tid"] == flow["tid"] &&
        event["ts"].get<double>() <= flow["ts"].get<double>() &&
        (!bound || event["ts"].get<double>() >= (*bound)["ts"].get<double>()))
      bound = &event;
  }
  return bound;
}

// A trace-event time in µs, to the ns.
Approx trace_us(double us) { return Approx(us).margin(0.001); }

std::vector<Json> events_named(const Json& events, const std::string& ph, const std::string& name) {
  std::vector<Json> out;
  for (const auto& event : events)
    if (event["ph"] == ph && event["name"] == name) out.push_back(event);
  return out;
}

}  // namespace

TEST_CASE("perfetto: a named, sorted track per process", "[renderers][perfetto]") {
  Family family;
  Graph graph = family.graph();
  Json doc = Json::parse(render(write_perfetto_report, graph));
  REQUIRE(doc["traceEvents"].is_array());
  CHECK(doc["displayTimeUnit"] == "ns");
  const Json& events = doc["traceEvents"];
  for (const auto& process : graph.processes()) {
    INFO("pid " << process.key.pid);
    int names = 0, threads = 0;
    for (const auto& event : events) {
      if (event["ph"] != "M" || event["pid"] != process.key.pid) continue;
      if (event["name"] == "process_name" && event["args"]["name"] == printable(process.comm)) ++names;
      if (event["name"] == "thread_name" && event["tid"] == process.key.pid) ++threads;
    }
    CHECK(names == 1);
    CHECK(threads == 1);
  }
  // Tree order: sh, worker, grandchild, stuck, lost (stuck's child), daemon, hostile.
  std::vector<uint32_t> sorted;
  for (const auto& event : events_named(events, "M", "process_sort_index")) sorted.push_back(event["pid"]);
  CHECK(sorted == std::vector<uint32_t>{500, 501, 502, 503, 505, 504, 506});
}

TEST_CASE("perfetto: running slices split at exec, a zombie slice, wait calls", "[renderers][perfetto]") {
  Family family;
  Json events = Json::parse(render(write_perfetto_report, family.graph()))["traceEvents"];
  std::vector<Json> worker;
  for (const auto& event : events) {
    if (event["ph"] != "X") continue;
    CHECK(event["ts"].is_number());
    CHECK(event["dur"].get<double>() >= 0);
    if (event["pid"] == 501 && event["cat"] != "fork") worker.push_back(event);
  }
  REQUIRE(worker.size() == 3);
  CHECK(worker[0]["name"] == "running");
  CHECK(worker[0]["ts"].get<double>() == trace_us(100));
  CHECK(worker[1]["name"] == "/usr/bin/worker");
  CHECK(worker[1]["ts"].get<double>() == trace_us(150));
  CHECK(worker[1]["dur"].get<double>() == trace_us(850));
  CHECK(worker[2]["name"] == "zombie");
  CHECK(worker[2]["ts"].get<double>() == trace_us(1000));
  CHECK(worker[2]["dur"].get<double>() == trace_us(30));
  auto stuck = events_named(events, "X", "zombie (never reaped)");
  REQUIRE(stuck.size() == 1);
  CHECK(stuck[0]["pid"] == 503);

  auto poll = events_named(events, "X", "wait4(-1, WNOHANG)");
  REQUIRE(poll.size() == 1);
  CHECK(poll[0]["pid"] == 500);
  CHECK(poll[0]["dur"].get<double>() == trace_us(5));
}

TEST_CASE("perfetto: SIGCHLD instants on the child's and the parent's tracks", "[renderers][perfetto]") {
  Family family;
  Json events = Json::parse(render(write_perfetto_report, family.graph()))["traceEvents"];
  auto generated = events_named(events, "i", "SIGCHLD generated");
  CHECK(generated.size() == 3);  // worker, grandchild, stuck
  for (const auto& event : generated) CHECK(event["s"] == "t");
  auto delivered = events_named(events, "i", "SIGCHLD delivered");
  REQUIRE(delivered.size() == 1);
  CHECK(delivered[0]["pid"] == 500);
  CHECK(delivered[0]["args"]["from_pid"] == 501);
  CHECK(delivered[0]["ts"].get<double>() == trace_us(1010));
}

TEST_CASE("perfetto: flows pair up and bind to the fork and the reap", "[renderers][perfetto]") {
  Family family;
  Json events = Json::parse(render(write_perfetto_report, family.graph()))["traceEvents"];
  std::map<uint64_t, std::vector<const Json*>> flows;
  for (const auto& event : events)
    if (event["ph"] == "s" || event["ph"] == "f") flows[event["id"].get<uint64_t>()].push_back(&event);
  std::map<std::string, int> kinds;
  for (const auto& [id, pair] : flows) {
    INFO("flow " << id);
    REQUIRE(pair.size() == 2);
    const Json& start = *pair[0];
    const Json& end = *pair[1];
    CHECK(start["ph"] == "s");
    CHECK(end["ph"] == "f");
    CHECK(end["bp"] == "e");
    CHECK(start["cat"] == end["cat"]);
    CHECK(start["name"] == end["name"]);
    const Json* from = bound_slice(events, start);
    const Json* to = bound_slice(events, end);
    REQUIRE(from);
    REQUIRE(to);
    std::string kind = start["cat"];
    ++kinds[kind];
    if (kind == "fork") {
      CHECK((*from)["cat"] == "fork");  // the parent's 1 ns fork mark
      CHECK((*to)["cat"] == "running");
      CHECK((*to)["ts"] == (*from)["ts"]);  // the child's first slice, from its fork
    } else {
      CHECK((*from)["cat"] == "zombie");
      CHECK((*to)["cat"] == "reap");
      CHECK((*to)["pid"] == 500);
    }
  }
  CHECK(kinds["fork"] == 6);
  CHECK(kinds["reap"] == 3);  // worker, grandchild, hostile; not lost (init is not traced)
}

TEST_CASE("svg: a row per process, a legend, flags and a time axis", "[renderers][svg]") {
  Family family;
  Graph graph = family.graph();
  std::string svg = render(write_svg_report, graph);
  CHECK(xml_problem(svg) == "");
  CHECK(count(svg, "<g class=\"row\">") == graph.processes().size());
  for (const char* word : {"running", "zombie", "reaped", "fork", "reap"}) CHECK(svg.find(word) != std::string::npos);
  // Each flag appears in the legend and on the rows it applies to.
  CHECK(count(svg, "<tspan class=\"ORPHAN\">") == 1 + 2);  // grandchild, lost
  CHECK(count(svg, "<tspan class=\"CMD\">") == 1);       // sh (no legend entry)
  CHECK(count(svg, "<tspan class=\"LEAKED\">") == 1 + 1);  // daemon; sh is CMD, never leaked
  CHECK(count(svg, "<tspan class=\"ZOMBIE\">") == 1 + 1);  // stuck
  CHECK(count(svg, "<tspan class=\"KILLED\">") == 1 + 1);  // grandchild
  CHECK(svg.find(">1 ms</text>") != std::string::npos);
  CHECK(svg.find("<script") == std::string::npos);
  CHECK(svg.find("href") == std::string::npos);
}

TEST_CASE("svg: hundreds of processes stay well-formed and grow in height", "[renderers][svg]") {
  Scenario s;
  Proc sh = s.root(700);
  for (uint32_t i = 0; i < 500; ++i) {
    Proc child = s.fork(sh, 1000 + i, 10 + i * 20, "true");
    s.exit(child, exited(0), 15 + i * 20, sh);
    s.wait4(sh, -1, 0, child.pid, exited(0), 16 + i * 20, 17 + i * 20);
  }
  Graph graph = s.graph(10'100);
  std::string svg = render(write_svg_report, graph);
  CHECK(xml_problem(svg) == "");
  CHECK(count(svg, "<g class=\"row\">") == 501);
  std::smatch height;
  REQUIRE(std::regex_search(svg, height, std::regex("height=\"([0-9.]+)\"")));
  CHECK(std::stod(height[1]) > 501 * 10);
  // One path per kind of link, however many links.
  CHECK(count(svg, "<path class=\"fork\"") == 1);
  CHECK(count(svg, "<path class=\"reap\"") == 1);
}

TEST_CASE("dot: a node per process and the edges that are not the fork tree", "[renderers][dot]") {
  Family family;
  Graph graph = family.graph();
  std::string dot = render(write_dot_report, graph);
  CHECK(dot_problem(dot) == "");
  const std::regex node_line("\n  p[0-9]+ \\[label=");
  CHECK(std::distance(std::sregex_iterator(dot.begin(), dot.end(), node_line), std::sregex_iterator()) ==
        static_cast<long>(graph.processes().size()));
  auto node = [&](Proc p) { return "p" + std::to_string(family.index(graph, p)); };
  CHECK(count(dot, node(family.sh) + " -> " + node(family.worker) + " [") == 1);  // the fork
  // sh reaped the grandchild that worker forked: a dashed edge; and it adopted it.
  CHECK(count(dot, node(family.sh) + " -> " + node(family.grandchild) + " [style=dashed") == 1);
  CHECK(count(dot, node(family.sh) + " -> " + node(family.grandchild) + " [style=dotted") == 1);
  CHECK(count(dot, "-> " + node(family.worker) + " [style=dashed") == 0);  // reaped by its parent
  // lost was adopted and released by init, which is not traced: a node for pid 1.
  CHECK(count(dot, "ext1 [label=") == 1);
  CHECK(count(dot, "ext1 -> " + node(family.lost) + " [style=dotted") == 1);
  CHECK(count(dot, "ext1 -> " + node(family.lost) + " [style=dashed") == 1);
  CHECK(dot.find("ZOMBIE") != std::string::npos);
  CHECK(dot.find("killed by SIGKILL") != std::string::npos);
}

TEST_CASE("dot: attach's processes, found in /proc with no fork seen, get an edge from their parent with no time", "[renderers][dot]") {
  Graph graph(GraphOptions{.origin_ns = 1'000'000});
  graph.seed_pre_existing(10, 1, "sh");
  graph.seed_pre_existing(11, 10, "sleep");
  std::string dot = render(write_dot_report, graph);
  CHECK(dot_problem(dot) == "");
  INFO(dot);
  CHECK(count(dot, "p0 -> p1 [tooltip=\"unknown\", label=\"unknown\"]") == 1);  // how it was made: not seen
}

TEST_CASE("hostile names leave every format valid", "[renderers][escape]") {
  Family family;
  Graph graph = family.graph();
  std::string dot = render(write_dot_report, graph);
  CHECK(dot_problem(dot) == "");
  CHECK(dot.find("\\\\e[31mevil\\\"\\\\\\\\\\\\n") != std::string::npos);  // printable(), then DOT-escaped
  CHECK(dot.find("$'\\\\xff\\\\xfe' $'<b>&amp;amp;\\\\'\\\\x01'") != std::string::npos);  // once each, & kept literal
  std::string svg = render(write_svg_report, graph);
  CHECK(xml_problem(svg) == "");
  CHECK(svg.find("\\e[31mevil&quot;\\\\\\n") != std::string::npos);
  CHECK(svg.find("&lt;b&gt;&amp;amp;\\&apos;\\x01") != std::string::npos);
  std::string trace = render(write_perfetto_report, graph);
  CHECK(byte_problem(trace) == "");
  Json doc = Json::parse(trace);
  auto names = events_named(doc["traceEvents"], "M", "process_name");
  CHECK(std::any_of(names.begin(), names.end(),
                    [](const Json& event) { return event["args"]["name"] == printable(kHostileComm); }));
}

TEST_CASE("stacks: hostile symbols, files and modules leave every format valid", "[renderers][escape][stacks]") {
  // ESC, a newline that would forge a line, quotes, markup, a bidi override, a byte that is not UTF-8.
  const std::string evil = "sym\x1b[31m\n\"q\" 'sq' <b>&amp; \xe2\x80\xae" "rtl \xff";
  Stack stack{{native_frame(evil, "/lib/" + evil + ".so"), native_frame("", "/lib/" + evil + ".so"),
               python_frame(evil, "/srv/" + evil + ".py", 3)},
              false, evil};
  Family family;
  family.s.stack(family.sh, StackSite::fork, 360, stack);       // the hostile child's fork
  family.s.stack(family.sh, StackSite::wait, 3400, stack);      // the call that reaped it
  family.s.stack(family.hostile, StackSite::exit_group, 3500, stack);
  Graph graph = family.graph();
  const Process& hostile = *graph.find(family.hostile.key());
  REQUIRE(hostile.rare().fork_stack);
  REQUIRE(hostile.rare().exit_group_stack);
  REQUIRE(reaping_call(graph, hostile)->stack);

  auto no_raw_controls = [](const std::string& text) {
    CHECK(byte_problem(text) == "");
    CHECK(text.find("\xe2\x80\xae") == std::string::npos);
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) CHECK(line.find("\"q\" 'sq'") != 0);
  };
  for (Writer writer : {write_text_report, write_explain_report}) {
    std::string report = render(writer, graph);
    INFO(report);
    no_raw_controls(report);
    CHECK(report.find("sym\\e[31m\\n\"q\" 'sq' <b>&amp; \\u202ertl \\xff") != std::string::npos);
  }
  std::string json = render(write_json_report, graph);
  no_raw_controls(json);
  Json report = Json::parse(json);
  for (const auto& process : report["processes"])
    if (process["pid"] == 506) CHECK(process["fork_stack"]["frames"][0]["symbol"] == "sym\x1b[31m\n\"q\" 'sq' <b>&amp; \u202ertl \ufffd");
  std::string trace = render(write_perfetto_report, graph);
  no_raw_controls(trace);
  auto forks = events_named(Json::parse(trace)["traceEvents"], "X", "fork " + describe_process(hostile));
  REQUIRE(forks.size() == 1);
  CHECK(forks[0]["args"]["called_from"].get<std::string>().find("sym\\e[31m") == 0);
  std::string svg = render(write_svg_report, graph);
  CHECK(xml_problem(svg) == "");
  CHECK(svg.find("\nfork called from sym\\e[31m\\n&quot;q&quot; &apos;sq&apos; &lt;b&gt;&amp;amp; \\u202ertl") !=
        std::string::npos);
  CHECK(dot_problem(render(write_dot_report, graph)) == "");
}

TEST_CASE("svg helpers: round time ticks, clipped text runs", "[renderers][svg]") {
  auto labels = [](uint64_t span) {
    std::vector<std::string> out;
    for (const auto& tick : time_ticks(span, 9)) out.push_back(tick.label);
    return out;
  };
  CHECK(labels(106'000'000) == std::vector<std::string>{"0", "20 ms", "40 ms", "60 ms", "80 ms", "100 ms"});
  CHECK(labels(3'000) == std::vector<std::string>{"0", "0.5 µs", "1.0 µs", "1.5 µs", "2.0 µs", "2.5 µs", "3.0 µs"});
  CHECK(labels(5'200'000'000).back() == "5 s");
  CHECK(labels(0) == std::vector<std::string>{"0", "1 ns"});
  CHECK(clip("héllo", 3) == "hé…");
  CHECK(clip("héllo", 5) == "héllo");
  CHECK(tspans({{"1234 sh", ""}, {" ZOMBIE", "ZOMBIE"}}, 10) == "1234 sh<tspan class=\"ZOMBIE\"> Z…</tspan>");
  CHECK(xml_text("a<b & \"c\" \xEF\xBF\xBE") == "a&lt;b &amp; &quot;c&quot; \\uFFFE");
}

TEST_CASE("an empty graph, and a process older than the trace, render valid output", "[renderers]") {
  for (bool with_process : {false, true}) {
    Graph graph({kOrigin, kObserver, 0});
    if (with_process) graph.add_pre_existing({42, kOrigin - 5'000'000'000}, 1, "init-ish");
    graph.finish(at_us(100));
    CHECK(dot_problem(render(write_dot_report, graph)) == "");
    CHECK(xml_problem(render(write_svg_report, graph)) == "");
    Json doc = Json::parse(render(write_perfetto_report, graph));
    for (const auto& event : doc["traceEvents"])
      if (event.contains("ts")) CHECK(event["ts"].get<double>() >= 0);
  }
}

TEST_CASE("the checkers above catch what they look for", "[renderers]") {
  CHECK(xml_problem("<a><b/></a>") == "");
  CHECK(xml_problem("<a><b></a>") != "");
  CHECK(xml_problem("<a x=1/>") != "");
  CHECK(xml_problem("<a x=\"<\"/>") != "");
  CHECK(xml_problem("<a>&</a>") != "");
  CHECK(xml_problem("<a>\x1b</a>") != "");
  CHECK(xml_problem("<a>\xff</a>") != "");
  CHECK(xml_problem("<a/><b/>") != "");
  CHECK(dot_problem("digraph { a [label=\"x\\\"\"]; }") == "");
  CHECK(dot_problem("digraph { a [label=\"x\\\"]; }") != "");
  CHECK(dot_problem("digraph { a [label=<<B>x</B>>]; ") != "");
}

// Names Graphviz chokes on: longer than its 16,384-byte label limit, and
// code points XML 1.0 forbids (Graphviz copies them into its SVG).
const std::string kHugeArg(17 * 1024, 'A');
const std::string kXmlInvalid = "nul\x01 fffe\xEF\xBF\xBE ffff\xEF\xBF\xBF surrogate\xED\xA0\x80 vt\x0b";

struct GraphvizHostile : Family {
  Proc huge{0, 0}, invalid{0, 0};
  GraphvizHostile() {
    huge = s.fork(sh, 507, 380, "huge");
    s.exec(huge, "/bin/" + kHugeArg, {"echo", kHugeArg, kXmlInvalid}, 390);
    invalid = s.fork(sh, 508, 395, kXmlInvalid);
    s.exit(invalid, exited(0), 4500, sh, 0, 0);
    s.last<ExitEvent>().comm = kXmlInvalid;
    s.wait4(sh, 508, 0, 508, exited(0), 4500, 4600);
  }
  static ReportContext context() { return {{"sh", "-c", kHugeArg + kXmlInvalid}}; }
};

TEST_CASE("the DOT fixture for Graphviz", "[.][dot-fixture]") {
  const char* path = std::getenv("PROCLIFE_DOT_FIXTURE");
  REQUIRE(path);
  GraphvizHostile family;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  write_dot_report(family.graph(), GraphvizHostile::context(), out);
  REQUIRE(out.good());
}

TEST_CASE("dot and svg: huge and XML-invalid names are clipped and escaped", "[renderers][escape]") {
  GraphvizHostile family;
  Graph graph = family.graph();
  std::ostringstream dot_out, svg_out;
  write_dot_report(graph, GraphvizHostile::context(), dot_out);
  write_svg_report(graph, GraphvizHostile::context(), svg_out);
  std::string dot = dot_out.str(), svg = svg_out.str();
  CHECK(dot_problem(dot) == "");
  CHECK(xml_problem(svg) == "");
  for (const std::string* text : {&dot, &svg}) {
    CHECK(text->find("\xEF\xBF\xBE") == std::string::npos);
    CHECK(text->find("\xEF\xBF\xBF") == std::string::npos);
    CHECK(text->find("\xED\xA0\x80") == std::string::npos);
    CHECK(text->find(kHugeArg) == std::string::npos);  // clipped
  }
  CHECK(dot.find("uFFFE") != std::string::npos);
  CHECK(dot.find("…") != std::string::npos);  // marked as clipped
  // No quoted DOT string reaches Graphviz's limit.
  for (size_t at = dot.find('"'); at != std::string::npos;) {
    size_t end = at + 1;
    while (end < dot.size() && dot[end] != '"') end += dot[end] == '\\' ? 2 : 1;
    CHECK(end - at < 16384);
    at = dot.find('"', end + 1);
  }
  CHECK(xml_text(kXmlInvalid).find_first_of("\x01\x0b") == std::string::npos);
  CHECK(xml_text("\xEF\xBF\xBF\xff") == "\\uFFFF\\xff");
}

TEST_CASE("svg: a timestamp near 2^64 renders quickly to a bounded size", "[renderers][svg]") {
  for (uint64_t far : {UINT64_MAX - 5, UINT64_MAX / 2, uint64_t{1} << 62, UINT64_MAX - 1'000'000'000}) {
    INFO("far " << far);
    Scenario s;
    Proc sh = s.root(10);
    s.exec(sh, "/bin/sh", {"sh"}, 10);
    Proc child = s.fork(sh, 11, 100, "child");
    s.exit(child, exited(0), 200, sh);
    s.events.back().ns = far;
    s.wait4(sh, -1, 0, 11, exited(0), 150, 300);
    Graph graph = s.graph(1000);
    auto started = std::chrono::steady_clock::now();
    std::string svg = render(write_svg_report, graph);
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(2));
    CHECK(svg.size() < 64 * 1024);
    CHECK(xml_problem(svg) == "");
    CHECK(time_ticks(far, 9).size() <= 20);
    CHECK(count(svg, "class=\"grid\"") <= 20);
  }
}

TEST_CASE("reaping_call: each child's own call, none once the reaper's calls are no longer kept",
          "[renderers]") {
  Scenario s;
  Proc make = s.root(1000);
  constexpr uint32_t kChildren = Graph::kMaxWaitCalls + 3;
  std::vector<Proc> children;
  for (uint32_t i = 0; i < kChildren; i++) {
    uint64_t t = 10 + 10 * uint64_t{i};
    Proc child = s.fork(make, 2000 + i, t);
    s.exit(child, exited(static_cast<int>(i % 200)), t + 1, make);
    // A call that reaped nothing between reaps, so a call's index is not its child's.
    s.wait4(make, -1, kernel::kWnohang, 0, 0, t + 2, t + 3);
    s.wait4(make, -1, 0, child.pid, exited(static_cast<int>(i % 200)), t + 4, t + 5);
    children.push_back(child);
  }
  Graph graph = s.graph(10 * kChildren + 100);
  for (uint32_t i : {0u, 1u, 1000u, static_cast<uint32_t>(Graph::kMaxWaitCalls / 2 - 1)}) {
    const Process& child = *graph.find(children[i].key());
    const WaitCall* call = reaping_call(graph, child);
    REQUIRE(call);
    CHECK(*call->reaped == child.key);
    CHECK(call->exit_ns == at_us(10 + 10 * uint64_t{i} + 5));
  }
  // Two calls per child: from the (kMaxWaitCalls/2 + 1)th child on, its call was not kept.
  CHECK(reaping_call(graph, *graph.find(children[Graph::kMaxWaitCalls / 2].key())) == nullptr);
  CHECK(reaping_call(graph, *graph.find(children.back().key())) == nullptr);
  CHECK(graph.find(children.back().key())->reap);
}
