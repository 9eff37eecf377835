#!/usr/bin/env bash
# scripts/bench.sh - overhead of proclife next to strace, bpftrace and
# libbpf-tools on process-lifecycle-heavy workloads.
#
# Usage: scripts/bench.sh [--quick] [--no-readme] [--reps N] [--startup-reps N]
#                         [--forks N] [--execs N] [--threads N] [--shell-iters N]
#                         [--variants LIST] [--proclife PATH]
#
# One invocation = one table: every variant runs on every workload in the same
# session, interleaved (the variant order is shuffled each repetition) so drift
# in machine load hits all variants alike.  The table goes to stdout and, unless
# --no-readme, into README.md between the bench markers.
#
# Needs root (BPF, tracefs).  Installs its Debian packages when missing.
set -euo pipefail

readonly PROG=bench.sh
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly REPO_ROOT
readonly BENCH_SRC=$REPO_ROOT/bench
readonly BENCH_BIN=$REPO_ROOT/build/bench
readonly README=$REPO_ROOT/README.md
readonly MARK_START='<!-- bench:start -->'
readonly MARK_END='<!-- bench:end -->'
readonly ALL_VARIANTS=(untraced proclife proclife-stacks proclife-attached monitor monitor-approx strace bpftrace libbpf-tools)
# A tracer that has not attached after this long is reported as failed
# rather than hanging the whole benchmark.
readonly ATTACH_TIMEOUT_S=60
readonly STOP_TIMEOUT_S=20

die() { echo "$PROG: $*" >&2; exit 2; }
log() { echo "$PROG: [${SECONDS}s] $*" >&2; }

usage() {
	cat <<'EOF'
Usage: scripts/bench.sh [options]

Benchmarks proclife against strace, bpftrace and libbpf-tools (exitsnoop +
execsnoop) on fork/exec/thread/shell workloads and prints one Markdown table.

Options:
  --quick            1/10 counts and 2 repetitions (smoke test, ~4 min)
  --no-readme        print the table only; do not touch README.md
  --reps N           measured repetitions per variant and workload (default 5)
  --startup-reps N   repetitions of the start-up latency probes (default 10)
  --forks N          fork storm iterations   (default 20000; env BENCH_FORKS)
  --execs N          exec storm iterations   (default 5000;  env BENCH_EXECS)
  --threads N        thread storm iterations (default 100000; env BENCH_THREADS)
  --shell-iters N    shell pipeline loops    (default 1000;  env BENCH_SHELL_ITERS)
  --polls N          WNOHANG polls of a running child (default 50000; env BENCH_POLLS)
  --long-forks N     forks of the one long trace whose peak RSS is reported
                     (default 200000, quick 20000; 0 skips it; env BENCH_LONG_FORKS)
  --variants LIST    comma list out of: untraced,proclife,proclife-stacks,proclife-attached,
                     monitor,monitor-approx,strace,bpftrace,libbpf-tools
                     (untraced is always run: ratios need it)
  --proclife PATH    proclife binary (default build/proclife; env PROCLIFE)
  --allow-idle       let idle CPUs halt as the kernel chooses, instead of holding
                     them in their polling idle state (/dev/cpu_dma_latency = 0)
  -h, --help         this text

Env BENCH_REPS and BENCH_STARTUP_REPS set the repetitions too; options win.
EOF
}

# ---------------------------------------------------------------- options --

OPT_QUICK=0
OPT_README=1
OPT_REPS=${BENCH_REPS:-}
OPT_STARTUP_REPS=${BENCH_STARTUP_REPS:-}
OPT_FORKS=${BENCH_FORKS:-}
OPT_EXECS=${BENCH_EXECS:-}
OPT_THREADS=${BENCH_THREADS:-}
OPT_SHELL_ITERS=${BENCH_SHELL_ITERS:-}
OPT_POLLS=${BENCH_POLLS:-}
OPT_LONG_FORKS=${BENCH_LONG_FORKS:-}
OPT_VARIANTS=
OPT_HOLD_CPUS_AWAKE=1
PROCLIFE=${PROCLIFE:-$REPO_ROOT/build/proclife}
PROCLIFE_RUN=
PROCLIFE_RELEASE_RUN=
PROCLIFE_DESC=

require_count() { # NAME VALUE: positive integer or a one-line error
	[[ $2 =~ ^[1-9][0-9]*$ ]] || die "$1 needs a positive integer, got '$2'"
}

parse_options() {
	while (($#)); do
		case $1 in
		--quick) OPT_QUICK=1 ;;
		--no-readme) OPT_README=0 ;;
		--allow-idle) OPT_HOLD_CPUS_AWAKE=0 ;;
		--reps | --startup-reps | --forks | --execs | --threads | --shell-iters | --polls | --long-forks | --variants | --proclife)
			(($# >= 2)) || die "$1 needs a value (see --help)"
			case $1 in
			--reps) OPT_REPS=$2 ;;
			--startup-reps) OPT_STARTUP_REPS=$2 ;;
			--forks) OPT_FORKS=$2 ;;
			--execs) OPT_EXECS=$2 ;;
			--threads) OPT_THREADS=$2 ;;
			--shell-iters) OPT_SHELL_ITERS=$2 ;;
			--polls) OPT_POLLS=$2 ;;
			--long-forks) OPT_LONG_FORKS=$2 ;;
			--variants) OPT_VARIANTS=$2 ;;
			--proclife) PROCLIFE=$2 ;;
			esac
			shift
			;;
		-h | --help) usage; exit 0 ;;
		--) shift; (($# == 0)) || die "unexpected argument '$1' (see --help)"; break ;;
		*) die "unknown option '$1' (see --help)" ;;
		esac
		shift
	done

	# Quick mode only changes defaults: explicit options and env still win.
	if ((OPT_QUICK)); then
		REPS=${OPT_REPS:-2} STARTUP_REPS=${OPT_STARTUP_REPS:-3}
		FORKS=${OPT_FORKS:-2000} EXECS=${OPT_EXECS:-500}
		THREADS=${OPT_THREADS:-10000} SHELL_ITERS=${OPT_SHELL_ITERS:-100} POLLS=${OPT_POLLS:-5000}
		LONG_FORKS=${OPT_LONG_FORKS:-20000}
	else
		REPS=${OPT_REPS:-5} STARTUP_REPS=${OPT_STARTUP_REPS:-10}
		FORKS=${OPT_FORKS:-20000} EXECS=${OPT_EXECS:-5000}
		THREADS=${OPT_THREADS:-100000} SHELL_ITERS=${OPT_SHELL_ITERS:-1000} POLLS=${OPT_POLLS:-50000}
		LONG_FORKS=${OPT_LONG_FORKS:-200000}
	fi
	require_count --reps "$REPS"
	require_count --startup-reps "$STARTUP_REPS"
	require_count --forks "$FORKS"
	require_count --execs "$EXECS"
	require_count --threads "$THREADS"
	require_count --shell-iters "$SHELL_ITERS"
	require_count --polls "$POLLS"
	[[ $LONG_FORKS =~ ^(0|[1-9][0-9]*)$ ]] ||
		die "--long-forks needs 0 (skip it) or a positive integer, got '$LONG_FORKS'"

	VARIANTS=(untraced)
	local -a want=("${ALL_VARIANTS[@]}")
	local v k known
	[[ -n $OPT_VARIANTS ]] && IFS=, read -r -a want <<<"$OPT_VARIANTS"
	for v in "${want[@]}"; do
		known=0
		for k in "${ALL_VARIANTS[@]}"; do [[ $v == "$k" ]] && known=1; done
		((known)) || die "unknown variant '$v' (known: ${ALL_VARIANTS[*]})"
		[[ $v == untraced ]] || VARIANTS+=("$v")
	done
}

