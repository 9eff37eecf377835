// Python frames in the native stack: each call of the interpreter loop ran
// one or more Python frames, the first of them marked as its entry frame.
#pragma once

#include <vector>

#include "stack.hpp"

namespace proclife::stacks {

struct PythonFrame {
  Frame frame;  // kind python
  bool is_entry = false;
};

// The native frames (innermost first) with every _PyEval_EvalFrameDefault
// frame replaced by the Python frames it ran: the next ones in order, up to
// and including the next entry frame. Python frames left over (the
// interpreter loop not found, a native unwind cut short) go at the end
// rather than being dropped; an interpreter loop frame with none left to
// give stays as it is.
std::vector<Frame> merge_python(std::vector<Frame> native, const std::vector<PythonFrame>& python);

}  // namespace proclife::stacks
