#include "loader.hpp"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <fmt/format.h>
#include <malloc.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <regex>
#include <stdexcept>
#include <string_view>

#include "light_loader.h"
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

using Skeleton = std::unique_ptr<proclife_bpf, void (*)(proclife_bpf*)>;

struct LoadResult {
  Skeleton skel{nullptr, proclife_bpf__destroy};
  ReapSource reap_source = ReapSource::none;
};

// The reap sources to try, in order: auto tries fexit first; a kernel that
// refuses it (EPERM on some hosts) costs one more load, with sys_exit instead.
std::vector<ReapSource> reap_source_attempts(const ProbeOptions& options) {
  ReapSource wanted = requested_reap_source(options.reap_source);
  if (wanted != ReapSource::automatic) return {wanted};
  if (kernel_refuses_fexit()) return {ReapSource::syscall_tracepoint};
  return {ReapSource::fexit, ReapSource::syscall_tracepoint};
}

// Batch wake-ups: userspace also polls on a short timeout, so a quarter of
// the buffer waiting is the latest point at which to be woken.
uint64_t wakeup_bytes(const ProbeOptions& options) { return options.ring_buffer_bytes / 4; }

// Without --stacks the programs never touch python_runtimes or poll_stacks,
// so one entry each: creating a map costs in proportion to its size (an LRU
// map's entries are all allocated then). 0 keeps the size they were built with.
uint32_t stacks_map_entries(const ProbeOptions& options) { return options.stacks ? 0 : 1; }

// Open, configure and load the skeleton, falling back from fexit to the
// sys_exit tracepoint when the kernel refuses fexit programs.
LoadResult open_and_load(const ProbeOptions& options, const std::vector<ReapSource>& attempts) {
  verbose_libbpf = options.verbose;
  libbpf_set_print(print_libbpf);
  PhaseClock phase{options.verbose};

  LoadResult result;
  for (size_t attempt = 0; attempt < attempts.size(); ++attempt) {
    ReapSource source = attempts[attempt];
    bool last = attempt + 1 == attempts.size();
    result.skel.reset(proclife_bpf__open());
    proclife_bpf* skel = result.skel.get();
    if (!skel) throw_probe_error("cannot open proclife's eBPF object", errno);
    phase("open");
    skel->rodata->cfg_trace_all = options.trace_all;
    skel->rodata->cfg_self_tgid = options.self_pid;
    skel->rodata->cfg_wakeup_bytes = wakeup_bytes(options);
    if (int err = bpf_map__set_max_entries(skel->maps.events, options.ring_buffer_bytes))
      throw_probe_error("invalid ring buffer size", -err);
    if (uint32_t entries = stacks_map_entries(options)) {
      bpf_map__set_max_entries(skel->maps.python_runtimes, entries);
      bpf_map__set_max_entries(skel->maps.poll_stacks, entries);
    }
    bpf_program__set_autoload(skel->progs.handle_sys_exit, source == ReapSource::syscall_tracepoint);
    bpf_program__set_autoload(skel->progs.handle_kernel_wait4_exit, source == ReapSource::fexit);
    bpf_program__set_autoload(skel->progs.handle_kernel_waitid_exit, source == ReapSource::fexit);
    skel->rodata->cfg_stacks = options.stacks;
    bool exit_group_fentry = exit_group_by_fentry(source);
    bpf_program__set_autoload(skel->progs.handle_exit_group_entry, options.stacks && exit_group_fentry);
    bpf_program__set_autoload(skel->progs.handle_sys_enter, options.stacks && !exit_group_fentry);
    int err = proclife_bpf__load(skel);
    phase("load (kernel BTF, maps, verifier)");
    if (err && !last) {
      if (options.verbose)
        fprintf(stderr, "proclife: fexit programs refused (%s): wait results from tp_btf/sys_exit instead\n",
                strerror(-err));
      failing_program_note.clear();
      continue;
    }
    if (err) {
      if (std::string missing = missing_tracepoints(skel->obj); !missing.empty())
        throw std::runtime_error(
            fmt::format("kernel {} lacks tracepoints proclife needs: {}", kernel_release(), missing));
      throw_probe_error(source == ReapSource::fexit ? "the kernel refused to load proclife's fexit programs (try "
                                                      "PROCLIFE_REAP_SOURCE=sys_exit)"
                                                    : "the kernel refused to load proclife's eBPF programs",
                        -err);
    }
    result.reap_source = source;
    break;
  }
  return result;
}

// The loader's answer, followed by its descriptors in one SCM_RIGHTS message:
// the four maps in LoadedProbe's order, then one per program.
constexpr size_t kMaxPrograms = 32;
constexpr size_t kMapFds = 4;
struct LoaderReply {
  uint32_t ok = 0;
  uint8_t reap_source = 0;
  uint32_t program_count = 0;
  uint64_t counters_bytes = 0;
  char error[1024] = {};
};

