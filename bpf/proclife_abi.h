/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The records that bpf/proclife.bpf.c writes into the ring buffer and
 * userspace/core/decode.cpp reads. Included by both halves, so: fixed-width
 * fields only, every name prefixed with pl_/PL_ (vmlinux.h defines thousands
 * of kernel names), and raw kernel values; all interpretation happens in C++
 * where it is unit-tested.
 */
#ifndef PROCLIFE_ABI_H
#define PROCLIFE_ABI_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define PL_COMM_LEN 16
#define PL_FILENAME_LEN 256
#define PL_ARGS_LEN 1024

enum pl_event_kind {
	PL_EV_FORK = 1,
	PL_EV_EXEC = 2,
	PL_EV_EXIT = 3,        /* one per exiting thread */
	PL_EV_FREE = 4,        /* a process's leader task was released */
	PL_EV_WAIT_ENTER = 5,  /* do_wait() started */
	PL_EV_WAIT_EXIT = 6,   /* wait4/waitid returned */
	PL_EV_SIGNAL_GENERATE = 7,
	PL_EV_SIGNAL_DELIVER = 8,
	PL_EV_CLONE_RETURN = 9, /* retired: clone facts now ride in the fork record;
				 * kept so older recordings still replay */
	PL_EV_STACK = 10,      /* --stacks: the caller's stack at a wait, fork or exit_group */
	PL_EV_KIND_COUNT = 11,
};

/* Who did it: the current task when the event fired. */
struct pl_header {
	__u32 kind;
	__u32 cpu;
	__u64 ns;           /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	__u32 tid;
	__u32 tgid;
	__u64 tgid_start_ns; /* group leader's start_time: with tgid, the identity */
};

/* Identity of a task other than the one in the header. */
struct pl_task_id {
	__u32 tid;
	__u32 tgid;
	__u64 tgid_start_ns;
};

/* sched_process_fork, in the parent's context, for a new process only (a new
 * thread is counted in the kernel and reported with its process's exit). The
 * parent is still inside its clone-family call, so its saved user registers
 * say which call it was and with which flags. */
struct pl_fork_event {
	struct pl_header hdr;
	struct pl_task_id child;
	__u32 child_ns_pid;   /* the child's pid in its own (innermost) pid namespace */
	__u32 child_ns_level; /* 0 in the initial namespace */
	__u32 child_exit_signal;
	__u32 shares_mm;      /* child->mm == parent->mm: CLONE_VM */
	char comm[PL_COMM_LEN];
	__u64 clone_flags;    /* as the caller asked (fork: SIGCHLD; vfork: CLONE_VFORK|CLONE_VM|SIGCHLD) */
	__u32 clone_nr;       /* the parent's syscall (PL_NR_*); 0: not a clone-family call */
	__u32 clone_flags_known; /* 0 when clone3's struct could not be read */
};

/* sched_process_exec, after the new image is in place. */
struct pl_exec_event {
	struct pl_header hdr;
	__u32 old_tid;        /* differs from hdr.tid when a non-leader thread exec'd */
	__u32 filename_len;
	__u32 args_len;       /* bytes of NUL-separated argv captured */
	__u32 args_truncated;
	char comm[PL_COMM_LEN];
	char filename[PL_FILENAME_LEN];
	char args[PL_ARGS_LEN];
};

/* sched_process_exit, one per thread. */
struct pl_exit_event {
	struct pl_header hdr;
	__u32 exit_code;        /* task->exit_code: the raw wait status word */
	__u32 group_dead;       /* this was the last live thread of the process */
	__u32 task_flags;       /* task->flags (PF_SIGNALED tells a killed thread) */
	__u32 signal_flags;     /* signal->flags (SIGNAL_GROUP_EXIT) */
	__u32 group_exit_code;  /* signal->group_exit_code */
	__u32 exit_signal;      /* signal sent to the parent: SIGCHLD, or none */
	__u32 ns_pid;
	__u32 ns_level;
	struct pl_task_id parent;     /* real_parent at exit */
	struct pl_task_id new_reaper; /* who will adopt live children (group_dead only) */
	__u64 parent_sigchld_handler; /* parent's SIGCHLD sa_handler: 0 default, 1 ignore */
	__u32 parent_sigchld_flags;   /* parent's SIGCHLD sa_flags (SA_NOCLDWAIT) */
	__u32 ptraced;
	char comm[PL_COMM_LEN];
	__u64 cgroup_id;              /* cgroup2 id (inode of its directory) at exit */
	__u32 thread_forks;     /* group_dead: threads the process created while traced */
	__u32 pad;
};

/* sched_process_free for a leader task: the process is gone for good. It runs
 * from an RCU callback, so the header names the freed task, not current. */
