"""Evaluate a representation: embedding passes, kNN, linear probe and MLP probe, on the device.

Protocols follow §3.7 of the paper: kNN with cosine similarity and similarity-weighted
votes (Wu et al. 2018, arXiv 1805.01978, who used k = 200; here k = 20 and τ = 0.07, DINO's
choice, Caron et al. 2021, arXiv 2104.14294), a linear probe on frozen
features, and an MLP probe (which can overfit small data: compare with care).
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from tqdm.auto import tqdm

from .augment import to_float


@torch.no_grad()
def embed(fn, images: torch.Tensor, batch_size: int = 1024, progress: bool = False, desc: str = "embedding"):
    """Apply `fn` (images float [0, 1] → tensor or tuple of tensors) to all `images` in batches.

    Returns what `fn` returns, concatenated over batches, in float32.
    """
    outs = []
    chunks = images.split(batch_size)
    for chunk in tqdm(chunks, desc=desc, leave=False, disable=not progress or len(chunks) < 4):
        out = fn(to_float(chunk))
        outs.append(tuple(o.float() for o in out) if isinstance(out, tuple) else out.float())
    if isinstance(outs[0], tuple):
        return tuple(torch.cat(parts) for parts in zip(*outs))
    return torch.cat(outs)


def _finite(*ts):
    return all(bool(torch.isfinite(t).all()) for t in ts)


def _standardize(train: torch.Tensor, test: torch.Tensor):
    """Scale each feature by the training rows' mean and std; train is (n, d), or (B, n, d) for B
    subsets standardised each by its own rows (test, (N, d), then comes back as (B, N, d))."""
    mean, std = train.mean(-2, keepdim=True), train.std(-2, keepdim=True) + 1e-6
    return (train - mean) / std, (test - mean) / std


def _fit(model, x, y, steps, lr, weight_decay, batch_size=None, seed=0):
    """Train a small classifier head with AdamW on (x, y), full batch or minibatches."""
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    g = torch.Generator(device="cpu").manual_seed(seed)
    for _ in range(steps):
        if batch_size and batch_size < len(x):
            idx = torch.randint(len(x), (batch_size,), generator=g).to(x.device)
            xb, yb = x[idx], y[idx]
        else:
            xb, yb = x, y
        loss = F.cross_entropy(model(xb), yb)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
    return model


@torch.no_grad()
def _accuracy(model, x, y) -> float:
    return float((model(x).argmax(1) == y).float().mean())


def _probe(make_head, train_x, train_y, test_x, test_y, steps, lr, weight_decay, batch_size, seed,
           per_class=False):
    """Fit `make_head(in_dim, num_classes)` on frozen, standardised features; test accuracy
    (a list with one accuracy per class, NaN for a class absent from the test set, if per_class)."""
    train_x, test_x = train_x.float(), test_x.float()
    if not _finite(train_x, test_x):
        return [float("nan")] * (int(train_y.max()) + 1) if per_class else float("nan")
    train_x, test_x = _standardize(train_x, test_x)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        head = make_head(train_x.shape[1], int(train_y.max()) + 1).to(train_x.device)
    with torch.enable_grad():
        _fit(head, train_x, train_y, steps, lr, weight_decay, batch_size, seed)
    head.eval()
    if per_class:
        with torch.no_grad():
            hit = (head(test_x).argmax(1) == test_y).float()
        return [float(hit[test_y == c].mean()) if bool((test_y == c).any()) else float("nan")
                for c in range(int(train_y.max()) + 1)]
    return _accuracy(head, test_x, test_y)


def linear_probe(train_x, train_y, test_x, test_y, steps: int = 300, lr: float = 0.01,
                 weight_decay: float = 1e-4, seed: int = 0, per_class: bool = False):
    """Test accuracy of a linear classifier trained on frozen, standardised features.

    Full-batch AdamW with a cosine schedule, on the features' device (seconds on a CPU for
    10k × 512 features). NaN when the features hold NaN/inf. per_class=True returns a list:
    the accuracy on each class's test images (recall), from the same fitted probe.
    """
    return _probe(nn.Linear, train_x, train_y, test_x, test_y, steps, lr, weight_decay, None, seed, per_class)


def linear_probes(train_x, train_y, test_x, test_y, subsets, steps: int = 300, lr: float = 0.01,
                  weight_decay: float = 1e-4, seed: int = 0) -> list:
    """`linear_probe` fitted on each labelled subset of the training rows (a list of index
    tensors, e.g. `ImageData.labelled_index(k, seed=d)` for a few-label draw d), scored on the
    whole test split: one accuracy per subset.

    Equal-sized subsets are fitted side by side, one weight matrix per subset in one batched
    matrix product: the same standardisation, initial weights, AdamW steps and schedule as
    `linear_probe` on each subset alone (AdamW treats every weight separately), in a fraction
    of the time when the subsets are small. Subsets of different sizes are fitted one after
    the other.
    """
    subsets = [torch.as_tensor(i, device=train_x.device) for i in subsets]
    if len({len(i) for i in subsets}) > 1:
        return [linear_probe(train_x[i], train_y[i], test_x, test_y, steps, lr, weight_decay, seed) for i in subsets]
    x, y = train_x.float()[torch.stack(subsets)], train_y[torch.stack(subsets)]  # (B, n, d), (B, n)
    test_x = test_x.float()
    if not _finite(x, test_x):
        return [float("nan")] * len(subsets)
    x, test_x = _standardize(x, test_x)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        heads = _Heads(nn.Linear(x.shape[2], int(y.max()) + 1), len(x)).to(x.device)  # linear_probe's initial weights
    with torch.enable_grad():
        _fit(heads, x, y.flatten(), steps, lr, weight_decay, seed=seed)
    with torch.no_grad():
        hits = heads(test_x).view(len(x), len(test_y), -1).argmax(2) == test_y
    return [float(h.float().mean()) for h in hits]


class _Heads(nn.Module):
    """B copies of one linear head, the b-th applied to the b-th subset: (B, n, d) -> (B·n, classes)
    logits, so `_fit`'s cross-entropy is the mean of the per-subset losses (each copy's gradient is
    its own subset's, over B; AdamW's step does not depend on that scale)."""

    def __init__(self, head: nn.Linear, copies: int):
        super().__init__()
        self.weight = nn.Parameter(head.weight.detach()[None].repeat(copies, 1, 1))  # (B, classes, d)
        self.bias = nn.Parameter(head.bias.detach()[None, None].repeat(copies, 1, 1))  # (B, 1, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.baddbmm(self.bias, x, self.weight.transpose(1, 2)).flatten(0, 1)


def mlp_probe(train_x, train_y, test_x, test_y, hidden: int = 512, steps: int = 500, lr: float = 1e-3,
              weight_decay: float = 1e-4, batch_size: int = 512, seed: int = 0) -> float:
    """Test accuracy of a one-hidden-layer MLP on frozen, standardised features (minibatch AdamW)."""
    def head(d, k):
        return nn.Sequential(nn.Linear(d, hidden), nn.ReLU(), nn.Linear(hidden, k))

    return _probe(head, train_x, train_y, test_x, test_y, steps, lr, weight_decay, batch_size, seed)


@torch.no_grad()
def knn(train_x, train_y, test_x, test_y, k: int = 20, temperature: float = 0.07, chunk: int = 1024) -> float:
    """Test accuracy of a k-nearest-neighbour classifier with cosine similarity; each of the
    k neighbours votes for its class with weight exp(similarity / temperature)."""
    if not _finite(train_x, test_x):
        return float("nan")
    tr = F.normalize(train_x.float(), dim=1)
    num_classes = int(train_y.max()) + 1
    k = min(k, len(tr))
    correct = 0
    for a in range(0, len(test_x), chunk):
        q = F.normalize(test_x[a:a + chunk].float(), dim=1)
        sim, idx = (q @ tr.T).topk(k, dim=1)
        votes = torch.zeros(len(q), num_classes, device=q.device)
        votes.scatter_add_(1, train_y[idx], (sim / temperature).exp())
        correct += int((votes.argmax(1) == test_y[a:a + chunk]).sum())
    return correct / len(test_x)


def chance(labels: torch.Tensor) -> float:
    """Accuracy of always guessing the most frequent class."""
    return float(torch.bincount(labels).max()) / len(labels) if len(labels) else math.nan


def factor_probes(train_x, train_factors: dict, test_x, test_factors: dict, steps: int = 200) -> dict:
    """Linear-probe test accuracy for each generative factor (e.g. shape, colour, position of
    `shapes`): which factors a representation keeps, and which it has become invariant to."""
    return {name: linear_probe(train_x, train_factors[name], test_x, test_factors[name], steps=steps)
            for name in train_factors}


def fine_tune(backbone: nn.Module, train_images, train_labels, test_images, test_labels, steps: int = 100,
              batch_size: int = 64, lr: float = 1e-3, weight_decay: float = 0.05, seed: int = 0) -> float:
    """Test accuracy after fine-tuning a *copy* of `backbone` end to end with a linear head.

    The other protocol of §3.7 of the paper: instead of freezing the encoder (linear probe),
    every weight learns from the labels. Head: BatchNorm without affine (standardises the
    representation, like the online probe) then Linear. AdamW with a cosine schedule over
    `steps` minibatches of `batch_size` images drawn at random (no augmentation), on the
    backbone's device. `backbone` itself is not changed. Images are uint8 or [0, 1] float
    (N, 3, S, S); labels long (N,). MAE (He et al. 2021, arXiv 2111.06377) and BEiT (Bao et
    al. 2021, arXiv 2106.08254) report fine-tuning because linear probes underrate them.
    """
    import copy

    device = next(backbone.parameters()).device
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = copy.deepcopy(backbone).float().train()
        for p in net.parameters():
            p.requires_grad_(True)
        with torch.no_grad():
            dim = net(to_float(train_images[:2].to(device))).shape[1]
        head = nn.Sequential(nn.BatchNorm1d(dim, affine=False), nn.Linear(dim, int(train_labels.max()) + 1)).to(device)
    model = nn.Sequential(net, head)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, max(1, steps))
    g = torch.Generator(device="cpu").manual_seed(seed)
    with torch.enable_grad():
        for _ in range(steps):
            idx = torch.randint(len(train_images), (min(batch_size, len(train_images)),), generator=g)
            xb = to_float(train_images[idx.to(train_images.device)].to(device))
            loss = F.cross_entropy(model(xb), train_labels[idx.to(train_labels.device)].to(device))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
    model.eval()
    logits = embed(model, test_images.to(device))
    return float((logits.argmax(1) == test_labels.to(device)).float().mean())


@torch.no_grad()
def lidar_score(model, images: torch.Tensor, config, views: int = 8, max_images: int = 256, seed: int = 0,
                representation: bool = False) -> float:
    """LiDAR (Thilak et al. 2024, arXiv 2312.04000) of `model` on `views` augmented views of
    each of the first `max_images` `images`, drawn with `config`'s augmentation (the views the
    run trained on): `metrics.lidar` of the (n, q, D) embeddings (the representation h when
    `representation=True`). Label-free, like RankMe, but it weighs each direction by how
    well it separates different images against how much it moves between views of one image.

    model: a method (`Run.model`: anything with `.embed(x) -> (h, z)`), put in eval mode for
    the pass and restored after. images: (N, 3, H, W) uint8 or [0, 1] float. The views come
    from a generator seeded with `seed` on the model's device, so the score is repeatable.
    Computed on demand, not in a run's final metrics: q·n forward passes (2,048 by default,
    a fraction of a second at 16 px on a CPU core, more at 32 px) plus a D × D
    eigendecomposition. Use at least as many images as D (the between-image scatter has
    rank ≤ n − 1). Raises ValueError for views < 2 or max_images < 2.
    """
    from . import augment, metrics
    from .device import generator

    if views < 2 or max_images < 2:
        raise ValueError(f"lidar_score needs views ≥ 2 and max_images ≥ 2 (got views={views}, "
                         f"max_images={max_images}): LiDAR compares the views of one image with other images")
    config = config.resolved() if hasattr(config, "resolved") else config
    device = next(model.parameters()).device
    x = images[:max_images].to(device)
    if len(x) < 2:
        raise ValueError(f"lidar_score needs at least 2 images, got {len(x)}")
    g = generator(device, seed)
    was_training = model.training
    model.eval()
    try:
        out = [model.embed(augment.augment(x, config, g))[0 if representation else 1].float() for _ in range(views)]
    finally:
        model.train(was_training)
    return metrics.lidar(torch.stack(out, 1))
