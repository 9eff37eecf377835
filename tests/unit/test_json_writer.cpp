// The JSON writer must lay out text exactly as nlohmann::json::dump(2) does:
// reports written by either stay byte-identical (golden files, replays).
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "json_writer.hpp"

using namespace proclife;

TEST_CASE("the JSON writer matches nlohmann's dump(2) byte for byte") {
  const std::string hostile = std::string("esc\x1b[31m \"q\" back\\slash\nnl\ttab\x01\x7f caf\xc3\xa9 ") + "\xff\xfe";
  nlohmann::ordered_json expected = {
      {"empty_object", nlohmann::ordered_json::object()},
      {"empty_array", nlohmann::ordered_json::array()},
      {"strings", {"plain", hostile, ""}},
      {"numbers", {0, -1, 18446744073709551615ull, -9223372036854775807ll}},
      {"nested", {{"flag", true}, {"other", false}, {"nothing", nullptr}, {"list", {{{"a", 1}}, {{"b", 2}}}}}},
  };
  std::string text;
  JsonWriter json(text);
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
  CHECK(text == expected.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
}
