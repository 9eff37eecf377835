#include "launcher.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace proclife {
namespace {

[[noreturn]] void run_child(const std::vector<std::string>& argv, int gate_fd, int error_fd) {
  // proclife blocks the signals it handles; CMD must start with a clean slate.
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  char go;
  while (read(gate_fd, &go, 1) < 0 && errno == EINTR) {
  }
  close(gate_fd);
  std::vector<char*> args;
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  execvp(args[0], args.data());
  int error = errno;
  (void)!write(error_fd, &error, sizeof error);
  _exit(127);
}

}  // namespace

GatedChild::GatedChild(const std::vector<std::string>& argv) {
  int gate[2], error[2];
  if (pipe2(gate, O_CLOEXEC) || pipe2(error, O_CLOEXEC))
    throw std::runtime_error(std::string("cannot create a pipe: ") + strerror(errno));
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error(std::string("cannot fork: ") + strerror(errno));
  if (pid_ == 0) {
    close(gate[1]);
    close(error[0]);
    run_child(argv, gate[0], error[1]);
  }
  close(gate[0]);
  close(error[1]);
  gate_fd_ = gate[1];
  error_fd_ = error[0];
}

GatedChild::~GatedChild() {
  if (gate_fd_ >= 0) {
    // Never released (setup failed): the child must not run untraced.
    kill(pid_, SIGKILL);
    close(gate_fd_);
    waitpid(pid_, nullptr, 0);
  }
  if (error_fd_ >= 0) close(error_fd_);
}

int GatedChild::release() {
  close(gate_fd_);
  gate_fd_ = -1;
  int error = 0;
  ssize_t n;
  while ((n = read(error_fd_, &error, sizeof error)) < 0 && errno == EINTR) {
  }
  if (n != sizeof error) return 0;
  waitpid(pid_, nullptr, 0);
  return error;
}

}  // namespace proclife
