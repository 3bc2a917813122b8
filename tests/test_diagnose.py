"""`diagnose` on constructed runs: healthy, complete collapse, dimensional collapse, diverged."""
import math

import pytest

from cookbook_lib import RunConfig
from cookbook_lib.config import knob_names
from cookbook_lib.diagnose import VERDICTS, diagnose
from cookbook_lib.methods import catalog
from cookbook_lib.train import Run

D = 128


def make_run(method="simclr", std=1.0, rank=60.0, status="ok", loss=3.0, steps=300, **knobs):
    """A Run with crafted metrics: `std` in units of 1/√d, RankMe `rank` (no model)."""
    cfg = RunConfig(method=method, steps=steps, embedding_dim=D, **knobs)
    d = D if cfg.projector_depth > 0 else cfg.representation_dim
    history = [dict(step=s, loss=loss if s < steps else (float("nan") if status == "diverged" else loss),
                    rankme=rank, embedding_std=std / math.sqrt(d), online_probe_acc=0.5, lr=1e-3, time=1.0)
               for s in (100, 200, 300)]
    metrics = dict(linear_acc=0.8, knn_acc=0.8, rankme=rank, rankme_backbone=150.0,
                   embedding_std=std / math.sqrt(d), alpha_req=1.1, alignment=0.5, uniformity=-2.0)
    if status == "diverged":
        metrics = dict(diverged_at=288, **{k: float("nan") for k in metrics})
    return Run(cfg, history, metrics, status, "diverged at step 288" if status == "diverged" else "")


def check_fixes(diag):
    assert all(k in knob_names() for k in diag.fixes), diag.fixes
    assert set(diag.advice) == set(diag.fixes)


def test_healthy():
    diag = diagnose(make_run(std=0.95, rank=60))
    assert diag.verdict == "healthy" and diag.ok and diag.fixes == []
    assert diag.evidence["embedding_dim"] == D
    assert diag.evidence["healthy_std (1/√d)"] == pytest.approx(1 / math.sqrt(D))
    assert diag.evidence["std × √d"] == pytest.approx(0.95)
    assert "healthy" in str(diag).lower() and "RankMe 60.0" in str(diag)


@pytest.mark.parametrize("method, std, rank, first_fixes", [
    ("simsiam", 0.1, 5.0, ["predictor_depth", "predictor_lr_mult"]),  # std under 0.2/√d; stop_gradient is on already
    ("byol", 0.05, 3.0, ["ema_momentum", "predictor_depth"]),
    ("vicreg", 1.0, 1.2, ["std_coeff"]),                          # rank one with a healthy-looking std
    ("dino", 0.0, 1.0, ["teacher_temp", "center_momentum"]),      # centring is on already: not suggested
    ("simclr", 0.1, 2.0, ["temperature"]),
])
def test_complete_collapse(method, std, rank, first_fixes):
    diag = diagnose(make_run(method, std=std, rank=rank))
    assert diag.verdict == "complete collapse"
    assert diag.fixes[:len(first_fixes)] == first_fixes
    check_fixes(diag)
    assert "std" in " ".join(diag.reasons)


@pytest.mark.parametrize("method, first_fixes", [
    ("vicreg", ["cov_coeff"]),
    ("barlow_twins", ["barlow_lambda"]),
    ("simclr", ["temperature", "projector_depth", "embedding_dim"]),
    ("byol", ["predictor_depth"]),
])
def test_dimensional_collapse(method, first_fixes):
    diag = diagnose(make_run(method, std=0.9, rank=12))  # 12 of 128 dims < 25 %
    assert diag.verdict == "dimensional collapse"
    assert diag.fixes[:len(first_fixes)] == first_fixes
    check_fixes(diag)
    assert any("RankMe 12.0 of at most 128" in r for r in diag.reasons)
    assert any("projector absorbed" in r for r in diag.reasons)  # backbone RankMe 150 > 2 × 12


def test_no_projector_dimensional_collapse_suggests_a_projector():
    diag = diagnose(make_run("simclr", std=0.9, rank=20, projector_depth=0))
    assert diag.evidence["embedding_dim"] == 256  # no projector: z is the representation
    assert diag.verdict == "dimensional collapse"
    assert "projector_depth" in diag.fixes[:2]


@pytest.mark.parametrize("method", ["simclr", "vicreg", "byol", "dino", "mae"])
def test_diverged(method):
    diag = diagnose(make_run(method, status="diverged"))
    assert diag.verdict == "diverged"
    assert diag.fixes[:3] == ["lr", "warmup", "optimizer"]
    assert diag.evidence["diverged_at"] == 288
    check_fixes(diag)
    if method == "vicreg":
        assert {"sim_coeff", "std_coeff", "cov_coeff"} <= set(diag.fixes)


def test_the_doctor_names_few_knobs_and_none_already_at_its_advice():
    on = diagnose(make_run("simsiam", std=0.1, rank=5.0, stop_gradient=False))
    assert on.fixes[0] == "stop_gradient"  # off: the first thing to try
    off = diagnose(make_run("simsiam", std=0.1, rank=5.0))
    assert "stop_gradient" not in off.fixes  # on already: advising it would be noise
    for method in ("simclr", "vicreg", "byol", "dino", "mae", "swav"):
        for std, rank in ((0.1, 2.0), (0.9, 12.0)):
            diag = diagnose(make_run(method, std=std, rank=rank))
            assert 1 <= len(diag.fixes) <= 6, (method, diag.fixes)
            # every knob named is one the method reads
            assert all(catalog.reads(method, k) for k in diag.fixes), (method, diag.fixes)


def test_nan_history_without_status_is_diverged():
    run = make_run()
    run.history[-1]["loss"] = float("inf")
    assert diagnose(run).verdict == "diverged"
    run = make_run()
    run.metrics["rankme"] = float("nan")
    assert diagnose(run).verdict == "diverged"


def test_run_in_progress_uses_the_history():
    run = make_run("simsiam", std=0.05, rank=1.1)
    run.metrics = {}
    diag = diagnose(run)
    assert diag.verdict == "complete collapse" and "log step 300" in diag.evidence["source"]
    assert diag.evidence["rankme_max (min(d, N))"] == min(D, run.config.batch_size)


def test_short_run_is_told_to_train_longer():
    diag = diagnose(make_run("simclr", std=0.1, rank=3, steps=12))
    assert diag.verdict == "complete collapse" and diag.fixes[0] == "steps"
    assert any("train longer" in r for r in diag.reasons)


def test_html_and_str_are_readable():
    for run in (make_run(), make_run("simsiam", std=0.1, rank=3), make_run(status="diverged")):
        diag = diagnose(run)
        assert diag.verdict in VERDICTS
        page = diag._repr_html_()
        assert diag.verdict in page and "<ul" in page
        assert diag.verdict.upper() in str(diag)
        for k in diag.fixes:
            assert f"<code>{k}</code>" in page and k in str(diag)


def test_real_collapsed_run(runs_dir):
    """A trained run (with its model: the spectrum is measured too): SimSiam without
    stop-gradient and predictor collapses; the diagnosis says so and names stop_gradient."""
    from cookbook_lib import train
    cfg = RunConfig(method="simsiam", dataset="digits", image_size=16, batch_size=32, steps=12, log_every=6,
                    representation_dim=32, embedding_dim=16, stop_gradient=False, predictor_depth=0)
    diag = diagnose(train(cfg, progress=False))
    assert diag.verdict == "complete collapse", str(diag)
    assert "stop_gradient" in diag.fixes
    assert 0 < diag.evidence["top3_variance"] <= 1
