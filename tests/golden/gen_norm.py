#!/usr/bin/python3
"""Writes tests/golden/norm.json: PyTorch's forward outputs and gradients, in float64, for the layers
of registry_extra.cpp (layer_norm, group_norm, instance_norm, softmax, log_softmax, elu, gelu, silu)
and for linear with weight_norm = true. Inputs, upstream gradients and parameter values are stored
in the JSON, so the C++ test (tests/golden/norm_golden_test.cpp) never reproduces torch's RNG.

Each case: type, attrs (the gradnet layer keys), in (per-example shape), x (N, *in), dy, params
(name -> value, as gradnet names them), y, dx, grads (name -> dL/dparam).

Run with Debian's interpreter and torch (apt-get install python3-torch):
    /usr/bin/python3 tests/golden/gen_norm.py
"""
import json
import os

import torch
import torch.nn.functional as F

SEED = 0
GENERATOR = "tests/golden/gen_norm.py"
torch.manual_seed(SEED)
torch.set_default_dtype(torch.float64)


def lst(x):
    return x.detach().tolist()


def leaf(t):
    return t.detach().clone().requires_grad_(True)


def run(name, kind, attrs, shape, n, fn, params, x_scale=1.0, x_shift=0.0):
    """fn(x, params) -> y; params: name -> leaf tensor (PyTorch's shapes, gradnet's names)."""
    x = leaf(torch.randn(n, *shape) * x_scale + x_shift)
    y = fn(x, params)
    dy = torch.randn(*y.shape)
    y.backward(dy)
    return {"name": name, "type": kind, "attrs": attrs, "in": list(shape), "x": lst(x), "dy": lst(dy),
            "params": {k: lst(p) for k, p in params.items()}, "y": lst(y), "dx": lst(x.grad),
            "grads": {k: lst(p.grad) for k, p in params.items()}}


def affine(shape, on):
    # Random, not PyTorch's ones/zeros init: the golden values must exercise w and b.
    if not on:
        return {}
    return {"weight": leaf(torch.randn(*shape) * 0.5 + 1.0), "bias": leaf(torch.randn(*shape) * 0.5)}


def layer_norm_case(shape, n, affine_on=True, eps=1e-5, x_scale=1.0, x_shift=0.0):
    p = affine(shape, affine_on)
    attrs = {"affine": affine_on, "eps": eps}
    fn = lambda x, p: F.layer_norm(x, shape, p.get("weight"), p.get("bias"), eps)
    return run(f"layer_norm {list(shape)} n={n} affine={affine_on} eps={eps}", "layer_norm", attrs, shape, n, fn, p,
               x_scale, x_shift)


def group_norm_case(shape, n, groups, affine_on=True, eps=1e-5):
    p = affine((shape[0],), affine_on)
    attrs = {"groups": groups, "affine": affine_on, "eps": eps}
    fn = lambda x, p: F.group_norm(x, groups, p.get("weight"), p.get("bias"), eps)
    name = f"group_norm {list(shape)} n={n} groups={groups} affine={affine_on}"
    return run(name, "group_norm", attrs, shape, n, fn, p, 2.0, 0.5)


def instance_norm_case(shape, n, affine_on=False):
    # nn.InstanceNorm2d / 1d with track_running_stats = False: F.instance_norm with input statistics.
    p = affine((shape[0],), affine_on)
    attrs = {"affine": affine_on}
    fn = lambda x, p: F.instance_norm(x, weight=p.get("weight"), bias=p.get("bias"), use_input_stats=True, eps=1e-5)
    name = f"instance_norm {list(shape)} n={n} affine={affine_on}"
    return run(name, "instance_norm", attrs, shape, n, fn, p, 1.5, -1.0)


