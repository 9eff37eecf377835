// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * proclife's kernel half: one small program per lifecycle tracepoint, all of
 * them tp_btf (BTF-typed raw tracepoints). tp_btf links detach in well under a
 * millisecond, where classic perf-event tracepoints cost an RCU grace period
 * (~70 ms) each at detach, and they need no tracefs.
 *
 * The life of a process as the kernel tells it:
 *   kernel_clone()   -> sched_process_fork (parent context)
 *   begin_new_exec() -> sched_process_exec (the new image, old_pid)
 *   do_exit()        -> sched_process_exit, once per thread; the last thread
 *                       then runs exit_notify(): reparent live children,
 *                       do_notify_parent() -> signal_generate(SIGCHLD), or
 *                       autoreap when the parent ignores SIGCHLD
 *   do_wait()        -> sched_process_wait, then wait4/waitid returns the
 *                       reaped pid (sys_exit) and release_task() frees it
 *   delayed_put_task_struct() -> sched_process_free, an RCU period later
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "proclife_abi.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* The optional programs this object carries. The full object (libbpf's
 * skeleton) has them all and userspace picks by autoload; a light skeleton
 * loads every program it has, so each is built with one set (CMakeLists.txt,
 * docs/ARCHITECTURE.md "Loading the probe, and start-up"). */
#ifndef PL_WITH_SYS_EXIT
#define PL_WITH_SYS_EXIT 1 /* wait results from tp_btf/sys_exit */
#endif
#ifndef PL_WITH_FEXIT
#define PL_WITH_FEXIT 1 /* wait results from fexit on kernel_wait4/waitid */
#endif
#ifndef PL_WITH_EXIT_GROUP_FENTRY
#define PL_WITH_EXIT_GROUP_FENTRY 1 /* --stacks: exit_group() by fentry */
#endif
#ifndef PL_WITH_SYS_ENTER
#define PL_WITH_SYS_ENTER 1 /* --stacks: exit_group() by tp_btf/sys_enter */
#endif


const volatile __u32 cfg_trace_all = 0;
/* proclife itself: its wait for CMD and the SIGCHLD CMD sends it are recorded,
 * so the root's reap is part of the story. */
const volatile __u32 cfg_self_tgid = 0;
/* Wake userspace only once this much data is waiting (0: every event);
 * userspace polls with a timeout, so nothing waits for long. */
const volatile __u64 cfg_wakeup_bytes = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20);
} events SEC(".maps");

/* tgid -> the followed process (struct pl_traced). Tracing a tree, an entry
 * per process of the tree, made at its fork and removed at its free; it also
 * counts the process's threads, sent with its exit instead of a ring-buffer
 * record per thread. Host-wide, where every process is followed, entries are
 * only made for a process's first thread, and removed when it dies.
 * Preallocated: allocating each entry at fork and freeing it at the free
 * (kmalloc, memory-cgroup charging, an RCU callback) was about half of the
 * fork and free programs' time (1,332 -> 647 and 1,173 -> 710 ns a run,
 * kernel.bpf_stats_enabled, fork storm); creating the 65,536 entries adds
 * ~1.4 ms to BPF_MAP_CREATE. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, struct pl_traced);
} traced SEC(".maps");

/* Ring-buffer reservations that failed, per event kind; slot 0 counts
 * children that could not be added to the full `traced` map. */
__u64 lost_events[PL_EV_KIND_COUNT] = {};

/*
 * Every task pointer handed to a program here is BTF-typed (a tp_btf
 * argument or bpf_get_current_task_btf()), so its own scalar fields are read
 * directly. Pointers stored in it (group_leader, signal, real_parent …) are
 * read with BPF_CORE_READ instead: since 6.3 the verifier answers each direct
 * load of a pointer field, on every path it explores, with linear searches of
 * the kernel's whole BTF by name (btf_nested_type_is_trusted), which made up
 * a sixth of proclife's start-up. A probe read costs tens of nanoseconds per
 * event instead (docs/ARCHITECTURE.md, "Loading the probe, and start-up").
 */
