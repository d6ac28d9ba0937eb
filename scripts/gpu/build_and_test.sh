#!/usr/bin/env bash
# Builds kiln on a GPU machine (Ubuntu 24.04, CUDA 13, cuDNN 9, GoogleTest,
# protobuf; no internet, no apt: oneDNN is optional and absent there) and runs
# the GPU test suite. Logs and a summary land in $OUT (or ./gpu-out).
#   bash scripts/gpu/build_and_test.sh            # build + CUDA tests + the rest of ctest
#   KILN_GPU_QUICK=1 bash scripts/gpu/...         # CUDA tests only
#   KILN_CUDA_ARCHS="80;89;90" ...                # all of the project's targets (default: 90, faster)
#   KILN_ONNX_DATA=DIR ...                         # also the ONNX conformance suite on CPU and CUDA
#   KILN_CONFORMANCE_BACKENDS=cuda ...             # ... on CUDA alone (default "cpu cuda")
set -uo pipefail
cd "$(dirname "$0")/../.."
out=${OUT:-$PWD/gpu-out}
mkdir -p "$out"
jobs=${KILN_JOBS:-16}
summary=$out/summary.md
log() { echo "$*" | tee -a "$summary"; }
: >"$summary"

log "# kiln GPU build and test ($(date -u +%Y-%m-%dT%H:%MZ))"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | sed 's/^/gpu: /' | tee -a "$summary"
log "nvcc: $(nvcc --version 2>/dev/null | tail -1)"

t0=$(date +%s)
gen=(); command -v ninja >/dev/null && gen=(-G Ninja)
if ! cmake -S . -B build-gpu "${gen[@]}" -DCMAKE_BUILD_TYPE=Release -DKILN_CUDA=ON -DKILN_ONEDNN=AUTO \
     -DKILN_BUILD_BENCH=ON -DCMAKE_CUDA_ARCHITECTURES="${KILN_CUDA_ARCHS:-90}" >"$out/configure.log" 2>&1; then
  log "configure FAILED (see configure.log)"; tail -30 "$out/configure.log"; exit 1
fi
if ! cmake --build build-gpu -j "$jobs" >"$out/build.log" 2>&1; then
  log "build FAILED (see build.log)"; grep -E "error|FAILED" "$out/build.log" | head -40; exit 1
fi
log "build: $(( $(date +%s) - t0 )) s with -j$jobs"
rm -f "$out/configure.log"  # kept only when configuring fails (the output folder holds few files)

rc=0
run_suite() {  # name, command...
  local name=$1; shift
  local t=$(date +%s)
  "$@" >"$out/$name.log" 2>&1
  local r=$?
  local line
  line=$(grep -E "^\[  PASSED  \]|^\[  FAILED  \]|^\[  SKIPPED \]|tests? ran" "$out/$name.log" | tr '\n' ' ')
  log "- $name: exit $r, $(( $(date +%s) - t )) s: $line"
  if [ $r -ne 0 ]; then rc=1; grep -E "^\[  FAILED  \]" "$out/$name.log" | head -60 | tee -a "$summary"; fi
}
run_suite cuda_runtime_tests ./build-gpu/tests/kiln_cuda_tests
run_suite cuda_plugin_tests ./build-gpu/tests/kiln_plugin_tests_cuda
run_suite cuda_op_tests ./build-gpu/tests/kiln_op_tests_cuda
seed=$(( $(date +%s) % 100000 + 1 ))
run_suite cuda_op_tests_fresh_seed env KILN_TEST_SEED=$seed ./build-gpu/tests/kiln_op_tests_cuda
cat "$out/cuda_op_tests_fresh_seed.log" >>"$out/cuda_op_tests.log" && rm -f "$out/cuda_op_tests_fresh_seed.log"
log "  (fresh seed: KILN_TEST_SEED=$seed; both runs in cuda_op_tests.log)"

# ONNX conformance on CUDA next to the CPU, when the data travels with the
# tree (scripts/gpu/onnx-backend.tgz or the ignored, carried .carry/onnx-backend.tgz,
# made from ../shared/data; not committed).
data=${KILN_ONNX_DATA:-}
for tgz in scripts/gpu/onnx-backend.tgz .carry/onnx-backend.tgz; do
  if [ -z "$data" ] && [ -f $tgz ]; then
    mkdir -p /tmp/kiln-onnx && tar xzf $tgz -C /tmp/kiln-onnx && data=/tmp/kiln-onnx/onnx-backend
  fi
done
if [ -n "$data" ] && [ -d "$data" ] && [ -x build-gpu/tests/kiln_conformance ]; then
  conf=$out/conformance.log
  : >"$conf"
  for be in ${KILN_CONFORMANCE_BACKENDS:-cpu cuda}; do
    t=$(date +%s)
    echo "=== --backend $be" >>"$conf"
    limit=${KILN_CONFORMANCE_TIMEOUT:-400}  # the runner's own budget ends 20 s before: its table is written
    timeout $limit ./build-gpu/tests/kiln_conformance --data "$data" --backend $be --jobs 16 --per-process 32 --suite-timeout $((limit - 20)) --table /tmp/conf-$be.md \
      >>"$conf" 2>&1
    log "- onnx conformance --backend $be ($(( $(date +%s) - t )) s): $(grep -a '^onnx-conformance:' "$conf" | tail -1)"
  done
  echo "=== CUDA failures (test | detail)" >>"$conf"
  grep -a -i "fail" /tmp/conf-cuda.md >>"$conf" 2>/dev/null
