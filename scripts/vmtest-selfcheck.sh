#!/usr/bin/env bash
# Proves that scripts/vmtest.sh catches a CO-RE mistake: builds a probe that
# reads task_struct::mm_cid (6.4+) without a guard, and expects the 6.1 kernel
# to refuse it, with the kernel and the program named, while 6.12 loads it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
broken="$root/build-broken"

cmake -S "$root" -B "$broken" -DPROCLIFE_BROKEN_PROBE=ON -DPROCLIFE_TESTS=OFF >/dev/null
cmake --build "$broken" -j"$(nproc)" --target proclife >/dev/null

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
PROCLIFE_VMTEST_CMD="$broken/proclife run -- true" \
  "$root/scripts/vmtest.sh" --build-dir "$root/build" --results-dir "$broken/vmtest-results" >"$log" 2>&1 || status=$?

expect() {
  if ! grep -Eq "$1" "$log"; then
    cat "$log"
    echo "vmtest-selfcheck: FAIL: expected a line matching: $1" >&2
    exit 1
  fi
}
[[ $status -ne 0 ]] || { cat "$log"; echo "vmtest-selfcheck: FAIL: vmtest passed a broken probe" >&2; exit 1; }
expect "program handle_sched_process_exit\) on kernel 6\.1\."
expect "vmtest: 6\.1\.[^ ]*: FAIL"
expect "vmtest: 6\.12\.[^ ]*: PASS"
grep -E "proclife: the kernel refused|vmtest: 6\.[0-9]+\.[^ ]*: (PASS|FAIL)" "$log" | sort -u
echo "vmtest-selfcheck: PASS (the unguarded read failed on 6.1 only, named with its program)"
