"""Every SSL criterion as a pure function over embeddings, returning a scalar tensor.

Each docstring gives the formula, the tensor shapes and the paper it comes from. All of them
compute in float32, also under bf16 autocast (inputs are cast with `.float()` and autocast is
switched off inside). None of them detaches an argument unless its docstring says so: the
stop-gradient of a method (SimSiam, BYOL, MoCo keys) is the method's choice.

One module per family of the paper, all re-exported here (import from `cookbook_lib.losses`):

- `contrastive` (§2.2): `nt_xent`, `dcl`, `info_nce`, `mocov3`, `nnclr`, `nearest_neighbour`,
  `supcon`, `triplet`, `nca`;
- `unified` (§2.6): `unified_contrastive`, `UNIFIED_PRESETS`, `unified_preset`,
  `phi_log1p`, `phi_identity`, `psi_exp`, `psi_hinge`;
- `distillation` (§2.3, and after the cookbook): `negative_cosine`, `byol`, `dino`,
  `dino_center_update`, `simdino`, `coding_rate`, `ibot` (DINOv2's patch loss), `msn`;
- `cca` (§2.4): `vicreg`, `vicreg_terms`, `barlow_twins`, `sinkhorn`, `swav`,
  `swav_views`, `whiten`, `wmse`;
- `jepa` (after the cookbook): `sigreg`, `lejepa`, `koleo`, `ijepa` (and their helpers
  `random_directions`, `sigreg_null`);
- `_common`: `float32_loss` (the autocast-off decorator), `off_diagonal`, `wide_dtype`.
"""
from __future__ import annotations

from ._common import float32_loss, off_diagonal
from .cca import barlow_twins, sinkhorn, swav, swav_views, vicreg, vicreg_terms, whiten, wmse
from .contrastive import dcl, info_nce, mocov3, nca, nearest_neighbour, nnclr, nt_xent, supcon, triplet
from .jepa import ijepa, koleo, lejepa, random_directions, sigreg, sigreg_null
from .distillation import byol, coding_rate, dino, dino_center_update, ibot, msn, negative_cosine, simdino
from .unified import (
    UNIFIED_PHI,
    UNIFIED_PRESETS,
    UNIFIED_PSI,
    phi_identity,
    phi_log1p,
    psi_exp,
    psi_hinge,
    unified_contrastive,
    unified_preset,
)

__all__ = [
    "nt_xent", "dcl", "info_nce", "mocov3", "nnclr", "nearest_neighbour", "supcon", "triplet", "nca",
    "unified_contrastive", "unified_preset", "UNIFIED_PRESETS", "UNIFIED_PHI", "UNIFIED_PSI",
    "phi_log1p", "phi_identity", "psi_exp", "psi_hinge",
    "negative_cosine", "byol", "dino", "dino_center_update", "simdino", "coding_rate",
    "vicreg", "vicreg_terms", "barlow_twins", "sinkhorn", "swav", "swav_views", "whiten", "wmse",
    "ibot", "msn",
    "sigreg", "lejepa", "koleo", "ijepa",
    "float32_loss", "off_diagonal",
]
