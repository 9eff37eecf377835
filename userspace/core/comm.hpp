// A task's name as the kernel keeps it (TASK_COMM_LEN: 15 bytes and a NUL),
// inline in 16 bytes where a std::string takes 32: every process record and
// every reap carries one.
#pragma once

#include <algorithm>
#include <array>
#include <cstring>
#include <string>
#include <string_view>

namespace proclife {

class Comm {
 public:
  static constexpr size_t kMaxLen = 15;

  Comm() = default;
  // Longer names (only a damaged recording or a test has them) are cut, as
  // the kernel cuts them; a NUL ends the name, as it does in the kernel.
  Comm(std::string_view name) {  // NOLINT: a name converts as a string would
    name = name.substr(0, std::min(name.find('\0'), kMaxLen));
    std::copy(name.begin(), name.end(), bytes_.begin());
  }
  Comm(const std::string& name) : Comm(std::string_view(name)) {}  // NOLINT
  Comm(const char* name) : Comm(std::string_view(name)) {}         // NOLINT

  std::string_view view() const { return {bytes_.data(), size()}; }
  operator std::string_view() const { return view(); }  // NOLINT
  std::string str() const { return std::string(view()); }
  size_t size() const { return strnlen(bytes_.data(), bytes_.size()); }
  bool empty() const { return bytes_[0] == '\0'; }

  friend bool operator==(const Comm& comm, std::string_view name) { return comm.view() == name; }

 private:
  std::array<char, kMaxLen + 1> bytes_{};
};

}  // namespace proclife
