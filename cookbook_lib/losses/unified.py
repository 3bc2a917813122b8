"""The unified contrastive family of the cookbook's §2.6:

    loss = mean_i φ( Σ_{j≠i} ψ(‖z1_i − z2_i‖² − ‖z1_i − z2_j‖²) )

InfoNCE and the triplet loss are two choices of (φ, ψ). Balestriero et al. 2023, arXiv
2304.12210; after Tian 2022, arXiv 2201.12680.
"""
from __future__ import annotations

import functools
from typing import Callable

import torch
import torch.nn.functional as F

from ._common import float32_loss, sq_dists as _sq_dists


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
