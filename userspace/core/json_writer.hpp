// The one JSON writer: every JSON proclife writes (the JSON report, Perfetto's
// trace events, the recording) goes through it, straight into a string,
// without building a document first: the JSON report of a hundred thousand
// processes is written at a few hundred nanoseconds per field.
//
// Layout: `pretty` is nlohmann::json::dump(2) byte for byte, `compact` is
// dump(-1) (no whitespace at all).
//
// Strings are bytes a traced process chose. The writer escapes, as \u00XX or
// JSON's short escapes, what JSON requires (", \, C0 controls) and also what a
// terminal would act on when the JSON is shown on one: DEL, the C1 controls
// U+0080..U+009F (U+009B is CSI on some terminals) and the bidi controls
// U+202A..U+202E, U+2066..U+2069. Every escape reads back as the same bytes.
// Bytes that are not UTF-8 are handled by one rule, chosen per writer:
//   replace:    each maximal invalid subpart becomes U+FFFD (the Unicode
//               recommended practice, and what nlohmann's error_handler_t::
//               replace does): reports, which must be valid JSON.
//   hex_object: the whole string is written as {"hex":"<lowercase hex bytes>"}
//               in its place: the recording, which must lose no byte.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace proclife {

template <typename T, T kNone>
class Sentinel;  // sentinel.hpp

enum class JsonLayout { pretty, compact };
enum class InvalidUtf8 { replace, hex_object };

class JsonWriter {
 public:
  // `depth`: the nesting level the first value starts at (for streaming a
  // value that sits inside an enclosing document).
  explicit JsonWriter(std::string& out, int depth = 0) : out_(out), depth_(depth) {}
  JsonWriter(std::string& out, JsonLayout layout, InvalidUtf8 invalid = InvalidUtf8::replace)
      : out_(out), layout_(layout), invalid_(invalid) {}

  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  JsonWriter& key(std::string_view name);  // then exactly one value

  JsonWriter& value(std::string_view text);
  JsonWriter& value(const char* text) { return value(std::string_view(text)); }
  JsonWriter& value(const std::string& text) { return value(std::string_view(text)); }
  JsonWriter& value(int64_t number);
  JsonWriter& value(uint64_t number);
  JsonWriter& value(int32_t number) { return value(static_cast<int64_t>(number)); }
  JsonWriter& value(uint32_t number) { return value(static_cast<uint64_t>(number)); }
  JsonWriter& value(bool flag);
  JsonWriter& null();
  template <typename T>
  JsonWriter& value(const std::optional<T>& maybe) {
    return maybe ? value(*maybe) : null();
  }
  template <typename T, T kNone>
  JsonWriter& value(const Sentinel<T, kNone>& maybe) {
    return maybe ? value(*maybe) : null();
  }
  JsonWriter& value(const std::vector<std::string>& strings);
  // The exact decimal whole.fraction, the fraction zero-padded to `digits`
  // (1..9) digits: decimal(12, 5, 3) is 12.005. No binary floating point.
  JsonWriter& decimal(uint64_t whole, uint32_t fraction, int digits);

  // Hands what is written so far to `out` once it holds at least `at_least`
  // bytes (streaming a large document in pieces). The caller checks `out`.
  void spill(std::ostream& out, size_t at_least = 64 << 10);

 private:
  void before_value();
  JsonWriter& close(char bracket);
  void newline_indent();

  std::string& out_;
  int depth_ = 0;
  JsonLayout layout_ = JsonLayout::pretty;
  InvalidUtf8 invalid_ = InvalidUtf8::replace;
  std::vector<bool> empty_;  // per open container: nothing written in it yet
  bool after_key_ = false;
};

// `text` as one JSON value appended to `out`: a string escaped as above, or
// (hex_object, when `text` is not UTF-8) {"hex":"..."}.
void append_json_string(std::string& out, std::string_view text, InvalidUtf8 invalid);

}  // namespace proclife
