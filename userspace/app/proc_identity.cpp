#include "proc_identity.hpp"

#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <fstream>
#include <iterator>

namespace proclife {
namespace {

uint64_t clock_ns(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + ts.tv_nsec;
}

// Empty when the file cannot be read. A /proc file of a process that exits
// while it is read fails with ESRCH, which the stream buffer throws as
// std::ios_base::failure straight through istreambuf_iterator.
std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  try {
    return std::string(std::istreambuf_iterator<char>(in), {});
  } catch (const std::ios_base::failure&) {
    return {};
  }
}

}  // namespace

std::optional<ProcStat> read_proc_stat(pid_t pid) {
  std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  // comm sits in parentheses and may itself contain ") ": parse from the last ')'.
  auto open = stat.find('('), close = stat.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close + 2 >= stat.size()) return std::nullopt;
  ProcStat result;
  result.comm = stat.substr(open + 1, close - open - 1);
  // Fields from 3 (state) on; 22 is starttime.
  unsigned long long start = 0;
  unsigned parent = 0, flags = 0;
  if (sscanf(stat.c_str() + close + 2, "%c %u %*d %*d %*d %*d %u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
             &result.state, &parent, &flags, &start) != 4)
    return std::nullopt;
  result.parent_pid = parent;
  result.flags = flags;
  result.start_ticks = start;
  return result;
}

bool same_start(uint64_t start_ns, uint64_t start_ticks) {
  static const uint64_t ns_per_tick = 1000000000ull / static_cast<uint64_t>(sysconf(_SC_CLK_TCK));
  // Read now, the offset between the clocks is exact to a few microseconds:
  // allow the one tick that can straddle.
  uint64_t offset = clock_ns(CLOCK_BOOTTIME) - clock_ns(CLOCK_MONOTONIC);
  uint64_t expected = (start_ns + offset) / ns_per_tick;
  return start_ticks + 1 >= expected && start_ticks <= expected + 1;
}

int open_verified_pidfd(pid_t pid, uint64_t start_ns) {
  int fd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0) return -1;
  // Read after the pidfd is held: if pid was reused before pidfd_open, the
  // start time read here is the stranger's and does not match.
  auto stat = read_proc_stat(pid);
  if (!stat || stat->state == 'Z' || stat->state == 'X' || !same_start(start_ns, stat->start_ticks)) {
    close(fd);
    return -1;
  }
  return fd;
}

std::optional<NowRunning> current_command(pid_t pid, uint64_t start_ns) {
  auto before = read_proc_stat(pid);
  if (!before || before->state == 'Z' || !same_start(start_ns, before->start_ticks)) return std::nullopt;
  std::string cmdline = read_file("/proc/" + std::to_string(pid) + "/cmdline");
  auto after = read_proc_stat(pid);  // still the same process after reading it
  if (!after || after->start_ticks != before->start_ticks) return std::nullopt;
  NowRunning now{after->comm, {}};
  for (size_t begin = 0; begin < cmdline.size();) {
    size_t end = cmdline.find('\0', begin);
    if (end == std::string::npos) end = cmdline.size();
    now.argv.push_back(cmdline.substr(begin, end - begin));
    begin = end + 1;
  }
  return now;
}

}  // namespace proclife
