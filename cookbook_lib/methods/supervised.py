"""The labelled baseline: what SSL is compared against."""
from __future__ import annotations

import torch.nn as nn

from .base import Method


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


SUPERVISED_METHODS = {"supervised": Supervised}
