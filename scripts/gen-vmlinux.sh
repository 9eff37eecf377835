#!/usr/bin/env bash
# Regenerates vmlinux/vmlinux.h from a kernel's BTF. The BPF code compiles
# against the committed header, so building needs no BTF; CO-RE relocations
# adapt the object to the running kernel at load time.
#   scripts/gen-vmlinux.sh [BTF_FILE]   (default: this machine's /sys/kernel/btf/vmlinux)
set -euo pipefail

btf=${1:-/sys/kernel/btf/vmlinux}
root=$(cd "$(dirname "$0")/.." && pwd)
bpftool=$(command -v bpftool || echo /usr/sbin/bpftool)

[[ -r $btf ]] || { echo "gen-vmlinux: cannot read BTF file $btf" >&2; exit 1; }
"$bpftool" btf dump file "$btf" format c > "$root/vmlinux/vmlinux.h.new"
mv "$root/vmlinux/vmlinux.h.new" "$root/vmlinux/vmlinux.h"
echo "gen-vmlinux: wrote vmlinux/vmlinux.h from $btf ($(wc -l < "$root/vmlinux/vmlinux.h") lines)"
