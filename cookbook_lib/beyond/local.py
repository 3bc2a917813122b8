"""VICRegL (Bardes, Ponce & LeCun 2022, arXiv 2210.01571): a VICReg loss on the pooled
representation plus one between the feature maps of two views at corresponding locations.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..augment import color_jitter, to_float
from ..losses import vicreg
from ..nets import convnet, mlp

STRIDE = 8  # the convnet's feature map has one cell per 8×8 pixels


def shift_flip_views(x: torch.Tensor, max_cells: int = 1, g: torch.Generator | None = None):
    """A view of each float image x (N, 3, S, S) with a *known* geometry: pad by 4·max_cells
    pixels (border replicated), crop S×S at an offset of STRIDE·k pixels, k ∈ {0..max_cells}
    per axis, then flip horizontally with probability ½.

    Returns (view, cell) where cell (N, h, w) is, for each cell of the view's feature map,
    the index of the cell of the padded image it looks at (equal indices = same content)."""
    n, _, s, _ = x.shape
    pad = STRIDE // 2 * max_cells
    xp = F.pad(x, (pad,) * 4, mode="replicate")
    ky = torch.randint(max_cells + 1, (n,), generator=g)
    kx = torch.randint(max_cells + 1, (n,), generator=g)
    flip = torch.rand(n, generator=g) < 0.5
    rows = (ky[:, None] * STRIDE + torch.arange(s))  # (N, S) padded-row of each view row
    cols = (kx[:, None] * STRIDE + torch.arange(s))
    cols = torch.where(flip[:, None], cols.flip(1), cols)
    view = xp[torch.arange(n)[:, None, None, None], torch.arange(3)[None, :, None, None],
              rows[:, None, :, None], cols[:, None, None, :]]
    h = s // STRIDE
    grid = h + max_cells  # padded grid width in cells
    ci = ky[:, None] + torch.arange(h)  # (N, h)
    cj = kx[:, None] + torch.arange(h)
    cj = torch.where(flip[:, None], cj.flip(1), cj)
    cell = ci[:, :, None] * grid + cj[:, None, :]
    return view, cell


def matched_locations(cell1: torch.Tensor, cell2: torch.Tensor):
    """Pairs of feature-map locations that see the same content: (image, loc1, loc2) index
    tensors, locations flattened over (h, w)."""
    a, b = cell1.flatten(1), cell2.flatten(1)
    return torch.nonzero(a[:, :, None] == b[:, None, :], as_tuple=True)


class LocalGlobal(nn.Module):
    """The cookbook convnet split into its feature map (`trunk`) and pooling, with a global
    projector (on the pooled representation) and a local one (on every map location)."""

    def __init__(self, representation_dim: int = 128, embedding_dim: int = 256):
        super().__init__()
        net = convnet(representation_dim)
        self.trunk = net[:-2]  # (N, C, h, w) before the average pooling
        self.global_projector = mlp(representation_dim, 2, 512, embedding_dim)
        self.local_projector = mlp(representation_dim, 2, 512, embedding_dim)

    def feature_map(self, x):
        return self.trunk(x)

    def forward(self, x):
        """pooled representation (N, C)."""
        return self.trunk(x).mean((2, 3))


def vicregl_loss(model: LocalGlobal, v1, cell1, v2, cell2, local_weight: float):
    """(1 − λ)·VICReg(global embeddings) + λ·VICReg(local embeddings at matched locations)."""
    m1, m2 = model.feature_map(v1), model.feature_map(v2)
    glob = vicreg(model.global_projector(m1.mean((2, 3))), model.global_projector(m2.mean((2, 3))))
    if local_weight == 0:
        return glob
    n, c = m1.shape[:2]
    f1, f2 = m1.flatten(2).transpose(1, 2), m2.flatten(2).transpose(1, 2)  # (N, L, C)
    i, a, b = matched_locations(cell1, cell2)
    local = vicreg(model.local_projector(f1[i, a]), model.local_projector(f2[i, b]))
    return (1 - local_weight) * glob + local_weight * local


def train_vicregl(images, local_weight: float = 0.5, steps: int = 150, batch_size: int = 64, max_cells: int = 1,
                  jitter: float = 0.5, lr: float = 2e-3, seed: int = 0):
    """Train a `LocalGlobal` on uint8 images with shift/flip (+ colour jitter) views.
    local_weight = 0 is plain VICReg on the pooled representation. Returns (model, history)."""
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    model = LocalGlobal()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    history = []
    model.train()
    for step in range(steps):
        idx = torch.randint(len(images), (batch_size,), generator=g)
        x = to_float(images[idx.to(images.device)]).cpu()
        v1, c1 = shift_flip_views(color_jitter(x, jitter, g=g), max_cells, g)
        v2, c2 = shift_flip_views(color_jitter(x, jitter, g=g), max_cells, g)
        loss = vicregl_loss(model, v1, c1, v2, c2, local_weight)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        if step % 10 == 0 or step == steps - 1:
            history.append({"step": step, "loss": loss.item()})
    return model.eval(), history


@torch.no_grad()
def pooled_and_map(model: LocalGlobal, images, batch_size: int = 1024):
    """(pooled representation (N, C), flattened feature map (N, C·h·w)) of uint8 images."""
    pooled, maps = [], []
    for c in images.split(batch_size):
        m = model.feature_map(to_float(c).cpu())
        pooled.append(m.mean((2, 3)))
        maps.append(m.flatten(1))
    return torch.cat(pooled), torch.cat(maps)