def softmax_case(kind, shape, n, dim="channel", x_scale=3.0):
    f = F.softmax if kind == "softmax" else F.log_softmax
    if dim == "all":
        fn = lambda x, p: f(x.flatten(1), dim=1).view_as(x)
    else:
        fn = lambda x, p: f(x, dim=1)  # over C at each position: PyTorch's dim=1
    return run(f"{kind} {list(shape)} n={n} dim={dim}", kind, {"dim": dim}, shape, n, fn, {}, x_scale)


def activation_case(kind, attrs, fn):
    return run(f"{kind} {attrs}", kind, attrs, (2, 5), 3, lambda x, p: fn(x), {}, 3.0)


def weight_norm_case(shape, n, out, bias):
    # torch.nn.utils.weight_norm(nn.Linear(in, out)) (dim=0): weight_g (out, 1), weight_v (out, in);
    # the module's pre-forward hook computes weight = g · v/‖v‖. g is set away from ‖v‖.
    d_in = 1
    for s in shape:
        d_in *= s
    lin = torch.nn.utils.weight_norm(torch.nn.Linear(d_in, out, bias=bias))
    with torch.no_grad():
        lin.weight_g.copy_(torch.rand(out, 1) * 2.0 - 0.5)
        lin.weight_v.copy_(torch.randn(out, d_in))
        if bias:
            lin.bias.copy_(torch.randn(out) * 0.5)
    p = {"weight_g": lin.weight_g, "weight_v": lin.weight_v}
    if bias:
        p["bias"] = lin.bias
    return run(f"linear weight_norm {list(shape)} -> {out} n={n} bias={bias}", "linear",
               {"out": out, "bias": bias, "weight_norm": True}, shape, n, lambda x, p: lin(x.flatten(1)), p)


def main():
    cases = [
        layer_norm_case((6,), 4),
        layer_norm_case((2, 3, 4), 2),
        layer_norm_case((5,), 3, affine_on=False, x_scale=10.0, x_shift=100.0),
        layer_norm_case((3, 2, 2), 1, eps=1e-3),
        group_norm_case((4, 3, 3), 2, 2),
        group_norm_case((6,), 3, 3),
        group_norm_case((4, 5), 2, 4, affine_on=False),
        group_norm_case((3, 2, 2), 1, 1),
        instance_norm_case((3, 4, 4), 2),
        instance_norm_case((2, 3, 3), 3, affine_on=True),
        instance_norm_case((3, 5), 2, affine_on=True),
        softmax_case("softmax", (7,), 3),
        softmax_case("softmax", (3, 2, 4), 2),
        softmax_case("softmax", (3, 2, 4), 2, dim="all"),
        softmax_case("softmax", (4, 3), 1, x_scale=30.0),
        softmax_case("log_softmax", (7,), 3),
        softmax_case("log_softmax", (3, 2, 4), 2),
        softmax_case("log_softmax", (3, 2, 4), 2, dim="all"),
        # Not 30 as for softmax: where one logit leads by ~20, its log-probability is about -e^-20 and
        # x − m − log Σ keeps only ~1e-16 of it absolutely (PyTorch and gradnet alike, in different
        # rounding), so a 1e-6 relative comparison would compare rounding noise.
        softmax_case("log_softmax", (4, 3), 1, x_scale=5.0),
        activation_case("elu", {"alpha": 1.0}, F.elu),
        activation_case("elu", {"alpha": 0.5}, lambda x: F.elu(x, alpha=0.5)),
        activation_case("gelu", {"approximate": "none"}, F.gelu),
        activation_case("gelu", {"approximate": "tanh"}, lambda x: F.gelu(x, approximate="tanh")),
        activation_case("silu", {}, F.silu),
        weight_norm_case((5,), 4, 3, True),
        weight_norm_case((2, 2, 2), 2, 4, False),
    ]
    out = {"generator": GENERATOR, "torch_version": torch.__version__, "seed": SEED, "dtype": "float64",
           "cases": cases}
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "norm.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(f"wrote {path}: {len(cases)} cases")


if __name__ == "__main__":
    main()
