#!/usr/bin/env bash
# Installs what is missing, builds Postern and runs every test: unit tests, fuzz smoke runs
# and the end-to-end suite against the real daemon. Exit code 0 only if all pass.
# Options: --sanitize  build in build-asan with AddressSanitizer + UndefinedBehaviorSanitizer
set -euo pipefail
cd "$(dirname "$0")/.."

build=build
cmake_args=()
if [ "${1:-}" = "--sanitize" ]; then
  build=build-asan
  cmake_args=(-DPOSTERN_SANITIZE=ON)
fi

scripts/install-deps.sh
scripts/build.sh "$build" "${cmake_args[@]}"

echo "== unit and fuzz tests"
ctest --test-dir "$build" --output-on-failure -j2

echo "== end-to-end tests"
POSTERN_BUILD="$PWD/$build" /usr/bin/python3 -m pytest -q tests/e2e