# ------------------------------------------------------------ environment --

# Install only what is missing, and refresh the apt lists only then, so that
# repeated runs neither touch the network nor spend time in apt.
ensure_packages() {
	local -a missing=()
	command -v cc >/dev/null || missing+=(gcc libc6-dev)
	command -v python3 >/dev/null || missing+=(python3)
	command -v strace >/dev/null || missing+=(strace)
	command -v bpftrace >/dev/null || missing+=(bpftrace)
	command -v stdbuf >/dev/null || missing+=(coreutils)
	[[ -x $(libbpf_tool exitsnoop) && -x $(libbpf_tool execsnoop) ]] || missing+=(libbpf-tools)
	((${#missing[@]} == 0)) && return
	log "installing missing packages: ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		"${missing[@]}" >/dev/null
}

# Debian ships libbpf-tools unprefixed in /usr/sbin; other distros prefix
# them (bpf-exitsnoop) or put them on PATH, so look in all those places.
libbpf_tool() {
	local name=$1 cand
	for cand in "/usr/sbin/$name" "/usr/sbin/bpf-$name" "$(command -v "$name" 2>/dev/null)" \
		"$(command -v "bpf-$name" 2>/dev/null)"; do
		[[ -n $cand && -x $cand ]] && { echo "$cand"; return; }
	done
	echo "/usr/sbin/$name"
}

# Tracepoint attachment (bpftrace, libbpf's perf-event tracepoints) needs
# tracefs; minimal VMs and containers often have it unmounted.
TRACEFS_MOUNTED_BY_US=
ensure_tracefs() {
	[[ -e /sys/kernel/tracing/events/sched ]] && return
	[[ -e /sys/kernel/debug/tracing/events/sched ]] && return
	mount -t tracefs nodev /sys/kernel/tracing || die "cannot mount tracefs on /sys/kernel/tracing"
	TRACEFS_MOUNTED_BY_US=/sys/kernel/tracing
}

# bpf_stats_enabled makes the kernel time every BPF program run, which would
# tax the BPF-based variants (not strace); force it off and restore it later.
BPF_STATS_ORIG=
quiesce_bpf_stats() {
	BPF_STATS_ORIG=$(sysctl -n kernel.bpf_stats_enabled 2>/dev/null || true)
	[[ -n $BPF_STATS_ORIG && $BPF_STATS_ORIG != 0 ]] &&
		sysctl -q -w kernel.bpf_stats_enabled=0
	return 0
}

# Start from a known page-cache state; the warm-up round then loads exactly
# what every measured round uses, so no variant pays for cold binaries.
drop_caches() {
	sync
	echo 3 >/proc/sys/vm/drop_caches 2>/dev/null || log "note: could not drop caches"
}

# Others may rebuild build/proclife while we run; benchmark one private copy
# so every round uses the same binary (its BPF code is embedded, so the copy
# is self-contained).  Sets PROCLIFE_RUN; fails if there is no binary.
snapshot_proclife() {
	[[ -x $PROCLIFE ]] || return 1
	cp "$PROCLIFE" "$BENCH_BIN/proclife.snapshot" 2>/dev/null || return 1
	PROCLIFE_RUN=$BENCH_BIN/proclife.snapshot
	PROCLIFE_DESC="$(proclife_revision)"
}

# The release binary (scripts/package.sh; what the Debian package installs)
# starts without loading shared libraries: its start-up is measured too, when
# the binary under test is build/proclife and the release binary is there and
# no older (by mtime). Sets PROCLIFE_RELEASE_RUN.
snapshot_release() {
	local release=$REPO_ROOT/build-release/proclife
	[[ -x $release && -n $PROCLIFE_RUN && $PROCLIFE == "$REPO_ROOT/build/proclife" ]] || return 0
	if [[ $release -ot $PROCLIFE ]]; then
		log "note: ${release#"$REPO_ROOT"/} is older than ${PROCLIFE#"$REPO_ROOT"/}: its start-up is not measured (rebuild it with scripts/package.sh)"
		return 0
	fi
	cp "$release" "$BENCH_BIN/proclife-release.snapshot" 2>/dev/null && PROCLIFE_RELEASE_RUN=$BENCH_BIN/proclife-release.snapshot
}

proclife_revision() {
	local rev
	rev=$(git -C "$REPO_ROOT" rev-parse --short HEAD 2>/dev/null) || { echo "unknown revision"; return; }
	git -C "$REPO_ROOT" diff --quiet HEAD -- userspace bpf CMakeLists.txt 2>/dev/null ||
		rev+=" + uncommitted changes"
	echo "commit $rev, binary from $(date -u -r "$PROCLIFE" '+%Y-%m-%d %H:%M UTC')"
}

# Concurrent builds on a 2-core box swamp a benchmark; a higher priority
# (inherited by workloads and tracers alike, so no variant is favoured)
# keeps their interference down.  Best effort.
raise_priority() {
	renice -n -10 -p $$ >/dev/null 2>&1 || log "note: could not raise priority"
}

# Other jobs on the machine add noise no repetition count removes; say so
# up front (the report also records the load average before and after).
warn_if_busy() {
	local load=${LOAD_BEFORE%% *}
	if awk -v l="$load" -v n="$(nproc)" 'BEGIN { exit !(l > n / 2) }'; then
		log "warning: load average $load on $(nproc) CPUs: other work is running, expect noisy figures"
	fi
}

# Idle CPUs stay in their polling state while measuring (why: the method
# paragraph in render_report). The request lasts while the holder keeps the
# device open; it drops the flock on fd 9 and ends with this script even if
# cleanup never runs.
IDLE_HOLDER=
IDLE_MODE="idle CPUs halt as the kernel chooses (--allow-idle)"
hold_cpus_awake() {
	((OPT_HOLD_CPUS_AWAKE)) || return 0
	local bench=$$
	# It waits on a pipe nothing writes to, not with sleep: a process a
	# second would show in the host-wide variants' counts.
	(
		exec 9>&- </dev/null >/dev/null 2>&1 3>/dev/cpu_dma_latency 4<> <(:) || exit 1
		echo 0 >&3 || exit 1
		while kill -0 "$bench" 2>/dev/null; do read -r -t 1 -u 4 _ || true; done
	) &
	IDLE_HOLDER=$!
	sleep 0.2
	if holder_alive; then
		IDLE_MODE="idle CPUs held in their polling state (/dev/cpu_dma_latency = 0; --allow-idle lets them halt)"
	else
		IDLE_HOLDER=
		IDLE_MODE="idle CPUs halt as the kernel chooses (/dev/cpu_dma_latency could not be held at 0 here)"
		log "note: $IDLE_MODE"
	fi
}

# The holder's pid, checked by what it holds open: a benchmark forks far
# more processes than pid_max, so the pid alone may be someone else's.
holder_alive() {
	[[ -n $IDLE_HOLDER && $(readlink "/proc/$IDLE_HOLDER/fd/3" 2>/dev/null) == /dev/cpu_dma_latency ]]
}

# Whether the holder lasted: a report must not claim what did not hold.
idle_mode_at_end() {
	if [[ -n $IDLE_HOLDER ]] && ! holder_alive; then
		echo "idle CPUs held in their polling state only until the holder of /dev/cpu_dma_latency ended early"
	else
		echo "$IDLE_MODE"
	fi
}

build_workloads() {
	mkdir -p "$BENCH_BIN"
	local w
	for w in fork_storm exec_storm thread_storm poll_storm timed_run syscall_tax; do
		cc -O2 -Wall -Wextra -pthread -o "$BENCH_BIN/$w" "$BENCH_SRC/$w.c"
	done
	TIMED_RUN=$BENCH_BIN/timed_run
}

# ------------------------------------------------------------- clean-up --

# Background tracers: wrapper (timed_run) pid -> tracer pid.  Only entries
# still here at exit are killed, so an exited pid is never signalled.
declare -A LIVE_TRACERS=()
declare -A TRACER_BY_NAME=()
WORK=
cleanup() {
	local rc=$? w
	set +e # best effort: one failed step must not skip the others
	for w in "${!LIVE_TRACERS[@]}"; do
		kill -INT "${LIVE_TRACERS[$w]}" 2>/dev/null || true
	done
	for w in "${!LIVE_TRACERS[@]}"; do
		wait_for_exit "$w" 5 || kill -KILL "${LIVE_TRACERS[$w]}" "$w" 2>/dev/null || true
	done
	holder_alive && kill "$IDLE_HOLDER" 2>/dev/null
	if [[ -n $BPF_STATS_ORIG && $BPF_STATS_ORIG != 0 ]]; then
		sysctl -q -w kernel.bpf_stats_enabled="$BPF_STATS_ORIG" || true
	fi
	# Leave tracefs as found; if something else now holds it, umount just fails.
	[[ -n $TRACEFS_MOUNTED_BY_US ]] && umount "$TRACEFS_MOUNTED_BY_US" 2>/dev/null
	[[ -n $WORK ]] && rm -rf "$WORK"
	trap - EXIT
	exit "$rc"
}

wait_for_exit() { # PID SECONDS: 0 once PID is gone, 1 on timeout
	local pid=$1 deadline=$((SECONDS + $2))
	while kill -0 "$pid" 2>/dev/null; do
		((SECONDS < deadline)) || return 1
		sleep 0.05
	done
}

# --------------------------------------------------------------- helpers --

# Sets WL_ARGV to the command line of workload $1 and WL_LABEL to its name.
workload_argv() {
	case $1 in
	fork) WL_ARGV=("$BENCH_BIN/fork_storm" "$FORKS") WL_LABEL="fork storm ($FORKS forks)" ;;
	exec) WL_ARGV=("$BENCH_BIN/exec_storm" "$EXECS") WL_LABEL="exec storm ($EXECS execs of /bin/true)" ;;
	thread) WL_ARGV=("$BENCH_BIN/thread_storm" "$THREADS") WL_LABEL="thread storm ($THREADS threads)" ;;
	shell) WL_ARGV=(/bin/sh "$BENCH_SRC/shell_tree.sh" "$SHELL_ITERS") WL_LABEL="shell tree ($SHELL_ITERS × echo/cat/wc pipeline)" ;;
	poll) WL_ARGV=("$BENCH_BIN/poll_storm" "$POLLS") WL_LABEL="WNOHANG polling loop ($POLLS polls)" ;;
	esac
}
readonly WORKLOADS=(fork exec thread shell poll)

