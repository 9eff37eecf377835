// Every output format stays valid, and no terminal escape survives, when a
// traced process names itself with hostile bytes.
#include <catch2/catch.hpp>

#include <fstream>
#include <set>
#include <sstream>

#include "harness.hpp"

using namespace proclife::ktest;

namespace {

// `proclife report RECORDING --format F`, returning its output.
std::string report_as(const std::string& recording, const std::string& format) {
  std::string out_path = recording + "." + format;
  std::string log;
  int status = run_capture({PROCLIFE_BIN, "report", recording, "--format", format, "-o", out_path}, log);
  INFO("proclife report --format " << format << ": " << log);
  REQUIRE(status == 0);
  return slurp(out_path);
}

void require_no_terminal_escapes(const std::string& text) {
  CHECK(text.find('\x1b') == std::string::npos);
  CHECK(text.find('\x07') == std::string::npos);
  CHECK(text.find("\xc2\x9b") == std::string::npos);
}

}  // namespace

TEST_CASE("hostile names: every format stays valid and shows no raw escape sequence") {
  require_root();
  std::string recording = "/tmp/proclife-ktest-hostile.ndjson";
  std::string log;
  int status = run_capture({PROCLIFE_BIN, "run", "--record", recording, "-o", recording + ".live.txt", "--",
                            workload("hostile")},
                           log);
  INFO(log);
  REQUIRE(status == 0);

  SECTION("the recording: one valid JSON object per line, bytes kept") {
    std::ifstream in(recording);
    std::string line;
    size_t lines = 0;
    bool kept_hex = false;
    while (std::getline(in, line)) {
      ++lines;
      auto object = Json::parse(line);  // throws on invalid JSON
      kept_hex = kept_hex || line.find("\"hex\"") != std::string::npos;
    }
    CHECK(lines > 3);
    CHECK(kept_hex);  // invalid UTF-8 is stored losslessly
  }
  SECTION("text and explain: printable, with the bytes shown as escapes") {
    for (const char* format : {"text", "explain"}) {
      std::string text = report_as(recording, format);
      require_no_terminal_escapes(text);
      CHECK(text.find("\\e[31m") != std::string::npos);  // the comm, as escapes
      CHECK(text.find("\\xff") != std::string::npos);
    }
    std::string text = report_as(recording, "text");
    CHECK(text.find("\\e[2J") != std::string::npos);  // the argv
    CHECK(text.find("a\"b") != std::string::npos);
    require_no_terminal_escapes(slurp(recording + ".live.txt"));
  }
  SECTION("json and perfetto parse; the argv survives in the JSON report") {
    auto report = Json::parse(report_as(recording, "json"));
    bool found = false;
    for (const auto& process : report.at("processes"))
      for (const auto& arg : process.at("argv")) found = found || arg == "a\"b'c\\d\ne";
    CHECK(found);
    auto trace = Json::parse(report_as(recording, "perfetto"));
    CHECK(trace.at("traceEvents").size() > 0);
  }
  SECTION("dot renders with Graphviz; svg is well-formed XML") {
    std::string dot = report_as(recording, "dot");
    require_no_terminal_escapes(dot);
    std::string dot_log;
    CHECK(run_capture({"dot", "-Tsvg", "-o", "/dev/null", recording + ".dot"}, dot_log) == 0);
    std::string svg = report_as(recording, "svg");
    require_no_terminal_escapes(svg);
    std::string xml_log;
    INFO(xml_log);
    CHECK(run_capture({"python3", "-c", "import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])",
                       recording + ".svg"},
                      xml_log) == 0);
  }
}

TEST_CASE("the report of a recording equals the live report of the same run") {
  require_root();
  std::string recording = "/tmp/proclife-ktest-roundtrip.ndjson";
  std::string live_path = recording + ".live.json";
  std::string log;
  int status = run_capture({PROCLIFE_BIN, "run", "--record", recording, "--format", "json", "-o", live_path, "--",
                            "sh", "-c", "sleep 0.05 & (sleep 0.02; exit 3) & wait"},
                           log);
  INFO(log);
  REQUIRE(status == 0);
  auto live = Json::parse(slurp(live_path));
  auto replayed = Json::parse(report_as(recording, "json"));
  CHECK(live.at("processes").size() >= 3);
  CHECK(replayed == live);
}

TEST_CASE("the Python example as a Perfetto trace and an SVG timeline", "[vm]") {
  require_root();
  std::string recording = "/tmp/proclife-ktest-python.ndjson", log;
  int status = run_capture({PROCLIFE_BIN, "run", "--record", recording, "-o", "/dev/null", "--", "/usr/bin/python3",
                            std::string(PROCLIFE_SOURCE_DIR) + "/examples/multiprocessing_lifetime.py"},
                           log);
  INFO(log);
  REQUIRE(status == 0);

  auto trace = Json::parse(report_as(recording, "perfetto"));
  const auto& events = trace.at("traceEvents");
  std::set<int64_t> tracks_with_slices;
  size_t sigchld_instants = 0, flow_starts = 0, flow_ends = 0, wait_slices = 0;
  for (const auto& event : events) {
    const std::string phase = event.at("ph");
    const std::string name = event.value("name", "");
    if (phase == "X") {
      tracks_with_slices.insert(event.at("pid").get<int64_t>());
      CHECK(event.at("dur").get<double>() >= 0);
      wait_slices += name.rfind("wait4(", 0) == 0;
    }
    sigchld_instants += phase == "i" && name.find("SIGCHLD") != std::string::npos;
    flow_starts += phase == "s";
    flow_ends += phase == "f";
  }
  CHECK(tracks_with_slices.size() == 2);  // the interpreter and its worker
  CHECK(wait_slices >= 1);                // the interpreter's wait for the worker
  CHECK(sigchld_instants >= 1);
  CHECK(flow_starts == flow_ends);
  CHECK(flow_starts >= 2);  // fork -> worker, worker's exit -> the reap

  std::string svg = report_as(recording, "svg");
  CHECK(svg.find("<svg") != std::string::npos);
  CHECK(svg.find("python3") != std::string::npos);
  std::string xml_log;
  CHECK(run_capture({"python3", "-c", "import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])",
                     recording + ".svg"},
                    xml_log) == 0);
}
