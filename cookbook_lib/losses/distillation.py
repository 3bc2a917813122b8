"""Self-distillation criteria (§2.3 of the cookbook): SimSiam, BYOL, DINO and SimDINO.
Import them from `cookbook_lib.losses`."""
from __future__ import annotations

import math
from typing import Sequence

import torch
import torch.nn.functional as F

from ._common import float32_loss, wide_dtype
from .cca import sinkhorn


@float32_loss
def negative_cosine(p: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    """Negative cosine similarity of SimSiam.

    Chen & He 2020, "Exploring Simple Siamese Representation Learning", arXiv 2011.10566.

    p: (N, D) predictor outputs, z: (N, D) targets (the other view's projections):

        loss = −mean_i  p_i·z_i / (‖p_i‖ ‖z_i‖)       (rows normalised by max(‖v‖₂, 1e-12)).

    This function does NOT detach z: gradients flow into both arguments. The stop-gradient
    that keeps SimSiam from collapsing is the method's choice — pass `z.detach()` (the
    collapse chapter turns it off by passing z itself).
    """
    return -(F.normalize(p.float(), dim=-1) * F.normalize(z.float(), dim=-1)).sum(-1).mean()


@float32_loss
def byol(p: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    """BYOL's normalised mean squared error.

    Grill et al. 2020, "Bootstrap Your Own Latent", arXiv 2006.07733.

    p: (N, D) online predictions, z: (N, D) target-network projections. With
    v̂ = v / max(‖v‖₂, 1e-12) (as `F.normalize`):

        loss = mean_i ‖p̂_i − ẑ_i‖² = mean_i (2 − 2 cos(p_i, z_i)).

    Like `negative_cosine`, z is NOT detached here; BYOL's target comes from the EMA network
    and the method passes it detached.
    """
    cos = (F.normalize(p.float(), dim=-1) * F.normalize(z.float(), dim=-1)).sum(-1)
    return (2.0 - 2.0 * cos).mean()


@float32_loss
def dino(student: Sequence[torch.Tensor], teacher: Sequence[torch.Tensor], center: torch.Tensor,
         student_temp: float = 0.1, teacher_temp: float = 0.04) -> torch.Tensor:
    """DINO's self-distillation cross-entropy with a centred, sharpened teacher.

    Caron et al. 2021, "Emerging Properties in Self-Supervised Vision Transformers",
    arXiv 2104.14294.

    student: list of V_s tensors (N, K) of student logits, one per view; teacher: list of
    V_t ≤ V_s tensors (N, K) of teacher logits for the same first V_t views (the global crops:
    index equality means the same view). center: (K,) or (1, K). No gradient reaches the
    teacher or the centre (they are detached here):

        P_t^i = softmax((t_i − center) / τ_t),   log P_s^j = log_softmax(s_j / τ_s),
        loss = mean over pairs (i < V_t, j < V_s, i ≠ j) of mean_n −Σ_k P_t^i[n,k] log P_s^j[n,k].

    Update the centre afterwards with `dino_center_update`.
    """
    c = center.detach().float()
    targets = [F.softmax((t.detach().float() - c) / teacher_temp, dim=-1) for t in teacher]
    log_probs = [F.log_softmax(s.float() / student_temp, dim=-1) for s in student]
    terms = [-(q * lp).sum(-1).mean()
             for i, q in enumerate(targets) for j, lp in enumerate(log_probs) if i != j]
    if not terms:
        raise ValueError("dino needs at least one (teacher view, other student view) pair")
    return torch.stack(terms).mean()


@float32_loss
@torch.no_grad()
def dino_center_update(center: torch.Tensor, teacher: Sequence[torch.Tensor],
                       momentum: float = 0.9) -> torch.Tensor:
    """DINO's teacher centre, an EMA of the batch mean of the teacher logits (no gradient).

    Caron et al. 2021, arXiv 2104.14294.

    center: (K,) or (1, K); teacher: list of (N, K) teacher logits. Returns, in center's shape,

        center' = m · center + (1 − m) · mean over all views and rows of the teacher logits.
    """
    batch_mean = torch.cat([t.float() for t in teacher]).mean(dim=0)
    return momentum * center.float() + (1.0 - momentum) * batch_mean.reshape(center.shape)


@float32_loss
def coding_rate(z: torch.Tensor, eps: float = 0.05) -> torch.Tensor:
    """Coding rate of a batch of embeddings (lossy coding length per sample, up to constants).

    Ma et al. 2007, "Segmentation of Multivariate Mixed Data via Lossy Data Coding and
    Compression"; as used by Wu et al. 2025 (SimDINO), arXiv 2502.10385.

    z: (N, d), used as given. With the d×d Gram matrix ZᵀZ,

        R_ε(Z) = ½ logdet( I_d + d / (N ε²) · ZᵀZ ),

    computed as Σ_k log L_kk with L the Cholesky factor, in float64 (float32 on MPS): the d×d
    matrix is cheap and float32 loses ~1e-4 on near-collapsed batches. Returned as float32.
    Large when the rows spread over many directions; a rank-1 (collapsed) Z has only one
    eigenvalue above 1.
    """
    z = z.to(wide_dtype(z.device))
    n, d = z.shape
    gram = torch.eye(d, dtype=z.dtype, device=z.device) + (d / (n * eps ** 2)) * (z.T @ z)
    return torch.log(torch.diagonal(torch.linalg.cholesky(gram))).sum().float()


@float32_loss
def simdino(student: Sequence[torch.Tensor], teacher: Sequence[torch.Tensor],
            eps: float = 0.05, gamma: float = 1.0) -> torch.Tensor:
    """SimDINO: DINO without prototypes, a squared distance plus a coding-rate regulariser.

    Wu et al. 2025, "Simplifying DINO via Coding Rate Regularization", arXiv 2502.10385.

    student: list of V_s tensors (N, D) of student embeddings; teacher: list of V_t ≤ V_s
    tensors (N, D) for the first V_t views (global crops). Every row is l2-normalised here;
    the teacher is detached. With ŝ_j, t̂_i the normalised views,

        distance = mean over pairs (i < V_t, j < V_s, i ≠ j) of mean_n ½ ‖ŝ_j[n] − t̂_i[n]‖²,
        loss     = distance − γ · mean_{j < V_t} R_ε(ŝ_j),

    with R_ε the `coding_rate`, taken on the student's global views (the first V_t). This is
    the form chosen for the cookbook; the paper's scaling constants differ slightly (the
    official code uses ε = 0.5, a weighting coefficient, and may average the covariance over
    views or devices before the logdet), which moves the loss by constants and rescales γ but
    keeps the mechanism: pull views together, keep the batch's coding rate (volume) high.
    """
    s = [F.normalize(x.float(), dim=-1) for x in student]
    t = [F.normalize(x.detach().float(), dim=-1) for x in teacher]
    terms = [0.5 * (s[j] - t[i]).pow(2).sum(-1).mean()
             for i in range(len(t)) for j in range(len(s)) if i != j]
    if not terms:
        raise ValueError("simdino needs at least one (teacher view, other student view) pair")
    rate = torch.stack([coding_rate(s[j], eps) for j in range(min(len(t), len(s)))]).mean()
    return torch.stack(terms).mean() - gamma * rate


@float32_loss
def ibot(student: torch.Tensor, teacher: torch.Tensor, mask: torch.Tensor, center: torch.Tensor,
         student_temp: float = 0.1, teacher_temp: float = 0.04) -> torch.Tensor:
    """iBOT's masked-patch self-distillation, the patch half of DINOv2's loss.

    Zhou et al. 2022, "iBOT: Image BERT Pre-Training with Online Tokenizer", arXiv 2111.07832;
    Oquab et al. 2023 (DINOv2), arXiv 2304.07193.

    student: (N, T, K) patch logits of the student, which saw the image with the patches in
    `mask` replaced by a mask token; teacher: (N, T, K) patch logits of the teacher, which saw
    the whole image; mask: (N, T) bool, True = masked for the student; center: (K,) or (1, K),
    the teacher's patch centre. The teacher and centre are detached here:

        P_t = softmax((t − center) / τ_t),   log P_s = log_softmax(s / τ_s),
        loss = mean over images n of  (1/|M_n|) Σ_{p ∈ M_n} −Σ_k P_t[n,p,k] log P_s[n,p,k],

    where M_n are image n's masked patches (images with none masked are left out of the mean).
    Update the centre with `dino_center_update` on the masked patches' teacher logits.
    """
    if student.shape != teacher.shape or mask.shape != student.shape[:2]:
        raise ValueError(f"ibot: student {tuple(student.shape)} and teacher {tuple(teacher.shape)} must be (N, T, K) "
                         f"and mask {tuple(mask.shape)} (N, T)")
    q = F.softmax((teacher.detach().float() - center.detach().float().reshape(1, 1, -1)) / teacher_temp, dim=-1)
    ce = -(q * F.log_softmax(student.float() / student_temp, dim=-1)).sum(-1)  # (N, T)
    m = mask.float()
    count = m.sum(1)
    per_image = (ce * m).sum(1) / count.clamp_min(1.0)
    has = count > 0
    if not bool(has.any()):
        raise ValueError("ibot: no patch is masked")
    return per_image[has].mean()


@float32_loss
def msn(anchors: Sequence[torch.Tensor], target: torch.Tensor, prototypes: torch.Tensor, temperature: float = 0.1,
        sharpen: float = 0.25, me_max_weight: float = 1.0, sinkhorn_iters: int = 3) -> torch.Tensor:
    """MSN's loss: match a masked anchor view's prototype assignment to the unmasked target's.

    Assran et al. 2022, "Masked Siamese Networks for Label-Efficient Learning", arXiv 2204.07141.

    anchors: list of A tensors (N, D), the student's embeddings of the anchor views (the
    masked view, and small views if any); target: (N, D), the EMA teacher's embedding of the
    other, unmasked view (detached here); prototypes: (K, D) learnable (the target side uses
    them detached). Rows and prototypes are l2-normalised; with cos = ẑ·q̂ᵀ,

        p_a   = softmax(cos(anchor_a, Q) / τ),          τ = `temperature` (MSN: 0.1),
        p⁺    = softmax(cos(target, Q) / (τ · T)),      T = `sharpen` (MSN: 0.25: a sharper target),
                then balanced over the batch by `sinkhorn_iters` Sinkhorn-Knopp steps (`sinkhorn`),
        p̄     = mean over anchors and rows of p_a,
        loss  = mean_{a,n} H(p⁺_n, p_{a,n}) + λ (log K − H(p̄)),    λ = `me_max_weight` (MSN: 1),

    H(p⁺, p) = −Σ_k p⁺_k log p_k. The second term ("me-max") is zero when the anchors use all
    K prototypes equally on average and grows to log K when every image picks the same one.
    It acts on the anchors only: broad anchor distributions satisfy it while every target
    picks one prototype (measured on digits, seeds 0-2: one prototype for every target, the
    anchors still spread, the probe no better than random init's; grid `16_jepa_era.msn`).
    The Sinkhorn step of MSN's official code (its
    `use_sinkhorn`) spreads the targets over the prototypes and prevents that; 0 skips it.
    """
    q = F.normalize(prototypes.float(), dim=-1)
    cos_t = F.normalize(target.detach().float(), dim=-1) @ q.detach().T
    p_plus = sinkhorn(cos_t, temperature * sharpen, sinkhorn_iters)
    log_p = [F.log_softmax(F.normalize(a.float(), dim=-1) @ q.T / temperature, dim=-1) for a in anchors]
    if not log_p:
        raise ValueError("msn needs at least one anchor view")
    ce = torch.stack([-(p_plus * lp).sum(-1).mean() for lp in log_p]).mean()
    mean_p = torch.cat([lp.exp() for lp in log_p]).mean(0)
    me_max = math.log(q.shape[0]) + (mean_p * mean_p.clamp_min(1e-12).log()).sum()
    return ce + me_max_weight * me_max
