// An optional that spends no byte on its flag: kNone, a value the field never
// holds for real, stands for "absent". std::optional<uint64_t> takes 16 bytes
// and std::optional<ProcKey> 24; these take 8 and 16, and every process
// record carries several. A damaged recording that does hold kNone reads as
// absent, which is what such a value means anyway.
#pragma once

#include <cassert>
#include <cstdint>
#include <limits>
#include <optional>
#include <utility>

#include "events.hpp"

namespace proclife {

template <typename T, T kNone>
class Sentinel {
 public:
  constexpr Sentinel() = default;
  constexpr Sentinel(std::nullopt_t) {}                                          // NOLINT
  constexpr Sentinel(T value) : value_(value) {}                                 // NOLINT
  constexpr Sentinel(const std::optional<T>& value) : value_(value.value_or(kNone)) {}  // NOLINT

  constexpr bool has_value() const { return !(value_ == kNone); }
  constexpr explicit operator bool() const { return has_value(); }
  constexpr const T& operator*() const { return value_; }
  constexpr const T* operator->() const { return &value_; }
  constexpr const T& value() const {
    if (!has_value()) throw std::bad_optional_access();
    return value_;
  }
  constexpr T value_or(T fallback) const { return has_value() ? value_ : fallback; }
  constexpr void reset() { value_ = kNone; }
  constexpr operator std::optional<T>() const {  // NOLINT
    return has_value() ? std::optional<T>(value_) : std::nullopt;
  }
  friend constexpr bool operator==(const Sentinel&, const Sentinel&) = default;
  // As std::optional compares: a value equals only a present one (kNone too).
  friend constexpr bool operator==(const Sentinel& maybe, const T& value) {
    return maybe.has_value() && maybe.value_ == value;
  }
  friend constexpr bool operator==(const Sentinel& maybe, const std::optional<T>& other) {
    return std::optional<T>(maybe) == other;
  }
  friend constexpr bool operator==(const Sentinel& maybe, std::nullopt_t) { return !maybe.has_value(); }

 private:
  T value_ = kNone;
};

// Kernel timestamps count nanoseconds since boot: 2^64 - 1 is 584 years away.
using OptionalNs = Sentinel<uint64_t, std::numeric_limits<uint64_t>::max()>;
// pid_max is at most 2^22: no tid or wait status word is ever 2^32 - 1.
using OptionalU32 = Sentinel<uint32_t, std::numeric_limits<uint32_t>::max()>;
// No process starts at the last nanosecond of the clock.
using OptionalKey = Sentinel<ProcKey, ProcKey{0, std::numeric_limits<uint64_t>::max()}>;

// An optional record whose own timestamp is its flag: absent while the
// `kStamp` member holds 2^64 - 1, a time no kernel event carries (recordings
// refuse it). std::optional would add 8 bytes of flag and padding to each of
// the records every process ends up with (exit, SIGCHLD, reap).
template <typename T, uint64_t T::*kStamp>
class Stamped {
 public:
  static constexpr uint64_t kNoStamp = std::numeric_limits<uint64_t>::max();

  Stamped() { value_.*kStamp = kNoStamp; }
  Stamped(std::nullopt_t) : Stamped() {}  // NOLINT
  Stamped(T value) : value_(std::move(value)) { assert(has_value()); }  // NOLINT
  Stamped& operator=(T value) {
    value_ = std::move(value);
    assert(has_value());
    return *this;
  }

  bool has_value() const { return value_.*kStamp != kNoStamp; }
  explicit operator bool() const { return has_value(); }
  T& operator*() { return value_; }
  const T& operator*() const { return value_; }
  T* operator->() { return &value_; }
  const T* operator->() const { return &value_; }
  void reset() { *this = Stamped(); }

 private:
  T value_;
};

}  // namespace proclife
