"""Metrics on constructed matrices whose answer is known."""
import math

import pytest
import torch

from cookbook_lib import metrics


def gaussian(n=2000, d=32, seed=0):
    return torch.randn(n, d, generator=torch.Generator().manual_seed(seed))


def test_rankme_rank_one_and_isotropic():
    u, v = gaussian(500, 1), gaussian(1, 64, seed=1)
    assert metrics.rankme(u @ v) < 1.05
    iso = metrics.rankme(gaussian(4000, 64))
    assert 58 < iso <= 64
    # rank k: RankMe close to k
    k = 8
    low = gaussian(1000, k) @ torch.linalg.qr(gaussian(64, k))[0].T
    assert 7 < metrics.rankme(low) < 8.5


def test_embedding_std_collapsed_and_isotropic():
    collapsed = torch.ones(100, 16) * torch.randn(1, 16)
    assert metrics.embedding_std(collapsed) < 1e-6
    d = 64
    assert abs(metrics.embedding_std(gaussian(5000, d)) - 1 / math.sqrt(d)) < 0.01


def test_all_zero_and_nan_are_reported_not_raised():
    z = torch.zeros(50, 8)
    assert metrics.rankme(z) == 0.0
    assert metrics.embedding_std(z) == 0.0
    bad = gaussian(50, 8)
    bad[3, 2] = float("nan")
    for f in (metrics.rankme, metrics.embedding_std, metrics.alpha_req, metrics.uniformity):
        assert math.isnan(f(bad)), f.__name__
    assert math.isnan(metrics.alignment(bad, bad))
    assert torch.isnan(metrics.singular_values(bad)).all()


def test_alpha_req_recovers_a_power_law():
    n, d, alpha = 4000, 64, 1.5
    scales = torch.arange(1, d + 1, dtype=torch.float64) ** (-alpha / 2)  # eigenvalues ∝ k^-alpha
    z = gaussian(n, d).double() * scales
    assert abs(metrics.alpha_req(z) - alpha) < 0.15


def test_alignment_and_uniformity():
    z = gaussian(500, 16)
    assert metrics.alignment(z, z) < 1e-12
    assert abs(metrics.alignment(z, -z) - 4.0) < 1e-9  # antipodal unit vectors: ‖u − (−u)‖² = 4
    assert metrics.uniformity(torch.ones(20, 16)) > -1e-9  # collapsed: log E exp(0) = 0
    assert metrics.uniformity(gaussian(1000, 64)) < -3.5


def test_singular_values_sorted_and_centred():
    z = gaussian(300, 10) + 100  # a big mean: centring removes it
    s = metrics.singular_values(z)
    assert (s[:-1] >= s[1:]).all()
    assert s[0] < 30  # without centring the mean would give ~100·√3000
    assert metrics.singular_values(z, center=False)[0] > 1000


def test_lidar_counts_directions_that_tell_samples_apart_not_view_noise():
    from cookbook_lib.metrics import lidar
    g = torch.Generator().manual_seed(0)
    n, q, d = 200, 4, 16
    # samples differ in the first 4 dims; the views differ (noise) in all 16
    centres = torch.zeros(n, 1, d)
    centres[:, :, :4] = torch.randn(n, 1, 4, generator=g) * 3
    views = centres + 0.3 * torch.randn(n, q, d, generator=g)
    got = lidar(views)
    assert 3.0 < got < 5.0, got  # about the 4 informative directions ...
    from cookbook_lib.metrics import rankme
    assert rankme(views.reshape(n * q, d)) > 8  # ... where RankMe also counts the noise
    # a hand-checkable case: two informative directions of equal spread, isotropic noise
    two = torch.zeros(n, 1, d)
    two[:, :, :2] = torch.randn(n, 1, 2, generator=g)
    assert lidar(two + 0.1 * torch.randn(n, q, d, generator=g)) == pytest.approx(2.0, abs=0.3)
    assert math.isnan(lidar(torch.full((3, 2, 4), float("nan"))))
    with pytest.raises(ValueError, match="q ≥ 2"):
        lidar(torch.randn(10, 1, 4))
