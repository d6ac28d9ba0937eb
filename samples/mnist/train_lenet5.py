#!/usr/bin/env python3
"""Trains LeNet-5 (with batch norm) on Fashion-MNIST and exports what
samples/mnist/sample_mnist needs.

    python3 train_lenet5.py --data DIR --out OUTDIR [--epochs 15] [--seed 0]

DIR holds the four idx files of Fashion-MNIST, gzipped, as the Debian package
dataset-fashion-mnist installs them (/usr/share/datasets/fashion-mnist/).
OUTDIR receives:
  lenet5_fashion.wts  the weights, TensorRT .wts text (see lenet5.h), batch
                      norm folded into per-channel scale/shift
  0.pgm .. 9.pgm      one test image per class (binary PGM, 28x28, 8-bit)
  labels.txt          the 10 class names, one per line, in label order
  reference.txt       per image: file, label, test-set index and the 10
                      softmax probabilities PyTorch computes in eval mode

Only main() needs PyTorch: the readers and writers are plain Python so that
they can be checked on a machine without it.
"""
import argparse
import gzip
import os
import struct
import sys
import time

# Input normalization, shared with sample_mnist.cpp: pixels are scaled to
# [0, 1], then standardized with the mean and standard deviation of all pixels
# of the Fashion-MNIST training set (0.2860 and 0.3530, rounded; main() prints
# the values it measures). The C++ sample must apply exactly these two steps,
# or its probabilities will not match reference.txt.
MEAN = 0.2860
STD = 0.3530

CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
           "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]

# Layer shapes, as lenet5.h documents them; export checks every tensor.
SHAPES = {
    "conv1.weight": (6, 1, 5, 5), "conv1.bias": (6,),
    "bn1.scale": (6,), "bn1.shift": (6,),
    "conv2.weight": (16, 6, 5, 5), "conv2.bias": (16,),
    "bn2.scale": (16,), "bn2.shift": (16,),
    "fc1.weight": (120, 400), "fc1.bias": (120,),
    "fc2.weight": (84, 120), "fc2.bias": (84,),
    "fc3.weight": (10, 84), "fc3.bias": (10,),
}


# ---------------------------------------------------------------- plain Python

def read_idx(path):
    """Returns (dims, bytes) of a gzipped idx file of unsigned bytes."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise ValueError(f"{path}: not an idx file of unsigned bytes")
    ndim = raw[3]
    if ndim < 1 or len(raw) < 4 + 4 * ndim:
        raise ValueError(f"{path}: truncated header")
    dims = struct.unpack(f">{ndim}I", raw[4:4 + 4 * ndim])
    count = 1
    for d in dims:
        count *= d
    data = raw[4 + 4 * ndim:]
    if len(data) != count:
        raise ValueError(f"{path}: {len(data)} data bytes, dims {dims} need {count}")
    return dims, data


def load_split(data_dir, prefix):
    """(images as bytes of n*784, labels as bytes of n) of 'train' or 't10k'."""
    idims, images = read_idx(os.path.join(data_dir, f"{prefix}-images-idx3-ubyte.gz"))
    ldims, labels = read_idx(os.path.join(data_dir, f"{prefix}-labels-idx1-ubyte.gz"))
    if len(idims) != 3 or idims[1:] != (28, 28) or len(ldims) != 1 or ldims[0] != idims[0]:
        raise ValueError(f"{data_dir}: {prefix} images {idims} and labels {ldims} do not match")
    if max(labels) > 9:
        raise ValueError(f"{data_dir}: {prefix} labels outside 0..9")
    return images, labels


def pgm_bytes(pixels):
    """Binary PGM (P5) of one 28x28 image given as 784 bytes, row-major."""
    assert len(pixels) == 28 * 28
    return b"P5\n28 28\n255\n" + bytes(pixels)


def float_hex(v):
    """Hex of the IEEE float32 bits of v (big-endian digit order, as in .wts)."""
    return struct.pack(">f", v).hex()


def wts_text(entries):
    """TensorRT .wts text of [(name, flat list of floats)], type 0 = float32."""
    lines = [str(len(entries))]
    for name, values in entries:
        lines.append(f"{name} 0 {len(values)} " + " ".join(float_hex(v) for v in values))
    return "\n".join(lines) + "\n"


def reference_text(rows):
    """rows: [(file, label, test_index, [10 probabilities])]."""
    out = ["# file label test-index p0..p9 (softmax, PyTorch eval mode, float32)"]
    for file, label, index, probs in rows:
        out.append(f"{file} {label} {index} " + " ".join(f"{p:.9g}" for p in probs))
    return "\n".join(out) + "\n"


def pick_images(labels, predictions=None):
    """Test index per class: the first test image of the class; where the model
    gets that one wrong, the first one of the class it gets right, so that the
    sample's prediction == label check tests kiln rather than the model."""
    picks = []
    for c in range(10):
        members = [i for i, y in enumerate(labels) if y == c]
        chosen = members[0]
        if predictions is not None and predictions[chosen] != c:
            chosen = next((i for i in members if predictions[i] == c), chosen)
        picks.append(chosen)
    return picks


