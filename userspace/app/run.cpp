#include "run.hpp"

#include <signal.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <stdexcept>

#include "decode.hpp"
#include "launcher.hpp"
#include "model.hpp"
#include "output.hpp"
#include "probe.hpp"

#ifndef P_PIDFD
#define P_PIDFD 3  // Linux 5.4; older glibc headers lack the name
#endif

namespace proclife {
namespace {

constexpr int kPollMs = 100;

class Fd {
 public:
  explicit Fd(int fd, const char* what) : fd_(fd) {
    if (fd_ < 0) throw std::runtime_error(std::string(what) + ": " + strerror(errno));
  }
  ~Fd() { close(fd_); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// Signals proclife turns into events on a signalfd, so they interrupt nothing.
sigset_t handled_signals() {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) sigaddset(&set, sig);
  return set;
}

void watch(int epoll_fd, int fd) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = fd;
  if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev)) throw std::runtime_error(std::string("epoll: ") + strerror(errno));
}

int open_pidfd(pid_t pid) { return static_cast<int>(syscall(SYS_pidfd_open, pid, 0)); }

int shell_status(const siginfo_t& info) {
  if (info.si_code == CLD_EXITED) return info.si_status;
  return 128 + info.si_status;
}

}  // namespace

int run_command(const RunCommand& command) {
  sigset_t signals = handled_signals();
  sigprocmask(SIG_BLOCK, &signals, nullptr);
  Fd signal_fd(signalfd(-1, &signals, SFD_CLOEXEC | SFD_NONBLOCK), "signalfd");

  Graph* graph = nullptr;
  ProbeOptions probe_options;
  probe_options.self_pid = static_cast<uint32_t>(getpid());
  probe_options.ring_buffer_bytes = command.trace.ring_buffer_mb << 20;
  probe_options.verbose = command.trace.verbose;
  Probe probe(probe_options, [&graph](const void* data, size_t size) {
    if (auto event = decode_record(data, size)) graph->apply(*event);
  });

  uint64_t origin = monotonic_ns();
  GatedChild child(command.command);
  Graph traced_graph({origin, probe_options.self_pid, static_cast<uint32_t>(child.pid())});
  graph = &traced_graph;
  probe.track(child.pid());
  if (int error = child.release()) {
    std::cerr << "proclife: cannot execute '" << command.command.front() << "': " << strerror(error) << '\n';
    return error == ENOENT ? kExitNotFound : kExitCannotExecute;
  }

  Fd child_fd(open_pidfd(child.pid()), "pidfd_open");
  Fd epoll_fd(epoll_create1(EPOLL_CLOEXEC), "epoll_create1");
  watch(epoll_fd.get(), probe.ready_fd());
  watch(epoll_fd.get(), child_fd.get());
  watch(epoll_fd.get(), signal_fd.get());

  int status = kExitProclifeError;
  bool interrupted = false;
  for (bool child_running = true; child_running;) {
    epoll_event ready[3];
    int n = epoll_wait(epoll_fd.get(), ready, 3, kPollMs);
    if (n < 0 && errno != EINTR) throw std::runtime_error(std::string("epoll_wait: ") + strerror(errno));
    probe.consume();  // wake-ups are batched: read on every turn
    for (int i = 0; i < n; ++i) {
      if (ready[i].data.fd == child_fd.get()) {
        siginfo_t info{};
        if (waitid(static_cast<idtype_t>(P_PIDFD), child_fd.get(), &info, WEXITED) == 0) {
          status = shell_status(info);
          child_running = false;
        }
      } else if (ready[i].data.fd == signal_fd.get()) {
        signalfd_siginfo si{};
        while (read(signal_fd.get(), &si, sizeof si) == sizeof si) {
          if (interrupted) {
            std::cerr << "proclife: interrupted again; reporting without waiting for " << child.pid() << '\n';
            child_running = false;
            status = 128 + static_cast<int>(si.ssi_signo);
            break;
          }
          interrupted = true;
          // Ctrl-C from the terminal already reached CMD's process group.
          if (si.ssi_code != SI_KERNEL) kill(child.pid(), static_cast<int>(si.ssi_signo));
        }
      }
    }
  }
  probe.consume();
  traced_graph.finish(monotonic_ns());
  traced_graph.set_lost_events(probe.lost_events());
  write_report(traced_graph, ReportContext{command.command}, command.trace.output);
  return status;
}

}  // namespace proclife
