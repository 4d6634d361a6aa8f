#!/usr/bin/python3
"""Optimizer accuracy, gradnet vs PyTorch, on W2's network and Fashion-MNIST (issue 4, second Bar item).

    /usr/bin/python3 bench/optimizer_accuracy.py [--seeds 3] [--threads 1] [--gradnet build/gradnet]
        [--optimizers momentum,nesterov,rmsprop,adam,adamw] [--json OUT]

W2 (docs/benchmarks.md; bench/configs/w2.toml): MLP 784-512-256-10 ReLU, Kaiming-normal
weights (fan_in, nonlinearity relu), zero biases, softmax cross-entropy, batch 128, 5 epochs, all
60,000 training images (no validation split), pixels divided by 255 and nothing else, test accuracy
on the 10,000 test images after the last epoch. The PyTorch side is PEERS/torch_bench.py's
W2 model and loader (copied here); the gradnet side is `gradnet train bench/configs/w2.toml` with the
optimizer overridden by --set. Each optimizer setting runs with the same hyperparameters on both
sides, over seeds 1..--seeds (PyTorch: torch.manual_seed(S); gradnet: train.seed=S). The two sides
use different random streams, so the comparison is of accuracy distributions, not of trajectories
(the per-step formulas are checked to 1e-6 by tests/golden/optim_golden_test.cpp).

Prints a markdown table: mean / min / max test accuracy per optimizer per tool, the difference of
the means (gradnet - PyTorch) and PASS when |diff| <= --tolerance (default 0.01).
Accuracy only; speed is bench/peers.py's job.
"""
import argparse
import datetime
import gzip
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DATA = "/usr/share/datasets/fashion-mnist"
CONFIG = "bench/configs/w2.toml"
EPOCHS = 5
BATCH = 128

# name -> (label, torch optimizer factory, gradnet --set overrides). Only the options the type reads
# are passed to gradnet (setting another type's option is a config error). Everything not listed is
# the default on both sides: sgd dampening 0, weight_decay 0; rmsprop alpha 0.99, eps 1e-8, momentum 0,
# centered false; adam/adamw betas (0.9, 0.999), eps 1e-8, amsgrad false.
SETTINGS = {
    "momentum": ("SGD momentum 0.9, lr 0.01",
                 lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9),
                 {"optimizer.type": "sgd", "optimizer.lr": "0.01", "optimizer.momentum": "0.9"}),
    "nesterov": ("SGD Nesterov momentum 0.9, lr 0.01",
                 lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9, nesterov=True),
                 {"optimizer.type": "sgd", "optimizer.lr": "0.01", "optimizer.momentum": "0.9",
                  "optimizer.nesterov": "true"}),
    "rmsprop": ("RMSprop lr 1e-3 (alpha 0.99, eps 1e-8)",
                lambda p: torch.optim.RMSprop(p, lr=1e-3),
                {"optimizer.type": "rmsprop", "optimizer.lr": "1e-3"}),
    "adam": ("Adam lr 1e-3 (betas 0.9/0.999, eps 1e-8)",
             lambda p: torch.optim.Adam(p, lr=1e-3),
             {"optimizer.type": "adam", "optimizer.lr": "1e-3"}),
    "adamw": ("AdamW lr 1e-3, weight_decay 0.01",
              lambda p: torch.optim.AdamW(p, lr=1e-3, weight_decay=0.01),
              {"optimizer.type": "adamw", "optimizer.lr": "1e-3", "optimizer.weight_decay": "0.01"}),
}


# --- PyTorch side: model and loader as in PEERS/torch_bench.py (W2) ---

def load_idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    magic = int.from_bytes(raw[0:4], "big")
    ndim = magic & 0xFF
    dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_fmnist(data):
    xtr = load_idx(f"{data}/train-images-idx3-ubyte.gz").astype(np.float32) / 255.0
    ytr = load_idx(f"{data}/train-labels-idx1-ubyte.gz").astype(np.int64)
    xte = load_idx(f"{data}/t10k-images-idx3-ubyte.gz").astype(np.float32) / 255.0
    yte = load_idx(f"{data}/t10k-labels-idx1-ubyte.gz").astype(np.int64)
    return (torch.from_numpy(xtr.copy()), torch.from_numpy(ytr.copy()),
            torch.from_numpy(xte.copy()), torch.from_numpy(yte.copy()))


