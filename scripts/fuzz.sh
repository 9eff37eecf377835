#!/usr/bin/env bash
# Fuzz the recording reader and every output format with libFuzzer for a
# bounded time.
#
#   scripts/fuzz.sh [SECONDS]          (default 60) both targets, SECONDS in all:
#                                      half each to fuzz_recording (the reader and
#                                      its round trip) and fuzz_replay (replay +
#                                      every format in render/formats.cpp, with
#                                      bounds on output size and time)
#   FUZZ_TARGET=fuzz_replay scripts/fuzz.sh 300   one target for all of SECONDS
#
# Builds build-fuzz/ with clang (ASan, UBSan, libFuzzer), runs the target on a
# copy of tests/fuzz/corpus/ and exits non-zero on a finding (crash, sanitizer
# report, an exception other than RecordingError, a hang over 10 s per input).
# The input that caused it is left in build-fuzz/fuzz-artifacts/; replay it
# with: build-fuzz/tests/fuzz/<target> FILE
set -euo pipefail

seconds=${1:-60}
targets=(${FUZZ_TARGET:-fuzz_recording fuzz_replay})
root=$(cd "$(dirname "$0")/.." && pwd)
build=${FUZZ_BUILD_DIR:-$root/build-fuzz}
clang_version=14

if ! [[ $seconds =~ ^[1-9][0-9]*$ ]] || ((seconds < ${#targets[@]})); then
  echo "usage: $0 [SECONDS]" >&2
  exit 2
fi

# libFuzzer's runtime: Debian ships it apart from clang (libclang-rt-N-dev).
have_libfuzzer() {
  local probe
  probe=$(mktemp -d)
  echo 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }' >"$probe/t.cpp"
  clang++ -fsanitize=fuzzer,address,undefined "$probe/t.cpp" -o "$probe/t" >/dev/null 2>&1
  local status=$?
  rm -rf "$probe"
  return $status
}
if ! command -v clang++ >/dev/null || ! have_libfuzzer; then
  echo "fuzz.sh: installing clang and libFuzzer (clang-$clang_version, libclang-rt-$clang_version-dev)" >&2
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo=sudo
  $sudo apt-get update -q
  $sudo apt-get install -y -q "clang-$clang_version" "libclang-rt-$clang_version-dev"
  have_libfuzzer || { echo "fuzz.sh: clang++ still cannot link -fsanitize=fuzzer" >&2; exit 1; }
fi

cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_C_COMPILER=clang \
  -DPROCLIFE_FUZZ=ON -DPROCLIFE_TESTS=OFF >/dev/null
cmake --build "$build" --target "${targets[@]}" -j"$(nproc)"

work=$(mktemp -d "${TMPDIR:-/tmp}/proclife-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$build/fuzz-artifacts"

left=$seconds
for i in "${!targets[@]}"; do
  target=${targets[$i]}
  share=$((left / (${#targets[@]} - i)))  # the time budget, split evenly
  left=$((left - share))
  rm -rf "$work/corpus" && mkdir "$work/corpus"
  cp "$root"/tests/fuzz/corpus/* "$work/corpus"/
  echo "fuzz.sh: $target for ${share}s on a copy of tests/fuzz/corpus ($work/corpus)" >&2
  status=0
  "$build/tests/fuzz/$target" "$work/corpus" \
    -dict="$root/tests/fuzz/recording.dict" \
    -max_total_time="$share" -timeout=10 -rss_limit_mb=2048 -max_len=16384 \
    -print_final_stats=1 -artifact_prefix="$build/fuzz-artifacts/" || status=$?
  if [[ $status -ne 0 ]]; then
    echo "fuzz.sh: FINDING in $target (exit status $status); inputs in $build/fuzz-artifacts/" >&2
    echo "fuzz.sh: replay it with: $build/tests/fuzz/$target FILE" >&2
    exit "$status"
  fi
done
echo "fuzz.sh: no finding in ${seconds}s (${targets[*]})" >&2
