// A process handle that stays valid when its pid is reused (Linux 5.3+).
#pragma once

#include <poll.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include <cstdint>

#include "proc_identity.hpp"

namespace proclife {

class PidFd {
 public:
  explicit PidFd(pid_t pid) : fd_(static_cast<int>(syscall(SYS_pidfd_open, pid, 0))) {}
  // Only if pid is still the process that started at start_ns (see
  // open_verified_pidfd): a handle on a stranger would be worse than none.
  static PidFd verified(pid_t pid, uint64_t start_ns) { return PidFd(open_verified_pidfd(pid, start_ns), Adopt{}); }
  ~PidFd() {
    if (fd_ >= 0) close(fd_);
  }
  PidFd(const PidFd&) = delete;
  PidFd& operator=(const PidFd&) = delete;
  PidFd(PidFd&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }

  int get() const { return fd_; }  // -1 (errno set) when the process was gone
  bool send(int sig) const { return fd_ >= 0 && syscall(SYS_pidfd_send_signal, fd_, sig, nullptr, 0) == 0; }
  // The process has exited (a pidfd polls readable then), or there is none.
  bool exited() const {
    if (fd_ < 0) return true;
    pollfd p{fd_, POLLIN, 0};
    return poll(&p, 1, 0) == 1;
  }

 private:
  struct Adopt {};
  PidFd(int fd, Adopt) : fd_(fd) {}
  int fd_;
};

}  // namespace proclife
