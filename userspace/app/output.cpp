#include "output.hpp"

#include <fstream>
#include <iostream>
#include <stdexcept>

#include "explain.hpp"

namespace proclife {
namespace {

void render(const Graph& graph, const ReportContext& context, Format format, std::ostream& out) {
  switch (format) {
    case Format::text: write_text_report(graph, context, out); return;
    case Format::json: write_json_report(graph, context, out); return;
    case Format::explain: write_explain_report(graph, context, out); return;
    case Format::dot: write_dot_report(graph, context, out); return;
    case Format::perfetto: write_perfetto_report(graph, context, out); return;
    case Format::svg: write_svg_report(graph, context, out); return;
  }
  throw std::runtime_error(std::string("the ") + format_name(format) + " format is not available");
}

}  // namespace

void write_report(const Graph& graph, const ReportContext& context, const OutputOptions& output) {
  if (output.output_path.empty()) {
    render(graph, context, output.format, std::cerr);
    return;
  }
  std::ofstream file(output.output_path, std::ios::binary | std::ios::trunc);
  if (!file) throw std::runtime_error("cannot write the report to " + output.output_path);
  render(graph, context, output.format, file);
  file.flush();
  if (!file) throw std::runtime_error("cannot write the report to " + output.output_path);
}

}  // namespace proclife