kv() { # FILE KEY: value of KEY=... in a timed_run result line
	sed -n "s/.*\\b$2=\\([^ ]*\\).*/\\1/p" "$1" 2>/dev/null | head -n1
}

# utime+stime of a live process in ms (own threads only, not children).
proc_cpu_ms() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
	stat=${stat##*) }
	local -a f
	read -r -a f <<<"$stat"
	# After "comm) ": state is field 3, so utime (14) / stime (15) are [11] [12].
	echo $(((f[11] + f[12]) * 1000 / CLK_TCK))
}

first_error_line() { # FILE: the first line worth quoting from a tool's stderr
	grep -v -e 'RLIMIT_MEMLOCK' -e '^\s*$' "$1" 2>/dev/null | head -n1 | cut -c1-100
}

# One TSV row per measurement; the report is rendered from this file.
# kind workload variant rep wall_ms rc captured lost cpu_ms rss_kb note
record() {
	local IFS=$'\t'
	echo "$*" >>"$RESULTS"
}

# ------------------------------------------------------------- variants --
# Each run_<variant> WORKLOAD runs the workload once and records one row.
# Workload stdout goes to /dev/null (they print nothing on success).

run_untraced() {
	local rc=0
	"$TIMED_RUN" -r "$WORK/res" -- "${WL_ARGV[@]}" >/dev/null 2>"$WORK/wl.err" || rc=$?
	# An untraced failure means the workload itself is broken: stop here.
	((rc == 0)) || die "workload '$1' failed untraced (rc=$rc): $(first_error_line "$WORK/wl.err")"
	record run "$1" untraced "$REP" "$(kv "$WORK/res" wall_ms)" 0 - - - - -
}

