"""gradnet: train neural networks on the CPU from TOML configs, load run directories, predict with numpy.

    import gradnet
    r = gradnet.train("configs/mnist-mlp.toml", overrides=["optimizer.lr=0.05"], epochs=3)
    model = gradnet.load(r.run_dir)
    probabilities = model.predict(images)      # (N, ...) raw examples, float32 or uint8
    print(model.evaluate())

docs/python.md has the details; help(gradnet.train), help(gradnet.Model) the signatures.
"""
import os as _os

# gradnet's OpenMP threads wait passively between parallel regions, as the CLI arranges: a
# spinning thread holds a core that a late thread needs, and on a busy machine two threads ran 3x
# slower than one. libgomp reads the setting when it is loaded, i.e. when _gradnet is imported
# (unless another module loaded it first); a value the user set is kept.
if "OMP_WAIT_POLICY" not in _os.environ and "GOMP_SPINCOUNT" not in _os.environ:
    _os.environ["OMP_WAIT_POLICY"] = "passive"

from ._gradnet import Error, Model, TrainResult, __version__, load, train  # noqa: E402

for _cls in (Error, Model, TrainResult):
    _cls.__module__ = "gradnet"

__all__ = ["Error", "Model", "TrainResult", "__version__", "load", "train"]