class W2Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.l1, self.l2, self.l3 = nn.Linear(784, 512), nn.Linear(512, 256), nn.Linear(256, 10)
        for l in (self.l1, self.l2, self.l3):
            nn.init.kaiming_normal_(l.weight, nonlinearity="relu")
            nn.init.zeros_(l.bias)

    def forward(self, x):
        x = x.reshape(x.shape[0], 784)
        return self.l3(F.relu(self.l2(F.relu(self.l1(x)))))


@torch.no_grad()
def evaluate(model, x, y, bs=1000):
    model.eval()
    correct = 0
    for i in range(0, x.shape[0], bs):
        correct += (model(x[i:i + bs]).argmax(1) == y[i:i + bs]).sum().item()
    model.train()
    return correct / x.shape[0]


def torch_run(d, name, seed, epochs):
    torch.manual_seed(seed)
    xtr, ytr, xte, yte = d
    model = W2Net()
    opt = SETTINGS[name][1](model.parameters())
    lossf = nn.CrossEntropyLoss()
    n = xtr.shape[0]
    for _ in range(epochs):
        perm = torch.randperm(n)
        for i in range(0, n, BATCH):
            idx = perm[i:i + BATCH]
            xb, yb = xtr.index_select(0, idx), ytr.index_select(0, idx)
            opt.zero_grad(set_to_none=True)
            loss = lossf(model(xb), yb)
            loss.backward()
            opt.step()
    return evaluate(model, xte, yte)


# --- gradnet side ---

def gradnet_run(binary, name, seed, epochs, threads, data, extra=()):
    sets = dict(SETTINGS[name][2])
    sets.update(kv.split("=", 1) for kv in extra)
    sets.update({"train.seed": str(seed), "train.threads": str(threads), "train.epochs": str(epochs),
                 "data.dir": data})
    with tempfile.TemporaryDirectory(prefix="optacc-") as tmp:
        cmd = [binary, "train", CONFIG, "--json", "-q", "--out", f"{tmp}/run"]
        for k, v in sets.items():
            cmd += ["--set", f"{k}={v}"]
        p = subprocess.run(cmd, capture_output=True, text=True)
        if p.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} exited {p.returncode}:\n{p.stderr.strip()}")
        return json.loads(p.stdout.strip().splitlines()[-1])["test_accuracy"]


def stats(v):
    return dict(mean=statistics.mean(v), min=min(v), max=max(v), n=len(v), runs=v)


