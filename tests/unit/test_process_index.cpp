// ProcessIndex against std::unordered_map under the same random operations:
// inserts, finds and erases, with keys that collide on purpose (many pids
// with start time 0, as attach's placeholders are).
#include <catch2/catch.hpp>

#include <random>
#include <unordered_map>
#include <vector>

#include "process_index.hpp"

using namespace proclife;

TEST_CASE("the process index finds what an unordered_map finds, through growth and erases") {
  std::mt19937_64 random(20261130);
  std::vector<ProcKey> keys;  // keys[index], as the graph's deque holds them
  auto key_of = [&keys](size_t index) { return keys[index]; };
  ProcessIndex index;
  std::unordered_map<ProcKey, size_t> reference;

  for (int step = 0; step < 50000; ++step) {
    uint64_t roll = random() % 10;
    if (roll < 6 || keys.empty()) {
      // Placeholders {pid, 0} next to real start times: neighbours in the table.
      ProcKey key{static_cast<uint32_t>(random() % 5000), roll < 2 ? 0 : random() % 1000000};
      if (reference.count(key)) continue;
      keys.push_back(key);
      index.insert(key, keys.size() - 1, key_of);
      reference.emplace(key, keys.size() - 1);
    } else if (roll < 8) {
      auto victim = reference.begin();
      std::advance(victim, static_cast<long>(random() % reference.size()));
      index.erase(victim->first, key_of);
      reference.erase(victim);
    } else {
      ProcKey probe = keys[random() % keys.size()];
      auto expected = reference.find(probe);
      auto found = index.find(probe, key_of);
      REQUIRE(found.has_value() == (expected != reference.end()));
      if (found) REQUIRE(*found == expected->second);
    }
  }
  REQUIRE(index.size() == reference.size());
  for (const auto& [key, at] : reference) REQUIRE(index.find(key, key_of) == std::optional<size_t>(at));
  CHECK_FALSE(index.find(ProcKey{999999, 1}, key_of));
}

TEST_CASE("an erased key is gone and its neighbours are still found") {
  std::vector<ProcKey> keys;
  auto key_of = [&keys](size_t index) { return keys[index]; };
  ProcessIndex index;
  for (uint32_t pid = 1; pid <= 100; ++pid) {
    keys.push_back({pid, 0});
    index.insert(keys.back(), keys.size() - 1, key_of);
  }
  index.erase({50, 0}, key_of);
  CHECK_FALSE(index.find({50, 0}, key_of));
  for (uint32_t pid = 1; pid <= 100; ++pid)
    if (pid != 50) CHECK(index.find({pid, 0}, key_of) == std::optional<size_t>(pid - 1));
  index.clear();
  CHECK(index.size() == 0);
  CHECK_FALSE(index.find({1, 0}, key_of));
}
