#!/usr/bin/env bash
# End-to-end test of the `kiln` command line.
#   usage: cli_test.sh KILN_BINARY [SAMPLE_DATA_DIR [SHARED_DATA_DIR]]
# Builds LeNet-5 engines from random weights it generates, runs, checks,
# inspects and benchmarks them, and feeds the tool bad input, which must fail
# with a message (exit 1 or 2), never a crash. With SAMPLE_DATA_DIR (holding
# lenet5_fashion.wts, 0..9.pgm and reference.txt) it also checks the trained
# network against the PyTorch reference probabilities. The ONNX checks (small
# models it writes itself, and with SHARED_DATA_DIR the trained mnist-cnn
# model against its three reference outputs) skip with a message when kiln
# was built without the ONNX parser.
# Needs bash and python3 (standard library only). Exits non-zero on failure.
set -u

KILN=${1:?usage: cli_test.sh KILN_BINARY [SAMPLE_DATA_DIR [SHARED_DATA_DIR]]}
DATA=${2:-}
SHARED=${3:-}
command -v python3 >/dev/null || { echo "cli_test: python3 is required"; exit 2; }
[ -x "$KILN" ] || { echo "cli_test: $KILN is not an executable"; exit 2; }

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
FAILED=0
OUT=$T/last_output.txt

# expect CODE PATTERN DESCRIPTION -- COMMAND...: the command must exit with CODE
# and print (stdout or stderr) something matching PATTERN (grep -E; "" = any).
expect() {
    local code=$1 pattern=$2 desc=$3
    shift 4
    "$@" >"$OUT" 2>&1
    local got=$?
    if [ "$got" -ne "$code" ] || { [ -n "$pattern" ] && ! grep -Eq -- "$pattern" "$OUT"; }; then
        echo "FAIL: $desc (exit $got, wanted $code${pattern:+, output matching '$pattern'})"
        sed 's/^/    | /' "$OUT" | head -30
        FAILED=$((FAILED + 1))
    else
        echo "ok:   $desc"
    fi
}

# A few tensor-file and weight-file helpers (no numpy needed).
cat >"$T/util.py" <<'EOF'
import ast, random, struct, sys

def write_npy(path, shape, values, descr="<f4"):
    header = "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }" % (
        descr, "".join("%d, " % d for d in shape))
    header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    fmt = {"<f4": "f", "<f8": "d", "<i4": "i"}[descr]
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
        f.write(struct.pack("<%d%s" % (len(values), fmt), *values))

