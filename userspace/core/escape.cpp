#include "escape.hpp"

#include <cstdint>

namespace proclife {
namespace {

// Length of the well-formed UTF-8 sequence at text[i], or 0.
size_t utf8_sequence_length(std::string_view text, size_t i) {
  auto byte = [&](size_t k) { return static_cast<uint8_t>(text[k]); };
  uint8_t lead = byte(i);
  size_t len;
  uint32_t min_code;
  if (lead < 0x80) return 1;
  if ((lead & 0xE0) == 0xC0) len = 2, min_code = 0x80;
  else if ((lead & 0xF0) == 0xE0) len = 3, min_code = 0x800;
  else if ((lead & 0xF8) == 0xF0) len = 4, min_code = 0x10000;
  else return 0;
  if (i + len > text.size()) return 0;
  uint32_t code = lead & (0x7F >> len);
  for (size_t k = 1; k < len; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    code = code << 6 | (byte(i + k) & 0x3F);
  }
  if (code < min_code || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return 0;
  return len;
}

void append_hex(std::string& out, uint8_t byte) {
  static constexpr char digits[] = "0123456789abcdef";
  out += "\\x";
  out += digits[byte >> 4];
  out += digits[byte & 0xF];
}

void append_control(std::string& out, uint8_t byte) {
  switch (byte) {
    case '\n': out += "\\n"; return;
    case '\t': out += "\\t"; return;
    case '\r': out += "\\r"; return;
    case 0x1B: out += "\\e"; return;
    default: append_hex(out, byte);
  }
}

bool is_shell_safe(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("_-./=:,+@%").find(c) != std::string_view::npos;
}

}  // namespace

std::string printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    auto byte = static_cast<uint8_t>(text[i]);
    size_t len = utf8_sequence_length(text, i);
    if (len == 0) {
      append_hex(out, byte);
      i += 1;
    } else if (len == 1 && (byte < 0x20 || byte == 0x7F)) {
      append_control(out, byte);
      i += 1;
    } else if (len == 1 && byte == '\\') {
      out += "\\\\";
      i += 1;
    } else if (len == 2 && byte == 0xC2 && static_cast<uint8_t>(text[i + 1]) < 0xA0) {
      // U+0080..U+009F: C1 controls; some terminals take U+009B as CSI.
      append_hex(out, byte);
      append_hex(out, static_cast<uint8_t>(text[i + 1]));
      i += 2;
    } else {
      out.append(text.substr(i, len));
      i += len;
    }
  }
  return out;
}

std::string shell_quote(std::string_view arg) {
  std::string safe = printable(arg);
  bool plain = !safe.empty();
  for (char c : safe) plain = plain && is_shell_safe(c);
  if (plain) return safe;
  std::string out = "'";
  for (char c : safe) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out + "'";
}

std::string shell_join(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& arg : argv) {
    if (!out.empty()) out += ' ';
    out += shell_quote(arg);
  }
  return out;
}

bool is_valid_utf8(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    size_t len = utf8_sequence_length(text, i);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

}  // namespace proclife
