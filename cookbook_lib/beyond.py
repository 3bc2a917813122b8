"""Beyond images (§4 of the cookbook): three small training loops for chapter 15.

1. SCARF (Bahri et al. 2022, arXiv 2106.15147): contrastive SSL on *tables*. A view of a
   row replaces a random fraction `rate` of its features by the same feature of another,
   random row (a draw from that feature's empirical marginal).
2. CLIP (Radford et al. 2021, arXiv 2103.00020): two encoders, one per modality (images and
   factor "captions" of `shapes`), trained with the symmetric InfoNCE loss.
3. VICRegL (Bardes, Ponce & LeCun 2022, arXiv 2210.01571): a VICReg loss on the pooled
   representation plus one between the feature maps of two views at corresponding locations.

The loops are short and explicit on purpose; `load_or_run` stores what they return so a
chapter re-opens instantly.
"""
from __future__ import annotations

import hashlib
import json
import warnings
from typing import Callable

import torch
import torch.nn as nn
import torch.nn.functional as F

from .augment import color_jitter, to_float
from .cache import atomic_save, runs_dir
from .evaluate import linear_probe
from .losses import nt_xent, vicreg
from .nets import convnet, mlp


# ---------------------------------------------------------------- caching

def load_or_run(name: str, params: dict, fit: Callable[[], tuple[nn.Module, list]], build: Callable[[], nn.Module]):
    """(model, history) stored under `runs_dir()/beyond-<name>-<hash of params>.pt`, else `fit()` and store.

    `build()` makes an untrained model of the same architecture to load the weights into.
    """
    key = hashlib.sha1(json.dumps(params, sort_keys=True, default=str).encode()).hexdigest()[:12]
    path = runs_dir() / f"beyond-{name}-{key}.pt"
    if path.exists():
        try:
            payload = torch.load(path, map_location="cpu", weights_only=True)
            model = build()
            model.load_state_dict(payload["state"])
            return model.eval(), payload["history"]
        except Exception as e:  # noqa: BLE001 - a damaged file is retrained, with a warning
            warnings.warn(f"the cached run {path.name} could not be read ({type(e).__name__}: {e}); training it again",
                          RuntimeWarning, stacklevel=2)
    model, history = fit()
    atomic_save({"state": {k: v.detach().cpu() for k, v in model.state_dict().items()}, "history": history}, path)
    return model.eval(), history


# ---------------------------------------------------------------- 1. SCARF on tables

def scarf_corrupt(x: torch.Tensor, rate: float, g: torch.Generator | None = None) -> torch.Tensor:
    """SCARF corruption of a batch of rows x (N, D): each entry is, with probability `rate`,
    replaced by the same column of a uniformly drawn row of the batch (the feature's
    empirical marginal), so a corrupted value is always a plausible value of its feature."""
    n, d = x.shape
    mask = torch.rand(n, d, generator=g) < rate
    donor = torch.randint(n, (n, d), generator=g)
    return torch.where(mask, x.gather(0, donor), x)


class TabularSSL(nn.Module):
    """An MLP encoder (the representation) and an MLP projector (the embedding) for rows."""

    def __init__(self, in_dim: int, width: int = 256, depth: int = 3, embedding_dim: int = 64):
        super().__init__()
        layers, d = [], in_dim
        for _ in range(depth):
            layers += [nn.Linear(d, width), nn.ReLU()]
            d = width
        self.encoder = nn.Sequential(*layers)
        self.projector = nn.Sequential(nn.Linear(width, width), nn.ReLU(), nn.Linear(width, embedding_dim))

    def forward(self, x):
        return self.projector(self.encoder(x))


def train_scarf(x: torch.Tensor, rate: float = 0.6, steps: int = 300, batch_size: int = 128,
                temperature: float = 0.5, lr: float = 1e-3, width: int = 256, seed: int = 0):
    """Train a `TabularSSL` on standardised rows x (N, D) with NT-Xent between each clean row
    and its SCARF-corrupted copy. Returns (model, history of {"step", "loss"})."""
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    model = TabularSSL(x.shape[1], width)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    history = []
    for step in range(steps):
        idx = torch.randint(len(x), (batch_size,), generator=g)
        batch = x[idx]
        loss = nt_xent(model(batch), model(scarf_corrupt(batch, rate, g)), temperature)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if step % 10 == 0 or step == steps - 1:
            history.append({"step": step, "loss": loss.item()})
    return model.eval(), history


def few_label_probe(train_x, train_y, test_x, test_y, per_class: int, draws: int = 5, seed: int = 0) -> float:
    """Mean linear-probe test accuracy over `draws` random labelled subsets of `per_class`
    training rows per class (the other training rows stay unlabelled)."""
    g = torch.Generator().manual_seed(seed)
    accs = []
    for _ in range(draws):
        idx = torch.cat([c[torch.randperm(len(c), generator=g)[:per_class]]
                         for c in (torch.nonzero(train_y == k)[:, 0] for k in train_y.unique())])
        accs.append(linear_probe(train_x[idx], train_y[idx], test_x, test_y, steps=200))
    return sum(accs) / len(accs)