void send_reply(int socket, const LoaderReply& reply, const std::vector<int>& fds) {
  iovec data{const_cast<LoaderReply*>(&reply), sizeof reply};
  msghdr message{};
  message.msg_iov = &data;
  message.msg_iovlen = 1;
  std::vector<char> control(CMSG_SPACE(sizeof(int) * fds.size()));
  if (!fds.empty()) {
    message.msg_control = control.data();
    message.msg_controllen = control.size();
    cmsghdr* header = CMSG_FIRSTHDR(&message);
    header->cmsg_level = SOL_SOCKET;
    header->cmsg_type = SCM_RIGHTS;
    header->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    memcpy(CMSG_DATA(header), fds.data(), sizeof(int) * fds.size());
  }
  while (sendmsg(socket, &message, MSG_NOSIGNAL) < 0 && errno == EINTR) {
  }
}

// The helper's memory is libbpf's copy and index of the kernel's BTF, ~15 MiB
// written once and dropped at exit: in 4 KiB pages, thousands of page faults,
// which were a third of the load's time on a VM where a fault is dear (helper
// 90 -> 48 ms, median). Served from one heap extension advised for
// transparent huge pages, they are a few faults. Where THP is off, the advice
// does nothing and the heap is as before.
void prepare_heap_for_btf() {
  constexpr size_t kHeapBytes = size_t{32} << 20;  // glibc's largest mmap threshold
  constexpr uintptr_t kHugePage = uintptr_t{2} << 20;
  mallopt(M_MMAP_THRESHOLD, kHeapBytes);  // large blocks from the heap, not a mapping each
  mallopt(M_TRIM_THRESHOLD, 2 * kHeapBytes);
  auto start = reinterpret_cast<uintptr_t>(sbrk(0));
  void* volatile extension = malloc(kHeapBytes - 4096);  // volatile: the pair may not be elided
  free(extension);  // kept as free space at the top of the heap
  auto end = reinterpret_cast<uintptr_t>(sbrk(0));
  uintptr_t from = (start + kHugePage - 1) & ~(kHugePage - 1);
  if (end > from) madvise(reinterpret_cast<void*>(from), end - from, MADV_HUGEPAGE);
}

// The child's whole life: load, answer, exit. Never returns.
[[noreturn]] void run_loader(int socket, const ProbeOptions& options, const std::vector<ReapSource>& attempts) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  prepare_heap_for_btf();
  LoaderReply reply;
  std::vector<int> fds;
  try {
    LoadResult loaded = open_and_load(options, attempts);
    proclife_bpf* skel = loaded.skel.get();
    reply.reap_source = static_cast<uint8_t>(loaded.reap_source);
    reply.counters_bytes = bpf_map__value_size(skel->maps.bss);
    fds = {bpf_map__fd(skel->maps.events), bpf_map__fd(skel->maps.traced), bpf_map__fd(skel->maps.python_runtimes),
           bpf_map__fd(skel->maps.bss)};
    bpf_program* program;
    bpf_object__for_each_program(program, skel->obj) {
      if (!bpf_program__autoload(program)) continue;
      if (reply.program_count++ == kMaxPrograms) throw std::runtime_error("proclife's eBPF object has too many programs");
      fds.push_back(bpf_program__fd(program));
    }
    reply.ok = 1;
    send_reply(socket, reply, fds);
  } catch (const std::exception& error) {
    snprintf(reply.error, sizeof reply.error, "%s", error.what());
    send_reply(socket, reply, {});
  }
  // No destructors, no atexit, no stdio flush of the parent's buffers: the
  // kernel closes our copies; the parent holds its own.
  _exit(0);
}

