#!/usr/bin/env bash
# Bootstrap, build and run every test: the normal build, the same tests under ASan+UBSan, then a
# short run of every libFuzzer target over its seed corpus. Exits non-zero on the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
jobs=${JOBS:-$(nproc)}
fuzz_seconds=${FUZZ_SECONDS:-20}

./scripts/bootstrap.sh

section() { printf '\n==== %s ====\n' "$*"; }
start=$(date +%s)

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

section "done in $(( $(date +%s) - start )) s"