run_proclife() { # WORKLOAD [VARIANT [RUN OPTIONS...]]
	local wl=$1 variant=${2:-proclife} rc=0 json=$WORK/proclife.json
	shift $(($# > 1 ? 2 : 1))
	rm -f "$json"
	# JSON report to tmpfs (not /dev/null) so we can read its event counts.
	"$TIMED_RUN" -s -r "$WORK/res" -- "$PROCLIFE_RUN" run "$@" --format json -o "$json" -- \
		"${WL_ARGV[@]}" >/dev/null 2>"$WORK/tracer.err" || rc=$?
	local counts
	counts=$(proclife_counts "$json" "$WORK/tracer.err")
	record run "$wl" "$variant" "$REP" "$(kv "$WORK/res" wall_ms)" "$rc" \
		"${counts% *}" "${counts#* }" "$(kv "$WORK/res" self_cpu_ms)" \
		"$(kv "$WORK/res" self_hwm_kb)" "$(note_if_failed "$rc" "$WORK/tracer.err")"
}

run_strace() {
	local rc=0
	# strace is the workload's parent, so timed_run -s isolates strace's own
	# CPU/RSS exactly as for proclife.  ptrace never drops events: no counts.
	"$TIMED_RUN" -s -r "$WORK/res" -- strace -f -e trace=process,signal -o /dev/null \
		"${WL_ARGV[@]}" >/dev/null 2>"$WORK/tracer.err" || rc=$?
	record run "$1" strace "$REP" "$(kv "$WORK/res" wall_ms)" "$rc" - - \
		"$(kv "$WORK/res" self_cpu_ms)" "$(kv "$WORK/res" self_hwm_kb)" \
		"$(note_if_failed "$rc" "$WORK/tracer.err")"
}

run_bpftrace() {
	local rc=0 out=$WORK/bpftrace.out
	# bpftrace prints "Attaching N probes..." BEFORE it loads and attaches
	# them, so that line is no go signal.  It attaches tracepoints in script
	# order, and the script's last probe (raw_syscalls:sys_exit) records
	# clone(2) returns: once this shell's own forks (the polling loop runs
	# grep) show up there, every probe is live.
	if ! start_system_tracer bpftrace "$out" "^sysx [0-9]+ $BASHPID (56|435) " \
		bpftrace -o "$out" "$BENCH_SRC/proclife_equiv.bt"; then
		record run "$1" bpftrace "$REP" - 1 - - - - "$TRACER_FAILURE"
		return
	fi
	local base_cpu
	base_cpu=$(proc_cpu_ms "${LIVE_TRACERS[$TRACER_WRAPPER]}")
	"$TIMED_RUN" -r "$WORK/res" -- "${WL_ARGV[@]}" >/dev/null 2>"$WORK/wl.err" || rc=$?
	stop_system_tracer bpftrace
	local captured lost
	captured=$(grep -cvE '^(Attaching [0-9]+ probe|Lost [0-9]+ event)|^$' "$out" || true)
	lost=$(sum_lost "$out" "$WORK/bpftrace.err")
	record run "$1" bpftrace "$REP" "$(kv "$WORK/res" wall_ms)" "$rc" "$captured" "$lost" \
		"$(cpu_since "$base_cpu" "$(kv "$WORK/bpftrace.res" self_cpu_ms)")" \
		"$(kv "$WORK/bpftrace.res" self_hwm_kb)" "$(note_if_failed "$rc" "$WORK/wl.err")"
}

run_libbpf_tools() {
	local rc=0 tool base_cpu=0 cpu=0 rss=0 captured=0 lost=0
	# These print their header only after the skeleton attached all programs,
	# so the header is the go signal.  stdbuf -oL makes it reach the file at
	# once (and is how the tools behave on a terminal).
	for tool in exitsnoop execsnoop; do
		if ! start_system_tracer "$tool" "$WORK/$tool.out" '^PCOMM' \
			stdbuf -oL "$(libbpf_tool "$tool")"; then
			[[ $tool == execsnoop ]] && stop_system_tracer exitsnoop
			record run "$1" libbpf-tools "$REP" - 1 - - - - "$TRACER_FAILURE"
			return
		fi
		base_cpu=$((base_cpu + $(proc_cpu_ms "${LIVE_TRACERS[$TRACER_WRAPPER]}")))
	done
	"$TIMED_RUN" -r "$WORK/res" -- "${WL_ARGV[@]}" >/dev/null 2>"$WORK/wl.err" || rc=$?
	for tool in exitsnoop execsnoop; do
		stop_system_tracer "$tool"
		captured=$((captured + $(grep -cv '^PCOMM' "$WORK/$tool.out" || true)))
		lost=$((lost + $(sum_lost "$WORK/$tool.err")))
		cpu=$((cpu + $(kv "$WORK/$tool.res" self_cpu_ms || true) + 0))
		rss=$((rss + $(kv "$WORK/$tool.res" self_hwm_kb || true) + 0))
	done
	record run "$1" libbpf-tools "$REP" "$(kv "$WORK/res" wall_ms)" "$rc" "$captured" "$lost" \
		"$((cpu - base_cpu))" "$rss" "$(note_if_failed "$rc" "$WORK/wl.err")"
}

cpu_since() { # BASE_MS FINAL_MS: CPU used after BASE, "-" if FINAL is unknown
	[[ $2 =~ ^[0-9]+$ ]] && echo $(($2 - $1)) || echo -
}

note_if_failed() { # RC STDERR_FILE
	(($1 == 0)) && { echo -; return; }
	echo "rc=$1: $(first_error_line "$2")"
}

sum_lost() { # FILES...: total of "[Ll]ost N events" messages (bpftrace, libbpf-tools)
	cat "$@" 2>/dev/null | sed -n 's/.*[Ll]ost \([0-9][0-9]*\) event.*/\1/p' |
		awk '{ s += $1 } END { print s + 0 }'
}

# proclife's JSON report: "<processes> <lost_events>", from its documented
# top-level fields.
proclife_counts() {
	python3 "$BENCH_SRC/bench_report.py" counts "$1"
}

# start_system_tracer NAME OUTFILE READY_REGEX CMD...
# Runs CMD in the background under timed_run -s (to get its own CPU and peak
# RSS at the end), then waits until READY_REGEX appears in OUTFILE, i.e. the
# probes are attached, so the workload never runs half-traced.  Sets
# TRACER_WRAPPER; on failure sets TRACER_FAILURE and returns 1.
start_system_tracer() {
	local name=$1 out=$2 ready=$3
	shift 3
	rm -f "$out" "$WORK/$name.res"
	"$TIMED_RUN" -s -r "$WORK/$name.res" -- "$@" >"$out" 2>"$WORK/$name.err" &
	local wrapper=$! tracer='' deadline=$((SECONDS + ATTACH_TIMEOUT_S))
	TRACER_WRAPPER=$wrapper
	TRACER_BY_NAME[$name]=$wrapper
	while :; do
		if [[ -z $tracer ]]; then
			tracer=$(cat "/proc/$wrapper/task/$wrapper/children" 2>/dev/null || true)
			tracer=${tracer%% *}
			[[ -n $tracer ]] && LIVE_TRACERS[$wrapper]=$tracer
		fi
		if [[ -n $tracer ]] && grep -Eq "$ready" "$out" 2>/dev/null; then
			return 0
		fi
		if ! kill -0 "$wrapper" 2>/dev/null; then
			wait "$wrapper" || true
			unset "LIVE_TRACERS[$wrapper]"
			TRACER_FAILURE="$name did not start: $(first_error_line "$WORK/$name.err")"
			return 1
		fi
		if ((SECONDS >= deadline)); then
			TRACER_FAILURE="$name not attached after ${ATTACH_TIMEOUT_S}s"
			stop_tracer_pid "$wrapper"
			return 1
		fi
		sleep 0.05
	done
}

# Stop the tracer last started as NAME.  SIGINT (not TERM/KILL) lets it
# drain its buffers and print its loss counts.
stop_system_tracer() {
	local w=${TRACER_BY_NAME[$1]:-}
	unset "TRACER_BY_NAME[$1]"
	[[ -n $w && -n ${LIVE_TRACERS[$w]:-} ]] || return 0
	sleep 0.2 # let events still in flight reach user space
	stop_tracer_pid "$w"
}

stop_tracer_pid() { # WRAPPER_PID
	local w=$1 tracer=${LIVE_TRACERS[$1]:-}
	[[ -n $tracer ]] && { kill -INT "$tracer" 2>/dev/null || true; }
	if ! wait_for_exit "$w" "$STOP_TIMEOUT_S"; then
		log "warning: tracer $tracer ignored SIGINT, killing it"
		kill -KILL "$tracer" 2>/dev/null || true
	fi
	wait "$w" 2>/dev/null || true
	unset "LIVE_TRACERS[$w]"
}

# The kernel frees a tracer's programs, links and maps after RCU grace
# periods, in its own workers, once the tracer has exited; a pause before
# every timed variant, start-up probe and syscall-tax row keeps that work
# (and a previous workload's page freeing) out of the next timed window.
readonly SETTLE_S=1

run_variant() { # VARIANT WORKLOAD
	sleep "$SETTLE_S"
	case $1 in
	untraced) run_untraced "$2" ;;
	proclife) run_proclife "$2" ;;
	proclife-stacks) run_proclife "$2" proclife-stacks --stacks ;;
	strace) run_strace "$2" ;;
	bpftrace) run_bpftrace "$2" ;;
	libbpf-tools) run_libbpf_tools "$2" ;;
	proclife-attached) run_proclife_attached "$2" ;;
	monitor) run_monitor monitor "$2" ;;
	monitor-approx) run_monitor monitor-approx "$2" --precise-reaping=off ;;
	esac
}

