"""Backbones (the encoder whose output is the representation) and `mlp()` for projectors.

Every backbone takes float images in [0, 1] of shape (N, 3, S, S) and returns the
representation (N, representation_dim).
"""
from __future__ import annotations

import torch
import torch.nn as nn

# per-channel mean and std of `shapes` images; close enough for the other datasets
_MEAN, _STD = (0.45, 0.45, 0.45), (0.25, 0.25, 0.25)


class Normalize(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("mean", torch.tensor(_MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(_STD).view(1, 3, 1, 1))

    def forward(self, x):
        return (x - self.mean) / self.std


def _conv_bn(cin, cout, stride):
    return [nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]


def convnet(representation_dim: int = 256) -> nn.Sequential:
    """The fast CPU default: four 3×3 conv-BN-ReLU blocks (32, 64, 128, representation_dim
    channels; strides 2, 2, 2, 1) and global average pooling. About 15 MFLOPs per 32×32
    image forward, ~4× cheaper than putting the first block at full resolution."""
    widths = (32, 64, 128, representation_dim)
    layers, cin = [Normalize()], 3
    for w, s in zip(widths, (2, 2, 2, 1)):
        layers += _conv_bn(cin, w, s)
        cin = w
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten())


def resnet18(representation_dim: int = 512) -> nn.Module:
    """CIFAR ResNet-18: torchvision's resnet18 with a 3×3 stride-1 stem and no max-pool
    (He et al. 2016; the CIFAR variant of SimCLR, arXiv 2002.05709, Appendix B.9).
    A 1×1 conv-BN-ReLU widens or narrows the 512 channels when representation_dim ≠ 512."""
    from torchvision.models import resnet18 as tv_resnet18

    net = tv_resnet18(weights=None)
    net.conv1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False)
    net.maxpool = nn.Identity()
    net.fc = nn.Identity()
    if representation_dim != 512:
        net.layer4.append(nn.Sequential(*[nn.Conv2d(512, representation_dim, 1, bias=False),
                                          nn.BatchNorm2d(representation_dim), nn.ReLU(inplace=True)]))
    return nn.Sequential(Normalize(), net)


class TinyViT(nn.Module):
    """A small Vision Transformer (Dosovitskiy et al. 2021, arXiv 2010.11929): patch embedding,
    learned position embeddings, a [CLS] token, pre-norm encoder blocks; the representation
    is the final [CLS] token. Heads = dim / 64 (at least 1)."""

    def __init__(self, image_size=32, patch_size=4, dim=192, depth=6, mlp_ratio=4):
        super().__init__()
        if image_size % patch_size:
            raise ValueError(f"image_size={image_size} must be a multiple of patch_size={patch_size}")
        self.patch_size = patch_size
        self.norm_in = Normalize()
        self.patch = nn.Conv2d(3, dim, patch_size, patch_size)
        n = self.num_patches = (image_size // patch_size) ** 2
        self.cls = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos = nn.Parameter(torch.randn(1, n + 1, dim) * 0.02)
        layer = nn.TransformerEncoderLayer(dim, max(1, dim // 64), dim * mlp_ratio, dropout=0.0,
                                           activation="gelu", batch_first=True, norm_first=True)
        self.blocks = nn.TransformerEncoder(layer, depth, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(dim)

    def tokens(self, x, keep=None, mask=None, mask_token=None):
        """(N, 3, S, S) → (N, 1 + patches, dim): [CLS] and patch embeddings with their positions,
        before the encoder. mask (N, patches) bool with mask_token (1, 1, dim): the masked
        patches' embeddings are replaced by the token (iBOT). keep (N, k) patch indices: only
        those patches follow the [CLS] token, each with its own position (MAE, MSN, I-JEPA)."""
        t = self.patch(self.norm_in(x)).flatten(2).transpose(1, 2)
        if mask is not None:
            t = torch.where(mask[..., None], mask_token.to(t.dtype), t)
        t = torch.cat([self.cls.expand(len(t), -1, -1), t], 1) + self.pos[:, : t.shape[1] + 1]
        if keep is None:
            return t
        return torch.cat([t[:, :1], t[:, 1:].gather(1, keep[..., None].expand(-1, -1, t.shape[-1]))], 1)

    def encode(self, tokens):
        """(N, T, dim) tokens (any subset of positions, already embedded) → (N, T, dim) outputs."""
        return self.norm(self.blocks(tokens))

    def forward(self, x):
        return self.encode(self.tokens(x))[:, 0]


class PooledViT(TinyViT):
    """`TinyViT` whose representation is the mean of its final patch tokens (global average
    pooling, which MAE reports works as well as [CLS] and which its loss trains directly)."""

    def forward(self, x):
        return self.encode(self.tokens(x))[:, 1:].mean(1)


def backbone(name: str, representation_dim: int, image_size: int, patch_size: int = 4) -> nn.Module:
    """Build the backbone a `RunConfig` names (`patch_size` is the tiny ViT's)."""
    if name == "convnet":
        return convnet(representation_dim)
    if name == "resnet18":
        return resnet18(representation_dim)
    if name == "vit_tiny":
        return TinyViT(image_size, patch_size, dim=representation_dim)
    raise ValueError(f"unknown backbone {name!r}: choose convnet, resnet18 or vit_tiny")


def mlp(in_dim: int, depth: int, width: int, out_dim: int, last_bn: bool = False, bn: bool = True) -> nn.Module:
    """A projector (or predictor): `depth` linear layers, BN + ReLU between them.

    depth 0 → identity (no projector); 1 → one linear map in_dim → out_dim;
    d ≥ 2 → (d − 1) × [Linear → BN → ReLU] at `width`, then Linear → out_dim
    (SimCLR, arXiv 2002.05709; VICReg, arXiv 2105.04906 use d = 2–3).
    bn=False: the hidden layers are Linear (with bias) → ReLU, no BatchNorm.
    """
    if depth == 0:
        return nn.Identity()
    layers, d = [], in_dim
    for _ in range(depth - 1):
        layers += ([nn.Linear(d, width, bias=False), nn.BatchNorm1d(width)] if bn else [nn.Linear(d, width)])
        layers.append(nn.ReLU(inplace=True))
        d = width
    layers.append(nn.Linear(d, out_dim))
    if last_bn:
        layers.append(nn.BatchNorm1d(out_dim, affine=False))
    return nn.Sequential(*layers)
