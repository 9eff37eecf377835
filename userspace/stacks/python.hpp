// CPython support: finding the interpreter in a process, reading its code
// objects, and turning an instruction into a line. CPython 3.11 only: the
// layouts (python311.hpp) and the location table format change with every
// minor version; another version is found and reported, never read.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace proclife::stacks {

struct PythonRuntime {
  uint64_t runtime_address = 0;  // &_PyRuntime in the process
  uint64_t version = 0;          // Py_Version (PY_VERSION_HEX); 0: older than 3.11, which lacks it
  std::string module;            // the file that defines _PyRuntime

  bool supported() const { return (version >> 16) == 0x030b; }
};

// The interpreter of a running process, from the dynamic symbols of its
// executable or of a mapped libpython3.X.so. nullopt: not Python (or gone).
std::optional<PythonRuntime> find_python_runtime(pid_t pid);

struct PythonCode {
  std::string qualname, filename;
  uint32_t firstlineno = 0;
  std::string linetable;  // co_linetable, the 3.11 location table
};

// Line of code unit `index` (the instruction at co_code_adaptive[index]) from
// a 3.11 location table; 0 when the instruction has no line. A negative index
// (no instruction run yet) is the first line, as CPython has it.
uint32_t python_line(std::string_view linetable, uint32_t firstlineno, int64_t index);

// Code objects of one process, by address; read with process_vm_readv the
// first time a stack shows them. A code object lives as long as its function
// (usually the process), so an address is not expected to be reused for
// another code object while the process is traced.
class PythonCodeCache {
 public:
  // nullptr: not readable (the process is gone, or not a 3.11 code object).
  const PythonCode* get(pid_t pid, uint64_t code);
  size_t size() const { return codes_.size(); }

 private:
  std::unordered_map<uint64_t, PythonCode> codes_;
};

// The line a frame runs: prev_instr points at its current instruction.
uint32_t python_frame_line(const PythonCode& code, uint64_t code_address, uint64_t prev_instr);

}  // namespace proclife::stacks
