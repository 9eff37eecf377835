// A traced process picks its own comm and argv, so they are hostile input for
// the terminal proclife prints to. printable() must leave nothing a terminal
// could act on, and must keep honest text (real UTF-8) readable.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cctype>
#include <cstdio>
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

TEST_CASE("shell_quote writes control bytes as $'...' escapes a shell reads back", "[escape]") {
  CHECK(shell_quote("a\nb") == "$'a\\nb'");
  CHECK(shell_quote("\x1b[2J") == "$'\\e[2J'");
  CHECK(shell_quote("\xff") == "$'\\xff'");
  CHECK(shell_quote("\xff" "ab") == "$'\\xff'$'ab'");  // no hex digit right after \xNN
  CHECK(shell_quote("it's\n") == "$'it\\'s\\n'");
  CHECK(shell_quote("a\\b\t") == "$'a\\\\b\\t'");
}

TEST_CASE("shell_join joins quoted words with single spaces", "[escape]") {
  CHECK(shell_join({}) == "");
  CHECK(shell_join({"sleep"}) == "sleep");
  CHECK(shell_join({"sh", "-c", "sleep 0.1; exit 3"}) == "sh -c 'sleep 0.1; exit 3'");
  CHECK(shell_join({"printf", "", "x"}) == "printf '' x");
  CHECK(shell_join({"echo", "a\nb"}) == "echo $'a\\nb'");
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

TEST_CASE("printable escapes bidi controls visibly: no text reordered on a terminal", "[escape]") {
  CHECK(printable("a\u202Eb") == "a\\u202eb");
  CHECK(printable("\u202A\u202B\u202C\u202D") == "\\u202a\\u202b\\u202c\\u202d");
  CHECK(printable("\u2066\u2067\u2068\u2069") == "\\u2066\\u2067\\u2068\\u2069");
  CHECK(printable("\u200E\u200F\u061C\u2028") == "\\u200e\\u200f\\u061c\\u2028");
  CHECK(printable("\u200D\u2010") == "\u200D\u2010");  // a joiner and a hyphen are no controls
  CHECK(shell_quote("evil\u202Etxt.exe") == "$'evil\\xe2\\x80\\xaetxt.exe'");
}

namespace {

// A POSIX shell's reading of words made of bare characters, '...' and
// $'...' (POSIX.1-2024), enough to read back what shell_quote writes.
std::vector<std::string> shell_read(const std::string& line) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  auto hex = [](char c) { return std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : std::tolower(c) - 'a' + 10; };
  for (size_t i = 0; i < line.size();) {
    char c = line[i];
    if (c == ' ') {
      if (in_word) words.push_back(word);
      word.clear();
      in_word = false;
      ++i;
      continue;
    }
    in_word = true;
    if (c == '\'') {
      size_t end = line.find('\'', i + 1);
      REQUIRE(end != std::string::npos);
      word += line.substr(i + 1, end - i - 1);
      i = end + 1;
    } else if (c == '\\') {
      word += line.at(i + 1);
      i += 2;
    } else if (line.compare(i, 2, "$'") == 0) {
      for (i += 2; line.at(i) != '\'';) {
        if (line[i] != '\\') {
          word += line[i++];
          continue;
        }
        char e = line.at(i + 1);
        i += 2;
        switch (e) {
          case 'n': word += '\n'; break;
          case 't': word += '\t'; break;
          case 'r': word += '\r'; break;
          case 'e': word += '\x1b'; break;
          case 'x': {
            int value = 0, digits = 0;
            while (digits < 2 && i < line.size() && std::isxdigit(static_cast<unsigned char>(line[i])))
              value = value * 16 + hex(line[i++]), ++digits;
            REQUIRE(digits > 0);
            // POSIX leaves a third hex digit unspecified: shell_quote never writes one.
            CHECK_FALSE((i < line.size() && std::isxdigit(static_cast<unsigned char>(line[i]))));
            word += static_cast<char>(value);
            break;
          }
          default: word += e;  // \\ \' \"
        }
      }
      ++i;
    } else {
      CHECK(std::string_view("|&;<>()$`\"*?[#~").find(c) == std::string_view::npos);
      word += c;
      ++i;
    }
  }
  if (in_word) words.push_back(word);
  return words;
}

const std::vector<std::string> kNastyArgv = {
    "plain", "", "two words", "it's", "back\\slash", "\\n literally", "new\nline", "\x1b[2J", "\xff\xfe", "ab\xff" "cd",
    "\xc2\x9b" "31m", "evil\u202Etxt.exe", "$HOME", "`id`", "tab\there", "\x7f", "é", "'", "\\'\\", "\x01\x02"};

}  // namespace

TEST_CASE("shell_join's argv reads back exactly, bytes and all", "[escape]") {
  std::string joined = shell_join(kNastyArgv);
  INFO(joined);
  CHECK(shell_read(joined) == kNastyArgv);
  CHECK(terminal_safe(joined));
}

TEST_CASE("bash reads shell_join's argv back exactly", "[escape][shell]") {
  if (access("/bin/bash", X_OK) != 0) SUCCEED("no /bin/bash");
  else {
    std::string script = "printf '%s\\0' " + shell_join(kNastyArgv);
    // popen's /bin/sh reads the outer word; bash (dash has no $'') the inner ones.
    std::string outer = "/bin/bash -c " + shell_join({script});
    FILE* pipe = popen(outer.c_str(), "r");
    REQUIRE(pipe);
    std::string output;
    char buffer[4096];
    for (size_t n; (n = fread(buffer, 1, sizeof buffer, pipe)) > 0;) output.append(buffer, n);
    CHECK(pclose(pipe) == 0);
    std::vector<std::string> words;
    for (size_t at = 0; at < output.size();) {
      size_t end = output.find('\0', at);
      words.push_back(output.substr(at, end - at));
      at = end + 1;
    }
    CHECK(words == kNastyArgv);
  }
}
