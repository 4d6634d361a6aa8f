# gradnet.train from a dict, with the GIL released, and Ctrl-C during training.
import _thread
import json
import threading
import time
import tomllib

import pytest

import gradnet
from conftest import REPO, SEED_CONFIG, TINY


def seed_config_dict():
    with open(SEED_CONFIG, "rb") as f:
        return tomllib.load(f)


def test_a_dict_config_trains_like_its_toml_file(tmp_path, monkeypatch):
    monkeypatch.chdir(REPO)  # a dict's relative paths resolve against the working directory
    config = seed_config_dict()
    config["data"]["dir"] = "data/mnist"
    from_dict = gradnet.train(config, overrides=TINY, epochs=1, out=tmp_path / "dict")  # a path-like out too
    from_file = gradnet.train(str(SEED_CONFIG), overrides=TINY + [f"data.dir={REPO / 'data' / 'mnist'}"], epochs=1,
                              out=str(tmp_path / "file"))
    # Same config, seed and threads: bit-identical results.
    assert from_dict.summary["test_loss"] == from_file.summary["test_loss"]
    assert from_dict.summary["train_loss"] == from_file.summary["train_loss"]
    written = (tmp_path / "dict" / "config.toml").read_text()
    assert f'dir = "{REPO / "data" / "mnist"}"' in written  # stored absolute, as resolved


def test_training_releases_the_gil(tmp_path):
    ticks = 0
    result = {}

    def run():
        result["r"] = gradnet.train(str(SEED_CONFIG), overrides=TINY, epochs=2, out=str(tmp_path / "run"))

    worker = threading.Thread(target=run)
    worker.start()
    while worker.is_alive():  # runs only if the training thread lets go of the GIL
        ticks += 1
        time.sleep(0.005)
    worker.join()
    assert result["r"].summary["epochs"] == 2
    assert ticks > 20


def test_ctrl_c_checkpoints_stops_and_raises_keyboard_interrupt(tmp_path):
    out = tmp_path / "run"
    timer = threading.Timer(1.5, _thread.interrupt_main)  # SIGINT's effect, in the main thread
    timer.start()
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        gradnet.train(str(SEED_CONFIG), overrides=TINY, epochs=500, out=str(out))
    timer.join()
    assert time.monotonic() - started < 30
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "interrupted"
    assert list((out / "checkpoints").glob("step-*.safetensors"))
