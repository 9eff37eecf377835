#!/usr/bin/env bash
# The release binary runs on glibc 2.31: inside a Debian 11 (bullseye) root made
# by debootstrap, it prints its version, traces `/bin/true` with the real probe,
# rejects a bad option through a C++ exception, and the compatibility layer's own
# test passes there. Root only (chroot, mounts, BPF).
#   tests/bullseye_test.sh PROCLIFE_BINARY [GLIBC_COMPAT_TEST_BINARY]
# The root is made once and kept in /var/cache/proclife-bullseye
# (PROCLIFE_BULLSEYE_ROOT; mirror: PROCLIFE_DEBIAN_MIRROR). The mounts are made in
# a private mount namespace (unshare), so they are never seen outside this test
# and vanish with it, and are unmounted by a trap anyway; the binaries are copied
# into a per-run directory of the root, removed on exit.
set -euo pipefail
trap 'echo "bullseye_test: failed at line $LINENO: $BASH_COMMAND" >&2' ERR
[[ $(id -u) -eq 0 ]] || { echo "bullseye_test: run as root (debootstrap, chroot, BPF)" >&2; exit 1; }
binary=$(realpath "$1")
selftest=${2:+$(realpath "$2")}
cache=${PROCLIFE_BULLSEYE_ROOT:-/var/cache/proclife-bullseye}
mirror=${PROCLIFE_DEBIAN_MIRROR:-http://deb.debian.org/debian}
expected_glibc=2.31

# The root, made once (under a lock: several builds may run this at once).
mkdir -p "$(dirname "$cache")"
exec 9>"$cache.lock"
flock 9
if [[ ! -x $cache/usr/bin/ldd ]]; then
  command -v debootstrap >/dev/null || { echo "bullseye_test: debootstrap is missing (scripts/install-deps.sh)" >&2; exit 1; }
  echo "== debootstrap --variant=minbase bullseye $cache ($mirror; once, a few minutes)"
  rm -rf "$cache.new"
  if ! debootstrap --variant=minbase bullseye "$cache.new" "$mirror" >"$cache.log" 2>&1; then
    echo "FAIL: debootstrap of bullseye from $mirror failed (log: $cache.log; try" \
         "PROCLIFE_DEBIAN_MIRROR=http://archive.debian.org/debian):"; tail -5 "$cache.log"
    rm -rf "$cache.new"
    exit 1
  fi
  rm -rf "$cache"
  mv "$cache.new" "$cache"
fi
flock -u 9

run=$(mktemp -d "$cache/tmp/proclife-test.XXXXXX")
trap 'rm -rf "$run"' EXIT
cp "$binary" "$run/proclife"
[[ -n $selftest ]] && cp "$selftest" "$run/glibc_compat_test"
inside=/tmp/$(basename "$run")

# The rest in a private mount namespace: /proc and /sys (with /sys/kernel/btf,
# the BPF and cgroup file systems under it) mounted into the root for the probe.
unshare --mount --propagation private -- bash -s "$cache" "$inside" "$expected_glibc" <<'EOF'
set -euo pipefail
trap 'echo "bullseye_test (mount namespace): failed at line $LINENO: $BASH_COMMAND" >&2' ERR
root=$1 inside=$2 expected_glibc=$3
unmount() { umount -R "$root/sys" 2>/dev/null || true; umount "$root/proc" 2>/dev/null || true; }
trap unmount EXIT
mount -t proc proc "$root/proc"
mount --rbind /sys "$root/sys"
in_root() { chroot "$root" "$@"; }
failed=0
fail() { echo "FAIL: $*"; failed=1; }

glibc=$(in_root ldd --version)  # whole: `| head -1` could SIGPIPE ldd (pipefail)
glibc=${glibc%%$'\n'*}
echo "== the root's glibc: $glibc"
[[ $glibc =~ \ $expected_glibc$ ]] || fail "the root's glibc is not $expected_glibc"
echo "== ldd proclife (in the root)"
libs=$(in_root ldd "$inside/proclife") || fail "ldd proclife exited $?"
echo "$libs"
if grep -q 'not found' <<<"$libs"; then fail "a library is missing"; fi

echo "== proclife --version"
in_root "$inside/proclife" --version || fail "proclife --version exited $?"
echo "== proclife run -- /bin/true"
status=0
in_root "$inside/proclife" run -- /bin/true 2>"$root$inside/run.txt" || status=$?
cat "$root$inside/run.txt"
[[ $status -eq 0 ]] || fail "proclife run -- /bin/true exited $status"
grep -q true "$root$inside/run.txt" || fail "the report of proclife run does not name /bin/true"
echo "== proclife run --format nosuchformat (CLI11 throws, main catches: the unwinder works)"
status=0
in_root "$inside/proclife" run --format nosuchformat -- /bin/true >/dev/null 2>"$root$inside/bad.txt" || status=$?
cat "$root$inside/bad.txt"
[[ $status -ne 0 && $status -lt 128 ]] || fail "a bad option exited $status (expected a usage error, not a crash)"
grep -q nosuchformat "$root$inside/bad.txt" || fail "the usage error does not name the option"
if [[ -x $root$inside/glibc_compat_test ]]; then
  echo "== glibc_compat_test (in the root)"
  in_root "$inside/glibc_compat_test" || fail "glibc_compat_test failed on glibc $expected_glibc"
fi
[[ $failed -eq 0 ]] && echo "bullseye_test: the release binary works on glibc $expected_glibc"
exit $failed
EOF
