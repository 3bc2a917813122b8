"""The command line: every knob is a flag; --json writes config, metrics and history."""
import json
import subprocess
import sys

import pytest

from cookbook_lib.__main__ import main
from cookbook_lib.config import knob_names


def test_train_writes_json(tmp_path, monkeypatch):
    monkeypatch.setenv("COOKBOOK_RUNS", str(tmp_path / "runs"))
    out = tmp_path / "out.json"
    code = main(["train", "--method", "simclr", "--image-size", "16", "--batch-size", "32", "--steps", "6",
                 "--log-every", "3", "--representation-dim", "32", "--embedding-dim", "16", "--lr", "auto",
                 "--json", str(out), "--quiet"])
    assert code == 0
    d = json.loads(out.read_text())
    assert d["config"]["steps"] == 6 and d["config"]["image_size"] == 16
    assert d["config"]["lr"] is not None  # auto resolved to the method default
    assert d["status"] == "ok"
    assert [h["step"] for h in d["history"]] == [3, 6]
    assert {"loss", "rankme", "embedding_std", "online_probe_acc"} <= set(d["history"][0])
    assert 0 <= d["metrics"]["linear_acc"] <= 1


def test_bad_flags_are_clear(capsys):
    with pytest.raises(SystemExit) as e:
        main(["train", "--batch-size", "1"])
    assert "batch_size=1" in str(e.value) and "out of range" in str(e.value)
    with pytest.raises(SystemExit) as e:
        main(["train", "--steps", "many"])
    assert "--steps" in str(e.value) and "int" in str(e.value)


def test_every_knob_is_a_flag():
    text = subprocess.run([sys.executable, "-m", "cookbook_lib", "train", "--help"], capture_output=True,
                          text=True, check=True).stdout
    for name in knob_names():
        assert "--" + name.replace("_", "-") in text, name
