// `proclife run`: start CMD at a gate, trace its tree until it exits, report.
#pragma once

#include "cli.hpp"

namespace proclife {

// Returns proclife's exit status: CMD's own (128+N when killed by signal N).
int run_command(const RunCommand& command);

}  // namespace proclife
