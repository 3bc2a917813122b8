"""The training loop: history and metrics, determinism, divergence, the random-init baseline."""
import math

import pytest
import torch

from cookbook_lib import RunConfig, train
from cookbook_lib.train import Run

TINY = dict(dataset="shapes", image_size=16, batch_size=32, steps=12, log_every=4, representation_dim=32,
            projector_width=64, embedding_dim=16)


def test_history_and_metrics_have_the_documented_names():
    run = train(RunConfig(**TINY), progress=False)
    assert isinstance(run, Run) and run.status == "ok"
    assert [r["step"] for r in run.history] == [4, 8, 12]
    for r in run.history:
        assert {"step", "loss", "rankme", "embedding_std", "online_probe_acc", "lr", "time"} <= set(r)
        assert math.isfinite(r["loss"])
    for k in ("linear_acc", "knn_acc", "rankme", "rankme_backbone", "embedding_std", "alpha_req",
              "alignment", "uniformity"):
        assert k in run.metrics and math.isfinite(run.metrics[k]), k
    assert 0 <= run.metrics["linear_acc"] <= 1
    assert run.metrics["rankme"] <= 16 + 1e-6  # at most the embedding dimension


def test_same_config_and_seed_give_the_same_metrics_on_cpu():
    a = train(RunConfig(**TINY, device="cpu"), progress=False)
    b = train(RunConfig(**TINY, device="cpu"), progress=False)
    c = train(RunConfig(**TINY, device="cpu", seed=1), progress=False)
    assert a.metrics == b.metrics
    assert [r["loss"] for r in a.history] == [r["loss"] for r in b.history]
    assert a.history[-1]["loss"] != c.history[-1]["loss"]


def test_divergence_stops_the_run_keeps_history_and_names_the_step(monkeypatch):
    from cookbook_lib import methods

    calls = {"n": 0}
    real_loss = methods.SimCLR.loss

    def loss_nan_from_step_7(self, views, labels):
        loss, h, z = real_loss(self, views, labels)
        calls["n"] += 1
        return (loss * float("nan") if calls["n"] >= 7 else loss), h, z

    monkeypatch.setattr(methods.SimCLR, "loss", loss_nan_from_step_7)
    cfg = RunConfig(**{**TINY, "steps": 40, "log_every": 4})
    with pytest.warns(RuntimeWarning, match=r"diverged at step 7\b"):
        run = train(cfg, progress=False)
    assert run.status == "diverged" and run.metrics["diverged_at"] == 7
    assert "lower lr" in run.message
    assert [r["step"] for r in run.history] == [4, 8]  # stopped at the first log step after it
    assert math.isfinite(run.history[0]["loss"]) and not math.isfinite(run.history[1]["loss"])
    assert "linear_acc" in run.metrics  # metrics are still reported (NaN where they cannot be computed)


def test_zero_steps_is_the_random_init_encoder():
    run = train(RunConfig(**{**TINY, "steps": 0}), progress=False)
    assert run.history == [] and run.status == "ok"
    assert 0 < run.metrics["linear_acc"] < 1


def test_supervised_learns_the_labels():
    cfg = RunConfig(**{**TINY, "steps": 60, "batch_size": 64, "log_every": 10, "dataset": "digits"}, method="supervised")
    run = train(cfg, progress=False)
    random_init = train(cfg.replace(steps=0), progress=False)
    assert run.history[-1]["loss"] < 0.8 * run.history[0]["loss"]
    assert run.metrics["linear_acc"] > random_init.metrics["linear_acc"] + 0.03


def test_callback_sees_every_log_step():
    seen = []
    train(RunConfig(**TINY), progress=False, callback=lambda run, rec: seen.append(rec["step"]))
    assert seen == [4, 8, 12]


def test_lars_and_sgd_run():
    for opt in ("lars", "sgd"):
        run = train(RunConfig(**TINY, optimizer=opt, lr=0.3), progress=False)
        assert run.status == "ok" and math.isfinite(run.history[-1]["loss"])


def test_every_backbone_trains_a_step():
    for bb, dim in (("resnet18", 512), ("vit_tiny", 64)):
        run = train(RunConfig(**{**TINY, "steps": 2, "log_every": 1, "representation_dim": dim, "dataset": "digits"},
                              backbone=bb),
                    progress=False)
        assert run.status == "ok" and len(run.history) == 2
    with torch.no_grad():
        from cookbook_lib.nets import backbone
        assert backbone("resnet18", 128, 16)(torch.rand(2, 3, 16, 16)).shape == (2, 128)


def test_factor_probes_read_each_factor():
    from cookbook_lib.data import load_dataset
    from cookbook_lib.evaluate import factor_probes

    d = load_dataset("shapes", 16, "cpu")
    # raw pixels know the colour of the background (a large uniform region) very well
    x_tr = d.train_images[:2000].flatten(1).float() / 255
    x_te = d.test_images[:500].flatten(1).float() / 255
    f_tr = {k: v[:2000] for k, v in d.train_factors.items() if k in ("background", "shape")}
    f_te = {k: v[:500] for k, v in d.test_factors.items() if k in ("background", "shape")}
    acc = factor_probes(x_tr, f_tr, x_te, f_te, steps=100)
    assert set(acc) == {"background", "shape"}
    assert acc["background"] > 0.6 > acc["shape"]
