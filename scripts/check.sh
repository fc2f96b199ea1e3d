#!/usr/bin/env bash
# `make check`: every test suite, each as a stage; stops at the first failing stage.
#   lint       banned functions
#   unit       cmocka suites (ctest) on the release build
#   sanitize   the same suites under AddressSanitizer + UndefinedBehaviorSanitizer
#   postgres   the store suites on a private PostgreSQL server
#   fuzz       each libFuzzer target for FUZZ_SECONDS (default 10) from its seed corpus
#   e2e        anvil + real PoCo contracts + real iExec SDK against build/iexec-sms
# Env: SKIP_STAGES="fuzz sanitize" to skip stages locally; FUZZ_SECONDS.
set -uo pipefail
cd "$(dirname "$0")/.."
JOBS=$(nproc)
passed=0
failed=0
skip=" ${SKIP_STAGES:-} "

stage() {
  local name=$1; shift
  if [[ "$skip" == *" $name "* ]]; then echo "== $name: skipped"; return 0; fi
  echo "== $name"
  local t0=$SECONDS
  if "$@"; then
    passed=$((passed + 1)); echo "== $name: ok ($((SECONDS - t0)) s)"
  else
    failed=$((failed + 1)); echo "== $name: FAILED ($((SECONDS - t0)) s)"
    echo "check: $passed passed, $failed failed"
    exit 1
  fi
}

unit() { (cd build && ctest --output-on-failure -j "$JOBS"); }

sanitize() {
  cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DSMS_SANITIZE=ON >/dev/null &&
  cmake --build build-asan -j "$JOBS" >/dev/null &&
  (cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
     ctest --output-on-failure -j "$JOBS")
}

fuzz() {
  # Only the fuzz targets: the library is instrumented for libFuzzer in this tree.
  local targets=()
  for src in tests/fuzz/fuzz_*.c; do targets+=(--target "$(basename "$src" .c)"); done
  cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DSMS_FUZZ=ON -DCMAKE_C_COMPILER=clang >/dev/null &&
  cmake --build build-fuzz -j "$JOBS" "${targets[@]}" >/dev/null || return 1
  local secs=${FUZZ_SECONDS:-10}
  for target in build-fuzz/fuzz_*; do
    [ -x "$target" ] || continue
    local name; name=$(basename "$target")
    local corpus=tests/fuzz/corpus/${name#fuzz_}
    local work; work=$(mktemp -d)
    [ -d "$corpus" ] && cp -r "$corpus"/. "$work"/ 2>/dev/null
    echo "-- $name (${secs} s)"
    if ! UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 "$target" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=0 \
         -artifact_prefix="$work/" "$work" >"$work.log" 2>&1; then
      tail -40 "$work.log"; echo "$name found a failure; artifacts in $work"; return 1
    fi
    grep -E "^#[0-9]+.*DONE" "$work.log" | tail -1
    rm -rf "$work" "$work.log"
  done
}

# The store suites again on a private PostgreSQL (Debian's package), release and sanitizer builds.
postgres() {
  scripts/pg-test.sh run -- sh -c 'build/test_store && build/test_store_pg' || return 1
  [ -x build-asan/test_store_pg ] || return 0
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    scripts/pg-test.sh run -- sh -c 'build-asan/test_store && build-asan/test_store_pg'
}

e2e() { tests/e2e/run.sh; }

stage lint scripts/check-banned.sh
stage unit unit
stage sanitize sanitize
stage postgres postgres
stage fuzz fuzz
stage e2e e2e
echo "check: $passed passed, $failed failed"
