"""Contrastive criteria (§2.2 of the cookbook): NT-Xent (SimCLR), DCL, InfoNCE (MoCo), MoCo v3,
NNCLR's nearest-neighbour InfoNCE, SupCon, triplet and NCA. The unified φ/ψ family of §2.6
is in `unified.py`. Import them from `cookbook_lib.losses`."""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ._common import float32_loss, sq_dists as _sq_dists


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


@float32_loss
def mocov3(q1: torch.Tensor, q2: torch.Tensor, k1: torch.Tensor, k2: torch.Tensor,
           temperature: float = 0.2) -> torch.Tensor:
    """MoCo v3's symmetric contrastive loss (Chen, Xie & He 2021, "An Empirical Study of Training
    Self-Supervised Vision Transformers", arXiv 2104.02057): each view's queries against the
    other view's keys, the other samples of the (global) batch as negatives, no queue:

        loss = 2τ · [ info_nce(q1, k2, τ) + info_nce(q2, k1, τ) ],

    the factor 2τ as in the official code (it keeps the gradient's scale independent of τ).
    q1, q2: (N, D) predictions of the online branch; k1, k2: (N, D) keys from the momentum
    encoder (the caller detaches them)."""
    return 2 * temperature * (info_nce(q1, k2, temperature=temperature) + info_nce(q2, k1, temperature=temperature))


@float32_loss
def supcon(z1: torch.Tensor, z2: torch.Tensor, labels: torch.Tensor, temperature: float = 0.1) -> torch.Tensor:
    """Supervised contrastive loss, L_out (Khosla et al. 2020, "Supervised Contrastive
    Learning", arXiv 2004.11362).

    z1, z2: (N, D) two views; labels: (N,). Over the 2N l2-normalised rows u, with
    s_ij = u_i·u_j / τ and P(i) = {j ≠ i : y_j = y_i} (the other view and every other image
    of the same class, in both views):

        ℓ_i = −1/|P(i)| Σ_{p ∈ P(i)} log( exp(s_ip) / Σ_{a ≠ i} exp(s_ia) ),  loss = mean_i ℓ_i.

    With all labels distinct this is NT-Xent (`nt_xent`).
    """
    n = z1.shape[0]
    u = F.normalize(torch.cat([z1, z2]).float(), dim=1)
    y = torch.cat([labels, labels])
    self_mask = torch.eye(2 * n, dtype=torch.bool, device=u.device)
    log_prob = F.log_softmax((u @ u.T / temperature).masked_fill(self_mask, float("-inf")), dim=1)
    pos = (y[:, None] == y[None, :]) & ~self_mask
    return -(log_prob.masked_fill(~pos, 0.0).sum(1) / pos.sum(1)).mean()


@torch.no_grad()
def nearest_neighbour(z: torch.Tensor, support: torch.Tensor) -> torch.Tensor:
    """(N, D), (M, D) → (N, D): the row of `support` closest in cosine to each row of z
    (support rows are expected l2-normalised); z itself, l2-normalised, when M = 0. No gradient.
    NNCLR's support-set lookup (Dwibedi et al. 2021, arXiv 2104.14548)."""
    zn = F.normalize(z.detach().float(), dim=1)
    if len(support) == 0:
        return zn
    return support[(zn @ support.float().T).argmax(1)]


def nnclr(z1: torch.Tensor, z2: torch.Tensor, p1: torch.Tensor, p2: torch.Tensor,
          support: torch.Tensor, temperature: float = 0.1) -> torch.Tensor:
    """NNCLR's criterion (Dwibedi et al. 2021, "With a Little Help from My Friends", arXiv
    2104.14548): the positive of view 1 of image i is NN(z1_i), its nearest neighbour
    (`nearest_neighbour`, no gradient) in a support set of past embeddings, contrasted with
    the predictions p2 of the batch; symmetrised over the views:

        loss = ½ [ info_nce(NN(z1), p2, τ) + info_nce(NN(z2), p1, τ) ].

    z1, z2: (N, D) embeddings; p1, p2: (N, D) predictions; support: (M, D), l2-normalised
    (M = 0: the neighbour is the embedding itself).
    """
    nn1, nn2 = nearest_neighbour(z1, support), nearest_neighbour(z2, support)
    return 0.5 * (info_nce(nn1, p2, temperature=temperature) + info_nce(nn2, p1, temperature=temperature))
