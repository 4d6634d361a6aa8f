#!/usr/bin/python3
"""scripts/to_torch.py and scripts/from_torch.py, both ways, with Debian's python3-torch:

  to_torch CASE    a tiny gradnet run -> TorchScript; its outputs for a raw batch must equal gradnet's
                   (gradnet export --logits) within 1e-5, and so must the state_dict reloaded into
                   torch_exchange.build_module.
  from_torch CASE  a PyTorch module with random weights (and random batch-norm running statistics) ->
                   state_dict -> from_torch.py -> a run directory; gradnet's outputs must equal
                   PyTorch's within 1e-5, and gradnet eval must accept the directory.

    torch_exchange_test.py GRADNET to_torch|from_torch mlp|cnn|layers|bad
"""
import os
import sys
import tomllib

import numpy as np

from exchange_common import SOURCE, compare, fail, gradnet_outputs, need_dataset, raw_batch, run, skip, train, work_dir
from onnx_export_test import BATCH_NORM, EVERY_LAYER

sys.path.insert(0, os.path.join(SOURCE, "scripts"))


def run_script(name, args, expect=0):
    """scripts/NAME.py's main() with these arguments, in this process (one torch import for the whole
    test); returns its stderr. Fails unless it exits with `expect`."""
    import contextlib
    import importlib
    import io
    module = importlib.import_module(name)
    err, code = io.StringIO(), 0
    saved = sys.argv
    sys.argv = [name + ".py"] + [str(a) for a in args]
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            module.main()
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else 1
    finally:
        sys.argv = saved
    if code != expect:
        fail(f"scripts/{name}.py {' '.join(map(str, args))}: exit {code} (want {expect}); stderr {err.getvalue()!r}")
    return err.getvalue()


def case_config(case, work):
    """(config path, dataset, raw per-example shape) of a case."""
    if case == "mlp":
        return os.path.join(SOURCE, "configs/mnist-mlp.toml"), "mnist", (784,)
    if case == "cnn":
        return os.path.join(SOURCE, "bench/configs/w3.toml"), "fashion-mnist", (1, 28, 28)
    path = os.path.join(work, f"{case}.toml")
    open(path, "w").write({"layers": EVERY_LAYER, "batchnorm": BATCH_NORM}[case])
    return path, "mnist", (1, 28, 28)


def to_torch(gradnet, case):
    import torch
    import torch_exchange
    work = work_dir(f"to-torch-{case}")
    config, dataset, raw_shape = case_config(case, work)
    need_dataset(dataset)
    run_dir = train(gradnet, config, os.path.join(work, "run"))
    scripted, state = os.path.join(work, "model.pt"), os.path.join(work, "state.pt")
    run_script("to_torch", [run_dir, "--out", scripted, "--state-dict", state])
    x = raw_batch(raw_shape)
    want = gradnet_outputs(gradnet, run_dir, x, work)
    with torch.no_grad():
        got = torch.jit.load(scripted)(torch.from_numpy(x)).numpy()
    compare(f"to_torch {case}: TorchScript vs gradnet", got, want)
    # The state_dict route: gradnet's names, loaded strictly into the module built from the config.
    cfg = tomllib.load(open(os.path.join(run_dir, "config.toml"), "rb"))
    norm = torch_exchange.load_normalizer(os.path.join(run_dir, "normalization.safetensors"), cfg["model"]["input"])
    model, _ = torch_exchange.build_module(cfg["model"], norm)
    model.load_state_dict(torch.load(state), strict=True)
    with torch.no_grad():
        got = model(torch.from_numpy(x)).numpy()
    compare(f"to_torch {case}: state_dict in build_module vs gradnet", got, want)


def randomise(model, seed):
    """Random weights, and running statistics far from their initial 0 and 1."""
    import torch
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, t in model.state_dict().items():
            if name.endswith("num_batches_tracked"):
                continue
            if name.endswith("running_var"):
                t.copy_(torch.rand(t.shape, generator=g) * 2 + 0.5)
            elif name.endswith("running_mean"):
                t.copy_(torch.randn(t.shape, generator=g))
            elif name.endswith("weight_g"):
                t.copy_(torch.rand(t.shape, generator=g) + 0.5)
            elif t.dim() >= 2:  # a weight: PyTorch-like scale 1/sqrt(fan_in), so the outputs stay O(1)
                t.copy_(torch.randn(t.shape, generator=g) / float(np.prod(t.shape[1:])) ** 0.5)
            else:
                t.copy_(torch.randn(t.shape, generator=g) * 0.3)


