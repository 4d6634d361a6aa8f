#!/usr/bin/python3
"""A gradnet run directory as a PyTorch model (docs/pytorch.md).

    /usr/bin/python3 scripts/to_torch.py RUNDIR [--out FILE] [--state-dict FILE] [--checkpoint FILE] [--softmax]

Writes a TorchScript file (default RUNDIR/model.torchscript.pt) that needs nothing of gradnet:

    model = torch.jit.load("RUNDIR/model.torchscript.pt")   # raw inputs [N, ...model.input], eval mode
    logits = model(x)

The module is nn.Sequential(normalize, layers[, softmax]): the run's normalization first (it takes
the raw pixels or features gradnet predict takes), then one module per gradnet layer with gradnet's
parameter names ("layers.0.weight", ...). --state-dict also saves that state_dict (torch.save) for
use with the module scripts/torch_exchange.py builds (build_module / load_run). The module is
printed on stdout. Exit 2 on a bad run directory, with the reason on stderr.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402

import torch_exchange  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("run_dir", metavar="RUNDIR")
    p.add_argument("--out", help="TorchScript file to write (default RUNDIR/model.torchscript.pt)")
    p.add_argument("--state-dict", help="also save the module's state_dict here (torch.save)")
    p.add_argument("--checkpoint", help="a checkpoint (path or file name in RUNDIR/checkpoints/) instead of the final model")
    p.add_argument("--softmax", action="store_true", help="end with a softmax: probabilities instead of logits")
    a = p.parse_args()
    if not os.path.exists(os.path.join(a.run_dir, "config.toml")):
        print(f"to_torch: error: {a.run_dir}: no config.toml (not a gradnet run directory)", file=sys.stderr)
        sys.exit(2)
    try:
        model, cfg = torch_exchange.load_run(a.run_dir, a.checkpoint, a.softmax)
    except (OSError, ValueError, KeyError, RuntimeError) as e:
        print(f"to_torch: error: {e}", file=sys.stderr)
        sys.exit(2)
    out = a.out or os.path.join(a.run_dir, "model.torchscript.pt")
    example = torch.zeros([2] + list(cfg["model"]["input"]))
    if isinstance(model.normalize, torch_exchange.Normalize) and model.normalize.rotation:
        example = torch.zeros(2, model.normalize.mean.numel())
    with torch.no_grad():
        traced = torch.jit.trace(model, example)
    traced.save(out)
    if a.state_dict:
        torch.save(model.state_dict(), a.state_dict)
    print(model)
    print(f"to_torch: wrote {out}" + (f" and {a.state_dict}" if a.state_dict else ""), file=sys.stderr)


if __name__ == "__main__":
    main()
