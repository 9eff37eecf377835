// The graph's processes by (pid, start time), as indices into its records.
// An open-addressing table of 32-bit slots (index + 1; 0 is empty) that reads
// each candidate's key back from the graph through `key_of`: 8 to 16 bytes a
// process, where an unordered_map node and its bucket took about 56, in a
// structure that holds one entry per process ever traced.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "events.hpp"

namespace proclife {

class ProcessIndex {
 public:
  // key_of(index) is the key of the process at `index`: it must still say
  // so for every entry while it is in the index.
  template <typename KeyOf>
  std::optional<size_t> find(ProcKey key, const KeyOf& key_of) const {
    if (slots_.empty()) return std::nullopt;
    for (size_t slot = home(key);; slot = next(slot)) {
      uint32_t entry = slots_[slot];
      if (entry == 0) return std::nullopt;
      if (key_of(entry - 1) == key) return entry - 1;
    }
  }

  // `key` must not be in the index yet.
  template <typename KeyOf>
  void insert(ProcKey key, size_t index, const KeyOf& key_of) {
    if ((count_ + 1) * 2 > slots_.size()) grow(key_of);
    place(key, static_cast<uint32_t>(index + 1));
    ++count_;
  }

  template <typename KeyOf>
  void erase(ProcKey key, const KeyOf& key_of) {
    if (slots_.empty()) return;
    size_t gap = home(key);
    while (slots_[gap] != 0 && key_of(slots_[gap] - 1) != key) gap = next(gap);
    if (slots_[gap] == 0) return;
    slots_[gap] = 0;
    --count_;
    // Backward shift: move up every later entry of the run whose home slot
    // is not between the gap and where it sits, so no probe stops early.
    for (size_t slot = next(gap); slots_[slot] != 0; slot = next(slot)) {
      size_t want = home(key_of(slots_[slot] - 1));
      bool stays = gap < slot ? (gap < want && want <= slot) : (gap < want || want <= slot);
      if (stays) continue;
      slots_[gap] = slots_[slot];
      slots_[slot] = 0;
      gap = slot;
    }
  }

  void clear() {
    slots_.clear();
    count_ = 0;
  }
  size_t size() const { return count_; }

 private:
  size_t home(ProcKey key) const {
    // Fibonacci hashing: the top bits of a multiplicative hash.
    uint64_t mixed = static_cast<uint64_t>(std::hash<ProcKey>{}(key)) * 0x9E3779B97F4A7C15ull;
    return static_cast<size_t>(mixed >> (64 - std::countr_zero(slots_.size())));
  }
  size_t next(size_t slot) const { return (slot + 1) & (slots_.size() - 1); }
  void place(ProcKey key, uint32_t entry) {
    size_t slot = home(key);
    while (slots_[slot] != 0) slot = next(slot);
    slots_[slot] = entry;
  }
  template <typename KeyOf>
  void grow(const KeyOf& key_of) {
    std::vector<uint32_t> old(slots_.empty() ? 16 : slots_.size() * 2, 0);
    old.swap(slots_);
    for (uint32_t entry : old)
      if (entry != 0) place(key_of(entry - 1), entry);
  }

  std::vector<uint32_t> slots_;  // a power of two long, at most half full
  size_t count_ = 0;
};

}  // namespace proclife
