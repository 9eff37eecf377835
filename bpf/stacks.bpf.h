/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * --stacks: the calling task's user stack at a wait, a fork and exit_group,
 * as a pl_stack_event. Included by proclife.bpf.c after its helpers; every
 * caller tests cfg_stacks first, so with the option off the verifier drops
 * all of this as dead code.
 *
 * Nothing is unwound here: the record carries the registers a DWARF unwinder
 * starts from and the bytes it will read, and userspace unwinds them against
 * the process's mappings. CPython frames live in the heap, not on the stack,
 * so they are walked here, while the process is still in the call.
 */

const volatile __u32 cfg_stacks = 0;

/* tgid -> the process's CPython runtime, set by userspace (Probe::
 * set_python_runtime); removed here at exec (a new image, a new runtime)
 * and when the process is freed (its pid may be reused). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct pl_python_runtime);
} python_runtimes SEC(".maps");

/* Stack records not sent: the ring was over half full, or had no room, or
 * a WNOHANG poll past the polling allowance below. */
__u64 stacks_not_taken = 0;

/* A WNOHANG loop can poll a million times a second, each poll a 16 KiB copy
 * and an unwind: its process gets the stacks of its first PL_POLL_STACKS
 * polls, then one per PL_POLL_STACK_GAP_NS. A call that can block always
 * gets its stack. */
#define PL_POLL_STACKS 64
#define PL_POLL_STACK_GAP_NS 10000000ULL
#define PL_WNOHANG 1
struct poll_allowance {
	__u64 taken;
	__u64 last_ns;
};
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct poll_allowance);
} poll_stacks SEC(".maps");

/* The options of the wait4/waitid call in progress, from its saved
 * registers: wait4(pid, status, options, ru), waitid(which, id, info, options). */
static __always_inline bool polling(struct saved_regs *regs)
{
	__u64 options = regs->orig_ax == PL_NR_WAITID ? regs->r10 : regs->dx;

	return options & PL_WNOHANG;
}

static __always_inline bool poll_stack_allowed(__u32 tgid, __u64 now)
{
	struct poll_allowance fresh = { 1, now }, *seen = bpf_map_lookup_elem(&poll_stacks, &tgid);

	if (!seen) {
		bpf_map_update_elem(&poll_stacks, &tgid, &fresh, BPF_ANY);
		return true;
	}
	if (seen->taken >= PL_POLL_STACKS && now - seen->last_ns < PL_POLL_STACK_GAP_NS)
		return false;
	seen->taken++;
	seen->last_ns = now;
	return true;
}

#define PL_PAGE 4096
#define PL_PY_BYTES (PL_PY_FRAMES_MAX * sizeof(struct pl_python_frame))
/* PyThreadStates looked at to find this thread's: a process with more
 * Python threads than this reports no_thread_state for the later ones. */
#define PL_PY_THREADS_MAX 32

/* A record is built here (far beyond the 512-byte BPF stack), then copied to
 * the ring for only the bytes it holds. A page of slack past the largest
 * record: the verifier checks each page-sized read against the largest
 * offset it could start at, not against what is left. */
struct stack_scratch {
	struct pl_stack_event e;
	__u8 tail[PL_PY_BYTES + PL_STACK_MAX + PL_PAGE];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct stack_scratch);
} stack_scratch SEC(".maps");

static __always_inline int read_user_u64(__u64 *out, __u64 address)
{
	return bpf_probe_read_user(out, sizeof(*out), (void *)address);
}

/* _PyInterpreterFrame from f_code to owner, read with one helper call. */
#define PL_PY311_FRAME_WINDOW (PL_PY311_FRAME_OWNER + 1 - PL_PY311_FRAME_F_CODE)
#define PL_PY311_AT(field) (PL_PY311_FRAME_##field - PL_PY311_FRAME_F_CODE)

/* This thread's CPython frames, innermost first, into the scratch tail;
 * returns how many. native_thread_id is what gettid() said in the process's
 * own pid namespace, hence ns_tid. The interpreter's current-thread pointer
 * is not used: it is NULL while the GIL is released, as it is in waitpid(). */