# The arguments after SEED, in an order shuffled by that seed, so a run can
# be repeated (with the same bash: 5.1 changed its generator). The rounds
# shuffle instead of rotating one fixed order, as this script did before:
# a rotation moves only the start, so every variant kept the same
# predecessor in every round (proclife-attached always ran right after
# proclife-stacks, untraced after libbpf-tools), and whatever a variant
# leaves behind landed on the same neighbour each time, a bias the
# per-round ratios could not cancel. A subshell, so seeding RANDOM here
# never touches the script's own.
shuffled() ( # SEED ITEM...
	RANDOM=$1
	shift
	local -a order=("$@")
	local i j swap
	for ((i = ${#order[@]} - 1; i > 0; i--)); do
		j=$((RANDOM % (i + 1)))
		swap=${order[i]} order[i]=${order[j]} order[j]=$swap
	done
	printf '%s\n' "${order[@]}"
)

# --------------------------------------------- proclife measured like the peers --

# proclife-attached: proclife is started and attached before the timer, as
# bpftrace and libbpf-tools are; its start-up and teardown are left out. The
# workload's timed_run waits on a FIFO under a shell that `proclife attach
# -p` follows; once proclife says it is attached, the FIFO releases it.
run_proclife_attached() {
	local rc=0 fifo=$WORK/gate.fifo json=$WORK/proclife-attached.json
	rm -f "$fifo" "$json" "$WORK/res"
	mkfifo "$fifo"
	sh -c 'read -r _ <"$1"; shift; exec "$@"' gate "$fifo" \
		"$TIMED_RUN" -r "$WORK/res" -- "${WL_ARGV[@]}" >/dev/null 2>"$WORK/wl.err" &
	local gate=$!
	if ! start_system_tracer proclife-attached "$WORK/proclife-attached.out" 'attached to' \
		sh -c 'exec "$@" 2>&1' attach "$PROCLIFE_RUN" attach -p "$gate" --format json -o "$json"; then
		echo go >"$fifo"
		wait "$gate" || true
		record run "$1" proclife-attached "$REP" - 1 - - - - "$TRACER_FAILURE"
		return
	fi
	local base_cpu
	base_cpu=$(proc_cpu_ms "${LIVE_TRACERS[$TRACER_WRAPPER]}")
	echo go >"$fifo"
	wait "$gate" || rc=$?
	# attach ends by itself when the followed pid exits.
	local w=${TRACER_BY_NAME[proclife-attached]}
	unset "TRACER_BY_NAME[proclife-attached]"
	wait_for_exit "$w" "$STOP_TIMEOUT_S" || stop_tracer_pid "$w"
	wait "$w" 2>/dev/null || true
	unset "LIVE_TRACERS[$w]"
	local counts
	counts=$(proclife_counts "$json" "$WORK/proclife-attached.out")
	record run "$1" proclife-attached "$REP" "$(kv "$WORK/res" wall_ms)" "$rc" \
		"${counts% *}" "${counts#* }" \
		"$(cpu_since "$base_cpu" "$(kv "$WORK/proclife-attached.res" self_cpu_ms)")" \
		"$(kv "$WORK/proclife-attached.res" self_hwm_kb)" "$(note_if_failed "$rc" "$WORK/wl.err")"
}

# monitor, monitor-approx: `proclife monitor` host-wide, started before the
# timer like the other system-wide tracers. Its NDJSON goes to a tmpfs file;
# the start record is written once every program is attached, so it is the
# go signal. The metrics server listens on an ephemeral port, as in a fleet.
run_monitor() { # VARIANT WORKLOAD [MONITOR OPTIONS...]
	local variant=$1 wl=$2 rc=0 out=$WORK/$1.events
	shift 2
	if ! start_system_tracer "$variant" "$out" '"type": ?"start"' \
		"$PROCLIFE_RUN" monitor --metrics-address 127.0.0.1:0 "$@"; then
		record run "$wl" "$variant" "$REP" - 1 - - - - "$TRACER_FAILURE"
		return
	fi
	local base_cpu
	base_cpu=$(proc_cpu_ms "${LIVE_TRACERS[$TRACER_WRAPPER]}")
	"$TIMED_RUN" -r "$WORK/res" -- "${WL_ARGV[@]}" >/dev/null 2>"$WORK/wl.err" || rc=$?
	stop_system_tracer "$variant"
	local captured lost
	captured=$(grep -c '"type": *"lifetime"' "$out" || true)
	lost=$(sed -n 's/.*"type": *"lost_events".*"lost": *\([0-9][0-9]*\).*/\1/p' "$out" | awk '{ s += $1 } END { print s + 0 }')
	record run "$wl" "$variant" "$REP" "$(kv "$WORK/res" wall_ms)" "$rc" "$captured" "$lost" \
		"$(cpu_since "$base_cpu" "$(kv "$WORK/$variant.res" self_cpu_ms)")" \
		"$(kv "$WORK/$variant.res" self_hwm_kb)" "$(note_if_failed "$rc" "$WORK/wl.err")"
}

# Starts the tracer a syscall-tax row measures, in the background (sets pid).
# proclife run follows an unrelated `sleep`; the monitor traces the whole host,
# the measuring loop included, so its row is the tax a monitored host pays.
start_tax_tracer() { # SOURCE STDERR_FILE
	case $1 in
	monitor) "$PROCLIFE_RUN" monitor --metrics-address 127.0.0.1:0 >"$2" 2>&1 & ;;
	monitor-off) "$PROCLIFE_RUN" monitor --precise-reaping=off --metrics-address 127.0.0.1:0 >"$2" 2>&1 & ;;
	*) PROCLIFE_REAP_SOURCE=$1 "$PROCLIFE_RUN" run --verbose -o /dev/null -- sleep 3600 2>"$2" & ;;
	esac
	pid=$!
}