static __always_inline __u64 leader_start_ns(struct task_struct *task)
{
	/* The leader's own start is a direct load (a thread that took the
	 * leader's place in exec was given the old leader's start, de_thread()). */
	if (task->pid == task->tgid)
		return task->start_time;
	return BPF_CORE_READ(task, group_leader, start_time);
}

static __always_inline bool known_start_matches(struct pl_traced *known, __u64 start_ns)
{
	if (known->start_ns == 0) {
		known->start_ns = start_ns;
		return true;
	}
	/* A stale entry for a reused pid must not pull in a stranger. */
	return known->start_ns == start_ns;
}

/* Tracing a tree: the `traced` entry of a BTF-typed task's process, or NULL
 * when it is not followed. Its leader's start time is left in *leader_start
 * for the record's header (no second read), and is read only for a pid in
 * the map, not for every task on the host. */
static __always_inline struct pl_traced *tree_entry(struct task_struct *task, __u64 *leader_start)
{
	__u32 tgid = task->tgid;
	struct pl_traced *known = bpf_map_lookup_elem(&traced, &tgid);

	if (!known)
		return NULL;
	*leader_start = leader_start_ns(task);
	return known_start_matches(known, *leader_start) ? known : NULL;
}

/* Whether a BTF-typed task's process is followed (host-wide, all are). */
static __always_inline bool task_is_traced(struct task_struct *task, __u64 *leader_start)
{
	if (cfg_trace_all) {
		*leader_start = leader_start_ns(task);
		return true;
	}
	return tree_entry(task, leader_start) != NULL;
}

/* A new thread of a followed process, counted in its entry (`known`, tracing
 * a tree). Host-wide the process's first thread makes the entry (or another
 * CPU's thread of the same process did, just before), and an entry of an
 * earlier process with this pid, whose exit was lost, starts again. */
static __always_inline void count_thread(struct task_struct *creator, __u64 leader_start,
					 struct pl_traced *known)
{
	__u32 tgid = creator->tgid;

	if (cfg_trace_all) {
		struct pl_traced fresh = {.start_ns = leader_start};

		known = bpf_map_lookup_elem(&traced, &tgid);
		if (!known || known->start_ns != fresh.start_ns) {
			bpf_map_update_elem(&traced, &tgid, &fresh, known ? BPF_ANY : BPF_NOEXIST);
			known = bpf_map_lookup_elem(&traced, &tgid);
		}
	}
	if (known)
		__sync_fetch_and_add(&known->thread_forks, 1);
}

/* Host-wide (trace-all) mode reports neither kernel threads nor proclife
 * itself: the monitor's own threads and waits are not the host's story. */
static __always_inline bool skip_task(struct task_struct *task)
{
	return cfg_trace_all &&
	       ((task->flags & PL_PF_KTHREAD) || (cfg_self_tgid && task->tgid == cfg_self_tgid));
}

static __always_inline void *reserve(__u32 kind, __u32 size)
{
	void *e = bpf_ringbuf_reserve(&events, size, 0);

	if (!e && kind < PL_EV_KIND_COUNT)
		__sync_fetch_and_add(&lost_events[kind], 1);
	return e;
}

static __always_inline __u64 wakeup_flags(void)
{
	if (!cfg_wakeup_bytes)
		return 0;
	return bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= cfg_wakeup_bytes ? BPF_RB_FORCE_WAKEUP :
										    BPF_RB_NO_WAKEUP;
}

static __always_inline void submit(void *e)
{
	bpf_ringbuf_submit(e, wakeup_flags());
}

static __always_inline void fill_task_id(struct pl_task_id *id, struct task_struct *task, __u64 leader_start)
{
	id->tid = task->pid;
	id->tgid = task->tgid;
	id->tgid_start_ns = leader_start;
}

/* For tasks reached through probe reads (ancestors walked by pointer). */
static __always_inline void fill_task_id_probed(struct pl_task_id *id, struct task_struct *task)
{
	id->tid = BPF_CORE_READ(task, pid);
	id->tgid = BPF_CORE_READ(task, tgid);
	id->tgid_start_ns = BPF_CORE_READ(task, group_leader, start_time);
}

