#!/usr/bin/python3
"""A PyTorch state_dict as a gradnet run directory (docs/pytorch.md).

    /usr/bin/python3 scripts/from_torch.py STATE_DICT.pt --config CONFIG.toml --out RUNDIR
                                           [--normalization none|RUNDIR|normalization.safetensors] [--force]

The state_dict must be that of a module equivalent to CONFIG's [model]: one module per gradnet
layer, in order, with PyTorch's layouts (Linear (out, in), Conv2d (out, C/groups, k, k), BatchNorm's
weight, bias, running_mean, running_var). Accepted names: "layers.<i>.<param>" (what
scripts/to_torch.py and torch_exchange.build_module produce), "<i>.<param>" (a plain nn.Sequential),
either under "module." (DataParallel); num_batches_tracked is dropped. RUNDIR gets config.toml (CONFIG
copied), model.safetensors (gradnet's names) and normalization.safetensors: the input normalization
from --normalization (copied from a run), else the state_dict's normalize.mean/normalize.std, else
what the config's data.normalize needs no data for ("none"; "scale01" of images: x/255). RUNDIR then
works with gradnet eval, predict, export, report and train.init_from. Exit 2 on a mismatch, naming
the tensor.
"""
import argparse
import os
import shutil
import sys
import tomllib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import torch  # noqa: E402

import torch_exchange  # noqa: E402


class Refused(Exception):
    pass


def state_dict_of(path):
    obj = torch.load(path, map_location="cpu")
    if isinstance(obj, torch.nn.Module):
        obj = obj.state_dict()
    for key in ("state_dict", "model_state_dict", "model"):
        if isinstance(obj, dict) and isinstance(obj.get(key), dict):
            obj = obj[key]
    if not isinstance(obj, dict):
        raise Refused(f"{path}: not a state_dict (a dict of tensors), nor a module holding one")
    state = {}
    for k, v in obj.items():
        k = k.removeprefix("module.")
        if k.endswith("num_batches_tracked"):
            continue
        if k[:1].isdigit():
            k = "layers." + k
        state[k] = v.detach().to(torch.float32) if torch.is_tensor(v) else v
    return state


def weights_for(model, state, path):
    """The layers' tensors, checked name by name and shape by shape against the config's model."""
    want = {k: v for k, v in model.state_dict().items() if k.startswith("layers.") and not k.endswith("num_batches_tracked")}
    given = {k: v for k, v in state.items() if k.startswith("layers.")}
    missing = [k for k in want if k not in given]
    extra = [k for k in given if k not in want]
    if missing or extra:
        raise Refused(f"{path}: the state_dict does not match the config's model: "
                      + (f"missing {missing}" if missing else "") + (" " if missing and extra else "")
                      + (f"not in the model {extra}" if extra else ""))
    for k, v in want.items():
        if tuple(given[k].shape) != tuple(v.shape):
            raise Refused(f"{path}: tensor '{k}' has shape {list(given[k].shape)}, the config's model needs {list(v.shape)}")
        if not torch.isfinite(given[k]).all():
            raise Refused(f"{path}: tensor '{k}' holds a non-finite value")
    return {k: given[k].numpy() for k in want}


def normalization(args, cfg, state):
    """(tensors, metadata) for normalization.safetensors."""
    if args.normalization and args.normalization != "none":
        src = args.normalization
        if os.path.isdir(src):
            src = os.path.join(src, "normalization.safetensors")
        if not os.path.exists(src):
            raise Refused(f"--normalization {args.normalization}: no {src}")
        return torch_exchange.read_safetensors(src)
    if args.normalization == "none":
        return {}, {"method": "none"}
    if "normalize.mean" in state and "normalize.std" in state:
        mean, std = state["normalize.mean"].numpy().ravel(), state["normalize.std"].numpy().ravel()
        features = int(np.prod(cfg["model"]["input"]))
        if mean.size != features or std.size != features:
            raise Refused(f"normalize.mean/std hold {mean.size}/{std.size} values, model.input has {features}")
        return {"mean": mean, "std": std}, {"method": "standardize"}
    method = cfg.get("data", {}).get("normalize", "none")
    features = int(np.prod(cfg["model"]["input"]))
    if method == "none":
        return {}, {"method": "none"}
    if method == "scale01" and len(cfg["model"]["input"]) == 3:
        return {"mean": np.zeros(features, np.float32), "std": np.full(features, 255.0, np.float32)}, {"method": "scale01"}
    raise Refused(f"data.normalize = \"{method}\" is fitted on the training data: pass --normalization RUNDIR (a "
                  "run fitted on the same data), --normalization none, or put normalize.mean/normalize.std in the "
                  "state_dict")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("state_dict", metavar="STATE_DICT.pt")
    p.add_argument("--config", required=True, help="the gradnet config whose [model] the state_dict fits")
    p.add_argument("--out", required=True, metavar="RUNDIR", help="the run directory to write")
    p.add_argument("--normalization", help="none, or a run directory / normalization.safetensors to copy")
    p.add_argument("--force", action="store_true", help="write into an existing, non-empty RUNDIR")
    a = p.parse_args()
    try:
        if os.path.isdir(a.out) and os.listdir(a.out) and not a.force:
            raise Refused(f"{a.out}: exists and is not empty (--force writes into it)")
        cfg = tomllib.load(open(a.config, "rb"))
        if "model" not in cfg or "layers" not in cfg["model"] or "input" not in cfg["model"]:
            raise Refused(f"{a.config}: no [model] with input and layers")
        model, out_shape = torch_exchange.build_module(cfg["model"])
        state = state_dict_of(a.state_dict)
        weights = weights_for(model, state, a.state_dict)
        norm_tensors, norm_meta = normalization(a, cfg, state)
    except (Refused, OSError, tomllib.TOMLDecodeError, ValueError, RuntimeError) as e:
        print(f"from_torch: error: {e}", file=sys.stderr)
        sys.exit(2)
    os.makedirs(a.out, exist_ok=True)
    shutil.copyfile(a.config, os.path.join(a.out, "config.toml"))
    classes = int(np.prod(out_shape))
    torch_exchange.write_safetensors(os.path.join(a.out, "model.safetensors"), weights,
                                     {"format": "pt", "producer": "gradnet scripts/from_torch.py", "classes": classes})
    torch_exchange.write_safetensors(os.path.join(a.out, "normalization.safetensors"), norm_tensors, norm_meta)
    print(f"from_torch: wrote {a.out} ({len(weights)} tensors, {classes} outputs, normalization "
          f"{norm_meta.get('method', 'none')})")


if __name__ == "__main__":
    main()
