#!/usr/bin/env bash
# Soak: `proclife monitor` host-wide while N short processes run (default
# 200000: fork and exit, one in ten exec /bin/true), sampling the monitor's
# RSS (VmRSS) every second. Prints a table of processes done and RSS, then the
# monitor's own counters. Root. Usage: scripts/soak.sh [N] [PROCLIFE_BINARY]
set -euo pipefail
N=${1:-200000}
HERE=$(cd "$(dirname "$0")/.." && pwd)
BIN=${2:-$HERE/build/proclife}
PORT=${SOAK_METRICS_PORT:-19464}
WORK=$(mktemp -d /tmp/proclife-soak.XXXXXX)
trap 'kill "$MON" 2>/dev/null || true; rm -rf "$WORK"' EXIT

cat > "$WORK/spawn.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
int main(int argc, char **argv) {
  long n = atol(argv[1]);
  for (long i = 1; i <= n; i++) {
    pid_t pid = fork();
    if (pid == 0) {
      if (i % 10 == 0) execl("/bin/true", "true", (char *)0);
      _exit(0);
    }
    waitpid(pid, 0, 0);
    if (i % 1000 == 0) { FILE *f = fopen(argv[2], "w"); fprintf(f, "%ld\n", i); fclose(f); }
  }
  return 0;
}
C
cc -O2 -o "$WORK/spawn" "$WORK/spawn.c"
echo 0 > "$WORK/done"

"$BIN" monitor --events /dev/null --metrics-address "127.0.0.1:$PORT" 2> "$WORK/monitor.log" &
MON=$!
sleep 2
rss() { awk '/^VmRSS/ {printf "%.1f", $2/1024}' "/proc/$MON/status"; }
echo "monitor pid $MON, $N processes"
printf '%8s %12s %9s\n' seconds processes rss_mib
printf '%8s %12s %9s\n' 0 0 "$(rss)"
START=$(date +%s)
"$WORK/spawn" "$N" "$WORK/done" &
GEN=$!
while kill -0 "$GEN" 2>/dev/null; do
  sleep 1
  printf '%8s %12s %9s\n' $(( $(date +%s) - START )) "$(cat "$WORK/done")" "$(rss)"
done
wait "$GEN"
sleep 4  # retention and the last compaction
printf '%8s %12s %9s   (after the retention window)\n' $(( $(date +%s) - START )) "$N" "$(rss)"

exec 3<>"/dev/tcp/127.0.0.1/$PORT"
printf 'GET /metrics HTTP/1.0\r\n\r\n' >&3
grep -E '^proclife_(forks_total|execs_total|lost_events_total|evictions_total|live_processes|decode_errors_total) ' <&3 || true
exec 3>&-
kill -TERM "$MON"
wait "$MON" && echo "monitor exited 0"
cat "$WORK/monitor.log"
