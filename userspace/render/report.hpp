// Renderers: each reads the finished graph and writes to a stream.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "model.hpp"

namespace proclife {

struct ReportContext {
  std::vector<std::string> command;  // what was traced, for headers
};

void write_json_report(const Graph& graph, const ReportContext& context, std::ostream& out);
void write_text_report(const Graph& graph, const ReportContext& context, std::ostream& out);
// Graphviz DOT: the fork tree, reaps by others than the parent, adoptions.
void write_dot_report(const Graph& graph, const ReportContext& context, std::ostream& out);
// Chrome trace-event JSON for ui.perfetto.dev: a track per process.
void write_perfetto_report(const Graph& graph, const ReportContext& context, std::ostream& out);
// A self-contained SVG timeline: a row per process in tree order.
void write_svg_report(const Graph& graph, const ReportContext& context, std::ostream& out);

class JsonWriter;
// One process exactly as the JSON report's "processes" array holds it (the
// monitor writes one per finished lifetime).
void write_json_process(JsonWriter& json, const Graph& graph, const Process& process);

}  // namespace proclife
