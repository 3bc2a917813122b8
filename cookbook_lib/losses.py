"""Every SSL criterion as a pure function over embeddings, returning a scalar tensor.

Each docstring gives the formula, the tensor shapes and the paper it comes from.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


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
