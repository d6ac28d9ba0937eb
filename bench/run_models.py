#!/usr/bin/env python3
"""kiln vs PyTorch on four models, on the GPU machine (issue 4).

For each model and batch size (one child process each, so that no exporter
state leaks from one model into the next): builds the model with random
weights (seed 0), draws fresh random inputs (never zeros), computes the
reference in float64 on the GPU and PyTorch's float32 output, times PyTorch
eager in FP32 and FP16 (and torch.compile(mode="max-autotune") in FP16 where
asked) with CUDA events, and only then exports to ONNX (opset 17,
dynamo=False: BENCHMARKING.md). kiln_model_bench then builds kiln engines in
FP32 and FP16 (cold and with a warm timing cache), writes their outputs and
times them; this script checks them against the reference (relative L2
<= 1e-3 FP32, <= 1e-2 FP16) and appends one row per model/batch/precision to
rows.jsonl, regenerating the Markdown table and the JSON file after each row.

  python3 bench/run_models.py --kiln build-gpu/bench/kiln_model_bench --out OUT \
      [--models resnet50,mobilenet_v2,vit_b_16,bert_base] [--compile resnet50:1,resnet50:128]
"""
import argparse
import datetime
import json
import os
import secrets
import subprocess
import sys
import time

# Layers the FP16 engine keeps in float32 (kiln_model_bench --fp32-layers), as
# TensorRT users pin precision-sensitive layers: MobileNetV2 with these random
# weights amplifies float16 rounding in its first blocks (PyTorch's own FP16
# error is 1.7e-2); blocks 0-2 in float32 take kiln's to 7.5e-3 on the H200
# (bench/results/2026-12-03-gpu-precision-mobilenet_v2-run*.md). --no-fp32-layers: none.
FP32_LAYERS = {
    "mobilenet_v2": ["/features/features.0/", "/features/features.1/", "/features/features.2/"],
}

MODELS = {  # name -> batch sizes (issue 4)
    "resnet50": (1, 128),
    "mobilenet_v2": (1, 128),
    "vit_b_16": (1, 128),
    "bert_base": (1, 32),
}
TOLERANCE = {"fp32": 1e-3, "fp16": 1e-2}
SEQ = 128  # BERT sequence length


# ---------------------------------------------------------------- the table


def fmt(v, digits=3):
    if v is None or v == "":
        return ""
    if isinstance(v, float):
        return f"{v:.{digits}f}" if abs(v) < 1e4 else f"{v:,.0f}"
    return str(v)


