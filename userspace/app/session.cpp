#include "session.hpp"

#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include "ingest.hpp"

namespace proclife {
namespace {

constexpr int kPollMs = 50;

sigset_t handled_signals() {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD}) sigaddset(&set, sig);
  return set;
}

int checked(int fd, const char* what) {
  if (fd < 0) throw std::runtime_error(std::string(what) + ": " + strerror(errno));
  return fd;
}

void watch(int epoll_fd, int fd) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = fd;
  if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev))
    throw std::runtime_error(std::string("epoll_ctl: ") + strerror(errno));
}

// Signals are turned into events on a signalfd, so they interrupt nothing;
// blocked before the probe exists, so none is lost in between.
int open_signal_fd() {
  sigset_t signals = handled_signals();
  sigprocmask(SIG_BLOCK, &signals, nullptr);
  return checked(signalfd(-1, &signals, SFD_CLOEXEC | SFD_NONBLOCK), "signalfd");
}

ProbeOptions probe_options(const TraceOptions& options, uint32_t self_pid) {
  ProbeOptions probe;
  probe.self_pid = self_pid;
  probe.ring_buffer_bytes = options.ring_buffer_mb << 20;
  probe.verbose = options.verbose;
  probe.trace_all = options.trace_all;
  probe.reap_source = options.reap_source;
  probe.stacks = options.stacks;
  return probe;
}

}  // namespace

Session::Session(const TraceOptions& options)
    : self_pid_(static_cast<uint32_t>(getpid())),
      signal_fd_(open_signal_fd()),
      epoll_fd_(checked(epoll_create1(EPOLL_CLOEXEC), "epoll_create1")),
      probe_(probe_options(options, self_pid_), [this](const void* data, size_t size) {
        ingest_record(graph_, recorder_ ? &*recorder_ : nullptr, data, size, prepare_);
      }) {
  if (options.stacks) {
    stacks_ = std::make_unique<StackStage>(probe_, options.verbose);
    prepare_ = [this](Event& event) { stacks_->prepare(event); };
  }
  watch(epoll_fd_, probe_.ready_fd());
  watch(epoll_fd_, signal_fd_);
}

Session::~Session() {
  close(epoll_fd_);
  close(signal_fd_);
}

Graph& Session::configure_graph(GraphOptions options) {
  options.reap_source = reap_source_name(probe_.reap_source());
  graph_.set_options(std::move(options));
  return graph_;
}

void Session::consume() {
  probe_.consume();
  if (recorder_) recorder_->flush();  // a crash loses at most one batch
}

void Session::record_to(std::unique_ptr<std::ostream> file, RecordHeader header) {
  record_file_ = std::move(file);
  header.proclife_version = PROCLIFE_VERSION;
  header.reap_source = reap_source_name(probe_.reap_source());
  utsname uts{};
  if (uname(&uts) == 0) header.kernel_release = uts.release;
  std::ifstream boot_id("/proc/sys/kernel/random/boot_id");
  std::getline(boot_id, header.boot_id);
  recorder_.emplace(*record_file_, header);
}

std::optional<int> Session::pending_signal() {
  signalfd_siginfo info{};
  while (read(signal_fd_, &info, sizeof info) == sizeof info)
    if (info.ssi_signo != SIGCHLD) return static_cast<int>(info.ssi_signo);
  return std::nullopt;
}

Session::Woken Session::follow(const std::function<bool()>& done, int watch_fd, std::optional<uint64_t> deadline_ns) {
  if (watch_fd >= 0) watch(epoll_fd_, watch_fd);
  struct Unwatch {
    int epoll_fd, fd;
    ~Unwatch() {
      if (fd >= 0) epoll_ctl(epoll_fd, EPOLL_CTL_DEL, fd, nullptr);
    }
  } unwatch{epoll_fd_, watch_fd};

  for (;;) {
    consume();  // wake-ups are batched in the kernel: read on every turn
    if (done && done()) return {Wake::done};
    if (deadline_ns && monotonic_ns() >= *deadline_ns) return {Wake::deadline};
    epoll_event ready[4];
    int n = epoll_wait(epoll_fd_, ready, 4, kPollMs);
    if (n < 0 && errno != EINTR) throw std::runtime_error(std::string("epoll_wait: ") + strerror(errno));
    for (int i = 0; i < n; ++i) {
      if (ready[i].data.fd == watch_fd) {
        consume();
        return {Wake::watched_fd};
      }
      if (ready[i].data.fd != signal_fd_) continue;
      signalfd_siginfo info{};
      if (read(signal_fd_, &info, sizeof info) != sizeof info) continue;
      if (info.ssi_signo == SIGCHLD) {
        if (on_child_) on_child_();
        continue;
      }
      return {Wake::signal, static_cast<int>(info.ssi_signo), info.ssi_code == SI_KERNEL};
    }
  }
}

void Session::settle_reaps() {
  constexpr uint64_t kSettleNs = 500'000'000;
  auto settled = [this] {
    for (const auto& process : graph_.processes())
      if (process.end_state() == EndState::zombie && !process.parent) return false;
    return true;
  };
  if (!settled()) follow(settled, -1, monotonic_ns() + kSettleNs);
}

void Session::finish() {
  consume();
  graph_.finish(monotonic_ns());
  graph_.set_lost_events(probe_.lost_events());
  graph_.set_stacks_not_taken(probe_.stacks_not_taken());
  if (stacks_) stacks_->add_lines(graph_);
  if (recorder_) recorder_->finish({graph_.lost_events(), graph_.end_ns(), graph_.decode_errors()});
}

}  // namespace proclife
