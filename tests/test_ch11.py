"""Chapter 11 (teacher-student tricks, §3.4): the `direct_predictor` knob (DirectPred, Tian,
Chen & Ganguli 2021, arXiv 2102.06810) — the predictor is set from the eigendecomposition of
a running correlation of the embeddings, has no trainable parameters, trains without
collapse and survives a save/load round trip.
"""
import math

import pytest
import torch

from cookbook_lib import RunConfig, train
from cookbook_lib.cache import load_run, save_run
from cookbook_lib.data import ImageData, load_dataset
from cookbook_lib.methods import build
from cookbook_lib.methods.distillation import DirectPredictor


def tiny(method="byol", **kw):
    base = dict(method=method, dataset="shapes", image_size=16, batch_size=64, steps=40, log_every=10,
                device="cpu", representation_dim=64, projector_width=128, embedding_dim=32,
                predictor_width=128, direct_predictor=True)
    base.update(kw)
    return RunConfig(**base)


@pytest.fixture(scope="module")
def shapes16():
    d = load_dataset("shapes", 16, "cpu")
    return ImageData(d.name, d.train_images[:2048], d.train_labels[:2048], d.test_images[:512],
                     d.test_labels[:512], d.class_names)


def test_predictor_is_u_diag_p_ut_of_the_tracked_correlation():
    torch.manual_seed(0)
    pred = DirectPredictor(8).train()
    mix = torch.randn(8, 8)
    corr = torch.zeros(8, 8, dtype=torch.float64)
    for _ in range(3):
        z = torch.randn(50, 8) @ mix
        out = pred(z)
        zd = z.double()
        corr = DirectPredictor.RHO * corr + (1 - DirectPredictor.RHO) * zd.T @ zd / len(zd)
        s, u = torch.linalg.eigh(corr)
        p = (s.clamp_min(0) / s.max()).sqrt() + DirectPredictor.EPS
        w = u @ torch.diag(p) @ u.T
        assert torch.allclose(pred.corr.double(), corr, rtol=1e-4, atol=1e-5)
        assert torch.allclose(pred.weight.double(), w, atol=1e-4)
        assert torch.allclose(out, z @ pred.weight, atol=1e-5)
    # the eigenvalues of W lie in [ε, 1 + ε]; in eval mode it is not updated
    ev = torch.linalg.eigvalsh(pred.weight.double())
    assert ev.min() > DirectPredictor.EPS - 1e-4 and ev.max() < 1 + DirectPredictor.EPS + 1e-4
    before = pred.weight.clone()
    pred.eval()(torch.randn(10, 8))
    assert torch.equal(pred.weight, before)


@pytest.mark.parametrize("method", ["byol", "simsiam"])
def test_no_trainable_predictor_parameters(method):
    model = build(tiny(method).resolved(), 6)
    assert isinstance(model.predictor, DirectPredictor)
    assert list(model.predictor.parameters()) == []
    assert {"predictor.corr", "predictor.weight"} <= set(model.state_dict())
    learned = build(tiny(method, direct_predictor=False).resolved(), 6)
    assert len(list(learned.predictor.parameters())) > 0


def test_predictor_depth_zero_is_refused():
    with pytest.raises(ValueError, match="direct_predictor.*predictor_depth"):
        build(tiny(predictor_depth=0).resolved(), 6)


def test_short_byol_run_trains_without_collapse_and_reloads(shapes16, tmp_path):
    cfg = tiny(ema_momentum=0.0, steps=60)
    run = train(cfg, progress=False, data=shapes16)
    assert run.status == "ok", run.message
    assert all(math.isfinite(h["loss"]) for h in run.history)
    std = run.metrics["embedding_std"] * math.sqrt(cfg.embedding_dim)
    assert std > 0.5, run.metrics  # a collapsed run is near 0; healthy ≈ 1
    w = run.model.predictor.weight.clone()
    assert not torch.allclose(w, torch.eye(len(w)))  # it was set during training
    save_run(run, tmp_path / "run.pt")
    back = load_run(tmp_path / "run.pt", device="cpu", num_classes=len(shapes16.class_names))
    assert torch.equal(back.model.predictor.weight, w)
    assert torch.equal(back.model.predictor.corr, run.model.predictor.corr)
