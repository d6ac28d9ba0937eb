#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz) with clang, ASan and UBSan in
# ./build-fuzz, replays the regression inputs (tests/fuzz/regressions) and the
# seed corpus, then fuzzes each target for a bounded time.
#
#   usage: scripts/fuzz.sh [SECONDS]      (default 60 per target; env KILN_FUZZ_SECONDS)
#
# The mutation seed is fixed (env KILN_FUZZ_SEED, default 1) so a CI run is
# reproducible; use KILN_FUZZ_SEED=0 (random) and more SECONDS to hunt.
#
# The seed corpus is made at run time from ../shared/data/onnx-backend (every
# test's model.onnx) and ../shared/data/models; without that data the fuzzer
# starts from the regression inputs alone. Inputs the fuzzer finds interesting
# stay in build-fuzz/corpus/<target> for the next run. A crash leaves its input
# in build-fuzz/crashes/<target>; keep it under tests/fuzz/regressions/ once
# fixed. Exits non-zero on any crash, leak, timeout or build failure.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
secs=${1:-${KILN_FUZZ_SECONDS:-60}}
jobs=${KILN_JOBS:-$(nproc)}
bdir=$root/build-fuzz
data=$root/../shared/data

cxx=${KILN_FUZZ_CXX:-clang++}
command -v "$cxx" >/dev/null || { echo "fuzz: $cxx not found (apt-get install clang libclang-rt-14-dev)"; exit 2; }

gen=(); command -v ninja >/dev/null && gen=(-G Ninja)
launcher=(); command -v ccache >/dev/null && [ -n "${CCACHE_DIR:-}" ] && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
start=$(date +%s)
cmake -S . -B "$bdir" "${gen[@]}" "${launcher[@]}" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER="$cxx" \
    -DKILN_FUZZ=ON -DKILN_BUILD_TESTS=OFF -DKILN_BUILD_BENCH=OFF -DKILN_CUDA=OFF >/dev/null
targets=(onnx_parser_fuzz)
cmake --build "$bdir" -j "$jobs" --target "${targets[@]}"
echo "fuzz: built in $(($(date +%s) - start)) s"

# Leaks are checked at exit of each input run (libFuzzer's -detect_leaks=1).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
common=(-timeout=30 -rss_limit_mb=3072 -print_final_stats=1 -seed="${KILN_FUZZ_SEED:-1}")

status=0
for t in "${targets[@]}"; do
    exe=$bdir/tests/fuzz/$t
    seeds=$bdir/seeds/$t
    corpus=$bdir/corpus/$t
    crashes=$bdir/crashes/$t
    regressions=$root/tests/fuzz/regressions
    rm -rf "$seeds"
    mkdir -p "$seeds" "$corpus" "$crashes"
    if [ -d "$data/onnx-backend" ]; then
        # One file per test, named after it: a model is small (mostly under 100 KB).
        while IFS= read -r m; do
            rel=${m#"$data"/}
            cp "$m" "$seeds/$(echo "${rel%/model.onnx}" | tr '/' '_').onnx"
        done < <(find "$data/onnx-backend" "$data/models" -name model.onnx | sort)
        echo "fuzz: $t: $(ls "$seeds" | wc -l) seed models from $data"
    else
        echo "fuzz: $t: $data is absent: no seed corpus, starting from the regression inputs"
    fi

    # Regression: every kept input and every seed, run once.
    echo "fuzz: $t: replaying regressions and seeds"
    replay=("$regressions")
    [ -n "$(ls -A "$seeds")" ] && replay+=("$seeds")
    t0=$(date +%s)
    if ! "$exe" "${common[@]}" -runs=0 "${replay[@]}" >"$bdir/$t.replay.log" 2>&1; then
        echo "FAIL: $t: a regression or seed input crashed"
        tail -40 "$bdir/$t.replay.log"
        status=1
        continue
    fi
    replay_s=$(($(date +%s) - t0))
    echo "fuzz: $t: replayed $(grep -Eo 'Done [0-9]+ runs' "$bdir/$t.replay.log" | grep -Eo '[0-9]+') inputs in $replay_s s"

    # Bounded fuzzing; new inputs go to $corpus, crashes to $crashes. libFuzzer
    # counts loading the inputs (about the replay's time) in -max_total_time.
    echo "fuzz: $t: fuzzing for $secs s (after loading the inputs)"
    if ! "$exe" "${common[@]}" -max_total_time="$((secs + replay_s))" -artifact_prefix="$crashes/" \
        "$corpus" "${replay[@]}" >"$bdir/$t.fuzz.log" 2>&1; then
        echo "FAIL: $t: the fuzzer found a problem; inputs in $crashes"
        grep -E "ERROR|SUMMARY|Test unit written" "$bdir/$t.fuzz.log" | head -20
        tail -60 "$bdir/$t.fuzz.log"
        status=1
        continue
    fi
    grep -E "stat::number_of_executed_units|stat::peak_rss|DONE|INITED" "$bdir/$t.fuzz.log" | tail -4 || true
    echo "fuzz: $t: corpus now $(ls "$corpus" | wc -l) inputs"
done
echo "fuzz: total $(($(date +%s) - start)) s"
exit $status
