#!/usr/bin/env bash
# The model benchmark on a GPU machine (issue 4): builds kiln for the local GPU
# (-j16, sm_90 only unless KILN_CUDA_ARCHS says otherwise), runs the command in
# KILN_BENCH_PRE if any (e.g. kiln_cuda_tests, built when KILN_BENCH_EXTRA_TARGETS
# names it), then bench/run_models.py (kiln vs PyTorch eager and, where asked,
# torch.compile). Everything lands in $OUT (or ./gpu-out): the table
# <date>-gpu.md, the same rows as <date>-gpu.json, run.log, kiln_stderr.log and
# timing_caches.txt (every tactic's time per layer problem).
#   bash bench/run_gpu.sh [run_models.py options, e.g. --compile resnet50:1,resnet50:128]
#   KILN_BENCH_MODELS=resnet50 bash bench/run_gpu.sh --batches 1
#   bash bench/run_gpu.sh --jobs vit_b_16:1,bert_base:32 --iters 50 --deadline 200
#   KILN_BENCH_DYNAMIC=1 bash bench/run_gpu.sh [--models resnet50]   # dynamic vs static engines (issue 5)
#   KILN_BENCH_PRECISION=1 bash bench/run_gpu.sh [--model mobilenet_v2 --batch 128]   # FP16 error per float32 layer set
# Merge the tables of several runs (later files win per model/batch/precision):
#   python3 bench/run_models.py --kiln - --out bench/results --stem DATE-gpu --merge a.json b.json
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-$PWD/gpu-out}
mkdir -p "$out"
log=$out/run.log
: >"$log"
say() { echo "$*" | tee -a "$log"; }

say "# kiln model benchmark ($(date -u +%Y-%m-%dT%H:%MZ))"
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm --format=csv,noheader 2>&1 | sed 's/^/gpu: /' | tee -a "$log"
t0=$(date +%s)
build() {
  local gen=(); command -v ninja >/dev/null && gen=(-G Ninja)
  if ! cmake -S . -B build-gpu "${gen[@]}" -DCMAKE_BUILD_TYPE=Release -DKILN_CUDA=ON -DKILN_ONEDNN=AUTO \
       -DKILN_BUILD_BENCH=ON -DCMAKE_CUDA_ARCHITECTURES="${KILN_CUDA_ARCHS:-90}" >"$out/build.log" 2>&1; then
    say "configure FAILED"; tail -30 "$out/build.log"; return 1
  fi
  if ! cmake --build build-gpu -j "${KILN_JOBS:-16}" --target kiln_model_bench ${KILN_BENCH_EXTRA_TARGETS:-} \
       >>"$out/build.log" 2>&1; then
    say "build FAILED"; grep -E "error|FAILED" "$out/build.log" | head -40 | tee -a "$log"; return 1
  fi
  say "build: $(( $(date +%s) - t0 )) s"
  rm -f "$out/build.log"  # kept only when the build fails (few files come back)
}
kiln=build-gpu/bench/kiln_model_bench
build || exit 1

# Anything given in KILN_BENCH_PRE runs first (e.g. a test binary); its output goes to the log.
if [ -n "${KILN_BENCH_PRE:-}" ]; then
  say "== $KILN_BENCH_PRE"
  bash -c "$KILN_BENCH_PRE" 2>&1 | tail -40 | tee -a "$log"
fi

export PYTHONUNBUFFERED=1
if [ -n "${KILN_BENCH_DYNAMIC:-}" ]; then  # issue 5: dynamic-shape engines against static ones
  python3 bench/run_dynamic.py --kiln "$kiln" --out "$out" "$@" 2>&1 | tee -a "$log"
elif [ -n "${KILN_BENCH_PRECISION:-}" ]; then  # which layers cost FP16 accuracy (bench/precision_sweep.py)
  python3 bench/precision_sweep.py --kiln "$kiln" --out "$out" "$@" 2>&1 | tee -a "$log"
else
  python3 bench/run_models.py --kiln "$kiln" --out "$out" \
    --models "${KILN_BENCH_MODELS:-resnet50,mobilenet_v2,vit_b_16,bert_base}" "$@" 2>&1 | tee -a "$log"
fi
say "done in $(( $(date +%s) - t0 )) s"
