// Who a pid is now, from /proc, and whether it is still the process the
// probe saw: pids are reused, and a process is only identified by its pid
// together with its start time.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace proclife {

struct ProcStat {
  std::string comm;
  char state = '?';         // R, S, D, T, t, Z, X, I...
  uint32_t parent_pid = 0;
  uint64_t start_ticks = 0;  // field 22: clock ticks since boot (CLOCK_BOOTTIME)
  uint32_t flags = 0;        // field 9: task->flags (PF_KTHREAD)
};

// /proc/PID/stat, or nullopt when there is no such pid.
std::optional<ProcStat> read_proc_stat(pid_t pid);

// Whether `start_ns` (the kernel's task->start_time, CLOCK_MONOTONIC, as the
// probe reports it) is the start time /proc shows as `start_ticks`. /proc
// counts from CLOCK_BOOTTIME in clock ticks: the two clocks differ by the
// time spent suspended, so a suspend since the process started makes this
// false, which is the safe answer.
bool same_start(uint64_t start_ns, uint64_t start_ticks);

// A pidfd for `pid` if, once it is held, pid is still the process that
// started at `start_ns` and has not exited; -1 otherwise. Holding the pidfd
// makes a reuse after the check harmless.
int open_verified_pidfd(pid_t pid, uint64_t start_ns);

// What the process is now, if pid is still the process that started at
// `start_ns`: its comm and argv (/proc/PID/{stat,cmdline}).
struct NowRunning {
  std::string comm;
  std::vector<std::string> argv;
};
std::optional<NowRunning> current_command(pid_t pid, uint64_t start_ns);

}  // namespace proclife
