#!/usr/bin/python3
"""Writes schedules.json: learning-rate sequences for gradnet's schedule golden test.

PyTorch 1.13's torch.optim.lr_scheduler gives the reference for step, multistep, exp, cosine,
cosine_restarts, cyclic, one_cycle, warm-up (LinearLR + SequentialLR) and plateau
(ReduceLROnPlateau). Each scheduler is stepped once per update (`t` = step), and lr[t] is the lr
the optimizer holds for update t (read before scheduler.step()); gradnet is checked with
schedule.unit = "step". Plateau steps once per epoch on a fixed metric sequence; lr[e] is the lr
after epoch e's decision. Caffe's policies without a PyTorch twin (fixed, Caffe step, inv, poly,
sigmoid, inverse_time) are computed from SGDSolver::GetLearningRate's formulas.
Run: /usr/bin/python3 tests/golden/gen_schedules.py (from anywhere).
"""
import json
import math
import os

import torch
from torch.optim import lr_scheduler as S

N = 300            # steps per case
SPE = 10           # steps per epoch the C++ side passes to make_schedule (N / SPE epochs)
BASE = 0.1


def run(make, base=BASE, n=N):
    p = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
    opt = torch.optim.SGD([p], lr=base, momentum=0.9)
    sched = make(opt)
    out = []
    for _ in range(n):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return out


