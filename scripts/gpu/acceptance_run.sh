#!/usr/bin/env bash
# Issue 4's open checks, each part one device call within the 10-minute limit:
#   bash scripts/gpu/acceptance_run.sh suites    # scripts/gpu/build_and_test.sh (build, the CUDA
#        suites with two seeds, the ONNX suite on CUDA from KILN_ONNX_DATA or
#        .carry/onnx-backend.tgz), then MobileNetV2 batch 128 and 1 (FP16 error, profiles)
#   bash scripts/gpu/acceptance_run.sh compile resnet50:128   # a model and batch against eager and
#        torch.compile(max-autotune) in one run, nothing else on the machine (torch.compile
#        took 223 s for ResNet-50 batch 128 alone in November, 350 s beside a kiln build:
#        one model and batch per call)
# Each step has its own time budget; results land in $OUT (a.md the summary, tables
# and logs under the steps' folders).
set -uo pipefail
cd "$(dirname "$0")/../.."
part=${1:-suites}
out=${OUT:-$PWD/gpu-out}
summary=$out/a.md
mkdir -p "$out"
say() { echo "$*" | tee -a "$summary"; }
: >"$summary"
t0=$(date +%s)
left() { echo $(( ${KILN_CALL_BUDGET:-585} - ($(date +%s) - t0) )); }
rows() { grep -E "^\| [a-z]" "$1"/*-gpu*.md 2>/dev/null | grep -v "^| model\|float32 layers" | tee -a "$summary"; }
say "# issue 4 checks: $part ($(date -u +%Y-%m-%dT%H:%MZ), $(git rev-parse --short HEAD 2>/dev/null))"

if [ "$part" = compile ]; then
  job=${2:-resnet50:128}
  mkdir -p "$out/compile"
  OUT=$out/compile timeout $(( $(left) - 5 )) bash bench/run_gpu.sh --jobs "$job" --compile "$job" --iters 100 \
    >"$out/compile/console.txt" 2>&1
  say "## $job with torch.compile ($(( $(date +%s) - t0 )) s)"
  rows "$out/compile"
  exit 0
fi

mkdir -p "$out"/{tests,mnv2}
# The build and the CUDA suites (two seeds) and, with the data, the ONNX suite on CUDA.
OUT=$out/tests KILN_GPU_QUICK=1 KILN_CONFORMANCE_BACKENDS=cuda KILN_CONFORMANCE_TIMEOUT=120 \
  timeout $(( $(left) - 150 )) bash scripts/gpu/build_and_test.sh >"$out/tests/console.txt" 2>&1
grep -E "^- |^build|^result" "$out/tests/summary.md" | tee -a "$summary"
OUT=$out/mnv2 timeout $(( $(left) - 5 )) bash bench/run_gpu.sh --jobs mobilenet_v2:128,mobilenet_v2:1 \
  --iters 50 --profile 10 >"$out/mnv2/console.txt" 2>&1
say "## MobileNetV2 ($(( $(date +%s) - t0 )) s)"
rows "$out/mnv2"
say "done in $(( $(date +%s) - t0 )) s"
