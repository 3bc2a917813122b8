"""Joint-embedding predictive methods that came after the cookbook: LeJEPA.

They predict in embedding space and regularise the embedding's *distribution* instead of
relying on negatives or on an asymmetry between branches (chapter 04's "what stops
collapse?").
"""
from __future__ import annotations

from .. import losses
from ..distributed import gather
from .base import Method, encode_views


class LeJEPA(Method):
    """LeJEPA (Balestriero & LeCun 2025, "LeJEPA: Provable and Scalable Self-Supervised
    Learning Without the Heuristics", arXiv 2511.08544).

    Every view (the two large ones and `num_small_crops` small ones) goes through the same
    backbone → projector; the loss (`losses.lejepa`) pulls each view's embedding to the mean
    embedding of the sample's large views and adds λ = `sigreg_lambda` × SIGReg, a test of
    the embeddings' 1-D projections on `sigreg_slices` random directions against N(0, 1)
    (`sigreg_t_max`, `sigreg_knots`: its quadrature). No stop-gradient, no teacher, no
    predictor. The directions are drawn from the run's generator at every step, so under
    torchrun every process draws the same ones; the embeddings are gathered first, so the
    statistic is that of the global batch.
    """

    def loss(self, views, labels):
        c = self.config
        out = encode_views(lambda x: (lambda h: (h, self.projector(h)))(self.backbone(x)), views)
        zs = [gather(z) for _, z in out]
        directions = losses.random_directions(zs[0].shape[1], c.sigreg_slices, self.rng, device=zs[0].device)
        loss = losses.lejepa(zs[:2], zs[2:], c.sigreg_lambda, directions, t_max=c.sigreg_t_max, knots=c.sigreg_knots)
        return loss, out[0][0], out[0][1]


JEPA_METHODS = {"lejepa": LeJEPA}
