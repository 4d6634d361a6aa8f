#!/usr/bin/python3
"""Writes tests/golden/conv.json: PyTorch's forward outputs, gradients and running statistics, in
float64, for the conv-net layers of registry_conv.cpp: conv2d, max_pool2d, avg_pool2d,
global_avg_pool and batch_norm (1d on [C], 2d on [C, H, W]). Inputs, upstream gradients and
parameter values are stored in the JSON, so the C++ test (tests/golden/conv_golden_test.cpp) never
reproduces torch's RNG.

Each case: name, type, attrs (the gradnet layer keys, as written in TOML), in (per-example shape),
max_batch (for setup), params (name -> value, PyTorch's layout = gradnet's), and steps, run in order
on the same layer object. Each step: mode ("train" or "eval"), x (N, *in), y; dy, dx and grads
(name -> dL/dparam of this step alone) when it has a backward; buffers (running_mean, running_var
after the step) for batch norm with track_running_stats.

Run with Debian's interpreter and torch (apt-get install python3-torch):
    /usr/bin/python3 tests/golden/gen_conv.py
"""
import json
import os

import torch
import torch.nn.functional as F

SEED = 0
GENERATOR = "tests/golden/gen_conv.py"
torch.manual_seed(SEED)
torch.set_default_dtype(torch.float64)


def lst(x):
    return x.detach().tolist()


def leaf(t):
    return t.detach().clone().requires_grad_(True)


def step(mode, x, fn, params, backward=True):
    """One forward (and backward with a random dy) of fn(x) -> y; grads are this step's only."""
    x = leaf(x)
    for p in params.values():
        p.grad = None
    y = fn(x)
    s = {"mode": mode, "x": lst(x), "y": lst(y)}
    if backward:
        dy = torch.randn(*y.shape)
        y.backward(dy)
        s.update({"dy": lst(dy), "dx": lst(x.grad), "grads": {k: lst(p.grad) for k, p in params.items()}})
    return s


# ---- conv2d ----

