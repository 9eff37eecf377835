// The compact field types of the process record: Sentinel and Stamped
// (optionals with no flag byte), Comm (a task name inline), RareVector and
// ChunkedVector.
#include <catch2/catch.hpp>

#include <limits>
#include <optional>
#include <string>

#include "boxed.hpp"
#include "chunked_vector.hpp"
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

struct StampedRecord {
  uint64_t ns = 0;
  uint32_t detail = 0;
};
using MaybeStamped = Stamped<StampedRecord, &StampedRecord::ns>;

TEST_CASE("a stamped optional is absent only while its stamp is 2^64 - 1, and costs no byte") {
  STATIC_REQUIRE(sizeof(MaybeStamped) == sizeof(StampedRecord));
  MaybeStamped record;
  CHECK_FALSE(record);
  record = StampedRecord{.ns = 0, .detail = 3};  // a record at time zero is present
  REQUIRE(record.has_value());
  CHECK(record->detail == 3);
  record->ns = 5;
  CHECK((*record).ns == 5);
  record.reset();
  CHECK_FALSE(record);
  CHECK(MaybeStamped(std::nullopt).has_value() == false);
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
  numbers.clear();
  CHECK(numbers.span().data() == nullptr);  // clear() frees the storage
}

TEST_CASE("a chunked vector grows without moving its elements and reads back in order") {
  ChunkedVector<std::string, 4> items;
  CHECK(items.empty());
  items.push_back("first");
  const std::string* first = &items[0];
  for (int i = 1; i < 11; ++i) items.push_back(std::to_string(i));  // three chunks
  CHECK(&items[0] == first);  // no element moved
  CHECK(items.size() == 11);
  CHECK(items[4] == "4");
  CHECK(items.back() == "10");
  std::vector<std::string> seen(items.begin(), items.end());
  CHECK(seen.size() == 11);
  CHECK(seen.front() == "first");
  CHECK(seen.back() == "10");

  ChunkedVector<std::string, 4> other;
  other.push_back("other");
  items.swap(other);
  CHECK(items.size() == 1);
  CHECK(other.size() == 11);
  other.clear();
  CHECK(other.empty());
  CHECK(other.begin() == other.end());
}
