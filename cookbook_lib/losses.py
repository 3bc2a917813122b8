"""Every SSL criterion as a pure function over embeddings, returning a scalar tensor.

Each docstring gives the formula, the tensor shapes and the paper it comes from. All of them
compute in float32, also under bf16 autocast (inputs are cast with `.float()` and autocast is
switched off inside). None of them detaches an argument unless its docstring says so: the
stop-gradient of a method (SimSiam, BYOL, MoCo keys) is the method's choice.

The code lives in four modules, all re-exported here (import from `cookbook_lib.losses`):

- `losses_contrastive`: `nt_xent`, `dcl`, `info_nce`, `triplet`, `nca`, and the unified
  family of §2.6: `unified_contrastive`, `UNIFIED_PRESETS`, `unified_preset`,
  `phi_log1p`, `phi_identity`, `psi_exp`, `psi_hinge`;
- `losses_distillation`: `negative_cosine`, `byol`, `dino`, `dino_center_update`,
  `simdino`, `coding_rate`;
- `losses_cca`: `vicreg`, `vicreg_terms`, `barlow_twins`, `sinkhorn`, `swav`, `whiten`,
  `wmse`;
- `losses_common`: `float32_loss` (the autocast-off decorator), `off_diagonal`, `wide_dtype`.
"""
from __future__ import annotations

from .losses_cca import barlow_twins, sinkhorn, swav, vicreg, vicreg_terms, whiten, wmse
from .losses_common import float32_loss, off_diagonal
from .losses_contrastive import (
    UNIFIED_PHI,
    UNIFIED_PRESETS,
    UNIFIED_PSI,
    dcl,
    info_nce,
    nca,
    nt_xent,
    phi_identity,
    phi_log1p,
    psi_exp,
    psi_hinge,
    triplet,
    unified_contrastive,
    unified_preset,
)
from .losses_distillation import byol, coding_rate, dino, dino_center_update, negative_cosine, simdino

__all__ = [
    "nt_xent", "dcl", "info_nce", "triplet", "nca",
    "unified_contrastive", "unified_preset", "UNIFIED_PRESETS", "UNIFIED_PHI", "UNIFIED_PSI",
    "phi_log1p", "phi_identity", "psi_exp", "psi_hinge",
    "negative_cosine", "byol", "dino", "dino_center_update", "simdino", "coding_rate",
    "vicreg", "vicreg_terms", "barlow_twins", "sinkhorn", "swav", "whiten", "wmse",
    "float32_loss", "off_diagonal",
]
