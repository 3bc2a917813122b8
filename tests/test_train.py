"""The training loop: history and metrics, determinism, divergence, the random-init baseline,
Ctrl-C / `stop` (the run so far comes back, status "interrupted", never cached), `log_fns`."""
import contextlib
import math
import sys

import pytest
import torch

from cookbook_lib import RunConfig, cache, load_or_train, train
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


def test_zero_steps_is_the_random_init_encoder(shapes16):
    from cookbook_lib.device import seed_everything
    from cookbook_lib.evaluate import chance, embed, linear_probe
    from cookbook_lib.methods import build

    cfg = RunConfig(**{**TINY, "steps": 0, "device": "cpu"})
    run = train(cfg, progress=False)
    assert run.history == [] and run.status == "ok"
    seed_everything(cfg.seed)
    fresh = build(cfg.resolved(), shapes16.num_classes).eval()
    trained, init = run.model.state_dict(), fresh.state_dict()
    assert all(torch.equal(trained[k], init[k]) for k in init)  # not one step: weights and BN statistics as built
    # its probe accuracy is that of the freshly built encoder's features (up to conv rounding:
    # the run's model is channels_last), above chance: random conv features carry some shape
    h_tr, h_te = embed(fresh.backbone, shapes16.train_images), embed(fresh.backbone, shapes16.test_images)
    acc = linear_probe(h_tr, shapes16.train_labels, h_te, shapes16.test_labels)
    assert run.metrics["linear_acc"] == pytest.approx(acc, abs=3 / len(shapes16.test_labels))
    assert run.metrics["linear_acc"] > chance(shapes16.test_labels) + 0.01


def test_untrained_is_train_at_zero_steps_without_the_evaluation(shapes16_small, monkeypatch):
    from cookbook_lib import untrained
    cfg = RunConfig(**{**TINY, "steps": 40, "device": "cpu", "seed": 3})
    zero = train(cfg.replace(steps=0), progress=False, data=shapes16_small)
    monkeypatch.setattr(sys.modules["cookbook_lib.train"], "final_metrics", lambda *a, **k: pytest.fail("evaluated"))
    fresh = untrained(cfg, data=shapes16_small)
    a, b = zero.model.state_dict(), fresh.model.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)               # the same network, seeded the same way
    assert fresh.config.steps == 0 and fresh.metrics == {} and not fresh.model.training
    other = untrained(cfg.replace(seed=4), data=shapes16_small).model.state_dict()
    assert not torch.equal(other["backbone.1.weight"], b["backbone.1.weight"])  # another seed, another network


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


def test_factor_probes_read_each_factor(shapes16):
    from cookbook_lib.evaluate import factor_probes

    d = shapes16
    # raw pixels know the colour of the background (a large uniform region) very well
    x_tr = d.train_images[:2000].flatten(1).float() / 255
    x_te = d.test_images[:500].flatten(1).float() / 255
    f_tr = {k: v[:2000] for k, v in d.train_factors.items() if k in ("background", "shape")}
    f_te = {k: v[:500] for k, v in d.test_factors.items() if k in ("background", "shape")}
    acc = factor_probes(x_tr, f_tr, x_te, f_te, steps=100)
    assert set(acc) == {"background", "shape"}
    assert acc["background"] > 0.6 > acc["shape"]


# ---------------------------------------------------------------- Ctrl-C, stop() and log_fns
@contextlib.contextmanager
def no_escape():
    """A KeyboardInterrupt that escapes train() would stop the whole test session: fail instead."""
    try:
        yield
    except KeyboardInterrupt:
        pytest.fail("KeyboardInterrupt escaped train(): it should return the run with status 'interrupted'")


def ctrl_c_at(step):
    def callback(run, record):
        if record["step"] == step:
            raise KeyboardInterrupt
    return callback


def test_ctrl_c_returns_the_run_so_far_with_cheap_metrics():
    cfg = RunConfig(**{**TINY, "steps": 40, "device": "cpu"})
    with no_escape():
        run = train(cfg, progress=False, callback=ctrl_c_at(8))
    assert run.status == "interrupted" and "never cached" in run.message
    assert [r["step"] for r in run.history] == [4, 8]
    assert all(math.isfinite(r["loss"]) for r in run.history)
    for k in ("rankme", "rankme_backbone", "embedding_std", "online_probe_acc"):
        assert math.isfinite(run.metrics[k]), k
    assert run.metrics["online_probe_acc"] == run.history[-1]["online_probe_acc"]
    assert 1 <= run.metrics["rankme"] <= 16 + 1e-6
    assert "linear_acc" not in run.metrics and "knn_acc" not in run.metrics  # no probe is fitted
    assert run.model is not None and run.seconds > 0


def test_stop_ends_the_run_after_the_current_step_and_log_fns_are_recorded():
    calls = []

    def stop():
        calls.append(1)
        return len(calls) >= 6  # checked after every step: True after step 6

    cfg = RunConfig(**{**TINY, "steps": 40, "log_every": 2, "device": "cpu"})
    with no_escape():
        run = train(cfg, progress=False, stop=stop, log_fns={"z_norm": lambda model, z: z.norm(dim=1).mean()})
    assert run.status == "interrupted" and len(calls) == 6
    assert [r["step"] for r in run.history] == [2, 4, 6]
    assert all(isinstance(r["z_norm"], float) and r["z_norm"] > 0 for r in run.history)
    full = train(cfg, progress=False)  # the run not stopped: its first six steps were the same
    assert [r["loss"] for r in full.history[:3]] == [r["loss"] for r in run.history]
    with pytest.raises(ValueError, match="log_fns"):
        train(cfg, progress=False, log_fns={"bad": 3})


@pytest.mark.parametrize("progress", [False, True])
def test_the_interrupted_message_counts_the_steps_taken(progress):
    cfg = RunConfig(**{**TINY, "steps": 40, "device": "cpu"})
    with no_escape():
        run = train(cfg, progress=progress, callback=ctrl_c_at(8))
    assert "stopped after 8 of 40 steps" in run.message, run.message


def test_an_interrupted_run_is_not_cached_and_trains_again_later(runs_dir, monkeypatch):
    cfg = RunConfig(**{**TINY, "device": "cpu"})
    real, calls = cache.train, []
    monkeypatch.setattr(cache, "train", lambda c, *a, **k: calls.append(c) or real(c, *a, **k))
    with no_escape():
        stopped = load_or_train(cfg, progress=False, callback=ctrl_c_at(4))
        stopped_too = load_or_train(cfg, progress=False, stop=lambda: True)  # train_kw reach train
    assert stopped.status == stopped_too.status == "interrupted"
    assert [r["step"] for r in stopped.history] == [4] and len(stopped_too.history) == 0
    assert not cache.run_path(cfg).exists() and not (runs_dir.exists() and list(runs_dir.iterdir()))
    run = load_or_train(cfg, progress=False)  # trained, not loaded: nothing was stored
    assert len(calls) == 3 and run.status == "ok" and [r["step"] for r in run.history] == [4, 8, 12]
    assert [p.name for p in runs_dir.iterdir()] == [cache.run_path(cfg).name]
    assert load_or_train(cfg, progress=False).history == run.history and len(calls) == 3  # now it is stored
