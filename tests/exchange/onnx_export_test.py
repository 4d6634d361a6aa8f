#!/usr/bin/python3
"""gradnet export --onnx, checked from outside: onnx.checker (Debian's python3-onnx) with full shape
inference, then ONNX Runtime (onnxruntime-node's CPU build, run by node) on a batch of raw inputs,
whose outputs must equal gradnet's (gradnet export --logits) within 1e-5.

    onnx_export_test.py GRADNET ORT_DIR CASE     CASE: mlp | cnn | cifar | batchnorm | layers | tied | pca | bad
"""
import json
import os
import shutil
import subprocess
import sys

import numpy as np

from exchange_common import SOURCE, compare, fail, gradnet_outputs, need_dataset, raw_batch, run, skip, train, work_dir

sys.path.insert(0, os.path.join(SOURCE, "scripts"))

# Every layer type of the registry, in one net on MNIST's shape (linear also on a [C, H, W] input,
# batch norm without running statistics, weight norm in conv2d and linear, both gelu forms).
EVERY_LAYER = """
name = "every-layer"
[data]
dataset = "mnist"
normalize = "standardize"
[model]
input = [1, 28, 28]
layers = [
  { type = "conv2d", out = 4, kernel = 3, padding = 1, weight_norm = true },
  { type = "leaky_relu", slope = 0.2 },
  { type = "group_norm", groups = 2 },
  { type = "elu", alpha = 0.5 },
  { type = "avg_pool2d", kernel = 3, stride = 2, padding = 1, count_include_pad = false },
  { type = "instance_norm", affine = true },
  { type = "gelu" },
  { type = "conv2d", out = 6, kernel = 3, padding = 2, dilation = 2, groups = 2 },
  { type = "batch_norm", track_running_stats = false },
  { type = "silu" },
  { type = "max_pool2d", kernel = 2 },
  { type = "layer_norm" },
  { type = "softmax", dim = "all" },
  { type = "log_softmax" },
  { type = "gelu", approximate = "tanh" },
  { type = "avg_pool2d", kernel = 2 },
  { type = "dropout", rate = 0.3 },
  { type = "identity" },
  { type = "sigmoid" },
  { type = "global_avg_pool" },
  { type = "linear", out = 16, weight_norm = true },
  { type = "tanh" },
  { type = "softmax" },
  { type = "relu" },
  { type = "linear", out = 10 },
]
[optimizer]
type = "adam"
lr = 0.01
"""

BATCH_NORM = """
name = "batch-norm"
[data]
dataset = "mnist"
normalize = "scale01"
[model]
input = [1, 28, 28]
layers = [
  { type = "conv2d", out = 8, kernel = 3, padding = 1, bias = false },
  { type = "batch_norm" },
  { type = "relu" },
  { type = "max_pool2d", kernel = 2 },
  { type = "linear", out = 32 },
  { type = "batch_norm", momentum = 0.5 },
  { type = "relu" },
  { type = "flatten" },
  { type = "linear", out = 10 },
]
[optimizer]
type = "sgd"
lr = 0.1
momentum = 0.9
"""

# A linear layer tied to an earlier one (tied_to): Gemm on the transpose of layers.0's initializer,
# which the file holds once.
TIED = """
name = "tied"
[data]
dataset = "mnist"
normalize = "scale01"
[model]
input = [784]
layers = [
  { type = "linear", out = 32 },
  { type = "tanh" },
  { type = "linear", out = 784, tied_to = "layers.0" },
  { type = "sigmoid" },
  { type = "linear", out = 10 },
]
[optimizer]
type = "adam"
lr = 0.01
"""


