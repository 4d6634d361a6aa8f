"""gradnet <-> PyTorch: the pieces scripts/to_torch.py and scripts/from_torch.py share (docs/pytorch.md).

build_module(model_cfg, normalizer=None, softmax=False) returns

    nn.Sequential(normalize=Normalize(...), layers=nn.Sequential(<one module per gradnet layer>)[, softmax])

so the state_dict names are gradnet's own: "layers.0.weight", "layers.1.running_mean", ... (plus
"normalize.mean" / "normalize.std" or "normalize.matrix" for the run's normalization). Every
gradnet layer is exactly one module at the same index; a linear layer flattens its input (as gradnet's
does), global_avg_pool is a mean over H and W, and softmax/log_softmax with dim = "all" work on a
flattened view. Keys a config leaves out take gradnet's defaults (DEFAULTS below).
"""
import json
import os
import struct
import tomllib

import numpy as np
import torch
from torch import nn

# gradnet's defaults for the keys this mapping reads (src/layers/*.cpp: the registry's key tables).
DEFAULTS = {
    "linear": {"bias": True, "weight_norm": False, "tied_to": ""},
    "conv2d": {"stride": 1, "padding": 0, "dilation": 1, "groups": 1, "bias": True, "weight_norm": False},
    "max_pool2d": {"stride": 0, "padding": 0},
    "avg_pool2d": {"stride": 0, "padding": 0, "count_include_pad": True},
    "batch_norm": {"momentum": 0.1, "eps": 1e-5, "affine": True, "track_running_stats": True},
    "leaky_relu": {"slope": 0.01},
    "elu": {"alpha": 1.0},
    "gelu": {"approximate": "none"},
    "dropout": {"rate": 0.5},
    "softmax": {"dim": "channel"},
    "log_softmax": {"dim": "channel"},
    "layer_norm": {"eps": 1e-5, "affine": True},
    "group_norm": {"eps": 1e-5, "affine": True},
    "instance_norm": {"eps": 1e-5, "affine": False},
}


class Linear(nn.Linear):
    """nn.Linear that flattens its input first, as gradnet's linear layer does."""

    def forward(self, x):
        return super().forward(x.flatten(1))


class GlobalAvgPool(nn.Module):
    """[N, C, H, W] -> [N, C]: gradnet's global_avg_pool."""

    def forward(self, x):
        return x.mean(dim=(2, 3))


class SoftmaxAll(nn.Module):
    """softmax / log_softmax over every feature of an example (gradnet's dim = "all")."""

    def __init__(self, log: bool):
        super().__init__()
        self.log = log

    def forward(self, x):
        flat = x.flatten(1)
        y = torch.log_softmax(flat, dim=1) if self.log else torch.softmax(flat, dim=1)
        return y.view_as(x)


class Normalize(nn.Module):
    """The run's input normalization: (x - mean) / std per feature, or (x - mean) @ matrix then
    reshaped to the net's input (pca, pca_whiten, zca). Takes raw values, as gradnet predict does."""

    def __init__(self, mean, std=None, matrix=None, out_shape=()):
        super().__init__()
        self.rotation = matrix is not None
        self.out_shape = [int(d) for d in out_shape]
        self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32))
        if self.rotation:
            self.register_buffer("matrix", torch.as_tensor(matrix, dtype=torch.float32))
        else:
            self.register_buffer("std", torch.as_tensor(std, dtype=torch.float32))

    def forward(self, x):
        if not self.rotation:
            return (x - self.mean) / self.std
        y = (x.flatten(1) - self.mean) @ self.matrix
        return y.reshape([x.shape[0]] + self.out_shape)


def spec_get(spec, key):
    return spec[key] if key in spec else DEFAULTS[spec["type"]][key]


def torch_layer(spec, in_shape):
    """The module for one gradnet layer whose per-example input shape is in_shape."""
    t, g = spec["type"], lambda k: spec_get(spec, k)
    simple = {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU, "identity": nn.Identity, "silu": nn.SiLU}
    if t in simple:
        return simple[t]()
    if t == "linear":
        if g("tied_to"):  # nn.Linear owns its weight; a shared transpose would need a custom module
            raise ValueError(f"tied_to = \"{g('tied_to')}\": a tied weight has no PyTorch mapping here")
        m = Linear(int(np.prod(in_shape)), spec["out"], bias=g("bias"))
        return nn.utils.weight_norm(m, dim=0) if g("weight_norm") else m
    if t == "conv2d":
        m = nn.Conv2d(in_shape[0], spec["out"], spec["kernel"], stride=g("stride"), padding=g("padding"),
                      dilation=g("dilation"), groups=g("groups"), bias=g("bias"))
        return nn.utils.weight_norm(m, dim=0) if g("weight_norm") else m
    if t == "leaky_relu":
        return nn.LeakyReLU(g("slope"))
    if t == "elu":
        return nn.ELU(g("alpha"))
    if t == "gelu":
        return nn.GELU(approximate=g("approximate"))
    if t in ("max_pool2d", "avg_pool2d"):
        k = spec["kernel"]
        stride = g("stride") or k
        if t == "max_pool2d":
            return nn.MaxPool2d(k, stride=stride, padding=g("padding"))
        return nn.AvgPool2d(k, stride=stride, padding=g("padding"), count_include_pad=g("count_include_pad"))
    if t == "global_avg_pool":
        return GlobalAvgPool()
    if t == "flatten":
        return nn.Flatten()
    if t == "dropout":
        return nn.Dropout(g("rate"))
    if t == "batch_norm":
        cls = nn.BatchNorm2d if len(in_shape) == 3 else nn.BatchNorm1d
        return cls(in_shape[0], eps=g("eps"), momentum=g("momentum"), affine=g("affine"),
                   track_running_stats=g("track_running_stats"))
    if t in ("softmax", "log_softmax"):
        if g("dim") == "all" and len(in_shape) > 1:
            return SoftmaxAll(t == "log_softmax")
        return nn.LogSoftmax(dim=1) if t == "log_softmax" else nn.Softmax(dim=1)
    if t == "layer_norm":
        return nn.LayerNorm(list(in_shape), eps=g("eps"), elementwise_affine=g("affine"))
    if t == "group_norm":
        return nn.GroupNorm(spec["groups"], in_shape[0], eps=g("eps"), affine=g("affine"))
    if t == "instance_norm":
        cls = nn.InstanceNorm2d if len(in_shape) == 3 else nn.InstanceNorm1d
        return cls(in_shape[0], eps=g("eps"), affine=g("affine"), track_running_stats=False)
    raise ValueError(f"layer type '{t}' has no PyTorch mapping")


