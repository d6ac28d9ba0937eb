#!/usr/bin/env bash
# Builds kiln and runs the whole test suite (ctest), then the fuzz targets
# (scripts/fuzz.sh: a clang build in ./build-fuzz, the regression inputs, and
# 60 s of fuzzing per target; KILN_FUZZ_SECONDS=0 skips them). Tests that
# need ../shared/data skip with a message when it is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
(cd build && ctest --output-on-failure -j "${KILN_JOBS:-$(nproc)}")
if [ "${KILN_FUZZ_SECONDS:-60}" != 0 ]; then
    bash scripts/fuzz.sh
fi