def config_for(case, work):
    """(config path, dataset, extra --set, per-example raw input shape)."""
    if case == "mlp":
        return os.path.join(SOURCE, "configs/mnist-mlp.toml"), "mnist", [], (784,)
    if case == "cnn":  # benchmark W3 (bench/peers.py)
        return os.path.join(SOURCE, "bench/configs/w3.toml"), "fashion-mnist", [], (1, 28, 28)
    if case == "cifar":
        # max_lr 0.005: the config's 0.05 one-cycle, squeezed into these four steps, diverges (loss ~15,
        # logits in the hundreds, where float32's spacing is 3e-5)
        return (os.path.join(SOURCE, "configs/cifar10-cnn.toml"), "cifar10",
                ["augment.hflip=0", "augment.crop_padding=0", "schedule.max_lr=0.005"], (3, 32, 32))
    if case == "pca":  # a rotation as the normalization: Sub + MatMul
        return (os.path.join(SOURCE, "configs/mnist-mlp.toml"), "mnist",
                ["data.normalize=pca_whiten", "data.pca_components=32", "model.input=[32]"], (784,))
    text = {"batchnorm": BATCH_NORM, "layers": EVERY_LAYER, "tied": TIED}[case]
    path = os.path.join(work, f"{case}.toml")
    open(path, "w").write(text)
    return path, "mnist", [], (784,) if case == "tied" else (1, 28, 28)


def cifar_test_images(n=64):
    """The first n CIFAR-10 test images (raw 0..255, [n, 3, 32, 32]): natural images, whose statistics
    the batch-norm running averages describe (uniform noise would not be)."""
    import gzip
    path = os.path.join(SOURCE, "data", "cifar10", "test_batch.bin")
    raw = gzip.open(path + ".gz").read(n * 3073) if os.path.exists(path + ".gz") else open(path, "rb").read(n * 3073)
    records = np.frombuffer(raw, dtype=np.uint8).reshape(n, 3073)
    return records[:, 1:].reshape(n, 3, 32, 32).astype(np.float32)


def check_running_statistics(run_dir):
    import torch_exchange
    tensors, _ = torch_exchange.read_safetensors(os.path.join(run_dir, "model.safetensors"))
    stats = {k: v for k, v in tensors.items() if "running_" in k}
    if not stats:
        fail("the batch-norm net has no running statistics")
    for k, v in stats.items():
        trivial = 0.0 if k.endswith("mean") else 1.0
        if np.max(np.abs(v - trivial)) < 1e-3:
            fail(f"{k} is still at its initial value: the test would not check the running statistics")
    print(f"running statistics: {', '.join(f'{k} max|{v.max():.3g}|' for k, v in stats.items())}")


def onnx_check(path):
    import onnx
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)  # full_check: shape inference over the graph too
    ops = sorted({n.op_type for n in model.graph.node})
    print(f"onnx {onnx.__version__} checker: {os.path.basename(path)} valid (opset "
          f"{model.opset_import[0].version}, IR {model.ir_version}; ops {', '.join(ops)})")


def onnxruntime(ort_dir, model, x, work, tag):
    inp, out = os.path.join(work, f"{tag}-ort-in.bin"), os.path.join(work, f"{tag}-ort-out.bin")
    x.astype("<f4").tofile(inp)
    r = run(["node", os.path.join(SOURCE, "tests/exchange/run_onnxruntime.js"), ort_dir, model, inp,
             ",".join(map(str, x.shape)), out])
    info = json.loads(r.stdout.strip().splitlines()[-1])
    return np.fromfile(out, dtype="<f4").reshape(info["dims"])


def check_tied_once(path):
    import onnx
    names = [t.name for t in onnx.load(path).graph.initializer]
    if names.count("layers.0.weight") != 1 or any(n.startswith("layers.2.weight") for n in names):
        fail(f"the tied weight should be stored once, as layers.0.weight: initializers {names}")
    print("tied: layers.0.weight stored once, layers.2 has only its bias")


def expect_refusal(cmd, code, *words):
    r = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, cwd=SOURCE)
    if r.returncode != code or not all(w in r.stderr for w in words) or "gradnet: error:" not in r.stderr:
        fail(f"{' '.join(map(str, cmd))}: exit {r.returncode} (want {code}), stderr {r.stderr!r} (want {words})")
    print(f"refused (exit {code}): {r.stderr.strip().splitlines()[0]}")


