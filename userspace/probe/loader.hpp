// Loading proclife's eBPF programs, two ways.
// - A light skeleton (light_loader.h), in this process: the kernel relocates
//   and loads the programs against the BTF it holds. Kernels since 5.17.
// - Otherwise libbpf's skeleton, in a short-lived child process. libbpf reads
//   and indexes the kernel's whole BTF to relocate and load the programs
//   (megabytes, the largest allocation proclife ever makes); done in a child,
//   that memory goes back to the system when the child exits, before the
//   trace begins, instead of staying in the tracer's peak RSS. The child
//   hands back descriptors of the loaded programs and maps and exits without
//   attaching anything, so its own exit is never traced.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "fd.hpp"
#include "probe.hpp"

namespace proclife {

struct LoadedProbe {
  const char* loaded_by = "";  // for --verbose
  ReapSource reap_source = ReapSource::none;
  Fd events;           // the ring buffer
  Fd traced;           // tgid -> the followed processes (struct pl_traced)
  Fd python_runtimes;  // tgid -> where its CPython runtime lives
  Fd counters;         // .bss: lost events, stacks not taken (mmap-able)
  size_t counters_bytes = 0;
  std::vector<Fd> programs;             // loaded, not attached
  uint64_t loader_peak_rss_kib = 0;     // the helper's, as wait4 reports it; 0 without one
};

// Loads by the first way that works. Throws
// std::runtime_error with the loader's one-line, actionable message.
LoadedProbe load_probe(const ProbeOptions& options);

// The one-line error every probe failure becomes: `what`, the kernel release,
// strerror(error) and a hint at the usual cause.
[[noreturn]] void throw_probe_error(const std::string& what, int error);

}  // namespace proclife
