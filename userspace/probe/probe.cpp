#include "probe.hpp"

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <fmt/format.h>
#include <malloc.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdarg>
#include <regex>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <string>
#include <stdexcept>
#include <utility>

#include "proclife.skel.h"

namespace proclife {
namespace {

bool verbose_libbpf = false;
// libbpf's last warning that names a program: what a load failure is about.
std::string failing_program_note;

// Without --verbose libbpf stays silent: its failures reach the user as one
// line, naming the program libbpf last complained about.
int print_libbpf(enum libbpf_print_level level, const char* format, va_list args) {
  va_list copy;
  va_copy(copy, args);
  char line[512];
  vsnprintf(line, sizeof line, format, copy);
  va_end(copy);
  static const std::regex program_named("prog '([A-Za-z0-9_]+)'");
  std::cmatch match;
  if (level == LIBBPF_WARN && std::regex_search(line, match, program_named))
    failing_program_note = std::string(" (program ") + match[1].str() + ")";
  return verbose_libbpf ? vfprintf(stderr, format, args) : 0;
}

std::string kernel_release() {
  utsname uts{};
  return uname(&uts) == 0 ? uts.release : "unknown";
}

// The effective capabilities (CapEff in /proc/self/status), 0 if unreadable.
uint64_t effective_capabilities() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("CapEff:", 0) == 0) return std::stoull(line.substr(7), nullptr, 16);
  return 0;
}

constexpr int kCapSysAdmin = 21, kCapPerfmon = 38, kCapBpf = 39;

// What loading and attaching tracing programs needs, as the kernel checks it:
// bpf_capable() is CAP_BPF or CAP_SYS_ADMIN, perfmon_capable() CAP_PERFMON
// or CAP_SYS_ADMIN. The uid does not matter; "" when all is there.
std::string missing_capabilities() {
  uint64_t caps = effective_capabilities();
  auto has = [caps](int cap) { return (caps >> cap) & 1; };
  if (has(kCapSysAdmin)) return {};
  std::string missing;
  if (!has(kCapBpf)) missing = "CAP_BPF";
  if (!has(kCapPerfmon)) missing += std::string(missing.empty() ? "" : " and ") + "CAP_PERFMON";
  return missing;
}

[[noreturn]] void fail(const std::string& what, int error) {
  std::string hint;
  if ((error == EPERM || error == EACCES) && !missing_capabilities().empty())
    hint = " (proclife needs root: CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN)";
  else if (error == EACCES)
    hint = " (the kernel's verifier rejected it)";
  else if (error == ENOENT || error == ESRCH)
    hint = " (a tracepoint or kernel type proclife uses is missing from this kernel)";
  throw std::runtime_error(fmt::format("{}{} on kernel {}: {}{}; run with --verbose for libbpf's log", what,
                                       failing_program_note, kernel_release(), strerror(error), hint));
}

// After a failed load: which of our tracepoints does this kernel not have?
// Probed from its BTF (a tp_btf target is the typedef btf_trace_<name>), so
// the answer holds for any kernel, whatever its version says.
std::string missing_tracepoints(bpf_object* object) {
  btf* vmlinux = btf__load_vmlinux_btf();
  if (!vmlinux) return {};
  std::string missing;
  bpf_program* program;
  bpf_object__for_each_program(program, object) {
    std::string section = bpf_program__section_name(program);
    const std::string prefix = "tp_btf/";
    if (section.rfind(prefix, 0) != 0) continue;
    std::string tracepoint = section.substr(prefix.size());
    if (btf__find_by_name_kind(vmlinux, ("btf_trace_" + tracepoint).c_str(), BTF_KIND_TYPEDEF) >= 0) continue;
    missing += fmt::format("{}{} (program {})", missing.empty() ? "" : ", ", tracepoint, bpf_program__name(program));
  }
  btf__free(vmlinux);
  return missing;
}

