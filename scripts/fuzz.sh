#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz) in ./build-san (clang, ASan, UBSan;
# the same objects scripts/sanitize.sh builds, see scripts/san-configure.sh),
# replays each target's regression inputs (tests/fuzz/regressions/<target>)
# and seed corpus, then fuzzes each target for a bounded time.
#
#   usage: scripts/fuzz.sh [SECONDS [TARGET...]]
#          (default 60 s per target, env KILN_FUZZ_SECONDS; all targets)
#
# Targets: onnx_parser_fuzz (ONNX models), engine_loader_fuzz (engine files,
# run when they load), engine_format_fuzz (the engine file format alone, many
# more inputs a second), tensor_file_fuzz (.npy / TensorProto .pb readers).
#
# The mutation seed is fixed (env KILN_FUZZ_SEED, default 1) so a CI run is
# reproducible; use KILN_FUZZ_SEED=0 (random) and more SECONDS to hunt.
#
# Seed corpora are made at run time: every model.onnx of ../shared/data
# (parser), every test_data_set_*/*.pb and *.npy of ../shared/data (tensor
# readers), and engines built by the kiln tool of this build from the sample
# network and a fixed selection of those models (engine loader). Without
# ../shared/data a target starts from its regression inputs (and the sample
# engines). Inputs the fuzzer finds interesting stay in build-san/corpus/<target>
# for the next run. A crash leaves its input in build-san/crashes/<target>;
# keep it under tests/fuzz/regressions/<target>/ once fixed. Exits non-zero on
# any crash, leak, timeout or build failure; with KILN_FUZZ_FATAL=0 (what
# scripts/test.sh, and so CI, sets) a problem the timed fuzzing finds is
# reported with its input in base64 but does not fail the run, while a kept
# regression input or seed that fails still does (docs/reliability.md).
set -euo pipefail
source "$(dirname "$0")/san-configure.sh"
secs=${1:-${KILN_FUZZ_SECONDS:-60}}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(onnx_parser_fuzz engine_loader_fuzz engine_format_fuzz tensor_file_fuzz)
data=$root/../shared/data

start=$(date +%s)
san_configure
extra=()  # kiln_cli makes the engine seeds
[[ " ${targets[*]} " == *" engine_"* ]] && extra=(kiln_cli)
cmake --build "$bdir" -j "$jobs" --target "${targets[@]}" "${extra[@]}"
echo "fuzz: built in $(($(date +%s) - start)) s"

common=(-timeout=30 -rss_limit_mb=3072 -print_final_stats=1 -seed="${KILN_FUZZ_SEED:-1}")

