#include "output.hpp"

#include <fstream>
#include <iostream>
#include <stdexcept>

#include "formats.hpp"

namespace proclife {
namespace {

void render(const Graph& graph, const ReportContext& context, const std::string& name, std::ostream& out) {
  const OutputFormat* format = find_output_format(name);
  if (!format) throw std::runtime_error("the " + name + " format is not available");
  format->write(graph, context, out);
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
