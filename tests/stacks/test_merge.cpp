// Python frames merged into native stacks: synthetic frames, every case.
#include <catch2/catch.hpp>

#include "merge.hpp"

using namespace proclife;
using namespace proclife::stacks;

namespace {

Frame native(const std::string& symbol) { return Frame{.symbol = symbol}; }

PythonFrame python(const std::string& qualname, bool is_entry) {
  return {Frame{.kind = Frame::Kind::python, .symbol = qualname}, is_entry};
}

std::vector<std::string> names(const std::vector<Frame>& frames) {
  std::vector<std::string> out;
  for (const Frame& f : frames) out.push_back((f.kind == Frame::Kind::python ? "py:" : "") + f.symbol);
  return out;
}

const std::string eval = "_PyEval_EvalFrameDefault";

}  // namespace

TEST_CASE("each interpreter loop frame is replaced by the Python frames it ran, up to its entry frame", "[stacks]") {
  // main -> eval(f, g) -> builtin call -> eval(h) -> wait4, innermost first.
  std::vector<Frame> stack = {native("wait4"), native(eval), native("builtin_call"), native(eval), native("main")};
  std::vector<PythonFrame> py = {python("h", true), python("g", false), python("f", true)};
  CHECK(names(merge_python(stack, py)) ==
        std::vector<std::string>{"wait4", "py:h", "builtin_call", "py:g", "py:f", "main"});
}

TEST_CASE("Python frames with no interpreter loop frame left are appended, not dropped", "[stacks]") {
  std::vector<Frame> stack = {native("wait4"), native("fn@0x1234")};
  std::vector<PythonFrame> py = {python("h", true), python("g", true)};
  CHECK(names(merge_python(stack, py)) == std::vector<std::string>{"wait4", "fn@0x1234", "py:h", "py:g"});
}

TEST_CASE("an interpreter loop frame with no Python frames left stays native", "[stacks]") {
  std::vector<Frame> stack = {native(eval), native(eval), native("main")};
  std::vector<PythonFrame> py = {python("f", true)};
  CHECK(names(merge_python(stack, py)) == std::vector<std::string>{"py:f", eval, "main"});
}

TEST_CASE("a stack without Python frames is unchanged", "[stacks]") {
  std::vector<Frame> stack = {native("wait4"), native(eval), native("main")};
  CHECK(names(merge_python(stack, {})) == std::vector<std::string>{"wait4", eval, "main"});
}
