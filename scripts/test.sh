#!/usr/bin/env bash
# Builds kiln and runs the whole test suite (ctest). Tests that need
# ../shared/data skip with a message when it is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
cd build && ctest --output-on-failure -j "${KILN_JOBS:-$(nproc)}"
