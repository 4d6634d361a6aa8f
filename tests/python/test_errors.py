# Errors reach Python as gradnet.Error with the CLI's message, kind and exit code.
import subprocess

import numpy as np
import pytest

import gradnet
from conftest import SEED_CONFIG, TINY, gradnet_binary


def test_error_is_an_exception_with_the_message_the_cli_prints(tmp_path):
    assert issubclass(gradnet.Error, Exception)
    with pytest.raises(gradnet.Error) as caught:
        gradnet.train(str(SEED_CONFIG), overrides=["optimizer.lrr=0.1"], out=str(tmp_path / "py"))
    e = caught.value
    assert e.kind == "config" and e.exit_code == 2
    cli = subprocess.run([gradnet_binary(), "train", str(SEED_CONFIG), "--set", "optimizer.lrr=0.1",
                          "--out", str(tmp_path / "cli")], capture_output=True, text=True, timeout=60)
    assert cli.returncode == 2
    assert cli.stderr.strip() == f"gradnet: error: {e}"
    assert "did you mean" in str(e) and not (tmp_path / "py").exists()


def test_load_of_a_missing_run_raises_gradnet_error(tmp_path):
    with pytest.raises(gradnet.Error) as caught:
        gradnet.load(tmp_path / "no-such-run")
    assert caught.value.kind == "checkpoint" and caught.value.exit_code == 2 and "no-such-run" in str(caught.value)


def test_bad_arguments_and_shapes_are_refused(seed_run):
    model = gradnet.load(seed_run.run_dir)
    with pytest.raises(gradnet.Error, match=r"an array of shape \(4, 27, 27\) has 729 values per example; the model "
                                            r"takes 784") as caught:
        model.predict(np.zeros((4, 27, 27), np.float32))
    assert caught.value.kind == "shape"
    with pytest.raises(gradnet.Error, match=r"one example: x\[None\]"):
        model.predict(np.zeros(784, np.float32))
    with pytest.raises(gradnet.Error, match="output = 'probs'"):
        model.predict(np.zeros((1, 784), np.float32), output="probs")
    with pytest.raises(gradnet.Error, match="split = 'train'"):
        model.evaluate(split="train")
    with pytest.raises(gradnet.Error, match="epochs must be a positive integer"):
        gradnet.train(str(SEED_CONFIG), overrides=TINY, epochs=0)


def test_a_config_dict_with_none_or_an_object_names_the_key():
    with pytest.raises(gradnet.Error, match=r"optimizer.lr is None; TOML has no null") as caught:
        gradnet.train({"optimizer": {"lr": None}})
    assert caught.value.kind == "config"
    with pytest.raises(gradnet.Error, match=r"model.layers.1 is a object"):
        gradnet.train({"model": {"layers": [{"type": "relu"}, object()]}})
