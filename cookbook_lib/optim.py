"""Optimisers and the learning-rate schedule: SGD, LARS, AdamW; linear warmup then cosine.

Biases and normalisation parameters (every parameter with one dimension) get no weight
decay and, under LARS, no layer-wise adaptation (You et al. 2017, arXiv 1708.03888; as in
SimCLR, BYOL and VICReg).
"""
from __future__ import annotations

import math

import torch


class LARS(torch.optim.Optimizer):
    """SGD with momentum whose step for each weight matrix is scaled by the trust ratio
    η‖w‖ / ‖∇w + λw‖ (layer-wise adaptive rate scaling, You et al. 2017, arXiv 1708.03888).
    Groups with `lars_exclude=True` (biases, norms) take plain SGD-momentum steps."""

    def __init__(self, params, lr, momentum=0.9, weight_decay=0.0, trust_coefficient=0.001):
        super().__init__(params, dict(lr=lr, momentum=momentum, weight_decay=weight_decay,
                                      trust_coefficient=trust_coefficient, lars_exclude=False))

    @torch.no_grad()
    def step(self, closure=None):
        loss = closure() if closure is not None else None
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                d = p.grad.add(p, alpha=group["weight_decay"]) if group["weight_decay"] else p.grad.clone()
                if not group["lars_exclude"]:
                    w_norm, d_norm = torch.norm(p), torch.norm(d)
                    trust = torch.where((w_norm > 0) & (d_norm > 0),
                                        group["trust_coefficient"] * w_norm / d_norm, torch.ones_like(w_norm))
                    d.mul_(trust)
                buf = self.state[p].get("momentum")
                if buf is None:
                    buf = self.state[p]["momentum"] = d
                else:
                    buf.mul_(group["momentum"]).add_(d)
                p.add_(buf, alpha=-group["lr"])
        return loss


def param_groups(named_params, weight_decay: float, lr: float, lr_mult: dict | None = None):
    """Split parameters into decayed weight matrices and non-decayed biases/norms.

    Parameters with `requires_grad=False` (EMA teachers) are left out. lr_mult maps a name
    prefix to an lr multiplier (e.g. {"predictor.": 10.0} for `predictor_lr_mult`): the
    parameters it matches get their own pair of groups at lr × multiplier (even at × 1, so
    that their schedule can differ), after the first two groups (which always hold the other
    parameters, at the base lr). Each group names its prefix ('' for the first two).
    """
    groups = {}  # (prefix, multiplier, is bias/norm) -> params
    for name, p in named_params:
        if p.requires_grad:
            prefix, mult = next(((pre, m) for pre, m in (lr_mult or {}).items() if name.startswith(pre)), ("", 1.0))
            groups.setdefault((prefix, mult, p.ndim <= 1), []).append(p)
    keys = [("", 1.0, False), ("", 1.0, True)] + sorted(k for k in groups if k[0])
    return [dict(params=groups.get(k, []), weight_decay=0.0 if k[2] else weight_decay, lr=lr * k[1],
                 lars_exclude=k[2], prefix=k[0]) for k in keys]


def make_optimizer(name: str, groups, lr: float):
    if name == "sgd":
        return torch.optim.SGD([{k: v for k, v in g.items() if k not in ("lars_exclude", "prefix")} for g in groups],
                               lr=lr, momentum=0.9)
    if name == "lars":
        return LARS(groups, lr=lr)
    if name == "adamw":
        return torch.optim.AdamW([{k: v for k, v in g.items() if k not in ("lars_exclude", "prefix")} for g in groups],
                                 lr=lr)
    raise ValueError(f"unknown optimizer {name!r}: choose sgd, lars or adamw")


def warmup_cosine(step: int, total: int, warmup: float) -> float:
    """lr multiplier: linear from 0 over the first `warmup` fraction of steps, then cosine to 0."""
    w = int(total * warmup)
    if step < w:
        return (step + 1) / w
    progress = (step - w) / max(1, total - w)
    return 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))


def warmup_constant(step: int, total: int, warmup: float) -> float:
    """lr multiplier: the same linear warmup as `warmup_cosine`, then constant at 1 (no decay)."""
    w = int(total * warmup)
    return (step + 1) / w if step < w else 1.0
