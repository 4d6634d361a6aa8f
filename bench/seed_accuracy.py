#!/usr/bin/python3
"""Accuracy of the seed network, gradnet vs PyTorch, on the same data, split and preprocessing.

    /usr/bin/python3 bench/seed_accuracy.py [--config configs/mnist-mlp.toml] [--seeds 5] [--gradnet build/gradnet]

Both sides train configs/mnist-mlp.toml's network (784-64-16-10 sigmoid/tanh, softmax-CE,
Xavier-uniform weights, zero biases, SGD lr 0.1, batch 128, 10 epochs) on the same 55,000
training images (the last 5,000 held out), standardized with the training split's mean/std
(per channel, as gradnet's standardize does for images), and report test accuracy over several
seeds: mean, min, max. Accuracy only; speed is bench/peers.py's job.
"""
import argparse
import gzip
import json
import os
import statistics
import subprocess
import sys
import tempfile
import tomllib

import numpy as np
import torch
import torch.nn as nn


def load_idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def torch_run(d, seed, cfg, threads):
    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    xtr, ytr, xte, yte = d
    net = nn.Sequential(nn.Linear(784, 64), nn.Sigmoid(), nn.Linear(64, 16), nn.Tanh(), nn.Linear(16, 10))
    for m in net:
        if isinstance(m, nn.Linear):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)
    opt = torch.optim.SGD(net.parameters(), lr=cfg["optimizer"]["lr"])
    lossf = nn.CrossEntropyLoss()
    bs = cfg["train"]["batch_size"]
    for _ in range(cfg["train"]["epochs"]):
        perm = torch.randperm(xtr.shape[0])
        for i in range(0, xtr.shape[0], bs):
            idx = perm[i:i + bs]
            opt.zero_grad()
            lossf(net(xtr[idx]), ytr[idx]).backward()
            opt.step()
    with torch.no_grad():
        return float((net(xte).argmax(1) == yte).float().mean())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", default="configs/mnist-mlp.toml")
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--gradnet", default="build/gradnet")
    ap.add_argument("--data", default="data/mnist")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    cfg = tomllib.load(open(args.config, "rb"))
    val = int(cfg["data"]["validation"])
    x = load_idx(f"{args.data}/train-images-idx3-ubyte.gz").reshape(-1, 784).astype(np.float32)
    y = load_idx(f"{args.data}/train-labels-idx1-ubyte.gz").astype(np.int64)
    xte = load_idx(f"{args.data}/t10k-images-idx3-ubyte.gz").reshape(-1, 784).astype(np.float32)
    yte = load_idx(f"{args.data}/t10k-labels-idx1-ubyte.gz").astype(np.int64)
    x, y = x[:-val], y[:-val]
    mean, std = x.mean(dtype=np.float64), x.std(dtype=np.float64)
    d = (torch.from_numpy((x - mean) / std).float(), torch.from_numpy(y),
         torch.from_numpy((xte - mean) / std).float(), torch.from_numpy(yte))
    res = {"pytorch": [], "gradnet": []}
    for seed in range(1, args.seeds + 1):
        res["pytorch"].append(torch_run(d, seed, cfg, args.threads))
        with tempfile.TemporaryDirectory() as tmp:
            out = subprocess.run([args.gradnet, "train", args.config, "--json", "-q", "--out", f"{tmp}/run",
                                  "--set", f"train.seed={seed}", "--set", f"train.threads={args.threads}",
                                  "--set", f"data.dir={os.path.abspath(args.data)}"],
                                 check=True, capture_output=True, text=True).stdout
            res["gradnet"].append(json.loads(out.strip().splitlines()[-1])["test_accuracy"])
        print(f"seed {seed}: pytorch {res['pytorch'][-1]:.4f}  gradnet {res['gradnet'][-1]:.4f}", flush=True)
    for k, v in res.items():
        print(f"{k:8s} test accuracy over {len(v)} seeds: mean {statistics.mean(v):.4f}  min {min(v):.4f}  "
              f"max {max(v):.4f}")
    print("RESULT " + json.dumps(res))


if __name__ == "__main__":
    sys.exit(main())
