// The graph's process records: a sequence that grows without moving what it
// holds, in chunks of kChunk elements, each one allocation. A std::deque
// gives the same stability, but libstdc++'s takes one allocation and one map
// slot per 512 bytes: for records of about 250 bytes that is 12 bytes of
// overhead a record, 2.3 MiB over 200,000 processes; here it is a pointer
// per chunk. Not copyable: a copied chunk would lose its reserved capacity,
// and the next push_back would move its elements.
#pragma once

#include <cstddef>
#include <iterator>
#include <utility>
#include <vector>

namespace proclife {

template <typename T, size_t kChunk = 256>
class ChunkedVector {
  template <bool kConst>
  class Iterator {
    using Owner = std::conditional_t<kConst, const ChunkedVector, ChunkedVector>;

   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    using pointer = std::conditional_t<kConst, const T*, T*>;
    using reference = std::conditional_t<kConst, const T&, T&>;

    Iterator() = default;
    Iterator(Owner* owner, size_t index) : owner_(owner), index_(index) {}
    reference operator*() const { return (*owner_)[index_]; }
    pointer operator->() const { return &(*owner_)[index_]; }
    Iterator& operator++() {
      ++index_;
      return *this;
    }
    Iterator operator++(int) {
      Iterator before = *this;
      ++index_;
      return before;
    }
    friend bool operator==(const Iterator& a, const Iterator& b) { return a.index_ == b.index_; }

   private:
    Owner* owner_ = nullptr;
    size_t index_ = 0;
  };

 public:
  ChunkedVector() = default;
  ChunkedVector(const ChunkedVector&) = delete;
  ChunkedVector& operator=(const ChunkedVector&) = delete;
  ChunkedVector(ChunkedVector&&) noexcept = default;
  ChunkedVector& operator=(ChunkedVector&&) noexcept = default;

  using iterator = Iterator<false>;
  using const_iterator = Iterator<true>;

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  T& operator[](size_t index) { return chunks_[index / kChunk][index % kChunk]; }
  const T& operator[](size_t index) const { return chunks_[index / kChunk][index % kChunk]; }
  T& back() { return (*this)[size_ - 1]; }

  void push_back(T value) {
    if (size_ % kChunk == 0) {
      chunks_.emplace_back();
      chunks_.back().reserve(kChunk);  // never exceeded: no element ever moves
    }
    chunks_.back().push_back(std::move(value));
    ++size_;
  }
  void clear() {
    chunks_.clear();
    size_ = 0;
  }
  void swap(ChunkedVector& other) noexcept {
    chunks_.swap(other.chunks_);
    std::swap(size_, other.size_);
  }

  iterator begin() { return {this, 0}; }
  iterator end() { return {this, size_}; }
  const_iterator begin() const { return {this, 0}; }
  const_iterator end() const { return {this, size_}; }

 private:
  std::vector<std::vector<T>> chunks_;
  size_t size_ = 0;
};

}  // namespace proclife
