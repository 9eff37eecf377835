// A traced process picks its own comm and argv, so they are hostile input for
// the terminal proclife prints to. printable() must leave nothing a terminal
// could act on, and must keep honest text (real UTF-8) readable.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "escape.hpp"

using namespace proclife;
using namespace std::string_literals;

namespace {

// Nothing a terminal acts on: no C0 control, no DEL, no C1 control (as
// UTF-8, C2 80..C2 9F), and well-formed UTF-8 throughout.
bool terminal_safe(const std::string& text) {
  for (size_t i = 0; i < text.size(); ++i) {
    auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x20 || byte == 0x7f) return false;
    if (byte == 0xc2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) < 0xa0) return false;
  }
  return is_valid_utf8(text);
}

}  // namespace

TEST_CASE("printable turns an ANSI escape sequence into text without the ESC byte", "[escape]") {
  std::string out = printable("\x1b[31mred\x1b[0m");
  CHECK(out == "\\e[31mred\\e[0m");
  CHECK(out.find('\x1b') == std::string::npos);
}

TEST_CASE("printable escapes newline, tab, carriage return and NUL", "[escape]") {
  CHECK(printable("a\nb") == "a\\nb");
  CHECK(printable("a\tb") == "a\\tb");
  CHECK(printable("a\rb") == "a\\rb");
  CHECK(printable("a\0b"s) == "a\\x00b");
}

TEST_CASE("printable escapes the other C0 controls and DEL as hex", "[escape]") {
  CHECK(printable("\x07") == "\\x07");  // BEL
  CHECK(printable("\x08") == "\\x08");  // backspace: could overwrite what came before
  CHECK(printable("\x1f") == "\\x1f");
  CHECK(printable("\x7f") == "\\x7f");
  for (int byte = 0; byte < 0x20; ++byte) {
    INFO("byte " << byte);
    CHECK(terminal_safe(printable(std::string(1, static_cast<char>(byte)))));
  }
}

TEST_CASE("printable escapes C1 controls, which some terminals read as CSI", "[escape]") {
  CHECK(printable("\xc2\x9b" "2J") == "\\xc2\\x9b2J");  // U+009B CSI
  CHECK(printable("\xc2\x80") == "\\xc2\\x80");         // U+0080, the first C1
  CHECK(printable("\xc2\x9f") == "\\xc2\\x9f");         // U+009F, the last C1
  CHECK(printable("\xc2\xa0") == "\xc2\xa0");           // U+00A0 is text again
}

TEST_CASE("printable escapes each byte that is not UTF-8", "[escape]") {
  CHECK(printable("\xff") == "\\xff");
  CHECK(printable("a\xfe" "b") == "a\\xfeb");
  CHECK(printable("\x80") == "\\x80");                            // a lone continuation byte
  CHECK(printable("\xe2\x82") == "\\xe2\\x82");                   // € cut short at the end
  CHECK(printable("\xe2\x82x") == "\\xe2\\x82x");                 // € cut short by ASCII
  CHECK(printable("\xf0\x9f\x98") == "\\xf0\\x9f\\x98");          // an emoji cut short
  CHECK(printable("\xc0\xaf") == "\\xc0\\xaf");                   // overlong '/'
  CHECK(printable("\xe0\x80\xaf") == "\\xe0\\x80\\xaf");          // overlong '/', 3 bytes
  CHECK(printable("\xed\xa0\x80") == "\\xed\\xa0\\x80");          // surrogate U+D800
  CHECK(printable("\xf4\x90\x80\x80") == "\\xf4\\x90\\x80\\x80");  // beyond U+10FFFF
  CHECK(printable("\xf8\x88\x80\x80\x80") == "\\xf8\\x88\\x80\\x80\\x80");
}

TEST_CASE("printable passes valid multibyte UTF-8 unchanged", "[escape]") {
  for (std::string text : {"héllo"s, "€"s, "日本語"s, "😀"s, "\xf4\x8f\xbf\xbf"s /* U+10FFFF */, "Ünïcödé sleep"s}) {
    INFO(text);
    CHECK(printable(text) == text);
  }
}

TEST_CASE("printable doubles a backslash so an escape in the text cannot pass for ours", "[escape]") {
  CHECK(printable("a\\b") == "a\\\\b");
  // The four characters `\e[2` must not render like ESC [ 2.
  CHECK(printable("\\e[2J") != printable("\x1b[2J"));
  CHECK(printable("\\x1b") != printable("\x1b"));
}

