"""Criteria of the methods that came after the cookbook: LeJEPA's SIGReg and prediction loss,
I-JEPA's latent prediction loss, and DINOv2's KoLeo spreading term. Import them from
`cookbook_lib.losses`.

None of them gathers across processes: a method gathers its embeddings first (under
torchrun every process then sees the global batch and, given the same `directions`, computes
the same statistic).
"""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F

from ._common import float32_loss


def random_directions(dim: int, num_slices: int, generator: torch.Generator | None = None,
                      device=None) -> torch.Tensor:
    """(dim, num_slices) random unit vectors as columns (isotropic: normalised Gaussian draws):
    SIGReg's slices (LeJEPA, arXiv 2511.08544)."""
    a = torch.randn(dim, num_slices, generator=generator, device=device if generator is None else generator.device)
    return F.normalize(a, dim=0)


def epps_pulley_grid(t_max: float = 3.0, knots: int = 17, device=None):
    """Knots t_j on [0, t_max] and trapezoid weights for ∫_{−t_max}^{t_max} w(t)·f(t) dt of an
    even f, with w(t) = e^{−t²/2}: twice the half-line trapezoid weights, times w(t_j)
    (SIGReg's quadrature, LeJEPA, arXiv 2511.08544)."""
    t = torch.linspace(0.0, t_max, knots, device=device)
    step = t_max / (knots - 1)
    trap = torch.full((knots,), step, device=device)
    trap[0] = trap[-1] = step / 2
    return t, 2.0 * trap * torch.exp(-t ** 2 / 2)


@float32_loss
def sigreg(z: torch.Tensor, directions: torch.Tensor | None = None, num_slices: int = 1024, t_max: float = 3.0,
           knots: int = 17, generator: torch.Generator | None = None) -> torch.Tensor:
    """SIGReg, sketched isotropic Gaussian regularisation (Balestriero & LeCun 2025, "LeJEPA:
    Provable and Scalable Self-Supervised Learning Without the Heuristics", arXiv 2511.08544).

    z: (N, D) embeddings, or (V, N, D) for V views (each view its own statistic, then the
    mean over views). directions: (D, M) with unit-norm columns a_m; when None, M =
    `num_slices` are drawn with `generator` (`random_directions`). For each slice, the 1-D
    projections x_n = z_n·a_m are tested against N(0, 1) with the Epps–Pulley statistic

        EP = N · ∫ w(t) |φ̂(t) − e^{−t²/2}|² dt,   φ̂(t) = (1/N) Σ_n e^{i t x_n},  w(t) = e^{−t²/2},

    integrated by the trapezoid rule on `knots` points over t ∈ [0, t_max] (the integrand is
    even: twice the half line). SIGReg is the mean of EP over slices. For Gaussian samples
    its expectation is `sigreg_null()` ≈ 1.04 at any N; a collapsed embedding, or one whose
    projections are not Gaussian, scores far above it, growing with N. (Random projections
    of many independent non-Gaussian coordinates are nearly Gaussian, so those go unseen;
    a scale mixture, or a few dimensions, do not.)
    """
    z = z.float()
    if z.dim() == 2:
        z = z[None]
    if z.dim() != 3:
        raise ValueError(f"sigreg: z must be (N, D) or (V, N, D), got shape {tuple(z.shape)}")
    n, d = z.shape[1], z.shape[2]
    if directions is None:
        directions = random_directions(d, num_slices, generator, z.device)
    directions = directions.to(z.device, torch.float32)
    if directions.shape[0] != d:
        raise ValueError(f"sigreg: directions must be (D={d}, M), got shape {tuple(directions.shape)}")
    t, weights = epps_pulley_grid(t_max, knots, z.device)
    x = z @ directions                                   # (V, N, M) projections
    tx = x[..., None] * t                                # (V, N, M, K)
    re = torch.cos(tx).mean(1) - torch.exp(-t ** 2 / 2)  # (V, M, K): Re φ̂ − φ
    im = torch.sin(tx).mean(1)                           # Im φ̂ (φ is real)
    ep = n * ((re ** 2 + im ** 2) * weights).sum(-1)     # (V, M)
    return ep.mean()


