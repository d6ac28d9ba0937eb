#!/usr/bin/env bash
# Issue 4's open checks, each part one device call within the 10-minute limit:
#   bash scripts/gpu/acceptance_run.sh suites    # build everything, the CUDA suites (runtime,
#        plugins, op specs with two seeds), the ONNX suite on CUDA (KILN_ONNX_DATA or
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
KILN_BENCH_EXTRA_TARGETS="kiln_cuda_tests kiln_plugin_tests_cuda kiln_op_tests_cuda kiln_conformance" \
  OUT=$out/mnv2 timeout $(( $(left) - 200 )) bash bench/run_gpu.sh --jobs mobilenet_v2:128,mobilenet_v2:1 \
  --iters 50 --profile 10 >"$out/mnv2/console.txt" 2>&1
say "## MobileNetV2 ($(( $(date +%s) - t0 )) s)"
rows "$out/mnv2"

b=build-gpu/tests
for s in kiln_cuda_tests kiln_plugin_tests_cuda kiln_op_tests_cuda; do
  timeout 40 $b/$s --gtest_brief=1 >"$out/tests/$s.log" 2>&1
  say "- $s: exit $? $(grep -E '^\[  (PASSED|FAILED)  \]' "$out/tests/$s.log" | tr '\n' ' ')"
done
seed=$(( $(date +%s) % 100000 + 1 ))
KILN_TEST_SEED=$seed timeout 40 $b/kiln_op_tests_cuda --gtest_brief=1 >"$out/tests/op_seed.log" 2>&1
say "- kiln_op_tests_cuda KILN_TEST_SEED=$seed: exit $? $(grep -E '^\[  (PASSED|FAILED)  \]' "$out/tests/op_seed.log" | tr '\n' ' ')"

data=${KILN_ONNX_DATA:-}
if [ -z "$data" ] && [ -f .carry/onnx-backend.tgz ]; then
  mkdir -p /tmp/kiln-onnx && tar xzf .carry/onnx-backend.tgz -C /tmp/kiln-onnx && data=/tmp/kiln-onnx/onnx-backend
fi
if [ -n "$data" ]; then
  lim=$(( $(left) - 5 )); [ $lim -gt 100 ] && lim=100
  timeout $lim $b/kiln_conformance --data "$data" --backend cuda --jobs 16 --per-process 32 \
    --suite-timeout $(( lim - 10 )) --table "$out/tests/conf-cuda.md" >"$out/tests/conformance.log" 2>&1
  say "- onnx conformance --backend cuda: $(grep -a '^onnx-conformance:' "$out/tests/conformance.log" | tail -1)"
fi
say "done in $(( $(date +%s) - t0 )) s"