# The syscall tax: ns per getppid(2) of a process proclife does not trace,
# untraced and with proclife following an unrelated `sleep`, once per reap
# source (a source the kernel refuses is reported as such).
measure_syscall_tax() {
	SYSCALL_TAX_TABLE=""
	[[ -n $PROCLIFE_RUN && -x $BENCH_BIN/syscall_tax ]] || return 0
	local calls=200000 batches=7 rep src err pid ns
	((OPT_QUICK)) && calls=50000 batches=5
	: >"$WORK/tax.tsv"
	declare -A refused=()
	for ((rep = 1; rep <= REPS; rep++)); do
		log "syscall tax $rep/$REPS"
		for src in $(shuffled "$rep" untraced sys_exit fexit none monitor monitor-off); do
			[[ -n ${refused[$src]:-} ]] && continue
			sleep "$SETTLE_S"
			pid=
			if [[ $src != untraced ]]; then
				err=$WORK/tax-$src.err
				start_tax_tracer "$src" "$err"
				local ready="reap source: $src"
				[[ $src == monitor* ]] && ready='"type": ?"start"'
				local deadline=$((SECONDS + ATTACH_TIMEOUT_S))
				until grep -Eq "$ready" "$err" 2>/dev/null; do
					if ! kill -0 "$pid" 2>/dev/null || ((SECONDS >= deadline)); then
						# The last such line is the verdict; --verbose's account of each attempt comes first.
						refused[$src]=$(grep -v '^libbpf:' "$err" | grep -i 'refuse\|error\|cannot' | tail -n1 | cut -c1-160)
						kill -TERM "$pid" 2>/dev/null || true
						wait "$pid" 2>/dev/null || true
						pid=
						break
					fi
					sleep 0.05
				done
				[[ -n $pid ]] || continue
				[[ $src == monitor ]] && MONITOR_TAX_SOURCE=$(sed -n 's/.*"reap_source": *"\([a-z_]*\)".*/\1/p' "$err" | head -n1)
			fi
			ns=$("$BENCH_BIN/syscall_tax" "$calls" "$batches")
			printf '%s\t%s\n' "$src" "$ns" >>"$WORK/tax.tsv"
			if [[ -n $pid ]]; then
				# TERM, not INT: a background job of a script starts with SIGINT
				# ignored. proclife run passes it on to its `sleep`.
				kill -TERM "$pid" 2>/dev/null || true
				wait "$pid" 2>/dev/null || true
			fi
		done
	done
	local refused_file=$WORK/tax-refused.tsv
	: >"$refused_file"
	for src in "${!refused[@]}"; do printf '%s\t%s\n' "$src" "${refused[$src]:-refused}" >>"$refused_file"; done
	SYSCALL_TAX_TABLE=$(python3 - "$WORK/tax.tsv" "$refused_file" "${MONITOR_TAX_SOURCE:-unknown}" <<'PY'
import statistics, sys
from collections import defaultdict
ns = defaultdict(list)
for line in open(sys.argv[1]):
    src, value = line.split()
    ns[src].append(float(value))
refused = dict(l.rstrip("\n").split("\t", 1) for l in open(sys.argv[2]) if l.strip())
base = statistics.median(ns["untraced"]) if ns["untraced"] else None
names = {"untraced": "untraced", "sys_exit": "proclife, reap source sys_exit (tp_btf/sys_exit)",
         "fexit": "proclife, reap source fexit (kernel_wait4/kernel_waitid)", "none": "proclife, reap source none (no syscall hook)",
         "monitor": f"proclife monitor, host-wide, precise reaping (chose {sys.argv[3]})",
         "monitor-off": "proclife monitor, host-wide, --precise-reaping=off"}
out = ["| getppid(2) loop, another process traced | ns per call, median (min–max) | extra ns per call |", "|---|---:|---:|"]
for src in ["untraced", "sys_exit", "fexit", "none", "monitor", "monitor-off"]:
    if src in refused:
        out.append(f"| {names[src]} | not available: {refused[src].replace('|', '/')} | |")
        continue
    if not ns[src]:
        continue
    m = statistics.median(ns[src])
    extra = "—" if src == "untraced" or base is None else f"{m - base:+.0f}"
    out.append(f"| {names[src]} | {m:.0f} ({min(ns[src]):.0f}–{max(ns[src]):.0f}) | {extra} |")
print("\n".join(out))
PY
)
}

# ------------------------------------------------------------ the bench --

# Round 0 is the warm-up: not reported, but a variant that fails there is
# dropped (with its reason) instead of failing again in every round.  It runs
# at a tenth of the counts: loading binaries and page cache and proving each
# tracer works does not need the full size, and the time budget is tight.
warm_up() {
	REP=0
	local wl v reason
	local -a keep=() full_counts=("$FORKS" "$EXECS" "$THREADS" "$SHELL_ITERS" "$POLLS")
	FORKS=$(((FORKS + 9) / 10)) EXECS=$(((EXECS + 9) / 10))
	THREADS=$(((THREADS + 9) / 10)) SHELL_ITERS=$(((SHELL_ITERS + 9) / 10)) POLLS=$(((POLLS + 9) / 10))
	for v in "${ACTIVE[@]}"; do
		for wl in "${WORKLOADS[@]}"; do
			workload_argv "$wl"
			log "warm-up: $v on $wl"
			run_variant "$v" "$wl"
			reason=$(tail -n1 "$RESULTS" | cut -f6,11)
			if [[ ${reason%%$'\t'*} != 0 ]]; then
				UNAVAILABLE[$v]="failed: ${reason#*$'\t'}"
				break
			fi
		done
		[[ -n ${UNAVAILABLE[$v]:-} ]] || keep+=("$v")
	done
	ACTIVE=("${keep[@]}")
	FORKS=${full_counts[0]} EXECS=${full_counts[1]}
	THREADS=${full_counts[2]} SHELL_ITERS=${full_counts[3]} POLLS=${full_counts[4]}
}

