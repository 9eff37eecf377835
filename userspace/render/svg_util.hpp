// Small pieces of the SVG renderer: XML-safe text, styled text runs cut to a
// width, and time-axis ticks at round values.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace proclife {

// Character data or an attribute value. `printable_text` comes from
// printable(): no control characters, valid UTF-8. This escapes the markup
// characters and the two code points XML 1.0 forbids besides (U+FFFE, U+FFFF).
std::string xml_text(std::string_view printable_text);

// A run of text with a CSS class ("" for none).
struct TextRun {
  std::string text;  // printable
  std::string css_class;
};

// <tspan>s for the runs, the whole cut to `max_chars` code points ("…").
std::string tspans(const std::vector<TextRun>& runs, size_t max_chars);

struct TimeTick {
  uint64_t ns;        // from the trace start
  std::string label;  // "0", "20 ms", "1.5 s"
};

// About `target` ticks over [0, span_ns], at steps of 1, 2 or 5 times a power
// of ten, labelled in the unit that suits the span.
std::vector<TimeTick> time_ticks(uint64_t span_ns, size_t target);

}  // namespace proclife
