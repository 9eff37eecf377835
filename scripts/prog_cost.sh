#!/usr/bin/env bash
# What each of proclife's eBPF programs costs per run, as the kernel times it
# (kernel.bpf_stats_enabled=1, read back with bpftool): proclife run over a
# fork storm and an exec loop, sampled while the programs are still attached.
#
# Usage: sudo scripts/prog_cost.sh [--build-dir DIR] [--forks N] [--execs N]
set -euo pipefail

BUILD_DIR=build
FORKS=3000
EXECS=200
while [[ $# -gt 0 ]]; do
	case $1 in
		--build-dir | --forks | --execs)
			[[ $# -ge 2 ]] || { echo "prog_cost.sh: $1 needs a value" >&2; exit 2; } ;;&
		--build-dir) BUILD_DIR=$2; shift ;;
		--forks | --execs)
			[[ $2 =~ ^[1-9][0-9]*$ ]] || { echo "prog_cost.sh: $1 takes a positive count, not '$2'" >&2; exit 2; }
			if [[ $1 == --forks ]]; then FORKS=$2; else EXECS=$2; fi
			shift ;;
		-h | --help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
		*) echo "prog_cost.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
	esac
	shift
done

die() { echo "prog_cost.sh: $*" >&2; exit 1; }
[[ $EUID -eq 0 ]] || die "needs root (bpf_stats and the probe)"
command -v bpftool >/dev/null || die "bpftool is missing (scripts/install-deps.sh installs it)"
PROCLIFE=$BUILD_DIR/proclife
FORK_STORM=$BUILD_DIR/bench/fork_storm
[[ -x $PROCLIFE && -x $FORK_STORM ]] || die "build first: $PROCLIFE and $FORK_STORM"

WORK=$(mktemp -d)
STATS_BEFORE=$(sysctl -n kernel.bpf_stats_enabled)
cleanup() {
	sysctl -q -w kernel.bpf_stats_enabled="$STATS_BEFORE"
	rm -rf "$WORK"
}
trap cleanup EXIT
sysctl -q -w kernel.bpf_stats_enabled=1

# The workload says when it is done, then waits until it is told to end, so
# the counters are read while proclife's programs are attached.
# shellcheck disable=SC2016 # the inner sh expands its own arguments
"$PROCLIFE" run -o /dev/null -- sh -c '
	"$1" "$2" >/dev/null
	i=0; while [ "$i" -lt "$3" ]; do /bin/true; i=$((i + 1)); done
	touch "$4/done"
	while [ ! -e "$4/end" ]; do sleep 0.1; done' \
	workload "$FORK_STORM" "$FORKS" "$EXECS" "$WORK" &
RUN=$!
while [[ ! -e $WORK/done ]]; do
	kill -0 "$RUN" 2>/dev/null || die "proclife run ended early"
	sleep 0.1
done

# Only this run's programs (CI or another tracer may have their own loaded):
# the ones proclife's link descriptors point at.
OURS=$(grep -h '^prog_id:' /proc/"$RUN"/fdinfo/* 2>/dev/null | awk '{print $2}' | sort -u | tr '\n' ' ')
[[ -n $OURS ]] || die "no eBPF links found in proclife's descriptors (pid $RUN)"
echo "| program | runs | ns per run (mean) |"
echo "|---|---:|---:|"
bpftool prog show | awk -v ours=" $OURS" '
	/^[0-9]+: / { id = $1; sub(":", "", id)
		name = ""; time = ""; runs = ""
		for (i = 1; i <= NF; i++) {
			if ($i == "name") name = $(i + 1)
			if ($i == "run_time_ns") time = $(i + 1)
			if ($i == "run_cnt") runs = $(i + 1)
		}
		if (index(ours, " " id " ") && runs > 0) printf "| %s | %d | %.0f |\n", name, runs, time / runs }'
touch "$WORK/end"
wait "$RUN"
