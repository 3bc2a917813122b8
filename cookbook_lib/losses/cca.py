"""Canonical-correlation family (§2.4 of the cookbook): VICReg, Barlow Twins, SwAV (Sinkhorn)
and W-MSE. Import them from `cookbook_lib.losses`."""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F

from ._common import float32_loss, off_diagonal, wide_dtype


def _covariance_penalty(z: torch.Tensor) -> torch.Tensor:
    n, d = z.shape
    zc = z - z.mean(dim=0)
    cov = zc.T @ zc / (n - 1)
    return off_diagonal(cov).pow(2).sum() / d


@float32_loss
def vicreg_terms(z1: torch.Tensor, z2: torch.Tensor, eps: float = 1e-4) -> dict[str, torch.Tensor]:
    """The three unweighted VICReg terms, as a dict {"invariance", "variance", "covariance"}.

    Bardes, Ponce & LeCun 2021, "VICReg: Variance-Invariance-Covariance Regularization for
    Self-Supervised Learning", arXiv 2105.04906 (official-code definitions).

    z1, z2: (N, D) embeddings of two views, N ≥ 2. Per view z, with unbiased variances over
    the batch and C(z) = (z − z̄)ᵀ(z − z̄) / (N − 1):

        invariance = mean over N·D of (z1 − z2)²                    (F.mse_loss)
        v(z)       = mean_d ReLU(1 − sqrt(Var(z_·d) + eps)),   variance = (v(z1) + v(z2)) / 2
        c(z)       = Σ_{k≠l} C(z)_kl² / D,                     covariance = c(z1) + c(z2)

    A collapsed batch (all rows equal) gives variance = 1 − sqrt(eps) ≈ 0.99.
    """
    z1, z2 = z1.float(), z2.float()
    invariance = F.mse_loss(z1, z2)
    std1 = torch.sqrt(z1.var(dim=0) + eps)
    std2 = torch.sqrt(z2.var(dim=0) + eps)
    variance = (F.relu(1.0 - std1).mean() + F.relu(1.0 - std2).mean()) / 2.0
    covariance = _covariance_penalty(z1) + _covariance_penalty(z2)
    return {"invariance": invariance, "variance": variance, "covariance": covariance}


@float32_loss
def vicreg(z1: torch.Tensor, z2: torch.Tensor, sim_coeff: float = 25.0, std_coeff: float = 25.0,
           cov_coeff: float = 1.0, eps: float = 1e-4) -> torch.Tensor:
    """VICReg: sim_coeff·invariance + std_coeff·variance + cov_coeff·covariance.

    Bardes et al. 2021, arXiv 2105.04906. z1, z2: (N, D). The terms are those of
    `vicreg_terms` (MSE; mean ReLU(1 − sqrt(var + eps)) averaged over the two views; sum of
    squared off-diagonal covariances / D summed over the two views). Defaults 25 / 25 / 1.
    """
    t = vicreg_terms(z1, z2, eps=eps)
    return sim_coeff * t["invariance"] + std_coeff * t["variance"] + cov_coeff * t["covariance"]