# One file per source, named after its path below ../shared/data.
seed_name() { local rel=${1#"$data"/}; echo "${rel//\//_}"; }
# Seeds are only read (libFuzzer writes to the first directory, $corpus), so
# symbolic links do (thousands of copies take longer than replaying them).
link_all() {  # DIR < paths: one link per path, named after it below $data
    local dir=$1 f rel
    while IFS= read -r f; do
        rel=${f#"$data"/}
        ln -sf "$f" "$dir/${rel//\//_}"
    done
}

# Engines as the tests make them, built once per run for both engine targets:
# the built-in LeNet (implicit and explicit batch) and every 12th ONNX backend
# model (plus models/), CPU, optimization level 0; models that fail to build
# (dynamic inputs without shapes, ...) are skipped.
make_engines() {
    local dir=$bdir/seeds/engines kiln=$bdir/kiln n=0 f rel
    [ -d "$dir" ] && return 0
    mkdir -p "$dir"
    "$kiln" build --sample mnist --max-batch 2 --opt-level 0 --save "$dir/lenet_implicit.engine" >/dev/null 2>&1 || true
    "$kiln" build --sample mnist --explicit-batch --max-batch 2 --opt-level 0 \
        --save "$dir/lenet_explicit.engine" >/dev/null 2>&1 || true
    [ -d "$data" ] || return 0
    while IFS= read -r f; do
        n=$((n + 1))
        [ $((n % 12)) = 0 ] || [[ $f == */models/* ]] || continue
        rel=$(seed_name "${f%/model.onnx}")
        "$kiln" build --onnx "$f" --backend cpu --opt-level 0 --save "$dir/$rel.engine" >/dev/null 2>&1 || true
    done < <(find "$data/onnx-backend" "$data/models" -name model.onnx -size -256k 2>/dev/null | sort)
}

make_seeds() {  # TARGET DIR
    local t=$1 dir=$2
    case $t in
        onnx_parser_fuzz)
            [ -d "$data" ] || return 0
            link_all "$dir" < <(find "$data/onnx-backend" "$data/models" -name model.onnx 2>/dev/null | sort)
            ;;
        tensor_file_fuzz)
            [ -d "$data" ] || return 0
            # Every reference tensor under 64 KB (the big ones add time, not paths).
            link_all "$dir" < <(find "$data" \( -name '*.pb' -o -name '*.npy' \) -size -64k 2>/dev/null | sort)
            ;;
        engine_loader_fuzz | engine_format_fuzz)
            make_engines
            cp "$bdir/seeds/engines"/* "$dir"/ 2>/dev/null || true
            ;;
    esac
}

status=0
rm -rf "$bdir/seeds"
for t in "${targets[@]}"; do
    exe=$bdir/tests/fuzz/$t
    seeds=$bdir/seeds/$t
    corpus=$bdir/corpus/$t
    crashes=$bdir/crashes/$t
    regressions=$root/tests/fuzz/regressions/$t
    rm -rf "$seeds"
    mkdir -p "$seeds" "$corpus" "$crashes"
    t0=$(date +%s)
    make_seeds "$t" "$seeds"
    echo "fuzz: $t: $(ls "$seeds" | wc -l) seed inputs ($(du -skL "$seeds" | cut -f1) KB) made in $(($(date +%s) - t0)) s"

    # Regression: every kept input and every seed, run once.
    replay=()
    [ -d "$regressions" ] && [ -n "$(ls -A "$regressions")" ] && replay+=("$regressions")
    [ -n "$(ls -A "$seeds")" ] && replay+=("$seeds")
    t0=$(date +%s)
    if [ ${#replay[@]} -gt 0 ]; then
        if ! "$exe" "${common[@]}" -runs=0 -artifact_prefix="$crashes/" "${replay[@]}" >"$bdir/$t.replay.log" 2>&1; then
            echo "FAIL: $t: a regression or seed input crashed"
            tail -40 "$bdir/$t.replay.log"
            status=1
            continue
        fi
        echo "fuzz: $t: replayed $(grep -Eo 'Done [0-9]+ runs' "$bdir/$t.replay.log" | grep -Eo '[0-9]+') inputs in $(($(date +%s) - t0)) s"
    fi
    replay_s=$(($(date +%s) - t0))

    # Bounded fuzzing; new inputs go to $corpus, crashes to $crashes. libFuzzer
    # counts loading the inputs (about the replay's time) in -max_total_time.
    echo "fuzz: $t: fuzzing for $secs s (after loading the inputs)"
    if ! "$exe" "${common[@]}" -max_total_time="$((secs + replay_s))" -artifact_prefix="$crashes/" \
        "$corpus" "${replay[@]}" >"$bdir/$t.fuzz.log" 2>&1; then
        grep -E "ERROR|SUMMARY|Test unit written" "$bdir/$t.fuzz.log" | head -20
        tail -60 "$bdir/$t.fuzz.log"
        for f in "$crashes"/*; do  # small inputs in full, so a CI log is enough to reproduce
            [ -f "$f" ] || continue
            if [ "$(stat -c %s "$f")" -le 4096 ]; then
                echo "fuzz: $t: input $(basename "$f") (base64): $(base64 -w0 "$f")"
            else
                echo "fuzz: $t: input $(basename "$f"): $(stat -c %s "$f") bytes, sha256 $(sha256sum "$f" | cut -c1-64)"
            fi
        done
        if [ "${KILN_FUZZ_FATAL:-1}" != 0 ]; then
            echo "FAIL: $t: the fuzzer found a problem; inputs in $crashes"
            status=1
        else
            echo "fuzz: $t: NEW FINDING, reported above, not fatal (KILN_FUZZ_FATAL=0); inputs in $crashes"
        fi
        continue
    fi
    grep -E "stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss" "$bdir/$t.fuzz.log" || true
    echo "fuzz: $t: corpus now $(ls "$corpus" | wc -l) inputs ($(du -sk "$corpus" | cut -f1) KB)"
done
echo "fuzz: total $(($(date +%s) - start)) s"
exit $status
