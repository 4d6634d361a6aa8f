#!/usr/bin/env python3
"""Data-parallel training measured on one machine: N ranks x T threads against 1 rank x N*T threads.

    python3 bench/scaling_measure.py [W2 W3] [--epochs E] [--rounds R] [--gradnet build/gradnet]

Each round runs, alternating, for each workload (bench/configs/w2.toml, w3.toml):
    one process:  gradnet train CONFIG --set train.threads=2
    two ranks:    mpirun -np 2 gradnet train CONFIG --set train.threads=1
with the same global batch, seed and epochs, and reads each run's summary.json: the median seconds
per epoch, the whole process's wall time, the test accuracy and loss. The table gives medians over
the rounds and the ratio (one process / two ranks: > 1 means the ranks were faster). The machine is
shared: the load average at the start and end of each run is printed beside it.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = {"W2": "bench/configs/w2.toml", "W3": "bench/configs/w3.toml"}


def load() -> float:
    return os.getloadavg()[0]


def run(cmd, out_dir: Path) -> dict:
    load_before = load()
    t0 = time.monotonic()
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    wall = time.monotonic() - t0
    if r.returncode != 0:
        sys.exit(f"failed ({r.returncode}): {' '.join(cmd)}\n{r.stderr[-2000:]}")
    s = json.loads((out_dir / "summary.json").read_text())
    return {"epoch_s": statistics.median(s["epoch_seconds"]), "wall_s": wall, "test_accuracy": s["test_accuracy"],
            "test_loss": s["test_loss"], "load": (load_before, load())}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("workloads", nargs="*", default=["W2", "W3"])
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--gradnet", default="build/gradnet")
    args = ap.parse_args()
    gradnet = str((ROOT / args.gradnet).resolve())
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for w in args.workloads:
            config = CONFIGS[w.upper()]
            common = [config, "-q", "--epochs", str(args.epochs)]
            results = {"1x2": [], "2x1": []}
            for k in range(args.rounds):
                for layout in ("1x2", "2x1") if k % 2 == 0 else ("2x1", "1x2"):
                    out = Path(tmp) / f"{w}-{layout}-{k}"
                    if layout == "1x2":
                        cmd = [gradnet, "train", *common, "--out", str(out), "--set", "train.threads=2"]
                    else:
                        cmd = ["mpirun", "--oversubscribe", "--allow-run-as-root", "-np", "2", gradnet, "train",
                               *common, "--out", str(out), "--set", "train.threads=1"]
                    r = run(cmd, out)
                    results[layout].append(r)
                    print(f"{w} {layout} round {k + 1}: {r['epoch_s']:.2f} s/epoch, wall {r['wall_s']:.1f} s, "
                          f"test acc {r['test_accuracy']:.4f}, load {r['load'][0]:.1f} -> {r['load'][1]:.1f}",
                          flush=True)
            med = {l: {key: statistics.median(x[key] for x in v) for key in ("epoch_s", "wall_s", "test_accuracy",
                                                                              "test_loss")}
                   for l, v in results.items()}
            rows.append((w, med))
    print(f"\n| workload | layout | s/epoch (median of {args.rounds}) | wall s | test accuracy after {args.epochs} "
          f"epochs | test loss |")
    print("|---|---|---|---|---|---|")
    for w, med in rows:
        for layout, name in (("1x2", "1 rank x 2 threads"), ("2x1", "2 ranks x 1 thread")):
            m = med[layout]
            print(f"| {w} | {name} | {m['epoch_s']:.2f} | {m['wall_s']:.1f} | {m['test_accuracy']:.4f} | "
                  f"{m['test_loss']:.4f} |")
        print(f"| {w} | ratio (1x2 / 2x1) | {med['1x2']['epoch_s'] / med['2x1']['epoch_s']:.2f} | "
              f"{med['1x2']['wall_s'] / med['2x1']['wall_s']:.2f} | "
              f"{med['2x1']['test_accuracy'] - med['1x2']['test_accuracy']:+.4f} | |")


if __name__ == "__main__":
    main()