def write_tables(out, meta):
    rows = []
    path = os.path.join(meta["work"], "rows.jsonl")
    if os.path.exists(path):
        with open(path) as f:
            rows = [json.loads(line) for line in f if line.strip()]
    with open(os.path.join(out, meta["stem"] + ".json"), "w") as f:
        json.dump({"meta": meta, "rows": rows}, f, indent=1)
    lines = [
        f"# kiln vs PyTorch on {meta.get('gpu', '?')} ({meta['date']})",
        "",
        f"torch {meta.get('torch', '?')}, CUDA events, median of {meta['iters']} runs after warm-up; "
        "random weights (seed 0), fresh random inputs per run; reference: the PyTorch model in float64 on the GPU "
        "(torch err: PyTorch eager's own error at that precision). "
        "ms = one inference of the whole batch. kiln graph = CUDA graph replay. x eager / x compile = PyTorch's "
        "time over kiln's best (graph) time: above 1 means kiln is faster. Build: cold / with the warm timing cache "
        "(identical = the two engines serialize to the same bytes).",
        "",
        "| model | batch | prec | rel L2 err | torch err | ok | kiln ms | kiln graph ms | eager ms | compile ms (compile s) "
        "| x eager | x compile | kiln items/s | build cold s | build warm s | identical | note | run |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        best = min([t for t in (r.get("kiln_ms"), r.get("kiln_graph_ms")) if t], default=None)
        eager, comp = r.get("eager_ms"), r.get("compile_ms")
        compile_cell = f"{fmt(comp)} ({fmt(r.get('compile_s'), 0)})" if comp else ""
        lines.append(
            "| "
            + " | ".join(
                [
                    r["model"],
                    str(r["batch"]),
                    r["precision"],
                    f"{r['rel_err']:.2e}" if r.get("rel_err") is not None else "",
                    f"{r['torch_err']:.2e}" if r.get("torch_err") is not None else "",
                    {True: "yes", False: "**NO**", None: ""}[r.get("ok")],
                    fmt(r.get("kiln_ms")),
                    fmt(r.get("kiln_graph_ms")),
                    fmt(eager),
                    compile_cell,
                    fmt(eager / best, 2) if eager and best else "",
                    fmt(comp / best, 2) if comp and best else "",
                    fmt(r["batch"] * 1000.0 / best, 0) if best else "",
                    fmt(r.get("build_cold_s"), 1),
                    fmt(r.get("build_warm_s"), 1),
                    {True: "yes", False: "no", None: ""}[r.get("identical")],
                    (r.get("note") or "").replace("|", "/")[:300],
                    str(r.get("run", "")),
                ]
            )
            + " |"
        )
    lines += ["", "Notes:", ""] + [f"- {n}" for n in meta.get("notes", [])]
    with open(os.path.join(out, meta["stem"] + ".md"), "w") as f:
        f.write("\n".join(lines) + "\n")


def add_row(out, meta, row):
    with open(os.path.join(meta["work"], "rows.jsonl"), "a") as f:
        f.write(json.dumps(row) + "\n")
    write_tables(out, meta)
    print("ROW " + json.dumps(row), flush=True)


# ---------------------------------------------------------------- one model


def build_model(name):
    import torch

    torch.manual_seed(0)
    if name == "bert_base":
        from transformers import BertConfig, BertModel

        bert = BertModel(BertConfig())

        class Bert(torch.nn.Module):  # plain tensors in and out, for the exporter
            def __init__(self, m):
                super().__init__()
                self.m = m

            def forward(self, input_ids, attention_mask, token_type_ids):
                o = self.m(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
                return o.last_hidden_state, o.pooler_output

        return Bert(bert).eval()
    import torchvision

    m = getattr(torchvision.models, name)(weights=None)
    if name == "vit_b_16":
        # torchvision zero-initializes the head: every engine would "match" on zeros.
        m.heads.head.reset_parameters()
    if name == "mobilenet_v2":
        # Its default init (Kaiming fan_out counts all output channels of a
        # depthwise conv) shrinks the activations ~sqrt(C)-fold per block: with
        # identity BatchNorm statistics the logits end near 1e-20, under
        # float16's range, so every FP16 engine (PyTorch's too) "fails" (seen
        # 2026-12-02). BatchNorm statistics from random images (cumulative
        # average over 4 batches of 16) keep the activations O(1), as trained
        # statistics would.
        g = torch.Generator().manual_seed(1)
        m.train()
        for bn in m.modules():
            if isinstance(bn, torch.nn.BatchNorm2d):
                bn.reset_running_stats()
                bn.momentum = None
        with torch.no_grad():
            for _ in range(4):
                m(torch.randn(16, 3, 224, 224, generator=g))
    return m.eval()


def make_inputs(name, batch, seed):
    import torch

    g = torch.Generator().manual_seed(seed)
    if name == "bert_base":
        ids = torch.randint(1, 30522, (batch, SEQ), generator=g)
        lengths = torch.randint(SEQ // 2, SEQ + 1, (batch,), generator=g)
        mask = (torch.arange(SEQ)[None, :] < lengths[:, None]).long()
        types = torch.randint(0, 2, (batch, SEQ), generator=g)
        return {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
    return {"input": torch.randn(batch, 3, 224, 224, generator=g)}


def cuda_time(fn, warmup, iters):
    """Median milliseconds of fn() with CUDA events around each call."""
    import torch

    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(iters):
        e0, e1 = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        e0.record()
        fn()
        e1.record()
        e1.synchronize()
        times.append(e0.elapsed_time(e1))
    times.sort()
    return times[len(times) // 2]


def rel_l2(got, ref):
    import numpy as np

    got, ref = np.asarray(got, np.float64), np.asarray(ref, np.float64)
    if got.shape != ref.shape:
        return None, f"shape {got.shape} != {ref.shape}"
    if not np.isfinite(got).all():
        return float("inf"), f"{int((~np.isfinite(got)).sum())} non-finite elements"
    return float(np.linalg.norm(got - ref) / max(np.linalg.norm(ref), 1e-300)), ""


def run_one(args, name, batch, meta):
    import copy

    import numpy as np
    import torch

    torch.backends.cuda.matmul.allow_tf32 = False  # float32 means float32, as in kiln without kTF32
    torch.backends.cudnn.allow_tf32 = False
    work = os.path.join(args.work, f"{name}_b{batch}")
    os.makedirs(work, exist_ok=True)
    seed = secrets.randbits(31)
    base = {"model": name, "batch": batch, "input_seed": seed, "run": meta.get("run", "")}
    notes = []
    t0 = time.time()
    model = build_model(name)
    inputs = make_inputs(name, batch, seed)
    out_names = ["last_hidden_state", "pooler_output"] if name == "bert_base" else ["output"]
    dev = torch.device("cuda")

    def call(m, dtype):  # positional: torchvision's forward takes x, the BERT wrapper its three inputs in order
        xs = [v.to(dev, dtype) if v.is_floating_point() else v.to(dev) for v in inputs.values()]
        return lambda: m(*xs)

    m64 = copy.deepcopy(model).double().to(dev)
    m16 = copy.deepcopy(model).half().to(dev)
    with torch.no_grad():
        refs = call(m64, torch.float64)()
        refs = [r.cpu().numpy() for r in (refs if isinstance(refs, tuple) else (refs,))]
        del m64
        base["ref_rms"] = [float(np.sqrt(np.mean(r.astype(np.float64) ** 2))) for r in refs]
        for r in refs:
            if not np.isfinite(r).all() or float(np.std(r)) < 1e-6:
                notes.append("reference output is degenerate (non-finite or constant)")
        m32 = model.to(dev)
        o32 = call(m32, torch.float32)()
        o32 = [o.cpu().numpy() for o in (o32 if isinstance(o32, tuple) else (o32,))]
        torch_err = max(rel_l2(o, r)[0] or 0.0 for o, r in zip(o32, refs))
        eager = {"fp32": cuda_time(call(m32, torch.float32), args.warmup, args.iters)}
        o16 = call(m16, torch.float16)()
        o16 = [o.float().cpu().numpy() for o in (o16 if isinstance(o16, tuple) else (o16,))]
        torch16_err = max(rel_l2(o, r)[0] or 0.0 for o, r in zip(o16, refs))
        eager["fp16"] = cuda_time(call(m16, torch.float16), args.warmup, args.iters)
    print(f"[{name} b{batch}] torch ready in {time.time() - t0:.1f} s: eager fp32 {eager['fp32']:.3f} ms, "
          f"fp16 {eager['fp16']:.3f} ms; torch fp32/fp16 err {torch_err:.2e}/{torch16_err:.2e}", flush=True)
    compiled = {}
    if f"{name}:{batch}" in args.compile:
        try:
            torch._dynamo.reset()
            mc = torch.compile(m16, mode="max-autotune")
            fn = call(mc, torch.float16)
            tc = time.time()
            with torch.no_grad():
                fn()
                torch.cuda.synchronize()
                compiled["compile_s"] = time.time() - tc
                compiled["compile_ms"] = cuda_time(fn, args.warmup, args.iters)
            print(f"[{name} b{batch}] torch.compile: {compiled['compile_s']:.0f} s, {compiled['compile_ms']:.3f} ms",
                  flush=True)
        except Exception as e:  # recorded, not fatal
            compiled["compile_note"] = f"torch.compile failed: {type(e).__name__}: {str(e)[:200]}"
    del m16

    # Export last: the legacy exporter leaves state that changes later eager runs (BENCHMARKING.md).
    onnx_path = os.path.join(work, "model.onnx")
    t1 = time.time()
    cpu_inputs = tuple(inputs[k] for k in inputs)
    # With gradients on: under no_grad nn.MultiheadAttention (ViT) takes its fused
    # fast path, which the exporter cannot write (seen 2026-12-02).
    with torch.enable_grad():
        torch.onnx.export(model.cpu(), cpu_inputs, onnx_path, opset_version=17, dynamo=False,
                          input_names=list(inputs), output_names=out_names)
    export_s = time.time() - t1
    del model, m32
    torch.cuda.empty_cache()
    in_args = []
    for k, v in inputs.items():
        p = os.path.join(work, f"in_{k}.npy")
        np.save(p, v.numpy())
        in_args += ["--in", f"{k}={p}"]

    cmd = [args.kiln, "--model", onnx_path, "--precision", args.precision, "--out-dir", work,
           "--timing-cache", os.path.join(work, "timing_cache"),
           "--iters", str(args.iters), "--warmup", str(args.warmup)] + in_args
    if args.profile:
        cmd += ["--profile", str(args.profile)]
    for p in args.enable_pass:
        cmd += ["--enable-pass", p]
    islands = [] if args.no_fp32_layers else FP32_LAYERS.get(name, [])
    if islands:
        cmd += ["--fp32-layers", ",".join(islands)]
    print(f"[{name} b{batch}] export {export_s:.1f} s; kiln: {' '.join(cmd)}", flush=True)
    results = {}
    err_text = ""
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=args.kiln_timeout)
        for line in p.stdout.splitlines():
            if line.startswith("{"):
                r = json.loads(line)
                results[r.get("precision", "?")] = r
        err_text = p.stderr[-2000:]
        if p.returncode != 0 and not results:
            err_text = f"kiln_model_bench exit {p.returncode}: " + err_text
    except subprocess.TimeoutExpired as e:
        err_text = f"kiln_model_bench timed out after {args.kiln_timeout} s"
        for line in (e.stdout or b"").decode(errors="replace").splitlines():
            if line.startswith("{"):
                r = json.loads(line)
                results[r.get("precision", "?")] = r
    if err_text.strip():
        with open(os.path.join(args.out, "kiln_stderr.log"), "a") as f:
            f.write(f"=== {name} b{batch}\n{err_text}\n")

    for prec in [p for p in ("fp32", "fp16") if p in args.precision.split(",")]:  # only what kiln was asked to build
        row = dict(base, precision=prec, eager_ms=eager[prec], torch_err=torch_err if prec == "fp32" else torch16_err,
                   export_s=export_s)
        if prec == "fp16":
            row.update({k: v for k, v in compiled.items() if k != "compile_note"})
        note = list(notes) + ([compiled["compile_note"]] if prec == "fp16" and "compile_note" in compiled else [])
        if prec == "fp16" and islands:
            note.append("float32 layers: " + ", ".join(islands))
        r = results.get(prec)
        if r is None:
            row["ok"] = False
            note.append("kiln produced no result: " + (err_text.strip().splitlines() or ["?"])[-1][:200])
        elif "error" in r and "outputs" not in r:
            row["ok"] = False
            note.append("kiln: " + r["error"][:300])
        else:
            errs = []
            for o in r["outputs"]:
                try:
                    got = np.load(o["file"])
                except Exception as e:
                    errs.append((float("inf"), f"{o['name']}: cannot load ({e})"))
                    continue
                idx = out_names.index(o["name"]) if o["name"] in out_names else None
                if idx is None:
                    errs.append((float("inf"), f"unexpected output {o['name']}"))
                    continue
                e, why = rel_l2(got, refs[idx])
                errs.append((float("inf") if e is None else e, f"{o['name']}: {why}" if why else ""))
            if len(errs) != len(out_names):
                errs.append((float("inf"), f"{len(r['outputs'])} outputs, expected {len(out_names)}"))
            row["rel_err"] = max(e for e, _ in errs)
            row["ok"] = row["rel_err"] <= TOLERANCE[prec]
            note += [w for _, w in errs if w]
            if "error" in r:
                note.append("kiln: " + r["error"][:300])
            for k_src, k_dst in (("ms", "kiln_ms"), ("ms_graph", "kiln_graph_ms"), ("build_cold_s", "build_cold_s"),
                                 ("build_warm_s", "build_warm_s"), ("parse_s", "parse_s"), ("layers", "layers")):
                if k_src in r:
                    row[k_dst] = r[k_src]
            if "identical" in r:
                row["identical"] = bool(r["identical"])
        row["note"] = "; ".join(note)
        add_row(args.out, meta, row)
    # The timing caches hold every tactic's time per layer problem: kept (one
    # file for all models) to see where kiln's time goes.
    with open(os.path.join(args.out, "timing_caches.txt"), "a") as f:
        for prec in ("fp32", "fp16"):
            path = os.path.join(work, f"timing_cache.{prec}")
            if os.path.exists(path):
                f.write(f"=== {name} batch {batch} {prec}\n" + open(path).read())
    # Per-layer profiles (--profile): one file for all models.
    if args.profile:
        with open(os.path.join(args.out, "profiles.txt"), "a") as f:
            for prec in ("fp32", "fp16"):
                path = os.path.join(work, f"profile_{prec}.txt")
                if os.path.exists(path):
                    f.write(f"=== {name} batch {batch} {prec}\n" + open(path).read())
    # The exported file and outputs are large: drop them (the machine's disk is finite).
    for f in os.listdir(work):
        os.remove(os.path.join(work, f))


# ---------------------------------------------------------------- driver


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kiln", required=True, help="path of kiln_model_bench")
    ap.add_argument("--out", required=True, help="folder for the tables and logs")
    ap.add_argument("--work", default="/tmp/kiln-bench", help="folder for the exported models and tensors")
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--batches", default="", help="e.g. 1 (default: each model's own pair)")
    ap.add_argument("--compile", default="", help="model:batch pairs timed with torch.compile, e.g. resnet50:128")
    ap.add_argument("--iters", type=int, default=100)
    ap.add_argument("--precision", default="fp32,fp16", help="kiln precisions to build and time")
    ap.add_argument("--no-fp32-layers", action="store_true",
                    help="FP16 engines with every layer in 16 bits (no FP32_LAYERS islands)")
    ap.add_argument("--enable-pass", action="append", default=[],
                    help="a kiln builder pass to turn on (repeatable; all are on by default)")
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--kiln-timeout", type=int, default=240)
    ap.add_argument("--profile", type=int, default=0,
                    help="N: also time each kiln layer over N runs (IProfiler); written to OUT/profiles.txt")
    ap.add_argument("--deadline", type=float, default=0, help="seconds after which no new model starts")
    ap.add_argument("--order", default="batch", help="'batch': every model at its first batch, then the second")
    ap.add_argument("--jobs", default="", help="explicit model:batch list, in order (overrides --models/--batches)")
    ap.add_argument("--run", default="", help="a label stored in each row (which run measured it)")
    ap.add_argument("--merge", nargs="*", default=None,
                    help="JSON files of earlier runs: write <stem>.md/.json from their rows (later files win per "
                         "model/batch/precision) and exit")
    ap.add_argument("--one", default="", help=argparse.SUPPRESS)  # child: model:batch
    ap.add_argument("--stem", default="")
    args = ap.parse_args()
    args.compile = set(x for x in args.compile.split(",") if x)
    os.makedirs(args.out, exist_ok=True)
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
    os.makedirs(args.work, exist_ok=True)
    meta_path = os.path.join(args.work, "meta.json")
    if args.merge is not None:
        rows, notes, iters = {}, [], set()
        meta = {}
        for path in args.merge:
            with open(path) as f:
                d = json.load(f)
            meta = dict(d["meta"], **{k: meta[k] for k in ("date",) if k in meta})
            iters.add(str(d["meta"].get("iters")))
            label = d["meta"].get("run") or os.path.splitext(os.path.basename(path))[0].split("-")[-1]
            notes += [(label, n) for n in d["meta"].get("notes", [])]
            for r in d["rows"]:
                if not r.get("run"):
                    r["run"] = label
                rows[(r["model"], r["batch"], r["precision"])] = r
        # A failure row ("-") or note of an earlier run gives way to measured rows of a later one.
        done = {(k[0], k[1]) for k in rows if k[2] != "-"}
        rows = {k: r for k, r in rows.items() if k[2] != "-" or (k[0], k[1]) not in done}
        notes = [f"{label}: {n}" for label, n in notes
                 if not any(n.startswith(f"{m} batch {b}:") for m, b in done)]
        meta.update(stem=args.stem or meta["stem"], work=args.work, notes=notes, iters="/".join(sorted(iters)))
        order = {n: i for i, n in enumerate(MODELS)}
        with open(os.path.join(args.work, "rows.jsonl"), "w") as f:
            for k in sorted(rows, key=lambda k: (k[1] > 1, order.get(k[0], 9), k[2] != "fp32")):
                f.write(json.dumps(rows[k]) + "\n")
        write_tables(args.out, meta)
        return
    if args.one:
        with open(meta_path) as f:
            meta = json.load(f)
        name, batch = args.one.split(":")
        try:
            run_one(args, name, int(batch), meta)
        except Exception as e:  # a row saying what broke, then the traceback in the log
            import traceback

            traceback.print_exc()
            add_row(args.out, meta, {"model": name, "batch": int(batch), "precision": "-", "ok": None,
                                     "note": f"benchmark step failed: {type(e).__name__}: {str(e)[:300]}"})
            sys.exit(1)
        return
    import torch

    if os.path.exists(os.path.join(args.work, "rows.jsonl")):
        os.remove(os.path.join(args.work, "rows.jsonl"))
    meta = {"date": date, "run": args.run, "work": args.work, "stem": args.stem or f"{date}-gpu", "iters": args.iters,
            "gpu": torch.cuda.get_device_name(0), "torch": torch.__version__,
            "notes": [f"torch.compile(mode='max-autotune') re-measured here only for: "
                      f"{', '.join(sorted(args.compile)) or 'none'}; BENCHMARKING.md has November's figures for the rest."]}
    with open(meta_path, "w") as f:
        json.dump(meta, f)
    write_tables(args.out, meta)
    start = time.time()
    names = [n for n in args.models.split(",") if n]
    jobs = []
    for i in range(2):
        for n in names:
            batches = [int(b) for b in args.batches.split(",") if b] or list(MODELS[n])
            if i < len(batches):
                jobs.append((n, batches[i]))
    if args.order != "batch":
        jobs.sort(key=lambda j: names.index(j[0]))
    if args.jobs:
        jobs = [(j.split(":")[0], int(j.split(":")[1])) for j in args.jobs.split(",") if j]
    for n, b in jobs:
        if args.deadline and time.time() - start > args.deadline:
            print(f"deadline: {n} b{b} not started", flush=True)
            meta["notes"].append(f"{n} batch {b}: not run (out of time in this run)")
            with open(meta_path, "w") as f:
                json.dump(meta, f)
            write_tables(args.out, meta)
            continue
        child = [sys.executable, os.path.abspath(__file__), "--one", f"{n}:{b}"] + [
            a for a in sys.argv[1:] if not a.startswith("--one")]
        r = subprocess.run(child)
        if r.returncode != 0:
            meta["notes"].append(f"{n} batch {b}: the child process failed with exit {r.returncode} (see the log)")
            with open(meta_path, "w") as f:
                json.dump(meta, f)
            write_tables(args.out, meta)
    print(open(os.path.join(args.out, meta["stem"] + ".md")).read(), flush=True)


if __name__ == "__main__":
    main()
