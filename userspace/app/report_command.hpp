// `proclife report FILE`: rebuild a report from a recording made with
// `run --record`. No root, no BPF: the recording holds every event.
#pragma once

#include "cli.hpp"

namespace proclife {

// Returns 0, or kExitProclifeError after one "proclife: ..." line on stderr
// (missing file, damaged recording, unwritable output).
int report_command(const ReportCommand& command);

}  // namespace proclife
