// Test-only: where a live CPython 3.11 process keeps _PyRuntime, for
// Probe::set_python_runtime(). (The session's own lookup is userspace/stacks/.)
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace proclife::ktest {

struct Mapping {
  uint64_t start = 0, end = 0, offset = 0;
  std::string perms, path;
};
std::vector<Mapping> read_maps(pid_t pid);
// /proc/PID/stat's startstack: the initial stack pointer (where argc is).
uint64_t start_stack(pid_t pid);

// The address of _PyRuntime in `pid`, from the dynamic symbols of the mapped
// python3.11 executable or libpython3.11; 0 when neither has it.
uint64_t python_runtime_address(pid_t pid);

}  // namespace proclife::ktest
