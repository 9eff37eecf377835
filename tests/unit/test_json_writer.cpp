// The one JSON writer (core/json_writer): its layouts are nlohmann's dump(2)
// and dump(-1) byte for byte, so reports stay byte-identical (golden files,
// replays); its strings escape what a terminal would act on, and bytes that
// are not UTF-8 follow one rule per writer (U+FFFD, or {"hex"} when lossless).
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <random>

#include "json_writer.hpp"

using namespace proclife;
using namespace std::string_literals;

namespace {

std::string dump(const nlohmann::ordered_json& doc, int indent) {
  return doc.dump(indent, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string write_string(std::string_view text, InvalidUtf8 invalid = InvalidUtf8::replace) {
  std::string out;
  append_json_string(out, text, invalid);
  return out;
}

void write_document(JsonWriter& json, const std::string& hostile) {
  json.begin_object();
  json.key("empty_object").begin_object().end_object();
  json.key("empty_array").begin_array().end_array();
  json.key("strings").value(std::vector<std::string>{"plain", hostile, ""});
  json.key("numbers").begin_array();
  json.value(int64_t{0}).value(int64_t{-1}).value(uint64_t{18446744073709551615ull});
  json.value(int64_t{-9223372036854775807ll});
  json.end_array();
  json.key("nested").begin_object();
  json.key("flag").value(true).key("other").value(false).key("nothing").null();
  json.key("list").begin_array();
  json.begin_object().key("a").value(int64_t{1}).end_object();
  json.begin_object().key("b").value(int64_t{2}).end_object();
  json.end_array();
  json.end_object();
  json.end_object();
}

}  // namespace

TEST_CASE("the JSON writer matches nlohmann's dump(2) and dump(-1) byte for byte", "[json]") {
  // No DEL, C1 or bidi control here: those the writer escapes and nlohmann does not.
  const std::string hostile = std::string("esc\x1b[31m \"q\" back\\slash\nnl\ttab\x01\b\f caf\xc3\xa9 ") + "\xff\xfe";
  nlohmann::ordered_json expected = {
      {"empty_object", nlohmann::ordered_json::object()},
      {"empty_array", nlohmann::ordered_json::array()},
      {"strings", {"plain", hostile, ""}},
      {"numbers", {0, -1, 18446744073709551615ull, -9223372036854775807ll}},
      {"nested", {{"flag", true}, {"other", false}, {"nothing", nullptr}, {"list", {{{"a", 1}}, {{"b", 2}}}}}},
  };
  std::string pretty;
  JsonWriter pretty_json(pretty);
  write_document(pretty_json, hostile);
  CHECK(pretty == dump(expected, 2));

  std::string compact;
  JsonWriter compact_json(compact, JsonLayout::compact);
  write_document(compact_json, hostile);
  CHECK(compact == dump(expected, -1));
}

TEST_CASE("invalid UTF-8 becomes U+FFFD per maximal subpart, as nlohmann replaces it", "[json]") {
  // Random strings over the bytes that make UTF-8 interesting: leads of every
  // length, the edges of the continuation ranges (overlongs, surrogates,
  // above U+10FFFF), truncation. 0x7F, 0xC2 and 0xE2 are left out: they make
  // the terminal controls the writer escapes on purpose.
  const std::vector<uint8_t> alphabet = {'a',  0x00, '"',  0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1,
                                         0xC3, 0xDF, 0xE0, 0xE1, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF4, 0xF5, 0xFF};
  std::mt19937 random(20240611);
  for (int round = 0; round < 20000; ++round) {
    std::string text(random() % 8, '\0');
    for (auto& c : text) c = static_cast<char>(alphabet[random() % alphabet.size()]);
    INFO("round " << round);
    REQUIRE(write_string(text) == nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  }
  CHECK(write_string("a\xe0\x80z") == "\"a\xEF\xBF\xBD\xEF\xBF\xBDz\"");  // E0 80: an overlong's lead, then a lone 80
  CHECK(write_string("\xf0\x9f\x98") == "\"\xEF\xBF\xBD\"");               // cut short: one U+FFFD
}

TEST_CASE("JSON strings escape DEL, C1 and bidi controls as backslash-u escapes", "[json][hostile]") {
  CHECK(write_string("a\x7f" "b") == R"("a\u007fb")");
  CHECK(write_string("\xc2\x9b" "31m") == R"("\u009b31m")");   // U+009B: CSI on some terminals
  CHECK(write_string("\xc2\x80\xc2\x9f\xc2\xa0") == "\"\\u0080\\u009f\xc2\xa0\"");  // U+00A0 is not a control
  CHECK(write_string("\xe2\x80\xae" "evil\xe2\x80\xac") == R"("\u202eevil\u202c")");
  CHECK(write_string("\xe2\x81\xa6\xe2\x81\xa9\xe2\x80\xa9") == "\"\\u2066\\u2069\xe2\x80\xa9\"");
  // What the writer escapes reads back as the same bytes.
  const std::string controls = "\x7f\xc2\x85\xe2\x80\xaa\xe2\x80\xae\xe2\x81\xa8 ok";
  CHECK(nlohmann::json::parse(write_string(controls)).get<std::string>() == controls);
}

TEST_CASE("a hex_object writer keeps every byte of a string that is not UTF-8", "[json][record]") {
  CHECK(write_string("\xff\x01", InvalidUtf8::hex_object) == R"({"hex":"ff01"})");
  CHECK(write_string("ok\n\x7f", InvalidUtf8::hex_object) == R"("ok\n\u007f")");
  std::string out;
  JsonWriter json(out, JsonLayout::compact, InvalidUtf8::hex_object);
  json.begin_array().value("a"s).value("\xc3"s).end_array();
  CHECK(out == R"(["a",{"hex":"c3"}])");
}

TEST_CASE("decimal() writes an exact decimal", "[json]") {
  std::string out;
  JsonWriter json(out, JsonLayout::compact);
  json.begin_array().decimal(0, 0, 1).decimal(12, 5, 3).decimal(1234, 56725, 5);
  json.decimal(18446744073709551615ull, 99925, 5).end_array();
  CHECK(out == "[0.0,12.005,1234.56725,18446744073709551615.99925]");
}
