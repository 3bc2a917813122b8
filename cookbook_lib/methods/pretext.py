"""No projector, older pretext tasks and masked modelling (§2.1, §2.5, §3.2 of the cookbook):
DirectCLR, rotation prediction (RotNet), jigsaw puzzles, inpainting, and MAE.

The pretext tasks predict something the augmentation pipeline or a mask took away — the
rotation, the order of tiles, the hidden pixels — so they need no second view; they use
the first large view. Their `(h, z)` for the online probe and the collapse metrics are
the representation and embedding of the clean first view.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from .. import augment, losses
from ..nets import PooledViT
from .base import Method


class DirectCLR(Method):
    """DirectCLR (Jing et al. 2022, "Understanding Dimensional Collapse in Contrastive
    Self-supervised Learning", arXiv 2110.09348): no projector; NT-Xent (`temperature`) on
    the first `embedding_dim` coordinates of the representation, which keeps the whole
    representation from collapsing dimensionally. z = h[:, :embedding_dim]."""

    def __init__(self, config, num_classes: int):
        super().__init__(config, num_classes)
        self.projector = nn.Identity()

    @property
    def embedding_dim(self) -> int:
        return self.config.embedding_dim

    def embed(self, x):
        h = self.backbone(x)
        return h, h[:, : self.config.embedding_dim]

    def loss(self, views, labels):
        n, d = views[0].shape[0], self.config.embedding_dim
        h = self.backbone(torch.cat(views[:2]))
        return losses.nt_xent(h[:n, :d], h[n:, :d], self.config.temperature), h[:n], h[:n, :d]


class Rotation(Method):
    """RotNet (Gidaris, Singh & Komodakis 2018, "Unsupervised Representation Learning by
    Predicting Image Rotations", arXiv 1803.07728): each image of the two large views is
    turned by a random multiple of 90°, and a head (projector → linear, 4 classes)
    predicts which; cross-entropy."""

    def __init__(self, config, num_classes: int):
        super().__init__(config, num_classes)
        self.classifier = nn.Linear(self.embedding_dim, 4)

    def loss(self, views, labels):
        x = torch.cat(views[:2])
        k = (self.uniform(len(x), device=x.device) * 4).long()
        turned = x.clone()
        for r in range(1, 4):  # four batched rotations, no per-image loop
            sel = k == r
            turned = torch.where(sel.view(-1, 1, 1, 1), torch.rot90(x, r, (2, 3)), turned)
        h = self.backbone(turned)
        z = self.projector(h)
        n = views[0].shape[0]
        return F.cross_entropy(self.classifier(z), k), h[:n], z[:n]


def jigsaw_permutations(count: int, tiles: int = 9, seed: int = 0, candidates: int = 20000) -> torch.Tensor:
    """`count` permutations of `tiles` tiles chosen far apart in Hamming distance: greedy
    max-min selection from a fixed random pool (Noroozi & Favaro 2016, arXiv 1603.09246).
    The identity comes first. Deterministic (the task, not the run, owns the seed)."""
    g = torch.Generator().manual_seed(seed)
    if count > 5000:
        raise ValueError(f"jigsaw_permutations={count}: at most 5000")
    pool = torch.stack([torch.arange(tiles)] + [torch.randperm(tiles, generator=g) for _ in range(candidates)])
    chosen = [0]
    dist = (pool != pool[0]).sum(1)
    for _ in range(count - 1):
        nxt = int(dist.argmax())
        chosen.append(nxt)
        dist = torch.minimum(dist, (pool != pool[nxt]).sum(1))
    return pool[chosen]


class Jigsaw(Method):
    """Jigsaw puzzles (Noroozi & Favaro 2016, "Unsupervised Learning of Visual
    Representations by Solving Jigsaw Puzzles", arXiv 1603.09246).

    The image is cut into a 3×3 grid of tiles (side image_size // 3), the tiles are
    shuffled by one of `jigsaw_permutations` fixed permutations (far apart in Hamming
    distance), each tile goes through the backbone and projector, and a linear layer on
    the 9 concatenated tile embeddings predicts which permutation it was. More permutations
    = a harder pretext task (§2.1). Uses both large views as puzzles.
    """

    GRID = 3

    def __init__(self, config, num_classes: int):
        super().__init__(config, num_classes)
        self.register_buffer("perms", jigsaw_permutations(config.jigsaw_permutations, self.GRID ** 2))
        self.classifier = nn.Linear(self.GRID ** 2 * self.embedding_dim, config.jigsaw_permutations)

    def loss(self, views, labels):
        x = torch.cat(views[:2])
        n, g = len(x), self.GRID
        t = x.shape[-1] // g
        tiles = x[:, :, : g * t, : g * t].unfold(2, t, t).unfold(3, t, t)  # (n, 3, g, g, t, t)
        tiles = tiles.permute(0, 2, 3, 1, 4, 5).reshape(n, g * g, 3, t, t)
        which = (self.uniform(n, device=x.device) * len(self.perms)).long()
        shuffled = tiles[torch.arange(n, device=x.device)[:, None], self.perms[which]]
        z_tiles = self.projector(self.backbone(shuffled.reshape(n * g * g, 3, t, t)))
        loss = F.cross_entropy(self.classifier(z_tiles.reshape(n, -1)), which)
        with torch.no_grad():
            h, z = self.embed(views[0])
        return loss, h, z


def patch_mask(n: int, grid: int, ratio: float, device, generator: torch.Generator | None = None) -> torch.Tensor:
    """(n, grid·grid) bool: exactly round(ratio·grid²) random patches per image are True
    (masked), at least one kept visible. Drawn from `generator` (the global one when None)."""
    total = grid * grid
    masked = min(total - 1, int(round(ratio * total)))
    order = augment.uniform((n, total), generator, device).argsort(1)
    return order < masked if masked > 0 else torch.zeros(n, total, dtype=torch.bool, device=device)


class Inpainting(Method):
    """Inpainting, after context encoders (Pathak et al. 2016, "Context Encoders: Feature
    Learning by Inpainting", arXiv 1604.07379): a `mask_ratio` fraction of the
    `patch_size`-pixel patches of the first view are filled with grey, the backbone encodes
    the damaged image into h, and a small decoder (linear → two transposed convolutions)
    restores the image from h; the loss is the MSE on the hidden pixels only."""

    def __init__(self, config, num_classes: int):
        super().__init__(config, num_classes)
        s, p = config.image_size, config.patch_size
        self.projector = nn.Identity()
        self.base = -(-s // 4)
        self.decoder = nn.Sequential(
            nn.Linear(config.representation_dim, 64 * self.base ** 2), nn.Unflatten(1, (64, self.base, self.base)),
            nn.ReLU(), nn.ConvTranspose2d(64, 32, 4, 2, 1), nn.BatchNorm2d(32), nn.ReLU(),
            nn.ConvTranspose2d(32, 3, 4, 2, 1))

    @property
    def embedding_dim(self) -> int:
        return self.config.representation_dim

    def loss(self, views, labels):
        x = views[0]
        n, s, p = len(x), x.shape[-1], self.config.patch_size
        m = patch_mask(n, s // p, self.config.mask_ratio, x.device, self.rng).float().view(n, 1, s // p, s // p)
        m = F.interpolate(m, scale_factor=p, mode="nearest")  # (n, 1, s, s), 1 = hidden
        damaged = x * (1 - m) + 0.45 * m
        out = self.decoder(self.backbone(damaged))[..., :s, :s]
        loss = ((out.float() - x.float()).pow(2) * m).sum() / (3 * m.sum()).clamp_min(1)
        with torch.no_grad():
            h = self.backbone(x)
        return loss, h, h


class MAE(Method):
    """Masked autoencoder (He et al. 2021, "Masked Autoencoders Are Scalable Vision
    Learners", arXiv 2111.06377) with a tiny ViT.

    The backbone is always a tiny ViT (`PooledViT`: dim representation_dim, `patch_size`-pixel patches;
    the `backbone` knob is not used). A random `mask_ratio` of the patches is dropped, the
    encoder sees the visible ones (and [CLS]), a light decoder (2 blocks, width 128) gets
    them back with mask tokens, and the loss is the MSE on the masked patches' pixels,
    each patch normalised by its own mean and std (norm_pix_loss). The representation is
    the mean of the encoder's patch tokens for the whole, unmasked image.
    """

    DECODER_DIM, DECODER_DEPTH = 128, 2

    def __init__(self, config, num_classes: int):
        super().__init__(config, num_classes)
        s, p, d = config.image_size, config.patch_size, config.representation_dim
        self.backbone = PooledViT(s, p, dim=d)
        self.projector = nn.Identity()
        self.num_patches = (s // p) ** 2
        dd = self.DECODER_DIM
        self.to_decoder = nn.Linear(d, dd)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, dd))
        self.decoder_pos = nn.Parameter(torch.randn(1, self.num_patches + 1, dd) * 0.02)
        layer = nn.TransformerEncoderLayer(dd, max(1, dd // 64), dd * 4, dropout=0.0, activation="gelu",
                                           batch_first=True, norm_first=True)
        self.decoder = nn.TransformerEncoder(layer, self.DECODER_DEPTH, enable_nested_tensor=False)
        self.decoder_norm = nn.LayerNorm(dd)
        self.to_pixels = nn.Linear(dd, p * p * 3)

    @property
    def embedding_dim(self) -> int:
        return self.config.representation_dim

    def patchify(self, x):
        """(N, 3, S, S) → (N, patches, p·p·3), patches in the order of the ViT's tokens."""
        p = self.config.patch_size
        n, c, s, _ = x.shape
        x = x.reshape(n, c, s // p, p, s // p, p).permute(0, 2, 4, 3, 5, 1)
        return x.reshape(n, (s // p) ** 2, p * p * c)

    def num_visible(self, mask_ratio: float) -> int:
        """Patches the encoder sees: all but round(mask_ratio · patches), at least one."""
        return self.num_patches - min(self.num_patches - 1, int(round(mask_ratio * self.num_patches)))

    def predict(self, x, visible):
        """The decoder's prediction (N, patches, p·p·3), float32, for every patch of the images
        x (N, 3, S, S) when the encoder sees only the patches `visible` (N, keep) (indices)."""
        n, vit = len(x), self.backbone
        encoded = vit.encode(vit.tokens(x, keep=visible))
        e = self.to_decoder(encoded)
        full = self.mask_token.to(e.dtype).expand(n, self.num_patches, -1).clone()
        full = full.scatter(1, visible[..., None].expand(-1, -1, e.shape[-1]), e[:, 1:])
        y = self.decoder(torch.cat([e[:, :1], full], 1) + self.decoder_pos)
        return self.to_pixels(self.decoder_norm(y))[:, 1:].float()

    def pixel_targets(self, x):
        """(N, patches, p·p·3): each patch's pixels minus its mean, over its std (norm_pix_loss),
        and the (mean, std) used, each (N, patches, 1)."""
        target = self.patchify(x.float())
        mean, std = target.mean(-1, keepdim=True), (target.var(-1, keepdim=True) + 1e-6).sqrt()
        return (target - mean) / std, mean, std

    def loss(self, views, labels):
        x = views[0]
        n = len(x)
        order = self.uniform(n, self.num_patches, device=x.device).argsort(1)
        visible = order[:, :self.num_visible(self.config.mask_ratio)]
        pred = self.predict(x, visible)
        target = self.pixel_targets(x)[0]
        hidden = torch.ones(n, self.num_patches, device=x.device)
        hidden.scatter_(1, visible, 0.0)
        loss = ((pred - target).pow(2).mean(-1) * hidden).sum() / hidden.sum()
        with torch.no_grad():
            h = self.backbone(x)
        return loss, h, h

    def unpatchify(self, patches):
        """(N, patches, p·p·3) → (N, 3, S, S): the inverse of `patchify`."""
        p, n, g = self.config.patch_size, len(patches), int(self.num_patches ** 0.5)
        x = patches.reshape(n, g, g, p, p, 3).permute(0, 5, 1, 3, 2, 4)
        return x.reshape(n, 3, g * p, g * p)

    @torch.no_grad()
    def reconstruct(self, images, mask_ratio: float | None = None, seed: int = 0) -> dict:
        """Mask the images, let the model fill the hidden patches in, and score it.

        images: uint8 or [0, 1] float (N, 3, S, S). mask_ratio: the fraction of patches
        hidden (default: the run's `mask_ratio`). seed: the masks depend only on it, so two
        models given the same seed and images see exactly the same patches.
        The model predicts each hidden patch *normalised* (norm_pix_loss): its pattern, not
        its mean colour or contrast. To draw it, the prediction is put back on the hidden
        patch's own true mean and std, as is usual for MAE figures of norm_pix models, so the
        picture tells where edges and shapes go, not which colour they have.

        Returns a dict of tensors on the images' device:
        original (N, 3, S, S) in [0, 1]; masked: hidden patches grey; reconstruction: visible
        patches copied, hidden ones predicted (clamped to [0, 1]); baseline: hidden patches
        filled flat with their own true mean (what the drawing gets for free); mask (N, patches) bool,
        True = hidden; error (N,): mean squared error on the normalised hidden patches (the
        training loss, per image); baseline_error (N,): the same error for filling every
        hidden patch with one flat value, its own true mean (normalised prediction 0): the
        bar to beat, ≈ 1 for any patch that is not flat.
        """
        x = images.float().div(255) if images.dtype == torch.uint8 else images.float()
        x = x.to(self.mask_token.device)
        n, ratio = len(x), self.config.mask_ratio if mask_ratio is None else mask_ratio
        g = torch.Generator(device=x.device).manual_seed(seed)
        order = torch.rand(n, self.num_patches, generator=g, device=x.device).argsort(1)
        visible = order[:, :self.num_visible(ratio)]
        mask = torch.ones(n, self.num_patches, dtype=torch.bool, device=x.device)
        mask.scatter_(1, visible, False)
        pred = self.predict(x, visible)
        target, mean, std = self.pixel_targets(x)
        hidden = mask.float()
        error = ((pred - target).pow(2).mean(-1) * hidden).sum(1) / hidden.sum(1)
        baseline = (target.pow(2).mean(-1) * hidden).sum(1) / hidden.sum(1)
        patches = self.patchify(x)
        filled = torch.where(mask[..., None], (pred * std + mean).clamp(0, 1), patches)
        grey = torch.where(mask[..., None], torch.full_like(patches, 0.5), patches)
        flat = torch.where(mask[..., None], mean.expand_as(patches), patches)
        return dict(original=x, masked=self.unpatchify(grey), reconstruction=self.unpatchify(filled),
                    baseline=self.unpatchify(flat), mask=mask, error=error, baseline_error=baseline)


PRETEXT_METHODS = {"directclr": DirectCLR, "rotation": Rotation, "jigsaw": Jigsaw,
                   "inpainting": Inpainting, "mae": MAE}
