"""What the exchange tests (ONNX export, PyTorch both ways) share: tiny training runs, gradnet's own
outputs for a batch (gradnet export --logits), skips with an explicit reason (exit 77, which
tests/CMakeLists.txt registers as SKIP_RETURN_CODE)."""
import atexit
import os
import shutil
import subprocess
import sys

import numpy as np

SKIP = 77
TOLERANCE = 1e-5
SOURCE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# A few optimizer steps on a few hundred examples: enough to move every weight (and batch norm's
# running statistics) away from its initial value, seconds per run.
TINY = ["data.train_limit=256", "data.test_limit=64", "data.validation=0", "train.epochs=1", "train.batch_size=64",
        "monitor.enabled=false", "train.threads=1"]


def skip(reason):
    print(f"SKIPPED: {reason}")
    sys.exit(SKIP)


_work_dirs, _failed = [], []


@atexit.register
def _remove_work_dirs():  # kept after a failure, to look at
    if not _failed:
        for d in _work_dirs:
            shutil.rmtree(d, ignore_errors=True)


def fail(message):
    _failed.append(message)
    print(f"FAILED: {message}")
    sys.exit(1)


def run(cmd, **kw):
    r = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)
    if r.returncode != 0:
        fail(f"{' '.join(map(str, cmd))} exited {r.returncode}\nstdout: {r.stdout}\nstderr: {r.stderr}")
    return r


def work_dir(name):
    d = os.path.join(os.environ.get("GRADNET_TEST_TMP", "/tmp"), f"gradnet-exchange-{name}-{os.getpid()}")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    _work_dirs.append(d)
    print(f"work directory: {d} (removed unless the test fails)")
    return d


def need_dataset(name):
    d = os.path.join(SOURCE, "data", name)
    if not os.path.isdir(d) or not os.listdir(d):
        skip(f"dataset data/{name} is absent (scripts/setup links or downloads it)")


def train(gradnet, config, out, extra=()):
    sets = [a for s in TINY + list(extra) for a in ("--set", s)]
    run([gradnet, "train", config, "--out", out, *sets], cwd=SOURCE)
    return out


def raw_batch(shape, n=64, seed=0):
    """n examples of raw pixel-like values (0..255 as float32), shaped (n, *shape)."""
    return np.random.default_rng(seed).integers(0, 256, size=(n,) + tuple(shape)).astype(np.float32)


def gradnet_outputs(gradnet, run_dir, x, work, softmax=False, tag="x"):
    """gradnet's own outputs for the raw batch x: gradnet export --logits."""
    inp, out = os.path.join(work, f"{tag}-in.npy"), os.path.join(work, f"{tag}-gradnet.npy")
    np.save(inp, x)
    run([gradnet, "export", run_dir, "--logits", out, "--input", inp] + (["--softmax"] if softmax else []))
    return np.load(out)


def compare(what, got, want):
    if got.shape != want.shape:
        fail(f"{what}: shape {got.shape}, gradnet's {want.shape}")
    diff = float(np.max(np.abs(got.astype(np.float64) - want.astype(np.float64))))
    scale = float(np.max(np.abs(want)))
    print(f"{what}: max |difference| = {diff:.3g} over {want.size} values (max |gradnet value| {scale:.3g})")
    if not np.isfinite(diff) or diff > TOLERANCE:
        fail(f"{what}: max |difference| {diff:.3g} > {TOLERANCE}")
    return diff