def conv_case(name, c, h, w, n, out, k, stride=1, padding=0, dilation=1, groups=1, bias=True, max_batch=None):
    weight = leaf(torch.randn(out, c // groups, k, k) * 0.5)
    params = {"weight": weight}
    if bias:
        params["bias"] = leaf(torch.randn(out) * 0.5)
    attrs = {"out": out, "kernel": k, "stride": stride, "padding": padding, "dilation": dilation, "groups": groups,
             "bias": bias}
    fn = lambda x: F.conv2d(x, weight, params.get("bias"), stride, padding, dilation, groups)
    s = step("train", torch.randn(n, c, h, w), fn, params)
    return {"name": f"conv2d {name}: in [{c}, {h}, {w}] n={n} out={out} k={k} s={stride} p={padding} "
                    f"d={dilation} g={groups} bias={bias}",
            "type": "conv2d", "attrs": attrs, "in": [c, h, w], "max_batch": max_batch or n,
            "params": {k_: lst(p) for k_, p in params.items()}, "steps": [s]}


def conv_cases():
    return [
        conv_case("same", 3, 4, 5, 2, 4, 3, padding=1),
        conv_case("strided", 3, 7, 6, 2, 4, 3, stride=2),
        conv_case("dilated", 2, 6, 5, 2, 3, 3, padding=2, dilation=2),
        conv_case("grouped", 4, 4, 3, 2, 6, 3, padding=1, groups=2),
        conv_case("depthwise", 4, 4, 5, 2, 4, 3, padding=1, groups=4),
        conv_case("depthwise x2", 3, 4, 6, 2, 6, 3, stride=2, padding=1, groups=3),
        conv_case("pointwise", 4, 3, 5, 3, 2, 1),
        conv_case("no bias", 2, 4, 4, 2, 3, 3, padding=1, bias=False),
        conv_case("everything", 4, 6, 7, 2, 4, 3, stride=2, padding=1, dilation=2, groups=2),
        conv_case("k2 s2 p1 wide", 2, 3, 8, 2, 3, 2, stride=2, padding=1),
        conv_case("k5", 2, 5, 6, 2, 2, 5, padding=2),
        conv_case("batch below max_batch", 3, 4, 5, 2, 2, 3, padding=1, max_batch=5),
    ]


# ---- pooling ----

def pool_case(kind, attrs, c, h, w, n, fn):
    s = step("train", torch.randn(n, c, h, w), fn, {})
    return {"name": f"{kind} {attrs}: in [{c}, {h}, {w}] n={n}", "type": kind, "attrs": attrs, "in": [c, h, w],
            "max_batch": n, "params": {}, "steps": [s]}


def pool_cases():
    return [
        # stride 0 = kernel in gradnet; PyTorch's stride=None is the kernel too. W = 7: the last column is dropped.
        pool_case("max_pool2d", {"kernel": 2, "stride": 0}, 2, 5, 7, 2, lambda x: F.max_pool2d(x, 2)),
        pool_case("max_pool2d", {"kernel": 2}, 2, 5, 4, 2, lambda x: F.max_pool2d(x, 2)),
        pool_case("max_pool2d", {"kernel": 3, "stride": 2, "padding": 1}, 2, 5, 7, 2,
                  lambda x: F.max_pool2d(x, 3, 2, 1)),
        # overlapping windows: one input can be the max of several windows (its dx sums their dy)
        pool_case("max_pool2d", {"kernel": 2, "stride": 1}, 2, 4, 5, 2, lambda x: F.max_pool2d(x, 2, 1)),
        pool_case("avg_pool2d", {"kernel": 2, "stride": 0}, 2, 5, 7, 2, lambda x: F.avg_pool2d(x, 2)),
        pool_case("avg_pool2d", {"kernel": 3, "stride": 2, "padding": 1, "count_include_pad": True}, 2, 5, 7, 2,
                  lambda x: F.avg_pool2d(x, 3, 2, 1, count_include_pad=True)),
        pool_case("avg_pool2d", {"kernel": 3, "stride": 2, "padding": 1, "count_include_pad": False}, 2, 5, 7, 2,
                  lambda x: F.avg_pool2d(x, 3, 2, 1, count_include_pad=False)),
        pool_case("avg_pool2d", {"kernel": 3, "stride": 1, "padding": 1, "count_include_pad": False}, 2, 4, 5, 2,
                  lambda x: F.avg_pool2d(x, 3, 1, 1, count_include_pad=False)),
        pool_case("avg_pool2d", {"kernel": 3, "stride": 1, "padding": 1}, 2, 4, 5, 2,
                  lambda x: F.avg_pool2d(x, 3, 1, 1)),  # count_include_pad defaults to true on both sides
        pool_case("global_avg_pool", {}, 3, 4, 5, 2, lambda x: F.adaptive_avg_pool2d(x, 1).flatten(1)),
        pool_case("global_avg_pool", {}, 2, 1, 3, 3, lambda x: F.adaptive_avg_pool2d(x, 1).flatten(1)),
    ]


# ---- batch norm ----

def batch_norm_case(shape, batches, momentum=0.1, eps=1e-5, affine=True, track=True):
    """Three training passes (batch sizes `batches`, inputs off-centre so the running statistics move),
    then eval on a fresh input: y, dx and grads at every step, running stats after every step."""
    c = shape[0]
    params = {}
    if affine:  # random, not PyTorch's ones/zeros init: the golden values must exercise γ and β
        params = {"weight": leaf(torch.randn(c) * 0.5 + 1.0), "bias": leaf(torch.randn(c) * 0.5)}
    rm = torch.zeros(c) if track else None
    rv = torch.ones(c) if track else None
    attrs = {"momentum": momentum, "eps": eps, "affine": affine, "track_running_stats": track}
    steps = []
    for i, n in enumerate(batches + [batches[0]]):
        mode = "train" if i < len(batches) else "eval"
        x = torch.randn(n, *shape) * (1.0 + 0.5 * i) + (0.3 * i - 0.5)
        # nn.BatchNorm without running statistics always normalises with the batch's (bn_training)
        training = mode == "train" or not track
        fn = lambda x: F.batch_norm(x, rm, rv, params.get("weight"), params.get("bias"), training=training,
                                    momentum=momentum, eps=eps)
        s = step(mode, x, fn, params)
        if track:
            s["buffers"] = {"running_mean": lst(rm), "running_var": lst(rv)}
        steps.append(s)
    kind = "2d" if len(shape) == 3 else "1d"
    return {"name": f"batch_norm {kind} {list(shape)} batches={batches} momentum={momentum} eps={eps} "
                    f"affine={affine} track={track}",
            "type": "batch_norm", "attrs": attrs, "in": list(shape), "max_batch": max(batches),
            "params": {k: lst(p) for k, p in params.items()}, "steps": steps}


def batch_norm_cases():
    return [
        batch_norm_case((3,), [4, 3, 5]),
        batch_norm_case((3,), [4, 3, 5], momentum=0.3, eps=1e-3),
        batch_norm_case((3,), [4, 2, 6], affine=False),
        batch_norm_case((2, 3, 2), [3, 2, 3]),
        batch_norm_case((2, 2, 3), [3, 2, 3], momentum=0.3, eps=1e-3),
        batch_norm_case((3, 2, 2), [2, 3, 2], affine=False),
        # no running statistics: eval normalises with the batch's own (and backpropagates through them)
        batch_norm_case((2, 2, 3), [3, 2, 3], track=False),
    ]


def main():
    out = {"generator": GENERATOR, "torch_version": torch.__version__, "seed": SEED, "dtype": "float64"}
    out["cases"] = conv_cases() + pool_cases() + batch_norm_cases()
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "conv.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=None, separators=(",", ":"))
        f.write("\n")
    print("wrote", path, os.path.getsize(path), "bytes,", len(out["cases"]), "cases")


if __name__ == "__main__":
    main()