static __always_inline __u32 walk_python(struct stack_scratch *s, __u32 tgid, __u32 ns_tid)
{
	struct pl_python_runtime *rt = bpf_map_lookup_elem(&python_runtimes, &tgid);
	__u64 interp = 0, tstate = 0, cframe, frame = 0, tid;
	__u8 window[PL_PY311_FRAME_WINDOW];
	bool found = false;
	__u32 n;
	int i;

	s->e.python_walk = PL_PY_WALK_NOT_PYTHON;
	if (!rt || rt->layout != PL_PY_LAYOUT_311)
		return 0;
	s->e.python_walk = PL_PY_WALK_READ_FAILED;
	if (read_user_u64(&interp, rt->runtime + PL_PY311_RUNTIME_INTERPRETERS_HEAD))
		return 0;
	/* No interpreter (finalized) is no thread state, not a failed read. */
	if (interp && read_user_u64(&tstate, interp + PL_PY311_INTERP_THREADS_HEAD))
		return 0;
	for (i = 0; i < PL_PY_THREADS_MAX && tstate; i++) {
		if (read_user_u64(&tid, tstate + PL_PY311_TSTATE_NATIVE_THREAD_ID))
			return 0;
		if (tid == ns_tid) {
			found = true;
			break;
		}
		if (read_user_u64(&tstate, tstate + PL_PY311_TSTATE_NEXT))
			return 0;
	}
	if (!found) {
		s->e.python_walk = PL_PY_WALK_NO_THREAD_STATE;
		return 0;
	}
	if (read_user_u64(&cframe, tstate + PL_PY311_TSTATE_CFRAME) || !cframe ||
	    read_user_u64(&frame, cframe + PL_PY311_CFRAME_CURRENT_FRAME))
		return 0;
	for (n = 0; n < PL_PY_FRAMES_MAX && frame; n++) {
		struct pl_python_frame *f = (struct pl_python_frame *)(s->tail + n * sizeof(*f));

		if (bpf_probe_read_user(window, sizeof(window), (void *)(frame + PL_PY311_FRAME_F_CODE)))
			return n;
		__builtin_memcpy(&f->code, window + PL_PY311_AT(F_CODE), sizeof(f->code));
		__builtin_memcpy(&f->prev_instr, window + PL_PY311_AT(PREV_INSTR), sizeof(f->prev_instr));
		f->is_entry = window[PL_PY311_AT(IS_ENTRY)];
		f->owner = window[PL_PY311_AT(OWNER)];
		__builtin_memset(f->pad, 0, sizeof(f->pad));
		__builtin_memcpy(&frame, window + PL_PY311_AT(PREVIOUS), sizeof(frame));
	}
	s->e.python_walk = frame ? PL_PY_WALK_TRUNCATED : PL_PY_WALK_COMPLETE;
	return n;
}

/* The user stack from sp upward, a page at a time (the first read up to the
 * page boundary), into the tail after `base` bytes of Python frames. The
 * first page that cannot be read ends the copy, and is not truncation: it is
 * the mapping's end, or a page of the random gap exec leaves below the
 * argument strings that nothing touched; both lie above the initial sp, so
 * above every frame. A stack still readable at PL_STACK_MAX bytes is flagged
 * truncated. */
static __always_inline __u32 copy_stack(struct stack_scratch *s, __u64 base, __u64 sp)
{
	/* 64-bit lengths: 32-bit ones are zero-extended into copies of the
	 * register, and the verifier's bounds then land on the copy. */
	__u64 address = sp, len = 0, chunk;
	__u8 more;
	int i;

	for (i = 0; i < PL_STACK_MAX / PL_PAGE + 1; i++) {
		chunk = PL_PAGE - (address & (PL_PAGE - 1));
		if (chunk > PL_STACK_MAX - len)
			chunk = PL_STACK_MAX - len;
		barrier_var(chunk);
		if (chunk == 0 || chunk > PL_PAGE || len >= PL_STACK_MAX || base > PL_PY_BYTES)
			break;
		barrier_var(chunk);
		if (bpf_probe_read_user(s->tail + base + len, chunk, (void *)address))
			break;
		len += chunk;
		address += chunk;
	}
	s->e.flags = len == PL_STACK_MAX && !bpf_probe_read_user(&more, 1, (void *)address) ?
			     PL_STACK_TRUNCATED : 0;
	return len;
}

/* Userspace reads a process's maps at its first stack and keeps them until it
 * execs. That stack wakes it at once, not up to a poll interval later, when
 * the process may have exec'd (a shell running its last command) and its old
 * maps are gone; the rest wait for the usual wakeup. An exit_group stack
 * would wake it too late to help: the maps go right after. */
