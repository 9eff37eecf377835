// Where a report goes and in which format: shared by run, attach and report.
#pragma once

#include "cli.hpp"
#include "model.hpp"
#include "report.hpp"

namespace proclife {

// Writes the report as `output` asks (stderr by default). Throws on I/O errors.
void write_report(const Graph& graph, const ReportContext& context, const OutputOptions& output);

}  // namespace proclife
