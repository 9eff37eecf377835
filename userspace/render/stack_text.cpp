#include "stack_text.hpp"

#include <fmt/format.h>

#include <algorithm>
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

// The CPython interpreter: the python3.X executable or libpython3.X.so.
bool in_interpreter(const Frame& frame) {
  if (frame.kind != Frame::Kind::native) return false;
  std::string_view name = basename(frame.module);
  return name.starts_with("python") || name.starts_with("libpython");
}

bool interpreter_entry_point(const Frame& frame) {
  std::string_view symbol = frame.symbol;
  return symbol.starts_with("Py_") || symbol.starts_with("atexit_");
}

// Names are cut so that a frame reads in a line, and a report's size stays in
// proportion to the recording it came from.
constexpr size_t kMaxSymbolChars = 160, kMaxFileChars = 80;

std::string shown(std::string_view name, size_t max_chars) { return clip(printable(name), max_chars); }

// GCC names the copies it makes of a function os_waitpid.lto_priv.0,
// wait_for.isra.0, f.constprop.0.cold, and glibc's dynamic symbols carry
// their version (__libc_start_main@@GLIBC_2.34): to a reader they are the
// function.
std::string_view without_clone_suffix(std::string_view symbol) {
  static constexpr std::array<std::string_view, 6> kSuffixes{".lto_priv.", ".isra.", ".constprop.", ".part.", ".cold",
                                                             "@"};
  size_t cut = symbol.size();
  for (auto suffix : kSuffixes)
    if (auto at = symbol.find(suffix); at != std::string_view::npos && at > 0) cut = std::min(cut, at);
  return symbol.substr(0, cut);
}

}  // namespace

std::string frame_text(const Frame& frame) {
  std::string text;
  if (!frame.symbol.empty())
    text = shown(frame.kind == Frame::Kind::native ? without_clone_suffix(frame.symbol) : frame.symbol, kMaxSymbolChars);
  else if (frame.kind == Frame::Kind::python) text = "?";
  else if (!frame.module.empty())
    text = fmt::format("{}+0x{:x}", shown(basename(frame.module), kMaxFileChars), frame.module_address);
  else text = fmt::format("0x{:x}", frame.pc);
  if (frame.file.empty()) return text;
  text += " (" + shown(basename(frame.file), kMaxFileChars);
  if (frame.line) text += fmt::format(":{}", frame.line);
  return text + ")";
}

std::vector<const Frame*> readable_frames(const Stack& stack) {
  const auto& frames = stack.frames;
  size_t first = 0;
  while (first < frames.size() && in_libc(frames[first])) ++first;
  if (first == frames.size()) first = 0;
  bool python = false;
  for (const auto& frame : frames) python |= frame.kind == Frame::Kind::python;
  std::vector<const Frame*> shown;
  for (size_t i = first; i < frames.size(); ++i) {
    const Frame& frame = frames[i];
    bool plumbing = python && i > first && in_interpreter(frame) && !interpreter_entry_point(frame);
    if (!plumbing) shown.push_back(&frame);
  }
  return shown;
}

const Frame* innermost_frame(const Stack& stack) {
  for (const auto& frame : stack.frames)
    if (frame.kind == Frame::Kind::python) return &frame;
  auto frames = readable_frames(stack);
  return frames.empty() ? nullptr : frames.front();
}

std::vector<std::string> stack_parts(const Stack& stack, size_t max_frames) {
  std::vector<std::string> parts;
  auto frames = readable_frames(stack);
  for (size_t i = 0; i < frames.size() && i < max_frames; ++i)
    parts.push_back((i ? "<- " : "") + frame_text(*frames[i]));
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
