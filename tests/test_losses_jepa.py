"""The post-2023 criteria (`cookbook_lib.losses.jepa`): SIGReg against a direct numerical
integration of the Epps–Pulley statistic and its null value, LeJEPA's loss against its
formula, KoLeo on a hand-worked example."""
import math

import numpy as np
import pytest
import torch
from scipy import integrate

from cookbook_lib import losses as L


def ep_direct(x: np.ndarray, t_max=3.0, knots=None) -> float:
    """The Epps–Pulley statistic of 1-D samples x: N ∫_{−t_max}^{t_max} e^{−t²/2} |φ̂(t) − e^{−t²/2}|² dt,
    by the trapezoid rule on `knots` points of [−t_max, t_max] (None: adaptive quadrature)."""
    def f(t):
        phi = np.exp(1j * np.multiply.outer(t, x)).mean(-1)
        return np.exp(-t ** 2 / 2) * np.abs(phi - np.exp(-t ** 2 / 2)) ** 2
    if knots is None:
        return len(x) * integrate.quad(f, -t_max, t_max, limit=200)[0]
    t = np.linspace(-t_max, t_max, 2 * knots - 1)  # the same knots mirrored: [−t_max, t_max]
    return len(x) * np.trapezoid(f(t), t)


def test_sigreg_is_the_epps_pulley_statistic_averaged_over_slices():
    g = torch.Generator().manual_seed(0)
    z = torch.randn(64, 5, generator=g, dtype=torch.float64) * 1.3 + 0.2
    a = L.random_directions(5, 7, g).double()
    assert torch.allclose(a.norm(dim=0), torch.ones(7, dtype=torch.float64))
    proj = (z @ a).numpy()
    trap = np.mean([ep_direct(proj[:, m], knots=17) for m in range(7)])
    exact = np.mean([ep_direct(proj[:, m]) for m in range(7)])
    got = float(L.sigreg(z, a))
    assert got == pytest.approx(trap, rel=1e-5)        # the documented quadrature, to float32
    assert got == pytest.approx(exact, rel=0.02)       # and the integral it approximates


def test_sigreg_null_value_for_gaussian_samples_and_far_above_it_otherwise():
    g = torch.Generator().manual_seed(1)
    null = L.sigreg_null()
    assert null == pytest.approx(math.sqrt(2 * math.pi) - math.sqrt(2 * math.pi / 3), abs=0.02)
    gauss = [float(L.sigreg(torch.randn(512, 32, generator=g), generator=g, num_slices=256)) for _ in range(20)]
    # one draw spreads over about ±0.2; the mean of 20 within ±0.12 (3 standard errors)
    assert abs(np.mean(gauss) - null) < 0.12, (np.mean(gauss), null)
    collapsed = float(L.sigreg(torch.zeros(512, 32), generator=g))
    assert collapsed > 100 * null
    # identity covariance, not Gaussian: a scale mixture (every projection has kurtosis ≠ 3)
    r = torch.where(torch.rand(2048, 1, generator=g) < 0.5, torch.tensor(0.5), torch.tensor(math.sqrt(1.75)))
    mixture = torch.randn(2048, 32, generator=g) * r
    assert float(L.sigreg(mixture, generator=g)) > 10 * null
    # ... which VICReg's variance and covariance terms find (nearly) perfect
    terms = L.vicreg_terms(mixture[:1024], mixture[1024:])
    assert terms["variance"] < 0.02 and terms["covariance"] < 0.1


def test_sigreg_views_are_tested_one_by_one_and_gradients_flow():
    g = torch.Generator().manual_seed(2)
    a = L.random_directions(8, 16, g)
    v1, v2 = torch.randn(32, 8, generator=g), 3 * torch.randn(32, 8, generator=g)
    both = L.sigreg(torch.stack([v1, v2]), a)
    assert float(both) == pytest.approx((float(L.sigreg(v1, a)) + float(L.sigreg(v2, a))) / 2, rel=1e-5)
    z = torch.randn(32, 8, generator=g, requires_grad=True)
    L.sigreg(z, a).backward()
    assert torch.isfinite(z.grad).all() and z.grad.abs().sum() > 0
    with pytest.raises(ValueError, match="directions"):
        L.sigreg(z, torch.randn(5, 3))