def _standardise(z: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    return (z - z.mean(dim=0)) / torch.sqrt(z.var(dim=0, unbiased=False) + eps)


@float32_loss
def barlow_twins(z1: torch.Tensor, z2: torch.Tensor, lambd: float = 5e-3) -> torch.Tensor:
    """Barlow Twins: drive the cross-correlation matrix of the two views to the identity.

    Zbontar et al. 2021, "Barlow Twins: Self-Supervised Learning via Redundancy Reduction",
    arXiv 2103.03230.

    z1, z2: (N, D). Each view is standardised per dimension over the batch, with the biased
    variance and eps 1e-5 (as BatchNorm1d(affine=False) in training mode):
    ẑ = (z − z̄) / sqrt(Var_biased(z) + 1e-5). Then c = ẑ1ᵀ ẑ2 / N (D × D) and

        loss = Σ_k (1 − c_kk)² + λ Σ_{k≠l} c_kl².
    """
    n = z1.shape[0]
    c = _standardise(z1.float()).T @ _standardise(z2.float()) / n
    on_diag = (1.0 - torch.diagonal(c)).pow(2).sum()
    return on_diag + lambd * off_diagonal(c).pow(2).sum()


@float32_loss
@torch.no_grad()
def sinkhorn(scores: torch.Tensor, epsilon: float = 0.05, iters: int = 3) -> torch.Tensor:
    """Sinkhorn-Knopp soft assignments of N samples to K prototypes, equal partition (no grad).

    Cuturi 2013, "Sinkhorn Distances: Lightspeed Computation of Optimal Transport"
    (NeurIPS 26); Caron et al. 2020, "Unsupervised Learning of Visual Features by Contrasting
    Cluster Assignments" (SwAV), arXiv 2006.09882.

    scores: (N, K) similarities z·cᵀ of normalised embeddings and prototypes. Starting from
    Q ∝ exp(scores / ε) (total mass 1), each iteration rescales the columns so that every
    prototype holds mass 1/K, then the rows so that every sample holds mass 1/N. Returns
    N·Q (N, K): each row sums to 1 (a code), each column to ≈ N/K (exactly as iters → ∞).
    iters = 0 skips the equal partition: each row is the sample's own softmax(scores / ε).
    """
    s = scores.detach().float() / epsilon
    q = torch.exp(s - s.max())          # the shift cancels in the normalisations
    n, k = q.shape
    if iters == 0:
        return q / q.sum(dim=1, keepdim=True)
    q = q / q.sum()
    for _ in range(iters):
        q = q / (k * q.sum(dim=0, keepdim=True))
        q = q / (n * q.sum(dim=1, keepdim=True))
    return q * n


@float32_loss
def swav(scores1: torch.Tensor, scores2: torch.Tensor, temperature: float = 0.1,
         epsilon: float = 0.05, sinkhorn_iters: int = 3) -> torch.Tensor:
    """SwAV's swapped prediction for two views: predict one view's code from the other
    view's scores (Caron et al. 2020, arXiv 2006.09882). `swav_views` with two views and no
    queue:

        loss = −½ mean_n [ Σ_k q2 log softmax(scores1/τ) + Σ_k q1 log softmax(scores2/τ) ],

    q_v = `sinkhorn(scores_v)` without gradient. scores1, scores2: (N, K) prototype scores
    z_v · Cᵀ, where the caller l2-normalises both the embeddings z_v and the prototype rows C.
    """
    return swav_views([scores1, scores2], temperature, epsilon, sinkhorn_iters)


@float32_loss
def swav_views(scores: Sequence[torch.Tensor], temperature: float = 0.1, epsilon: float = 0.05,
               sinkhorn_iters: int = 3, queue_scores: Sequence[torch.Tensor] | None = None,
               code_views: int = 2) -> torch.Tensor:
    """SwAV with multi-crop and an optional queue (Caron et al. 2020, arXiv 2006.09882).

    scores: per view, (N, K) prototype scores (the first `code_views` are the large views).
    queue_scores: per code view, (M, K) scores of past embeddings against today's
    prototypes (or None): the codes of view i are `sinkhorn` over its N rows stacked on its
    M queue rows, keeping the first N, which evens the equal partition out when the batch is
    small next to K. Then, with q_i the code of view i (no gradient),

        loss = mean over i < code_views, j ≠ i of  −mean_n Σ_k q_i log softmax(scores_j / τ).
    """
    codes = []
    for i in range(code_views):
        s = scores[i].detach().float()
        if queue_scores is not None and len(queue_scores[i]):
            s = torch.cat([s, queue_scores[i].float()])
        codes.append(sinkhorn(s, epsilon, sinkhorn_iters)[: len(scores[i])])
    terms = [-(q * F.log_softmax(scores[j].float() / temperature, dim=1)).sum(1).mean()
             for i, q in enumerate(codes) for j in range(len(scores)) if j != i]
    return torch.stack(terms).mean()


@float32_loss
def whiten(z: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    """Cholesky whitening of a batch: output rows have zero mean and identity covariance.

    Ermolov et al. 2021, "Whitening for Self-Supervised Representation Learning",
    arXiv 2007.06346.

    z: (N, D) with N > D. With Σ = (z − z̄)ᵀ(z − z̄) / (N − 1), shrunk as (1 − eps)·Σ + eps·I,
    and L the lower Cholesky factor of the shrunk Σ: w_n = L⁻¹ (z_n − z̄). Computed in float64
    (float32 on MPS), differentiably; returned as float32 (N, D).
    """
    x = z.to(wide_dtype(z.device))
    n, d = x.shape
    xc = x - x.mean(dim=0)
    cov = xc.T @ xc / (n - 1)
    eye = torch.eye(d, dtype=x.dtype, device=x.device)
    chol = torch.linalg.cholesky((1.0 - eps) * cov + eps * eye)
    return torch.linalg.solve_triangular(chol, xc.T, upper=False).T.float()


@float32_loss
def wmse(z1: torch.Tensor, z2: torch.Tensor, eps: float = 1e-5, joint: bool = False,
         whitening: bool = True) -> torch.Tensor:
    """W-MSE: whiten the batch, then the MSE of the l2-normalised positive pairs.

    Ermolov et al. 2021, arXiv 2007.06346.

    z1, z2: (N, D) with N > D (whitening needs a full-rank covariance). The whitening group is
    the whole batch (w_size = N, one iteration). By default each view's batch is whitened
    with its own matrix, w_v = `whiten(z_v)` — as the official code does (it whitens the
    sub-batch of each view separately). With `joint=True` one matrix is computed on the 2N
    rows [z1; z2] and applied to both. Then, with ŵ = w / ‖w‖,

        loss = mean_n ‖ŵ1_n − ŵ2_n‖² = mean_n (2 − 2 cos(w1_n, w2_n)).

    `whitening=False` (the negative control) takes w_v = z_v: the same distance with nothing
    to stop every embedding from being the same vector.
    """
    if not whitening:
        w1, w2 = z1.float(), z2.float()
    elif joint:
        w = whiten(torch.cat([z1, z2]).float(), eps)
        w1, w2 = w[: z1.shape[0]], w[z1.shape[0]:]
    else:
        w1, w2 = whiten(z1.float(), eps), whiten(z2.float(), eps)
    return (F.normalize(w1, dim=1) - F.normalize(w2, dim=1)).pow(2).sum(1).mean()
