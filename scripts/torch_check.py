#!/usr/bin/python3
"""Re-evaluates a gradnet run directory with PyTorch: proof that model.safetensors is the
published format, that the weights follow PyTorch's layout, and that gradnet's test accuracy
is what PyTorch computes from the same weights, normalization and test images.

    /usr/bin/python3 scripts/torch_check.py runs/mnist-mlp-...   (Debian's python3-torch)

Reads config.toml (tomllib), model.safetensors and normalization.safetensors (parsed by hand:
8-byte little-endian header length, JSON header, data), builds the same nn.Sequential, and
evaluates the IDX test set of mnist / fashion-mnist. Exit 1 if the accuracies differ.
"""
import gzip
import json
import os
import struct
import sys
import tomllib

import numpy as np
import torch


def read_safetensors(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__", {})
    tensors = {}
    for name, e in header.items():
        a, b = e["data_offsets"]
        dtype = {"F32": np.float32, "F64": np.float64}[e["dtype"]]
        tensors[name] = np.frombuffer(raw[8 + n + a:8 + n + b], dtype=dtype).reshape(e["shape"]).copy()
    return tensors, meta


def load_idx(path):
    opener = gzip.open if open(path, "rb").read(2) == b"\x1f\x8b" else open
    with opener(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def find(dir_, stem):
    for name in (stem + ".gz", stem):
        if os.path.exists(os.path.join(dir_, name)):
            return os.path.join(dir_, name)
    sys.exit(f"torch_check: {stem} not found in {dir_}")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    run = sys.argv[1]
    cfg = tomllib.load(open(os.path.join(run, "config.toml"), "rb"))
    summary = json.load(open(os.path.join(run, "summary.json")))
    weights, meta = read_safetensors(os.path.join(run, "model.safetensors"))
    norm, norm_meta = read_safetensors(os.path.join(run, "normalization.safetensors"))
    data = cfg["data"]
    if data["dataset"] not in ("mnist", "fashion-mnist"):
        sys.exit("torch_check: only mnist / fashion-mnist runs are checked")

    acts = {"sigmoid": torch.nn.Sigmoid, "tanh": torch.nn.Tanh, "relu": torch.nn.ReLU, "identity": torch.nn.Identity}
    layers, features = [], int(np.prod(cfg["model"]["input"]))
    for spec in cfg["model"]["layers"]:
        t = spec["type"]
        if t == "linear":
            layers.append(torch.nn.Linear(features, spec["out"], bias=spec.get("bias", True)))
            features = spec["out"]
        elif t == "leaky_relu":
            layers.append(torch.nn.LeakyReLU(spec["slope"]))
        else:
            layers.append(acts[t]())
    net = torch.nn.Sequential(*layers)
    state = {k.removeprefix("layers."): torch.from_numpy(v) for k, v in weights.items()}
    net.load_state_dict(state, strict=True)  # names and (out, in) shapes must line up exactly

    x = load_idx(find(data["dir"], "t10k-images-idx3-ubyte")).reshape(-1, 784).astype(np.float32)
    y = load_idx(find(data["dir"], "t10k-labels-idx1-ubyte")).astype(np.int64)
    if data.get("test_limit", 0):
        x, y = x[:data["test_limit"]], y[:data["test_limit"]]
    if norm_meta.get("method", "none") != "none":
        x = (x - norm["mean"]) / norm["std"]
    with torch.no_grad():
        pred = net(torch.from_numpy(x)).argmax(1).numpy()
    acc = float((pred == y).mean())
    print(f"PyTorch {torch.__version__} on {run}: test accuracy {acc:.4f}; gradnet said {summary['test_accuracy']:.4f}")
    sys.exit(0 if abs(acc - summary["test_accuracy"]) < 1e-9 else 1)


if __name__ == "__main__":
    main()