static __always_inline __u64 stack_wakeup_flags(__u32 site, __u32 tgid)
{
	struct pl_traced *known;

	if (site == PL_STACK_SITE_EXIT_GROUP)
		return wakeup_flags();
	known = bpf_map_lookup_elem(&traced, &tgid);
	if (!known || known->stack_woke)
		return wakeup_flags();
	known->stack_woke = 1;
	return BPF_RB_FORCE_WAKEUP;
}

/* Right after the site's own record, from the same (current) task. A record
 * not sent counts in stacks_not_taken, not as a lost event. */
static __always_inline void emit_stack(__u32 site, __u64 site_ns, __u64 leader_start)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task_btf();
	struct saved_regs *regs = saved_regs_of(task);
	struct pl_stack_event *e;
	struct stack_scratch *s;
	__u32 zero = 0, ns_tid, ns_level, frames, python_bytes, stack_len, size;

	if (site == PL_STACK_SITE_WAIT &&
	    polling(regs) &&
	    !poll_stack_allowed(task->tgid, site_ns)) {
		__sync_fetch_and_add(&stacks_not_taken, 1);
		return;
	}
	/* Stacks are the first thing to give up when the ring fills (a
	 * WNOHANG loop polls faster than 16 KiB copies drain): the lifetime
	 * events behind them must still fit. Counted, never lost silently. */
	if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) > bpf_ringbuf_query(&events, BPF_RB_RING_SIZE) / 2) {
		__sync_fetch_and_add(&stacks_not_taken, 1);
		return;
	}
	s = bpf_map_lookup_elem(&stack_scratch, &zero);
	if (!s)
		return;
	e = &s->e;
	fill_header(&e->hdr, PL_EV_STACK, task, leader_start);
	e->hdr.ns = site_ns;
	e->site_ns = site_ns;
	e->site = site;
	e->ip = regs->ip;
	e->sp = regs->sp;
	e->bp = regs->bp;
	e->bx = regs->bx;
	e->r12 = regs->r12;
	e->r13 = regs->r13;
	e->r14 = regs->r14;
	e->r15 = regs->r15;
	e->pad = 0;
	task_ns_pid(task, &ns_tid, &ns_level);
	/* Lengths from locals, not read back from the map: the verifier knows
	 * the bounds of a register, not of what was stored. */
	frames = walk_python(s, task->tgid, ns_tid);
	python_bytes = frames * sizeof(struct pl_python_frame);
	stack_len = copy_stack(s, python_bytes, e->sp);
	e->python_count = frames;
	e->stack_len = stack_len;
	size = sizeof(*e) + python_bytes + stack_len;
	if (size > sizeof(*s))
		return;
	if (bpf_ringbuf_output(&events, s, size, stack_wakeup_flags(site, task->tgid)))
		__sync_fetch_and_add(&stacks_not_taken, 1);
}

/* Stacks of the traced tree only: never proclife's own. */
static __always_inline bool stacks_wanted(struct task_struct *task, __u64 *leader_start)
{
	return cfg_stacks && !skip_task(task) && task->tgid != cfg_self_tgid &&
	       task_is_traced(task, leader_start);
}

/* exit_group() at its entry: sched_process_exit comes after exit_mm(), when
 * the user stack is gone. Two hooks, one attached: fentry where the kernel
 * allows tracing programs, else tp_btf/sys_enter (every syscall pays a
 * compare for it). */
static __always_inline void on_exit_group(void)
{
	__u64 leader_start;

	if (stacks_wanted((struct task_struct *)bpf_get_current_task_btf(), &leader_start))
		emit_stack(PL_STACK_SITE_EXIT_GROUP, bpf_ktime_get_ns(), leader_start);
}

#if PL_WITH_EXIT_GROUP_FENTRY
SEC("fentry/__x64_sys_exit_group")
int BPF_PROG(handle_exit_group_entry)
{
	on_exit_group();
	return 0;
}
#endif

#if PL_WITH_SYS_ENTER
SEC("tp_btf/sys_enter")
int BPF_PROG(handle_sys_enter, struct pt_regs *regs, long id)
{
	if (id == PL_NR_EXIT_GROUP)
		on_exit_group();
	return 0;
}
#endif