static __always_inline void fill_header(struct pl_header *hdr, __u32 kind, struct task_struct *task,
					__u64 leader_start)
{
	hdr->kind = kind;
	hdr->cpu = bpf_get_smp_processor_id();
	hdr->ns = bpf_ktime_get_ns();
	hdr->tid = task->pid;
	hdr->tgid = task->tgid;
	hdr->tgid_start_ns = leader_start;
}

/* The pid a task has in its own pid namespace (task_pid_vnr as seen from
 * inside); the variable-index walk only below the root namespace. */
static __always_inline void task_ns_pid(struct task_struct *task, __u32 *nr, __u32 *level)
{
	struct pid *pid = BPF_CORE_READ(task, thread_pid);
	unsigned int lvl = BPF_CORE_READ(pid, level);

	*level = lvl;
	*nr = task->pid;
	if (lvl > 0 && lvl < 32)
		*nr = BPF_CORE_READ(pid, numbers[lvl].nr);
}

/* The user registers saved at syscall entry, read at fixed offsets, not
 * through vmlinux.h's pt_regs: on x86_64 this layout is ABI (the entry code
 * pushes it, and ptrace's user_regs_struct is a copy of it); each load is
 * still bounds-checked against the kernel's pt_regs by the verifier. What a
 * CO-RE relocation would cost instead: the kernel caches one type's
 * relocation candidates per hash slot (31 of them), pt_regs shares its slot
 * with linux_binprm, and a load relocating both searches all of the kernel's
 * BTF twice, ~1 ms each, on every start-up. */
struct saved_regs {
	__u64 r15, r14, r13, r12, bp, bx, r11, r10, r9, r8, ax, cx, dx, si, di, orig_ax, ip, cs, flags, sp, ss;
};

static __always_inline struct saved_regs *saved_regs_of(struct task_struct *task)
{
	return (struct saved_regs *)bpf_task_pt_regs(task);
}

#include "stacks.bpf.h"

/* task->comm by two direct loads, not a string-copy helper call: the kernel
 * keeps it NUL-terminated, and userspace bounds it anyway. */
static __always_inline void copy_comm(char *dst, struct task_struct *task)
{
	__builtin_memcpy(dst, task->comm, PL_COMM_LEN);
}

/* Which clone-family call the current task is in, and with which flags:
 * sched_process_fork fires inside it, so the saved user registers still
 * hold the syscall number and its first argument (x86_64). */