def case(name, schedule, lr, base=BASE, **extra):
    d = {"name": name, "schedule": schedule, "base_lr": base, "steps_per_epoch": SPE, "epochs": N // SPE, "lr": lr}
    d.update(extra)
    return d


cases = []
step = {"unit": "step"}
cases.append(case("step", {**step, "policy": "step", "step_size": 30, "gamma": 0.5},
                  run(lambda o: S.StepLR(o, step_size=30, gamma=0.5))))
cases.append(case("multistep", {**step, "policy": "multistep", "milestones": [50, 120, 200], "gamma": 0.3},
                  run(lambda o: S.MultiStepLR(o, milestones=[50, 120, 200], gamma=0.3))))
cases.append(case("exp", {**step, "policy": "exp", "gamma": 0.99}, run(lambda o: S.ExponentialLR(o, gamma=0.99))))
cases.append(case("cosine", {**step, "policy": "cosine", "min_lr": 0.001},
                  run(lambda o: S.CosineAnnealingLR(o, T_max=N, eta_min=0.001))))
cases.append(case("cosine_past_t_max", {**step, "policy": "cosine", "t_max": 100, "min_lr": 0.01},
                  run(lambda o: S.CosineAnnealingLR(o, T_max=100, eta_min=0.01))))
cases.append(case("cosine_restarts_mult2", {**step, "policy": "cosine_restarts", "t_0": 20, "t_mult": 2, "min_lr": 0.001},
                  run(lambda o: S.CosineAnnealingWarmRestarts(o, T_0=20, T_mult=2, eta_min=0.001))))
cases.append(case("cosine_restarts_mult1", {**step, "policy": "cosine_restarts", "t_0": 50, "t_mult": 1, "min_lr": 0.0},
                  run(lambda o: S.CosineAnnealingWarmRestarts(o, T_0=50, T_mult=1, eta_min=0.0))))
for mode, up, down, gamma in [("triangular", 25, 15, 1.0), ("triangular2", 20, 0, 1.0), ("exp_range", 30, 0, 0.995)]:
    sched = {**step, "policy": "cyclic", "cyclic_mode": mode, "min_lr": 0.01, "max_lr": 0.1, "step_size_up": up}
    if down:
        sched["step_size_down"] = down
    if mode == "exp_range":
        sched["gamma"] = gamma
    cases.append(case("cyclic_" + mode, sched, run(lambda o: S.CyclicLR(
        o, base_lr=0.01, max_lr=0.1, step_size_up=up, step_size_down=down or None, mode=mode, gamma=gamma,
        cycle_momentum=False))))
cases.append(case("one_cycle_cos", {**step, "policy": "one_cycle", "max_lr": 0.1},
                  run(lambda o: S.OneCycleLR(o, max_lr=0.1, total_steps=N, cycle_momentum=False))))
cases.append(case("one_cycle_linear", {**step, "policy": "one_cycle", "max_lr": 0.2, "pct_start": 0.25,
                                       "div_factor": 10.0, "final_div_factor": 100.0, "anneal_strategy": "linear"},
                  run(lambda o: S.OneCycleLR(o, max_lr=0.2, total_steps=N, pct_start=0.25, div_factor=10.0,
                                             final_div_factor=100.0, anneal_strategy="linear",
                                             cycle_momentum=False))))
cases.append(case("warmup_cosine", {**step, "policy": "cosine", "warmup_steps": 20, "warmup_start_factor": 0.1},
                  run(lambda o: S.SequentialLR(o, [S.LinearLR(o, start_factor=0.1, total_iters=20),
                                                   S.CosineAnnealingLR(o, T_max=N - 20)], milestones=[20]))))
cases.append(case("warmup_multistep", {**step, "policy": "multistep", "milestones": [100, 200], "gamma": 0.1,
                                       "warmup_steps": 40, "warmup_start_factor": 0.25},
                  run(lambda o: S.SequentialLR(o, [S.LinearLR(o, start_factor=0.25, total_iters=40),
                                                   S.MultiStepLR(o, milestones=[100, 200], gamma=0.1)],
                                               milestones=[40]))))


def plateau(name, schedule, metrics, **kw):
    p = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
    opt = torch.optim.SGD([p], lr=BASE)
    sched = S.ReduceLROnPlateau(opt, **kw)
    lrs = []
    for m in metrics:
        opt.step()
        sched.step(m)
        lrs.append(opt.param_groups[0]["lr"])
    cases.append(case(name, schedule, lrs, metrics=metrics))


loss = [1.0, 0.9, 0.85, 0.849, 0.86, 0.85, 0.84, 0.845, 0.846, 0.847, 0.80, 0.801, 0.802, 0.803, 0.804, 0.805,
        0.70, 0.71, 0.72, 0.73, 0.74, 0.75, 0.76, 0.77, 0.78, 0.79, 0.60, 0.61, 0.62, 0.63]
plateau("plateau_min_rel", {"policy": "plateau", "monitor": "val_loss", "factor": 0.5, "patience": 2, "cooldown": 1,
                            "min_lr": 0.002, "min_delta": 0.01},
        loss, mode="min", factor=0.5, patience=2, cooldown=1, min_lr=0.002, threshold=0.01)
acc = [0.5, 0.6, 0.65, 0.66, 0.655, 0.66, 0.661, 0.70, 0.70, 0.70, 0.70, 0.71, 0.71, 0.71, 0.71, 0.71, 0.71, 0.71,
       0.72, 0.72]
plateau("plateau_max_abs", {"policy": "plateau", "monitor": "val_acc", "mode": "max", "factor": 0.2, "patience": 1,
                            "min_delta": 0.005, "threshold_mode": "abs"},
        acc, mode="max", factor=0.2, patience=1, threshold=0.005, threshold_mode="abs")

# Caffe's formulas (SGDSolver::GetLearningRate), t = iter.
caffe = [
    ("caffe_fixed", {"policy": "fixed"}, lambda t: BASE),
    ("caffe_step", {"policy": "step", "step_size": 40, "gamma": 0.7}, lambda t: BASE * 0.7 ** (t // 40)),
    ("caffe_inv", {"policy": "inv", "gamma": 0.001, "power": 0.75}, lambda t: BASE * (1 + 0.001 * t) ** -0.75),
    ("caffe_poly", {"policy": "poly", "power": 2.0}, lambda t: BASE * (1 - t / N) ** 2.0),
    ("caffe_poly_max_iter", {"policy": "poly", "power": 0.5, "max_iter": 250},
     lambda t: BASE * max(0.0, 1 - t / 250) ** 0.5),
    ("caffe_sigmoid", {"policy": "sigmoid", "gamma": -0.05, "step_size": 150},
     lambda t: BASE * (1 / (1 + math.exp(0.05 * (t - 150))))),
    ("inverse_time", {"policy": "inverse_time", "gamma": 0.01}, lambda t: BASE / (1 + 0.01 * t)),
]
for name, sched, f in caffe:
    cases.append(case(name, {**step, **sched}, [f(t) for t in range(N)]))

# Per epoch: StepLR stepped once per epoch; gradnet with unit = "epoch" holds it for a whole epoch.
cases.append(case("step_per_epoch", {"unit": "epoch", "policy": "step", "step_size": 7, "gamma": 0.5},
                  run(lambda o: S.StepLR(o, step_size=7, gamma=0.5), n=N // SPE), per_epoch=True))

out = {"generator": "tests/golden/gen_schedules.py", "torch": torch.__version__, "cases": cases}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "schedules.json")
with open(path, "w") as f:  # one case per line: small, and diffs read case by case
    f.write('{"generator": %s, "torch": %s, "cases": [\n' % (json.dumps(out["generator"]), json.dumps(out["torch"])))
    f.write(",\n".join(json.dumps(c) for c in cases))
    f.write("\n]}\n")
print(f"wrote {path}: {len(cases)} cases")
