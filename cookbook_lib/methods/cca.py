"""Canonical-correlation methods (§2.4 of the cookbook): VICReg, Barlow Twins, SwAV, W-MSE.

Instead of negatives, a term on the statistics of the batch keeps the embeddings from
collapsing: VICReg's variance and covariance terms, Barlow Twins' cross-correlation,
SwAV's equal-partition codes (Sinkhorn-Knopp), W-MSE's whitening. All use the two large
views (SwAV also the small multi-crop views).
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from .. import losses
from ..distributed import gather
from .base import Method, Queue, encode_views


class TwoViews(Method):
    """Backbone and projector on the two large views, one criterion on (z1, z2)."""

    def criterion(self, z1, z2):
        raise NotImplementedError

    def loss(self, views, labels):
        n = views[0].shape[0]
        h = self.backbone(torch.cat(views[:2]))
        z = self.projector(h)
        # gather: under torchrun the batch statistics are those of the global batch
        return self.criterion(gather(z[:n]), gather(z[n:])), h[:n], z[:n]


class VICReg(TwoViews):
    """VICReg (Bardes, Ponce & LeCun 2021, arXiv 2105.04906): `sim_coeff` × invariance (MSE)
    + `std_coeff` × variance (hinge on each dimension's std) + `cov_coeff` × covariance
    (off-diagonal), `losses.vicreg`. `std_coeff=0` → complete collapse; `cov_coeff=0` →
    dimensional collapse (§2.4, §2.6)."""

    def criterion(self, z1, z2):
        c = self.config
        return losses.vicreg(z1, z2, c.sim_coeff, c.std_coeff, c.cov_coeff)


class BarlowTwins(TwoViews):
    """Barlow Twins (Zbontar et al. 2021, arXiv 2103.03230): the cross-correlation matrix of
    the batch-standardised views is driven to the identity (`losses.barlow_twins`), the
    off-diagonal weighted by `barlow_lambda`."""

    def criterion(self, z1, z2):
        return losses.barlow_twins(z1, z2, self.config.barlow_lambda)


class WMSE(TwoViews):
    """W-MSE (Ermolov et al. 2021, "Whitening for Self-Supervised Representation Learning",
    arXiv 2007.06346): whiten each view's batch of embeddings, then the MSE of the
    l2-normalised positive pairs (`losses.wmse`). Whitening needs batch_size > embedding_dim
    (the paper uses embedding_dim 64 and whitening groups of 128). `whitening=False` is the
    negative control: the same MSE without whitening, which any constant embedding solves."""

    def criterion(self, z1, z2):
        return losses.wmse(z1, z2, whitening=self.config.whitening)


class SwAV(Method):
    """SwAV (Caron et al. 2020, "Unsupervised Learning of Visual Features by Contrasting
    Cluster Assignments", arXiv 2006.09882).

    backbone → projector → l2-normalise → scores against `num_prototypes` learnable,
    l2-normalised prototypes. Codes q (Sinkhorn-Knopp equal partition, no gradient, ε =
    `EPSILON`, `sinkhorn_iters` iterations) of each large view are predicted from the softmax
    of the other views' scores at `temperature` (swapped prediction; with no queue and two views
    this is `losses.swav`; the criterion is `losses.swav_views`). With `queue_size` > 0 the codes are computed over the batch
    together with a queue of past embeddings' scores, which evens the partition out when
    the batch is small next to the number of prototypes. `sinkhorn_iters=0` is the negative
    control: each code is the image's own sharpened softmax, nothing spreads the batch over
    the prototypes.
    """

    EPSILON = 0.05

    def __init__(self, config, num_classes: int):
        super().__init__(config, num_classes)
        self.prototypes = nn.Linear(self.embedding_dim, config.num_prototypes, bias=False)
        self.queues = nn.ModuleList([Queue(config.queue_size, self.embedding_dim) for _ in range(2)])

    def scores(self, x):
        h = self.backbone(x)
        z = self.projector(h)
        zn = F.normalize(z, dim=-1)
        return h, z, zn, zn @ F.normalize(self.prototypes.weight, dim=-1).T

    def loss(self, views, labels):
        out = encode_views(self.scores, views)
        scores = [gather(o[3]) for o in out]  # the global batch under torchrun (identity otherwise)
        proto = F.normalize(self.prototypes.weight, dim=-1).detach().float()
        queued = [q.items() @ proto.T for q in self.queues]
        loss = losses.swav_views(scores, self.config.temperature, self.EPSILON, self.config.sinkhorn_iters, queued)
        for q, o in zip(self.queues, out):
            q.push(gather(o[2].detach().float()))
        return loss, out[0][0], out[0][1]


CCA_METHODS = {"vicreg": VICReg, "barlow_twins": BarlowTwins, "swav": SwAV, "wmse": WMSE}