struct pl_free_event {
	struct pl_header hdr;
	struct pl_task_id parent; /* real_parent when released: who reaped it */
};

struct pl_wait_enter_event {
	struct pl_header hdr;
	__s32 target_pid;   /* the struct pid do_wait() was given; 0 for "any" */
	__u32 pad;
};

/* wait4/waitid returned (tp_btf/sys_exit, or fexit on kernel_wait4 and
 * kernel_waitid, translated to what the syscall returns): the whole call,
 * arguments and result. When it began is its thread's last wait_enter:
 * userspace pairs them, so no map entry per wait call. */
struct pl_wait_exit_event {
	struct pl_header hdr;
	__u32 syscall_nr;
	__s32 arg_which;    /* wait4: pid argument; waitid: idtype */
	__s32 arg_id;       /* waitid: id (pid, pgid or pidfd) */
	__u32 options;
	__s64 ret;
	__s32 status;       /* wait4: *wstatus; waitid: info_status */
	__s32 info_code;      /* waitid: CLD_*; 0 for wait4 */
	__s32 info_pid;       /* waitid: child pid reported */
	__u32 status_read;  /* 1 when status/si_* were read from user memory */
};

struct pl_signal_event {
	struct pl_header hdr;     /* sender (generate) or receiver (deliver) */
	struct pl_task_id target; /* generate: the task signalled */
	__s32 sig;
	__s32 info_code;
	__s32 info_pid;
	__s32 info_status;
	__s32 result;             /* generate: TRACE_SIGNAL_* */
	__u32 group;
	__u64 sa_handler;         /* deliver: 0 default, 1 ignore, else an address */
	__u64 sa_flags;
	char comm[PL_COMM_LEN];   /* sender's comm */
};

/* Retired (older probes: sys_exit of clone/clone3/fork/vfork in the parent);
 * the decoder still reads it. */
struct pl_clone_return_event {
	struct pl_header hdr;
	struct pl_task_id child;
	__u64 flags;
	__u32 syscall_nr;
	__u32 flags_known;
	__s64 ret;
};

/* Where a stack record was taken (pl_stack_event.site). */
enum pl_stack_site {
	PL_STACK_SITE_WAIT = 0,       /* sched_process_wait: site_ns is the wait_enter's hdr.ns */
	PL_STACK_SITE_FORK = 1,       /* sched_process_fork in the parent: the fork's hdr.ns */
	PL_STACK_SITE_EXIT_GROUP = 2, /* entry of exit_group(): user memory is still there */
};

/* How the CPython frame walk ended (pl_stack_event.python_walk). */
enum pl_python_walk {
	PL_PY_WALK_NOT_PYTHON = 0,      /* no runtime registered for the process */
	PL_PY_WALK_COMPLETE = 1,
	PL_PY_WALK_TRUNCATED = 2,       /* PL_PY_FRAMES_MAX frames and more to go */
	PL_PY_WALK_NO_THREAD_STATE = 3, /* no PyThreadState with this thread's id */
	PL_PY_WALK_READ_FAILED = 4,
};

#define PL_STACK_MAX 16384    /* bytes of user stack copied from sp upward */
#define PL_PY_FRAMES_MAX 48
#define PL_STACK_TRUNCATED 1  /* pl_stack_event.flags: the mapping went on past PL_STACK_MAX */

struct pl_python_frame {
	__u64 code;       /* PyCodeObject* */
	__u64 prev_instr; /* _Py_CODEUNIT* */
	__u8 is_entry;
	__u8 owner;
	__u8 pad[6];
};

/* Variable length: this fixed part, then python_count struct pl_python_frame
 * (innermost first), then stack_len bytes of user stack from sp upward. The
 * ring carries only those bytes, so a record is as long as what was copied. */
struct pl_stack_event {
	struct pl_header hdr;
	__u64 site_ns;
	__u32 site;          /* enum pl_stack_site */
	__u32 flags;         /* PL_STACK_TRUNCATED */
	/* user registers at the call (bpf_task_pt_regs) */
	__u64 ip, sp, bp, bx, r12, r13, r14, r15;
	__u32 stack_len;
	__u32 python_walk;   /* enum pl_python_walk */
	__u32 python_count;
	__u32 pad;
};

/* A followed process (the `traced` map, keyed by tgid). Userspace adds the
 * root of a trace with start_ns 0: the kernel fills in the start time it sees
 * first. */
struct pl_traced {
	__u64 start_ns;      /* its leader's start time: a reused pid is not it */
	__u32 thread_forks;  /* threads it created, sent with its exit */
	__u32 stack_woke;    /* --stacks: userspace was woken for a stack of this image */
};