def write_outputs(out_dir, weights, images, labels, picks, probs_of):
    """weights: [(name, flat floats)]; probs_of(index) -> 10 floats."""
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "lenet5_fashion.wts"), "w") as f:
        f.write(wts_text(weights))
    rows = []
    for c, i in enumerate(picks):
        name = f"{c}.pgm"
        with open(os.path.join(out_dir, name), "wb") as f:
            f.write(pgm_bytes(images[i * 784:(i + 1) * 784]))
        rows.append((name, labels[i], i, probs_of(i)))
    with open(os.path.join(out_dir, "labels.txt"), "w") as f:
        f.write("\n".join(CLASSES) + "\n")
    with open(os.path.join(out_dir, "reference.txt"), "w") as f:
        f.write(reference_text(rows))


# ---------------------------------------------------------------- PyTorch

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", required=True, help="directory of the Fashion-MNIST idx .gz files")
    ap.add_argument("--out", required=True, help="output directory")
    ap.add_argument("--epochs", type=int, default=15)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    # Deterministic cuBLAS needs this before CUDA starts.
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    torch.manual_seed(args.seed)
    torch.backends.cudnn.benchmark = False
    torch.backends.cudnn.deterministic = True
    torch.use_deterministic_algorithms(True, warn_only=True)
    # Plain float32 everywhere: TF32 would move the reference probabilities
    # away from what kiln's float32 kernels compute.
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    print(f"torch {torch.__version__}, device {device}"
          + (f" ({torch.cuda.get_device_name()})" if device.type == "cuda" else ""), flush=True)

    train_images, train_labels = load_split(args.data, "train")
    test_images, test_labels = load_split(args.data, "t10k")

    def to_tensor(images, labels):
        x = torch.frombuffer(bytearray(images), dtype=torch.uint8).reshape(-1, 1, 28, 28)
        y = torch.frombuffer(bytearray(labels), dtype=torch.uint8).long()
        return x.to(device).float() / 255.0, y.to(device)

    xtr, ytr = to_tensor(train_images, train_labels)  # [0, 1]
    xte, yte = to_tensor(test_images, test_labels)
    print(f"train {tuple(xtr.shape)}, test {tuple(xte.shape)}; train pixel mean "
          f"{xtr.mean().item():.4f} std {xtr.std().item():.4f} (constants: {MEAN}, {STD})", flush=True)

    def normalize(x01):
        return (x01 - MEAN) / STD

    def augment(x01):
        # Light augmentation: horizontal flip, and a shift of up to 2 pixels
        # (pad with background, take a random 28x28 window per image).
        n = x01.shape[0]
        flip = torch.rand(n, device=device) < 0.5
        x = torch.where(flip[:, None, None, None], x01.flip(3), x01)
        padded = F.pad(x, (2, 2, 2, 2))
        oy = torch.randint(0, 5, (n,), device=device)
        ox = torch.randint(0, 5, (n,), device=device)
        r = torch.arange(28, device=device)
        rows = (oy[:, None] + r)[:, :, None]
        cols = (ox[:, None] + r)[:, None, :]
        b = torch.arange(n, device=device)[:, None, None]
        return padded[b, 0, rows, cols].unsqueeze(1)

    class LeNet5(nn.Module):
        # Exactly the network lenet5.h defines through kiln.
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
            self.bn1 = nn.BatchNorm2d(6)
            self.conv2 = nn.Conv2d(6, 16, 5)
            self.bn2 = nn.BatchNorm2d(16)
            self.fc1 = nn.Linear(16 * 5 * 5, 120)
            self.fc2 = nn.Linear(120, 84)
            self.fc3 = nn.Linear(84, 10)

        def forward(self, x):
            x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)
            x = F.max_pool2d(F.relu(self.bn2(self.conv2(x))), 2)
            x = torch.flatten(x, 1)  # CHW order, as kiln's FC layer flattens
            x = F.relu(self.fc1(x))
            x = F.relu(self.fc2(x))
            return self.fc3(x)

    model = LeNet5().to(device)
    steps_per_epoch = (xtr.shape[0] + args.batch - 1) // args.batch
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, epochs=args.epochs,
                                                steps_per_epoch=steps_per_epoch)

    def evaluate(m):
        m.eval()
        with torch.no_grad():
            logits = torch.cat([m(normalize(xte[i:i + 1000])) for i in range(0, xte.shape[0], 1000)])
        pred = logits.argmax(1)
        return (pred == yte).float().mean().item(), pred

    t0 = time.time()
    for epoch in range(args.epochs):
        model.train()
        perm = torch.randperm(xtr.shape[0], device=device)
        total = 0.0
        for s in range(steps_per_epoch):
            idx = perm[s * args.batch:(s + 1) * args.batch]
            loss = F.cross_entropy(model(normalize(augment(xtr[idx]))), ytr[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item()
        acc, _ = evaluate(model)
        print(f"epoch {epoch + 1:2d}/{args.epochs}: loss {total / steps_per_epoch:.4f}, "
              f"test accuracy {100 * acc:.2f}% ({time.time() - t0:.0f} s)", flush=True)

    acc, pred = evaluate(model)
    print(f"final test accuracy: {100 * acc:.2f}% ({round(acc * xte.shape[0])}/{xte.shape[0]})", flush=True)

    # Export. Batch norm in eval mode is y = (x - mean) / sqrt(var + eps) * gamma
    # + beta = x * scale + shift with scale = gamma / sqrt(var + eps) and shift
    # = beta - mean * scale: one IScaleLayer (kCHANNEL) in kiln. Folded in
    # float64, then rounded once to float32.
    model = model.cpu().eval()
    sd = {k: v.detach().double() for k, v in model.state_dict().items()}
    tensors = {}
    for name in ("conv1", "conv2", "fc1", "fc2", "fc3"):
        tensors[f"{name}.weight"] = sd[f"{name}.weight"]
        tensors[f"{name}.bias"] = sd[f"{name}.bias"]
    for bn in ("bn1", "bn2"):
        eps = getattr(model, bn).eps
        scale = sd[f"{bn}.weight"] / torch.sqrt(sd[f"{bn}.running_var"] + eps)
        tensors[f"{bn}.scale"] = scale
        tensors[f"{bn}.shift"] = sd[f"{bn}.bias"] - sd[f"{bn}.running_mean"] * scale
    weights = []
    for name, shape in SHAPES.items():
        t = tensors[name].float()
        if tuple(t.shape) != shape:
            sys.exit(f"export: {name} has shape {tuple(t.shape)}, expected {shape}")
        weights.append((name, t.reshape(-1).tolist()))

    # Reference probabilities on the CPU in float32 from the same uint8 pixels
    # the PGM files hold, normalized as the C++ sample does.
    pred = pred.cpu().tolist()
    picks = pick_images(list(test_labels), pred)
    for c, i in enumerate(picks):
        if pred[i] != c:
            print(f"warning: no correctly classified test image of class {c}", flush=True)
        elif i != pick_images(list(test_labels))[c]:
            print(f"note: class {c}: first test image misclassified, using test image {i}", flush=True)
    x = torch.frombuffer(bytearray(test_images), dtype=torch.uint8).reshape(-1, 1, 28, 28)
    with torch.no_grad():
        probs = F.softmax(model(normalize(x[picks].float() / 255.0)), dim=1)
    probs_by_index = {i: probs[k].tolist() for k, i in enumerate(picks)}
    write_outputs(args.out, weights, test_images, list(test_labels), picks, probs_by_index.__getitem__)
    for c, i in enumerate(picks):
        p = probs_by_index[i]
        print(f"{c}.pgm: test image {i}, label {c} ({CLASSES[c]}), p = {max(p):.4f}", flush=True)
    print(f"wrote {args.out} in {time.time() - t0:.0f} s", flush=True)
    if acc < 0.88:
        sys.exit(f"test accuracy {100 * acc:.2f}% is under 88%")


if __name__ == "__main__":
    main()
