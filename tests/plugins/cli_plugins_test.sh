#!/usr/bin/env bash
# `kiln --plugins`: an engine holding the sample's custom plugin runs, benchmarks and is
# inspected when its library is loaded, and fails naming the plugin when it is not; build
# loads libraries too (repeatable).
#   usage: cli_plugins_test.sh KILN_BINARY SAMPLE_PLUGIN_BINARY PLUGIN_LIBRARY
set -u
KILN=${1:?usage}; SAMPLE=${2:?usage}; LIB=${3:?usage}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
FAILED=0

# expect CODE PATTERN DESCRIPTION -- COMMAND...: exit CODE and output matching PATTERN.
expect() {
    local code=$1 pattern=$2 desc=$3
    shift 4
    "$@" >"$T/out.txt" 2>&1
    local got=$?
    if [ "$got" -ne "$code" ] || ! grep -Eq -- "$pattern" "$T/out.txt"; then
        echo "FAIL: $desc (exit $got, wanted $code, output matching '$pattern')"
        sed 's/^/    | /' "$T/out.txt" | head -20
        FAILED=$((FAILED + 1))
    else
        echo "ok:   $desc"
    fi
}

expect 0 "PASSED kiln.sample_plugin" "the sample builds, runs and saves its engine" -- "$SAMPLE" "$LIB" "$T/mish.engine"
expect 0 "output 'y'" "kiln run --plugins" -- "$KILN" run --engine "$T/mish.engine" --plugins "$LIB"
expect 2 "'Mish_Sample' version '1' namespace ''.*no registered creator" "kiln run without the library names the plugin" \
    -- "$KILN" run --engine "$T/mish.engine"
expect 0 "" "kiln bench --plugins" -- "$KILN" bench --engine "$T/mish.engine" --iterations 3 --warmup 1 --plugins "$LIB"
expect 0 "Plugin" "kiln inspect --plugins" -- "$KILN" inspect --engine "$T/mish.engine" --plugins "$LIB"
expect 2 "cannot load plugin library" "a missing library is an error" -- "$KILN" run --engine "$T/mish.engine" --plugins "$T/none.so"
# build: the libraries load before the network is made (no model format of the CLI can
# name a plugin yet, so the built-in sample network is built with the library loaded).
expect 0 "" "kiln build --plugins" -- "$KILN" build --sample mnist --plugins "$LIB" --plugins "$LIB" --save "$T/mnist.engine"
expect 2 "cannot load plugin library" "kiln build with a missing library is an error" \
    -- "$KILN" build --sample mnist --plugins "$T/none.so" --save "$T/mnist2.engine"

[ "$FAILED" -eq 0 ] && echo "cli_plugins_test: all passed" || echo "cli_plugins_test: $FAILED failed"
exit $(( FAILED > 0 ))
