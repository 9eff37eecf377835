#include "merge.hpp"

namespace proclife::stacks {

std::vector<Frame> merge_python(std::vector<Frame> native, const std::vector<PythonFrame>& python) {
  std::vector<Frame> merged;
  merged.reserve(native.size() + python.size());
  size_t next = 0;
  for (Frame& frame : native) {
    if (frame.symbol != "_PyEval_EvalFrameDefault" || next == python.size()) {
      merged.push_back(std::move(frame));
      continue;
    }
    while (next < python.size()) {
      merged.push_back(python[next].frame);
      if (python[next++].is_entry) break;
    }
  }
  for (; next < python.size(); ++next) merged.push_back(python[next].frame);
  return merged;
}

}  // namespace proclife::stacks
