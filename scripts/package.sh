#!/usr/bin/env bash
# The release: builds the self-contained binary (libbpf, libelf, zlib, libstdc++
# linked in; only glibc dynamic) and the Debian package, into build-release/:
#   build-release/proclife                      the binary
#   build-release/proclife_<version>_amd64.deb  /usr/bin/proclife, man page, completions
# then checks the binary: what it links (tests/static_check.sh), the man page and
# completions against --help, and the kernel tests on this very binary (root).
#   scripts/package.sh [--no-tests]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=$root/build-release
run_tests=1
for arg in "$@"; do
  case $arg in
    --no-tests) run_tests=0 ;;
    *) echo "package.sh: unknown option $arg (known: --no-tests)" >&2; exit 2 ;;
  esac
done

"$root/scripts/install-deps.sh"
cmake -S "$root" -B "$out" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPROCLIFE_STATIC=ON >/dev/null
cmake --build "$out" -j"$(nproc)"
if [[ $run_tests -eq 1 ]]; then
  echo "== release binary: linkage, docs, kernel tests"
  (cd "$out" && ctest --output-on-failure --no-tests=error -j1 -L 'static|docs|kernel')
fi
rm -f "$out"/proclife_*.deb
(cd "$out" && cpack -G DEB >/dev/null)
deb=$(ls "$out"/proclife_*.deb)
echo "package.sh: $out/proclife ($(du -h "$out/proclife" | cut -f1), stripped in the package)"
echo "package.sh: $deb ($(du -h "$deb" | cut -f1)); Depends: $(dpkg-deb --field "$deb" Depends)"
