"""Joint-embedding predictive methods that came after the cookbook: LeJEPA and I-JEPA.

They predict in embedding space, not in pixels. LeJEPA regularises the embedding's
*distribution* instead of relying on negatives or on an asymmetry between branches (chapter
04's "what stops collapse?"); I-JEPA predicts the features an EMA teacher gives to hidden
blocks of patches, the latent counterpart of MAE (chapter 06).
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn

from .. import losses
from ..distributed import gather
from ..nets import PooledViT
from .base import Method, TeacherStudent, encode_views


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


def block_masks(grid: int, num_targets: int, target_scale: float, context_scale: float, u, shared) -> tuple:
    """I-JEPA's multi-block masks on a `grid` × `grid` patch grid, for a batch.

    u(*shape): per-image uniforms in [0, 1); shared(n): n uniforms shared by the whole batch
    (the block sizes are drawn once per step, as I-JEPA's mask collator does; the positions
    per image). Each of the `num_targets` target blocks covers a fraction ~ U(target_scale,
    target_scale + 0.05) of the patches with an aspect ratio ~ U(0.75, 1.5); the context block
    is a square covering ~ U(context_scale, 1) of them, minus every target patch.

    Returns (context, targets): (N, K_c) and (N, num_targets, K_t) patch indices (row-major),
    K_c the smallest context size in the batch (each image keeps a random K_c of its own).
    """
    n_patch = grid * grid
    a, s_t, s_c = shared(3).tolist()
    area = (target_scale + 0.05 * s_t) * n_patch
    aspect = 0.75 + 0.75 * a
    th = max(1, min(grid, round(math.sqrt(area * aspect))))
    tw = max(1, min(grid, round(math.sqrt(area / aspect))))
    side = max(1, min(grid, round(math.sqrt((context_scale + (1 - context_scale) * s_c) * n_patch))))

    def boxes(h, w, count):  # (N, count, n_patch) bool: a random h × w block per image and count
        pos = u(count, 2)  # (N, count, 2)
        top = (pos[..., 0] * (grid - h + 1)).long()[..., None, None]
        left = (pos[..., 1] * (grid - w + 1)).long()[..., None, None]
        r = torch.arange(grid, device=pos.device)
        rows = (r[:, None] >= top) & (r[:, None] < top + h)
        cols = (r[None, :] >= left) & (r[None, :] < left + w)
        return (rows & cols).flatten(-2)

    targets = boxes(th, tw, num_targets)                    # (N, M, P)
    context = boxes(side, side, 1)[:, 0] & ~targets.any(1)  # (N, P)
    empty = ~context.any(1)
    if empty.any():  # a context fully covered by targets: keep its patches that are not targets
        context[empty] = ~targets[empty].any(1)
    k = max(1, int(context.sum(1).min()))
    keep = (u(n_patch) + (~context).float() * 2).argsort(1)[:, :k]  # a random k of each image's context
    # each target block has exactly th·tw patches: their indices in row-major order
    tgt = (~targets).float().argsort(dim=-1, stable=True)[..., : th * tw]
    return keep, tgt


class JEPAPredictor(nn.Module):
    """I-JEPA's narrow ViT predictor: context tokens (projected to `width`, plus their position)
    and one mask token per target patch (plus its position) go through `depth` blocks; the
    outputs at the mask tokens, projected back to `dim`, are the predictions."""

    def __init__(self, num_patches: int, dim: int, width: int, depth: int):
        super().__init__()
        self.embed = nn.Linear(dim, width)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, width))
        self.pos = nn.Parameter(torch.randn(num_patches, width) * 0.02)
        layer = nn.TransformerEncoderLayer(width, max(1, width // 64), width * 4, dropout=0.0, activation="gelu",
                                           batch_first=True, norm_first=True)
        self.blocks = nn.TransformerEncoder(layer, depth, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(width)
        self.out = nn.Linear(width, dim)

    def forward(self, context, context_idx, target_idx):
        """context (N, K_c, dim) at patches context_idx (N, K_c); target_idx (N, M, K_t) →
        predictions (N·M, K_t, dim), one row per (image, target block)."""
        n, m, kt = target_idx.shape
        x = (self.embed(context) + self.pos[context_idx]).repeat_interleave(m, 0)
        q = self.mask_token + self.pos[target_idx.reshape(n * m, kt)]
        y = self.blocks(torch.cat([x, q.to(x.dtype)], 1))[:, -kt:]
        return self.out(self.norm(y))


class IJEPA(TeacherStudent):
    """I-JEPA (Assran et al. 2023, "Self-Supervised Learning from Images with a
    Joint-Embedding Predictive Architecture", arXiv 2301.08243) on the tiny ViT.

    The context encoder (the backbone, a tiny ViT: `patch_size`-pixel patches, width
    representation_dim) sees one large block of patches of the first view (`block_masks`:
    `context_scale`, minus the target blocks); a narrow ViT predictor (`JEPAPredictor`: width
    representation_dim / 2, `predictor_depth` blocks) predicts, for `num_target_blocks` blocks
    of `target_block_scale`, the layer-normalised patch features that an EMA copy of the
    encoder (`ema_momentum`, `ema_schedule`) gives them when it sees the whole image; the loss
    is the squared error (`losses.ijepa`). No pixels are predicted and no augmentation
    invariance is asked for (the views' crops and colours are the shared pipeline's; I-JEPA's
    own uses crops only). The representation, as for MAE, is the mean of the encoder's patch
    tokens for the whole image, from the context encoder (I-JEPA's paper probes the EMA
    target encoder; the two are close at a slow momentum).
    """

    def __init__(self, config, num_classes: int):
        super().__init__(config, num_classes)
        s, p, d = config.image_size, config.patch_size, config.representation_dim
        self.backbone = PooledViT(s, p, dim=d)
        self.projector = nn.Identity()
        self.grid = s // p
        self.predictor = JEPAPredictor(self.grid ** 2, d, max(64, d // 2), max(1, config.predictor_depth))
        self.make_teacher(("backbone",))

    @property
    def embedding_dim(self) -> int:
        return self.config.representation_dim

    def masks(self, n: int, device):
        c = self.config
        shared = lambda k: torch.rand(k, generator=self.rng, device=self.rng.device if self.rng is not None else None)  # noqa: E731
        return block_masks(self.grid, c.num_target_blocks, c.target_block_scale, c.context_scale,
                           lambda *shape: self.uniform(n, *shape, device=device), shared)

    def loss(self, views, labels):
        x = views[0]
        vit = self.backbone
        context_idx, target_idx = self.masks(len(x), x.device)
        context = vit.encode(vit.tokens(x, keep=context_idx))[:, 1:]
        pred = self.predictor(context, context_idx, target_idx)
        n, m, kt = target_idx.shape
        with torch.no_grad():
            teacher = self.teacher_net("backbone")
            full = teacher.encode(teacher.tokens(x))[:, 1:]              # (N, P, dim)
            idx = target_idx.reshape(n, m * kt)[..., None].expand(-1, -1, full.shape[-1])
            target = full.gather(1, idx).reshape(n * m, kt, -1)
            h = vit(x)
        return losses.ijepa(pred, target), h, h


JEPA_METHODS = {"lejepa": LeJEPA, "ijepa": IJEPA}
