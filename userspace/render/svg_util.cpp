#include "svg_util.hpp"

#include <fmt/format.h>

#include <cmath>

#include "render_common.hpp"

namespace proclife {

std::string xml_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    switch (text[i]) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      case '\xEF':  // U+FFFE and U+FFFF are valid UTF-8 but not XML characters
        if (text.substr(i, 2) == "\xEF\xBF" && i + 2 < text.size() && (text[i + 2] == '\xBE' || text[i + 2] == '\xBF')) {
          out += text[i + 2] == '\xBE' ? "\\uFFFE" : "\\uFFFF";
          i += 2;
          break;
        }
        [[fallthrough]];
      default: out += text[i];
    }
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
  std::vector<TimeTick> ticks;
  for (uint64_t ns = 0; ns <= span_ns; ns += step)
    ticks.push_back({ns, ns == 0 ? "0" : fmt::format("{:.{}f} {}", static_cast<double>(ns) / unit.ns, decimals, unit.name)});
  return ticks;
}

}  // namespace proclife