LoaderReply receive_reply(int socket, std::vector<Fd>& fds) {
  LoaderReply reply;
  iovec data{&reply, sizeof reply};
  std::vector<char> control(CMSG_SPACE(sizeof(int) * (kMapFds + kMaxPrograms)));
  msghdr message{};
  message.msg_iov = &data;
  message.msg_iovlen = 1;
  message.msg_control = control.data();
  message.msg_controllen = control.size();
  ssize_t got;
  while ((got = recvmsg(socket, &message, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR) {
  }
  for (cmsghdr* header = CMSG_FIRSTHDR(&message); header; header = CMSG_NXTHDR(&message, header)) {
    if (header->cmsg_level != SOL_SOCKET || header->cmsg_type != SCM_RIGHTS) continue;
    size_t count = (header->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; ++i) {
      int fd;
      memcpy(&fd, CMSG_DATA(header) + i * sizeof(int), sizeof fd);
      fds.emplace_back(fd);
    }
  }
  if (got != static_cast<ssize_t>(sizeof reply)) reply.ok = 0;
  return reply;
}

std::string describe_wait_status(int status) {
  if (WIFSIGNALED(status)) return fmt::format("killed by signal {}", WTERMSIG(status));
  return fmt::format("exit status {}", WEXITSTATUS(status));
}

}  // namespace

void throw_probe_error(const std::string& what, int error) {
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

namespace {

enum class Loader { automatic, light, libbpf };

// PROCLIFE_LOADER=light|libbpf: a test and diagnostic knob, as
// PROCLIFE_REAP_SOURCE is. auto tries the light skeleton, then libbpf.
Loader requested_loader() {
  const char* forced = getenv("PROCLIFE_LOADER");
  if (!forced || !*forced || forced == std::string_view("auto")) return Loader::automatic;
  if (forced == std::string_view("light")) return Loader::light;
  if (forced == std::string_view("libbpf")) return Loader::libbpf;
  throw std::runtime_error(fmt::format("PROCLIFE_LOADER={}: expected auto, light or libbpf", forced));
}

pl_light_reap light_reap(ReapSource source) {
  switch (source) {
    case ReapSource::fexit: return PL_LIGHT_REAP_FEXIT;
    case ReapSource::syscall_tracepoint: return PL_LIGHT_REAP_SYS_EXIT;
    default: return PL_LIGHT_REAP_NONE;
  }
}

// The light skeleton of the first reap source the kernel loads, in this
// process: no BTF is read here, so there is no memory to give back. nullopt
// when every attempt fails (a kernel before 5.17, say).
std::optional<LoadedProbe> load_light(const ProbeOptions& options, const std::vector<ReapSource>& attempts,
                                      int& last_error) {
  const pl_light_config config{options.trace_all, options.self_pid, options.stacks, options.ring_buffer_bytes,
                               stacks_map_entries(options), wakeup_bytes(options)};
  for (ReapSource source : attempts) {
    pl_light_probe light{};
    if (int err = pl_light_load(light_reap(source), &config, &light)) {
      last_error = -err;
      if (options.verbose)
        fprintf(stderr, "proclife: probe: the kernel refused the light skeleton for reap source %s: %s\n",
                reap_source_name(source), strerror(-err));
      continue;
    }
    LoadedProbe probe;
    probe.loaded_by = "the kernel (light skeleton)";
    probe.reap_source = source;
    probe.events = Fd(light.events);
    probe.traced = Fd(light.traced);
    probe.python_runtimes = Fd(light.python_runtimes);
    probe.counters = Fd(light.counters);
    probe.counters_bytes = light.counters_bytes;
    for (uint32_t i = 0; i < light.program_count; ++i) probe.programs.emplace_back(light.programs[i]);
    return probe;
  }
  return std::nullopt;
}

// libbpf's skeleton, loaded in a helper process (loader.hpp says why).
LoadedProbe load_in_helper(const ProbeOptions& options, const std::vector<ReapSource>& attempts) {
  int sockets[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sockets))
    throw std::runtime_error(fmt::format("socketpair: {}", strerror(errno)));
  Fd ours(sockets[0]), theirs(sockets[1]);
  fflush(nullptr);  // buffered output must not be written twice
  pid_t loader = fork();
  if (loader < 0) throw std::runtime_error(fmt::format("cannot fork the probe loader: {}", strerror(errno)));
  if (loader == 0) {
    close(ours.release());
    run_loader(theirs.get(), options, attempts);
  }
  theirs = Fd();
  std::vector<Fd> fds;
  LoaderReply reply = receive_reply(ours.get(), fds);
  int status = 0;
  rusage usage{};
  while (wait4(loader, &status, 0, &usage) < 0 && errno == EINTR) {
  }
  if (!reply.ok) {
    if (reply.error[0]) throw std::runtime_error(std::string(reply.error, strnlen(reply.error, sizeof reply.error)));
    throw std::runtime_error(fmt::format("proclife's probe loader died before loading ({})", describe_wait_status(status)));
  }
  if (fds.size() != kMapFds + reply.program_count)
    throw std::runtime_error(fmt::format("proclife's probe loader handed over {} descriptors, {} expected", fds.size(),
                                         kMapFds + reply.program_count));
  LoadedProbe probe;
  probe.loaded_by = "libbpf in a helper process";
  probe.reap_source = static_cast<ReapSource>(reply.reap_source);
  probe.events = std::move(fds[0]);
  probe.traced = std::move(fds[1]);
  probe.python_runtimes = std::move(fds[2]);
  probe.counters = std::move(fds[3]);
  probe.counters_bytes = reply.counters_bytes;
  for (uint32_t i = 0; i < reply.program_count; ++i)
    probe.programs.push_back(std::move(fds[kMapFds + i]));
  probe.loader_peak_rss_kib = static_cast<uint64_t>(usage.ru_maxrss);
  return probe;
}

}  // namespace

LoadedProbe load_probe(const ProbeOptions& options) {
  Loader loader = requested_loader();
  check_environment();
  std::vector<ReapSource> attempts = reap_source_attempts(options);
  if (loader != Loader::libbpf) {
    int error = 0;
    if (std::optional<LoadedProbe> probe = load_light(options, attempts, error)) return std::move(*probe);
    // The light skeleton's loader says no more than an errno; libbpf's log
    // names the program and the reason.
    if (loader == Loader::light)
      throw std::runtime_error(fmt::format("PROCLIFE_LOADER=light: kernel {} refused proclife's light skeleton: {} "
                                           "(PROCLIFE_LOADER=libbpf --verbose shows which program, and why)",
                                           kernel_release(), strerror(error)));
    if (options.verbose) fprintf(stderr, "proclife: probe: loading with libbpf instead\n");
  }
  return load_in_helper(options, attempts);
}

}  // namespace proclife
