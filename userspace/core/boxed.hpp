// Members one pointer wide while empty, for the parts of a process record
// that most processes never have (its RareParts, a stack, execs, children),
// which as std::optional or std::vector members would make every record pay
// their full size. Both copy deep.
#pragma once

#include <memory>
#include <span>
#include <utility>
#include <vector>

namespace proclife {

// An optional value kept on the heap; reads like std::optional.
template <typename T>
class Boxed {
 public:
  Boxed() = default;
  Boxed(T value) : value_(std::make_unique<T>(std::move(value))) {}  // NOLINT
  Boxed(const Boxed& other) : value_(other ? std::make_unique<T>(*other) : nullptr) {}
  Boxed(Boxed&&) noexcept = default;
  Boxed& operator=(const Boxed& other) {
    if (this != &other) value_ = other ? std::make_unique<T>(*other) : nullptr;
    return *this;
  }
  Boxed& operator=(Boxed&&) noexcept = default;
  Boxed& operator=(T value) {
    value_ = std::make_unique<T>(std::move(value));
    return *this;
  }

  explicit operator bool() const { return value_ != nullptr; }
  bool has_value() const { return value_ != nullptr; }
  T& operator*() { return *value_; }
  const T& operator*() const { return *value_; }
  T* operator->() { return value_.get(); }
  const T* operator->() const { return value_.get(); }
  void reset() { value_.reset(); }

 private:
  std::unique_ptr<T> value_;
};

// A vector whose storage, even its header, exists only once it has an
// element; reads like a const std::vector, writes go through items().
template <typename T>
class RareVector {
 public:
  const std::vector<T>& all() const { return items_ ? *items_ : empty_; }
  std::vector<T>& items() {
    if (!items_) items_ = std::make_unique<std::vector<T>>();
    return *items_;
  }
  // The elements, writable, without creating the storage.
  std::span<T> span() { return items_ ? std::span<T>(*items_) : std::span<T>(); }
  void push_back(T item) { items().push_back(std::move(item)); }
  void clear() { items_.reset(); }
  // Without creating the storage when there is nothing to erase.
  template <typename Predicate>
  void erase_if(Predicate matches) {
    if (items_) std::erase_if(*items_, matches);
  }

  bool empty() const { return all().empty(); }
  size_t size() const { return all().size(); }
  auto begin() const { return all().begin(); }
  auto end() const { return all().end(); }
  auto rbegin() const { return all().rbegin(); }
  auto rend() const { return all().rend(); }
  const T& front() const { return all().front(); }
  const T& back() const { return all().back(); }
  const T& operator[](size_t i) const { return all()[i]; }
  const T& at(size_t i) const { return all().at(i); }

  RareVector() = default;
  RareVector(const RareVector& other)
      : items_(other.items_ ? std::make_unique<std::vector<T>>(*other.items_) : nullptr) {}
  RareVector(RareVector&&) noexcept = default;
  RareVector& operator=(const RareVector& other) {
    if (this != &other) items_ = other.items_ ? std::make_unique<std::vector<T>>(*other.items_) : nullptr;
    return *this;
  }
  RareVector& operator=(RareVector&&) noexcept = default;

 private:
  static inline const std::vector<T> empty_;
  std::unique_ptr<std::vector<T>> items_;
};

}  // namespace proclife
