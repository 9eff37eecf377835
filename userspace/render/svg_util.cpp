#include "svg_util.hpp"

#include <fmt/format.h>

#include <cmath>

#include "escape.hpp"
#include "render_common.hpp"

namespace proclife {

std::string xml_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    auto byte = static_cast<uint8_t>(text[i]);
    switch (text[i]) {
      case '&': out += "&amp;"; continue;
      case '<': out += "&lt;"; continue;
      case '>': out += "&gt;"; continue;
      case '"': out += "&quot;"; continue;
      case '\'': out += "&apos;"; continue;
      case '\t':
      case '\n': out += text[i]; continue;
      default: break;
    }
    if (byte < 0x20) {  // not from printable(): XML 1.0 has no such character
      out += fmt::format("\\x{:02x}", byte);
      continue;
    }
    if (byte < 0x80) {
      out += text[i];
      continue;
    }
    // Only well-formed UTF-8 of an XML character passes: a stray byte, a
    // surrogate, U+FFFE and U+FFFF are written as escapes.
    size_t len = (byte & 0xE0) == 0xC0 ? 2 : (byte & 0xF0) == 0xE0 ? 3 : (byte & 0xF8) == 0xF0 ? 4 : 0;
    std::string_view sequence = len && i + len <= text.size() ? text.substr(i, len) : std::string_view();
    if (!sequence.empty() && is_valid_utf8(sequence)) {
      if (sequence == "\xEF\xBF\xBE" || sequence == "\xEF\xBF\xBF") {
        out += sequence[2] == '\xBE' ? "\\uFFFE" : "\\uFFFF";
      } else {
        out += sequence;
      }
      i += len - 1;
      continue;
    }
    out += fmt::format("\\x{:02x}", byte);
  }
  return out;
}

std::string tspans(const std::vector<TextRun>& runs, size_t max_chars) {
  std::string out;
  size_t left = max_chars;
  for (const auto& run : runs) {
    if (left == 0) break;
    size_t length = utf8_length(run.text);
    std::string text = length > left ? clip(run.text, left) : run.text;
    left = length > left ? 0 : left - length;
    if (run.css_class.empty()) out += xml_text(text);
    else out += fmt::format("<tspan class=\"{}\">{}</tspan>", run.css_class, xml_text(text));
  }
  return out;
}

std::vector<TimeTick> time_ticks(uint64_t span_ns, size_t target) {
  span_ns = std::max<uint64_t>(span_ns, 1);
  double raw = static_cast<double>(span_ns) / static_cast<double>(std::max<size_t>(target, 1));
  uint64_t step = 1;
  while (step * 10 <= raw) step *= 10;
  for (uint64_t multiple : {1, 2, 5, 10})
    if (static_cast<double>(step * multiple) >= raw) {
      step *= multiple;
      break;
    }
  struct Unit {
    uint64_t ns;
    const char* name;
  };
  static constexpr Unit units[] = {{1, "ns"}, {1000, "µs"}, {1000000, "ms"}, {1000000000, "s"}};
  Unit unit = units[0];
  for (const auto& candidate : units)
    if (span_ns >= candidate.ns) unit = candidate;
  // Decimals enough to tell one step from the next: a 0.5 ms step needs one.
  int decimals = step >= unit.ns ? 0 : static_cast<int>(std::ceil(std::log10(static_cast<double>(unit.ns) / step)));
  // k * step never passes span_ns, so never wraps; and however the span
  // came to be (a stamp near 2^64), there are about `target` ticks.
  uint64_t count = std::min<uint64_t>(span_ns / step, 2 * target + 2);
  std::vector<TimeTick> ticks;
  for (uint64_t k = 0; k <= count; ++k) {
    uint64_t ns = k * step;
    ticks.push_back({ns, ns == 0 ? "0" : fmt::format("{:.{}f} {}", static_cast<double>(ns) / unit.ns, decimals, unit.name)});
  }
  return ticks;
}

}  // namespace proclife
