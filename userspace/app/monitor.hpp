#pragma once

#include "cli.hpp"

namespace proclife {

// proclife monitor: every process on the host until SIGINT/SIGTERM.
int monitor_command(const MonitorCommand& command);

}  // namespace proclife
