/* Loading proclife's programs through a light skeleton (bpftool gen skeleton
 * -L): the object travels as a small loader program that the kernel runs,
 * doing the CO-RE relocations and the attach-target lookups against the BTF
 * it already holds. libbpf never reads or indexes the kernel's BTF, which is
 * most of a libbpf load's time and all of its memory. Needs kernel CO-RE
 * (Linux 5.17); loader.cpp falls back to libbpf's skeleton where it fails.
 * C, because bpftool's light skeletons are C. */
#pragma once

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Each light skeleton carries one reap source's programs, and --stacks'
 * exit_group hook or not. */
enum pl_light_reap { PL_LIGHT_REAP_FEXIT, PL_LIGHT_REAP_SYS_EXIT, PL_LIGHT_REAP_NONE };

struct pl_light_config {
	uint32_t trace_all;
	uint32_t self_tgid;
	uint32_t stacks;
	uint32_t ring_buffer_bytes;
	uint32_t stacks_map_entries; /* python_runtimes and poll_stacks; 0: as built */
	uint64_t wakeup_bytes;
};

#define PL_LIGHT_MAX_PROGRAMS 16

/* What the loaded probe is made of; the caller owns every descriptor. */
struct pl_light_probe {
	int events;          /* the ring buffer */
	int traced;          /* tgid -> struct pl_traced */
	int python_runtimes; /* tgid -> CPython runtime */
	int counters;        /* .bss, mmap-able */
	uint32_t counters_bytes;
	uint32_t program_count;
	int programs[PL_LIGHT_MAX_PROGRAMS]; /* loaded, not attached */
};

/* 0, or a negative errno; nothing is left open on failure. */
int pl_light_load(enum pl_light_reap reap, const struct pl_light_config *config, struct pl_light_probe *out);

#ifdef __cplusplus
}
#endif
