"""Label-free measures of an embedding: collapse, dimensional collapse, alignment, uniformity.

All take a matrix z of shape (N, D) (N samples, D dimensions) on any device, and compute in
float64 on a CPU copy of it (MPS has no float64, and these are small matrices: the copy and
an SVD of a 512 × 128 batch take about a millisecond), with autocast off. They cope with NaN/inf or all-zero input by returning NaN or 0 rather than
raising: a collapsed or diverged run must still be reportable.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def _clean(z: torch.Tensor) -> torch.Tensor | None:
    """z as a float64 CPU tensor of shape (N, D), or None if it holds NaN/inf."""
    z = z.detach().cpu().double()
    if z.dim() != 2:
        z = z.flatten(1)
    if not torch.isfinite(z).all():
        return None
    return z


def singular_values(z: torch.Tensor, center: bool = True) -> torch.Tensor:
    """Singular values of z (centred over the batch by default), descending, shape (min(N, D),).

    NaN-filled if z holds NaN/inf.
    """
    zc = _clean(z)
    if zc is None:
        return torch.full((min(z.shape[0], z.flatten(1).shape[1]),), float("nan"), dtype=torch.float64)
    if center:
        zc = zc - zc.mean(0, keepdim=True)
    return torch.linalg.svdvals(zc).cpu()


def rankme(z: torch.Tensor, eps: float = 1e-7) -> float:
    """RankMe: the effective rank exp(entropy of the normalised singular values).

    Garrido, Balestriero, Najman, LeCun 2022, "RankMe: Assessing the downstream performance
    of pretrained self-supervised representations by their rank", arXiv 2210.02885:
    p_k = σ_k / Σσ + ε,  RankMe = exp(−Σ_k p_k log p_k). Between 1 (rank one) and min(N, D).
    Uncentred singular values, as in the paper. 0 for an all-zero z, NaN for NaN/inf.
    """
    s = singular_values(z, center=False)
    if not torch.isfinite(s).all():
        return float("nan")
    if s.sum() <= 0:
        return 0.0
    p = s / s.sum() + eps
    return float(torch.exp(-(p * p.log()).sum()))


def alpha_req(z: torch.Tensor, fit_range: tuple[float, float] = (0.05, 0.8)) -> float:
    """α-ReQ: the decay rate α of the eigenspectrum, λ_k ∝ k^(−α), fitted in log-log space.

    Agrawal et al. 2022, "α-ReQ: Assessing representation quality in self-supervised learning
    by measuring eigenspectrum decay", NeurIPS. Eigenvalues of the centred covariance; the
    least-squares line is fitted on the ranks between the two fractions of `fit_range` (the
    head and the numerically-zero tail are left out). Around 1 is healthy; large α means
    the variance sits in a few directions. NaN if z holds NaN/inf or has under 4 usable
    eigenvalues.
    """
    s = singular_values(z)
    if not torch.isfinite(s).all():
        return float("nan")
    lam = s ** 2
    lam = lam[lam > lam.max() * 1e-12] if lam.max() > 0 else lam[:0]
    lo, hi = int(len(lam) * fit_range[0]), max(int(len(lam) * fit_range[1]), 1)
    lam = lam[lo:hi]
    if len(lam) < 4:
        return float("nan")
    k = torch.arange(lo + 1, lo + 1 + len(lam), dtype=torch.float64)
    x, y = k.log(), lam.log()
    slope = ((x - x.mean()) * (y - y.mean())).sum() / ((x - x.mean()) ** 2).sum()
    return float(-slope)


def embedding_std(z: torch.Tensor) -> float:
    """Mean over dimensions of the batch std of the l2-normalised rows.

    The collapse measure of SimSiam (Chen & He 2020, arXiv 2011.10566): 0 when every row is
    the same (complete collapse); about 1/√D for isotropic embeddings. NaN for NaN/inf;
    all-zero rows count as zero vectors.
    """
    zc = _clean(z)
    if zc is None:
        return float("nan")
    return float(F.normalize(zc, dim=1).std(0).mean())


def alignment(z1: torch.Tensor, z2: torch.Tensor, alpha: float = 2) -> float:
    """E ‖u1 − u2‖^α over positive pairs of l2-normalised embeddings (lower = more aligned).

    Wang & Isola 2020, "Understanding contrastive representation learning through alignment
    and uniformity on the hypersphere", arXiv 2005.10242.
    """
    a, b = _clean(z1), _clean(z2)
    if a is None or b is None:
        return float("nan")
    return float((F.normalize(a, dim=1) - F.normalize(b, dim=1)).norm(dim=1).pow(alpha).mean())


def uniformity(z: torch.Tensor, t: float = 2) -> float:
    """log E exp(−t ‖u_i − u_j‖²) over distinct pairs of l2-normalised rows (lower = more uniform).

    Wang & Isola 2020, arXiv 2005.10242. 0 for a collapsed batch; about −4 on a well spread
    high-dimensional sphere with t = 2.
    """
    zc = _clean(z)
    if zc is None or zc.shape[0] < 2:
        return float("nan")
    u = F.normalize(zc, dim=1)
    d2 = torch.pdist(u).pow(2)
    return float(torch.logsumexp(-t * d2, 0) - math.log(d2.numel()))


def lidar(z: torch.Tensor, delta: float = 1e-4, eps: float = 1e-7) -> float:
    """LiDAR: the effective rank of the linear-discriminant matrix of the SSL task (Thilak et
    al. 2024, "LiDAR: Sensing Linear Probing Performance in Joint Embedding SSL
    Architectures", ICLR, arXiv 2312.04000).

    z: (n, q, D): the embeddings of q augmented views of each of n samples (each sample is a
    "class" of the surrogate task). With μ_i the mean over sample i's views and μ the mean of
    the μ_i:

        Σ_b = 1/(n − 1) Σ_i (μ_i − μ)(μ_i − μ)ᵀ,
        Σ_w = 1/(n (q − 1)) Σ_i Σ_j (z_ij − μ_i)(z_ij − μ_i)ᵀ + δ I,
        LiDAR = exp(−Σ_k p_k log p_k),  p_k = λ_k / Σλ + ε,  λ: eigenvalues of Σ_w^{−1/2} Σ_b Σ_w^{−1/2}.

    Like RankMe, from 1 to D; unlike it, directions in which the views of one sample vary as
    much as different samples do (noise the task cannot use) count for little. NaN for
    NaN/inf; needs n ≥ 2 and q ≥ 2."""
    z = z.detach().cpu().double()
    if z.dim() != 3 or z.shape[0] < 2 or z.shape[1] < 2:
        raise ValueError(f"lidar: z must be (n ≥ 2 samples, q ≥ 2 views, D), got shape {tuple(z.shape)}")
    if not torch.isfinite(z).all():
        return float("nan")
    n, q, d = z.shape
    mu_i = z.mean(1)
    db = mu_i - mu_i.mean(0)
    sigma_b = db.T @ db / (n - 1)
    dw = (z - mu_i[:, None]).reshape(n * q, d)
    sigma_w = dw.T @ dw / (n * (q - 1)) + delta * torch.eye(d, dtype=z.dtype)
    w_val, w_vec = torch.linalg.eigh(sigma_w)
    inv_sqrt = (w_vec * w_val.clamp_min(1e-12).rsqrt()) @ w_vec.T
    lam = torch.linalg.eigvalsh(inv_sqrt @ sigma_b @ inv_sqrt).clamp_min(0)
    if lam.sum() <= 0:
        return 1.0
    p = lam / lam.sum() + eps
    return float(torch.exp(-(p * p.log()).sum()))


def summarize(z: torch.Tensor) -> dict:
    """The collapse dashboard's numbers for one embedding matrix."""
    return dict(rankme=rankme(z), embedding_std=embedding_std(z), alpha_req=alpha_req(z))
