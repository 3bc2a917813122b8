"""The methods: one class per method, one module per family of the paper.

- `base`: `Method` (backbone + projector; a subclass defines `loss`), `TeacherStudent`,
  `Queue`, `encode_views`, the EMA helpers;
- `contrastive` (§2.2): SimCLR, DCL, NNCLR, MoCo, MoCo v3, SupCon;
- `distillation` (§2.3): BYOL, SimSiam, DINO, SimDINO, and MSN (after the cookbook);
- `cca` (§2.4): VICReg, Barlow Twins, SwAV, W-MSE;
- `pretext` (§2.1, §2.5): DirectCLR, rotation, jigsaw, inpainting, MAE;
- `jepa` (after the cookbook): LeJEPA, I-JEPA;
- `supervised`: the labelled baseline;
- `catalog`: one row per method (family, paper, the knobs it reads, its recipe): no torch.

Adding a method is one class in its family's module and one row in the catalog.
"""
from __future__ import annotations

from .base import Method, Queue, TeacherStudent, encode_views
from .cca import CCA_METHODS, VICReg, BarlowTwins, SwAV, WMSE
from .contrastive import CONTRASTIVE_METHODS, DCL, NNCLR, MoCo, MoCoV3, SimCLR, SupCon
from .distillation import DISTILLATION_METHODS, BYOL, DINO, MSN, SimDINO, SimSiam
from .jepa import JEPA_METHODS, IJEPA, LeJEPA
from .pretext import PRETEXT_METHODS, MAE, DirectCLR, Inpainting, Jigsaw, Rotation
from .supervised import SUPERVISED_METHODS, Supervised

METHOD_CLASSES = {**CONTRASTIVE_METHODS, **SUPERVISED_METHODS, **DISTILLATION_METHODS, **CCA_METHODS,
                  **PRETEXT_METHODS, **JEPA_METHODS}


def build(config, num_classes: int) -> Method:
    """The method module a (resolved) `RunConfig` names."""
    return METHOD_CLASSES[config.method](config, num_classes)


__all__ = ["Method", "Queue", "TeacherStudent", "encode_views", "METHOD_CLASSES", "build",
           "SimCLR", "DCL", "NNCLR", "MoCo", "MoCoV3", "SupCon", "LeJEPA", "IJEPA", "BYOL", "SimSiam", "DINO", "SimDINO", "MSN",
           "VICReg", "BarlowTwins", "SwAV", "WMSE", "DirectCLR", "Rotation", "Jigsaw", "Inpainting", "MAE",
           "Supervised"]
