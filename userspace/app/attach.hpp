// `proclife attach -p PID`: follow a running process and its descendants.
#pragma once

#include "cli.hpp"

namespace proclife {

// Returns 0 once PID exits, the duration ends or Ctrl-C; 125 on failure.
int attach_command(const AttachCommand& command);

}  // namespace proclife