def cpu_model():
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=3, help="seeds 1..N per optimizer per tool (default 3)")
    ap.add_argument("--threads", type=int, default=1, help="threads for both sides (default 1)")
    ap.add_argument("--gradnet", default="build/gradnet", help="gradnet binary (default build/gradnet)")
    ap.add_argument("--optimizers", default=",".join(SETTINGS),
                    help=f"comma-separated subset of {','.join(SETTINGS)}")
    ap.add_argument("--epochs", type=int, default=EPOCHS, help="epochs (default 5, W2's)")
    ap.add_argument("--data", default=DATA)
    ap.add_argument("--tolerance", type=float, default=0.01)
    ap.add_argument("--parallel", action="store_true",
                    help="run the gradnet side as a subprocess alongside the PyTorch side (needs 2x threads cores)")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="extra gradnet --set override, repeatable (must not change the optimizer or the workload)")
    ap.add_argument("--json", default="", help="write the raw numbers here")
    args = ap.parse_args()

    names = [s.strip() for s in args.optimizers.split(",") if s.strip()]
    for nm in names:
        if nm not in SETTINGS:
            ap.error(f"unknown optimizer setting {nm!r}; known: {', '.join(SETTINGS)}")
    for kv in args.set:
        if "=" not in kv:
            ap.error(f"--set {kv!r}: expected KEY=VALUE")
    if not os.path.exists(CONFIG):
        ap.error(f"{CONFIG} not found: run from the repository root")
    # Run a private copy of the binary, so that a rebuild of build/gradnet mid-run can't mix versions.
    src = os.path.abspath(args.gradnet)
    bindir = tempfile.mkdtemp(prefix="optacc-bin-")
    binary = os.path.join(bindir, "gradnet")
    shutil.copy2(src, binary)
    bin_mtime = datetime.datetime.fromtimestamp(os.path.getmtime(src), datetime.timezone.utc)

    torch.set_num_threads(args.threads)
    d = load_fmnist(args.data)
    t_start = time.perf_counter()
    raw = {nm: {"pytorch": [], "gradnet": []} for nm in names}
    try:
        for nm in names:
            for seed in range(1, args.seeds + 1):
                t0 = time.perf_counter()
                if args.parallel:
                    # same thing as gradnet_run, but overlapped with the torch run
                    from concurrent.futures import ThreadPoolExecutor
                    with ThreadPoolExecutor(1) as ex:
                        fut = ex.submit(gradnet_run, binary, nm, seed, args.epochs, args.threads, args.data,
                                        args.set)
                        ta = torch_run(d, nm, seed, args.epochs)
                        ga = fut.result()
                else:
                    ta = torch_run(d, nm, seed, args.epochs)
                    ga = gradnet_run(binary, nm, seed, args.epochs, args.threads, args.data, args.set)
                raw[nm]["pytorch"].append(ta)
                raw[nm]["gradnet"].append(ga)
                print(f"{nm:9s} seed {seed}: pytorch {ta:.4f}  gradnet {ga:.4f}  "
                      f"({time.perf_counter() - t0:.0f} s)", file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(bindir, ignore_errors=True)
    elapsed = time.perf_counter() - t_start

    rows, res = [], {}
    for nm in names:
        t, g = stats(raw[nm]["pytorch"]), stats(raw[nm]["gradnet"])
        diff = g["mean"] - t["mean"]
        ok = abs(diff) <= args.tolerance
        res[nm] = dict(setting=SETTINGS[nm][0], pytorch=t, gradnet=g, diff=diff, pass_=ok)
        rows.append(f"| {SETTINGS[nm][0]} | {t['mean']:.4f} ({t['min']:.4f}–{t['max']:.4f}) "
                    f"| {g['mean']:.4f} ({g['min']:.4f}–{g['max']:.4f}) | {diff:+.4f} | {'PASS' if ok else 'FAIL'} |")
    print(f"Test accuracy after {args.epochs} epochs, mean (min–max) over seeds 1..{args.seeds}; "
          f"diff = gradnet − PyTorch; PASS when |diff| ≤ {args.tolerance}")
    print()
    print("| optimizer | PyTorch 1.13 | gradnet | diff | |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(r)
    print()
    print(f"{len(names) * args.seeds * 2} runs in {elapsed / 60:.1f} min; threads {args.threads} per side; "
          f"torch {torch.__version__}; CPU {cpu_model()} ({os.cpu_count()} logical); "
          f"gradnet binary {args.gradnet} (mtime {bin_mtime:%Y-%m-%d %H:%M} UTC)")
    if args.json:
        out = dict(date=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                   cpu=cpu_model(), cpus=os.cpu_count(), torch=torch.__version__, threads=args.threads,
                   seeds=args.seeds, epochs=args.epochs, extra_set=args.set, tolerance=args.tolerance,
                   gradnet=args.gradnet,
                   gradnet_mtime=bin_mtime.isoformat(timespec="seconds"), elapsed_s=elapsed,
                   results={k: {**{kk: vv for kk, vv in v.items() if kk != "pass_"}, "pass": v["pass_"]}
                            for k, v in res.items()})
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1)
    return 0 if all(v["pass_"] for v in res.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
