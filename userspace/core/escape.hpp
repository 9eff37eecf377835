// A traced process chooses its own comm, argv and paths: every byte of them
// is hostile. These make such strings safe for a terminal and a shell reader.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace proclife {

// Valid, printable UTF-8 passes; control characters (C0, DEL, C1), backslash
// and bytes that are not UTF-8 become C-style escapes (\n, \e, \\, \xNN).
// Nothing returned can move a terminal's cursor or start an escape sequence.
std::string printable(std::string_view text);

// printable(), single-quoted the way a shell would read it when needed.
std::string shell_quote(std::string_view arg);
std::string shell_join(const std::vector<std::string>& argv);

// True when `text` is well-formed UTF-8 (no overlongs, no surrogates).
bool is_valid_utf8(std::string_view text);

}  // namespace proclife
