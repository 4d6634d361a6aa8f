# gradnet.load(...).predict and .evaluate against the run's own figures and `gradnet predict`.
import json
import subprocess

import numpy as np
import pytest

import gradnet
from conftest import gradnet_binary, mnist_test_images


def write_idx_images(path, images):
    n, _, h, w = images.shape
    with open(path, "wb") as f:
        f.write(np.array([0x803, n, h, w], dtype=">u4").tobytes())
        f.write(np.ascontiguousarray(images, dtype=np.uint8).tobytes())


def test_predict_equals_gradnet_predict_for_the_same_inputs(seed_run, tmp_path):
    images, _ = mnist_test_images(300)  # more than one evaluation pass (the run's batch is 128)
    idx = tmp_path / "batch-idx3-ubyte"
    write_idx_images(idx, images)
    cli = subprocess.run([gradnet_binary(), "predict", seed_run.run_dir, str(idx), "--top", "10", "--json"],
                         capture_output=True, text=True, timeout=120)
    assert cli.returncode == 0, cli.stderr
    expected = np.zeros((300, 10), dtype=np.float32)
    for i, p in enumerate(json.loads(cli.stdout.strip().splitlines()[-1])["predictions"]):
        for t in p["top"]:
            expected[i, t["class"]] = t["probability"]
    model = gradnet.load(seed_run.run_dir)
    # Bit for bit: the same normalization, passes and kernels; bytes, float32 and float64 alike.
    np.testing.assert_array_equal(model.predict(images), expected)
    np.testing.assert_array_equal(model.predict(images.astype(np.float32).reshape(300, 784)), expected)
    np.testing.assert_array_equal(model.predict(images.astype(np.float64)), expected)
    np.testing.assert_array_equal(model.predict(images, output="classes"), expected.argmax(axis=1))


def test_predict_outputs_and_evaluate_agree_with_the_run(seed_run):
    model = gradnet.load(seed_run.run_dir)
    assert model.input_shape == (1, 28, 28) and model.classes == 10
    assert model.class_names == [str(c) for c in range(10)]
    images, labels = mnist_test_images(1000)  # the run's test split: data.test_limit = 1000
    logits = model.predict(images, output="logits")
    probabilities = model.predict(images)
    classes = model.predict(images, output="classes")
    assert logits.shape == (1000, 10) and logits.dtype == np.float32
    assert classes.dtype == np.int64 and classes.shape == (1000,)
    softmax = np.exp(logits - logits.max(axis=1, keepdims=True))
    np.testing.assert_allclose(probabilities, softmax / softmax.sum(axis=1, keepdims=True), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(classes, logits.argmax(axis=1))
    result = model.evaluate()
    assert result["split"] == "test" and result["examples"] == 1000
    assert result["accuracy"] == seed_run.summary["test_accuracy"]
    assert result["loss"] == pytest.approx(seed_run.summary["test_loss"], rel=1e-12)
    assert result["accuracy"] == pytest.approx(np.mean(classes == labels), abs=1e-12)
    assert result["confusion"].sum() == 1000 and np.trace(result["confusion"]) == np.sum(classes == labels)
    val = model.evaluate(split="val")
    assert val["examples"] == 1000 and val["accuracy"] == pytest.approx(seed_run.summary["val_accuracy"], abs=1e-12)


def test_predict_reads_a_contiguous_float32_batch_in_place_and_leaves_it_unchanged(seed_run):
    images, _ = mnist_test_images(10)
    x = images.astype(np.float32)
    before = x.copy()
    model = gradnet.load(seed_run.run_dir)
    first = model.predict(x)
    np.testing.assert_array_equal(x, before)  # normalization happens in a scratch buffer
    np.testing.assert_array_equal(model.predict(x[::-1].copy()), first[::-1])  # row order kept
    np.testing.assert_array_equal(model.predict(x[::-1]), first[::-1])  # a strided view works too
    assert model.predict(np.zeros((0, 784), np.float32)).shape == (0, 10)


def test_the_summary_has_the_keys_of_train_json(seed_run):
    s = seed_run.summary
    for key in ("test_accuracy", "test_loss", "val_accuracy", "train_loss", "epochs", "steps", "epoch_seconds",
                "parameters", "run_dir", "stopped_early"):
        assert key in s
    assert s["epochs"] == 2 and len(s["epoch_seconds"]) == 2 and s["parameters"] == 784 * 64 + 64 + 64 * 16 + 16 + 170
    assert s["run_dir"] == seed_run.run_dir and s["stopped_early"] is None
