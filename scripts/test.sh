#!/usr/bin/env bash
# Every test: installs what is missing, builds, then runs the unit tests, the
# kernel tests (root, the real probe), the fuzzer for a bounded time, and the
# kernel tests again inside QEMU on other kernels. Must run as root.
# Also builds the release (scripts/package.sh: the static binary, its checks and
# kernel tests, the Debian package) and installs, runs and removes the package.
#   scripts/test.sh [--no-vm] [--no-fuzz] [--no-package]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

run_vm=1
run_fuzz=1
run_package=1
for arg in "$@"; do
  case $arg in
    --no-vm) run_vm=0 ;;
    --no-fuzz) run_fuzz=0 ;;
    --no-package) run_package=0 ;;
    *) echo "test.sh: unknown option $arg (known: --no-vm --no-fuzz --no-package)" >&2; exit 2 ;;
  esac
done
if [[ $(id -u) -ne 0 ]]; then
  echo "test.sh: the kernel tests load BPF programs: run as root (sudo scripts/test.sh)" >&2
  exit 1
fi

"$root/scripts/build.sh"

echo "== unit and kernel tests (host kernel $(uname -r))"
# A kernel test that cannot run fails; nothing here is allowed to skip.
(cd "$root/build" && ctest --output-on-failure --no-tests=error -j1)

if [[ $run_package -eq 1 ]]; then
  echo "== the release: static binary, its checks and kernel tests, the Debian package"
  "$root/scripts/package.sh"
  echo "== the Debian package: apt install, proclife run, man, apt remove"
  "$root/tests/package_test.sh" "$root"/build-release/proclife_*.deb
fi

if [[ $run_fuzz -eq 1 && -x $root/scripts/fuzz.sh ]]; then
  echo "== fuzzing the recording reader"
  "$root/scripts/fuzz.sh" "${PROCLIFE_FUZZ_SECONDS:-60}"
fi

if [[ $run_vm -eq 1 && -x $root/scripts/vmtest.sh ]]; then
  echo "== kernel tests inside other kernels (QEMU)"
  "$root/scripts/vmtest.sh" --build-dir "$root/build"
  echo "== the kernel-VM harness catches an unguarded CO-RE read"
  "$root/scripts/vmtest-selfcheck.sh"
fi
echo "test.sh: all tests passed"