measure_overhead() {
	local wl v k
	local -a order
	for ((REP = 1; REP <= REPS; REP++)); do
		for k in "${!WORKLOADS[@]}"; do
			wl=${WORKLOADS[k]}
			workload_argv "$wl"
			# Seeded by round and workload: every cell of a round gets its own order.
			mapfile -t order < <(shuffled $((REP * 100 + k)) "${ACTIVE[@]}")
			log "round $REP/$REPS: $WL_LABEL (order: ${order[*]})"
			for v in "${order[@]}"; do run_variant "$v" "$wl"; done
		done
	done
}

# Start-up latency: a traced `true` minus a bare `true`, i.e. what one short
# command pays for attaching and detaching.
measure_startup() {
	local -a probes=(true)
	[[ -n $PROCLIFE_RUN && -z ${UNAVAILABLE[proclife]:-} ]] && probes+=(proclife)
	[[ -n $PROCLIFE_RELEASE_RUN && -z ${UNAVAILABLE[proclife]:-} ]] && probes+=(proclife-release)
	[[ " ${VARIANTS[*]} " == *" strace "* && -z ${UNAVAILABLE[strace]:-} ]] && probes+=(strace)
	[[ " ${VARIANTS[*]} " == *" bpftrace "* && -z ${UNAVAILABLE[bpftrace]:-} ]] && probes+=(bpftrace)
	local rep p rc
	for ((rep = 0; rep <= STARTUP_REPS; rep++)); do
		log "start-up latency $rep/$STARTUP_REPS"
		for p in $(shuffled "$rep" "${probes[@]}"); do
			sleep "$SETTLE_S"
			rc=0
			case $p in
			# /bin/true, not true: bpftrace -c refuses a name that matches both
			# /usr/bin/true and /bin/true (merged /usr), so all probes use the path.
			true) "$TIMED_RUN" -r "$WORK/res" -- /bin/true || rc=$? ;;
			proclife) "$TIMED_RUN" -r "$WORK/res" -- "$PROCLIFE_RUN" run -- /bin/true 2>/dev/null || rc=$? ;;
			proclife-release) "$TIMED_RUN" -r "$WORK/res" -- "$PROCLIFE_RELEASE_RUN" run -- /bin/true 2>/dev/null || rc=$? ;;
			strace) "$TIMED_RUN" -r "$WORK/res" -- strace -f /bin/true 2>/dev/null || rc=$? ;;
			bpftrace) "$TIMED_RUN" -r "$WORK/res" -- bpftrace \
				-e 'tracepoint:sched:sched_process_exit { }' -c /bin/true >/dev/null 2>&1 || rc=$? ;;
			esac
			# rep 0 is a warm-up, like the workload rounds.
			((rep == 0)) || record startup startup "$p" "$rep" "$(kv "$WORK/res" wall_ms)" "$rc" - - - - -
		done
	done
}

machine_description() {
	local mem cpu
	mem=$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
	cpu=$(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n1)
	echo "$(nproc) CPUs, $mem RAM, Linux $(uname -r) ($(uname -m)), CPU: ${cpu:-unknown}"
}

# Renders the Markdown tables from $RESULTS (columns: see record()).
# Everything is passed as arguments so no tool output is ever parsed as code.
render_table() {
	local unavailable_file=$WORK/unavailable.tsv v wl
	: >"$unavailable_file"
	for v in "${!UNAVAILABLE[@]}"; do printf '%s\t%s\n' "$v" "${UNAVAILABLE[$v]}" >>"$unavailable_file"; done
	local -a labels=()
	for wl in "${WORKLOADS[@]}"; do
		workload_argv "$wl"
		labels+=("$wl=$WL_LABEL")
	done
	python3 "$BENCH_SRC/bench_report.py" table "$RESULTS" "$unavailable_file" "${VARIANTS[*]}" "${labels[@]}"
}

# The userspace path alone (decode + model + JSON report) on one core, fed a
# recording of the fork storm re-encoded as the kernel's raw records.
measure_userspace() {
	local tool=$REPO_ROOT/build/proclife_userspace_bench recording=$WORK/fork_storm.ndjson
	USERSPACE_LINE="not measured (build/proclife_userspace_bench or proclife missing)"
	[[ -x $tool && -n $PROCLIFE_RUN ]] || return 0
	log "userspace micro-benchmark: recording a fork storm ($FORKS forks)"
	"$PROCLIFE_RUN" run --record "$recording" -o /dev/null -- "$BENCH_BIN/fork_storm" "$FORKS" 2>/dev/null ||
		{ USERSPACE_LINE="failed: could not record the fork storm"; return 0; }
	USERSPACE_LINE=$("$tool" "$recording" 5 2>&1) || USERSPACE_LINE="failed: $USERSPACE_LINE"
}

# Memory over one long trace: every process stays in the graph until the
# report, so `run`'s peak RSS grows with the processes it saw.
measure_long_trace() {
	LONG_TRACE_LINE=""
	[[ -n $PROCLIFE_RUN && $LONG_FORKS != 0 ]] || return 0
	local json=$WORK/long.json rc=0 counts
	log "one long trace: proclife run over $LONG_FORKS forks"
	"$TIMED_RUN" -s -r "$WORK/res" -- "$PROCLIFE_RUN" run --format json -o "$json" -- \
		"$BENCH_BIN/fork_storm" "$LONG_FORKS" >/dev/null 2>"$WORK/tracer.err" || rc=$?
	if ((rc != 0)); then
		LONG_TRACE_LINE="failed: $(note_if_failed "$rc" "$WORK/tracer.err")"
		return 0
	fi
	counts=$(proclife_counts "$json" "$WORK/tracer.err")
	LONG_TRACE_LINE=$(awk -v kb="$(kv "$WORK/res" self_hwm_kb)" -v ms="$(kv "$WORK/res" wall_ms)" \
		-v n="$LONG_FORKS" -v procs="${counts% *}" -v lost="${counts#* }" 'BEGIN {
		printf "`proclife run` over a %d-fork storm: %s processes in its report, %s lost events, peak RSS %.1f MiB (%.0f bytes a process, the fixed base included), %.0f s", n, procs, lost, kb / 1024, kb * 1024 / procs, ms / 1000 }')
	rm -f "$json"
}

