"""Helpers shared by the loss modules (see `cookbook_lib.losses` for the public names)."""
from __future__ import annotations

import functools
from typing import Callable, TypeVar

import torch

F_ = TypeVar("F_", bound=Callable)


def _first_tensor(obj):
    if isinstance(obj, torch.Tensor):
        return obj
    if isinstance(obj, (list, tuple)):
        for item in obj:
            found = _first_tensor(item)
            if found is not None:
                return found
    return None


def float32_loss(fn: F_) -> F_:
    """Run a loss with autocast switched off, so that, with `.float()` inputs, every op is float32.

    Under `torch.autocast(..., dtype=torch.bfloat16)` a matmul would otherwise run in bf16 even
    on float32 tensors; the losses are cheap next to the networks, so they always get float32.
    """

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        t = _first_tensor(list(args) + list(kwargs.values()))
        dev = t.device.type if t is not None else "cpu"
        if torch.amp.is_autocast_available(dev):
            with torch.autocast(device_type=dev, enabled=False):
                return fn(*args, **kwargs)
        return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def off_diagonal(m: torch.Tensor) -> torch.Tensor:
    """The off-diagonal entries of a square (D, D) matrix, flattened to (D·(D−1),)."""
    d = m.shape[0]
    return m.flatten()[:-1].view(d - 1, d + 1)[:, 1:].flatten()


def wide_dtype(device: torch.device) -> torch.dtype:
    """float64 for the small linear-algebra steps (Cholesky, logdet), float32 on MPS (no float64)."""
    return torch.float32 if device.type == "mps" else torch.float64


def sq_dists(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """(N, M) matrix of squared Euclidean distances ‖a_i − b_j‖²."""
    return (a.pow(2).sum(1, keepdim=True) + b.pow(2).sum(1) - 2.0 * a @ b.T).clamp_min(0.0)