def test_lejepa_is_prediction_plus_sigreg_without_stop_gradient():
    g = torch.Generator().manual_seed(3)
    G = [torch.randn(16, 6, generator=g, requires_grad=True) for _ in range(2)]
    Lo = [torch.randn(16, 6, generator=g) for _ in range(3)]
    a = L.random_directions(6, 32, g)
    with torch.no_grad():
        centre = (G[0] + G[1]) / 2
        pred = np.mean([float(((v - centre) ** 2).mean()) for v in (*G, *Lo)])
        reg = np.mean([float(L.sigreg(v, a)) for v in (*G, *Lo)])
    assert float(L.lejepa(G, Lo, lambd=0.0, directions=a)) == pytest.approx(pred, rel=1e-5)
    assert float(L.lejepa(G, Lo, lambd=1.0, directions=a)) == pytest.approx(reg, rel=1e-5)
    loss = L.lejepa(G, Lo, lambd=0.05, directions=a)
    assert float(loss) == pytest.approx(0.95 * pred + 0.05 * reg, rel=1e-5)
    loss.backward()
    assert all(v.grad is not None and v.grad.abs().sum() > 0 for v in G)  # the centre takes gradient


def test_koleo_hand_worked_and_finite_for_coinciding_rows():
    square = torch.tensor([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]]) * 3  # norms do not matter
    assert float(L.koleo(square)) == pytest.approx(-math.log(math.sqrt(2)), abs=1e-6)
    perm = square[torch.tensor([2, 0, 3, 1])]
    assert float(L.koleo(perm)) == pytest.approx(float(L.koleo(square)))
    spread = float(L.koleo(torch.randn(64, 8, generator=torch.Generator().manual_seed(0))))
    bunched = float(L.koleo(torch.randn(64, 8, generator=torch.Generator().manual_seed(0)) * 0.01 + 1))
    assert bunched > spread + 2  # rows that bunch together cost more
    z = torch.ones(4, 3, requires_grad=True)
    L.koleo(z).backward()
    assert torch.isfinite(z.grad).all()


def test_ijepa_is_the_squared_error_to_layer_normalised_detached_targets():
    g = torch.Generator().manual_seed(0)
    pred = torch.randn(3, 4, 6, generator=g, requires_grad=True)
    target = (torch.randn(3, 4, 6, generator=g) * 5 + 2).requires_grad_(True)
    t = target.detach()
    ln = (t - t.mean(-1, keepdim=True)) / (t.var(-1, unbiased=False, keepdim=True) + 1e-5).sqrt()
    loss = L.ijepa(pred, target)
    assert float(loss) == pytest.approx(float((pred.detach() - ln).pow(2).mean()), rel=1e-5)
    loss.backward()
    assert target.grad is None and pred.grad is not None  # no gradient into the teacher
    assert float(L.ijepa(ln.clone(), t)) == pytest.approx(0.0, abs=1e-10)  # predicting the normalised target is perfect
    with pytest.raises(ValueError, match="must both be"):
        L.ijepa(pred, target[:, :3])


