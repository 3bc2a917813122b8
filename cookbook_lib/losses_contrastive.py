"""Contrastive criteria (§2.2 and §2.6 of the cookbook): NT-Xent, DCL, InfoNCE/MoCo, triplet,
NCA, and the unified φ/ψ family. Import them from `cookbook_lib.losses`."""
from __future__ import annotations

import functools
from typing import Callable

import torch
import torch.nn.functional as F

from .losses_common import float32_loss


def _sq_dists(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """(N, M) matrix of squared Euclidean distances ‖a_i − b_j‖²."""
    return (a.pow(2).sum(1, keepdim=True) + b.pow(2).sum(1) - 2.0 * a @ b.T).clamp_min(0.0)


@float32_loss
def nt_xent(z1: torch.Tensor, z2: torch.Tensor, temperature: float = 0.5) -> torch.Tensor:
    """NT-Xent, the normalised-temperature cross-entropy of SimCLR.

    Chen et al. 2020, "A Simple Framework for Contrastive Learning of Visual
    Representations", arXiv 2002.05709.

    z1, z2: (N, D) embeddings of two views of the same N images. With u = z / ‖z‖ for all
    2N rows and s_ij = u_i·u_j / τ, each row i has one positive p(i) (the other view of its
    image) and 2N − 2 negatives (every other row but itself):

        ℓ_i = −log( exp(s_{i,p(i)}) / Σ_{j≠i} exp(s_ij) ),   loss = mean over the 2N rows.
    """
    n = z1.shape[0]
    u = F.normalize(torch.cat([z1, z2]).float(), dim=1)
    sim = u @ u.T / temperature
    sim = sim.masked_fill(torch.eye(2 * n, dtype=torch.bool, device=sim.device), float("-inf"))
    positives = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)]).to(sim.device)
    return F.cross_entropy(sim, positives)


@float32_loss
def dcl(z1: torch.Tensor, z2: torch.Tensor, temperature: float = 0.1) -> torch.Tensor:
    """Decoupled contrastive loss: NT-Xent with the positive removed from the denominator.

    Yeh et al. 2022, "Decoupled Contrastive Learning", arXiv 2110.06848.

    z1, z2: (N, D). Same rows, similarities and positives p(i) as `nt_xent` (u = z/‖z‖ over
    the 2N rows, s_ij = u_i·u_j / τ), but the denominator holds only the 2N − 2 negatives:

        ℓ_i = −s_{i,p(i)} + log Σ_{j∉{i, p(i)}} exp(s_ij),   loss = mean over the 2N rows,

    i.e. symmetric over the two views. Without the positive in the denominator the gradient
    no longer shrinks as the positive becomes easy, which is why DCL works at small batches.
    """
    n = z1.shape[0]
    u = F.normalize(torch.cat([z1, z2]).float(), dim=1)
    sim = u @ u.T / temperature
    rows = torch.arange(2 * n, device=sim.device)
    pos_idx = torch.cat([rows[n:], rows[:n]])
    positive = sim[rows, pos_idx]
    mask = torch.eye(2 * n, dtype=torch.bool, device=sim.device)
    mask[rows, pos_idx] = True
    negatives = torch.logsumexp(sim.masked_fill(mask, float("-inf")), dim=1)
    return (negatives - positive).mean()


@float32_loss
def info_nce(q: torch.Tensor, k: torch.Tensor, queue: torch.Tensor | None = None,
             temperature: float = 0.2) -> torch.Tensor:
    """InfoNCE as in MoCo: each query against its key, the batch's other keys and a queue.

    van den Oord et al. 2018, "Representation Learning with Contrastive Predictive Coding",
    arXiv 1807.03748; He et al. 2019, "Momentum Contrast for Unsupervised Visual
    Representation Learning" (MoCo), arXiv 1911.05722.

    q: (N, D) queries (online branch). k: (N, D) keys, k_i the positive of q_i. queue: optional
    (Q, D) bank of past keys (extra negatives). All rows are l2-normalised here. Row i of the
    logits is [q_i·k_j / τ for j = 1..N] ++ [q_i·queue_m / τ for m = 1..Q], target j = i:

        loss = −mean_i log( exp(q_i·k_i/τ) / (Σ_j exp(q_i·k_j/τ) + Σ_m exp(q_i·queue_m/τ)) ).

    The keys are used as given: this function does NOT detach k (nor the queue). MoCo's keys
    come from the momentum encoder, so the caller passes `k.detach()`.
    """
    qn = F.normalize(q.float(), dim=1)
    kn = F.normalize(k.float(), dim=1)
    logits = qn @ kn.T
    if queue is not None:
        logits = torch.cat([logits, qn @ F.normalize(queue.float(), dim=1).T], dim=1)
    targets = torch.arange(q.shape[0], device=q.device)
    return F.cross_entropy(logits / temperature, targets)


