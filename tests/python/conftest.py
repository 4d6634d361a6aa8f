# Shared pieces of the Python module's tests: a tiny run of the seed config (MNIST MLP) trained
# once per test file, MNIST test images as numpy arrays, and the CLI binary for comparisons.
# ctest runs these with PYTHONPATH at build/python and GRADNET_BINARY at build/gradnet.
import gzip
import os
import pathlib

import numpy as np
import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
SEED_CONFIG = REPO / "configs" / "mnist-mlp.toml"
# A few seconds: 5,000 training images, 1,000 for validation, the first 1,000 test images, 2 epochs.
TINY = ["data.train_limit=5000", "data.validation=1000", "data.test_limit=1000", "monitor.enabled=false"]


def gradnet_binary():
    path = os.environ.get("GRADNET_BINARY", str(REPO / "build" / "gradnet"))
    if not os.path.exists(path):
        pytest.skip(f"skipped: the gradnet binary is not at {path} (set GRADNET_BINARY)")
    return path


def mnist_test_images(n):
    """The first n MNIST test images as uint8 (n, 1, 28, 28) and their labels."""
    with gzip.open(REPO / "data" / "mnist" / "t10k-images-idx3-ubyte.gz") as f:
        images = np.frombuffer(f.read(), dtype=np.uint8, offset=16)[: n * 784].reshape(n, 1, 28, 28)
    with gzip.open(REPO / "data" / "mnist" / "t10k-labels-idx1-ubyte.gz") as f:
        labels = np.frombuffer(f.read(), dtype=np.uint8, offset=8)[:n]
    return images, labels


@pytest.fixture(scope="module")
def seed_run(tmp_path_factory):
    import gradnet

    out = tmp_path_factory.mktemp("runs") / "seed"
    return gradnet.train(str(SEED_CONFIG), overrides=TINY, out=str(out), epochs=2)
