#!/usr/bin/python3
"""The layer case table: for every registered layer type, in one place, its gradient-check cases and
its golden cases (PyTorch's outputs and gradients, float64). Running this file writes
tests/golden/layer_cases.json, which the C++ tests read (no test imports torch):

  tests/layers/registry_test.cpp           every type's gradient-check cases (analytic vs 4-point
                                           numeric gradient, 1e-7); a registered type without any fails
  tests/golden/layer_cases_golden_test.cpp every golden case against PyTorch's values; a registered
                                           type without golden cases fails unless it gives a reason
  tests/layers/layers_docs_test.cpp        docs/layers.md lists each type's cases from the file

Adding a layer type: one entry in CASES below (gradcheck cases, and golden cases or golden_exempt),
then run this file with Debian's interpreter and torch (apt-get install python3-torch python3-numpy):
    /usr/bin/python3 tests/golden/layer_cases.py

A gradcheck case: attrs (the layer's TOML keys), in (the per-example shape), batch, mode (train or
eval). A golden case: name, attrs, in, max_batch (for setup), tolerance, params (name -> value, as
gradnet names them, in PyTorch's layout), and steps run in order on one layer object. Each step:
mode, x (N, *in), y; dy, dx and grads (name -> dL/dparam of this step alone) when it has a
backward; buffers (name -> value after the step) for layers with running statistics.
The C++ test checks |got - want| <= rel·max(|got|, |want|) + abs_of_max·max_i |want_i|.

Every golden case draws its random values from its own seed (SEED and a hash of its name), so
adding or changing one case leaves every other case's values as they were.
The losses (softmax_cross_entropy, mse, bce_with_logits) keep their own section, LOSSES; a case
with "targets" (dense rows, an autoencoder's) instead of "labels" sets the loss up for dense targets.
"""
import json
import os
import zlib

import torch
import torch.nn.functional as F

SEED = 0
GENERATOR = "tests/golden/layer_cases.py"
torch.set_default_dtype(torch.float64)

# Elementwise and per-example layers compare to 1e-6 relative. The conv-net layers are sums of at
# most a few hundred terms in float64 on both sides, so they compare to 1e-9 relative; the second
# term, a millionth of that bound taken on the tensor's largest value, only covers elements that
# cancel to near zero (a conv output of 1e-7 summed from O(1) terms is good to ~1e-16 absolute, not
# relative). A wrong index, divisor or momentum is off by ~1e-2 or more.
LOOSE = {"rel": 1e-6, "abs_of_max": 0.0}
TIGHT = {"rel": 1e-9, "abs_of_max": 1e-12}


def seed_for(name):
    torch.manual_seed(SEED * 1000003 + zlib.crc32(name.encode()))


def lst(x):
    return x.detach().tolist()


def leaf(t):
    return t.detach().clone().requires_grad_(True)


def gc(attrs, shape, batch, mode="train"):
    """One gradient-check case."""
    return {"attrs": attrs, "in": list(shape), "batch": batch, "mode": mode}


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


def golden(name, attrs, shape, params, steps, tolerance=LOOSE, max_batch=None, note=""):
    return {"name": name, "note": note, "attrs": attrs, "in": list(shape),
            "max_batch": max_batch or max(len(s["x"]) for s in steps), "tolerance": tolerance,
            "params": {k: lst(p) for k, p in params.items()}, "steps": steps}


def x_note(x_scale, x_shift):
    if (x_scale, x_shift) == (1.0, 0.0):
        return ""
    return f"x = {x_scale}·randn" + (f" + {x_shift}" if x_shift > 0 else f" − {-x_shift}" if x_shift < 0 else "")


def one_step(name, attrs, shape, n, fn, params, x_scale=1.0, x_shift=0.0, tolerance=LOOSE):
    """A single training-mode forward and backward on x = randn(n, *shape)·x_scale + x_shift."""
    s = step("train", torch.randn(n, *shape) * x_scale + x_shift, lambda x: fn(x, params), params)
    return golden(name, attrs, shape, params, [s], tolerance, note=x_note(x_scale, x_shift))


