// A map with a hard size cap for state that lives as long as the monitor
// (months): when full, inserting drops the least recently used entry and
// counts it, so memory stays bounded and the loss shows up in a metric.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <stdexcept>
#include <unordered_map>
#include <utility>

namespace proclife::monitor {

template <typename Key, typename Value, typename Hash = std::hash<Key>>
class BoundedMap {
 public:
  explicit BoundedMap(size_t capacity) : capacity_(capacity) {
    if (capacity == 0) throw std::invalid_argument("BoundedMap needs a capacity of at least 1");
  }

  // The value for `key`, marked as just used; nullptr when absent.
  Value* find(const Key& key) {
    auto it = index_.find(key);
    if (it == index_.end()) return nullptr;
    order_.splice(order_.begin(), order_, it->second);
    return &it->second->second;
  }

  // Inserts or replaces; the entry becomes the most recently used.
  Value& put(const Key& key, Value value) {
    if (Value* existing = find(key)) {
      *existing = std::move(value);
      return *existing;
    }
    if (order_.size() == capacity_) {
      index_.erase(order_.back().first);
      order_.pop_back();
      ++evictions_;
    }
    order_.emplace_front(key, std::move(value));
    index_.emplace(key, order_.begin());
    return order_.front().second;
  }

  bool erase(const Key& key) {
    auto it = index_.find(key);
    if (it == index_.end()) return false;
    order_.erase(it->second);
    index_.erase(it);
    return true;
  }

  size_t size() const { return order_.size(); }
  size_t capacity() const { return capacity_; }
  // Entries dropped to make room, since construction.
  uint64_t evictions() const { return evictions_; }

 private:
  using Entry = std::pair<Key, Value>;
  size_t capacity_;
  uint64_t evictions_ = 0;
  std::list<Entry> order_;  // most recently used first
  std::unordered_map<Key, typename std::list<Entry>::iterator, Hash> index_;
};

}  // namespace proclife::monitor