def from_torch(gradnet, case):
    import torch
    import torch_exchange
    work = work_dir(f"from-torch-{case}")
    config, dataset, raw_shape = case_config(case, work)
    need_dataset(dataset)
    cfg = tomllib.load(open(config, "rb"))
    layers, _ = torch_exchange.build_layers(cfg["model"])
    randomise(layers, 7)
    layers.eval()
    state = os.path.join(work, "state.pt")
    torch.save(layers.state_dict(), state)  # a plain nn.Sequential's names: "0.weight", ...
    # The normalization the torch side applies by hand: x/255 for images, a fixed mean/std otherwise.
    x = raw_batch(raw_shape)
    run_dir = os.path.join(work, "run")
    cmd = [state, "--config", config, "--out", run_dir]
    normalized = x / 255.0 if cfg["data"]["normalize"] == "scale01" else x
    if cfg["data"]["normalize"] not in ("scale01", "none"):
        mean, std = np.float32(33.3), np.float32(78.6)
        sd = {k: v for k, v in layers.state_dict().items()}
        sd.update({"normalize.mean": torch.full(raw_shape, float(mean)), "normalize.std": torch.full(raw_shape, float(std))})
        torch.save(sd, state)
        normalized = (x - mean) / std
    run_script("from_torch", cmd)
    with torch.no_grad():
        want = layers(torch.from_numpy(np.ascontiguousarray(normalized, dtype=np.float32))).numpy()
    got = gradnet_outputs(gradnet, run_dir, x, work)
    compare(f"from_torch {case}: gradnet vs PyTorch", got, want)
    r = run([gradnet, "eval", run_dir, "--json", "--threads", "1"], cwd=SOURCE)
    print(f"gradnet eval on the converted run: {r.stdout.strip().splitlines()[-1][:120]}")


def bad_input(gradnet):
    """from_torch refuses a state_dict that does not fit the config, naming the tensor (exit 2)."""
    import torch
    import torch_exchange
    work = work_dir("from-torch-bad")
    config = os.path.join(SOURCE, "configs/mnist-mlp.toml")
    cfg = tomllib.load(open(config, "rb"))
    layers, _ = torch_exchange.build_layers(cfg["model"])
    sd = layers.state_dict()
    sd["2.weight"] = torch.zeros(17, 64)
    torch.save(sd, os.path.join(work, "wrong.pt"))
    err = run_script("from_torch", [os.path.join(work, "wrong.pt"), "--config", config, "--out",
                                    os.path.join(work, "run")], expect=2)
    if "layers.2.weight" not in err or "[17, 64]" not in err:
        fail(f"a wrong shape: stderr {err!r}")
    del sd["4.bias"]
    sd["2.weight"] = torch.zeros(16, 64)
    torch.save(sd, os.path.join(work, "missing.pt"))
    err = run_script("from_torch", [os.path.join(work, "missing.pt"), "--config", config, "--out",
                                    os.path.join(work, "run")], expect=2)
    if "layers.4.bias" not in err:
        fail(f"a missing tensor: stderr {err!r}")
    err = run_script("from_torch", [os.path.join(work, "missing.pt"), "--config", config, "--out", work], expect=2)
    if "not empty" not in err:
        fail(f"from_torch into a non-empty directory: stderr {err!r}")
    err = run_script("to_torch", [work], expect=2)
    if "config.toml" not in err:
        fail(f"to_torch on a non-run directory: stderr {err!r}")
    if os.path.exists(os.path.join(work, "run")):
        fail("a refused from_torch left a run directory behind")
    print("from_torch and to_torch refuse bad input with exit 2 and the tensor's name")


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    gradnet, direction, case = sys.argv[1:]
    try:
        import torch
    except ImportError:
        skip("python3-torch is not installed (scripts/setup installs it): the PyTorch exchange cannot be checked")
    torch.set_num_threads(1)
    if case == "bad":
        return bad_input(gradnet)
    (to_torch if direction == "to_torch" else from_torch)(gradnet, case)


if __name__ == "__main__":
    main()
