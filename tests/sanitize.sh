#!/usr/bin/env bash
# The whole test suite under AddressSanitizer + UndefinedBehaviorSanitizer
# (clang; jemalloc off), then each libFuzzer target of tests/fuzz/ for a
# bounded time (tests/fuzz/run.sh). Build tree: build-asan/ (override with
# HIRS_ASAN_BUILD_DIR). Any sanitizer report fails the run.
#   tests/sanitize.sh [FUZZ_SECONDS_PER_TARGET]   (default 60)
set -euo pipefail
cd "$(dirname "$0")/.."
deploy/install-deps.sh --tests --sanitize
BUILD=${HIRS_ASAN_BUILD_DIR:-build-asan}
CC=clang CXX=clang++ cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=ON \
  -DHIRS_SANITIZE=ON >/dev/null
cmake --build "$BUILD" -j2
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp
(cd "$BUILD" && ctest -j2 --output-on-failure --timeout 900)
tests/fuzz/run.sh "$BUILD" "${1:-60}"
