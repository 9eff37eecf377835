#!/usr/bin/env bash
# Fuzz the recording reader with libFuzzer for a bounded time.
#
#   scripts/fuzz.sh [SECONDS]          (default 60)
#   FUZZ_TARGET=fuzz_replay scripts/fuzz.sh 300   reader + graph + every report
#
# Builds build-fuzz/ with clang (ASan, UBSan, libFuzzer), runs the target on a
# copy of tests/fuzz/corpus/ and exits non-zero on a finding (crash, sanitizer
# report, an exception other than RecordingError, a hang over 10 s per input).
# The input that caused it is left in build-fuzz/fuzz-artifacts/; replay it
# with: build-fuzz/tests/fuzz/fuzz_recording FILE
set -euo pipefail

seconds=${1:-60}
target=${FUZZ_TARGET:-fuzz_recording}
root=$(cd "$(dirname "$0")/.." && pwd)
build=${FUZZ_BUILD_DIR:-$root/build-fuzz}
clang_version=14

if ! [[ $seconds =~ ^[1-9][0-9]*$ ]]; then
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
cmake --build "$build" --target "$target" -j"$(nproc)"

work=$(mktemp -d "${TMPDIR:-/tmp}/proclife-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp "$root"/tests/fuzz/corpus/* "$work"/
mkdir -p "$build/fuzz-artifacts"

echo "fuzz.sh: $target for ${seconds}s on a copy of tests/fuzz/corpus ($work)" >&2
status=0
"$build/tests/fuzz/$target" "$work" \
  -dict="$root/tests/fuzz/recording.dict" \
  -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=16384 \
  -print_final_stats=1 -artifact_prefix="$build/fuzz-artifacts/" || status=$?

if [[ $status -ne 0 ]]; then
  echo "fuzz.sh: FINDING (exit status $status); inputs in $build/fuzz-artifacts/" >&2
  exit "$status"
fi
echo "fuzz.sh: no finding in ${seconds}s" >&2