def build_layers(model_cfg):
    """(nn.Sequential of the layers, per-example output shape) for a config's [model] table."""
    shape = tuple(model_cfg["input"])
    modules = []
    for i, spec in enumerate(model_cfg["layers"]):
        try:
            m = torch_layer(spec, shape)
        except (KeyError, ValueError) as e:
            raise ValueError(f"model.layers[{i}] ({spec.get('type')}): {e}") from e
        m.eval()
        with torch.no_grad():  # shapes by running a dummy batch (eval mode: running stats untouched)
            shape = tuple(m(torch.zeros((2,) + shape)).shape[1:])
        modules.append(m)
    return nn.Sequential(*modules), shape


def build_module(model_cfg, normalizer=None, softmax=False):
    """The whole model: normalize, layers[, softmax]; normalizer is a Normalize or None (identity)."""
    layers, out_shape = build_layers(model_cfg)
    model = nn.Sequential()
    model.add_module("normalize", normalizer if normalizer is not None else nn.Identity())
    model.add_module("layers", layers)
    if softmax:
        model.add_module("softmax", nn.Softmax(dim=1))
    return model.eval(), out_shape


def read_safetensors(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__", {})
    tensors = {}
    for name, e in header.items():
        a, b = e["data_offsets"]
        dtype = {"F32": np.float32, "F64": np.float64}[e["dtype"]]
        tensors[name] = np.frombuffer(raw[8 + n + a:8 + n + b], dtype=dtype).reshape(e["shape"]).copy()
    return tensors, meta


def write_safetensors(path, tensors, metadata):
    """float32 tensors (name -> array) in safetensors format, in the given order."""
    header, offset, blobs = {"__metadata__": {k: str(v) for k, v in metadata.items()}}, 0, []
    for name, a in tensors.items():
        blob = np.ascontiguousarray(a, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + len(blob)]}
        offset += len(blob)
        blobs.append(blob)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def load_normalizer(path, net_input):
    """normalization.safetensors as a Normalize module (None for method none)."""
    t, meta = read_safetensors(path)
    if meta.get("method", "none") == "none" or "mean" not in t:
        return None
    if "matrix" in t:
        return Normalize(t["mean"], matrix=t["matrix"], out_shape=net_input)
    return Normalize(t["mean"].reshape(net_input), t["std"].reshape(net_input))


def weights_file(run_dir, checkpoint=None):
    """model.safetensors of a run, or a checkpoint's weights (its "model.*" tensors)."""
    path = os.path.join(run_dir, "model.safetensors")
    if checkpoint:
        path = checkpoint if os.path.exists(checkpoint) else os.path.join(run_dir, "checkpoints", checkpoint)
    tensors, meta = read_safetensors(path)
    if "gradnet_checkpoint" in meta:
        tensors = {k[len("model."):]: v for k, v in tensors.items() if k.startswith("model.")}
    return tensors, path


def load_run(run_dir, checkpoint=None, softmax=False):
    """A gradnet run directory as (nn.Sequential in eval mode, config dict)."""
    cfg = tomllib.load(open(os.path.join(run_dir, "config.toml"), "rb"))
    net_input = list(cfg["model"]["input"])
    normalizer = load_normalizer(os.path.join(run_dir, "normalization.safetensors"), net_input)
    model, _ = build_module(cfg["model"], normalizer, softmax)
    tensors, path = weights_file(run_dir, checkpoint)
    state = {"layers." + k.removeprefix("layers."): torch.from_numpy(v) for k, v in tensors.items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [k for k in missing if not k.endswith("num_batches_tracked") and not k.startswith("normalize.")]
    if missing or unexpected:
        raise ValueError(f"{path}: tensors missing {missing}, unexpected {unexpected} for the config's model")
    return model.eval(), cfg
