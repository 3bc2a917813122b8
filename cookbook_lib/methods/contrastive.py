"""Contrastive methods (§2.2 of the cookbook): SimCLR, DCL, NNCLR, MoCo, MoCo v3, SupCon.

Each pulls the two views of an image together and pushes other images apart; they differ
in what counts as the positive (the other view, its nearest neighbour in a queue, any image
with the same label) and where the negatives come from (the batch, a queue of past keys).
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from .. import losses
from ..distributed import gather
from ..nets import mlp
from .base import Method, Queue, TeacherStudent, encode_views


class SimCLR(Method):
    """SimCLR (Chen et al. 2020, arXiv 2002.05709): two views through the same backbone and
    projector, NT-Xent between their embeddings (`losses.nt_xent`). Uses `temperature`."""

    criterion = staticmethod(losses.nt_xent)

    def loss(self, views, labels):
        n = views[0].shape[0]
        h = self.backbone(torch.cat(views[:2]))
        z = self.projector(h)
        # gather: under torchrun the negatives are the whole global batch (identity otherwise)
        return self.criterion(gather(z[:n]), gather(z[n:]), self.config.temperature), h[:n], z[:n]


class DCL(SimCLR):
    """DCL (Yeh et al. 2022, "Decoupled Contrastive Learning", arXiv 2110.06848): SimCLR with
    the positive pair removed from the denominator (`losses.dcl`), which works at small
    batches. Uses `temperature`."""

    criterion = staticmethod(losses.dcl)


class NNCLR(Method):
    """NNCLR (Dwibedi et al. 2021, "With a Little Help from My Friends: Nearest-Neighbor
    Contrastive Learning of Visual Representations", arXiv 2104.14548).

    backbone → projector → z, → predictor → p. The positive of view 1 of image i is NN(z1_i),
    its nearest neighbour (cosine) in a support queue of past embeddings (`queue_size`,
    detached), contrasted with the predictions p2 of the batch (`losses.nnclr`),
    symmetrised over the views; then z1 is pushed into the queue. Before the first push (and
    with `queue_size=0`) the neighbour is the embedding itself.
    """

    def __init__(self, config, num_classes: int):
        super().__init__(config, num_classes)
        d = self.embedding_dim
        self.predictor = mlp(d, config.predictor_depth, config.predictor_width, d)
        self.support = Queue(config.queue_size, d)

    def lr_mults(self) -> dict:
        return {"predictor.": self.config.predictor_lr_mult}

    def loss(self, views, labels):
        n = views[0].shape[0]
        h = self.backbone(torch.cat(views[:2]))
        z = self.projector(h)
        p = self.predictor(z)
        z1, z2, p1, p2 = gather(z[:n]), gather(z[n:]), gather(p[:n]), gather(p[n:])
        loss = losses.nnclr(z1, z2, p1, p2, self.support.items(), self.config.temperature)
        self.support.push(F.normalize(z1.detach().float(), dim=1))
        return loss, h[:n], z[:n]


class MoCo(TeacherStudent):
    """MoCo (He et al. 2019, "Momentum Contrast for Unsupervised Visual Representation
    Learning", arXiv 1911.05722; v2 projector, arXiv 2003.04297).

    Queries: backbone → projector. Keys: an EMA copy of both (`ema_momentum`, `ema_schedule`;
    at 0 the key encoder is the query encoder and `stop_gradient` decides whether keys are
    detached). loss = `losses.info_nce(q, k, queue)` symmetrised over the two views, with a
    queue of the last `queue_size` keys as extra negatives (0 = in-batch negatives only, as
    MoCo v3); the keys of view 1 are pushed after each step. Uses `temperature`.
    """

    def __init__(self, config, num_classes: int):
        super().__init__(config, num_classes)
        self.keys = Queue(config.queue_size, self.embedding_dim)
        self.make_teacher(("backbone", "projector"))

    def loss(self, views, labels):
        t = self.config.temperature
        student = encode_views(lambda x: (lambda h: (h, self.projector(h)))(self.backbone(x)), views[:2])
        k1, k2 = self.targets(lambda net, x: net("projector")(net("backbone")(x)), views[:2],
                              [z for _, z in student])
        queue = self.keys.items() if self.keys.filled else None
        (h1, q1), (_, q2) = student
        g1, g2, k1, k2 = gather(q1), gather(q2), gather(k1), gather(k2)
        loss = 0.5 * (losses.info_nce(g1, k2, queue, t) + losses.info_nce(g2, k1, queue, t))
        self.keys.push(F.normalize(k1.detach().float(), dim=1))
        return loss, h1, q1


class MoCoV3(TeacherStudent):
    """MoCo v3 (Chen, Xie & He 2021, "An Empirical Study of Training Self-Supervised Vision
    Transformers", arXiv 2104.02057).

    Queries: backbone → projector → predictor (`predictor_depth`, `predictor_width`, lr ×
    `predictor_lr_mult`). Keys: an EMA copy of backbone → projector (`ema_momentum`,
    `ema_schedule`; MoCo v3 moves it from 0.99 to 1 with `ema_schedule="cosine"`). The loss
    (`losses.mocov3`) contrasts each view's queries with the other view's keys over the
    global batch, at `temperature`; no queue.
    """

    def __init__(self, config, num_classes: int):
        super().__init__(config, num_classes)
        d = self.embedding_dim
        self.predictor = mlp(d, config.predictor_depth, config.predictor_width, d)
        self.make_teacher(("backbone", "projector"))

    def lr_mults(self) -> dict:
        return {"predictor.": self.config.predictor_lr_mult}

    def loss(self, views, labels):
        def online(x):  # both views in one batch, as every method here encodes them
            h = self.backbone(x)
            z = self.projector(h)
            return h, z, self.predictor(z)

        student = encode_views(online, views[:2])
        k1, k2 = self.targets(lambda net, x: net("projector")(net("backbone")(x)), views[:2],
                              [s[1] for s in student])
        (h1, z1, q1), (_, _, q2) = student
        loss = losses.mocov3(gather(q1), gather(q2), gather(k1), gather(k2), self.config.temperature)
        return loss, h1, z1


class SupCon(Method):
    """SupCon (Khosla et al. 2020, arXiv 2004.11362): contrastive learning with the labels
    deciding the positives (`losses.supcon`): every image of the same class is pulled
    together. A labelled method, used to study the projector (Guillotine Regularization,
    §3.2) with a supervised criterion. Uses `temperature`.

    The embedding is batch-standardised (BatchNorm without affine after the projector, or on
    the representation when projector_depth=0): with class positives, a constant embedding
    scores log(2N − 1), lower than any embedding that does not yet separate the classes, so
    without it a hard dataset (shapes) collapses within a few steps.
    """

    def __init__(self, config, num_classes: int):
        super().__init__(config, num_classes)
        self.projector = nn.Sequential(self.projector, nn.BatchNorm1d(self.embedding_dim, affine=False))

    def loss(self, views, labels):
        n = views[0].shape[0]
        h = self.backbone(torch.cat(views[:2]))
        z = self.projector(h)
        return losses.supcon(gather(z[:n]), gather(z[n:]), gather(labels), self.config.temperature), h[:n], z[:n]


CONTRASTIVE_METHODS = {"simclr": SimCLR, "dcl": DCL, "nnclr": NNCLR, "moco": MoCo, "mocov3": MoCoV3, "supcon": SupCon}
