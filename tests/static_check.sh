#!/usr/bin/env bash
# The release binary needs nothing but glibc (libc, libm, libpthread, libdl, the loader),
# and no newer glibc symbol version than the README states.
#   tests/static_check.sh PROCLIFE_BINARY README.md
set -euo pipefail
binary=$1
readme=$2
failed=0

needed=$(readelf -d "$binary" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sort)
echo "NEEDED: $(echo $needed)"
for lib in $needed; do
  case $lib in
    libc.so.6 | libm.so.6 | libpthread.so.0 | libdl.so.2 | ld-linux-x86-64.so.2) ;;
    *) echo "FAIL: $binary needs $lib (only libc, libm, libpthread, libdl and the loader may stay dynamic)"; failed=1 ;;
  esac
done
if ldd "$binary" | grep -vE 'linux-vdso|libc\.so\.6|libm\.so\.6|libpthread\.so\.0|libdl\.so\.2|ld-linux-x86-64' | grep -q .; then
  echo "FAIL: ldd lists more than glibc:"; ldd "$binary"; failed=1
fi

newest=$(objdump -T "$binary" | grep -oE 'GLIBC_2\.[0-9]+' | sort -uV | tail -1)
echo "newest glibc symbol version: $newest ($(objdump -T "$binary" | grep -F "($newest)" | awk '{print $NF}' | sort -u | tr '\n' ' '))"
stated=$(grep -oE 'GLIBC_2\.[0-9]+' "$readme" | sort -u)
if [[ $stated != "$newest" ]]; then
  echo "FAIL: the README states ${stated:-no GLIBC_2.x version}; the binary needs $newest: update README.md"
  failed=1
fi
[[ $failed -eq 0 ]] && echo "static_check: only glibc is dynamic, up to $newest"
exit $failed