fi
if [ -n "${KILN_GPU_SANITIZE:-}" ] && command -v compute-sanitizer >/dev/null; then
  # memcheck and racecheck on the CUDA suites.
  t=$(date +%s)
  san=$out/sanitizer.log
  srcs=0
  # KILN_SANITIZE_SPECS="tool[/kernels]:suite[:gtest filter] ..." picks a subset (e.g.
  # "memcheck:kiln_cuda_tests" or "racecheck/kiln:kiln_cuda_tests:CudaFusion.*:Fixture.*"). A tool
  # with /kernels instruments only kernels whose mangled names hold that substring ("kiln": kiln's
  # own; cuDNN's and cuBLAS's kernels, timed many times by every build, make the runtime suite take
  # minutes under racecheck); without it, every kernel. Every test's name is logged, so a time-out
  # shows where it stopped. Each spec runs for at most KILN_SANITIZE_TIMEOUT
  # seconds, and none starts or runs past KILN_SANITIZE_DEADLINE (epoch seconds) when it is set.
  specs=${KILN_SANITIZE_SPECS:-memcheck:kiln_cuda_tests memcheck:kiln_plugin_tests_cuda memcheck:kiln_op_tests_cuda racecheck:kiln_op_tests_cuda racecheck:kiln_plugin_tests_cuda racecheck:kiln_cuda_tests}
  # The kernel filter's option name differs between compute-sanitizer versions. The help is read
  # into a variable first: grep -q closing the pipe early would make pipefail report a failure.
  help=$(compute-sanitizer --help 2>&1)
  filter_opt=""
  for o in --kernel-name --filter; do
    if grep -qE -- "(^|[[:space:][])$o([[:space:]]|=|$)" <<<"$help"; then filter_opt=$o; break; fi
  done
  grep -iE -- "kernel|filter" <<<"$help" >"$san"
  log "  (compute-sanitizer $(compute-sanitizer --version 2>&1 | grep -o '[0-9][0-9.]*' | head -1); kernel filter option: ${filter_opt:-none})"
  for spec in $specs; do
    IFS=: read -r tool suite filter <<<"$spec"
    kernels=""
    [[ $tool == */* ]] && kernels=${tool#*/} && tool=${tool%%/*}
    args=()
    if [ -n "$kernels" ]; then
      if [ -n "$filter_opt" ]; then
        args=("$filter_opt" "kns=$kernels")
      else
        log "  (no kernel filter option: every kernel instrumented)"
      fi
    fi
    limit=${KILN_SANITIZE_TIMEOUT:-90}
    if [ -n "${KILN_SANITIZE_DEADLINE:-}" ]; then
      left=$(( KILN_SANITIZE_DEADLINE - $(date +%s) ))
      [ $left -lt $limit ] && limit=$left
      if [ $limit -lt 20 ]; then
        log "- compute-sanitizer $tool $suite ${filter:-}: NOT RUN (the call's time is spent)"; srcs=1; continue
      fi
    fi
    part=$out/sanitizer.part
    echo "=== compute-sanitizer --tool $tool ${args[*]} $suite ${filter:+(tests $filter)}" >"$part"
    t1=$(date +%s)
    # Left out under the tools: the out-of-memory test makes cudaMalloc fail on purpose (memcheck
    # would count that API error), and the 16-thread stress test would take many minutes; both run
    # plainly above.
    skip="*OutOfDeviceMemory*:*SixteenThreads*"
    case "${filter:-*}" in *-*) gfilter="$filter:$skip" ;; *) gfilter="${filter:-*}-$skip" ;; esac
    timeout $limit compute-sanitizer --tool "$tool" "${args[@]}" --error-exitcode 99 \
      "./build-gpu/tests/$suite" --gtest_filter="$gfilter" >>"$part" 2>&1
    r=$?
    log "- compute-sanitizer $tool $suite ${filter:-}: exit $r, $(( $(date +%s) - t1 )) s, $(grep -a -c '^\[       OK \]' "$part") tests passed: $(grep -a 'ERROR SUMMARY\|RACECHECK SUMMARY' "$part" | tail -1)"
    [ $r -eq 124 ] && log "  (time-out during $(grep -a '^\[ RUN' "$part" | tail -1))"
    cat "$part" >>"$san" && rm -f "$part"
    [ $r -ne 0 ] && srcs=1
  done
  log "  sanitizers took $(( $(date +%s) - t )) s"
  [ $srcs -ne 0 ] && rc=1
fi
if [ -z "${KILN_GPU_QUICK:-}" ]; then
  ( cd build-gpu && timeout 150 ctest -j8 --timeout 120 --output-on-failure -E "cuda" ) >"$out/ctest.log" 2>&1 || rc=1
  log "- ctest (everything else): $(grep -E 'tests passed|tests failed' "$out/ctest.log")"
fi
if [ -x build-gpu/bench/kiln_bench_cuda_quick ]; then
  log "quick timing (ResNet basic blocks, batch 32, 64x56x56, 4 blocks):"
  timeout 120 ./build-gpu/bench/kiln_bench_cuda_quick 32 4 2>&1 | tee -a "$summary"
fi
log "result: $([ $rc -eq 0 ] && echo PASS || echo FAIL)"
exit $rc