render_report() {
	local mode=full cmd="scripts/bench.sh"
	((OPT_QUICK)) && mode=quick cmd="scripts/bench.sh --quick"
	cat <<EOF
### Tracing overhead

Generated $(date -u '+%Y-%m-%d %H:%M UTC') by \`$cmd\` ($mode mode: $REPS repetitions per cell after a warm-up round at 1/10 size, the order of variants, start-up probes and syscall-tax rows shuffled every round, with a ${SETTLE_S} s pause before each; load average before/after: $LOAD_BEFORE / $(cut -d' ' -f1-3 /proc/loadavg)).
Machine: $(machine_description); $(idle_mode_at_end). proclife: ${PROCLIFE_DESC:-not built}.
Regenerate with \`$cmd\` from the repository root, as root (it installs strace, bpftrace and libbpf-tools if missing; \`--no-readme\` prints only).

$(render_table)

${SYSCALL_TAX_TABLE:+Syscall tax on the rest of the host ([bench/syscall_tax.c](bench/syscall_tax.c), best of several batches per run):

$SYSCALL_TAX_TABLE

}${LONG_TRACE_LINE:+One long trace: ${LONG_TRACE_LINE}.

}Userspace micro-benchmark (\`build/proclife_userspace_bench\`, [bench/userspace_bench.cpp](bench/userspace_bench.cpp)): ${USERSPACE_LINE}.

Variants: **untraced** runs the workload alone; **proclife** is \`build/proclife run --format json -o FILE -- W\` (report to tmpfs); **proclife-stacks** is the same with \`--stacks\` (a stack copied and unwound at every wait call, fork and exit_group); **proclife-attached** is \`build/proclife attach -p GATE --format json -o FILE\` started before the timer, as the peers are, on a shell that then execs the timed workload; **monitor** is \`build/proclife monitor\` host-wide (NDJSON to a tmpfs file, metrics server on), started before the timer like the peers, with precise reaping (the cheapest exact reap source the kernel allows); **monitor-approx** is the same with \`--precise-reaping=off\` (no syscall hook); **strace** is \`strace -f -e trace=process,signal -o /dev/null W\`; **bpftrace** runs [bench/proclife_equiv.bt](bench/proclife_equiv.bt) system-wide (same tracepoints as proclife, one printf per event to a tmpfs file); **libbpf-tools** runs \`exitsnoop\` + \`execsnoop\` system-wide (line-buffered to tmpfs files). Wall time runs from fork to exit of the measured command ([bench/timed_run.c](bench/timed_run.c)). proclife and strace *are* the measured command, so their time includes their own start-up and teardown (see the start-up table); bpftrace and libbpf-tools are started before the timer, and the workload starts only once their probes are live (libbpf-tools print their header after attaching; bpftrace's last-attached probe has reported one of our forks). All processes run at nice -10 to damp interference from other work on the machine. Every command timed in the overhead and start-up tables runs with address-space randomization off (timed_run sets ADDR_NO_RANDOMIZE, which its descendants inherit), so all variants of a workload run in one memory layout: the layout alone moved the untraced fork storm's page faults between 17 and 20 per child from run to run, at tens of microseconds a fault here. Unless the machine line above says otherwise, idle CPUs are held in their polling state while the benchmark runs (it keeps \`/dev/cpu_dma_latency\` open at 0, as latency-tuned systems do; \`--allow-idle\` measures without): on an earlier 2-core development VM, waking a halted virtual CPU was so slow that, left to halt, the untraced fork storm took 2.47 s instead of 1.79 s (alternating runs of 20,000 forks), and a workload ran faster whenever a tracer's wakeups happened to keep the other CPU busy (libbpf-tools' exitsnoop+execsnoop measured 0.92x untraced on the fork storm). BPF programs run in the context of the traced tasks, so their cost shows in the workload's wall time, not in the tracer's CPU.

¹ proclife: length of \`processes\` and \`lost_events\` from its JSON report (descendants of the workload only). monitor: lifetime records written and the lost counts it logged (system-wide). bpftrace: lines printed by the script and its "Lost N events" total; libbpf-tools: lines printed by exitsnoop (process exits) + execsnoop (execs) and their "Lost N events" totals. Both are system-wide, so they include other processes on the machine during the run. strace stops the tracee for every event: nothing is lost and the output goes to /dev/null, so nothing is counted.
² Tracer's own CPU time (user+sys) and peak RSS, workload excluded. proclife and strace (the workload's parent): utime+stime of the tracer's threads read from /proc/PID/stat after it exits but before it is reaped (the workload's time, reaped into cutime/cstime, is not included), over its whole life including BPF load; peak RSS = VmHWM sampled every 10 ms. CPU times have the kernel's 10 ms (USER_HZ) granularity. bpftrace and libbpf-tools: CPU spent from just before the workload started until the tracer exited (attach/compile time excluded); peak RSS = lifetime VmHWM (summed for the two libbpf tools).
³ Each round runs every variant of a workload one after another (in an order shuffled every round, a ${SETTLE_S} s pause before each), untraced included; a round's ratio is the variant's time over that round's untraced time, so slow drift of the machine between rounds cancels. The median and the spread of those per-round ratios are shown: a difference between two variants smaller than their spread is not a finding.
EOF
}

# Replace only the text between the markers; the rest of README.md belongs
# to others.  Markers missing: append them (never rewrite the file).
write_readme() {
	local block=$1
	python3 "$BENCH_SRC/bench_report.py" readme "$README" "$MARK_START" "$MARK_END" "$block"
}

main() {
	parse_options "$@"
	((EUID == 0)) || die "must run as root (BPF and tracefs need it); try: sudo $0 $*"
	local started=$SECONDS

	ensure_packages
	mkdir -p "$BENCH_BIN"
	# Two benchmarks at once would measure each other and fight over the
	# sysctl they restore; the lock is released when this shell exits.
	exec 9>"$BENCH_BIN/.lock"
	flock -n 9 || die "another scripts/bench.sh is already running"
	trap cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	ensure_tracefs
	quiesce_bpf_stats
	build_workloads
	CLK_TCK=$(getconf CLK_TCK)
	WORK=$(mktemp -d /dev/shm/proclife-bench.XXXXXX 2>/dev/null || mktemp -d)
	RESULTS=$WORK/results.tsv
	: >"$RESULTS"

	declare -gA UNAVAILABLE=()
	ACTIVE=()
	PROCLIFE_RUN=
	PROCLIFE_RELEASE_RUN=
	local v
	local have_binary=0
	snapshot_proclife && have_binary=1
	snapshot_release
	for v in "${VARIANTS[@]}"; do
		if [[ $v == proclife* || $v == monitor* ]] && ((!have_binary)); then
			UNAVAILABLE[$v]="not built (${PROCLIFE#"$REPO_ROOT"/} missing)"
		else
			ACTIVE+=("$v")
		fi
	done

	LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
	warn_if_busy
	raise_priority
	hold_cpus_awake
	drop_caches
	warm_up
	measure_overhead
	measure_startup
	measure_userspace
	measure_syscall_tax
	measure_long_trace

	local report
	report=$(render_report)
	echo "$report"
	if ((OPT_README)); then
		write_readme "$report"
		log "table written to README.md between $MARK_START and $MARK_END"
	fi
	log "done in $((SECONDS - started)) s"
}

main "$@"
