#!/usr/bin/env bash
# kiln_model_bench, once the build that bench/run_gpu.sh started beside
# PyTorch (KILN_BUILD_BESIDE=1) has finished; fails when that build failed.
cd "$(dirname "$0")/.."
while [ ! -f /tmp/kiln-build.status ]; do sleep 1; done
[ "$(cat /tmp/kiln-build.status)" = 0 ] || { echo "kiln_when_built.sh: the kiln build failed" >&2; exit 1; }
exec build-gpu/bench/kiln_model_bench "$@"
