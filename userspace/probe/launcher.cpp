#include "launcher.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace proclife {
namespace {

// The one byte that lets CMD run. Anything else on the gate, end-of-file
// included (proclife died or gave up before the probe followed CMD), means
// CMD must not run: untraced, it would be a run without a report.
constexpr char kGo = 'g';
// The gated child's status when it was never released (it did not run CMD).
constexpr int kNotReleased = 125;

[[noreturn]] void run_child(const std::vector<std::string>& argv, pid_t parent, int gate_fd, int error_fd) {
  // If proclife dies at any point before the release, so does the child:
  // the kernel sends SIGKILL when the parent goes. Checked again after
  // setting it, as proclife may have died before prctl ran.
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(kNotReleased);
  // proclife blocks the signals it handles; CMD must start with a clean slate.
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  char go = 0;
  ssize_t n;
  while ((n = read(gate_fd, &go, 1)) < 0 && errno == EINTR) {
  }
  if (n != 1 || go != kGo) _exit(kNotReleased);
  close(gate_fd);
  // Released: from here CMD is traced, and it outlives proclife like any
  // command would (PR_SET_PDEATHSIG survives execve, so clear it).
  prctl(PR_SET_PDEATHSIG, 0);
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
  // The gate is a socket so that a "go" to a child already gone is EPIPE
  // from send(MSG_NOSIGNAL), not a SIGPIPE that kills proclife.
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, gate) || pipe2(error, O_CLOEXEC))
    throw std::runtime_error(std::string("cannot create the gate: ") + strerror(errno));
  pid_t parent = getpid();
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error(std::string("cannot fork: ") + strerror(errno));
  if (pid_ == 0) {
    close(gate[1]);
    close(error[0]);
    run_child(argv, parent, gate[0], error[1]);
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
  ssize_t sent;
  while ((sent = send(gate_fd_, &kGo, 1, MSG_NOSIGNAL)) < 0 && errno == EINTR) {
  }
  int write_error = sent == 1 ? 0 : errno;
  close(gate_fd_);
  gate_fd_ = -1;
  if (write_error) {
    // The child is gone already (EPIPE): it never ran CMD.
    waitpid(pid_, nullptr, 0);
    return write_error;
  }
  int error = 0;
  ssize_t n;
  while ((n = read(error_fd_, &error, sizeof error)) < 0 && errno == EINTR) {
  }
  if (n != sizeof error) return 0;
  waitpid(pid_, nullptr, 0);
  return error;
}

}  // namespace proclife
