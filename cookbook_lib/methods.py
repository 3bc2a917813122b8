"""Each method as a small module: which nets, which views, which loss.

A method holds its `backbone` (→ representation h) and `projector` (→ embedding z) and
implements `loss(views, labels) -> (loss, h, z)` for one training step, where `h` and `z`
are the representation and embedding of the first view (for the online probe and the
collapse metrics). `embed(x) -> (h, z)` is the evaluation pass.
"""
from __future__ import annotations

import torch
import torch.nn as nn

from . import losses
from .distributed import gather
from .nets import backbone, mlp


class Method(nn.Module):
    """Backbone + projector; subclasses define the loss."""

    def __init__(self, config, num_classes: int):
        super().__init__()
        self.config = config
        self.backbone = backbone(config.backbone, config.representation_dim, config.image_size)
        self.projector = mlp(config.representation_dim, config.projector_depth, config.projector_width,
                             config.embedding_dim, bn=config.projector_bn)

    @property
    def embedding_dim(self) -> int:
        """Size of z: the projector output, or the representation when there is no projector."""
        return self.config.embedding_dim if self.config.projector_depth > 0 else self.config.representation_dim

    def embed(self, x: torch.Tensor):
        h = self.backbone(x)
        return h, self.projector(h)

    def after_step(self, step: int, total_steps: int) -> None:
        """Hook for updates after the optimiser step (EMA teachers, centres)."""

    def lr_mults(self) -> dict:
        """{parameter-name prefix: lr multiplier} for `optim.param_groups` (e.g. the predictor's)."""
        return {}


class SimCLR(Method):
    """SimCLR (Chen et al. 2020, arXiv 2002.05709): two views through the same backbone and
    projector, NT-Xent between their embeddings (`losses.nt_xent`)."""

    def loss(self, views, labels):
        n = views[0].shape[0]
        h = self.backbone(torch.cat(views[:2]))
        z = self.projector(h)
        # gather: under torchrun the negatives are the whole global batch (identity otherwise)
        return losses.nt_xent(gather(z[:n]), gather(z[n:]), self.config.temperature), h[:n], z[:n]


class Supervised(Method):
    """The labelled baseline: cross-entropy of a linear classifier on the representation of
    one augmented view. Uses the labels, so it is the ceiling SSL is compared against."""

    def __init__(self, config, num_classes: int):
        super().__init__(config, num_classes)
        self.projector = nn.Identity()
        self.classifier = nn.Linear(config.representation_dim, num_classes)

    @property
    def embedding_dim(self) -> int:
        return self.config.representation_dim

    def loss(self, views, labels):
        h = self.backbone(views[0])
        return nn.functional.cross_entropy(self.classifier(h), labels), h, h


METHOD_CLASSES = {"simclr": SimCLR, "supervised": Supervised}

# The methods of the other families live in their own modules, which import `Method` from here.
from .methods_cca import CCA_METHODS  # noqa: E402
from .methods_contrastive import CONTRASTIVE_METHODS  # noqa: E402
from .methods_distillation import DISTILLATION_METHODS  # noqa: E402
from .methods_pretext import PRETEXT_METHODS  # noqa: E402

METHOD_CLASSES.update(**CONTRASTIVE_METHODS, **DISTILLATION_METHODS, **CCA_METHODS, **PRETEXT_METHODS)


def build(config, num_classes: int) -> Method:
    """The method module a (resolved) `RunConfig` names."""
    return METHOD_CLASSES[config.method](config, num_classes)
