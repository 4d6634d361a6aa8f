#!/usr/bin/python3
"""Writes tests/golden/layers.json: PyTorch's forward outputs and gradients for gradnet's layers and
losses on small fixed inputs, in float64. The inputs are stored in the JSON too, so the C++ test
(tests/golden/layers_golden_test.cpp) never has to reproduce torch's RNG.

Run with Debian's interpreter and torch (apt-get install python3-torch python3-numpy):
    /usr/bin/python3 tests/golden/gen_layers.py
"""
import json
import os

import torch
import torch.nn.functional as F

SEED = 0
GENERATOR = "tests/golden/gen_layers.py"
torch.manual_seed(SEED)
torch.set_default_dtype(torch.float64)


def t(shape, scale=1.0):
    return (torch.randn(*shape) * scale).requires_grad_(True)


def lst(x):
    return x.detach().tolist()


def linear_case(name, n, d_in, d_out, bias):
    x, w = t((n, d_in)), t((d_out, d_in), 0.5)
    b = t((d_out,), 0.5) if bias else None
    dy = torch.randn(n, d_out)
    y = F.linear(x, w, b)  # y = x·Wᵀ + b
    y.backward(dy)
    case = {"name": name, "in": d_in, "out": d_out, "bias": bias, "x": lst(x), "weight": lst(w),
            "dy": lst(dy), "y": lst(y), "dx": lst(x.grad), "dweight": lst(w.grad)}
    if bias:
        case["bias_value"] = lst(b)
        case["dbias"] = lst(b.grad)
    return case


def activation_case(kind, fn, attrs):
    # Values across the range, the kink at exactly 0 (relu's gradient there is 0, leaky's is slope),
    # and large |x| where a naive sigmoid overflows.
    x = torch.tensor([[-30.0, -4.0, -1.0, -0.25, 0.0, 0.25],
                      [1.0, 4.0, 30.0, -0.01, 0.01, 2.5],
                      [-2.0, 0.5, -0.5, 1.5, -1.5, 0.75]], requires_grad=True)
    dy = torch.randn(3, 6)
    y = fn(x)
    y.backward(dy)
    return {"type": kind, "attrs": attrs, "x": lst(x), "dy": lst(dy), "y": lst(y), "dx": lst(x.grad)}


def loss_case(kind, n, k, scale):
    z = t((n, k), scale)
    labels = torch.randint(0, k, (n,))
    if kind == "softmax_cross_entropy":
        loss = F.cross_entropy(z, labels)  # mean over the batch
        predict = torch.softmax(z, dim=1)
    else:
        loss = F.mse_loss(z, F.one_hot(labels, k).to(z.dtype))  # mean over N·K
        predict = z
    loss.backward()
    return {"type": kind, "classes": k, "logits": lst(z), "labels": labels.tolist(), "loss": loss.item(),
            "dlogits": lst(z.grad), "predict": lst(predict)}


def main():
    out = {
        "generator": GENERATOR,
        "torch_version": torch.__version__,
        "seed": SEED,
        "dtype": "float64",
        "linear": [linear_case("4x5->3", 4, 5, 3, True), linear_case("2x3->4 no bias", 2, 3, 4, False),
                   linear_case("1x8->1", 1, 8, 1, True)],
        "activations": [
            activation_case("sigmoid", torch.sigmoid, {}),
            activation_case("tanh", torch.tanh, {}),
            activation_case("relu", torch.relu, {}),
            activation_case("leaky_relu", lambda x: F.leaky_relu(x, 0.01), {}),
            activation_case("leaky_relu", lambda x: F.leaky_relu(x, 0.2), {"slope": 0.2}),
            activation_case("identity", lambda x: x * 1.0, {}),
        ],
        "losses": [loss_case("softmax_cross_entropy", 4, 5, 3.0), loss_case("softmax_cross_entropy", 1, 10, 1.0),
                   loss_case("mse", 4, 5, 1.0), loss_case("mse", 3, 2, 1.0)],
    }
    # elu, gelu, silu (registry_extra.cpp; more cases in gen_norm.py), drawn after the losses so the
    # values above keep their random draws. The x row holds -30 and 30: gelu's 1 + erf is exactly 0 there.
    out["activations"] += [activation_case("elu", F.elu, {}), activation_case("gelu", F.gelu, {}),
                           activation_case("silu", F.silu, {})]
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "layers.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print("wrote", path)


if __name__ == "__main__":
    main()
