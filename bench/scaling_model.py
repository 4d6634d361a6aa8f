#!/usr/bin/env python3
"""Data-parallel scaling on paper: bytes all-reduced and compute per step, and the efficiency the
ring all-reduce cost model predicts at 2-64 nodes on a 10/25/100 Gbit/s network.

    python3 bench/scaling_model.py [W1 W2 W3 CIFAR] [--measure] [--gradnet build/gradnet] [--json]

For each workload (W1-W3 of bench/peers.py and configs/cifar10-cnn.toml) it reads the config, walks
the layers to count parameters and multiply-adds per example, and models one training step of the
global batch B spread over N nodes:

    compute(N)   = t_example * B / N                 (t_example: one node's seconds per example)
    allreduce(N) = 2 (N-1)/N * bytes / bandwidth + 2 (N-1) * latency      (ring all-reduce)
    step(N)      = compute(N) + allreduce(N)         no overlap, or
                   forward(N) + max(backward(N), allreduce(N))   overlapped with the backward pass
    efficiency   = compute(1) / (N * step(N))

Two regimes: strong scaling (the global batch stays the config's B, so each node gets B/N examples)
and weak scaling (each node keeps B examples, the global batch grows to N*B; the learning rate then
has to grow with it: linearly up to ~8k examples, by sqrt beyond, and past ~32k no rule is known to
hold for these nets; the model says where each workload crosses those points).

t_example comes from --measure (one timed epoch of gradnet on this machine, all its cores) or from
the multiply-add count at --node-gflops (default 100 GFLOP/s, a modest 2-socket-less node). The
backward pass is taken as 2/3 of a step. Latency defaults to 20 us per message (TCP over Ethernet);
--latency-us changes it.
"""
import argparse
import json
import math
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORKLOADS = {
    "W1": ("bench/configs/w1.toml", "seed MLP 784-64-16-10, SGD"),
    "W2": ("bench/configs/w2.toml", "MLP 784-512-256-10, Adam"),
    "W3": ("bench/configs/w3.toml", "MNIST CNN (2 conv, 2 linear), Adam"),
    "CIFAR": ("configs/cifar10-cnn.toml", "CIFAR-10 VGG-style CNN with batch norm"),
}
NODES = [1, 2, 4, 8, 16, 32, 64]
GBITS = [10, 25, 100]


