#!/usr/bin/env python3
"""Dynamic-shape engines against static ones on the GPU machine (issue 5).

For ResNet-50 (batch 1..128) and BERT-base (batch 1..128, sequence 16..512),
exported once with dynamic axes: one FP16 kiln engine built for the whole
range (opt at batch 32, sequence 128) is timed at batch 1, 8, 32 and 128
(sequence 128) against an engine built for exactly that shape, both by
kiln_model_bench (CUDA events, median, with and without CUDA graph replay).
Both engines' outputs are compared with each other and with PyTorch's
float64 reference on the same inputs. Target: the dynamic engine within 10%
of the static one at every point. Rows go to OUT/<date>-gpu-dynamic.md/.json.

  python3 bench/run_dynamic.py --kiln build-gpu/bench/kiln_model_bench --out OUT [--models resnet50,bert_base]
"""
import argparse
import datetime
import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run_models import SEQ, build_model, make_inputs, rel_l2  # noqa: E402

BATCHES = (1, 8, 32, 128)
RANGES = {  # per input: (min, opt, max) shapes of the dynamic engine
    "resnet50": {"input": ((1, 3, 224, 224), (32, 3, 224, 224), (128, 3, 224, 224))},
    "bert_base": {n: ((1, 16), (32, SEQ), (128, 512)) for n in ("input_ids", "attention_mask", "token_type_ids")},
}
TARGET = 1.10  # dynamic / static


def dims(shape):
    return "x".join(str(d) for d in shape)


def export(name, path, batches):
    """References for every batch (float64 on the GPU, computed before the
    export: the legacy exporter changes later eager runs, BENCHMARKING.md),
    then the model with dynamic batch (and sequence) axes."""
    import copy

    import torch

    model = build_model(name)
    ref_model = copy.deepcopy(model).double().cuda()
    refs = {}
    with torch.no_grad():
        for b in batches:
            inputs = make_inputs(name, b, 1000 + b)
            r = ref_model(*[v.cuda().double() if v.is_floating_point() else v.cuda() for v in inputs.values()])
            refs[b] = [t.cpu().numpy() for t in (r if isinstance(r, tuple) else (r,))]
    del ref_model
    torch.cuda.empty_cache()
    inputs = make_inputs(name, 2, 1)
    axes = {n: {0: "batch", 1: "seq"} if name == "bert_base" else {0: "batch"} for n in inputs}
    outs = ["last_hidden_state", "pooler_output"] if name == "bert_base" else ["output"]
    for o in outs:
        axes[o] = {0: "batch", 1: "seq"} if o == "last_hidden_state" else {0: "batch"}
    with torch.enable_grad():  # no_grad would take MultiheadAttention's fused path, which cannot be exported
        torch.onnx.export(model, tuple(inputs.values()), path, opset_version=17, dynamo=False,
                          input_names=list(inputs), output_names=outs, dynamic_axes=axes)
    return refs, outs


