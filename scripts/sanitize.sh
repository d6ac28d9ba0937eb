#!/usr/bin/env bash
# Builds the CPU test suite with clang, AddressSanitizer and
# UndefinedBehaviorSanitizer in ./build-san (scripts/san-configure.sh; the
# fuzz targets of scripts/fuzz.sh share this build) and runs it under ctest
# with LeakSanitizer on: any memory error, undefined behaviour or leak fails.
#
#   usage: scripts/sanitize.sh [CTEST ARGS...]    e.g. -R kiln_api_tests
#
# The ONNX conformance suite runs here too (its per-test child processes are
# sanitized the same way), with a longer timeout than in ./build.
set -euo pipefail
source "$(dirname "$0")/san-configure.sh"
start=$(date +%s)
san_configure
cmake --build "$bdir" -j "$jobs"
echo "sanitize: built in $(($(date +%s) - start)) s"
t0=$(date +%s)
(cd "$bdir" && ctest --output-on-failure -j "$jobs" --timeout 1800 "$@")
echo "sanitize: tests ran in $(($(date +%s) - t0)) s; total $(($(date +%s) - start)) s"
