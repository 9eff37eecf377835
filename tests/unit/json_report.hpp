// The JSON report as text and as a parsed document, for tests (the product
// only writes JSON, through core/json_writer).
#pragma once

#include <nlohmann/json.hpp>

#include <sstream>
#include <string>

#include "report.hpp"

namespace proclife::test {

inline std::string json_report_text(const Graph& graph, const ReportContext& context) {
  std::ostringstream out;
  write_json_report(graph, context, out);
  return out.str();
}

inline nlohmann::ordered_json json_report(const Graph& graph, const ReportContext& context) {
  return nlohmann::ordered_json::parse(json_report_text(graph, context));
}

}  // namespace proclife::test
