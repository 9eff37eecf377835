#include "probe.hpp"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <fmt/format.h>
#include <malloc.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <vector>
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
#include "proclife_abi.h"

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

const char* reap_source_name(ReapSource source) {
  switch (source) {
    case ReapSource::automatic: return "auto";
    case ReapSource::fexit: return "fexit";
    case ReapSource::syscall_tracepoint: return "sys_exit";
    case ReapSource::none: return "none";
  }
  return "none";
}

std::optional<ReapSource> parse_reap_source(std::string_view name) {
  for (auto source : {ReapSource::automatic, ReapSource::fexit, ReapSource::syscall_tracepoint, ReapSource::none})
    if (name == reap_source_name(source)) return source;
  return std::nullopt;
}

namespace {

ReapSource requested_reap_source(ReapSource option) {
  if (option != ReapSource::automatic) return option;
  const char* forced = getenv("PROCLIFE_REAP_SOURCE");
  if (!forced || !*forced) return option;
  auto source = parse_reap_source(forced);
  if (!source) throw std::runtime_error(fmt::format("PROCLIFE_REAP_SOURCE={}: expected auto, fexit, sys_exit or none", forced));
  return *source;
}

// Some kernels refuse every fentry/fexit program before the verifier sees it
// (EPERM on this Firecracker 6.18 host, whatever the target). A two-instruction
// program with no target tells that in microseconds; a kernel that accepts
// tracing programs rejects it for the missing target instead (EINVAL). Only
// then is the real fexit load worth trying: a failed one costs a second parse
// of the kernel's BTF.
bool kernel_refuses_fexit() {
  const bpf_insn insns[] = {
      {BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0},
      {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
  };
  LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_TRACE_FEXIT);
  int fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "pl_fexit_probe", "GPL", insns, 2, &opts);
  if (fd >= 0) {
    close(fd);
    return false;
  }
  return errno == EPERM;
}

// Start-up phases, for --verbose: where the milliseconds go.
struct PhaseClock {
  bool on;
  uint64_t last = monotonic_ns();
  void operator()(const char* phase) {
    if (!on) return;
    uint64_t now = monotonic_ns();
    fprintf(stderr, "proclife: probe: %s %.1f ms\n", phase, (now - last) / 1e6);
    last = now;
  }
};

}  // namespace

