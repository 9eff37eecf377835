// Where a report goes and in which format: shared by run, attach and report.
#pragma once

#include <iosfwd>
#include <memory>
#include <string>

#include "cli.hpp"
#include "model.hpp"
#include "report.hpp"

namespace proclife {

// Opens FILE for writing (truncated) now; throws a one-line error naming
// `what` and the reason. Called before CMD starts, so a path that cannot be
// written ends the run before anything ran.
std::unique_ptr<std::ofstream> open_output_file(const std::string& path, const std::string& what);

// "cannot write WHAT to PATH: WHY", the one shape of every output error.
std::string fmt_cannot_write(const std::string& what, const std::string& path, const std::string& why);

// What to tell the user about events lost in the kernel, one line per cause
// with its own remedy; "" when nothing was lost. A full ring buffer is cured
// by a larger one (up to the 1024 MiB the option allows); a full table of
// traced processes (65,536) is not, at any ring buffer size.
std::string lost_events_advice(uint64_t ring_buffer_full, uint64_t traced_table_full, uint32_t ring_buffer_mb);

// Throws when -o and --record name the same file (same path or same inode):
// the report would overwrite the recording.
void check_distinct_outputs(const OutputOptions& output);

// The report's destination, opened when constructed (see open_output_file);
// without -o, `fallback` (stderr for run and attach, stdout for report).
class ReportSink {
 public:
  ReportSink(const OutputOptions& output, std::ostream& fallback);
  ~ReportSink();
  // Renders the report; returns "" or why it could not be written.
  std::string write(const Graph& graph, const ReportContext& context);

 private:
  std::string format_;  // a name in output_formats()
  std::string name_;  // for messages: the path, or "stderr"/"stdout"
  std::unique_ptr<std::ofstream> file_;
  std::ostream* out_;
};

}  // namespace proclife
