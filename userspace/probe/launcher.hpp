// Starts CMD held at a gate, so the probe can follow it before it runs a
// single instruction of its own: fork, block on a pipe, then exec on release.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace proclife {

class GatedChild {
 public:
  // Forks; the child waits at the gate. Throws if fork fails.
  explicit GatedChild(const std::vector<std::string>& argv);
  ~GatedChild();
  GatedChild(const GatedChild&) = delete;
  GatedChild& operator=(const GatedChild&) = delete;

  pid_t pid() const { return pid_; }
  // Lets the child exec. Returns 0, or the errno that made exec fail (the
  // child has then exited 127 and been reaped).
  int release();

 private:
  pid_t pid_ = -1;
  int gate_fd_ = -1;   // write end: one "go" byte releases the child; EOF kills it
  int error_fd_ = -1;  // read end: exec's errno, or EOF when exec succeeded
};

}  // namespace proclife
