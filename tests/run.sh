#!/usr/bin/env bash
# Installs what is missing, builds everything with the tests, and runs the
# whole suite with ctest. Build tree: build/ (override with HIRS_BUILD_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
deploy/install-deps.sh --tests
BUILD=${HIRS_BUILD_DIR:-build}
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=ON >/dev/null
cmake --build "$BUILD" -j2
cd "$BUILD"
ctest -j2 --output-on-failure --timeout 600