TEST_CASE("printable leaves plain ASCII alone", "[escape]") {
  CHECK(printable("") == "");
  CHECK(printable("sleep 0.1; exit 3 'quoted' \"dq\" $HOME ~") == "sleep 0.1; exit 3 'quoted' \"dq\" $HOME ~");
}

TEST_CASE("printable of any one or two bytes is safe for a terminal", "[escape]") {
  // Exhaustive over short inputs: every lead/continuation combination.
  for (int a = 0; a < 256; ++a) {
    std::string one(1, static_cast<char>(a));
    if (!terminal_safe(printable(one))) FAIL("unsafe output for byte " << a);
    for (int b = 0; b < 256; ++b) {
      std::string two{static_cast<char>(a), static_cast<char>(b)};
      if (!terminal_safe(printable(two))) FAIL("unsafe output for bytes " << a << ", " << b);
    }
  }
  SUCCEED("every one- and two-byte input came out safe");
}

TEST_CASE("shell_quote leaves plain words bare", "[escape]") {
  CHECK(shell_quote("ls") == "ls");
  CHECK(shell_quote("-la") == "-la");
  CHECK(shell_quote("/usr/bin/sleep") == "/usr/bin/sleep");
  CHECK(shell_quote("a=b,c:d+e@f%g") == "a=b,c:d+e@f%g");
}

TEST_CASE("shell_quote single-quotes words a shell would split or expand", "[escape]") {
  CHECK(shell_quote("") == "''");
  CHECK(shell_quote("a b") == "'a b'");
  CHECK(shell_quote("$HOME") == "'$HOME'");
  CHECK(shell_quote("sleep 0.1; exit 3") == "'sleep 0.1; exit 3'");
  CHECK(shell_quote("*") == "'*'");
  CHECK(shell_quote("\"dq\"") == "'\"dq\"'");
}

TEST_CASE("shell_quote closes and reopens the quotes around a single quote", "[escape]") {
  CHECK(shell_quote("it's") == "'it'\\''s'");
  CHECK(shell_quote("'") == "''\\'''");
}

TEST_CASE("shell_quote escapes control bytes before quoting", "[escape]") {
  CHECK(shell_quote("a\nb") == "'a\\nb'");
  CHECK(shell_quote("\x1b[2J") == "'\\e[2J'");
  CHECK(shell_quote("\xff") == "'\\xff'");
}

TEST_CASE("shell_join joins quoted words with single spaces", "[escape]") {
  CHECK(shell_join({}) == "");
  CHECK(shell_join({"sleep"}) == "sleep");
  CHECK(shell_join({"sh", "-c", "sleep 0.1; exit 3"}) == "sh -c 'sleep 0.1; exit 3'");
  CHECK(shell_join({"printf", "", "x"}) == "printf '' x");
  CHECK(shell_join({"echo", "a\nb"}) == "echo 'a\\nb'");
}

TEST_CASE("is_valid_utf8 accepts well-formed text", "[escape]") {
  CHECK(is_valid_utf8(""));
  CHECK(is_valid_utf8("plain ascii"));
  CHECK(is_valid_utf8("a\0b"s));  // NUL is a character like any other
  CHECK(is_valid_utf8("é€😀"));
  CHECK(is_valid_utf8("\xc2\x80"));          // U+0080: a C1 control, but valid UTF-8
  CHECK(is_valid_utf8("\xef\xbf\xbd"));      // U+FFFD
  CHECK(is_valid_utf8("\xf4\x8f\xbf\xbf"));  // U+10FFFF, the last code point
}

TEST_CASE("is_valid_utf8 rejects stray, truncated, overlong and surrogate sequences", "[escape]") {
  CHECK_FALSE(is_valid_utf8("\xff"));
  CHECK_FALSE(is_valid_utf8("\x80"));
  CHECK_FALSE(is_valid_utf8("ok\xe2\x82"));
  CHECK_FALSE(is_valid_utf8("\xe2\x82x"));
  CHECK_FALSE(is_valid_utf8("\xc0\xaf"));
  CHECK_FALSE(is_valid_utf8("\xc1\xbf"));
  CHECK_FALSE(is_valid_utf8("\xe0\x9f\xbf"));      // overlong 3-byte
  CHECK_FALSE(is_valid_utf8("\xf0\x8f\xbf\xbf"));  // overlong 4-byte
  CHECK_FALSE(is_valid_utf8("\xed\xa0\x80"));      // U+D800
  CHECK_FALSE(is_valid_utf8("\xed\xbf\xbf"));      // U+DFFF
  CHECK_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));  // U+110000
  CHECK_FALSE(is_valid_utf8("\xf8\x88\x80\x80\x80"));
}
