// Every output format, in one registry: the CLI's --format choices and their
// help come from here, so a new format is its writer's file plus one line in
// formats.cpp.
#pragma once

#include <iosfwd>
#include <span>
#include <string_view>

#include "model.hpp"
#include "report.hpp"

namespace proclife {

struct OutputFormat {
  std::string_view name;     // what --format takes
  std::string_view summary;  // one line for --help
  void (*write)(const Graph& graph, const ReportContext& context, std::ostream& out);
};

// In the order --help lists them; the first is the default.
std::span<const OutputFormat> output_formats();
// nullptr for a name no format has (exact, lower case).
const OutputFormat* find_output_format(std::string_view name);

}  // namespace proclife
