#!/usr/bin/env bash
# Installs the Debian package into this machine with apt, uses it (proclife run,
# man, completions), removes it, and checks that nothing is left. Root only.
#   tests/package_test.sh build-release/proclife_*.deb
set -euo pipefail
deb=$(realpath "$1")
[[ $(id -u) -eq 0 ]] || { echo "package_test: run as root (it installs the package)" >&2; exit 1; }
if dpkg-query -W -f='${Status}' proclife 2>/dev/null | grep -q 'ok installed'; then
  echo "package_test: proclife is already installed here; remove it first (apt remove proclife)" >&2
  exit 1
fi
if [[ -e /usr/bin/proclife ]]; then
  echo "package_test: /usr/bin/proclife exists and belongs to no package; not overwriting it" >&2
  exit 1
fi
apt_get() { DEBIAN_FRONTEND=noninteractive apt-get -y -q -o DPkg::Lock::Timeout=300 "$@"; }
installed=0
cleanup() { [[ $installed -eq 1 ]] && apt_get remove proclife >/dev/null 2>&1 || true; }
trap cleanup EXIT

echo "== package: $(basename "$deb")"
dpkg-deb --field "$deb" Package Version Architecture Depends Installed-Size
echo "== apt install ./$(basename "$deb")"
apt_get install "$deb" >/dev/null
installed=1
files=$(dpkg -L proclife)
for path in /usr/bin/proclife /usr/share/man/man1/proclife.1.gz \
            /usr/share/bash-completion/completions/proclife /usr/share/zsh/vendor-completions/_proclife; do
  grep -qx "$path" <<<"$files" || { echo "FAIL: the package has no $path"; exit 1; }
done
[[ $(command -v proclife) == /usr/bin/proclife ]] || { echo "FAIL: proclife is not /usr/bin/proclife on PATH"; exit 1; }
proclife --version
echo "== proclife run -- true"
proclife run -- true
echo "== proclife run --fail-on leaked --kill-leaked on a leaking CMD (the gate fails: exit 86)"
status=0
proclife run --fail-on leaked --kill-leaked --format json -o /dev/null -- sh -c 'sleep 30 & exit 0' 2>/dev/null || status=$?
[[ $status -eq 86 ]] || { echo "FAIL: the gate exited $status, not 86"; exit 1; }
echo "== man proclife"
man -w proclife
page=$(MANPAGER=cat MANWIDTH=80 man proclife 2>&1)
grep -q 'EXIT STATUS' <<<"$page" || { echo "FAIL: man proclife shows no EXIT STATUS section:"; head <<<"$page"; exit 1; }
bash -c 'source /usr/share/bash-completion/completions/proclife && complete -p proclife' >/dev/null ||
  { echo "FAIL: the bash completion does not load"; exit 1; }

echo "== apt remove proclife"
apt_get remove proclife >/dev/null
installed=0
if dpkg-query -W -f='${Status}' proclife 2>/dev/null | grep -qv 'not-installed'; then
  echo "FAIL: after apt remove, dpkg still knows proclife: $(dpkg-query -W -f='${Status}' proclife)"; exit 1
fi
left=0
while read -r path; do
  [[ -f $path || -L $path ]] && { echo "FAIL: left behind: $path"; left=1; }
done <<<"$files"
[[ $left -eq 0 ]] || exit 1
echo "package_test: installed, ran, removed; nothing left behind"
