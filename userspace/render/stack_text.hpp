// How a call stack (--stacks) reads in the human-readable reports. Every name
// in a frame (symbol, file, module) is the traced process's choice: all of
// it comes out through printable().
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "stack.hpp"

namespace proclife {

// Enough to see who called, short enough to read in a line or three.
inline constexpr size_t kShownFrames = 8;

// A Python frame "qualname (basename:line)"; a native one its symbol, or
// "module+0xoffset" without one ("0x7f…" in anonymous memory), then
// "(basename:line)" when its source is known.
std::string frame_text(const Frame& frame);

// The frames worth reading: the innermost ones in libc or the dynamic loader
// (the syscall wrappers) left out, unless nothing would be left.
std::span<const Frame> readable_frames(const Stack& stack);

// The innermost meaningful frame: the first Python frame, else the first
// native frame outside libc and the loader, else the first; nullptr when
// there are no frames.
const Frame* innermost_frame(const Stack& stack);

// The readable frames, innermost first, as "a", "<- b", "<- c", … at most
// `max_frames` of them, then "<- ..." when more (or the copy stopped early),
// and why frames are missing when the resolver said.
std::vector<std::string> stack_parts(const Stack& stack, size_t max_frames = kShownFrames);
// The parts on one line.
std::string stack_chain(const Stack& stack, size_t max_frames = kShownFrames);
// The parts wrapped to `width` columns, each line `indent` first and '\n' last.
std::string wrap_stack(const Stack& stack, std::string_view indent, size_t width = 80);

}  // namespace proclife