@float32_loss
def triplet(anchor: torch.Tensor, positive: torch.Tensor, negative: torch.Tensor,
            margin: float = 1.0) -> torch.Tensor:
    """Triplet loss with squared Euclidean distances.

    Weinberger & Saul 2009, "Distance Metric Learning for Large Margin Nearest Neighbor
    Classification" (JMLR 10); Schroff et al. 2015, "FaceNet", arXiv 1503.03832.

    anchor, positive, negative: (N, D), row i forming one triplet (no normalisation here):

        loss = mean_i max(0, ‖a_i − p_i‖² − ‖a_i − n_i‖² + margin).
    """
    a, p, n = anchor.float(), positive.float(), negative.float()
    d_pos = (a - p).pow(2).sum(1)
    d_neg = (a - n).pow(2).sum(1)
    return F.relu(d_pos - d_neg + margin).mean()


@float32_loss
def nca(z1: torch.Tensor, z2: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
    """Neighbourhood component analysis as a batch criterion over two views.

    Goldberger, Roweis, Hinton & Salakhutdinov 2004, "Neighbourhood Components Analysis"
    (NeurIPS 17).

    z1, z2: (N, D), used as given (no normalisation). The anchors are the rows of z1; the
    candidates of anchor i are all other 2N − 1 rows of [z1; z2] (z1_j for j ≠ i and every
    z2_j); its only positive is its other view z2_i. With d(a, b) = ‖a − b‖²,

        p_i = exp(−d(z1_i, z2_i)/τ) / Σ_{c ≠ z1_i} exp(−d(z1_i, c)/τ),   loss = −mean_i log p_i.

    (Stochastic nearest neighbour: p_i is the probability that z1_i picks its positive as its
    neighbour; τ = 1 is the original criterion.)
    """
    n = z1.shape[0]
    a = z1.float()
    candidates = torch.cat([a, z2.float()])
    logits = -_sq_dists(a, candidates) / temperature
    self_mask = torch.zeros_like(logits, dtype=torch.bool)
    self_mask[torch.arange(n), torch.arange(n)] = True
    logits = logits.masked_fill(self_mask, float("-inf"))
    targets = torch.arange(n, 2 * n, device=logits.device)
    return F.cross_entropy(logits, targets)


# ---- The unified family of §2.6:  mean_i φ( Σ_{j≠i} ψ(‖z1_i − z2_i‖² − ‖z1_i − z2_j‖²) ) ----

def phi_log1p(x: torch.Tensor) -> torch.Tensor:
    """φ(x) = log(1 + x): with ψ = `psi_exp` this gives InfoNCE."""
    return torch.log1p(x)


def phi_identity(x: torch.Tensor) -> torch.Tensor:
    """φ(x) = x: with ψ = `psi_hinge` this gives the triplet loss."""
    return x


def psi_exp(x: torch.Tensor, temperature: float = 0.1) -> torch.Tensor:
    """ψ(x) = exp(x / (2τ)). The 2 makes τ the usual InfoNCE temperature on cosine
    similarities, because on unit vectors ‖a − b‖² = 2 − 2 a·b."""
    return torch.exp(x / (2.0 * temperature))


def psi_hinge(x: torch.Tensor, margin: float = 1.0) -> torch.Tensor:
    """ψ(x) = max(0, x + margin)."""
    return F.relu(x + margin)


UNIFIED_PHI: dict[str, Callable] = {"log1p": phi_log1p, "identity": phi_identity}
UNIFIED_PSI: dict[str, Callable] = {"exp": psi_exp, "hinge": psi_hinge}


def unified_preset(name: str, temperature: float = 0.1, margin: float = 1.0) -> tuple[Callable, Callable]:
    """(φ, ψ) of a named member of the unified family, with its parameter bound:
    "info_nce" → (log(1+x), exp(x/(2τ))), "triplet" → (x, max(0, x + margin))."""
    if name == "info_nce":
        return phi_log1p, functools.partial(psi_exp, temperature=temperature)
    if name == "triplet":
        return phi_identity, functools.partial(psi_hinge, margin=margin)
    raise ValueError(f"unknown unified preset {name!r}; allowed: 'info_nce', 'triplet'")


#: Named (φ, ψ) pairs with default parameters (τ = 0.1, margin = 1.0); use `unified_preset`
#: for other values. Pass them as `unified_contrastive(z1, z2, *UNIFIED_PRESETS["triplet"])`.
UNIFIED_PRESETS: dict[str, tuple[Callable, Callable]] = {
    "info_nce": unified_preset("info_nce"),
    "triplet": unified_preset("triplet"),
}


@float32_loss
def unified_contrastive(z1: torch.Tensor, z2: torch.Tensor,
                        phi: str | Callable = "log1p", psi: str | Callable = "exp", *,
                        temperature: float = 0.1, margin: float = 1.0,
                        normalize: bool = False) -> torch.Tensor:
    """The unified contrastive family of the cookbook's §2.6 (Balestriero et al. 2023,
    "A Cookbook of Self-Supervised Learning", arXiv 2304.12210; after Tian 2022, "Understanding
    Deep Contrastive Learning via Coordinate-wise Optimization", arXiv 2201.12680).

    z1, z2: (N, D), z2_i the positive of z1_i and z2_j (j ≠ i) its N − 1 negatives
    (l2-normalised first if `normalize`). With d_pos_i = ‖z1_i − z2_i‖², d_neg_ij = ‖z1_i − z2_j‖²:

        loss = mean_i φ( Σ_{j≠i} ψ(d_pos_i − d_neg_ij) ).

    phi, psi: callables, or names: phi ∈ {"log1p", "identity"}, psi ∈ {"exp" (uses
    `temperature`), "hinge" (uses `margin`)}; see also `UNIFIED_PRESETS` / `unified_preset`.

    InfoNCE: φ(x) = log(1 + x), ψ(x) = exp(x/(2τ)). On unit vectors, with s_ij = z1_i·z2_j,
    d_pos_i − d_neg_ij = (2 − 2 s_ii) − (2 − 2 s_ij) = 2 (s_ij − s_ii), so

        φ(Σ_{j≠i} ψ) = log(1 + Σ_{j≠i} e^{(s_ij − s_ii)/τ}) = log Σ_j e^{(s_ij − s_ii)/τ}
                     = −log( e^{s_ii/τ} / Σ_j e^{s_ij/τ} ),

    the one-directional (z1 → z2) InfoNCE whose denominator is the positive plus the N − 1
    off-diagonal z2 negatives (`info_nce(z1, z2, temperature=τ)`). For this pair of names
    the sum is computed as a logsumexp, which never overflows.

    Triplet: φ(x) = x, ψ(x) = max(0, x + margin); with one negative per anchor (N = 2) it is
    exactly `triplet(z1, z2, z2.flip(0), margin)`; with more it sums the N − 1 triplets.
    """
    a, b = z1.float(), z2.float()
    if normalize:
        a, b = F.normalize(a, dim=1), F.normalize(b, dim=1)
    d_pos = (a - b).pow(2).sum(1)
    x = d_pos[:, None] - _sq_dists(a, b)                       # x_ij = d_pos_i − d_neg_ij
    eye = torch.eye(a.shape[0], dtype=torch.bool, device=a.device)
    x = x.masked_fill(eye, 0.0)                                 # x_ii = 0 exactly
    if phi == "log1p" and psi == "exp":
        # log(1 + Σ_{j≠i} e^{x_ij/2τ}) = logsumexp_j(x_ij/2τ), since e^{x_ii/2τ} = e^0 = 1.
        return torch.logsumexp(x / (2.0 * temperature), dim=1).mean()
    if isinstance(phi, str) and phi not in UNIFIED_PHI:
        raise ValueError(f"unknown phi {phi!r}; allowed: {sorted(UNIFIED_PHI)} or a callable")
    phi_fn = UNIFIED_PHI[phi] if isinstance(phi, str) else phi
    if isinstance(psi, str):
        psi_fn = (functools.partial(psi_exp, temperature=temperature) if psi == "exp"
                  else functools.partial(psi_hinge, margin=margin) if psi == "hinge"
                  else None)
        if psi_fn is None:
            raise ValueError(f"unknown psi {psi!r}; allowed: {sorted(UNIFIED_PSI)} or a callable")
    else:
        psi_fn = psi
    inner = psi_fn(x).masked_fill(eye, 0.0).sum(1)
    return phi_fn(inner).mean()
