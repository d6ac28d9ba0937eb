#!/usr/bin/env bash
# Builds the CPU test suite with clang, AddressSanitizer and
# UndefinedBehaviorSanitizer in ./build-san (scripts/san-configure.sh; the
# fuzz targets of scripts/fuzz.sh share this build) and runs it under ctest
# with LeakSanitizer on: any memory error, undefined behaviour or leak fails.
#
#   usage: scripts/sanitize.sh [CTEST ARGS...]    e.g. -R kiln_api_tests
#
# scripts/test.sh (CI) runs it by default. Two long suites are left out, to
# keep CI under its budget (docs/reliability.md has the numbers):
# onnx_conformance (its ~1,900 models run the same kernels the op tests run
# here, the parser is fuzzed by scripts/fuzz.sh, and a crash in one of its
# forked children only counts as that model's failure) and
# sample_mnist_accuracy (10,000 images through the LeNet that sample_mnist
# already runs). KILN_SANITIZE_ALL=1 runs them too (conformance gets longer
# budgets in sanitized builds, see tests/CMakeLists.txt).
set -euo pipefail
source "$(dirname "$0")/san-configure.sh"
start=$(date +%s)
san_configure
cmake --build "$bdir" -j "$jobs"
echo "sanitize: built in $(($(date +%s) - start)) s"
t0=$(date +%s)
exclude=()
[ "${KILN_SANITIZE_ALL:-0}" = 1 ] || exclude=(-E '^(onnx_conformance|sample_mnist_accuracy)$')
(cd "$bdir" && ctest --output-on-failure -j "$jobs" --timeout 1800 "${exclude[@]}" "$@")
echo "sanitize: tests ran in $(($(date +%s) - t0)) s; total $(($(date +%s) - start)) s"