/* The CPython runtime of a process, as userspace found it (the python_runtimes
 * map, keyed by tgid). */
#define PL_PY_LAYOUT_311 1
struct pl_python_runtime {
	__u64 runtime;  /* address of _PyRuntime in the process */
	__u32 layout;   /* PL_PY_LAYOUT_*: which offsets below apply */
	__u32 pad;
};

/* CPython 3.11 (x86_64) offsets, from its internal headers (Py_BUILD_CORE);
 * tests/unit/python311_offsets.c recompiles them against the installed
 * headers and compares. */
#define PL_PY311_RUNTIME_INTERPRETERS_HEAD 40 /* _PyRuntimeState.interpreters.head */
#define PL_PY311_INTERP_THREADS_HEAD 16       /* PyInterpreterState.threads.head */
#define PL_PY311_TSTATE_NEXT 8                /* PyThreadState.next */
#define PL_PY311_TSTATE_CFRAME 56             /* PyThreadState.cframe */
#define PL_PY311_TSTATE_NATIVE_THREAD_ID 160  /* PyThreadState.native_thread_id (unsigned long) */
#define PL_PY311_CFRAME_CURRENT_FRAME 8       /* _PyCFrame.current_frame */
#define PL_PY311_FRAME_F_CODE 32              /* _PyInterpreterFrame.f_code */
#define PL_PY311_FRAME_PREVIOUS 48            /* _PyInterpreterFrame.previous */
#define PL_PY311_FRAME_PREV_INSTR 56          /* _PyInterpreterFrame.prev_instr */
#define PL_PY311_FRAME_IS_ENTRY 68            /* _PyInterpreterFrame.is_entry (bool) */
#define PL_PY311_FRAME_OWNER 69               /* _PyInterpreterFrame.owner (char) */

/* x86_64 syscall numbers, as pl_wait_exit_event.syscall_nr and
 * pl_clone_return_event.syscall_nr carry them (sys_exit sees regs->orig_ax). */
#define PL_NR_CLONE 56
#define PL_NR_FORK 57
#define PL_NR_VFORK 58
#define PL_NR_WAIT4 61
#define PL_NR_EXIT_GROUP 231
#define PL_NR_WAITID 247
#define PL_NR_CLONE3 435

/* Stable kernel constants both halves interpret (vmlinux.h carries types,
 * not #defines); userspace/core/kernel.hpp names them for C++. */
#define PL_PF_KTHREAD 0x00200000        /* task->flags */
#define PL_PF_SIGNALED 0x00000400       /* task->flags: killed by a signal */
#define PL_SIGNAL_GROUP_EXIT 0x00000004 /* signal->flags */
#define PL_SIGCHLD 17
#define PL_CLONE_VM 0x00000100
#define PL_CLONE_VFORK 0x00004000
#define PL_CLONE_PARENT 0x00008000

#define PL_CFG_TRACE_ALL 1

/* Where wait results come from (the probe's choice, reported to the user). */
enum pl_reap_source {
	PL_REAP_NONE = 0,      /* no syscall hook: reaps known from sched_process_free only */
	PL_REAP_SYS_EXIT = 1,  /* tp_btf/sys_exit: every syscall on the host pays for it */
	PL_REAP_FEXIT = 2,     /* fexit on kernel_wait4/kernel_waitid: no syscall cost */
};

#ifdef __cplusplus
static_assert(sizeof(struct pl_header) == 32, "pl_header ABI");
static_assert(sizeof(struct pl_task_id) == 16, "pl_task_id ABI");
static_assert(sizeof(struct pl_fork_event) == 96, "pl_fork_event ABI");
static_assert(sizeof(struct pl_exec_event) == 1344, "pl_exec_event ABI");
static_assert(sizeof(struct pl_exit_event) == 144, "pl_exit_event ABI");
static_assert(sizeof(struct pl_free_event) == 48, "pl_free_event ABI");
static_assert(sizeof(struct pl_wait_enter_event) == 40, "pl_wait_enter_event ABI");
static_assert(sizeof(struct pl_wait_exit_event) == 72, "pl_wait_exit_event ABI");
static_assert(sizeof(struct pl_signal_event) == 104, "pl_signal_event ABI");
static_assert(sizeof(struct pl_clone_return_event) == 72, "pl_clone_return_event ABI");
static_assert(sizeof(struct pl_python_frame) == 24, "pl_python_frame ABI");
static_assert(sizeof(struct pl_stack_event) == 128, "pl_stack_event ABI");
static_assert(sizeof(struct pl_python_runtime) == 16, "pl_python_runtime ABI");
#endif

#endif
