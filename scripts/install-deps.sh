#!/usr/bin/env bash
# Installs the Debian packages proclife needs to build, test and demo.
# Idempotent and quick when everything is there: apt runs only for what is missing.
set -euo pipefail

packages=(
  # build
  cmake make g++ pkg-config clang llvm bpftool libbpf-dev libelf-dev libdw-dev zlib1g-dev
  libcli11-dev nlohmann-json3-dev libfmt-dev libboost-dev
  # tests and demo
  catch2 python3 graphviz
  # CPython 3.11 internal headers: the layouts the probe walks and the resolver reads are checked against them
  python3.11-dev
  # promtool checks the metrics page and the alerting rules; systemd-analyze the unit
  prometheus systemd
  # release: the static decompressors libdw.a reads debug sections with
  libbz2-dev liblzma-dev
  # release: the Debian package (dpkg-shlibdeps), `man proclife`, the zsh completion check
  dpkg-dev man-db zsh
  # the release binary's test on Debian 11's glibc 2.31 (tests/bullseye_test.sh)
  debootstrap
)

missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -ne 0 ]]; then
  echo "install-deps: missing packages: ${missing[*]}; run as root (sudo) to install them" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
