#!/usr/bin/env bash
# One device call for issue 4's open checks, within a 10-minute limit:
#   1. ResNet-50 batch 128 against eager and torch.compile(max-autotune) in one
#      run, kiln building (everything) beside PyTorch's compile;
#   2. the CUDA suites (runtime, plugins, op specs with two seeds);
#   3. the ONNX conformance suite on CUDA (KILN_ONNX_DATA or .carry/onnx-backend.tgz);
#   4. ResNet-50 batch 1 (kiln and eager; torch.compile when KILN_B1_COMPILE=1);
#   5. MobileNetV2 FP16 with its early blocks in float32, profiled per layer.
# Each step has its own time budget; results land in $OUT (a.md summary, the
# tables and logs under b128/, tests/, b1/, mnv2/).
#   bash scripts/gpu/acceptance_run.sh
set -uo pipefail
cd "$(dirname "$0")/../.."
out=${OUT:-$PWD/gpu-out}
mkdir -p "$out"/{b128,tests,b1,mnv2}
summary=$out/a.md
say() { echo "$*" | tee -a "$summary"; }
: >"$summary"
t0=$(date +%s)
left() { echo $(( ${KILN_CALL_BUDGET:-585} - ($(date +%s) - t0) )); }

say "# issue 4 checks ($(date -u +%Y-%m-%dT%H:%MZ), $(git rev-parse --short HEAD 2>/dev/null))"
KILN_BUILD_BESIDE=1 KILN_BENCH_EXTRA_TARGETS="kiln_cuda_tests kiln_plugin_tests_cuda kiln_op_tests_cuda kiln_conformance" \
  OUT=$out/b128 timeout $(( $(left) - 170 )) bash bench/run_gpu.sh --jobs resnet50:128 --compile resnet50:128 \
  --iters 100 >"$out/b128/console.txt" 2>&1
say "## ResNet-50 b128 ($(( $(date +%s) - t0 )) s)"
grep -E "^\| resnet" "$out"/b128/*-gpu.md | tee -a "$summary"

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
  lim=$(( $(left) - 120 )); [ $lim -gt 85 ] && lim=85
  timeout $lim $b/kiln_conformance --data "$data" --backend cuda --jobs 16 --per-process 32 \
    --suite-timeout $(( lim - 10 )) --table "$out/tests/conf-cuda.md" >"$out/tests/conformance.log" 2>&1
  say "- onnx conformance --backend cuda: $(grep -a '^onnx-conformance:' "$out/tests/conformance.log" | tail -1)"
fi

comp=(); [ -n "${KILN_B1_COMPILE:-}" ] && comp=(--compile resnet50:1)
OUT=$out/b1 timeout $(( $(left) - 60 )) bash bench/run_gpu.sh --jobs resnet50:1 "${comp[@]}" --iters 100 \
  >"$out/b1/console.txt" 2>&1
say "## ResNet-50 b1 ($(( $(date +%s) - t0 )) s)"
grep -E "^\| resnet" "$out"/b1/*-gpu.md | tee -a "$summary"

OUT=$out/mnv2 timeout $(( $(left) - 5 )) env KILN_BENCH_PRECISION=1 bash bench/run_gpu.sh --model mobilenet_v2 \
  --batch 128 --group islands --iters 20 --profile 10 >"$out/mnv2/console.txt" 2>&1
say "## MobileNetV2 b128 FP16, early blocks in float32 ($(( $(date +%s) - t0 )) s)"
cat "$out"/mnv2/*precision*.md 2>/dev/null | grep "^|" | tee -a "$summary"
say "done in $(( $(date +%s) - t0 )) s"
