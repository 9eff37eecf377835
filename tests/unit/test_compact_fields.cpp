// The compact field types of the process record: Sentinel (an optional with
// no flag byte), Comm (a task name inline) and RareVector's erase_if.
#include <catch2/catch.hpp>

#include <limits>
#include <optional>
#include <string>

#include "boxed.hpp"
#include "comm.hpp"
#include "sentinel.hpp"

using namespace proclife;

TEST_CASE("a sentinel optional reads as std::optional and is no larger than its value") {
  STATIC_REQUIRE(sizeof(OptionalNs) == sizeof(uint64_t));
  STATIC_REQUIRE(sizeof(OptionalKey) == sizeof(ProcKey));

  OptionalNs ns;
  CHECK_FALSE(ns);
  CHECK(ns.value_or(7) == 7);
  CHECK_THROWS_AS(ns.value(), std::bad_optional_access);
  CHECK(std::optional<uint64_t>(ns) == std::nullopt);

  ns = 0;  // zero is a value, not "absent"
  REQUIRE(ns);
  CHECK(*ns == 0);
  ns = uint64_t{42};
  CHECK(std::optional<uint64_t>(ns) == 42u);
  ns.reset();
  CHECK_FALSE(ns.has_value());

  // Compared as std::optional compares: absent equals no value, not even kNone itself.
  CHECK_FALSE(OptionalNs() == std::numeric_limits<uint64_t>::max());
  CHECK(OptionalNs() == std::optional<uint64_t>());
  CHECK_FALSE(OptionalNs(5) == std::optional<uint64_t>());
  CHECK(OptionalNs(5) == uint64_t{5});

  OptionalKey key = ProcKey{0, 0};  // pid 0 and start 0 are values too
  REQUIRE(key);
  CHECK(key->pid == 0);
  key = std::nullopt;
  CHECK_FALSE(key);
  key = std::optional<ProcKey>(ProcKey{7, 9});
  CHECK(key == OptionalKey(ProcKey{7, 9}));
  CHECK_FALSE(key == OptionalKey());
}

TEST_CASE("a task name keeps what the kernel keeps: 15 bytes, up to a NUL") {
  STATIC_REQUIRE(sizeof(Comm) == 16);
  CHECK(Comm().empty());
  CHECK(Comm("sh") == "sh");
  CHECK(Comm("sh").size() == 2);
  CHECK(Comm("sh").str() == std::string("sh"));

  Comm full("exactly15bytes!");
  CHECK(full.view() == "exactly15bytes!");
  CHECK(Comm("sixteen-bytes-xx").view() == "sixteen-bytes-x");
  CHECK(Comm(std::string("ab\0cd", 5)).view() == "ab");
  CHECK(Comm("\x1b[2J\n\"") == "\x1b[2J\n\"");  // bytes kept as they are: escaping is the renderers'
}

TEST_CASE("RareVector's erase_if erases what matches and creates no storage when empty") {
  RareVector<int> numbers;
  numbers.erase_if([](int) { return true; });
  CHECK(numbers.span().data() == nullptr);  // still no storage

  for (int n : {1, 2, 3, 4}) numbers.push_back(n);
  numbers.erase_if([](int n) { return n % 2 == 0; });
  CHECK(numbers.all() == std::vector<int>{1, 3});
}