# ---------------------------------------------------------------- 2. CLIP on shapes

def caption_tokens(factors: dict, factor_classes: dict, names=("shape", "colour", "size", "position", "background"),
                   keep_prob: float = 1.0, g: torch.Generator | None = None, noun: str = "shape") -> torch.Tensor:
    """Factor "captions" as multi-hot token vectors (N, Σ classes): one token per factor value,
    e.g. [star, colour-3, size-1, position-4, background-6]. The `noun` (the shape) is always
    named, like the object of a real caption; with keep_prob < 1 every other token (an
    "adjective") is dropped independently, so short captions such as "star" are in distribution."""
    parts = []
    for name in names:
        onehot = F.one_hot(factors[name].cpu(), factor_classes[name]).float()
        if keep_prob < 1 and name != noun:
            onehot = onehot * (torch.rand(len(onehot), 1, generator=g) < keep_prob).float()
        parts.append(onehot)
    return torch.cat(parts, 1)


class CLIP(nn.Module):
    """Image tower (the cookbook convnet + a linear head) and text tower (an MLP over caption
    tokens), both ending in `embedding_dim`, and a learnable logit scale 1/τ (init 1/0.07)."""

    def __init__(self, vocab: int, representation_dim: int = 128, embedding_dim: int = 64, width: int = 256):
        super().__init__()
        self.image_encoder = convnet(representation_dim)
        self.image_head = nn.Linear(representation_dim, embedding_dim)
        self.text_encoder = nn.Sequential(nn.Linear(vocab, width), nn.ReLU(), nn.Linear(width, embedding_dim))
        self.logit_scale = nn.Parameter(torch.tensor(1 / 0.07).log())

    def embed_images(self, x):
        """float images (N, 3, S, S) in [0, 1] → unit-norm embeddings (N, embedding_dim)."""
        return F.normalize(self.image_head(self.image_encoder(x)), dim=1)

    def embed_text(self, tokens):
        """caption tokens (N, vocab) → unit-norm embeddings (N, embedding_dim)."""
        return F.normalize(self.text_encoder(tokens), dim=1)


def clip_loss(image_z: torch.Tensor, text_z: torch.Tensor, logit_scale: torch.Tensor) -> torch.Tensor:
    """Symmetric InfoNCE of CLIP. image_z, text_z: (N, D) unit vectors, row i of each is a pair.

        L = ½ [CE(s·I Tᵀ, diag) + CE(s·T Iᵀ, diag)],  s = exp(logit_scale) = 1/τ.
    """
    logits = logit_scale.exp() * image_z @ text_z.T
    target = torch.arange(len(logits), device=logits.device)
    return (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target)) / 2


def train_clip(images, factors: dict, factor_classes: dict, steps: int = 200, batch_size: int = 128,
               keep_prob: float = 0.5, learn_temperature: bool = True, lr: float = 2e-3, seed: int = 0):
    """Train a `CLIP` on (uint8 images (N, 3, S, S), their factor captions). Returns (model, history)."""
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    vocab = sum(factor_classes[n] for n in ("shape", "colour", "size", "position", "background"))
    model = CLIP(vocab)
    model.logit_scale.requires_grad_(learn_temperature)
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    history = []
    model.train()
    for step in range(steps):
        idx = torch.randint(len(images), (batch_size,), generator=g)
        tokens = caption_tokens({k: v[idx.to(v.device)] for k, v in factors.items()}, factor_classes,
                                keep_prob=keep_prob, g=g)
        loss = clip_loss(model.embed_images(to_float(images[idx.to(images.device)]).cpu()),
                         model.embed_text(tokens), model.logit_scale)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        with torch.no_grad():
            model.logit_scale.clamp_(0, 4.6052)  # τ ≥ 0.01, as in CLIP
        if step % 10 == 0 or step == steps - 1:
            history.append({"step": step, "loss": loss.item(), "temperature": 1 / model.logit_scale.exp().item()})
    return model.eval(), history


def prompt_tokens(factor: str, factor_classes: dict, names=("shape", "colour", "size", "position", "background")):
    """One short caption per value of `factor` (e.g. "circle", …, "star"): (classes, vocab)."""
    k = factor_classes[factor]
    values = {n: torch.zeros(k, dtype=torch.long) for n in names}
    values[factor] = torch.arange(k)
    tokens = caption_tokens(values, factor_classes, names)
    offset = 0
    for n in names:  # keep only the tokens of `factor`
        if n != factor:
            tokens[:, offset:offset + factor_classes[n]] = 0
        offset += factor_classes[n]
    return tokens


@torch.no_grad()
def zero_shot(model: CLIP, images, prompts: torch.Tensor, batch_size: int = 1024):
    """Predicted prompt index for each uint8 image: the nearest prompt embedding (cosine)."""
    t = model.embed_text(prompts)
    preds = [(model.embed_images(to_float(c).cpu()) @ t.T).argmax(1) for c in images.split(batch_size)]
    return torch.cat(preds)


# ---------------------------------------------------------------- 3. VICRegL: local features

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
