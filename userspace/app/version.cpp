#include "version.hpp"

#ifndef PROCLIFE_VERSION
#define PROCLIFE_VERSION "unknown"
#endif
#ifndef PROCLIFE_COMMIT
#define PROCLIFE_COMMIT "unknown"
#endif

namespace proclife {

std::string version_text() {
  // What bpf/proclife.bpf.c uses, with the kernel that introduced it; the
  // binary carries its BPF object, so nothing else is needed at run time.
  return std::string("proclife ") + PROCLIFE_VERSION + " (commit " + PROCLIFE_COMMIT + ")\n" +
         "kernel features it needs:\n"
         "  BTF for the running kernel: /sys/kernel/btf/vmlinux (CONFIG_DEBUG_INFO_BTF=y)\n"
         "  BTF-typed tracepoints (tp_btf): sched_process_{fork,exec,exit,free,wait}, sys_exit,\n"
         "    signal_generate, signal_deliver\n"
         "  BPF ring buffer (Linux 5.8) and bpf_get_current_task_btf (Linux 5.11): Linux 5.11 or later\n"
         "  root, or CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN\n";
}

}  // namespace proclife
