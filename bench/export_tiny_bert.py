#!/usr/bin/env python3
"""A two-layer, 64-wide BERT exported exactly as bench/run_dynamic.py exports
BERT-base (same code path, dynamic batch and sequence axes), with batch-1 and
batch-8 inputs as .npy: a few-MB model that reproduces BERT export problems
on a machine without PyTorch.   python3 bench/export_tiny_bert.py OUT_DIR"""
import os
import sys

import numpy as np
import transformers

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run_dynamic  # noqa: E402
from run_models import make_inputs  # noqa: E402


class TinyConfig(transformers.BertConfig):
    def __init__(self, **kw):
        super().__init__(hidden_size=64, num_hidden_layers=2, num_attention_heads=2, intermediate_size=128, **kw)


transformers.BertConfig = TinyConfig  # build_model imports it at call time
out = sys.argv[1]
os.makedirs(out, exist_ok=True)
run_dynamic.export("bert_base", os.path.join(out, "tiny_bert.onnx"), [1])
for b in (1, 8):
    for k, v in make_inputs("bert_base", b, 1000 + b).items():
        np.save(os.path.join(out, f"tiny_b{b}_{k}.npy"), v.numpy())