static __always_inline void clone_facts(struct pl_fork_event *e)
{
	struct saved_regs *regs = saved_regs_of(bpf_get_current_task_btf());
	__u32 nr = regs->orig_ax;
	__u64 flags = 0;

	e->clone_flags_known = 1;
	if (nr == PL_NR_CLONE)
		flags = regs->di;
	else if (nr == PL_NR_FORK)
		flags = PL_SIGCHLD;
	else if (nr == PL_NR_VFORK)
		flags = PL_CLONE_VFORK | PL_CLONE_VM | PL_SIGCHLD;
	else if (nr == PL_NR_CLONE3) {
		/* struct clone_args begins with flags; the kernel has just copied it. */
		if (bpf_probe_read_user(&flags, sizeof(flags), (void *)regs->di))
			e->clone_flags_known = 0;
	} else {
		nr = 0; /* not a clone-family call (an io_uring worker, say) */
		e->clone_flags_known = 0;
	}
	e->clone_nr = nr;
	e->clone_flags = flags;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(handle_sched_process_fork, struct task_struct *parent, struct task_struct *child)
{
	struct pl_fork_event *e;
	struct pl_traced *known = NULL;
	__u64 site_ns, parent_start;
	__u32 parent_tgid = parent->tgid;
	__u32 child_tgid = child->tgid;
	__u64 child_start = child->start_time;
	/* A forked child has its parent's maps, which userspace already holds. */
	struct pl_traced joined = {.start_ns = child_start, .stack_woke = 1};

	if ((child->flags & PL_PF_KTHREAD) || skip_task(parent))
		return 0;
	if (cfg_trace_all)
		parent_start = leader_start_ns(parent);
	else if (!(known = tree_entry(parent, &parent_start)))
		return 0;
	if (child_tgid == parent_tgid) {
		count_thread(parent, parent_start, known);
		return 0;
	}
	/* A new process joins the traced tree here, before it can run. */
	if (!cfg_trace_all && bpf_map_update_elem(&traced, &child_tgid, &joined, BPF_ANY))
		__sync_fetch_and_add(&lost_events[0], 1);

	e = reserve(PL_EV_FORK, sizeof(*e));
	if (!e)
		return 0;
	fill_header(&e->hdr, PL_EV_FORK, parent, parent_start);
	/* A new process is its own leader, possibly not yet linked. */
	e->child.tid = child->pid;
	e->child.tgid = child_tgid;
	e->child.tgid_start_ns = child_start;
	task_ns_pid(child, &e->child_ns_pid, &e->child_ns_level);
	e->child_exit_signal = child->exit_signal;
	e->shares_mm = BPF_CORE_READ(child, mm) == BPF_CORE_READ(parent, mm);
	copy_comm(e->comm, child);
	clone_facts(e);
	site_ns = e->hdr.ns;
	submit(e);
	if (cfg_stacks) {
		/* A forked child runs its parent's interpreter at the same address
		 * (multiprocessing's workers): known before it can run, unlike
		 * anything userspace could add after reading this event. */
		struct pl_python_runtime *rt = bpf_map_lookup_elem(&python_runtimes, &parent_tgid);

		if (rt)
			bpf_map_update_elem(&python_runtimes, &child_tgid, rt, BPF_ANY);
	}
	if (stacks_wanted(parent, &parent_start))
		emit_stack(PL_STACK_SITE_FORK, site_ns, parent_start);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(handle_sched_process_exec, struct task_struct *task, pid_t old_pid,
	     struct linux_binprm *bprm)
{
	struct pl_exec_event *e;
	unsigned long arg_start, arg_end;
	__u64 len, leader_start;
	long n;

	if (skip_task(task) || !task_is_traced(task, &leader_start))
		return 0;
	if (cfg_stacks) {
		__u32 tgid = task->tgid;
		struct pl_traced *known = bpf_map_lookup_elem(&traced, &tgid);

		bpf_map_delete_elem(&python_runtimes, &tgid);
		if (known)
			known->stack_woke = 0; /* new maps */
	}
	e = reserve(PL_EV_EXEC, sizeof(*e));
	if (!e)
		return 0;
	fill_header(&e->hdr, PL_EV_EXEC, task, leader_start);
	e->old_tid = old_pid;
	copy_comm(e->comm, task);
	n = bpf_probe_read_kernel_str(e->filename, sizeof(e->filename), BPF_CORE_READ(bprm, filename));
	e->filename_len = n > 0 ? n - 1 : 0;

	/* exec just copied argv onto the new stack, so those pages are present. */
	arg_start = BPF_CORE_READ(task, mm, arg_start);
	arg_end = BPF_CORE_READ(task, mm, arg_end);
	len = arg_end > arg_start ? arg_end - arg_start : 0;
	e->args_truncated = len > PL_ARGS_LEN;
	if (len > PL_ARGS_LEN)
		len = PL_ARGS_LEN;
	barrier_var(len); /* keep the clamp where the verifier can see it */
	if (len > PL_ARGS_LEN || bpf_probe_read_user(e->args, len, (void *)arg_start))
		len = 0;
	e->args_len = len;
	submit(e);
	return 0;
}

/*
 * Where exit_notify() will send this process's live children:
 * find_new_reaper() picks the nearest ancestor marked with
 * PR_SET_CHILD_SUBREAPER in the same pid namespace, else the namespace's
 * init. Computed here because reparenting happens after this tracepoint.
 * (Its first choice, another live thread, does not apply: the group is dead.)
 */
#define MAX_SUBREAPER_WALK 16
static __always_inline void find_new_reaper(struct task_struct *father, struct pl_task_id *out)
{
	struct pid *pid = BPF_CORE_READ(father, thread_pid);
	unsigned int level = BPF_CORE_READ(pid, level);
	struct pid_namespace *ns = NULL;
	struct task_struct *reaper;
	int i;

	if (level < 32)
		ns = BPF_CORE_READ(pid, numbers[level].ns);
	struct signal_struct *father_signal = BPF_CORE_READ(father, signal);

	if (BPF_CORE_READ_BITFIELD_PROBED(father_signal, has_child_subreaper)) {
		reaper = BPF_CORE_READ(father, real_parent);
		for (i = 0; i < MAX_SUBREAPER_WALK; i++) {
			struct pid *rpid = BPF_CORE_READ(reaper, thread_pid);
			struct signal_struct *sig = BPF_CORE_READ(reaper, signal);

			if (BPF_CORE_READ(rpid, level) != level || BPF_CORE_READ(reaper, pid) == 0)
				break;
			if (BPF_CORE_READ_BITFIELD_PROBED(sig, is_child_subreaper)) {
				fill_task_id_probed(out, reaper);
				return;
			}
			reaper = BPF_CORE_READ(reaper, real_parent);
		}
	}
	if (ns) {
		reaper = BPF_CORE_READ(ns, child_reaper);
		/* A dying namespace init takes its children with it
		 * (zap_pid_ns_processes()): nobody adopts them. */
		if (reaper && BPF_CORE_READ(reaper, tgid) != BPF_CORE_READ(father, tgid))
			fill_task_id_probed(out, reaper);
	}
}

#ifdef PROCLIFE_BROKEN_PROBE
/* Only for checking the kernel-VM harness (scripts/test.sh): task_struct's
 * mm_cid appeared in 6.4 (commit af7f588d8f73), read here without a CO-RE
 * guard (bpf_core_field_exists), so this object must fail to load on 6.1. */
struct task_struct___since_6_4 {
	int mm_cid;
} __attribute__((preserve_access_index));
#endif

SEC("tp_btf/sched_process_exit")
int BPF_PROG(handle_sched_process_exit, struct task_struct *task)
{
	/* Only the leading argument: 6.16 added group_dead, 6.1 lacks it, and
	 * signal->live (decremented by do_exit() before this point) says the same. */
	struct signal_struct *signal;
	struct task_struct *leader, *parent;
	struct sighand_struct *parent_sighand;
	struct pl_exit_event *e;
	struct pl_traced *known = NULL;
	bool group_dead, leader_exits, calls_exit_group;
	unsigned int signal_flags;
	__u64 leader_start = 0;

	if (skip_task(task))
		return 0;
	/* Host-wide every task is followed, and most thread exits are dropped
	 * below: the leader's start is read only for the exits reported. */
	if (!cfg_trace_all && !(known = tree_entry(task, &leader_start)))
		return 0;
	signal = BPF_CORE_READ(task, signal);
	signal_flags = BPF_CORE_READ(signal, flags);
	group_dead = BPF_CORE_READ(signal, live.counter) == 0;
	leader_exits = task->pid == task->tgid;
	/* do_group_exit() sets SIGNAL_GROUP_EXIT for its caller; every thread it
	 * zaps dies through get_signal(), which marks it PF_SIGNALED. */
	calls_exit_group = (signal_flags & PL_SIGNAL_GROUP_EXIT) && !(task->flags & PL_PF_SIGNALED);
	/* Any other thread's exit (pthread_exit()) changes nothing we report. */
	if (!group_dead && !leader_exits && !calls_exit_group)
		return 0;
	if (cfg_trace_all)
		leader_start = leader_start_ns(task);
	e = reserve(PL_EV_EXIT, sizeof(*e));
	if (!e)
		return 0;
	fill_header(&e->hdr, PL_EV_EXIT, task, leader_start);
	e->exit_code = task->exit_code;
	e->group_dead = group_dead;
	e->task_flags = task->flags;
	e->signal_flags = signal_flags;
	e->group_exit_code = BPF_CORE_READ(signal, group_exit_code);
	/* The parent is notified for the group leader (do_notify_parent() on
	 * it), whichever thread exits last: a leader that called pthread_exit()
	 * first still decides the signal and whether it is ptraced. */
	leader = BPF_CORE_READ(task, group_leader);
	e->exit_signal = BPF_CORE_READ(leader, exit_signal);
	e->ptraced = BPF_CORE_READ(leader, ptrace) != 0;
#ifdef PROCLIFE_BROKEN_PROBE
	if (BPF_CORE_READ((struct task_struct___since_6_4 *)task, mm_cid) == -12345)
		e->ptraced = 2;
#endif
	task_ns_pid(task, &e->ns_pid, &e->ns_level);
	copy_comm(e->comm, task);
	e->thread_forks = 0;
	e->pad = 0;
	if (group_dead) {
		__u32 tgid = task->tgid;

		if (cfg_trace_all)
			known = bpf_map_lookup_elem(&traced, &tgid);
		if (known) {
			e->thread_forks = known->thread_forks;
			/* Host-wide the entry was only a thread counter; a tree's
			 * stays until the free, for the reap. */
			if (cfg_trace_all)
				bpf_map_delete_elem(&traced, &tgid);
		}
	}

	parent = BPF_CORE_READ(task, real_parent);
	fill_task_id_probed(&e->parent, parent);
	/* do_notify_parent() autoreaps when this is SIG_IGN or has SA_NOCLDWAIT. */
	parent_sighand = BPF_CORE_READ(parent, sighand);
	e->parent_sigchld_handler = (__u64)BPF_CORE_READ(parent_sighand, action[PL_SIGCHLD - 1].sa.sa_handler);
	e->parent_sigchld_flags = BPF_CORE_READ(parent_sighand, action[PL_SIGCHLD - 1].sa.sa_flags);
	__builtin_memset(&e->new_reaper, 0, sizeof(e->new_reaper));
	if (group_dead)
		find_new_reaper(task, &e->new_reaper);
	/* task is current here: one helper call instead of four probe reads,
	 * and no CO-RE relocation against css_set, which shares the kernel's
	 * candidate-cache slot with mm_struct (see struct saved_regs). */
	e->cgroup_id = bpf_get_current_cgroup_id();
	submit(e);
	return 0;
}

SEC("tp_btf/sched_process_free")
int BPF_PROG(handle_sched_process_free, struct task_struct *task)
{
	struct pl_free_event *e;
	__u32 tgid = task->tgid;
	/* For the leader (pid == tgid, checked below) this is the process's
	 * start: a thread that execs and takes the leader's place gets the old
	 * leader's start time (de_thread()). */
	__u64 start = task->start_time;
	struct pl_traced *known;

	/* Threads and a leader displaced by a non-leader exec are freed with
	 * pid != tgid; only the real leader's free ends the process. */
	if (task->pid != tgid)
		return 0;
	if (skip_task(task))
		return 0;
	known = bpf_map_lookup_elem(&traced, &tgid);
	if (!cfg_trace_all && !(known && known_start_matches(known, start)))
		return 0;
	/* Host-wide, normally gone at the group's death; a lost exit must not
	 * leave it. */
	if (known && known->start_ns == start)
		bpf_map_delete_elem(&traced, &tgid);
	if (cfg_stacks)
		bpf_map_delete_elem(&python_runtimes, &tgid);
	e = reserve(PL_EV_FREE, sizeof(*e));
	if (!e)
		return 0;
	fill_header(&e->hdr, PL_EV_FREE, task, start);
	/* release_task() leaves real_parent alone: the parent that reaped it
	 * (or adopted it first), for when no wait result was seen. */
	fill_task_id_probed(&e->parent, BPF_CORE_READ(task, real_parent));
	submit(e);
	return 0;
}

/* task_is_traced(), or proclife itself, whose own waits are reported. */
static __always_inline bool is_traced_or_self(struct task_struct *task, __u64 *leader_start)
{
	__u32 tgid = task->tgid;

	if (skip_task(task))
		return false;
	if (cfg_self_tgid && tgid == cfg_self_tgid) {
		*leader_start = leader_start_ns(task);
		return true;
	}
	return task_is_traced(task, leader_start);
}

SEC("tp_btf/sched_process_wait")
int BPF_PROG(handle_sched_process_wait, struct pid *target)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task_btf();
	struct pl_wait_enter_event *e;
	__u64 now, leader_start;

	if (!is_traced_or_self(task, &leader_start))
		return 0;
	e = reserve(PL_EV_WAIT_ENTER, sizeof(*e));
	if (!e)
		return 0;
	fill_header(&e->hdr, PL_EV_WAIT_ENTER, task, leader_start);
	now = e->hdr.ns;
	e->target_pid = target ? BPF_CORE_READ(target, numbers[0].nr) : 0;
	e->pad = 0;
	submit(e);
	/* One timestamp for the wait_enter and its stack, which pairs them. */
	if (stacks_wanted(task, &leader_start))
		emit_stack(PL_STACK_SITE_WAIT, now, leader_start);
	return 0;
}

/* What the wait call was and what it returned, in the syscall's terms. */
struct wait_call {
	__u32 nr;
	__s32 which;
	__s32 id;
	__u32 options;
	__s64 ret;
	__s32 status;
	__s32 info_code;
	__s32 info_pid;
	__u32 status_read;
};

#if PL_WITH_SYS_EXIT || PL_WITH_FEXIT
static __always_inline int on_wait_return(struct task_struct *task, struct wait_call *call)
{
	struct pl_wait_exit_event *e;
	__u64 leader_start;

	if (!is_traced_or_self(task, &leader_start))
		return 0;
	e = reserve(PL_EV_WAIT_EXIT, sizeof(*e));
	if (!e)
		return 0;
	fill_header(&e->hdr, PL_EV_WAIT_EXIT, task, leader_start);
	e->syscall_nr = call->nr;
	e->arg_which = call->which;
	e->arg_id = call->id;
	e->options = call->options;
	e->ret = call->ret;
	e->status = call->status;
	e->info_code = call->info_code;
	e->info_pid = call->info_pid;
	e->status_read = call->status_read;
	submit(e);
	return 0;
}
#endif

#if PL_WITH_SYS_EXIT
/* Every syscall on the machine passes here while attached: decide on the
 * syscall number first, before touching anything else. Only where fexit
 * cannot load (see the two programs below). */
SEC("tp_btf/sys_exit")
int BPF_PROG(handle_sys_exit, struct pt_regs *pt_regs, long ret)
{
	struct saved_regs *regs = (struct saved_regs *)pt_regs;
	/* A direct load, not a probe-read helper call: this line runs for
	 * every syscall of every thread while proclife is attached. */
	__u32 nr = regs->orig_ax;
	struct wait_call call = {};

	if (nr != PL_NR_WAIT4 && nr != PL_NR_WAITID)
		return 0;
	/* The x86_64 syscall ABI passes arguments in di, si, dx, r10. */
	call.nr = nr;
	call.ret = ret;
	call.which = regs->di;
	if (nr == PL_NR_WAIT4) {
		int *wstatus = (int *)regs->si;

		call.options = regs->dx;
		if (ret > 0 && wstatus && !bpf_probe_read_user(&call.status, sizeof(call.status), wstatus))
			call.status_read = 1;
	} else {
		/* x86_64 siginfo: si_code at 8; _sigchld's si_pid at 16, si_status at 24. */
		char *infop = (char *)regs->dx;

		call.id = regs->si;
		call.options = regs->r10;
		if (ret == 0 && infop &&
		    !bpf_probe_read_user(&call.info_code, sizeof(call.info_code), infop + 8) &&
		    !bpf_probe_read_user(&call.info_pid, sizeof(call.info_pid), infop + 16) &&
		    !bpf_probe_read_user(&call.status, sizeof(call.status), infop + 24))
			call.status_read = 1;
	}
	return on_wait_return((struct task_struct *)bpf_get_current_task_btf(), &call);
}
#endif

#if PL_WITH_FEXIT
/* The same facts with no syscall hook: fexit on the functions wait4 and
 * waitid call (BTF FUNCs, not inlined, on 6.1 and 6.12). Loaded only where
 * the kernel allows fentry/fexit; the probe falls back to sys_exit. */
SEC("fexit/kernel_wait4")
int BPF_PROG(handle_kernel_wait4_exit, pid_t upid, int *stat_addr, int options, struct rusage *ru, long ret)
{
	struct wait_call call = {};

	call.nr = PL_NR_WAIT4;
	call.which = upid;
	call.options = options;
	call.ret = ret;
	/* kernel_wait4() has put the status to user memory before returning. */
	if (ret > 0 && stat_addr && !bpf_probe_read_user(&call.status, sizeof(call.status), stat_addr))
		call.status_read = 1;
	return on_wait_return((struct task_struct *)bpf_get_current_task_btf(), &call);
}

/* kernel_waitid() returns the reaped pid (waitid() then returns 0) and
 * fills a kernel struct waitid_info, read here even when the caller passed
 * no siginfo. CLD_* is its `cause`. */
SEC("fexit/kernel_waitid")
int BPF_PROG(handle_kernel_waitid_exit, int which, pid_t upid, struct waitid_info *infop, int options,
	     struct rusage *ru, long ret)
{
	struct wait_call call = {};

	call.nr = PL_NR_WAITID;
	call.which = which;
	call.id = upid;
	call.options = options;
	call.ret = ret > 0 ? 0 : ret;
	if (ret >= 0 && infop) {
		if (ret > 0) {
			call.info_code = BPF_CORE_READ(infop, cause);
			call.info_pid = BPF_CORE_READ(infop, pid);
			call.status = BPF_CORE_READ(infop, status);
		}
		call.status_read = 1;
	}
	return on_wait_return((struct task_struct *)bpf_get_current_task_btf(), &call);
}
#endif

static __always_inline void read_siginfo(struct pl_signal_event *e, struct kernel_siginfo *info)
{
	/* SEND_SIG_NOINFO (0) and SEND_SIG_PRIV (1) are markers, not pointers. */
	if ((unsigned long)info <= 1) {
		e->info_code = (unsigned long)info == 1 ? 0x80 /* SI_KERNEL */ : 0 /* SI_USER */;
		e->info_pid = 0;
		e->info_status = 0;
		return;
	}
	/* Probe reads: comparing `info` with the markers above makes the 6.12
	 * verifier treat it as a plain number afterwards. */
	e->info_code = BPF_CORE_READ(info, si_code);
	e->info_pid = BPF_CORE_READ(info, _sifields._sigchld._pid);
	e->info_status = BPF_CORE_READ(info, _sifields._sigchld._status);
}

SEC("tp_btf/signal_generate")
int BPF_PROG(handle_signal_generate, int sig, struct kernel_siginfo *info,
	     struct task_struct *target, int group, int result)
{
	struct task_struct *sender = (struct task_struct *)bpf_get_current_task_btf();
	struct pl_signal_event *e;
	__u32 target_tgid = target->tgid;
	__u64 target_start;

	if (skip_task(target))
		return 0;
	if (cfg_self_tgid && target_tgid == cfg_self_tgid && sig == PL_SIGCHLD)
		target_start = leader_start_ns(target);
	else if (!task_is_traced(target, &target_start))
		return 0;
	e = reserve(PL_EV_SIGNAL_GENERATE, sizeof(*e));
	if (!e)
		return 0;
	fill_header(&e->hdr, PL_EV_SIGNAL_GENERATE, sender, leader_start_ns(sender));
	fill_task_id(&e->target, target, target_start);
	e->sig = sig;
	e->group = group;
	e->result = result;
	e->sa_handler = 0;
	e->sa_flags = 0;
	read_siginfo(e, info);
	copy_comm(e->comm, sender);
	submit(e);
	return 0;
}

SEC("tp_btf/signal_deliver")
int BPF_PROG(handle_signal_deliver, int sig, struct kernel_siginfo *info, struct k_sigaction *ka)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task_btf();
	struct pl_signal_event *e;
	__u64 leader_start;

	if (skip_task(task) || !task_is_traced(task, &leader_start))
		return 0;
	e = reserve(PL_EV_SIGNAL_DELIVER, sizeof(*e));
	if (!e)
		return 0;
	fill_header(&e->hdr, PL_EV_SIGNAL_DELIVER, task, leader_start);
	fill_task_id(&e->target, task, leader_start);
	e->sig = sig;
	e->group = 0;
	e->result = 0;
	e->sa_handler = (__u64)BPF_CORE_READ(ka, sa.sa_handler);
	e->sa_flags = BPF_CORE_READ(ka, sa.sa_flags);
	read_siginfo(e, info);
	copy_comm(e->comm, task);
	submit(e);
	return 0;
}
