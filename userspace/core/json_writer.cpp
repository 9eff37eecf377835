#include "json_writer.hpp"

#include <charconv>
#include <ostream>
#include <stdexcept>

namespace proclife {
namespace {

constexpr char kHex[] = "0123456789abcdef";

struct Utf8Step {
  size_t length;  // of the sequence, or of the maximal invalid subpart
  bool valid;
};

// The UTF-8 sequence at text[i], by the well-formed byte ranges of Unicode's
// table 3-7 (no overlongs, no surrogates, nothing above U+10FFFF). An invalid
// one's length is its maximal subpart: the byte that broke it starts the next.
Utf8Step utf8_step(std::string_view text, size_t i) {
  auto lead = static_cast<uint8_t>(text[i]);
  if (lead < 0x80) return {1, true};
  size_t trailing;
  uint8_t low = 0x80, high = 0xBF;  // the range of the byte after the lead
  if (lead >= 0xC2 && lead <= 0xDF) {
    trailing = 1;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    trailing = 2;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    trailing = 3;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    return {1, false};
  }
  for (size_t k = 1; k <= trailing; ++k) {
    if (i + k >= text.size()) return {k, false};
    auto byte = static_cast<uint8_t>(text[i + k]);
    if (byte < low || byte > high) return {k, false};
    low = 0x80, high = 0xBF;
  }
  return {trailing + 1, true};
}

void append_u_escape(std::string& out, uint32_t code) {
  out += "\\u";
  for (int shift = 12; shift >= 0; shift -= 4) out += kHex[(code >> shift) & 0xF];
}

// The code point a terminal would act on, or 0: C1 controls, bidi controls.
uint32_t terminal_control(std::string_view sequence) {
  auto byte = [&](size_t k) { return static_cast<uint8_t>(sequence[k]); };
  if (sequence.size() == 2 && byte(0) == 0xC2 && byte(1) < 0xA0) return byte(1);
  if (sequence.size() == 3 && byte(0) == 0xE2) {
    uint32_t code = 0x2000 | (byte(1) & 0x3F) << 6 | (byte(2) & 0x3F);
    if ((code >= 0x202A && code <= 0x202E) || (code >= 0x2066 && code <= 0x2069)) return code;
  }
  return 0;
}

void append_hex_object(std::string& out, std::string_view bytes) {
  out += R"({"hex":")";
  for (char c : bytes) {
    auto byte = static_cast<uint8_t>(c);
    out += kHex[byte >> 4];
    out += kHex[byte & 0xF];
  }
  out += "\"}";
}

template <typename Number>
void append_number(std::string& out, Number number) {
  char digits[24];
  auto end = std::to_chars(digits, digits + sizeof digits, number).ptr;
  out.append(digits, end);
}

}  // namespace

void append_json_string(std::string& out, std::string_view text, InvalidUtf8 invalid) {
  size_t start = out.size();
  out += '"';
  size_t run = 0;  // start of the bytes that go out as they are
  for (size_t i = 0; i < text.size();) {
    auto byte = static_cast<uint8_t>(text[i]);
    if (byte >= 0x20 && byte < 0x7F && byte != '"' && byte != '\\') {
      ++i;
      continue;
    }
    Utf8Step step = utf8_step(text, i);
    uint32_t control = 0;
    if (step.valid && step.length > 1) {
      control = terminal_control(text.substr(i, step.length));
      if (!control) {
        i += step.length;
        continue;
      }
    }
    if (!step.valid && invalid == InvalidUtf8::hex_object) {
      out.resize(start);
      append_hex_object(out, text);
      return;
    }
    out.append(text.substr(run, i - run));
    i += step.length;
    run = i;
    if (!step.valid) {
      out += "\xEF\xBF\xBD";  // U+FFFD
      continue;
    }
    if (control) {
      append_u_escape(out, control);
      continue;
    }
    switch (byte) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default: append_u_escape(out, byte);  // the other C0 controls, DEL
    }
  }
  out.append(text.substr(run));
  out += '"';
}

void JsonWriter::newline_indent() {
  if (layout_ == JsonLayout::compact) return;
  out_ += '\n';
  out_.append(static_cast<size_t>(2 * (depth_ + static_cast<int>(empty_.size()))), ' ');
}

void JsonWriter::before_value() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (empty_.empty()) return;  // the top-level value
  if (!empty_.back()) out_ += ',';
  empty_.back() = false;
  newline_indent();
}

JsonWriter& JsonWriter::begin_object() {
  before_value();
  out_ += '{';
  empty_.push_back(true);
  return *this;
}

JsonWriter& JsonWriter::close(char bracket) {
  bool was_empty = empty_.back();
  empty_.pop_back();
  if (!was_empty) newline_indent();
  out_ += bracket;
  return *this;
}

JsonWriter& JsonWriter::end_object() { return close('}'); }

JsonWriter& JsonWriter::begin_array() {
  before_value();
  out_ += '[';
  empty_.push_back(true);
  return *this;
}

JsonWriter& JsonWriter::end_array() { return close(']'); }

JsonWriter& JsonWriter::key(std::string_view name) {
  if (!empty_.back()) out_ += ',';
  empty_.back() = false;
  newline_indent();
  append_json_string(out_, name, InvalidUtf8::replace);
  out_ += layout_ == JsonLayout::compact ? ":" : ": ";
  after_key_ = true;
  return *this;
}

JsonWriter& JsonWriter::value(std::string_view text) {
  before_value();
  append_json_string(out_, text, invalid_);
  return *this;
}

JsonWriter& JsonWriter::value(int64_t number) {
  before_value();
  append_number(out_, number);
  return *this;
}

JsonWriter& JsonWriter::value(uint64_t number) {
  before_value();
  append_number(out_, number);
  return *this;
}

JsonWriter& JsonWriter::value(bool flag) {
  before_value();
  out_ += flag ? "true" : "false";
  return *this;
}

JsonWriter& JsonWriter::null() {
  before_value();
  out_ += "null";
  return *this;
}

JsonWriter& JsonWriter::value(const std::vector<std::string>& strings) {
  begin_array();
  for (const auto& text : strings) value(text);
  return end_array();
}

JsonWriter& JsonWriter::decimal(uint64_t whole, uint32_t fraction, int digits) {
  if (digits < 1 || digits > 9) throw std::invalid_argument("JsonWriter::decimal: 1 to 9 digits");
  before_value();
  append_number(out_, whole);
  out_ += '.';
  char places[9];
  for (int k = digits - 1; k >= 0; --k, fraction /= 10) places[k] = static_cast<char>('0' + fraction % 10);
  out_.append(places, static_cast<size_t>(digits));
  return *this;
}

void JsonWriter::spill(std::ostream& out, size_t at_least) {
  if (out_.size() < at_least) return;
  out.write(out_.data(), static_cast<std::streamsize>(out_.size()));
  out_.clear();
}

}  // namespace proclife
