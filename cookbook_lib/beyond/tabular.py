"""SCARF (Bahri et al. 2022, arXiv 2106.15147): contrastive SSL on tables. A view of a row
replaces a random fraction `rate` of its features by the same feature of another, random
row (a draw from that feature's empirical marginal), one donor row per entry.
"""
from __future__ import annotations

import torch
import torch.nn as nn

from ..evaluate import linear_probes
from ..losses import nt_xent

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
    subsets = [torch.cat([c[torch.randperm(len(c), generator=g)[:per_class]]
                          for c in (torch.nonzero(train_y == k)[:, 0] for k in train_y.unique())])
               for _ in range(draws)]
    accs = linear_probes(train_x, train_y, test_x, test_y, subsets, steps=200)
    return sum(accs) / len(accs)