void check_environment() {
  if (std::string missing = missing_capabilities(); !missing.empty())
    throw std::runtime_error("proclife needs root to load its eBPF programs (CAP_BPF and CAP_PERFMON, or "
                             "CAP_SYS_ADMIN); it lacks " + missing + ": run it with sudo");
  if (!std::filesystem::exists("/sys/kernel/btf/vmlinux"))
    throw std::runtime_error(
        "this kernel exposes no BTF (/sys/kernel/btf/vmlinux is missing); proclife needs a kernel built with "
        "CONFIG_DEBUG_INFO_BTF=y");
}

}  // namespace

uint64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + ts.tv_nsec;
}

Probe::Probe(const ProbeOptions& options, RecordHandler handler)
    : skel_(nullptr, proclife_bpf__destroy), ring_(nullptr, ring_buffer__free), handler_(std::move(handler)) {
  check_environment();
  verbose_libbpf = options.verbose;
  libbpf_set_print(print_libbpf);

  skel_.reset(proclife_bpf__open());
  if (!skel_) fail("cannot open proclife's eBPF object", errno);
  skel_->rodata->cfg_trace_all = options.trace_all;
  skel_->rodata->cfg_self_tgid = options.self_pid;
  // Batch wake-ups: userspace also polls on a short timeout, so a quarter of
  // the buffer waiting is the latest point at which to be woken.
  skel_->rodata->cfg_wakeup_bytes = options.ring_buffer_bytes / 4;
  if (!options.syscall_hook) bpf_program__set_autoload(skel_->progs.handle_sys_exit, false);
  if (int err = bpf_map__set_max_entries(skel_->maps.events, options.ring_buffer_bytes))
    fail("invalid ring buffer size", -err);
  if (int err = proclife_bpf__load(skel_.get())) {
    if (std::string missing = missing_tracepoints(skel_->obj); !missing.empty())
      throw std::runtime_error(fmt::format("kernel {} lacks tracepoints proclife needs: {}", kernel_release(), missing));
    fail("the kernel refused to load proclife's eBPF programs", -err);
  }
  if (int err = proclife_bpf__attach(skel_.get())) fail("cannot attach proclife's eBPF programs", -err);
  // Loading parsed the kernel's BTF (megabytes) and freed it: give it back.
  malloc_trim(0);

  ring_.reset(ring_buffer__new(bpf_map__fd(skel_->maps.events), &Probe::on_record, this, nullptr));
  if (!ring_) fail("cannot set up the ring buffer", errno);
}

Probe::~Probe() = default;

void Probe::track(pid_t pid) {
  uint32_t key = static_cast<uint32_t>(pid);
  uint64_t adopt_start = 0;  // the kernel fills in the start time at its first event
  if (bpf_map__update_elem(skel_->maps.traced, &key, sizeof key, &adopt_start, sizeof adopt_start, BPF_ANY))
    fail(fmt::format("cannot follow pid {}", pid), errno);
}

int Probe::ready_fd() const { return ring_buffer__epoll_fd(ring_.get()); }

int Probe::on_record(void* self, void* data, size_t size) {
  auto* probe = static_cast<Probe*>(self);
  // An exception must not unwind through libbpf's C frames: park it.
  try {
    probe->handler_(data, size);
    return 0;
  } catch (...) {
    probe->parked_ = std::current_exception();
    return -1;
  }
}

void Probe::consume() {
  int err = ring_buffer__consume(ring_.get());
  if (parked_) std::rethrow_exception(std::exchange(parked_, nullptr));
  if (err < 0 && err != -EINTR) fail("cannot read the ring buffer", -err);
}

Probe::Lost Probe::lost_by_cause() const {
  // Slot 0 is no event kind: the BPF side counts `traced` insert failures there.
  Lost lost;
  const auto& counts = skel_->bss->lost_events;
  lost.traced_table_full = counts[0];
  for (size_t kind = 1; kind < sizeof counts / sizeof counts[0]; ++kind) lost.ring_buffer_full += counts[kind];
  return lost;
}

uint64_t Probe::lost_events() const {
  uint64_t lost = 0;
  for (uint64_t count : skel_->bss->lost_events) lost += count;
  return lost;
}

}  // namespace proclife