# ---- linear ----

def linear_case(name, n, d_in, d_out, bias):
    seed_for(name)
    params = {"weight": leaf(torch.randn(d_out, d_in) * 0.5)}
    if bias:
        params["bias"] = leaf(torch.randn(d_out) * 0.5)
    fn = lambda x, p: F.linear(x, p["weight"], p.get("bias"))  # y = x·Wᵀ + b
    return one_step(name, {"out": d_out, "bias": bias}, (d_in,), n, fn, params)


def weight_norm_case(shape, n, out, bias):
    # torch.nn.utils.weight_norm(nn.Linear(in, out)) (dim=0): weight_g (out, 1), weight_v (out, in);
    # the module's pre-forward hook computes weight = g · v/‖v‖. g is set away from ‖v‖.
    name = f"linear weight_norm {list(shape)} -> {out} n={n} bias={bias}"
    seed_for(name)
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
    return one_step(name, {"out": out, "bias": bias, "weight_norm": True}, shape, n, lambda x, p: lin(x.flatten(1)), p)


# ---- elementwise activations ----

def activation_range_case(kind, fn, attrs):
    # Values across the range, the kink at exactly 0 (relu's gradient there is 0, leaky's is slope),
    # and large |x| where a naive sigmoid overflows; gelu's 1 + erf is exactly 0 at -30.
    name = f"{kind} {attrs} fixed range"
    seed_for(name)
    x = torch.tensor([[-30.0, -4.0, -1.0, -0.25, 0.0, 0.25],
                      [1.0, 4.0, 30.0, -0.01, 0.01, 2.5],
                      [-2.0, 0.5, -0.5, 1.5, -1.5, 0.75]])
    return golden(name, attrs, (6,), {}, [step("train", x, fn, {})], note="fixed x from −30 to 30, ±0.01 and 0")


def activation_random_case(kind, attrs, fn):
    name = f"{kind} {attrs} random"
    seed_for(name)
    return one_step(name, attrs, (2, 5), 3, lambda x, p: fn(x), {}, 3.0)


# ---- softmax, log_softmax ----

def softmax_case(kind, shape, n, dim="channel", x_scale=3.0):
    name = f"{kind} {list(shape)} n={n} dim={dim} x_scale={x_scale}"
    seed_for(name)
    f = F.softmax if kind == "softmax" else F.log_softmax
    if dim == "all":
        fn = lambda x, p: f(x.flatten(1), dim=1).view_as(x)
    else:
        fn = lambda x, p: f(x, dim=1)  # over C at each position: PyTorch's dim=1
    return one_step(name, {"dim": dim}, shape, n, fn, {}, x_scale)


# ---- per-example normalisation ----

def affine(shape, on):
    # Random, not PyTorch's ones/zeros init: the golden values must exercise w and b.
    if not on:
        return {}
    return {"weight": leaf(torch.randn(*shape) * 0.5 + 1.0), "bias": leaf(torch.randn(*shape) * 0.5)}


def layer_norm_case(shape, n, affine_on=True, eps=1e-5, x_scale=1.0, x_shift=0.0):
    name = f"layer_norm {list(shape)} n={n} affine={affine_on} eps={eps} x={x_scale}·randn+{x_shift}"
    seed_for(name)
    p = affine(shape, affine_on)
    fn = lambda x, p: F.layer_norm(x, shape, p.get("weight"), p.get("bias"), eps)
    return one_step(name, {"affine": affine_on, "eps": eps}, shape, n, fn, p, x_scale, x_shift)


def group_norm_case(shape, n, groups, affine_on=True, eps=1e-5):
    name = f"group_norm {list(shape)} n={n} groups={groups} affine={affine_on}"
    seed_for(name)
    p = affine((shape[0],), affine_on)
    fn = lambda x, p: F.group_norm(x, groups, p.get("weight"), p.get("bias"), eps)
    return one_step(name, {"groups": groups, "affine": affine_on, "eps": eps}, shape, n, fn, p, 2.0, 0.5)


