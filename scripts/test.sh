#!/usr/bin/env bash
# Bootstrap, build and run every test: the normal build, the same tests under ASan+UBSan, a short
# run of every libFuzzer target over its seed corpus, the qemu-arm64 and qemu-armhf boards' builds
# and tests under qemu-user, and scripts/flash.sh against an ssh "board" in a network namespace.
# Exits non-zero on the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
jobs=${JOBS:-$(nproc)}
fuzz_seconds=${FUZZ_SECONDS:-20}

./scripts/bootstrap.sh

section() { printf '\n==== %s ====\n' "$*"; }
start=$(date +%s)

# Fresh CMake caches: pkg-config results are cached, and bootstrap may just have rebuilt wolfSSL or
# libsrtp2 with other options (objects whose flags did not change are not rebuilt).
rm -f build/CMakeCache.txt build-asan/CMakeCache.txt build-fuzz/CMakeCache.txt

section "build (Release, as shipped)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$jobs"
section "tests"
(cd build && ctest -j"$jobs" --output-on-failure)

section "build (ASan+UBSan)"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DVMPORT_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$jobs"
section "tests under ASan+UBSan"
(cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest -j"$jobs" --output-on-failure)

section "fuzz (${fuzz_seconds} s per target)"
CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVMPORT_FUZZ=ON -DVMPORT_TESTS=OFF >/dev/null
cmake --build build-fuzz -j"$jobs"
fuzz_pass=0
fuzz_fail=0
for target in "$root"/build-fuzz/bin/fuzz_*; do
  [ -x "$target" ] || continue
  name=$(basename "$target")
  seeds="$root/tests/fuzz/corpus/$name"
  work=$(mktemp -d)
  [ -d "$seeds" ] && cp -r "$seeds"/. "$work"/
  if (cd "$work" && "$target" -max_total_time="$fuzz_seconds" -print_final_stats=0 "$work" >"$work.log" 2>&1); then
    echo "fuzz $name: $(grep -E '^#[0-9]+.*DONE' "$work.log" | tail -n 1 || echo ok)"
    fuzz_pass=$((fuzz_pass + 1))
  else
    echo "fuzz $name: FAILED"; tail -n 40 "$work.log"
    fuzz_fail=$((fuzz_fail + 1))
  fi
  rm -rf "$work" "$work.log"
done
echo "fuzz: $fuzz_pass passed, $fuzz_fail failed"
[ "$fuzz_fail" -eq 0 ] && [ "$fuzz_pass" -gt 0 ]

# The ARM boards CI can run: each board's own build (scripts/cross-build.sh) with its unit tests
# and the 2-port encrypted call under qemu-user (scripts/cross-test.sh). VMPORT_SKIP_CROSS=1 skips
# them on a developer's machine; CI never sets it.
if [ -z "${VMPORT_SKIP_CROSS:-}" ]; then
  for board in qemu-arm64 qemu-armhf; do
    section "board $board under qemu-user"
    t0=$(date +%s)
    ./scripts/cross-test.sh "$board"
    echo "board $board: $(( $(date +%s) - t0 )) s"
  done
  section "flash a board over ssh (tests/flash, network namespaces)"
  ./tests/flash/test_flash.sh
fi

section "done in $(( $(date +%s) - start )) s"
