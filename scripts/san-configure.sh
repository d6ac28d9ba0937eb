# Sourced by scripts/sanitize.sh and scripts/fuzz.sh: configures ./build-san,
# the one clang build with AddressSanitizer, UndefinedBehaviorSanitizer and
# libFuzzer's coverage instrumentation (KILN_FUZZ=ON) that both use, so the
# sanitized test suite and the fuzz targets share every object file (the
# library is compiled once more, not twice). CPU only (KILN_CUDA=OFF), no
# benchmarks. -O1 is the usual sanitizer/fuzzing level: it finds the same bugs
# and compiles several times faster than -O3 under the sanitizers.
#
# Sets: root, bdir, jobs. Honours KILN_JOBS, KILN_FUZZ_CXX, CCACHE_DIR.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bdir=$root/build-san
jobs=${KILN_JOBS:-$(nproc)}

san_configure() {
    local cxx=${KILN_FUZZ_CXX:-clang++}
    command -v "$cxx" >/dev/null || { echo "$cxx not found (apt-get install clang libclang-rt-14-dev)"; return 2; }
    local gen=() launcher=()
    command -v ninja >/dev/null && gen=(-G Ninja)
    command -v ccache >/dev/null && [ -n "${CCACHE_DIR:-}" ] && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
    cmake -S "$root" -B "$bdir" "${gen[@]}" "${launcher[@]}" -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_CXX_FLAGS_RELEASE="-O1 -DNDEBUG" -DCMAKE_CXX_COMPILER="$cxx" \
        -DKILN_FUZZ=ON -DKILN_BUILD_TESTS=ON -DKILN_BUILD_BENCH=OFF -DKILN_CUDA=OFF >/dev/null
}

# Sanitizer settings for everything run from build-san: leaks are errors
# (LeakSanitizer runs at exit), UBSan stops at the first report.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
