"""Chapter 12's library pieces: `sweep(..., data=, data_key=)` on a dataset built in a chapter,
`lr_at_batch` under each scaling rule, and the `projector_bn` knob (Python and command line)."""
import pytest

from cookbook_lib import RunConfig
from cookbook_lib.cache import run_path
from cookbook_lib.data import load_dataset
from cookbook_lib.sweep import sweep

TINY = RunConfig(method="simclr", dataset="digits", image_size=16, batch_size=16, steps=4, log_every=2,
                 representation_dim=32, embedding_dim=16)


@pytest.fixture
def small_digits():
    return load_dataset("digits", 16, "cpu").head(256, 128)


def test_sweep_on_own_data_is_cached_under_its_key(tmp_path, monkeypatch, small_digits):
    monkeypatch.setenv("COOKBOOK_RUNS", str(tmp_path / "runs"))
    grid = {"lr_scaling": ["linear", "sqrt"]}
    res = sweep(TINY, grid, progress=False, data=small_digits, data_key="digits256")
    assert [r["status"] for r in res.rows] == ["ok", "ok"]
    for cfg in res.configs:
        assert run_path(cfg, "digits256").exists()      # stored under the data key ...
        assert not run_path(cfg).exists()               # ... never as a run on the full dataset
    again = sweep(TINY, grid, progress=False, data=small_digits, data_key="digits256")
    assert [r["linear_acc"] for r in again.rows] == [r["linear_acc"] for r in res.rows]


def test_sweep_with_data_needs_a_key(small_digits):
    import dataclasses
    assert small_digits.key == "head256-128"  # a subset names itself
    unnamed = dataclasses.replace(small_digits, key="")  # data a chapter built by hand
    with pytest.raises(ValueError, match="data_key"):
        sweep(TINY, {"lr_scaling": ["sqrt"]}, progress=False, data=unnamed)


def test_lr_at_batch_scalings():
    cfg = RunConfig(method="simclr", batch_size=64)  # AdamW base lr 2e-3 at batch 256
    assert cfg.replace(lr_scaling="linear").lr_at_batch() == pytest.approx(2e-3 / 4)
    assert cfg.replace(lr_scaling="sqrt").lr_at_batch() == pytest.approx(2e-3 / 2)
    assert cfg.replace(lr_scaling="none").lr_at_batch() == pytest.approx(2e-3)


def test_projector_bn_knob_removes_batchnorm_from_the_projector_only():
    import torch.nn as nn

    from cookbook_lib.methods import build
    with_bn = build(TINY.replace(projector_depth=3).resolved(), 10)
    without = build(TINY.replace(projector_depth=3, projector_bn=False).resolved(), 10)
    count = lambda m: sum(isinstance(x, nn.BatchNorm1d) for x in m.modules())  # noqa: E731
    assert count(with_bn.projector) == 2 and count(without.projector) == 0
    # the hidden layers keep a bias when there is no BatchNorm to absorb it
    assert all(layer.bias is not None for layer in without.projector if isinstance(layer, nn.Linear))
    assert [type(x) for x in without.projector] == [nn.Linear, nn.ReLU, nn.Linear, nn.ReLU, nn.Linear]
    assert TINY.cache_key() != TINY.replace(projector_bn=False).cache_key()


def test_projector_bn_from_the_command_line(tmp_path, monkeypatch):
    import json
    import subprocess
    import sys
    monkeypatch.setenv("COOKBOOK_RUNS", str(tmp_path / "runs"))
    out = tmp_path / "run.json"
    subprocess.run([sys.executable, "-m", "cookbook_lib", "train", "--method", "simclr", "--dataset", "digits",
                    "--image-size", "16", "--batch-size", "16", "--steps", "2", "--log-every", "1",
                    "--representation-dim", "32", "--projector-bn", "false", "--json", str(out)], check=True,
                   capture_output=True)
    assert json.loads(out.read_text())["config"]["projector_bn"] is False
