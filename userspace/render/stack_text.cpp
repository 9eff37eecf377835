#include "stack_text.hpp"

#include <fmt/format.h>

#include <array>

#include "escape.hpp"
#include "format.hpp"

namespace proclife {
namespace {

std::string_view basename(std::string_view path) {
  auto slash = path.find_last_of('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

// glibc (libc.so.6, libc-2.31.so, libpthread before 2.34), musl (libc.musl-*), the loaders.
bool in_libc(const Frame& frame) {
  if (frame.kind != Frame::Kind::native) return false;
  static constexpr std::array<std::string_view, 6> kPrefixes{"libc.", "libc-", "libpthread", "ld-linux",
                                                             "ld-musl", "ld-2."};
  std::string_view name = basename(frame.module);
  for (auto prefix : kPrefixes)
    if (name.starts_with(prefix)) return true;
  return false;
}

// Names are cut so that a frame reads in a line, and a report's size stays in
// proportion to the recording it came from.
constexpr size_t kMaxSymbolChars = 160, kMaxFileChars = 80;

std::string shown(std::string_view name, size_t max_chars) { return clip(printable(name), max_chars); }

}  // namespace

std::string frame_text(const Frame& frame) {
  std::string text;
  if (!frame.symbol.empty()) text = shown(frame.symbol, kMaxSymbolChars);
  else if (frame.kind == Frame::Kind::python) text = "?";
  else if (!frame.module.empty())
    text = fmt::format("{}+0x{:x}", shown(basename(frame.module), kMaxFileChars), frame.module_address);
  else text = fmt::format("0x{:x}", frame.pc);
  if (frame.file.empty()) return text;
  text += " (" + shown(basename(frame.file), kMaxFileChars);
  if (frame.line) text += fmt::format(":{}", frame.line);
  return text + ")";
}

std::span<const Frame> readable_frames(const Stack& stack) {
  std::span<const Frame> frames(stack.frames);
  size_t wrappers = 0;
  while (wrappers < frames.size() && in_libc(frames[wrappers])) ++wrappers;
  return wrappers < frames.size() ? frames.subspan(wrappers) : frames;
}

const Frame* innermost_frame(const Stack& stack) {
  for (const auto& frame : stack.frames)
    if (frame.kind == Frame::Kind::python) return &frame;
  auto frames = readable_frames(stack);
  return frames.empty() ? nullptr : &frames.front();
}

std::vector<std::string> stack_parts(const Stack& stack, size_t max_frames) {
  std::vector<std::string> parts;
  auto frames = readable_frames(stack);
  for (size_t i = 0; i < frames.size() && i < max_frames; ++i)
    parts.push_back((i ? "<- " : "") + frame_text(frames[i]));
  if (frames.size() > max_frames || (stack.truncated && !frames.empty())) parts.push_back("<- ...");
  if (frames.empty()) parts.push_back("no frames");
  if (!stack.incomplete.empty()) parts.push_back("(incomplete: " + shown(stack.incomplete, kMaxSymbolChars) + ")");
  return parts;
}

std::string stack_chain(const Stack& stack, size_t max_frames) {
  std::string text;
  for (const auto& part : stack_parts(stack, max_frames)) text += (text.empty() ? "" : " ") + part;
  return text;
}

std::string wrap_stack(const Stack& stack, std::string_view indent, size_t width) {
  std::string out, line;
  for (const auto& part : stack_parts(stack)) {
    if (!line.empty() && utf8_length(line) + 1 + utf8_length(part) > width) {
      out += line + '\n';
      line.clear();
    }
    line += line.empty() ? std::string(indent) + part : " " + part;
  }
  return out + line + '\n';
}

}  // namespace proclife
