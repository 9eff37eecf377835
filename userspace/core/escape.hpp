// A traced process chooses its own comm, argv and paths: every byte of them
// is hostile. These make such strings safe for a terminal and a shell reader.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace proclife {

// Valid, printable UTF-8 passes; control characters (C0, DEL, C1), backslash
// and bytes that are not UTF-8 become C-style escapes (\n, \e, \\, \xNN),
// and the bidi controls and line separators (U+061C, U+200E, U+200F,
// U+2028..U+202E, U+2066..U+2069) \u202e. Nothing returned can move a
// terminal's cursor, start an escape sequence or reorder the text after it.
std::string printable(std::string_view text);

// `arg` as a POSIX shell reads it back byte for byte: bare when plain, in
// single quotes when printable() would leave it alone (backslashes and
// all), else in $'...' with the escapes printable() shows (\n, \e, \xNN;
// a bidi control as its UTF-8 bytes, \xe2\x80\xae). Terminal-safe as printable().
std::string shell_quote(std::string_view arg);
std::string shell_join(const std::vector<std::string>& argv);

// True when `text` is well-formed UTF-8 (no overlongs, no surrogates).
bool is_valid_utf8(std::string_view text);

}  // namespace proclife
