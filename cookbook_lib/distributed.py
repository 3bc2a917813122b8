"""Several processes, one run: `torchrun --nproc_per_node=N -m cookbook_lib train ...`.

The cookbook's rule is that N processes follow the same trajectory as one process on the
whole batch (§3.8 of the cookbook paper). What that takes:

- `batch_size` is the global batch; each process takes its contiguous slice of it. Every
  process draws the same batch indices and the same random augmentation parameters for the
  whole batch (cheap: a few numbers per image) and applies those of its slice
  (`augment.sharded`), so the views are exactly those of one process.
- Batch-dependent losses see the global batch: `gather` concatenates every process's rows
  in rank order and carries gradients back to the process that made them.
- BatchNorm statistics are over the global batch (`GlobalBatchNorm`, the `sync_batchnorm`
  knob): per-channel sums are added up across processes, with gradients.
- Gradients are averaged across processes after each backward (`average_gradients`).

Why the averaging is exact: every collective's backward *sums* the incoming gradients over
the processes. A loss computed on gathered embeddings is the same number L on every process,
so the summed gradient reaching each process is N × ∂L; averaging the parameter gradients
over the N processes removes that factor. A per-sample loss averaged over the local slice
(BYOL) becomes, after averaging, the mean over the global batch. A plain all_gather, in which
only a process's own rows keep their gradient, drops that sum: here, where every process
computes the whole loss, the gradients shrink by about 1/N (a loss computed on the local
rows only would lose the cross-process terms instead), and two processes leave the
one-process trajectory (`tests/test_distributed.py` runs this negative control) —
the classic traps (Chen et al. 2020, SimCLR, arXiv 2002.05709, §2 "global BN" and Appendix B.2
on gathering negatives).

"Same" means equal up to float round-off, which stays at ~1e-6 unless something
discontinuous amplifies it: a ReLU whose input is exactly 0 in one run and 1e-9 in the other
(a BatchNorm channel that is constant over the batch, e.g. on the black background of
`digits`) passes the gradient in one and blocks it in the other. Both are valid
sub-gradients; the trajectories then drift apart slowly, as two seeds would not.

Outside torchrun (`WORLD_SIZE` unset or 1) every function here is the identity: a single
process pays nothing.
"""
from __future__ import annotations

import os

import torch
import torch.distributed as dist
import torch.distributed.nn.functional as dist_nn
import torch.nn as nn
import torch.nn.functional as F

from .device import pick_device


def world_size() -> int:
    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1


def rank() -> int:
    return dist.get_rank() if dist.is_available() and dist.is_initialized() else 0


