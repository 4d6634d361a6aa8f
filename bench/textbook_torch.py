#!/usr/bin/python3
"""The textbook's sweeps of the seed network, PyTorch beside gradnet (issue 14, docs/textbook-sweeps.md).

    /usr/bin/python3 bench/textbook_torch.py lr    [--seeds 3] [--threads 1] [--tools pytorch,gradnet] [--json OUT]
    /usr/bin/python3 bench/textbook_torch.py batch [--seeds 3] [--threads 1] [--tools pytorch,gradnet] [--json OUT]

lr:    the learning rates 0.2 / 0.3 / 0.5 / 0.8 at batch 128, 10 epochs (configs/search/textbook-lr.toml).
batch: batch 16 vs 32 at lr 0.05 / 0.1 / 0.2 / 0.5 (configs/search/textbook-batch.toml; its epochs).

The network, data, split and preprocessing are bench/seed_accuracy.py's (imported, not copied):
configs/mnist-mlp.toml's 784-64-16-10 sigmoid/tanh MLP, softmax-CE, Xavier-uniform weights, zero
biases, plain SGD, the first 55,000 training images (the last 5,000 held out for validation as
the config does), standardized with the training split's mean/std over all pixels (gradnet's
per-channel standardize of a one-channel image), test accuracy on the 10,000 test images after
the last epoch. Each setting runs over seeds 1..--seeds on both sides (torch.manual_seed(S);
gradnet train.seed=S); the two sides draw different random numbers, so the comparison is of
accuracy distributions (mean +- sample std over seeds), not of trajectories.

Prints one line per run, a markdown table, and `RESULT {json}` as the last line.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import tomllib

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from seed_accuracy import load_idx, torch_run  # noqa: E402  (the seed network's PyTorch side)

SWEEPS = {
    # name -> (spec file, [(lr, batch)], epochs)
    "lr": ("configs/search/textbook-lr.toml", [(lr, 128) for lr in (0.2, 0.3, 0.5, 0.8)], 10),
    "batch": ("configs/search/textbook-batch.toml",
              [(lr, b) for b in (16, 32) for lr in (0.05, 0.1, 0.2, 0.5)], 10),
}


def spec_epochs(spec_path, fallback):
    """train.epochs from the spec's `set` list, so the script follows the spec file."""
    try:
        spec = tomllib.load(open(spec_path, "rb"))
    except OSError:
        return fallback
    for s in spec.get("set", []):
        key, _, value = s.partition("=")
        if key.strip() == "train.epochs":
            return int(value)
    return fallback


def load_data(data_dir, val):
    x = load_idx(f"{data_dir}/train-images-idx3-ubyte.gz").reshape(-1, 784).astype(np.float32)
    y = load_idx(f"{data_dir}/train-labels-idx1-ubyte.gz").astype(np.int64)
    xte = load_idx(f"{data_dir}/t10k-images-idx3-ubyte.gz").reshape(-1, 784).astype(np.float32)
    yte = load_idx(f"{data_dir}/t10k-labels-idx1-ubyte.gz").astype(np.int64)
    x, y = x[:-val], y[:-val]
    mean, std = x.mean(dtype=np.float64), x.std(dtype=np.float64)
    return (torch.from_numpy((x - mean) / std).float(), torch.from_numpy(y),
            torch.from_numpy((xte - mean) / std).float(), torch.from_numpy(yte))


def gradnet_run(args, lr, batch, epochs, seed):
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [args.gradnet, "train", args.config, "--json", "-q", "--out", f"{tmp}/run",
               "--set", f"optimizer.lr={lr}", "--set", f"train.batch_size={batch}",
               "--set", f"train.epochs={epochs}", "--set", f"train.seed={seed}",
               "--set", f"train.threads={args.threads}", "--set", f"data.dir={os.path.abspath(args.data)}"]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        return json.loads(out.strip().splitlines()[-1])["test_accuracy"]


def mean_std(v):
    return statistics.mean(v), (statistics.stdev(v) if len(v) > 1 else 0.0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("sweep", choices=sorted(SWEEPS))
    ap.add_argument("--config", default="configs/mnist-mlp.toml")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=0, help="0: the spec file's train.epochs")
    ap.add_argument("--gradnet", default="build/gradnet")
    ap.add_argument("--tools", default="pytorch,gradnet", help="which sides to run: pytorch, gradnet or both")
    ap.add_argument("--data", default="data/mnist")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--lrs", default="", help="only these learning rates (comma-separated; default: the sweep's)")
    ap.add_argument("--batches", default="", help="only these batch sizes (comma-separated; default: the sweep's)")
    ap.add_argument("--json", default="", help="also write the results to this file")
    args = ap.parse_args()
    spec, settings, fallback_epochs = SWEEPS[args.sweep]
    if args.lrs:
        settings = [(lr, b) for lr, b in settings if lr in [float(x) for x in args.lrs.split(",")]]
    if args.batches:
        settings = [(lr, b) for lr, b in settings if b in [int(x) for x in args.batches.split(",")]]
    epochs = args.epochs or spec_epochs(spec, fallback_epochs)
    cfg = tomllib.load(open(args.config, "rb"))
    d = load_data(args.data, int(cfg["data"]["validation"]))
    tools = [t for t in ("pytorch", "gradnet") if t in args.tools.split(",")]
    rows = []
    for lr, batch in settings:
        run_cfg = {**cfg, "optimizer": {**cfg["optimizer"], "lr": lr},
                   "train": {**cfg["train"], "batch_size": batch, "epochs": epochs}}
        row = {"lr": lr, "batch_size": batch, "epochs": epochs, **{t: [] for t in tools}}
        for seed in range(1, args.seeds + 1):
            if "pytorch" in row:
                row["pytorch"].append(torch_run(d, seed, run_cfg, args.threads))
            if "gradnet" in row:
                row["gradnet"].append(gradnet_run(args, lr, batch, epochs, seed))
            print(f"lr {lr} batch {batch} seed {seed}: " +
                  "  ".join(f"{t} {row[t][-1]:.4f}" for t in tools), flush=True)
        rows.append(row)
    print(f"\n| lr | batch | epochs | " + " | ".join(f"{t} test acc (mean ± std, {args.seeds} seeds)" for t in tools) +
          (" | gradnet − PyTorch |" if len(tools) == 2 else " |"))
    print("|---|---|---|" + "---|" * (len(tools) + (len(tools) == 2)))
    for r in rows:
        cells = [f"{mean_std(r[t])[0]:.4f} ± {mean_std(r[t])[1]:.4f}" for t in tools]
        if len(tools) == 2:
            cells.append(f"{mean_std(r['gradnet'])[0] - mean_std(r['pytorch'])[0]:+.4f}")
        print(f"| {r['lr']} | {r['batch_size']} | {r['epochs']} | " + " | ".join(cells) + " |")
    result = {"sweep": args.sweep, "torch": torch.__version__, "threads": args.threads, "runs": rows}
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    sys.exit(main())