def run_bench(args, cmd):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=args.kiln_timeout)
    rows = [json.loads(line) for line in p.stdout.splitlines() if line.startswith("{")]
    if not rows:
        return {"error": f"exit {p.returncode}: {p.stderr[-300:]}"}
    return rows[0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kiln", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--work", default="/tmp/kiln-dynamic")
    ap.add_argument("--models", default="resnet50,bert_base")
    ap.add_argument("--batches", default=",".join(str(b) for b in BATCHES))
    ap.add_argument("--iters", type=int, default=50)
    ap.add_argument("--kiln-timeout", type=int, default=300)
    ap.add_argument("--profile", type=int, default=0,
                    help="N profiled runs per engine: per-layer times in WORK/<model>/<kind>/profile_fp16.txt, "
                         "copied to OUT/profile-<model>-b<batch>-<kind>.txt")
    args = ap.parse_args()
    import numpy as np

    os.makedirs(args.out, exist_ok=True)
    stem = os.path.join(args.out, f"{datetime.date.today()}-gpu-dynamic")
    rows = []
    for name in args.models.split(","):
        work = os.path.join(args.work, name)
        os.makedirs(work, exist_ok=True)
        onnx_path = os.path.join(work, "model.onnx")
        batches = [int(x) for x in args.batches.split(",")]
        refs, out_names = export(name, onnx_path, batches)
        profile = []
        for inp, (lo, opt, hi) in RANGES[name].items():
            profile += ["--profile-shapes", f"{inp}={dims(lo)}:{dims(opt)}:{dims(hi)}"]
        for b in batches:
            inputs = make_inputs(name, b, 1000 + b)  # the same draws the references used
            in_args = []
            for k, v in inputs.items():
                p = os.path.join(work, f"in_{k}.npy")
                np.save(p, v.numpy())
                in_args += ["--in", f"{k}={p}"]
            ref = refs[b]
            result = {}
            for kind, extra in (("static", []), ("dynamic", profile)):
                out_dir = os.path.join(work, kind)
                os.makedirs(out_dir, exist_ok=True)
                cmd = [args.kiln, "--model", onnx_path, "--precision", "fp16", "--out-dir", out_dir,
                       "--iters", str(args.iters), "--warmup", "10"] + in_args + extra
                if args.profile:
                    cmd += ["--profile", str(args.profile)]
                result[kind] = run_bench(args, cmd)
                prof = os.path.join(out_dir, "profile_fp16.txt")
                if args.profile and os.path.exists(prof):
                    shutil.copy(prof, os.path.join(args.out, f"profile-{name}-b{b}-{kind}.txt"))
            row = {"model": name, "batch": b, "seq": SEQ if name == "bert_base" else None}
            outs = {}
            for kind, r in result.items():
                if "error" in r and "outputs" not in r:
                    row[f"{kind}_error"] = r["error"][:300]
                    continue
                row[f"{kind}_ms"] = r.get("ms")
                row[f"{kind}_graph_ms"] = r.get("ms_graph")
                row[f"{kind}_build_s"] = r.get("build_cold_s")
                outs[kind] = {o["name"]: np.load(o["file"]) for o in r.get("outputs", [])}
                errs = [rel_l2(outs[kind].get(n), ref[i])[0] for i, n in enumerate(out_names) if n in outs[kind]]
                row[f"{kind}_err"] = max((e for e in errs if e is not None), default=None)
            if "static" in outs and "dynamic" in outs:
                diffs = [rel_l2(outs["dynamic"][n], outs["static"][n])[0] for n in out_names
                         if n in outs["dynamic"] and n in outs["static"]]
                row["dynamic_vs_static_err"] = max((d for d in diffs if d is not None), default=None)
            if row.get("static_graph_ms") and row.get("dynamic_graph_ms"):
                row["ratio"] = row["dynamic_graph_ms"] / row["static_graph_ms"]
                row["ok"] = row["ratio"] <= TARGET and (row.get("dynamic_err") or 1) <= 1e-2
            print("ROW " + json.dumps(row), flush=True)
            rows.append(row)
            with open(stem + ".json", "w") as f:
                json.dump(rows, f, indent=1)
            write_table(stem + ".md", rows)
        for f in os.listdir(work):
            path = os.path.join(work, f)
            if os.path.isfile(path):
                os.remove(path)


def write_table(path, rows):
    def f(v, fmt="{:.3f}"):
        return "" if v is None else fmt.format(v)

    lines = ["# kiln dynamic-shape engines vs static ones (FP16, H200)", "",
             "One engine per model built for the whole range (ResNet-50: batch 1..128, opt 32; BERT-base: batch "
             "1..128, sequence 16..512, opt 32x128), timed at each point against an engine built for that shape "
             "alone. ms: median of kiln_model_bench's CUDA-event timings; graph: CUDA graph replay. ratio: dynamic "
             f"graph ms / static graph ms (target <= {TARGET:.2f}). err: relative L2 against PyTorch in float64.", "",
             "| model | batch | seq | static ms | static graph ms | dynamic ms | dynamic graph ms | ratio | "
             "static err | dynamic err | dyn vs static | ok | note |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        note = "; ".join(r[k] for k in ("static_error", "dynamic_error") if k in r)
        lines.append(f"| {r['model']} | {r['batch']} | {r['seq'] or ''} | {f(r.get('static_ms'))} | "
                     f"{f(r.get('static_graph_ms'))} | {f(r.get('dynamic_ms'))} | {f(r.get('dynamic_graph_ms'))} | "
                     f"{f(r.get('ratio'), '{:.2f}')} | {f(r.get('static_err'), '{:.2e}')} | "
                     f"{f(r.get('dynamic_err'), '{:.2e}')} | {f(r.get('dynamic_vs_static_err'), '{:.2e}')} | "
                     f"{'yes' if r.get('ok') else '**NO**'} | {note} |")
    with open(path, "w") as fh:
        fh.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
