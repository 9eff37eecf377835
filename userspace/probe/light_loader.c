#include "light_loader.h"

/* libbpf 1.1's skel_internal.h uses errno's names without including it. */
#include <errno.h>
#include <unistd.h>

/* bpftool's code, not ours: GNU C, and strings longer than C99 promises. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpedantic"
#pragma GCC diagnostic ignored "-Woverlength-strings"
#pragma GCC diagnostic ignored "-Wpointer-arith"
#include "proclife_fexit.lskel.h"
#include "proclife_fexit_stacks.lskel.h"
#include "proclife_none.lskel.h"
#include "proclife_none_stacks.lskel.h"
#include "proclife_sys_exit.lskel.h"
#include "proclife_sys_exit_stacks.lskel.h"
#pragma GCC diagnostic pop

/* The skeleton's destroy closes every descriptor above 0: a taken one is
 * marked -1 so that it stays open for the caller. */
static int take_fd(int *fd)
{
	int taken = *fd;

	*fd = -1;
	return taken;
}

/* The same steps for every variant; only the skeleton's type differs. Its
 * programs are a struct of bpf_prog_desc alone, walked as an array. */
#define PL_DEFINE_LIGHT_LOAD(stem)                                                                      \
	static int load_##stem(const struct pl_light_config *config, struct pl_light_probe *out)       \
	{                                                                                              \
		struct stem *skel = stem##__open();                                                    \
		struct bpf_prog_desc *programs;                                                        \
		size_t count, i;                                                                       \
		int err;                                                                               \
                                                                                                       \
		if (!skel)                                                                             \
			return -ENOMEM;                                                                \
		skel->rodata->cfg_trace_all = config->trace_all;                                       \
		skel->rodata->cfg_self_tgid = config->self_tgid;                                       \
		skel->rodata->cfg_stacks = config->stacks;                                             \
		skel->rodata->cfg_wakeup_bytes = config->wakeup_bytes;                                 \
		skel->maps.events.max_entries = config->ring_buffer_bytes;                             \
		skel->maps.python_runtimes.max_entries = config->stacks_map_entries;                   \
		skel->maps.poll_stacks.max_entries = config->stacks_map_entries;                       \
		err = stem##__load(skel);                                                              \
		programs = (struct bpf_prog_desc *)&skel->progs;                                       \
		count = sizeof(skel->progs) / sizeof(*programs);                                       \
		_Static_assert(sizeof(skel->progs) / sizeof(struct bpf_prog_desc) <= PL_LIGHT_MAX_PROGRAMS, \
			       "pl_light_probe has room for every program");                           \
		if (!err) {                                                                            \
			out->events = take_fd(&skel->maps.events.map_fd);                              \
			out->traced = take_fd(&skel->maps.traced.map_fd);                              \
			out->python_runtimes = take_fd(&skel->maps.python_runtimes.map_fd);            \
			out->counters = take_fd(&skel->maps.bss.map_fd);                               \
			out->counters_bytes = sizeof(*skel->bss);                                      \
			out->program_count = count;                                                    \
			for (i = 0; i < count; ++i)                                                    \
				out->programs[i] = take_fd(&programs[i].prog_fd);                      \
		}                                                                                      \
		stem##__destroy(skel);                                                                 \
		return err;                                                                            \
	}

PL_DEFINE_LIGHT_LOAD(proclife_fexit_bpf)
PL_DEFINE_LIGHT_LOAD(proclife_fexit_stacks_bpf)
PL_DEFINE_LIGHT_LOAD(proclife_sys_exit_bpf)
PL_DEFINE_LIGHT_LOAD(proclife_sys_exit_stacks_bpf)
PL_DEFINE_LIGHT_LOAD(proclife_none_bpf)
PL_DEFINE_LIGHT_LOAD(proclife_none_stacks_bpf)

int pl_light_load(enum pl_light_reap reap, const struct pl_light_config *config, struct pl_light_probe *out)
{
	int stacks = config->stacks;

	switch (reap) {
	case PL_LIGHT_REAP_FEXIT:
		return stacks ? load_proclife_fexit_stacks_bpf(config, out) : load_proclife_fexit_bpf(config, out);
	case PL_LIGHT_REAP_SYS_EXIT:
		return stacks ? load_proclife_sys_exit_stacks_bpf(config, out)
			      : load_proclife_sys_exit_bpf(config, out);
	case PL_LIGHT_REAP_NONE:
		return stacks ? load_proclife_none_stacks_bpf(config, out) : load_proclife_none_bpf(config, out);
	}
	return -EINVAL;
}
