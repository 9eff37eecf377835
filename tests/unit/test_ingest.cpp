// A record the decoder cannot read is counted, recorded in the trailer and
// reported next to lost events: never dropped unseen.
#include <catch2/catch.hpp>

#include <sstream>

#include "encode.hpp"
#include "gate.hpp"
#include "ingest.hpp"
#include "record.hpp"
#include "json_report.hpp"
#include "report.hpp"
#include "scenario.hpp"

using namespace proclife;
using namespace proclife::test;

namespace {

// Two bad records around a good one: an unknown kind and a record cut short.
Graph ingest_with_two_bad_records(RecordWriter* recorder) {
  Graph graph(GraphOptions{kOrigin, kObserver, 10});
  Scenario scenario;
  Proc sh = scenario.root(10);
  scenario.fork(sh, 11, 5);
  auto good = encode_record(scenario.events.front());
  auto unknown = good;
  unknown[0] = 99;  // pl_header.kind, little-endian
  ingest_record(graph, recorder, unknown.data(), unknown.size());
  ingest_record(graph, recorder, good.data(), good.size());
  ingest_record(graph, recorder, good.data(), good.size() - 1);
  graph.finish(at_us(20));
  return graph;
}

}  // namespace

TEST_CASE("malformed records are counted, not dropped silently", "[ingest]") {
  Graph graph = ingest_with_two_bad_records(nullptr);
  CHECK(graph.decode_errors() == 2);
  CHECK(graph.processes().size() == 2);  // the good record still applied
}

TEST_CASE("decode errors are reported next to lost events", "[ingest]") {
  Graph graph = ingest_with_two_bad_records(nullptr);
  auto json = json_report(graph, ReportContext{{"sh"}});
  CHECK(json.at("decode_errors") == 2);
  std::ostringstream text;
  write_text_report(graph, ReportContext{{"sh"}}, text);
  CHECK_THAT(text.str(), Catch::Contains("WARNING: 2 records could not be decoded"));
  auto findings = evaluate_gate(graph, {GateCondition::lost});
  REQUIRE(findings.size() == 1);
  std::ostringstream gate;
  write_gate_findings(graph, findings, gate);
  CHECK_THAT(gate.str(), Catch::Contains("2 records not decoded"));
}

TEST_CASE("decode errors survive a recording and its replay", "[ingest]") {
  std::ostringstream out;
  {
    RecordWriter writer(out, RecordHeader{});
    Graph graph = ingest_with_two_bad_records(&writer);
    writer.finish({graph.lost_events(), graph.end_ns(), graph.decode_errors()});
  }
  std::istringstream in(out.str());
  CHECK(replay_recording(in).graph.decode_errors() == 2);
}