def sigreg_null(t_max: float = 3.0, knots: int = 17) -> float:
    """The expected SIGReg of Gaussian samples with this quadrature: Σ_j weight_j (1 − e^{−t_j²})
    (E|φ̂ − φ|² = (1 − e^{−t²}) / N for N(0, 1) samples), ≈ 1.04 for the defaults; over the
    whole line, ∫ e^{−t²/2}(1 − e^{−t²}) dt = √(2π) − √(2π/3) ≈ 1.06 (Epps & Pulley 1983,
    Biometrika 70(3); LeJEPA, arXiv 2511.08544)."""
    t, weights = epps_pulley_grid(t_max, knots)
    return float((weights * (1 - torch.exp(-t ** 2))).sum())


@float32_loss
def lejepa(global_views: Sequence[torch.Tensor], local_views: Sequence[torch.Tensor] = (), lambd: float = 0.05,
           directions: torch.Tensor | None = None, num_slices: int = 1024, t_max: float = 3.0, knots: int = 17,
           generator: torch.Generator | None = None) -> torch.Tensor:
    """LeJEPA's loss (Balestriero & LeCun 2025, arXiv 2511.08544): (1 − λ)·prediction + λ·SIGReg.

    global_views, local_views: lists of (N, D) embeddings (the large views and the small
    multi-crop views). With c = the mean of the global views' embeddings of each sample,

        prediction = mean over every view v, sample n and dimension d of (z_v,nd − c_nd)²,
        SIGReg     = mean over every view of `sigreg(z_v, directions)` (one draw of directions),

    with no stop-gradient anywhere (c takes gradient too). λ = `lambd` (the official code's
    0.05; the paper explores 0.01–0.1)."""
    views = [v.float() for v in (*global_views, *local_views)]
    if not global_views:
        raise ValueError("lejepa needs at least one global view")
    centre = torch.stack([v.float() for v in global_views]).mean(0)
    prediction = torch.stack([(v - centre).pow(2).mean() for v in views]).mean()
    d = views[0].shape[1]
    if directions is None:
        directions = random_directions(d, num_slices, generator, views[0].device)
    reg = torch.stack([sigreg(v, directions, t_max=t_max, knots=knots) for v in views]).mean()
    return (1 - lambd) * prediction + lambd * reg


@float32_loss
def koleo(z: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """KoLeo, the Kozachenko–Leonenko spreading term of DINOv2 (Oquab et al. 2023, arXiv
    2304.07193; Sablayrolles et al. 2019, arXiv 1806.03198): with u_i = z_i / ‖z_i‖ and
    ρ_i = min_{j≠i} ‖u_i − u_j‖ the distance to the nearest other row of the batch,

        loss = −(1/N) Σ_i log(ρ_i + eps).

    z: (N, D), N ≥ 2. Low when the rows spread evenly over the sphere; large (→ −log eps)
    when two rows coincide. The neighbour is chosen without gradient; the distance has one."""
    if z.shape[0] < 2:
        raise ValueError("koleo needs at least 2 rows")
    u = F.normalize(z.float(), dim=1, eps=eps)
    with torch.no_grad():
        sim = u @ u.T
        sim.fill_diagonal_(-2.0)  # never its own neighbour
        nearest = sim.argmax(1)
    rho = F.pairwise_distance(u, u[nearest], eps=eps)  # ‖u_i − u_j + eps‖: finite gradient when they coincide
    return -torch.log(rho + eps).mean()


@float32_loss
def ijepa(predictions: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """I-JEPA's loss (Assran et al. 2023, "Self-Supervised Learning from Images with a
    Joint-Embedding Predictive Architecture", arXiv 2301.08243).

    predictions: (N, T, D), the predictor's outputs for T target patches (N = images × target
    blocks); targets: (N, T, D), the target encoder's outputs for the same patches. The
    targets are detached and layer-normalised over D (no affine) here, as in I-JEPA:

        loss = mean over n, t, d of (pred_ntd − LN(target)_ntd)².

    The paper writes an average L2 distance over the target blocks; its code uses the smooth
    L1 variant, which is the same near zero.
    """
    if predictions.shape != targets.shape or predictions.dim() != 3:
        raise ValueError(f"ijepa: predictions {tuple(predictions.shape)} and targets {tuple(targets.shape)} "
                         "must both be (N, T, D)")
    t = F.layer_norm(targets.detach().float(), targets.shape[-1:])
    return (predictions.float() - t).pow(2).mean()
