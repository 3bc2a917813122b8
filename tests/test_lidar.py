"""LiDAR (Thilak et al. 2024, arXiv 2312.04000) in the library: `metrics.lidar` on made-up
views, `evaluate.lidar_score` on a model's augmented views, and the collapse doctor's
evidence. A trained run scores well above its own random init; a constant embedding scores 1."""
import math

import pytest
import torch
import torch.nn as nn

from cookbook_lib import RunConfig, metrics, train, untrained
from cookbook_lib.data import load_dataset
from cookbook_lib.diagnose import diagnose
from cookbook_lib.evaluate import lidar_score

# the LeJEPA run of chapter 16 in quick mode (16 px, 40 steps, about 5 s on one CPU core)
TINY = RunConfig(method="lejepa", dataset="shapes", image_size=16, batch_size=64, steps=40, log_every=20, seed=0,
                 optimizer="adamw", lr=2e-3, weight_decay=1e-4, representation_dim=64, projector_width=128,
                 embedding_dim=32, sigreg_slices=256)


@pytest.fixture(scope="module")
def trained():
    return train(TINY, progress=False)


@pytest.fixture(scope="module")
def images():
    return load_dataset("shapes", 16).test_images


class Constant(nn.Module):
    """A 'method' whose every image has the same representation and embedding."""

    def __init__(self, dim=16):
        super().__init__()
        self.w = nn.Parameter(torch.ones(dim))

    def embed(self, x):
        h = self.w.expand(len(x), -1)
        return h, 2 * h


def test_lidar_counts_directions_that_separate_samples_not_view_noise():
    # 300 samples, 6 views, 10 dims: samples differ in 3 dims; in the other 7 the views of
    # one sample scatter (large noise) as much as anything else does. RankMe sees 10 busy
    # directions, LiDAR about 3.
    g = torch.Generator().manual_seed(0)
    n, q, d = 300, 6, 10
    means = torch.zeros(n, 1, d)
    means[:, :, :3] = torch.randn(n, 1, 3, generator=g)
    z = means + 0.05 * torch.randn(n, q, d, generator=g)
    z[:, :, 3:] += 3 * torch.randn(n, q, d - 3, generator=g)
    lid, rank = metrics.lidar(z), metrics.rankme(z.reshape(n * q, d))
    assert 2.5 < lid < 3.5, lid
    assert rank > 7, rank


def test_lidar_is_unchanged_by_an_invertible_linear_map():
    g = torch.Generator().manual_seed(1)
    z = torch.randn(100, 1, 6, generator=g) + 0.3 * torch.randn(100, 4, 6, generator=g)
    a = torch.randn(6, 6, generator=g) + 3 * torch.eye(6)
    assert metrics.lidar(z @ a.T) == pytest.approx(metrics.lidar(z), rel=1e-3)


def test_lidar_rejects_a_matrix_without_views():
    with pytest.raises(ValueError, match=r"\(n ≥ 2 samples, q ≥ 2 views, D\)"):
        metrics.lidar(torch.randn(10, 4))
    assert math.isnan(metrics.lidar(torch.full((4, 2, 3), float("nan"))))


def test_a_trained_run_scores_well_above_its_random_init(trained, images):
    # chapter 16, seeds 0/1/2 (quick mode, on the representation): random init 13.9/10.8/7.9,
    # trained runs 34.9-37.4; on the embedding (32 dims) init 3.6-5.3, LeJEPA 18-19 at 60 steps
    init = untrained(TINY).model
    for rep in (False, True):
        after, before = (lidar_score(m, images, TINY, representation=rep) for m in (trained.model, init))
        assert after > 2 * before, (rep, before, after)
        assert 1 <= after <= (64 if rep else 32)


def test_a_constant_embedding_scores_one(images):
    assert lidar_score(Constant(), images, TINY) == pytest.approx(1.0)
    assert lidar_score(Constant(), images, TINY, representation=True) == pytest.approx(1.0)


def test_lidar_score_is_repeatable_and_restores_the_mode(trained, images):
    model = trained.model.train()
    a = lidar_score(model, images, TINY, views=4, max_images=128)
    assert model.training  # put back in train mode after the eval-mode pass
    b = lidar_score(model, images, TINY, views=4, max_images=128)
    assert a == b
    c = lidar_score(model, images, TINY, views=4, max_images=128, seed=1)  # other views: close, not equal
    assert c != a and c == pytest.approx(a, rel=0.2)
    model.eval()


@pytest.mark.parametrize("kw", [dict(views=1), dict(max_images=1)])
def test_lidar_score_needs_two_views_and_two_images(images, kw):
    with pytest.raises(ValueError, match="views ≥ 2 and max_images ≥ 2"):
        lidar_score(Constant(), images, TINY, **kw)
    with pytest.raises(ValueError, match="at least 2 images"):
        lidar_score(Constant(), images[:1], TINY)


def test_the_doctor_reports_lidar_beside_rankme(trained):
    diag = diagnose(trained)
    assert 1 <= diag.evidence["lidar"] <= 32
    assert any(r.startswith("LiDAR ") and "of at most 32" in r for r in diag.reasons)
    assert "lidar" not in diagnose(trained, lidar=False).evidence
