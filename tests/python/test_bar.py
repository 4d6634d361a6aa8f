# The bar: `python3 -c "import gradnet; ..."` trains the seed config and predicts a numpy
# batch, from the build tree (PYTHONPATH=build/python, as ctest sets it).
import json
import os
import subprocess
import sys

from conftest import REPO, TINY

SCRIPT = """
import gzip, json, numpy as np, gradnet
r = gradnet.train("configs/mnist-mlp.toml", overrides=TINY, epochs=2, out=OUT)
with gzip.open("data/mnist/t10k-images-idx3-ubyte.gz") as f:
    x = np.frombuffer(f.read(), np.uint8, offset=16)[:256 * 784].reshape(256, 1, 28, 28).astype(np.float32)
p = gradnet.load(r.run_dir).predict(x)
print(json.dumps({"shape": p.shape, "dtype": str(p.dtype), "row_sums": [float(p.sum(1).min()), float(p.sum(1).max())],
                   "test_accuracy": r.summary["test_accuracy"]}))
"""


def test_python_c_trains_the_seed_config_and_predicts_a_numpy_batch(tmp_path):
    out = tmp_path / "run"
    script = SCRIPT.replace("TINY", repr(TINY)).replace("OUT", repr(str(out)))
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=dict(os.environ), capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    got = json.loads(result.stdout.strip().splitlines()[-1])
    assert got["shape"] == [256, 10] and got["dtype"] == "float32"
    assert abs(got["row_sums"][0] - 1) < 1e-5 and abs(got["row_sums"][1] - 1) < 1e-5  # softmax rows
    assert got["test_accuracy"] > 0.5
    assert (out / "model.safetensors").exists() and (out / "summary.json").exists()
