// The monitor runs for months: its tables must stay at their cap, drop the
// least recently used entry first, and count every drop.
#include <catch2/catch.hpp>

#include <string>

#include "bounded_map.hpp"

using proclife::monitor::BoundedMap;

TEST_CASE("BoundedMap keeps at most its capacity and counts evictions", "[monitor][bounded]") {
  BoundedMap<int, std::string> map(2);
  map.put(1, "one");
  map.put(2, "two");
  map.put(3, "three");
  CHECK(map.size() == 2);
  CHECK(map.evictions() == 1);
  CHECK(map.find(1) == nullptr);
  REQUIRE(map.find(3) != nullptr);
  CHECK(*map.find(3) == "three");
}

TEST_CASE("BoundedMap evicts the least recently used entry, not the oldest inserted", "[monitor][bounded]") {
  BoundedMap<int, int> map(2);
  map.put(1, 10);
  map.put(2, 20);
  REQUIRE(map.find(1) != nullptr);  // 2 is now the least recently used
  map.put(3, 30);
  CHECK(map.find(2) == nullptr);
  CHECK(map.find(1) != nullptr);
  CHECK(map.find(3) != nullptr);
}

TEST_CASE("BoundedMap replaces an existing key without evicting", "[monitor][bounded]") {
  BoundedMap<int, int> map(2);
  map.put(1, 10);
  map.put(2, 20);
  map.put(1, 11);
  CHECK(map.size() == 2);
  CHECK(map.evictions() == 0);
  CHECK(*map.find(1) == 11);
}

TEST_CASE("BoundedMap erase frees a slot", "[monitor][bounded]") {
  BoundedMap<int, int> map(1);
  map.put(1, 10);
  CHECK(map.erase(1));
  CHECK_FALSE(map.erase(1));
  map.put(2, 20);
  CHECK(map.evictions() == 0);
  CHECK(map.size() == 1);
}

TEST_CASE("BoundedMap refuses a zero capacity", "[monitor][bounded]") {
  CHECK_THROWS_AS((BoundedMap<int, int>(0)), std::invalid_argument);
}
