#!/usr/bin/python3
"""Writes tests/golden/optim.json: the parameter trajectory of PyTorch's optimizers on one fixed
small float64 problem (PyTorch's test/cpp/api/optim_baseline.py pattern). The initial weights and
the data are stored in the JSON too, so tests/golden/optim_golden_test.cpp never reproduces torch's
RNG and never imports torch.

Problem: x (8, 3) -> Linear(3, 4) -> tanh -> Linear(4, 3) -> softmax cross-entropy (mean over the
batch), full batch every step. Params in gradnet's order: layers.0.weight, layers.0.bias,
layers.2.weight, layers.2.bias, flattened row-major and concatenated.

Each case names gradnet's [optimizer] keys (and per-layer keys, "layers"); the generator builds
the same thing in torch (param groups for lr_mult / decay_mult / no_decay_bias, clip_grad_norm_ /
clip_grad_value_ before step()); adam with bias_correction = false has no torch switch and is
written out by hand here.

Run with Debian's interpreter and torch 1.13:
    /usr/bin/python3 tests/golden/gen_optim.py
"""
import json
import math
import os

import torch
import torch.nn.functional as F

SEED = 0
GENERATOR = "tests/golden/gen_optim.py"
STEPS = 20
torch.manual_seed(SEED)
torch.set_default_dtype(torch.float64)

N, D_IN, HIDDEN, CLASSES = 8, 3, 4, 3
X = torch.randn(N, D_IN)
LABELS = torch.randint(0, CLASSES, (N,))
INIT = {
    "layers.0.weight": torch.randn(HIDDEN, D_IN) * 0.8,
    "layers.0.bias": torch.randn(HIDDEN) * 0.3,
    "layers.2.weight": torch.randn(CLASSES, HIDDEN) * 0.8,
    "layers.2.bias": torch.randn(CLASSES) * 0.3,
}
NAMES = list(INIT)


def fresh_params():
    return {k: v.clone().requires_grad_(True) for k, v in INIT.items()}


def loss_fn(p):
    h = torch.tanh(F.linear(X, p["layers.0.weight"], p["layers.0.bias"]))
    return F.cross_entropy(F.linear(h, p["layers.2.weight"], p["layers.2.bias"]), LABELS)


def flat(p):
    return torch.cat([p[k].detach().reshape(-1) for k in NAMES]).tolist()


# torch.optim constructors, keyed by gradnet's type; kwargs use torch's names (the same as gradnet's).
TORCH_KWARGS = {
    "sgd": ["lr", "momentum", "dampening", "nesterov", "weight_decay"],
    "adagrad": ["lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps"],
    "rmsprop": ["lr", "alpha", "eps", "weight_decay", "momentum", "centered"],
    "adam": ["lr", "betas", "eps", "weight_decay", "amsgrad"],
    "adamw": ["lr", "betas", "eps", "weight_decay", "amsgrad"],
    "adadelta": ["lr", "rho", "eps", "weight_decay"],
    "lbfgs": ["lr", "max_iter", "max_eval", "tolerance_grad", "tolerance_change", "history_size"],
}
TORCH_CLASS = {"sgd": torch.optim.SGD, "adagrad": torch.optim.Adagrad, "rmsprop": torch.optim.RMSprop,
               "adam": torch.optim.Adam, "adamw": torch.optim.AdamW, "adadelta": torch.optim.Adadelta,
               "lbfgs": torch.optim.LBFGS}


def param_groups(p, opt, layers):
    """One group per param: lr · lr_mult, weight_decay · decay_mult (0 for biases with no_decay_bias)."""
    groups = []
    for name in NAMES:
        layer = layers.get(name.split(".")[1], {})
        if layer.get("frozen", False):
            continue
        g = {"params": [p[name]], "lr": opt["lr"] * layer.get("lr_mult", 1.0)}
        if "weight_decay" in opt:
            wd = opt["weight_decay"] * layer.get("decay_mult", 1.0)
            if opt.get("no_decay_bias", False) and p[name].dim() <= 1:
                wd = 0.0
            g["weight_decay"] = wd
        groups.append(g)
    return groups


def run_torch(opt, layers):
    p = fresh_params()
    kind = opt["type"]
    kwargs = {k: (tuple(v) if k == "betas" else v) for k, v in opt.items() if k in TORCH_KWARGS[kind]}
    if kind == "lbfgs":
        if opt.get("line_search", "none") == "strong_wolfe":
            kwargs["line_search_fn"] = "strong_wolfe"
        if kwargs.get("max_eval", 0) == 0:
            kwargs.pop("max_eval", None)
        o = torch.optim.LBFGS([p[k] for k in NAMES], **kwargs)
    else:
        o = TORCH_CLASS[kind](param_groups(p, opt, layers), **kwargs)

    def closure():
        o.zero_grad()
        loss = loss_fn(p)
        loss.backward()
        return loss

    trajectory, losses = [], []
    for _ in range(STEPS):
        if kind == "lbfgs":
            losses.append(float(o.step(closure)))
        else:
            loss = closure()
            live = [p[k] for k in NAMES if not layers.get(k.split(".")[1], {}).get("frozen", False)]
            if opt.get("clip_norm", 0) > 0:
                torch.nn.utils.clip_grad_norm_(live, opt["clip_norm"])
            if opt.get("clip_value", 0) > 0:
                torch.nn.utils.clip_grad_value_(live, opt["clip_value"])
            o.step()
            losses.append(loss.item())
        trajectory.append(flat(p))
    return trajectory, losses


