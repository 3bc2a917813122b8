"""Tests of cookbook_lib.losses: hand-worked values, independent numpy references (plain
loops, float64), symmetries, where gradients flow, and the §2.6 unified-family identities."""
from __future__ import annotations

import functools
import inspect
import math

import numpy as np
import pytest
import torch

from cookbook_lib import losses as L


def _rand(*shape, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=g)


def _np(t):
    return t.detach().double().numpy()


def _unit(x):
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def _log_softmax(x):
    m = x.max(axis=-1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=-1, keepdims=True))


# --------------------------------------------------------------------------- references
def ref_nt_xent(z1, z2, t, decoupled=False):
    u = _unit(np.concatenate([z1, z2]))
    n2 = len(u)
    total = 0.0
    for i in range(n2):
        p = (i + n2 // 2) % n2
        pos = math.exp(u[i] @ u[p] / t)
        den = sum(math.exp(u[i] @ u[j] / t) for j in range(n2) if j != i and (not decoupled or j != p))
        total += -math.log(pos / den) if not decoupled else -(u[i] @ u[p] / t) + math.log(den)
    return total / n2


def ref_vicreg_terms(z1, z2, eps=1e-4):
    inv = ((z1 - z2) ** 2).mean()
    var, cov = [], []
    for z in (z1, z2):
        n, d = z.shape
        std = np.sqrt(z.var(axis=0, ddof=1) + eps)
        var.append(np.maximum(0.0, 1.0 - std).mean())
        c = (z - z.mean(0)).T @ (z - z.mean(0)) / (n - 1)
        cov.append(sum(c[a, b] ** 2 for a in range(d) for b in range(d) if a != b) / d)
    return inv, (var[0] + var[1]) / 2, cov[0] + cov[1]


def ref_sinkhorn(scores, eps, iters):
    q = np.exp(scores / eps).T                  # (K, N), the SwAV orientation
    k, n = q.shape
    q /= q.sum()
    for _ in range(iters):
        q /= q.sum(axis=1, keepdims=True)
        q /= k
        q /= q.sum(axis=0, keepdims=True)
        q /= n
    return (q * n).T


def ref_whiten(z, eps):
    n, d = z.shape
    zc = z - z.mean(0)
    cov = zc.T @ zc / (n - 1)
    chol = np.linalg.cholesky((1 - eps) * cov + eps * np.eye(d))
    return np.linalg.solve(chol, zc.T).T


def ref_coding_rate(z, eps):
    n, d = z.shape
    return 0.5 * np.linalg.slogdet(np.eye(d) + d / (n * eps ** 2) * z.T @ z)[1]


# --------------------------------------------------------------------------- NT-Xent / DCL
def _angles_to_views(a1, a2):
    z1 = torch.tensor([[math.cos(a), math.sin(a)] for a in a1])
    z2 = torch.tensor([[math.cos(a), math.sin(a)] for a in a2])
    return z1, z2


def test_nt_xent_hand_worked_two_images_in_2d():
    # image 0: views at 0° and 30°; image 1: views at 90° and 120°. cos of angle differences.
    a = [0.0, math.radians(90), math.radians(30), math.radians(120)]   # rows z1_0, z1_1, z2_0, z2_1
    z1, z2 = _angles_to_views(a[:2], a[2:])
    tau = 0.5
    expected, expected_dcl = 0.0, 0.0
    for i in range(4):
        p = (i + 2) % 4
        s = {j: math.cos(a[i] - a[j]) / tau for j in range(4) if j != i}
        expected += -s[p] + math.log(sum(math.exp(v) for v in s.values()))
        expected_dcl += -s[p] + math.log(sum(math.exp(v) for j, v in s.items() if j != p))
    assert L.nt_xent(z1, z2, tau).item() == pytest.approx(expected / 4, rel=1e-5)
    assert L.dcl(z1, z2, tau).item() == pytest.approx(expected_dcl / 4, rel=1e-5)
    # The same numbers by hand. Every row's positive is 30° away (cos 30° = 0.866025). Rows 0
    # (0°) and 3 (120°) see their two negatives at 90° and 120° (cos 0 and −0.5); rows 1 (90°)
    # and 2 (30°) at 90° and 60° (cos 0 and +0.5). With τ = 0.5: e^(cos/τ) = e^1.732, 1, e^∓1.
    pos = math.exp(0.866025 / tau)
    row0 = -math.log(pos / (pos + 1 + math.exp(-1.0)))
    row1 = -math.log(pos / (pos + 1 + math.exp(1.0)))
    assert L.nt_xent(z1, z2, tau).item() == pytest.approx((row0 + row1) / 2, rel=1e-5)
    dcl0, dcl1 = -0.866025 / tau + math.log(1 + math.exp(-1.0)), -0.866025 / tau + math.log(1 + math.exp(1.0))
    assert L.dcl(z1, z2, tau).item() == pytest.approx((dcl0 + dcl1) / 2, rel=1e-5)


@pytest.mark.parametrize("decoupled", [False, True])
def test_nt_xent_and_dcl_match_loop_reference(decoupled):
    z1, z2 = _rand(6, 5, seed=1), _rand(6, 5, seed=2)
    fn = L.dcl if decoupled else L.nt_xent
    assert fn(z1, z2, 0.3).item() == pytest.approx(ref_nt_xent(_np(z1), _np(z2), 0.3, decoupled), rel=1e-5)


def test_dcl_is_below_nt_xent_and_scale_invariant():
    z1, z2 = _rand(8, 4, seed=3), _rand(8, 4, seed=4)
    # removing the positive from the denominator can only lower each row's loss
    assert L.dcl(z1, z2, 0.5) < L.nt_xent(z1, z2, 0.5)
    assert L.dcl(3 * z1, 0.2 * z2).item() == pytest.approx(L.dcl(z1, z2).item(), rel=1e-5)


# --------------------------------------------------------------------------- InfoNCE (MoCo)
def test_info_nce_matches_loop_reference_with_queue():
    q, k, queue = _rand(5, 4, seed=5), _rand(5, 4, seed=6), _rand(7, 4, seed=7)
    qn, kn, Qn = _unit(_np(q)), _unit(_np(k)), _unit(_np(queue))
    tau, total = 0.2, 0.0
    for i in range(5):
        logits = [qn[i] @ kn[j] / tau for j in range(5)] + [qn[i] @ Qn[m] / tau for m in range(7)]
        total += -logits[i] + math.log(sum(math.exp(v) for v in logits))
    assert L.info_nce(q, k, queue, tau).item() == pytest.approx(total / 5, rel=1e-5)
    # a queue only adds negatives: the loss grows
    assert L.info_nce(q, k, queue, tau) > L.info_nce(q, k, None, tau)


def test_info_nce_does_not_detach_keys_but_caller_can():
    q = _rand(4, 3, seed=8).requires_grad_()
    k = _rand(4, 3, seed=9).requires_grad_()
    L.info_nce(q, k).backward()
    assert q.grad is not None and q.grad.abs().sum() > 0
    assert k.grad is not None and k.grad.abs().sum() > 0      # documented: caller detaches
    q.grad, k.grad = None, None
    L.info_nce(q, k.detach()).backward()
    assert k.grad is None and q.grad.abs().sum() > 0


# --------------------------------------------------------------------------- SimSiam / BYOL
def test_negative_cosine_and_byol_hand_worked():
    p = torch.tensor([[1.0, 0.0], [0.0, 2.0]])
    z = torch.tensor([[1.0, 1.0], [0.0, -1.0]])
    cos = [1 / math.sqrt(2), -1.0]
    assert L.negative_cosine(p, z).item() == pytest.approx(-(cos[0] + cos[1]) / 2, rel=1e-6)
    assert L.byol(p, z).item() == pytest.approx(((2 - 2 * cos[0]) + (2 - 2 * cos[1])) / 2, rel=1e-6)
    # byol = 2 + 2·negative_cosine, invariant to the scale of each row
    p2, z2 = _rand(6, 5, seed=10), _rand(6, 5, seed=11)
    assert L.byol(p2, z2).item() == pytest.approx(2 + 2 * L.negative_cosine(p2, z2).item(), rel=1e-5)
    assert L.byol(5 * p2, z2).item() == pytest.approx(L.byol(p2, z2).item(), rel=1e-5)
    # a zero row is guarded by max(‖v‖, 1e-12): cos = 0, loss 2, finite
    assert L.byol(torch.zeros(1, 3), torch.ones(1, 3)).item() == pytest.approx(2.0)


@pytest.mark.parametrize("fn", [L.negative_cosine, L.byol])
def test_simsiam_byol_do_not_detach_the_target(fn):
    p = _rand(4, 3, seed=12).requires_grad_()
    z = _rand(4, 3, seed=13).requires_grad_()
    fn(p, z).backward()
    assert p.grad.abs().sum() > 0 and z.grad is not None and z.grad.abs().sum() > 0
    p.grad, z.grad = None, None
    fn(p, z.detach()).backward()
    assert z.grad is None and p.grad.abs().sum() > 0


# --------------------------------------------------------------------------- DINO
def _ref_dino(student, teacher, center, ts, tt):
    total, count = 0.0, 0
    for i, t in enumerate(teacher):
        logits = (t - center) / tt
        q = np.exp(_log_softmax(logits))
        for j, s in enumerate(student):
            if i != j:
                total += (-(q * _log_softmax(s / ts)).sum(-1)).mean()
                count += 1
    return total / count


def test_dino_matches_reference_and_skips_same_view_pairs():
    student = [_rand(4, 6, seed=s) for s in (20, 21, 22, 23)]     # 2 global + 2 local views
    teacher = [_rand(4, 6, seed=s) for s in (24, 25)]
    center = _rand(6, seed=26) * 0.1
    got = L.dino(student, teacher, center, 0.1, 0.04).item()
    ref = _ref_dino([_np(s) for s in student], [_np(t) for t in teacher], _np(center), 0.1, 0.04)
    assert got == pytest.approx(ref, rel=1e-5)
    # the mean is over the 6 pairs (teacher i, student j ≠ i), not the 8 with the same-view ones
    S, T = [_np(s) for s in student], [_np(t) for t in teacher]
    pair = {(i, j): _ref_dino([S[j], S[j]], [T[i]], _np(center), 0.1, 0.04) for i in range(2) for j in range(4)}
    six = np.mean([v for (i, j), v in pair.items() if i != j])
    assert got == pytest.approx(six, rel=1e-5) and abs(got - np.mean(list(pair.values()))) > 1e-3
    # a student view identical to its own-index teacher view is never compared with it:
    # with 1 teacher view and 2 student views only the (0, 1) pair counts
    only = L.dino([_rand(4, 6, seed=30), student[1]], [teacher[0]], center).item()
    only2 = L.dino([_rand(4, 6, seed=31), student[1]], [teacher[0]], center).item()
    assert only == pytest.approx(only2, rel=1e-6)


def test_dino_gradients_reach_student_only():
    student = [_rand(3, 5, seed=s).requires_grad_() for s in (40, 41)]
    teacher = [_rand(3, 5, seed=s).requires_grad_() for s in (42, 43)]
    center = torch.zeros(1, 5, requires_grad=True)
    L.dino(student, teacher, center).backward()
    assert all(s.grad is not None and s.grad.abs().sum() > 0 for s in student)
    assert all(t.grad is None for t in teacher) and center.grad is None


def test_dino_center_update_formula_and_no_grad():
    teacher = [_rand(4, 3, seed=50).requires_grad_(), _rand(4, 3, seed=51).requires_grad_()]
    center = torch.tensor([[1.0, -2.0, 0.5]])
    new = L.dino_center_update(center, teacher, momentum=0.9)
    mean = np.concatenate([_np(t) for t in teacher]).mean(0)
    np.testing.assert_allclose(new.numpy(), 0.9 * _np(center) + 0.1 * mean[None], rtol=1e-6, atol=1e-7)
    assert new.shape == (1, 3) and not new.requires_grad
    assert L.dino_center_update(center[0], teacher, 0.5).shape == (3,)


# --------------------------------------------------------------------------- VICReg
def test_vicreg_matches_reference_and_is_the_weighted_sum():
    z1, z2 = _rand(10, 4, seed=60), _rand(10, 4, seed=61) * 0.5
    t = L.vicreg_terms(z1, z2)
    inv, var, cov = ref_vicreg_terms(_np(z1), _np(z2))
    assert set(t) == {"invariance", "variance", "covariance"}
    assert t["invariance"].item() == pytest.approx(inv, rel=1e-5)
    assert t["variance"].item() == pytest.approx(var, rel=1e-5)
    assert t["covariance"].item() == pytest.approx(cov, rel=1e-5)
    assert L.vicreg(z1, z2, 2.0, 3.0, 4.0).item() == pytest.approx(2 * inv + 3 * var + 4 * cov, rel=1e-5)
    assert L.vicreg(z1, z2).item() == pytest.approx(25 * inv + 25 * var + cov, rel=1e-5)


def test_vicreg_terms_in_the_limiting_cases():
    z = _rand(32, 6, seed=62)
    assert L.vicreg_terms(z, z)["invariance"].item() == 0.0
    collapsed = _rand(1, 6, seed=63).expand(32, 6)
    t = L.vicreg_terms(collapsed, collapsed)
    assert t["variance"].item() == pytest.approx(1 - math.sqrt(1e-4), abs=1e-6)    # ≈ 1
    assert t["covariance"].item() == pytest.approx(0.0, abs=1e-10)
    assert L.vicreg(collapsed, collapsed).item() == pytest.approx(25 * 0.99, rel=1e-5)
    gauss1, gauss2 = _rand(20000, 8, seed=64), _rand(20000, 8, seed=65)
    t = L.vicreg_terms(gauss1, gauss2)
    assert t["covariance"].item() < 5e-3          # decorrelated: ≈ 2·(D−1)/N = 7e-4
    assert t["variance"].item() < 0.02            # unit std: the hinge is (almost) inactive
    correlated = gauss1 @ torch.ones(8, 8) / math.sqrt(8)   # all dims equal
    assert L.vicreg_terms(correlated, correlated)["covariance"].item() > 1.0


# --------------------------------------------------------------------------- Barlow Twins
def _decorrelated_unit(n, d, seed):
    m = _rand(n, d, seed=seed)
    q, _ = torch.linalg.qr(m - m.mean(0))        # orthonormal columns, orthogonal to 1
    return q * math.sqrt(n)                      # zero mean, biased variance 1, uncorrelated


def test_barlow_twins_matches_reference():
    z1, z2 = _rand(9, 4, seed=70), _rand(9, 4, seed=71)
    a, b = _np(z1), _np(z2)
    n, d = a.shape
    an = (a - a.mean(0)) / np.sqrt(a.var(0) + 1e-5)
    bn = (b - b.mean(0)) / np.sqrt(b.var(0) + 1e-5)
    c = an.T @ bn / n
    ref = sum((1 - c[k, k]) ** 2 for k in range(d)) + 5e-3 * sum(
        c[k, m] ** 2 for k in range(d) for m in range(d) if k != m)
    assert L.barlow_twins(z1, z2).item() == pytest.approx(ref, rel=1e-5)


def test_barlow_twins_of_decorrelated_view_with_itself_is_zero():
    z = _decorrelated_unit(64, 8, seed=72)
    assert L.barlow_twins(z, z).item() < 1e-6
    # and it is invariant to per-dimension affine maps (the standardisation removes them)
    assert L.barlow_twins(3 * z + 1, z).item() < 1e-6
    assert L.barlow_twins(z, _rand(64, 8, seed=73)).item() > 1.0


# --------------------------------------------------------------------------- SwAV / Sinkhorn
def test_sinkhorn_matches_reference_and_marginals():
    scores = torch.tanh(_rand(12, 4, seed=80))
    q = L.sinkhorn(scores, 0.05, 3)
    np.testing.assert_allclose(q.numpy(), ref_sinkhorn(_np(scores), 0.05, 3), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(q.sum(1).numpy(), np.ones(12), atol=1e-5)      # each row a code
    q_many = L.sinkhorn(scores, 0.5, 200)
    np.testing.assert_allclose(q_many.sum(0).numpy(), np.full(4, 3.0), atol=1e-3)   # N/K each
    assert q.min() >= 0


def test_sinkhorn_without_iterations_is_each_samples_own_softmax():
    """iters=0 (SwAV's negative control): no equal partition, so a batch whose scores all
    favour one prototype gives every sample that prototype; Sinkhorn spreads it out."""
    scores = _rand(12, 4, seed=84) * 0.1
    scores[:, 2] += 0.5  # every sample prefers prototype 2
    q0 = L.sinkhorn(scores, 0.05, 0)
    torch.testing.assert_close(q0, torch.softmax(scores / 0.05, dim=1))
    assert (q0.argmax(1) == 2).all()
    q3 = L.sinkhorn(scores, 0.05, 3)
    assert q3.sum(0).max() < 0.5 * q0.sum(0).max()  # the equal partition takes mass off prototype 2


def test_sinkhorn_gives_no_gradient():
    scores = _rand(6, 3, seed=81).requires_grad_()
    assert not L.sinkhorn(scores).requires_grad


def test_swav_value_and_gradient_with_detached_codes():
    s1 = (torch.tanh(_rand(8, 5, seed=82))).requires_grad_()
    s2 = (torch.tanh(_rand(8, 5, seed=83))).requires_grad_()
    tau = 0.1
    q1, q2 = ref_sinkhorn(_np(s1), 0.05, 3), ref_sinkhorn(_np(s2), 0.05, 3)
    ref = -0.5 * ((q2 * _log_softmax(_np(s1) / tau)).sum(1).mean()
                  + (q1 * _log_softmax(_np(s2) / tau)).sum(1).mean())
    loss = L.swav(s1, s2, tau)
    assert loss.item() == pytest.approx(ref, rel=1e-4)
    loss.backward()
    # with the codes held fixed, d/ds1 = −(q2 − softmax(s1/τ)) / (2Nτ); a gradient through the
    # codes would add to this
    p1 = np.exp(_log_softmax(_np(s1) / tau))
    np.testing.assert_allclose(s1.grad.numpy(), -(q2 - p1) / (2 * 8 * tau), rtol=1e-3, atol=1e-6)


# --------------------------------------------------------------------------- W-MSE
def test_whiten_gives_zero_mean_identity_covariance():
    z = _rand(64, 6, seed=90) @ _rand(6, 6, seed=91) + 3.0       # correlated, shifted
    w = L.whiten(z, eps=1e-5)
    wn = _np(w)
    np.testing.assert_allclose(wn.mean(0), np.zeros(6), atol=1e-5)
    np.testing.assert_allclose(np.cov(wn, rowvar=False), np.eye(6), atol=1e-3)
    np.testing.assert_allclose(wn, ref_whiten(_np(z), 1e-5), rtol=1e-4, atol=1e-4)
    assert w.dtype == torch.float32


def test_wmse_matches_reference_and_variants():
    z1, z2 = _rand(32, 4, seed=92), _rand(32, 4, seed=93)
    w1, w2 = _unit(ref_whiten(_np(z1), 1e-5)), _unit(ref_whiten(_np(z2), 1e-5))
    ref = ((w1 - w2) ** 2).sum(1).mean()
    assert L.wmse(z1, z2).item() == pytest.approx(ref, rel=1e-4)
    wj = ref_whiten(np.concatenate([_np(z1), _np(z2)]), 1e-5)
    ref_joint = ((_unit(wj[:32]) - _unit(wj[32:])) ** 2).sum(1).mean()
    assert L.wmse(z1, z2, joint=True).item() == pytest.approx(ref_joint, rel=1e-4)
    assert L.wmse(z1, z1).item() == pytest.approx(0.0, abs=1e-6)
    z1g = z1.clone().requires_grad_()
    L.wmse(z1g, z2).backward()
    assert torch.isfinite(z1g.grad).all() and z1g.grad.abs().sum() > 0


# --------------------------------------------------------------------------- SimDINO
def test_coding_rate_reference_and_rank_one_is_lower():
    iso = _rand(64, 8, seed=100)
    iso = iso / iso.norm(dim=1, keepdim=True)
    rank1 = _rand(64, 1, seed=101).sign() * torch.nn.functional.normalize(_rand(1, 8, seed=102), dim=1)
    assert L.coding_rate(iso, 0.05).item() == pytest.approx(ref_coding_rate(_np(iso), 0.05), rel=1e-4)
    assert L.coding_rate(rank1, 0.05).item() == pytest.approx(ref_coding_rate(_np(rank1), 0.05), rel=1e-4)
    assert L.coding_rate(rank1, 0.05) < L.coding_rate(iso, 0.05) - 5.0


def test_simdino_matches_reference_and_grad_only_to_student():
    student = [_rand(16, 4, seed=s).requires_grad_() for s in (110, 111, 112)]
    teacher = [_rand(16, 4, seed=s).requires_grad_() for s in (113, 114)]
    S, T = [_unit(_np(s)) for s in student], [_unit(_np(t)) for t in teacher]
    dist = np.mean([0.5 * ((S[j] - T[i]) ** 2).sum(1).mean()
                    for i in range(2) for j in range(3) if i != j])
    rate = np.mean([ref_coding_rate(S[j], 0.05) for j in range(2)])
    loss = L.simdino(student, teacher, eps=0.05, gamma=0.7)
    assert loss.item() == pytest.approx(dist - 0.7 * rate, rel=1e-4)
    loss.backward()
    assert all(s.grad is not None and s.grad.abs().sum() > 0 for s in student)
    assert all(t.grad is None for t in teacher)


# --------------------------------------------------------------------------- triplet / NCA
def test_triplet_hand_worked():
    a = torch.zeros(2, 2)
    p = torch.tensor([[1.0, 0.0], [0.0, 2.0]])
    n = torch.tensor([[2.0, 0.0], [1.0, 0.0]])
    # row 0: max(0, 1 − 4 + 1) = 0; row 1: max(0, 4 − 1 + 1) = 4
    assert L.triplet(a, p, n, margin=1.0).item() == pytest.approx(2.0)
    assert L.triplet(a, p, n, margin=10.0).item() == pytest.approx((7 + 13) / 2)


def test_nca_matches_loop_reference():
    z1, z2 = _rand(5, 3, seed=120), _rand(5, 3, seed=121)
    a, b = _np(z1), _np(z2)
    cand = np.concatenate([a, b])
    tau, total = 0.7, 0.0
    for i in range(5):
        den = sum(math.exp(-((a[i] - cand[c]) ** 2).sum() / tau) for c in range(10) if c != i)
        total += -math.log(math.exp(-((a[i] - b[i]) ** 2).sum() / tau) / den)
    assert L.nca(z1, z2, tau).item() == pytest.approx(total / 5, rel=1e-5)


# --------------------------------------------------------------------------- unified family
def test_unified_log1p_exp_is_info_nce():
    z1, z2 = _rand(8, 5, seed=130), _rand(8, 5, seed=131)
    u1, u2 = torch.nn.functional.normalize(z1, dim=1), torch.nn.functional.normalize(z2, dim=1)
    tau = 0.2
    s = _unit(_np(z1)) @ _unit(_np(z2)).T
    direct = np.mean([-math.log(math.exp(s[i, i] / tau) / sum(math.exp(s[i, j] / tau) for j in range(8)))
                      for i in range(8)])
    got = L.unified_contrastive(u1, u2, "log1p", "exp", temperature=tau).item()
    assert abs(got - direct) < 1e-5
    generic = L.unified_contrastive(u1, u2, L.phi_log1p, functools.partial(L.psi_exp, temperature=tau))
    assert abs(generic.item() - direct) < 1e-5
    assert abs(L.unified_contrastive(u1, u2, *L.unified_preset("info_nce", temperature=tau)).item() - direct) < 1e-5
    assert abs(L.unified_contrastive(z1, z2, temperature=tau, normalize=True).item() - direct) < 1e-5
    assert abs(L.info_nce(z1, z2, temperature=tau).item() - direct) < 1e-5


def test_unified_identity_hinge_is_triplet():
    z1, z2 = _rand(2, 3, seed=140), _rand(2, 3, seed=141) * 0.5
    for margin in (0.1, 1.0, 5.0):
        got = L.unified_contrastive(z1, z2, "identity", "hinge", margin=margin)
        assert got.item() == pytest.approx(L.triplet(z1, z2, z2.flip(0), margin).item(), rel=1e-5)
    phi, psi = L.UNIFIED_PRESETS["triplet"]                          # margin 1.0
    assert L.unified_contrastive(z1, z2, phi, psi).item() == pytest.approx(
        L.triplet(z1, z2, z2.flip(0), 1.0).item(), rel=1e-5)
    # with N anchors it sums the N − 1 triplets of each anchor
    a, b = _rand(5, 3, seed=142), _rand(5, 3, seed=143)
    A, B = _np(a), _np(b)
    ref = np.mean([sum(max(0.0, ((A[i] - B[i]) ** 2).sum() - ((A[i] - B[j]) ** 2).sum() + 2.0)
                       for j in range(5) if j != i) for i in range(5)])
    assert L.unified_contrastive(a, b, "identity", "hinge", margin=2.0).item() == pytest.approx(ref, rel=1e-5)


def test_unified_rejects_unknown_names():
    z = _rand(3, 2, seed=150)
    with pytest.raises(ValueError, match="phi"):
        L.unified_contrastive(z, z, "log", "exp")
    with pytest.raises(ValueError, match="psi"):
        L.unified_contrastive(z, z, "identity", "gauss")
    with pytest.raises(ValueError, match="preset"):
        L.unified_preset("simclr")


# --------------------------------------------------------------------------- shared properties
TWO_VIEW = {
    "nt_xent": L.nt_xent, "dcl": L.dcl, "vicreg": L.vicreg, "barlow_twins": L.barlow_twins,
    "wmse": L.wmse, "byol": L.byol, "negative_cosine": L.negative_cosine,
    "swav": L.swav, "info_nce": L.info_nce, "nca": L.nca, "unified": L.unified_contrastive,
}
SYMMETRIC = ["nt_xent", "dcl", "vicreg", "barlow_twins", "wmse", "byol", "negative_cosine", "swav"]


@pytest.mark.parametrize("name", sorted(TWO_VIEW))
def test_batch_permutation_invariance_and_scalar(name):
    z1, z2 = _rand(16, 4, seed=160), _rand(16, 4, seed=161)
    perm = torch.randperm(16, generator=torch.Generator().manual_seed(0))
    fn = TWO_VIEW[name]
    out = fn(z1, z2)
    assert out.shape == () and out.dtype == torch.float32 and torch.isfinite(out)
    assert fn(z1[perm], z2[perm]).item() == pytest.approx(out.item(), rel=1e-4, abs=1e-6)


@pytest.mark.parametrize("name", SYMMETRIC)
def test_swapping_views_gives_same_loss(name):
    z1, z2 = _rand(16, 4, seed=170), _rand(16, 4, seed=171)
    fn = TWO_VIEW[name]
    assert fn(z2, z1).item() == pytest.approx(fn(z1, z2).item(), rel=1e-5, abs=1e-6)


def test_info_nce_and_nca_are_not_symmetric():
    z1, z2 = _rand(16, 4, seed=172), _rand(16, 4, seed=173) * 2
    assert abs(L.nca(z1, z2).item() - L.nca(z2, z1).item()) > 1e-3
    queue = _rand(8, 4, seed=174)
    assert abs(L.info_nce(z1, z2, queue).item() - L.info_nce(z2, z1, queue).item()) > 1e-3


@pytest.mark.parametrize("name", ["nt_xent", "dcl", "vicreg", "barlow_twins", "info_nce", "swav", "byol"])
def test_float32_under_bf16_autocast(name):
    z1, z2 = _rand(16, 8, seed=180), _rand(16, 8, seed=181)
    plain = TWO_VIEW[name](z1, z2)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert (z1 @ z2.T).dtype == torch.bfloat16          # autocast is really on
        out = TWO_VIEW[name](z1.bfloat16().float(), z2.bfloat16().float())
        out_bf = TWO_VIEW[name](z1.bfloat16(), z2.bfloat16())
    ref = TWO_VIEW[name](z1.bfloat16().float(), z2.bfloat16().float())
    assert out.dtype == torch.float32 and out_bf.dtype == torch.float32
    assert out.item() == pytest.approx(ref.item(), rel=1e-6, abs=1e-7)
    assert out_bf.item() == pytest.approx(ref.item(), rel=1e-6, abs=1e-7)
    assert plain.item() == pytest.approx(ref.item(), rel=0.05, abs=0.05)


def test_every_public_loss_is_documented_with_paper():
    for name in L.__all__:
        obj = getattr(L, name)
        if inspect.isfunction(obj) and name not in {"float32_loss", "off_diagonal"} \
                and not name.startswith(("phi_", "psi_")) and name != "unified_preset":
            doc = obj.__doc__ or ""
            assert "arXiv" in doc or "NeurIPS" in doc or "JMLR" in doc, name
            assert "(N" in doc, name