Probe::Probe(const ProbeOptions& options, RecordHandler handler)
    : skel_(nullptr, proclife_bpf__destroy), ring_(nullptr, ring_buffer__free), handler_(std::move(handler)) {
  check_environment();
  verbose_libbpf = options.verbose;
  libbpf_set_print(print_libbpf);
  PhaseClock phase{options.verbose};

  ReapSource wanted = requested_reap_source(options.reap_source);
  // auto tries fexit first; a kernel that refuses it (EPERM on some hosts)
  // costs one more open and load, with sys_exit instead.
  std::vector<ReapSource> attempts;
  if (wanted != ReapSource::automatic) attempts = {wanted};
  else if (kernel_refuses_fexit()) attempts = {ReapSource::syscall_tracepoint};
  else attempts = {ReapSource::fexit, ReapSource::syscall_tracepoint};
  phase("fexit check");

  for (size_t attempt = 0; attempt < attempts.size(); ++attempt) {
    ReapSource source = attempts[attempt];
    bool last = attempt + 1 == attempts.size();
    skel_.reset(proclife_bpf__open());
    if (!skel_) fail("cannot open proclife's eBPF object", errno);
    phase("open");
    skel_->rodata->cfg_trace_all = options.trace_all;
    skel_->rodata->cfg_self_tgid = options.self_pid;
    // Batch wake-ups: userspace also polls on a short timeout, so a quarter of
    // the buffer waiting is the latest point at which to be woken.
    skel_->rodata->cfg_wakeup_bytes = options.ring_buffer_bytes / 4;
    if (int err = bpf_map__set_max_entries(skel_->maps.events, options.ring_buffer_bytes))
      fail("invalid ring buffer size", -err);
    bpf_program__set_autoload(skel_->progs.handle_sys_exit, source == ReapSource::syscall_tracepoint);
    bpf_program__set_autoload(skel_->progs.handle_kernel_wait4_exit, source == ReapSource::fexit);
    bpf_program__set_autoload(skel_->progs.handle_kernel_waitid_exit, source == ReapSource::fexit);
    // exit_group's hook follows the same verdict: fentry where fexit loads.
    skel_->rodata->cfg_stacks = options.stacks;
    bool exit_group_fentry = source == ReapSource::fexit;
    bpf_program__set_autoload(skel_->progs.handle_exit_group_entry, options.stacks && exit_group_fentry);
    bpf_program__set_autoload(skel_->progs.handle_sys_enter, options.stacks && !exit_group_fentry);
    int err = proclife_bpf__load(skel_.get());
    phase("load (kernel BTF, maps, verifier)");
    if (err && !last) {
      if (options.verbose)
        fprintf(stderr, "proclife: fexit programs refused (%s): wait results from tp_btf/sys_exit instead\n",
                strerror(-err));
      failing_program_note.clear();
      continue;
    }
    if (err) {
      if (std::string missing = missing_tracepoints(skel_->obj); !missing.empty())
        throw std::runtime_error(
            fmt::format("kernel {} lacks tracepoints proclife needs: {}", kernel_release(), missing));
      fail(source == ReapSource::fexit ? "the kernel refused to load proclife's fexit programs (try "
                                         "PROCLIFE_REAP_SOURCE=sys_exit)"
                                       : "the kernel refused to load proclife's eBPF programs",
           -err);
    }
    reap_source_ = source;
    if (options.stacks) exit_group_hook_ = exit_group_fentry ? "fentry/__x64_sys_exit_group" : "tp_btf/sys_enter";
    break;
  }
  if (int err = proclife_bpf__attach(skel_.get())) fail("cannot attach proclife's eBPF programs", -err);
  phase("attach");
  // Loading parsed the kernel's BTF (megabytes) and freed it: give it back.
  malloc_trim(0);
  phase("malloc_trim");

  ring_.reset(ring_buffer__new(bpf_map__fd(skel_->maps.events), &Probe::on_record, this, nullptr));
  if (!ring_) fail("cannot set up the ring buffer", errno);
  if (options.verbose) fprintf(stderr, "proclife: reap source: %s\n", reap_source_name(reap_source_));
  if (options.verbose && exit_group_hook_) fprintf(stderr, "proclife: exit_group stacks: %s\n", exit_group_hook_);
}

Probe::~Probe() = default;

void Probe::track(pid_t pid) {
  uint32_t key = static_cast<uint32_t>(pid);
  uint64_t adopt_start = 0;  // the kernel fills in the start time at its first event
  if (bpf_map__update_elem(skel_->maps.traced, &key, sizeof key, &adopt_start, sizeof adopt_start, BPF_ANY))
    fail(fmt::format("cannot follow pid {}", pid), errno);
}

void Probe::set_python_runtime(uint32_t tgid, uint64_t runtime_address) {
  pl_python_runtime runtime{runtime_address, PL_PY_LAYOUT_311, 0};
  if (bpf_map__update_elem(skel_->maps.python_runtimes, &tgid, sizeof tgid, &runtime, sizeof runtime, BPF_ANY))
    fail(fmt::format("cannot register the Python runtime of pid {}", tgid), errno);
}

void Probe::forget_python_runtime(uint32_t tgid) {
  // ENOENT: the kernel forgot it first (exec, free).
  bpf_map__delete_elem(skel_->maps.python_runtimes, &tgid, sizeof tgid, 0);
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

uint64_t Probe::stacks_not_taken() const { return skel_->bss->stacks_not_taken; }

uint64_t Probe::lost_events() const {
  uint64_t lost = 0;
  for (uint64_t count : skel_->bss->lost_events) lost += count;
  return lost;
}

}  // namespace proclife