def test_ibot_hand_worked_only_masked_patches_and_no_gradient_into_the_teacher():
    # one image, two patches, K = 2; the teacher is flat (target ½, ½) after centring, so the
    # masked patch's cross-entropy is −½(log p₁ + log p₂) with p = softmax(s / τ_s)
    s = torch.tensor([[[1.0, 0.0], [5.0, -5.0]]], requires_grad=True)
    t = torch.tensor([[[3.0, 3.0], [9.0, 0.0]]], requires_grad=True)
    mask = torch.tensor([[True, False]])
    center = torch.zeros(2)
    loss = L.ibot(s, t, mask, center, student_temp=0.5, teacher_temp=0.1)
    p = torch.softmax(torch.tensor([2.0, 0.0]), 0)
    assert float(loss) == pytest.approx(float(-0.5 * p.log().sum()), rel=1e-6)
    s2 = s.detach().clone()
    s2[0, 1] = torch.tensor([-7.0, 7.0])  # an unmasked patch changes nothing
    assert float(L.ibot(s2, t, mask, center, 0.5, 0.1)) == pytest.approx(float(loss), rel=1e-6)
    loss.backward()
    assert t.grad is None and s.grad[0, 1].abs().sum() == 0 and s.grad[0, 0].abs().sum() > 0
    # images with nothing masked are left out of the mean, not counted as zero
    two = L.ibot(torch.cat([s.detach(), s.detach()]), torch.cat([t.detach(), t.detach()]),
                 torch.tensor([[True, False], [False, False]]), center, 0.5, 0.1)
    assert float(two) == pytest.approx(float(loss), rel=1e-6)
    with pytest.raises(ValueError, match="no patch is masked"):
        L.ibot(s, t, torch.zeros(1, 2, dtype=torch.bool), center)


def test_msn_cross_entropy_and_me_max_against_the_formula():
    g = torch.Generator().manual_seed(1)
    anchors = [torch.randn(8, 5, generator=g, requires_grad=True) for _ in range(2)]
    target = torch.randn(8, 5, generator=g, requires_grad=True)
    protos = torch.randn(6, 5, generator=g, requires_grad=True)
    tau, sharpen, lam = 0.1, 0.25, 0.7
    q = torch.nn.functional.normalize(protos.detach(), dim=1)
    nz = lambda v: torch.nn.functional.normalize(v.detach(), dim=1)  # noqa: E731
    p_plus = torch.softmax(nz(target) @ q.T / (tau * sharpen), 1)
    probs = [torch.softmax(nz(a) @ q.T / tau, 1) for a in anchors]
    ce = sum(-(p_plus * p.log()).sum(1).mean() for p in probs) / 2
    mean_p = torch.cat(probs).mean(0)
    me_max = math.log(6) + (mean_p * mean_p.log()).sum()
    loss = L.msn(anchors, target, protos, tau, sharpen, lam, sinkhorn_iters=0)  # the plain sharpened softmax
    assert float(loss) == pytest.approx(float(ce + lam * me_max), rel=1e-5)
    # with Sinkhorn (MSN's official default) the targets are the balanced codes of the same scores
    codes = L.sinkhorn(nz(target) @ q.T, tau * sharpen, 3)
    ce_b = sum(-(codes * p.log()).sum(1).mean() for p in probs) / 2
    balanced = L.msn(anchors, target, protos, tau, sharpen, lam)
    assert float(balanced) == pytest.approx(float(ce_b + lam * me_max), rel=1e-5)
    assert float(balanced) != pytest.approx(float(loss), rel=1e-3)
    balanced.backward()
    assert target.grad is None and protos.grad is not None and anchors[0].grad is not None


def test_msn_me_max_is_zero_for_even_use_and_log_k_for_collapse():
    protos = torch.eye(4)
    spread = [torch.eye(4) * 100.0]        # each anchor on its own prototype: even use
    collapsed = [torch.tensor([[100.0, 0, 0, 0]] * 4)]  # every anchor on prototype 0
    target = torch.eye(4) * 100.0
    ce_only = lambda a: float(L.msn(a, target, protos, 0.1, 0.25, 0.0, 0))  # noqa: E731
    assert float(L.msn(spread, target, protos, 0.1, 0.25, 1.0, 0)) - ce_only(spread) == pytest.approx(0.0, abs=1e-4)
    assert float(L.msn(collapsed, target, protos, 0.1, 0.25, 1.0, 0)) - ce_only(collapsed) == pytest.approx(math.log(4), rel=1e-2)
