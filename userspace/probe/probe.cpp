#include "probe.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fmt/format.h>
#include <sys/mman.h>

#include <cerrno>
#include <cstdio>
#include <ctime>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include "loader.hpp"
#include "proclife.skel.h"
#include "proclife_abi.h"

namespace proclife {

namespace {

// The programs' .bss as the skeleton declares it.
using Counters = std::remove_pointer_t<decltype(proclife_bpf::bss)>;

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

Probe::Probe(const ProbeOptions& options, RecordHandler handler)
    : ring_(nullptr, ring_buffer__free), handler_(std::move(handler)) {
  uint64_t started = monotonic_ns();
  LoadedProbe loaded = load_probe(options);
  if (options.verbose)
    fprintf(stderr, "proclife: probe: loaded by %s in %.1f ms\n", loaded.loaded_by, (monotonic_ns() - started) / 1e6);
  if (options.verbose && loaded.loader_peak_rss_kib)
    fprintf(stderr, "proclife: probe: the helper's peak RSS %.1f MiB, returned at its exit\n",
            loaded.loader_peak_rss_kib / 1024.0);
  started = monotonic_ns();
  reap_source_ = loaded.reap_source;
  if (options.stacks) exit_group_hook_ = exit_group_by_fentry(loaded.reap_source) ? "fentry/__x64_sys_exit_group" : "tp_btf/sys_enter";
  traced_ = std::move(loaded.traced);
  python_runtimes_ = std::move(loaded.python_runtimes);
  void* counters = mmap(nullptr, loaded.counters_bytes, PROT_READ, MAP_SHARED, loaded.counters.get(), 0);
  if (counters == MAP_FAILED) throw_probe_error("cannot map proclife's counters", errno);
  counters_ = {counters, Unmap{loaded.counters_bytes}};
  // Every program's target was fixed when it was loaded (tp_btf, fentry,
  // fexit): attaching is one link per program, named by the program alone.
  for (const Fd& program : loaded.programs) {
    int link = bpf_raw_tracepoint_open(nullptr, program.get());
    if (link < 0) throw_probe_error("cannot attach proclife's eBPF programs", errno);
    links_.emplace_back(link);
  }
  ring_.reset(ring_buffer__new(loaded.events.get(), &Probe::on_record, this, nullptr));
  if (!ring_) throw_probe_error("cannot set up the ring buffer", errno);
  if (options.verbose) {
    fprintf(stderr, "proclife: probe: attach %.1f ms\n", (monotonic_ns() - started) / 1e6);
    fprintf(stderr, "proclife: reap source: %s\n", reap_source_name(reap_source_));
    if (exit_group_hook_) fprintf(stderr, "proclife: exit_group stacks: %s\n", exit_group_hook_);
  }
}

void Probe::Unmap::operator()(const void* mapping) const { munmap(const_cast<void*>(mapping), bytes); }

// Members go in reverse: the ring buffer, the counters, then the links
// (detaching every program), then the maps' descriptors.
Probe::~Probe() = default;


void Probe::track(pid_t pid) {
  uint32_t key = static_cast<uint32_t>(pid);
  pl_traced adopt{};  // start_ns 0: the kernel fills in the start time at its first event
  // An entry already there was made by the process's fork event (attach finds
  // children it has already followed): it has the start time and counts its
  // threads, so it stays.
  if (bpf_map_update_elem(traced_.get(), &key, &adopt, BPF_NOEXIST) && errno != EEXIST)
    throw_probe_error(fmt::format("cannot follow pid {}", pid), errno);
}

void Probe::set_python_runtime(uint32_t tgid, uint64_t runtime_address) {
  pl_python_runtime runtime{runtime_address, PL_PY_LAYOUT_311, 0};
  if (bpf_map_update_elem(python_runtimes_.get(), &tgid, &runtime, BPF_ANY))
    throw_probe_error(fmt::format("cannot register the Python runtime of pid {}", tgid), errno);
}

void Probe::forget_python_runtime(uint32_t tgid) {
  // ENOENT: the kernel forgot it first (exec, free).
  bpf_map_delete_elem(python_runtimes_.get(), &tgid);
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
  if (err < 0 && err != -EINTR) throw_probe_error("cannot read the ring buffer", -err);
}

Probe::Lost Probe::lost_by_cause() const {
  // Slot 0 is no event kind: the BPF side counts `traced` insert failures there.
  Lost lost;
  const auto& counts = static_cast<const Counters*>(counters_.get())->lost_events;
  lost.traced_table_full = counts[0];
  for (size_t kind = 1; kind < sizeof counts / sizeof counts[0]; ++kind) lost.ring_buffer_full += counts[kind];
  return lost;
}

uint64_t Probe::stacks_not_taken() const { return static_cast<const Counters*>(counters_.get())->stacks_not_taken; }

uint64_t Probe::lost_events() const {
  uint64_t lost = 0;
  for (uint64_t count : static_cast<const Counters*>(counters_.get())->lost_events) lost += count;
  return lost;
}

}  // namespace proclife