def read_npy(path):
    data = open(path, "rb").read()
    hlen = struct.unpack("<H", data[8:10])[0]
    header = ast.literal_eval(data[10:10 + hlen].decode())
    assert header["descr"] == "<f4", header
    body = data[10 + hlen:]
    return list(header["shape"]), list(struct.unpack("<%df" % (len(body) // 4), body))

def wts(path, seed):
    rng = random.Random(seed)
    sizes = [("conv1.weight", 150), ("conv1.bias", 6), ("bn1.scale", 6), ("bn1.shift", 6),
             ("conv2.weight", 2400), ("conv2.bias", 16), ("bn2.scale", 16), ("bn2.shift", 16),
             ("fc1.weight", 48000), ("fc1.bias", 120), ("fc2.weight", 10080), ("fc2.bias", 84),
             ("fc3.weight", 840), ("fc3.bias", 10)]
    with open(path, "w") as f:
        f.write("%d\n" % len(sizes))
        for name, n in sizes:
            vals = [rng.uniform(-0.3, 0.3) for _ in range(n)]
            f.write("%s 0 %d %s\n" % (name, n, " ".join(
                "%08x" % struct.unpack("<I", struct.pack("<f", v))[0] for v in vals)))

def images(path, shape, seed, descr="<f4"):
    rng = random.Random(seed)
    n = 1
    for d in shape: n *= d
    values = [rng.uniform(-1, 1) for _ in range(n)]
    write_npy(path, shape, [int(v * 5) for v in values] if descr == "<i4" else values, descr)

def perturb(src, dst, index, delta):
    shape, vals = read_npy(src)
    vals[index] += delta
    write_npy(dst, shape, vals)

def mnist(data_dir, img_out, ref_out):
    pixels, probs = [], []
    for line in open(data_dir + "/reference.txt"):
        if line.startswith("#") or not line.strip(): continue
        parts = line.split()
        raw = open(data_dir + "/" + parts[0], "rb").read()
        body = raw[len(raw) - 784:]  # P5 28x28 maxval 255: the last 784 bytes
        pixels += [(b / 255.0 - 0.2860) / 0.3530 for b in body]
        probs += [float(p) for p in parts[3:13]]
    n = len(probs) // 10
    write_npy(img_out, [n, 1, 28, 28], pixels)
    write_npy(ref_out, [n, 10, 1, 1], probs)
    print(n)

# ---- ONNX: protobuf wire format by hand (no onnx package needed) ----
def varint(v):
    out = b""
    while True:
        b = v & 0x7f
        v >>= 7
        if v:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])

def field(num, payload):  # length-delimited
    return varint(num << 3 | 2) + varint(len(payload)) + payload

def fint(num, v):
    return varint(num << 3) + varint(v & (2**64 - 1))

def value_info(name, dims):  # float tensor; a str dim is symbolic (dynamic)
    shape = b"".join(field(1, field(2, d.encode()) if isinstance(d, str) else fint(1, d)) for d in dims)
    return field(1, name.encode()) + field(2, field(1, fint(1, 1) + field(2, shape)))

def node(ins, outs, name, op):
    return (b"".join(field(1, i.encode()) for i in ins) + b"".join(field(2, o.encode()) for o in outs) +
            field(3, name.encode()) + field(4, op.encode()))

def model(nodes, inputs, outputs):
    graph = b"".join(field(1, n) for n in nodes) + field(2, b"g")
    graph += b"".join(field(11, value_info(*i)) for i in inputs)
    graph += b"".join(field(12, value_info(*o)) for o in outputs)
    return fint(1, 8) + field(8, fint(2, 13)) + field(7, graph)

def onnx(path, kind):
    x = ("x", [1, 4])
    models = {
        "relu": model([node(["x"], ["y"], "r", "Relu")], [("x", ["N", 3, "H", "W"])], [("y", [])]),
        "batch": model([node(["x"], ["y"], "r", "Relu")], [("x", ["N", 4])], [("y", [])]),
        "unsupported": model([node(["x"], ["t"], "ok", "Relu"), node(["t"], ["y"], "mystery", "FrobnicateOp")],
                             [x], [("y", [])]),
        "dangling": model([node(["x"], ["t"], "ok", "Relu"), node(["t", "ghost"], ["y"], "bad_add", "Add")],
                          [x], [("y", [])]),
    }
    open(path, "wb").write(models[kind])

def relu_ref(src, dst):
    shape, vals = read_npy(src)
    write_npy(dst, shape, [max(v, 0.0) for v in vals])

def pb_argmax(path):  # float TensorProto: float_data (4, packed) or raw_data (9)
    data, pos, vals = open(path, "rb").read(), 0, []
    def rd():
        nonlocal pos
        v = shift = 0
        while True:
            b = data[pos]; pos += 1
            v |= (b & 0x7f) << shift; shift += 7
            if not b & 0x80: return v
    while pos < len(data):
        key = rd(); num, wire = key >> 3, key & 7
        if wire == 0: rd()
        elif wire == 5: pos += 4
        elif wire == 1: pos += 8
        elif wire == 2:
            n = rd(); payload = data[pos:pos + n]; pos += n
            if num in (4, 9): vals += struct.unpack("<%df" % (n // 4), payload)
    print(max(range(len(vals)), key=lambda i: vals[i]))

if __name__ == "__main__":
    f = globals()[sys.argv[1]]
    f(*[ast.literal_eval(a) if a[:1] in "[0123456789-" else a for a in sys.argv[2:]])
EOF
py() { python3 "$T/util.py" "$@"; }

py wts "$T/lenet.wts" 7
py images "$T/in2.npy" "[2,1,28,28]" 11
py images "$T/in2_f64.npy" "[2,1,28,28]" 11 "<f8"
py images "$T/in2_i32.npy" "[2,1,28,28]" 11 "<i4"
py images "$T/bad_shape.npy" "[2,1,27,28]" 11
py images "$T/in9.npy" "[9,1,28,28]" 11

echo "== build"
expect 0 "scale-folding" "build --list-passes" -- "$KILN" build --list-passes
expect 0 "engine size: [0-9]+ bytes" "build implicit-batch LeNet-5" -- \
    "$KILN" build --sample mnist --weights "$T/lenet.wts" --max-batch 8 --save "$T/lenet.engine"
expect 0 "layers: " "build explicit-batch LeNet-5" -- \
    "$KILN" build --sample mnist --weights "$T/lenet.wts" --max-batch 8 --explicit-batch --save "$T/lenet_x.engine"
expect 0 "saved" "build --opt-level 0 --disable-pass scale-folding" -- \
    "$KILN" build --sample mnist --weights "$T/lenet.wts" --opt-level 0 --disable-pass scale-folding \
    --max-batch 8 --workspace 16 --save "$T/lenet_o0.engine"
expect 2 "not a builder pass" "build refuses an unknown --disable-pass" -- \
    "$KILN" build --sample mnist --weights "$T/lenet.wts" --disable-pass no-such-pass --save "$T/x.engine"

echo "== run"
expect 0 "random float32 \[1,1,28,28\] \(seed" "run with random input, write .npy and .pb" -- \
    "$KILN" run --engine "$T/lenet.engine" --output prob="$T/prob.npy" --output prob="$T/prob.pb"
expect 2 "given twice" "run rejects a repeated --input name" -- \
    "$KILN" run --engine "$T/lenet.engine" --input data="$T/in2.npy" --input data="$T/in2.npy"
expect 0 "prob: max abs err .* -> OK" "run --expect its own .npy output" -- \
    "$KILN" run --engine "$T/lenet.engine" --expect prob="$T/prob.npy"
expect 0 "-> OK" "run --expect its own .pb output" -- "$KILN" run --engine "$T/lenet.engine" --expect prob="$T/prob.pb"
py perturb "$T/prob.npy" "$T/prob_bad.npy" 3 0.01
expect 1 "-> MISMATCH" "run --expect a perturbed output exits 1" -- \
    "$KILN" run --engine "$T/lenet.engine" --expect prob="$T/prob_bad.npy"
expect 0 "-> OK" "a loose --atol accepts the perturbed output" -- \
    "$KILN" run --engine "$T/lenet.engine" --expect prob="$T/prob_bad.npy" --atol 0.02
expect 0 "ran batch 2" "run batch 2 from an input file" -- \
    "$KILN" run --engine "$T/lenet.engine" --input data="$T/in2.npy" --output prob="$T/out2.npy"
expect 0 "converting .*float64" "float64 input converts with a notice" -- \
    "$KILN" run --engine "$T/lenet.engine" --input data="$T/in2_f64.npy" --expect prob="$T/out2.npy"
# Separate builds may time different tactics, so allow float rounding differences.
expect 0 "-> OK" "explicit-batch engine (enqueueV3) agrees with the implicit one" -- \
    "$KILN" run --engine "$T/lenet_x.engine" --input data="$T/in2.npy" --expect prob="$T/out2.npy" --rtol 1e-4 --atol 1e-5
expect 0 "-> OK" "opt-level 0 engine agrees" -- \
    "$KILN" run --engine "$T/lenet_o0.engine" --input data="$T/in2.npy" --expect prob="$T/out2.npy" --rtol 1e-4 --atol 1e-5
expect 0 "random float32 \[3,1,28,28\]" "explicit-batch engine with --batch 3" -- \
    "$KILN" run --engine "$T/lenet_x.engine" --batch 3
# Optimization profile from --min-shapes/--opt-shapes/--max-shapes; --shapes on run and bench.
expect 0 "saved" "build with --min-shapes/--opt-shapes/--max-shapes" -- \
    "$KILN" build --sample mnist --weights "$T/lenet.wts" --explicit-batch --min-shapes data:1x1x28x28 \
    --opt-shapes data:2x1x28x28 --max-shapes data:4x1x28x28 --save "$T/lenet_p.engine"
expect 0 "random float32 \[3,1,28,28\]" "run --shapes inside the profile" -- \
    "$KILN" run --engine "$T/lenet_p.engine" --shapes data:3x1x28x28
expect 0 "-> OK" "the profile engine agrees with the implicit one" -- \
    "$KILN" run --engine "$T/lenet_p.engine" --input data="$T/in2.npy" --expect prob="$T/out2.npy" --rtol 1e-4 --atol 1e-5
expect 2 "'data' shape \[5,1,28,28\] is outside optimization profile 0 .*dimension 0 must lie in \[1, 4\]" \
    "run --shapes outside the profile" -- "$KILN" run --engine "$T/lenet_p.engine" --shapes data:5x1x28x28
expect 2 "expected NAME:DIMS" "malformed --shapes" -- "$KILN" run --engine "$T/lenet_p.engine" --shapes data:3x1xx28
expect 2 "no input named 'nosuch'" "--shapes names no input" -- \
    "$KILN" run --engine "$T/lenet_p.engine" --shapes nosuch:1x1x28x28
expect 2 "given twice" "--shapes repeats an input" -- \
    "$KILN" run --engine "$T/lenet_p.engine" --shapes data:1x1x28x28,data:2x1x28x28
expect 0 "profile: +data min \[1,1,28,28\] opt \[2,1,28,28\] max \[2,1,28,28\]" \
    "a missing --max-shapes takes --opt-shapes (as trtexec)" -- \
    "$KILN" build --sample mnist --weights "$T/lenet.wts" --explicit-batch --min-shapes data:1x1x28x28 \
    --opt-shapes data:2x1x28x28 --save "$T/x.engine"
expect 0 "p99" "bench --shapes" -- \
    "$KILN" bench --engine "$T/lenet_p.engine" --shapes data:4x1x28x28 --iterations 3 --warmup 0
expect 0 "" "inspect --json lists the profile's ranges" -- bash -c "'$KILN' inspect --engine '$T/lenet_p.engine' --json | python3 -c '
import json, sys
p = json.load(sys.stdin)[\"engine\"][\"profiles\"]
assert len(p) == 1 and p[0][\"inputs\"][0][\"name\"] == \"data\", p
assert p[0][\"inputs\"][0][\"min\"] == [1, 1, 28, 28] and p[0][\"inputs\"][0][\"max\"] == [4, 1, 28, 28], p
'"

echo "== inspect"
expect 0 "" "inspect --json parses" -- bash -c "'$KILN' inspect --engine '$T/lenet.engine' --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d[\"engine\"][\"layers\"], d
names = {b[\"name\"]: b for b in d[\"bindings\"]}
assert names[\"data\"][\"io\"] == \"input\" and names[\"data\"][\"dims\"][1:] == [1, 28, 28], names
assert names[\"prob\"][\"io\"] == \"output\" and d[\"device_memory_bytes\"] > 0, d
'"
expect 0 "device memory: [0-9]+ bytes" "inspect text" -- "$KILN" inspect --engine "$T/lenet_x.engine"

echo "== bench"
expect 0 "throughput: .* inferences/s" "bench --threads 2" -- \
    "$KILN" bench --engine "$T/lenet.engine" --threads 2 --iterations 20 --warmup 2 --batch 4 --json "$T/bench.json"
expect 0 "" "bench --json has the fields" -- python3 -c "
import json
d = json.load(open('$T/bench.json'))
assert d['threads'] == 2 and d['batch'] == 4, d
l = d['latency_ms']
assert 0 < l['min'] <= l['median'] <= l['p90'] <= l['p99'] <= l['max'], l
assert d['throughput']['items_per_s'] > d['throughput']['inferences_per_s'] > 0, d
"
expect 0 "p99" "bench explicit-batch engine" -- "$KILN" bench --engine "$T/lenet_x.engine" --iterations 5 --warmup 0

echo "== bad input"
head -c 1000 "$T/lenet.engine" >"$T/truncated.engine"
: >"$T/empty.engine"
head -c 5000 /dev/urandom >"$T/garbage.engine"
expect 2 "no such file" "missing engine file" -- "$KILN" run --engine "$T/missing.engine"
expect 2 "not a loadable kiln engine" "truncated engine" -- "$KILN" run --engine "$T/truncated.engine"
expect 2 "empty" "empty engine file" -- "$KILN" inspect --engine "$T/empty.engine"
expect 2 "not a loadable kiln engine" "garbage engine" -- "$KILN" bench --engine "$T/garbage.engine"
expect 2 "no input named 'nosuch'" "unknown tensor name in --input" -- \
    "$KILN" run --engine "$T/lenet.engine" --input nosuch="$T/in2.npy"
expect 2 "is an output" "--input names an output" -- "$KILN" run --engine "$T/lenet.engine" --input prob="$T/in2.npy"
expect 2 "no output named 'nosuch'" "unknown tensor name in --expect" -- \
    "$KILN" run --engine "$T/lenet.engine" --expect nosuch="$T/prob.npy"
expect 2 "shape \[2,1,27,28\]" "wrong input shape (implicit batch)" -- \
    "$KILN" run --engine "$T/lenet.engine" --input data="$T/bad_shape.npy"
expect 2 "shape \[2,1,27,28\]" "wrong input shape (explicit batch)" -- \
    "$KILN" run --engine "$T/lenet_x.engine" --input data="$T/bad_shape.npy"
expect 2 "i32 values, the engine expects f32" "wrong input type" -- \
    "$KILN" run --engine "$T/lenet.engine" --input data="$T/in2_i32.npy"
expect 2 "outside \[1, 8\]" "batch over the engine's maximum" -- "$KILN" run --engine "$T/lenet.engine" --input data="$T/in9.npy"
expect 2 "refused shape" "explicit batch over the profile" -- "$KILN" run --engine "$T/lenet_x.engine" --input data="$T/in9.npy"
expect 2 "differs" "--batch disagrees with the file" -- "$KILN" run --engine "$T/lenet.engine" --input data="$T/in2.npy" --batch 3
expect 2 "expected NAME=FILE" "malformed --input" -- "$KILN" run --engine "$T/lenet.engine" --input "$T/in2.npy"
expect 2 "[Nn]o such file" "missing input file" -- "$KILN" run --engine "$T/lenet.engine" --input data="$T/nope.npy"
expect 2 "" "corrupt input file" -- "$KILN" run --engine "$T/lenet.engine" --input data="$T/truncated.engine"
expect 2 "\.npy or \.pb" "unknown --output extension" -- "$KILN" run --engine "$T/lenet.engine" --output prob="$T/x.txt"
expect 2 "unknown model format" "non-ONNX model file argument" -- "$KILN" build model.caffemodel --save "$T/x.engine"
if ! nvidia-smi -L >/dev/null 2>&1; then  # with a GPU (and a CUDA build) the CUDA build succeeds
expect 2 "CUDA" "--backend cuda without CUDA" -- \
    "$KILN" build --sample mnist --weights "$T/lenet.wts" --backend cuda --save "$T/x.engine"
fi
expect 2 "no such file|not a readable file" "missing weights" -- \
    "$KILN" build --sample mnist --weights "$T/none.wts" --save "$T/x.engine"
expect 2 "" "truncated weights" -- bash -c "head -c 3000 '$T/lenet.wts' >'$T/short.wts' &&
    '$KILN' build --sample mnist --weights '$T/short.wts' --save '$T/x.engine'"
expect 2 "--save" "build without --save" -- "$KILN" build --sample mnist --weights "$T/lenet.wts"
expect 0 "saved" "build --timing-cache writes the cache" -- \
    "$KILN" build --sample mnist --weights "$T/lenet.wts" --backend cpu --save "$T/tc1.engine" --timing-cache "$T/lenet.tc"
expect 0 "" "a rebuild with the timing cache is byte-identical" -- bash -c "head -1 '$T/lenet.tc' | grep -q kiln-timing-cache &&
    '$KILN' build --sample mnist --weights '$T/lenet.wts' --backend cpu --save '$T/tc2.engine' --timing-cache '$T/lenet.tc' &&
    cmp '$T/tc1.engine' '$T/tc2.engine'"
expect 2 "not a kiln timing cache" "build refuses a bad --timing-cache" -- bash -c "echo garbage >'$T/bad.tc' &&
    '$KILN' build --sample mnist --weights '$T/lenet.wts' --save '$T/x.engine' --timing-cache '$T/bad.tc'"
expect 2 "" "unknown flag" -- "$KILN" run --engine "$T/lenet.engine" --frobnicate
expect 2 "" "no subcommand" -- "$KILN"
expect 2 "" "bench --threads 0" -- "$KILN" bench --engine "$T/lenet.engine" --threads 0

echo "== ONNX"
if "$KILN" inspect --onnx "$T/none.onnx" 2>&1 | grep -q "without the ONNX parser"; then
    echo "skip: the ONNX checks: this kiln was built without the ONNX parser (kiln_onnx needs protobuf)"
else
    py onnx "$T/relu.onnx" relu
    py onnx "$T/batch.onnx" batch
    py onnx "$T/unsupported.onnx" unsupported
    py onnx "$T/dangling.onnx" dangling
    py images "$T/x2388.npy" "[2,3,8,8]" 5
    py relu_ref "$T/x2388.npy" "$T/y2388.npy"
    py images "$T/x3355.npy" "[3,3,5,5]" 6
    py relu_ref "$T/x3355.npy" "$T/y3355.npy"
    expect 2 "input 'x' has dynamic dims \[-1,3,-1,-1\]: give its range with --min-shapes" \
        "dynamic dims without shape flags are an error naming the input" -- \
        "$KILN" build --onnx "$T/relu.onnx" --save "$T/relu.engine"
    expect 0 "profile: +x min \[1,3,4,4\] opt \[2,3,8,8\] max \[4,3,16,16\]" "build --onnx with shape ranges" -- \
        "$KILN" build --onnx "$T/relu.onnx" --save "$T/relu.engine" --opt-level 0 --workspace 8 \
        --min-shapes x:1x3x4x4 --opt-shapes x:2x3x8x8 --max-shapes x:4x3x16x16
    expect 0 "y: max abs err .* -> OK" "the saved dynamic engine runs a shape inside its range" -- \
        "$KILN" run --engine "$T/relu.engine" --input x="$T/x2388.npy" --expect y="$T/y2388.npy"
    py images "$T/x5388.npy" "[5,3,8,8]" 7
    expect 2 "refused shape" "... and refuses one outside it" -- \
        "$KILN" run --engine "$T/relu.engine" --input x="$T/x5388.npy"
    expect 0 "y: max abs err .* -> OK" "run --onnx pins dynamic dims to the input file's shape" -- \
        "$KILN" run --onnx "$T/relu.onnx" --input x="$T/x3355.npy" --expect y="$T/y3355.npy"
    expect 0 "profile: +x min \[1,4\] opt \[8,4\] max \[8,4\]" "a dynamic batch defaults to [1, --max-batch]" -- \
        "$KILN" build "$T/batch.onnx" --max-batch 8 --save "$T/batch.engine"
    expect 2 "\[1,3,4\] from the shape flags does not fit" "a shape of the wrong rank" -- \
        "$KILN" build --onnx "$T/relu.onnx" --save "$T/x.engine" --opt-shapes x:1x3x4
    expect 2 "min <= opt <= max" "min above max" -- \
        "$KILN" build --onnx "$T/relu.onnx" --save "$T/x.engine" --min-shapes x:4x3x8x8 --max-shapes x:2x3x8x8
    expect 2 "not an input of the network \(inputs: x\)" "a shape for an unknown input" -- \
        "$KILN" build --onnx "$T/relu.onnx" --save "$T/x.engine" --opt-shapes nosuch:1x3x4x4
    expect 2 "expected NAME:DIMS" "malformed shape flag" -- \
        "$KILN" build --onnx "$T/relu.onnx" --save "$T/x.engine" --opt-shapes x:1x3xfourx4
    expect 2 "node 1 'mystery' \(FrobnicateOp\): no converter" "an unsupported op names the node, index and op" -- \
        "$KILN" build --onnx "$T/unsupported.onnx" --save "$T/x.engine"
    expect 2 "node 1 'bad_add' \(Add\): .*'ghost'" "a dangling input names the node" -- \
        "$KILN" run --onnx "$T/dangling.onnx"
    expect 2 "not a valid ONNX" "truncated model" -- bash -c "head -c 40 '$T/unsupported.onnx' >'$T/trunc.onnx' &&
        '$KILN' run --onnx '$T/trunc.onnx'"
    expect 2 "no such file|cannot open" "missing model" -- "$KILN" build --onnx "$T/none.onnx" --save "$T/x.engine"
    expect 2 "excludes|Excludes" "--engine and --onnx together" -- \
        "$KILN" run --engine "$T/relu.engine" --onnx "$T/relu.onnx"
    expect 2 "apply to --onnx only" "build flags with an engine file" -- \
        "$KILN" run --engine "$T/relu.engine" --fp16 --input x="$T/x2388.npy"
    expect 2 "--engine FILE or --onnx MODEL" "neither --engine nor --onnx" -- "$KILN" bench

    MNIST=${SHARED:+$SHARED/models/mnist-cnn}
    if [ -z "$MNIST" ] || [ ! -f "$MNIST/model.onnx" ]; then
        echo "skip: mnist-cnn checks: no shared data (${SHARED:-SHARED_DATA_DIR not given}/models/mnist-cnn)"
    else
        echo "== ONNX mnist-cnn against its three reference outputs"
        for s in 0 1 2; do
            D=$MNIST/test_data_set_$s
            C=$(py pb_argmax "$D/output_0.pb")
            expect 0 "Plus214_Output_0: max abs err .* -> OK" "run --onnx mnist-cnn set $s within rtol 1e-4" -- \
                "$KILN" run --onnx "$MNIST/model.onnx" --input Input3="$D/input_0.pb" \
                --expect Plus214_Output_0="$D/output_0.pb" --rtol 1e-4
            cp "$OUT" "$T/mnist_run_$s.txt"
            expect 0 "Plus214_Output_0: predicted class $C \(expected $C\)$" \
                "set $s: the predicted class is the reference's argmax ($C)" -- cat "$T/mnist_run_$s.txt"
        done
        expect 0 "saved" "build --onnx mnist-cnn" -- "$KILN" build --onnx "$MNIST/model.onnx" --save "$T/mnist.engine"
        expect 0 "-> OK" "the saved engine reproduces set 1" -- "$KILN" run --engine "$T/mnist.engine" \
            --input Input3="$MNIST/test_data_set_1/input_0.pb" \
            --expect Plus214_Output_0="$MNIST/test_data_set_1/output_0.pb" --rtol 1e-4
        expect 1 "-> MISMATCH" "another set's reference does not match" -- "$KILN" run --onnx "$MNIST/model.onnx" \
            --input Input3="$MNIST/test_data_set_0/input_0.pb" \
            --expect Plus214_Output_0="$MNIST/test_data_set_1/output_0.pb" --rtol 1e-4
        expect 0 "" "inspect --onnx --json parses" -- bash -c "'$KILN' inspect --onnx '$MNIST/model.onnx' --json |
            python3 -c 'import json, sys; d = json.load(sys.stdin); assert d[\"layers\"] > 0, d'"
        expect 0 "throughput: .* inferences/s" "bench --onnx" -- \
            "$KILN" bench --onnx "$MNIST/model.onnx" --iterations 5 --warmup 1 --opt-level 0
    fi
fi

if [ -n "$DATA" ] && [ -f "$DATA/lenet5_fashion.wts" ] && [ -f "$DATA/reference.txt" ]; then
    echo "== trained LeNet-5 against the PyTorch reference"
    N=$(py mnist "$DATA" "$T/images.npy" "$T/reference.npy")
    expect 0 "saved" "build with the bundled weights" -- \
        "$KILN" build --sample mnist --weights "$DATA/lenet5_fashion.wts" --max-batch "$N" --save "$T/fashion.engine"
    expect 0 "-> OK" "probabilities match reference.txt within 1e-4" -- \
        "$KILN" run --engine "$T/fashion.engine" --input data="$T/images.npy" --expect prob="$T/reference.npy" \
        --atol 1e-4 --rtol 0
fi

if [ "$FAILED" -ne 0 ]; then
    echo "cli_test: $FAILED check(s) failed"
    exit 1
fi
echo "cli_test: all checks passed"