def walk_layers(config):
    """(parameters, multiply-adds per example) of the config's layers, from its input shape."""
    shape = list(config["model"]["input"])
    params = macs = 0
    for layer in config["model"]["layers"]:
        kind = layer["type"]
        if kind == "linear":
            n_in = math.prod(shape)
            out = layer["out"]
            params += n_in * out + (out if layer.get("bias", True) else 0)
            macs += n_in * out
            shape = [out]
        elif kind == "conv2d":
            c, h, w = shape
            k, s, p = layer["kernel"], layer.get("stride", 1), layer.get("padding", 0)
            out = layer["out"]
            ho, wo = (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
            params += out * c * k * k + (out if layer.get("bias", True) else 0)
            macs += out * c * k * k * ho * wo
            shape = [out, ho, wo]
        elif kind in ("max_pool2d", "avg_pool2d"):
            c, h, w = shape
            k = layer["kernel"]
            s = layer.get("stride", k)
            shape = [c, (h - k) // s + 1, (w - k) // s + 1]
        elif kind == "flatten":
            shape = [math.prod(shape)]
        elif kind in ("batch_norm", "layer_norm", "group_norm", "instance_norm"):
            params += 2 * shape[0]
    return params, macs


def measure_example_seconds(gradnet, config_path):
    """Seconds per training example on this machine: one epoch of gradnet with all its cores, from
    the epoch's examples_per_second in metrics.jsonl (evaluation passes excluded)."""
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [gradnet, "train", str(ROOT / config_path), "--epochs", "1", "--out", f"{tmp}/run", "-q",
               "--set", "monitor.enabled=false", "--set", "train.threads=0"]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
        lines = [json.loads(l) for l in Path(f"{tmp}/run/metrics.jsonl").read_text().splitlines() if l.strip()]
        return 1.0 / lines[-1]["examples_per_second"]


def ring_allreduce_seconds(nbytes, nodes, gbit, latency):
    if nodes == 1:
        return 0.0
    return 2 * (nodes - 1) / nodes * nbytes / (gbit * 1e9 / 8) + 2 * (nodes - 1) * latency


def efficiency(t_example, batch_per_node, nodes, nbytes, gbit, latency, overlap):
    compute = t_example * batch_per_node
    comm = ring_allreduce_seconds(nbytes, nodes, gbit, latency)
    if overlap:
        step = compute / 3 + max(compute * 2 / 3, comm)
    else:
        step = compute + comm
    return compute / step


def lr_rule(global_batch):
    if global_batch <= 8192:
        return "linear"
    if global_batch <= 32768:
        return "sqrt"
    return "none holds"


def model(args):
    rows = []
    for name, (path, what) in WORKLOADS.items():
        if args.workloads and name not in args.workloads:
            continue
        config = tomllib.loads((ROOT / path).read_text())
        batch = config["train"]["batch_size"]
        params, macs = walk_layers(config)
        nbytes = 4 * params  # float32 gradients, one all-reduce per step
        flops_step = 6 * macs * batch  # forward 2, backward 4 FLOPs per multiply-add
        if args.measure:
            t_example = measure_example_seconds(args.gradnet, path)
            source = "measured"
        else:
            t_example = 6 * macs / (args.node_gflops * 1e9)
            source = f"{args.node_gflops:g} GFLOP/s"
        row = dict(workload=name, what=what, batch=batch, params=params, bytes_per_step=nbytes,
                   macs_per_example=macs, flops_per_step=flops_step, seconds_per_example=t_example,
                   compute_source=source, strong={}, weak={})
        for gbit in GBITS:
            for regime in ("strong", "weak"):
                effs = {}
                for n in NODES:
                    per_node = batch / n if regime == "strong" else batch
                    effs[n] = dict(
                        plain=efficiency(t_example, per_node, n, nbytes, gbit, args.latency_us * 1e-6, False),
                        overlapped=efficiency(t_example, per_node, n, nbytes, gbit, args.latency_us * 1e-6, True))
                row[regime][gbit] = effs
        row["weak_lr_rule"] = {n: lr_rule(batch * n) for n in NODES}
        rows.append(row)
    return rows


def print_tables(rows, latency_us):
    print("| workload | batch | parameters | all-reduced per step | multiply-adds per example | "
          "FLOPs per step | s per example (one node) |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['workload']} ({r['what']}) | {r['batch']} | {r['params']:,} | {r['bytes_per_step'] / 1e6:.2f} MB | "
              f"{r['macs_per_example'] / 1e6:.2f} M | {r['flops_per_step'] / 1e9:.2f} G | "
              f"{r['seconds_per_example'] * 1e6:.1f} us ({r['compute_source']}) |")
    for regime, title in (("strong", "strong scaling: global batch fixed, B/N examples per node"),
                          ("weak", "weak scaling: B examples per node, global batch N*B")):
        print(f"\nEfficiency, {title} (overlapped with the backward pass / not; latency {latency_us:g} us)\n")
        print("| workload | Gbit/s | " + " | ".join(f"N={n}" for n in NODES[1:]) + " |")
        print("|---|---|" + "---|" * (len(NODES) - 1))
        for r in rows:
            for gbit in GBITS:
                e = r[regime][gbit]
                cells = [f"{e[n]['overlapped']:.2f} / {e[n]['plain']:.2f}" for n in NODES[1:]]
                print(f"| {r['workload']} | {gbit} | " + " | ".join(cells) + " |")
    print("\nWeak scaling: the global batch and the learning-rate rule that still holds for it\n")
    print("| workload | " + " | ".join(f"N={n}" for n in NODES[1:]) + " |")
    print("|---|" + "---|" * (len(NODES) - 1))
    for r in rows:
        print(f"| {r['workload']} | " + " | ".join(f"{r['batch'] * n:,}: {r['weak_lr_rule'][n]}" for n in NODES[1:]) + " |")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("workloads", nargs="*", metavar="W", help="W1 W2 W3 CIFAR (default: all)")
    ap.add_argument("--measure", action="store_true", help="time one epoch of each workload with gradnet here")
    ap.add_argument("--gradnet", default=str(ROOT / "build/gradnet"))
    ap.add_argument("--node-gflops", type=float, default=100.0, help="a node's sustained GFLOP/s without --measure")
    ap.add_argument("--latency-us", type=float, default=20.0, help="per-message latency, microseconds")
    ap.add_argument("--json", action="store_true", help="one JSON object instead of the tables")
    args = ap.parse_args()
    rows = model(args)
    if args.json:
        print(json.dumps(rows))
    else:
        print_tables(rows, args.latency_us)


if __name__ == "__main__":
    sys.exit(main())