def bad_input(gradnet):
    """gradnet export refuses what it cannot do with exit 2 and a message naming the file."""
    need_dataset("mnist")
    work = work_dir("onnx-bad")
    expect_refusal([gradnet, "export", os.path.join(work, "nosuch"), "--onnx", os.path.join(work, "m.onnx")], 2, "nosuch")
    no_model = os.path.join(work, "no-model")
    os.makedirs(no_model)
    shutil.copy(os.path.join(SOURCE, "configs/mnist-mlp.toml"), os.path.join(no_model, "config.toml"))
    expect_refusal([gradnet, "export", no_model, "--onnx", os.path.join(work, "m.onnx")], 2, "no model.safetensors")
    run_dir = train(gradnet, os.path.join(SOURCE, "configs/mnist-mlp.toml"), os.path.join(work, "mse"),
                    ["model.loss=mse"])
    expect_refusal([gradnet, "export", run_dir], 2, "--onnx")
    expect_refusal([gradnet, "export", run_dir, "--onnx", os.path.join(work, "nodir", "m.onnx")], 2, "nodir")
    expect_refusal([gradnet, "export", run_dir, "--onnx", "/dev/null/m.onnx"], 2, "/dev/null")
    expect_refusal([gradnet, "export", run_dir, "--onnx", os.path.join(work, "m.onnx"), "--softmax"], 2, "mse")
    expect_refusal([gradnet, "export", run_dir, "--onnx", os.path.join(work, "m.onnx"), "--checkpoint", "nosuch.st"],
                   2, "nosuch.st")
    if os.path.exists(os.path.join(work, "m.onnx")):
        fail("a refused export left a file behind")
    wrong = os.path.join(work, "wrong.npy")
    np.save(wrong, np.zeros((3, 100), np.float32))
    expect_refusal([gradnet, "export", run_dir, "--logits", os.path.join(work, "l.npy"), "--input", wrong], 2, "100",
                   "784")
    open(wrong, "wb").write(b"not an array")
    expect_refusal([gradnet, "export", run_dir, "--logits", os.path.join(work, "l.npy"), "--input", wrong], 2,
                   "wrong.npy")


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    gradnet, ort_dir, case = sys.argv[1:]
    if case == "bad":
        return bad_input(gradnet)
    try:
        import onnx  # noqa: F401
    except ImportError:
        skip("python3-onnx is not installed (scripts/setup installs it): onnx.checker cannot run")
    if not os.path.exists(os.path.join(ort_dir, "node_modules", "onnxruntime-node", "package.json")):
        skip(f"ONNX Runtime is not installed in {ort_dir} (scripts/install-onnxruntime {ort_dir} installs it from "
             "the npm registry; it failed or npm is missing)")
    work = work_dir(f"onnx-{case}")
    config, dataset, extra, raw_shape = config_for(case, work)
    need_dataset(dataset)
    run_dir = train(gradnet, config, os.path.join(work, "run"), extra)
    if case == "batchnorm":
        check_running_statistics(run_dir)
    x = cifar_test_images() if case == "cifar" else raw_batch(raw_shape)
    for softmax in ([False, True] if case == "mlp" else [False]):
        tag = "softmax" if softmax else "logits"
        model = os.path.join(work, f"{tag}.onnx")
        r = run([gradnet, "export", run_dir, "--onnx", model, "--json"] + (["--softmax"] if softmax else []))
        summary = json.loads(r.stdout.strip().splitlines()[-1])
        if summary["input"] != "input" or summary["input_shape"] != list(raw_shape):
            fail(f"unexpected input in {summary}")
        onnx_check(model)
        if case == "tied":
            check_tied_once(model)
        want = gradnet_outputs(gradnet, run_dir, x, work, softmax, tag)
        got = onnxruntime(ort_dir, model, x, work, tag)
        compare(f"{case}: ONNX Runtime {tag} vs gradnet", got, want)
    if case == "mlp":  # --checkpoint: the step-0 weights, which must differ from the final model's
        model = os.path.join(work, "step0.onnx")
        run([gradnet, "export", run_dir, "--onnx", model, "--checkpoint", "step-00000000.safetensors"])
        step0 = os.path.join(run_dir, "checkpoints", "step-00000000.safetensors")
        want = gradnet_outputs(gradnet, step0, x, work, tag="step0")
        if np.max(np.abs(want - gradnet_outputs(gradnet, run_dir, x, work, tag="final"))) < 1e-3:
            fail("the step-0 checkpoint gives the final model's outputs: --checkpoint is not checked")
        compare(f"{case}: ONNX Runtime --checkpoint step-0 vs gradnet", onnxruntime(ort_dir, model, x, work, "step0"), want)


if __name__ == "__main__":
    main()