def instance_norm_case(shape, n, affine_on=False):
    # nn.InstanceNorm2d / 1d with track_running_stats = False: F.instance_norm with input statistics.
    name = f"instance_norm {list(shape)} n={n} affine={affine_on}"
    seed_for(name)
    p = affine((shape[0],), affine_on)
    fn = lambda x, p: F.instance_norm(x, weight=p.get("weight"), bias=p.get("bias"), use_input_stats=True, eps=1e-5)
    return one_step(name, {"affine": affine_on}, shape, n, fn, p, 1.5, -1.0)


# ---- conv2d, pooling, flatten ----

def conv_case(label, c, h, w, n, out, k, stride=1, padding=0, dilation=1, groups=1, bias=True, max_batch=None):
    name = (f"conv2d {label}: in [{c}, {h}, {w}] n={n} out={out} k={k} s={stride} p={padding} d={dilation} "
            f"g={groups} bias={bias}")
    seed_for(name)
    params = {"weight": leaf(torch.randn(out, c // groups, k, k) * 0.5)}
    if bias:
        params["bias"] = leaf(torch.randn(out) * 0.5)
    attrs = {"out": out, "kernel": k, "stride": stride, "padding": padding, "dilation": dilation, "groups": groups,
             "bias": bias}
    fn = lambda x: F.conv2d(x, params["weight"], params.get("bias"), stride, padding, dilation, groups)
    s = step("train", torch.randn(n, c, h, w), fn, params)
    return golden(name, attrs, (c, h, w), params, [s], TIGHT, max_batch, note=label)


def pool_case(kind, attrs, c, h, w, n, fn, note=""):
    name = f"{kind} {attrs}: in [{c}, {h}, {w}] n={n}"
    seed_for(name)
    return golden(name, attrs, (c, h, w), {}, [step("train", torch.randn(n, c, h, w), fn, {})], TIGHT, note=note)


# ---- batch norm ----

def batch_norm_case(shape, batches, momentum=0.1, eps=1e-5, affine_on=True, track=True):
    """Three training passes (batch sizes `batches`, inputs off-centre so the running statistics move),
    then eval on a fresh input: y, dx and grads at every step, running stats after every step."""
    kind = "2d" if len(shape) == 3 else "1d"
    name = (f"batch_norm {kind} {list(shape)} batches={batches} momentum={momentum} eps={eps} affine={affine_on} "
            f"track={track}")
    seed_for(name)
    c = shape[0]
    params = {}
    if affine_on:  # random, not PyTorch's ones/zeros init: the golden values must exercise γ and β
        params = {"weight": leaf(torch.randn(c) * 0.5 + 1.0), "bias": leaf(torch.randn(c) * 0.5)}
    rm = torch.zeros(c) if track else None
    rv = torch.ones(c) if track else None
    attrs = {"momentum": momentum, "eps": eps, "affine": affine_on, "track_running_stats": track}
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
    return golden(name, attrs, shape, params, steps, TIGHT, max(batches),
                  note="three training passes, then eval" + ("" if track else " with the batch's statistics"))


# ---- the table: registered type -> its cases ----

ACTIVATION_GRADCHECK = [gc({}, [10], 3), gc({}, [2, 5], 1)]
SMOOTH_GRADCHECK = [gc({}, [10], 3), None, gc({}, [6], 2, "eval")]  # None: the type's own second case
SOFTMAX_GRADCHECK = [gc({}, [7], 3), gc({}, [3, 2, 4], 2), gc({"dim": "all"}, [2, 3, 2], 1),
                     gc({}, [4, 3], 1, "eval")]


def smooth(second):
    return [second if c is None else c for c in SMOOTH_GRADCHECK]


def softmax_golden(kind):
    # log_softmax's last case is ×5, not ×30 as softmax's: where one logit leads by ~20, its
    # log-probability is about -e^-20 and x − m − log Σ keeps only ~1e-16 of it absolutely
    # (PyTorch and gradnet alike, in different rounding), so a 1e-6 relative comparison would compare
    # rounding noise.
    return [softmax_case(kind, (7,), 3), softmax_case(kind, (3, 2, 4), 2),
            softmax_case(kind, (3, 2, 4), 2, dim="all"),
            softmax_case(kind, (4, 3), 1, x_scale=30.0 if kind == "softmax" else 5.0)]


CASES = {
    "linear": {
        "gradcheck": [gc({"out": 4}, [6], 3), gc({"out": 5, "bias": False}, [2, 2, 2], 2),
                      gc({"out": 3, "init": "kaiming_normal"}, [9], 1, "eval"),
                      gc({"out": 4, "weight_norm": True}, [6], 3),
                      gc({"out": 3, "weight_norm": True, "bias": False}, [2, 2, 2], 1, "eval")],
        "golden": [linear_case("linear 4x5->3", 4, 5, 3, True), linear_case("linear 2x3->4 no bias", 2, 3, 4, False),
                   linear_case("linear 1x8->1", 1, 8, 1, True),
                   weight_norm_case((5,), 4, 3, True), weight_norm_case((2, 2, 2), 2, 4, False)],
    },
    "sigmoid": {"gradcheck": ACTIVATION_GRADCHECK, "golden": [activation_range_case("sigmoid", torch.sigmoid, {})]},
    "tanh": {"gradcheck": ACTIVATION_GRADCHECK, "golden": [activation_range_case("tanh", torch.tanh, {})]},
    "relu": {"gradcheck": ACTIVATION_GRADCHECK, "golden": [activation_range_case("relu", torch.relu, {})]},
    "leaky_relu": {
        "gradcheck": [gc({}, [10], 3), gc({"slope": 0.2}, [2, 5], 2)],
        "golden": [activation_range_case("leaky_relu", lambda x: F.leaky_relu(x, 0.01), {}),
                   activation_range_case("leaky_relu", lambda x: F.leaky_relu(x, 0.2), {"slope": 0.2})],
    },
    "identity": {"gradcheck": [gc({}, [10], 3)],
                 "golden": [activation_range_case("identity", lambda x: x * 1.0, {})]},
    "conv2d": {
        "gradcheck": [gc({"out": 3, "kernel": 3, "padding": 1}, [2, 5, 5], 2),
                      gc({"out": 2, "kernel": 3, "stride": 2, "padding": 2, "dilation": 2}, [2, 7, 6], 2),
                      gc({"out": 4, "kernel": 2, "groups": 2, "bias": False}, [4, 4, 5], 3),
                      gc({"out": 3, "kernel": 1}, [2, 3, 3], 2),
                      gc({"out": 4, "kernel": 3, "padding": 1, "groups": 2, "weight_norm": True}, [2, 4, 3], 2),
                      gc({"out": 2, "kernel": 3, "stride": 3}, [1, 7, 7], 1, "eval")],
        "golden": [
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
        ],
    },
    "max_pool2d": {
        "gradcheck": [gc({"kernel": 2}, [2, 4, 4], 2), gc({"kernel": 3, "stride": 2, "padding": 1}, [2, 5, 6], 2),
                      gc({"kernel": 2, "stride": 1}, [1, 3, 3], 1, "eval")],
        "golden": [
            # stride 0 = kernel in gradnet; PyTorch's stride=None is the kernel too. W = 7: the last column is dropped.
            pool_case("max_pool2d", {"kernel": 2, "stride": 0}, 2, 5, 7, 2, lambda x: F.max_pool2d(x, 2),
                      "the last column is dropped"),
            pool_case("max_pool2d", {"kernel": 2}, 2, 5, 4, 2, lambda x: F.max_pool2d(x, 2)),
            pool_case("max_pool2d", {"kernel": 3, "stride": 2, "padding": 1}, 2, 5, 7, 2,
                      lambda x: F.max_pool2d(x, 3, 2, 1)),
            # overlapping windows: one input can be the max of several windows (its dx sums their dy)
            pool_case("max_pool2d", {"kernel": 2, "stride": 1}, 2, 4, 5, 2, lambda x: F.max_pool2d(x, 2, 1),
                      "overlapping windows"),
        ],
    },
    "avg_pool2d": {
        "gradcheck": [gc({"kernel": 2}, [2, 4, 4], 2), gc({"kernel": 3, "stride": 2, "padding": 1}, [2, 5, 6], 2),
                      gc({"kernel": 3, "stride": 2, "padding": 1, "count_include_pad": False}, [1, 5, 5], 1)],
        "golden": [
            pool_case("avg_pool2d", {"kernel": 2, "stride": 0}, 2, 5, 7, 2, lambda x: F.avg_pool2d(x, 2),
                      "the last column is dropped"),
            pool_case("avg_pool2d", {"kernel": 3, "stride": 2, "padding": 1, "count_include_pad": True}, 2, 5, 7, 2,
                      lambda x: F.avg_pool2d(x, 3, 2, 1, count_include_pad=True)),
            pool_case("avg_pool2d", {"kernel": 3, "stride": 2, "padding": 1, "count_include_pad": False}, 2, 5, 7, 2,
                      lambda x: F.avg_pool2d(x, 3, 2, 1, count_include_pad=False)),
            pool_case("avg_pool2d", {"kernel": 3, "stride": 1, "padding": 1, "count_include_pad": False}, 2, 4, 5, 2,
                      lambda x: F.avg_pool2d(x, 3, 1, 1, count_include_pad=False)),
            pool_case("avg_pool2d", {"kernel": 3, "stride": 1, "padding": 1}, 2, 4, 5, 2,
                      lambda x: F.avg_pool2d(x, 3, 1, 1), "count_include_pad left to its default, true on both sides"),
        ],
    },
    "global_avg_pool": {
        "gradcheck": [gc({}, [3, 2, 3], 2)],
        "golden": [pool_case("global_avg_pool", {}, 3, 4, 5, 2, lambda x: F.adaptive_avg_pool2d(x, 1).flatten(1)),
                   pool_case("global_avg_pool", {}, 2, 1, 3, 3, lambda x: F.adaptive_avg_pool2d(x, 1).flatten(1))],
    },
    "flatten": {
        "gradcheck": [gc({}, [2, 3, 3], 2)],
        "golden": [pool_case("flatten", {}, 2, 3, 3, 2, lambda x: torch.nn.Flatten()(x))],
    },
    "dropout": {
        "gradcheck": [gc({}, [12], 3), gc({"rate": 0.2}, [2, 3, 3], 2), gc({}, [12], 2, "eval")],
        "golden_exempt": "the training mask comes from gradnet's own seeded stream, which PyTorch cannot "
                         "reproduce (eval is the identity); the mask statistics and scaling are tested in "
                         "tests/layers/batch_norm_test.cpp",
    },
    "batch_norm": {
        "gradcheck": [gc({}, [3], 5), gc({}, [2, 3, 3], 2), gc({"affine": False}, [4], 3),
                      gc({}, [2, 2, 3], 3, "eval"), gc({"track_running_stats": False}, [2, 2, 2], 2, "eval")],
        "golden": [
            batch_norm_case((3,), [4, 3, 5]),
            batch_norm_case((3,), [4, 3, 5], momentum=0.3, eps=1e-3),
            batch_norm_case((3,), [4, 2, 6], affine_on=False),
            batch_norm_case((2, 3, 2), [3, 2, 3]),
            batch_norm_case((2, 2, 3), [3, 2, 3], momentum=0.3, eps=1e-3),
            batch_norm_case((3, 2, 2), [2, 3, 2], affine_on=False),
            # no running statistics: eval normalises with the batch's own (and backpropagates through them)
            batch_norm_case((2, 2, 3), [3, 2, 3], track=False),
        ],
    },
    "elu": {
        "gradcheck": smooth(gc({"alpha": 0.5}, [2, 3, 4], 1)),
        "golden": [activation_range_case("elu", F.elu, {}),
                   activation_random_case("elu", {"alpha": 1.0}, F.elu),
                   activation_random_case("elu", {"alpha": 0.5}, lambda x: F.elu(x, alpha=0.5))],
    },
    "gelu": {
        "gradcheck": smooth(gc({"approximate": "tanh"}, [2, 3, 4], 2)),
        "golden": [activation_range_case("gelu", F.gelu, {}),
                   activation_random_case("gelu", {"approximate": "none"}, F.gelu),
                   activation_random_case("gelu", {"approximate": "tanh"}, lambda x: F.gelu(x, approximate="tanh"))],
    },
    "silu": {
        "gradcheck": smooth(gc({}, [2, 3, 4], 1)),
        "golden": [activation_range_case("silu", F.silu, {}), activation_random_case("silu", {}, F.silu)],
    },
    "softmax": {"gradcheck": SOFTMAX_GRADCHECK, "golden": softmax_golden("softmax")},
    "log_softmax": {"gradcheck": SOFTMAX_GRADCHECK, "golden": softmax_golden("log_softmax")},
    "layer_norm": {
        "gradcheck": [gc({}, [6], 3), gc({}, [2, 3, 3], 2), gc({"affine": False}, [5], 1),
                      gc({"eps": 1e-3}, [3, 2, 2], 1, "eval")],
        "golden": [layer_norm_case((6,), 4), layer_norm_case((2, 3, 4), 2),
                   layer_norm_case((5,), 3, affine_on=False, x_scale=10.0, x_shift=100.0),
                   layer_norm_case((3, 2, 2), 1, eps=1e-3)],
    },
    "group_norm": {
        "gradcheck": [gc({"groups": 2}, [4, 3, 3], 2), gc({"groups": 1}, [3, 2, 2], 1), gc({"groups": 2}, [6], 3),
                      gc({"groups": 2}, [4, 5], 2), gc({"groups": 4, "affine": False}, [4, 2, 3], 2, "eval")],
        "golden": [group_norm_case((4, 3, 3), 2, 2), group_norm_case((6,), 3, 3),
                   group_norm_case((4, 5), 2, 4, affine_on=False), group_norm_case((3, 2, 2), 1, 1)],
    },
    "instance_norm": {
        "gradcheck": [gc({}, [3, 3, 3], 2), gc({"affine": True}, [2, 2, 3], 1),
                      gc({"affine": True}, [3, 5], 3, "eval")],
        "golden": [instance_norm_case((3, 4, 4), 2), instance_norm_case((2, 3, 3), 3, affine_on=True),
                   instance_norm_case((3, 5), 2, affine_on=True)],
    },
}


# ---- losses: their own section (gradnet::make_loss, not the layer registry) ----

def loss_case(kind, n, k, scale):
    name = f"{kind} n={n} k={k} logits×{scale}"
    seed_for(name)
    z = leaf(torch.randn(n, k) * scale)
    labels = torch.randint(0, k, (n,))
    if kind == "softmax_cross_entropy":
        loss = F.cross_entropy(z, labels)  # mean over the batch
        predict = torch.softmax(z, dim=1)
    elif kind == "mse":
        loss = F.mse_loss(z, F.one_hot(labels, k).to(z.dtype))  # mean over N·K
        predict = z
    else:
        loss = F.binary_cross_entropy_with_logits(z, F.one_hot(labels, k).to(z.dtype))  # mean over N·K
        predict = torch.sigmoid(z)
    loss.backward()
    return {"name": name, "note": f"logits = {scale}·randn", "classes": k, "logits": lst(z), "labels": labels.tolist(),
            "loss": loss.item(), "dlogits": lst(z.grad), "predict": lst(predict), "tolerance": LOOSE}


def dense_case(kind, n, k, scale):
    """An autoencoder's loss (model.target = "input"): dense targets in [0, 1] instead of labels."""
    name = f"{kind} dense targets n={n} k={k} logits×{scale}"
    seed_for(name)
    z = leaf(torch.randn(n, k) * scale)
    t = torch.rand(n, k)
    t[0, 0], t[-1, -1] = 0.0, 1.0  # the ends of the range
    if kind == "mse":
        loss = F.mse_loss(z, t)
        predict = z
    else:
        loss = F.binary_cross_entropy_with_logits(z, t)  # BCEWithLogitsLoss, reduction="mean"
        predict = torch.sigmoid(z)
    loss.backward()
    return {"name": name, "note": f"logits = {scale}·randn, targets uniform [0, 1)", "classes": k, "logits": lst(z),
            "targets": lst(t), "loss": loss.item(), "dlogits": lst(z.grad), "predict": lst(predict),
            "tolerance": LOOSE}


LOSSES = {
    "softmax_cross_entropy": [loss_case("softmax_cross_entropy", 4, 5, 3.0),
                              loss_case("softmax_cross_entropy", 1, 10, 1.0)],
    "mse": [loss_case("mse", 4, 5, 1.0), loss_case("mse", 3, 2, 1.0), dense_case("mse", 3, 6, 1.0)],
    # 30·randn reaches |z| ~ 60: e^z overflows a naive log(1 + e^z) in float, not the stable form.
    "bce_with_logits": [loss_case("bce_with_logits", 4, 5, 3.0), dense_case("bce_with_logits", 3, 6, 2.0),
                        dense_case("bce_with_logits", 2, 4, 30.0)],
}


# ---- the file: one case per line, so that a regenerated case is a one-line diff ----

def compact(x):
    return json.dumps(x, separators=(",", ":"))


def case_list(key, cases, indent):
    pad = " " * indent
    return f'{pad}"{key}": [\n' + ",\n".join(pad + " " + compact(c) for c in cases) + f"\n{pad}]"


def write(path):
    names = [g["name"] for entry in CASES.values() for g in entry.get("golden", [])]
    names += [c["name"] for cases in LOSSES.values() for c in cases]
    assert len(names) == len(set(names)), "golden case names must be unique (each seeds its own draws)"
    head = {"generator": GENERATOR, "torch_version": torch.__version__, "seed": SEED, "dtype": "float64"}
    parts = [f" {json.dumps(k)}: {compact(v)}" for k, v in head.items()]
    types = []
    for kind, entry in CASES.items():
        assert entry.get("gradcheck"), f"{kind}: every type needs gradient-check cases"
        assert ("golden" in entry) != ("golden_exempt" in entry), f"{kind}: golden cases or golden_exempt"
        fields = [case_list("gradcheck", entry["gradcheck"], 3)]
        if "golden" in entry:
            fields.append(case_list("golden", entry["golden"], 3))
        else:
            fields.append(f'   "golden_exempt": {json.dumps(entry["golden_exempt"])}')
        types.append(f'  {json.dumps(kind)}: {{\n' + ",\n".join(fields) + "\n  }")
    parts.append(' "layers": {\n' + ",\n".join(types) + "\n }")
    losses = [case_list(kind, cases, 2) for kind, cases in LOSSES.items()]
    parts.append(' "losses": {\n' + ",\n".join(losses) + "\n }")
    with open(path, "w") as f:
        f.write("{\n" + ",\n".join(parts) + "\n}\n")
    json.load(open(path))  # well-formed


def main():
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "layer_cases.json")
    write(path)
    golden_count = sum(len(e.get("golden", [])) for e in CASES.values())
    gradcheck_count = sum(len(e["gradcheck"]) for e in CASES.values())
    print(f"wrote {path}: {len(CASES)} types, {gradcheck_count} gradcheck cases, {golden_count} golden cases, "
          f"{sum(len(c) for c in LOSSES.values())} loss cases, {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()