def launched() -> bool:
    """True when torchrun (or another launcher) started more than one process."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def setup(device_preference: str = "auto") -> torch.device:
    """Join the process group torchrun describes (env:// rendezvous, one or several machines):
    `nccl` with one GPU per process (`LOCAL_RANK`), `gloo` on CPU. Returns this process's device.
    A no-op returning the preferred device outside torchrun."""
    device = pick_device(device_preference)
    if not launched():
        return device
    if device.type == "cuda":
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        torch.cuda.set_device(device)
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return device


def shutdown() -> None:
    """Leave the process group (the end of a torchrun command)."""
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def check_batch(batch_size: int) -> int:
    """The per-process batch; a global batch that does not split evenly is refused."""
    n = world_size()
    if batch_size % n:
        raise ValueError(f"batch_size={batch_size} is the global batch and must split evenly over the "
                         f"{n} processes: use a multiple of {n} (e.g. {batch_size - batch_size % n or n}).")
    return batch_size // n


def gather(x: torch.Tensor) -> torch.Tensor:
    """(n, ...) rows of each process → (N·n, ...) rows of all, in rank order, with gradient
    flowing back to the process that made each row (`torch.distributed.nn.functional.all_gather`,
    whose backward sums the gradients every process computed for those rows). Identity in a
    single process."""
    if world_size() == 1:
        return x
    if not x.requires_grad:
        parts = [torch.empty_like(x) for _ in range(world_size())]
        dist.all_gather(parts, x.contiguous())
        return torch.cat(parts)
    return torch.cat(dist_nn.all_gather(x))


def all_reduce_sum(x: torch.Tensor) -> torch.Tensor:
    """Σ over processes, with gradient (its backward sums too; `torch.distributed.nn.functional
    .all_reduce`). Identity in a single process."""
    return x if world_size() == 1 else dist_nn.all_reduce(x)


@torch.no_grad()
def mean_over_processes(x: torch.Tensor) -> torch.Tensor:
    """The mean of a statistic over processes, without gradient (e.g. the DINO centre)."""
    if world_size() == 1:
        return x
    x = x.clone()
    dist.all_reduce(x)
    return x / world_size()


@torch.no_grad()
def average_gradients(*modules: nn.Module) -> None:
    """Replace every gradient by its mean over the processes: one flat all-reduce."""
    n = world_size()
    if n == 1:
        return
    grads = [p.grad for m in modules for p in m.parameters() if p.grad is not None]
    if not grads:
        return
    flat = torch.cat([g.reshape(-1) for g in grads])
    dist.all_reduce(flat)
    flat /= n
    offset = 0
    for g in grads:
        g.copy_(flat[offset:offset + g.numel()].view_as(g))
        offset += g.numel()


class GlobalBatchNorm(nn.modules.batchnorm._BatchNorm):
    """BatchNorm whose training statistics are those of the global batch: per-channel count,
    Σx and Σ(x − mean)² are summed over the processes (with gradient; the mean, then the squared deviations from it), so N processes normalise
    exactly as one process on the whole batch would (Ioffe & Szegedy 2015, arXiv 1502.03167;
    "global BN" in SimCLR). Works on CPU (gloo) and GPU (nccl). In eval mode, or in a single
    process, it is an ordinary BatchNorm."""

    def _check_input_dim(self, x):
        if x.dim() < 2:
            raise ValueError(f"expected at least 2D input (got {x.dim()}D input)")

    def forward(self, x):
        if not self.training or world_size() == 1:
            return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                                self.training or not self.track_running_stats, self.momentum or 0.0, self.eps)
        dims = [0] + list(range(2, x.dim()))
        xf = x.float()
        c = x.shape[1]
        shape = [1, c] + [1] * (x.dim() - 2)
        count = torch.tensor([x.numel() / c], device=x.device, dtype=torch.float32)
        # two passes (mean, then squared deviations), as one process's BatchNorm: E[x²] − mean²
        # would cancel digits when the mean is large next to the std
        sums = all_reduce_sum(torch.cat([xf.sum(dims), count]))
        total = sums[-1]
        mean = sums[:c] / total
        var = all_reduce_sum(((xf - mean.view(shape)) ** 2).sum(dims)) / total
        if self.track_running_stats and self.running_mean is not None:
            with torch.no_grad():
                m = self.momentum if self.momentum is not None else 0.1
                self.running_mean.lerp_(mean.detach().to(self.running_mean.dtype), m)
                unbiased = var.detach() * total / (total - 1).clamp_min(1)
                self.running_var.lerp_(unbiased.to(self.running_var.dtype), m)
                self.num_batches_tracked += 1
        y = (xf - mean.view(shape)) * torch.rsqrt(var.view(shape) + self.eps)
        if self.affine:
            y = y * self.weight.view(shape) + self.bias.view(shape)
        return y.to(x.dtype)


def convert_batchnorm(module: nn.Module) -> nn.Module:
    """Swap every BatchNorm1d/2d of `module` for a `GlobalBatchNorm` with the same state."""
    if isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)):
        bn = GlobalBatchNorm(module.num_features, module.eps, module.momentum, module.affine,
                             module.track_running_stats)
        bn.load_state_dict(module.state_dict())
        bn.train(module.training)
        return bn
    for name, child in module.named_children():
        setattr(module, name, convert_batchnorm(child))
    return module