def run_adam_without_bias_correction(opt):
    """Adam with m and v used as they are (no division by 1 - beta^t): torch has no switch for it."""
    p = fresh_params()
    b1, b2 = opt["betas"]
    lr, eps = opt["lr"], opt.get("eps", 1e-8)
    m = {k: torch.zeros_like(v) for k, v in p.items()}
    v2 = {k: torch.zeros_like(v) for k, v in p.items()}
    trajectory, losses = [], []
    for _ in range(STEPS):
        for t in p.values():
            t.grad = None
        loss = loss_fn(p)
        loss.backward()
        with torch.no_grad():
            for k in NAMES:
                g = p[k].grad
                m[k].mul_(b1).add_(g, alpha=1 - b1)
                v2[k].mul_(b2).addcmul_(g, g, value=1 - b2)
                p[k].addcdiv_(m[k], v2[k].sqrt().add_(eps), value=-lr)
        losses.append(loss.item())
        trajectory.append(flat(p))
    return trajectory, losses


CASES = [
    ("sgd", {"type": "sgd", "lr": 0.1}, {}),
    ("sgd_momentum_nesterov_weight_decay",
     {"type": "sgd", "lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}, {}),
    ("sgd_momentum_dampening", {"type": "sgd", "lr": 0.1, "momentum": 0.8, "dampening": 0.5}, {}),
    ("sgd_layer_overrides",
     {"type": "sgd", "lr": 0.1, "momentum": 0.9, "weight_decay": 0.05, "no_decay_bias": True},
     {"0": {"lr_mult": 0.5, "decay_mult": 2.0}}),
    ("sgd_frozen_layer", {"type": "sgd", "lr": 0.2, "momentum": 0.5}, {"0": {"frozen": True}}),
    ("sgd_clip_norm", {"type": "sgd", "lr": 0.3, "momentum": 0.9, "clip_norm": 0.2}, {}),
    ("sgd_clip_value", {"type": "sgd", "lr": 0.3, "clip_value": 0.05}, {}),
    ("adagrad", {"type": "adagrad", "lr": 0.1}, {}),
    ("adagrad_lr_decay_weight_decay",
     {"type": "adagrad", "lr": 0.1, "lr_decay": 0.05, "weight_decay": 0.01, "initial_accumulator_value": 0.1}, {}),
    ("rmsprop", {"type": "rmsprop", "lr": 0.01}, {}),
    ("rmsprop_centered_momentum",
     {"type": "rmsprop", "lr": 0.01, "alpha": 0.9, "momentum": 0.5, "centered": True, "weight_decay": 0.01}, {}),
    ("adam", {"type": "adam", "lr": 0.05}, {}),
    ("adam_amsgrad_weight_decay",
     {"type": "adam", "lr": 0.05, "betas": [0.8, 0.99], "amsgrad": True, "weight_decay": 0.01}, {}),
    ("adam_no_bias_correction", {"type": "adam", "lr": 0.05, "betas": [0.9, 0.999], "bias_correction": False}, {}),
    ("adamw", {"type": "adamw", "lr": 0.05}, {}),
    ("adamw_amsgrad", {"type": "adamw", "lr": 0.05, "weight_decay": 0.1, "amsgrad": True, "eps": 1e-6}, {}),
    ("adadelta", {"type": "adadelta"}, {}),
    ("adadelta_rho_weight_decay", {"type": "adadelta", "lr": 0.5, "rho": 0.8, "eps": 1e-5, "weight_decay": 0.01}, {}),
    ("lbfgs", {"type": "lbfgs", "lr": 0.5, "max_iter": 5, "history_size": 4}, {}),
    ("lbfgs_strong_wolfe", {"type": "lbfgs", "lr": 1.0, "max_iter": 5, "history_size": 10,
                            "line_search": "strong_wolfe"}, {}),
]

# gradnet's type defaults that torch's constructors would otherwise supply differently.
TYPE_DEFAULT_LR = {"adadelta": 1.0, "lbfgs": 1.0}


def main():
    cases = []
    for name, opt, layers in CASES:
        opt = dict(opt)
        torch_opt = dict(opt)
        torch_opt.setdefault("lr", TYPE_DEFAULT_LR.get(opt["type"], 0.01))
        if opt.get("bias_correction", True) is False:
            trajectory, losses = run_adam_without_bias_correction(torch_opt)
        else:
            trajectory, losses = run_torch(torch_opt, layers)
        cases.append({"name": name, "optimizer": opt, "layers": layers, "steps": STEPS, "losses": losses,
                      "trajectory": trajectory})
    out = {
        "generator": GENERATOR,
        "torch_version": torch.__version__,
        "seed": SEED,
        "dtype": "float64",
        "problem": {
            "input": D_IN, "hidden": HIDDEN, "classes": CLASSES, "activation": "tanh",
            "loss": "softmax_cross_entropy",
            "x": X.tolist(), "labels": LABELS.tolist(),
            "param_names": NAMES,
            "params": [INIT[k].reshape(-1).tolist() for k in NAMES],
        },
        "cases": cases,
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "optim.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(f"wrote {path}: {len(cases)} cases x {STEPS} steps")


if __name__ == "__main__":
    main()
