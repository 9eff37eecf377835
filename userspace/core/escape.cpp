#include "escape.hpp"

#include <cctype>
#include <cstdint>

namespace proclife {
namespace {

// Length of the well-formed UTF-8 sequence at text[i], or 0; its code point in `code_out`.
size_t utf8_sequence_length(std::string_view text, size_t i, uint32_t* code_out = nullptr) {
  auto byte = [&](size_t k) { return static_cast<uint8_t>(text[k]); };
  uint8_t lead = byte(i);
  size_t len;
  uint32_t min_code;
  if (lead < 0x80) {
    if (code_out) *code_out = lead;
    return 1;
  }
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
  if (code_out) *code_out = code;
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

// Code points that reorder or hide the text around them on a terminal
// (bidi embeddings, overrides, isolates and marks) or break its lines.
bool is_format_control(uint32_t code) {
  return code == 0x061C || code == 0x200E || code == 0x200F || (code >= 0x2028 && code <= 0x202E) ||
         (code >= 0x2066 && code <= 0x2069);
}

// Bytes printable() would not pass through as they are (the backslash aside).
bool needs_escape(size_t len, uint32_t code) {
  if (len == 0) return true;
  if (len == 1) return code < 0x20 || code == 0x7F;
  return (code >= 0x80 && code <= 0x9F) || is_format_control(code);
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
    uint32_t code = 0;
    size_t len = utf8_sequence_length(text, i, &code);
    if (len == 0) {
      append_hex(out, byte);
      i += 1;
    } else if (len == 1 && (byte < 0x20 || byte == 0x7F)) {
      append_control(out, byte);
      i += 1;
    } else if (len == 1 && byte == '\\') {
      out += "\\\\";
      i += 1;
    } else if (len == 2 && code <= 0x9F) {
      // U+0080..U+009F: C1 controls; some terminals take U+009B as CSI.
      append_hex(out, byte);
      append_hex(out, static_cast<uint8_t>(text[i + 1]));
      i += 2;
    } else if (is_format_control(code)) {
      // A right-to-left override would show the rest of the line reversed.
      static constexpr char digits[] = "0123456789abcdef";
      out += "\\u";
      for (int shift = 12; shift >= 0; shift -= 4) out += digits[(code >> shift) & 0xF];
      i += len;
    } else {
      out.append(text.substr(i, len));
      i += len;
    }
  }
  return out;
}

// POSIX shell quoting of the bytes themselves, so that the shell reads back
// exactly the argument that ran: bare when nothing in it is special, in
// single quotes when it is printable, else in $'...' (POSIX.1-2024, bash,
// zsh, ksh) with every byte a terminal must not see written as an escape.
std::string shell_quote(std::string_view arg) {
  bool plain = !arg.empty(), printable_text = true;
  for (size_t i = 0; i < arg.size();) {
    uint32_t code = 0;
    size_t len = utf8_sequence_length(arg, i, &code);
    plain = plain && len == 1 && is_shell_safe(arg[i]);
    if (needs_escape(len, code)) printable_text = false;
    i += len ? len : 1;
  }
  if (plain) return std::string(arg);
  std::string out;
  if (printable_text) {
    out = "'";
    for (char c : arg) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
  }
  out = "$'";
  bool after_hex = false;  // \xNN takes more hex digits in some shells: none may follow it
  for (size_t i = 0; i < arg.size();) {
    uint32_t code = 0;
    size_t len = utf8_sequence_length(arg, i, &code);
    if (needs_escape(len, code)) {
      size_t bytes = len ? len : 1;
      if (len == 1 && (code == '\n' || code == '\t' || code == '\r' || code == 0x1B)) {
        append_control(out, static_cast<uint8_t>(code));
        after_hex = false;
      } else {
        for (size_t k = 0; k < bytes; ++k) append_hex(out, static_cast<uint8_t>(arg[i + k]));
        after_hex = true;
      }
      i += bytes;
      continue;
    }
    char c = arg[i];
    if (after_hex && std::isxdigit(static_cast<unsigned char>(c))) out += "'$'";
    after_hex = false;
    if (c == '\\' || c == '\'') out += '\\';
    out.append(arg.substr(i, len));
    i += len;
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
