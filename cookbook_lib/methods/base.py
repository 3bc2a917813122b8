"""What every method shares: the `Method` base class, encoding a list of views, an EMA
teacher, a FIFO queue. Imports no method family.

- `Method`: backbone (→ representation h) + projector (→ embedding z); a subclass defines
  `loss(views, labels) -> (loss, h, z)` for one step, where `h` and `z` are the
  representation and embedding of the first view (for the online probe and the collapse
  metrics). `embed(x) -> (h, z)` is the evaluation pass.

- `encode_views(fn, views)`: one forward per resolution (the two large views together, the
  small multi-crop views together), so that BatchNorm sees each view group as one batch.
- `ema_update(teacher, student, m)` and `ema_momentum(...)`: the teacher update of BYOL,
  MoCo and DINO, θ_t ← m·θ_t + (1 − m)·θ_s, with a constant or cosine-to-1 schedule.
- `TeacherStudent`: a `Method` with a frozen EMA copy of some of its parts, or, when
  `ema_momentum == 0` with a constant schedule, the student itself as the teacher (then
  `stop_gradient` decides whether the target branch gets a gradient).
- `Queue`: a first-in-first-out bank of past (detached) embeddings.
"""
from __future__ import annotations

import copy
import math

import torch
import torch.nn as nn

from .. import augment
from ..nets import backbone, mlp


class Method(nn.Module):
    """Backbone + projector; subclasses define the loss."""

    rng: torch.Generator | None = None  # the run's generator, set by `train`: random draws of a loss come from it

    def __init__(self, config, num_classes: int):
        super().__init__()
        self.config = config
        self.backbone = backbone(config.backbone, config.representation_dim, config.image_size, config.patch_size)
        self.projector = mlp(config.representation_dim, config.projector_depth, config.projector_width,
                             config.embedding_dim, bn=config.projector_bn)

    @property
    def embedding_dim(self) -> int:
        """Size of z: the projector output, or the representation when there is no projector."""
        return self.config.embedding_dim if self.config.projector_depth > 0 else self.config.representation_dim

    def embed(self, x: torch.Tensor):
        h = self.backbone(x)
        return h, self.projector(h)

    def uniform(self, *shape, device) -> torch.Tensor:
        """Uniforms in [0, 1) from the run's generator (`augment.uniform`: under torchrun, this
        process's slice of the draw for the global batch)."""
        return augment.uniform(shape, self.rng, device)

    def after_step(self, step: int, total_steps: int) -> None:
        """Hook for updates after the optimiser step (EMA teachers, centres)."""

    def lr_mults(self) -> dict:
        """{parameter-name prefix: lr multiplier} for `optim.param_groups` (e.g. the predictor's)."""
        return {}


def encode_views(fn, views):
    """Apply `fn` to every view, batching views of the same size into one call.

    views: list of (N, 3, S_v, S_v) tensors. `fn` returns a tensor or a tuple of tensors,
    each with the batch first. Returns the list of per-view outputs, each a (N, ...) tensor
    or a tuple of them, in the order of `views`.
    """
    out = [None] * len(views)
    sizes = {}
    for i, v in enumerate(views):
        sizes.setdefault(tuple(v.shape[-2:]), []).append(i)
    for idx in sizes.values():
        y = fn(torch.cat([views[i] for i in idx]))
        parts = [t.chunk(len(idx)) for t in (y if isinstance(y, tuple) else (y,))]
        for k, i in enumerate(idx):
            out[i] = tuple(p[k] for p in parts) if isinstance(y, tuple) else parts[0][k]
    return out


def frozen_copy(module: nn.Module) -> nn.Module:
    """A deep copy whose parameters take no gradient and are left out of the optimiser."""
    twin = copy.deepcopy(module)
    for p in twin.parameters():
        p.requires_grad_(False)
    return twin


@torch.no_grad()
def ema_update(teacher: nn.Module, student: nn.Module, m: float) -> None:
    """θ_t ← m·θ_t + (1 − m)·θ_s for every parameter; buffers (BN statistics) are copied.

    Each teacher parameter moves by exactly (1 − m)·(θ_s − θ_t). m = 0 copies the student
    (the teacher *is* the student); m = 1 leaves the teacher where it is. Grill et al. 2020
    (BYOL), arXiv 2006.07733; He et al. 2019 (MoCo), arXiv 1911.05722.
    """
    for t, s in zip(teacher.parameters(), student.parameters()):
        if m == 0.0:
            t.copy_(s)
        else:
            t.lerp_(s.detach().to(t.dtype), 1.0 - m)
    for t, s in zip(teacher.buffers(), student.buffers()):
        t.copy_(s)


def ema_momentum(base: float, schedule: str, step: int, total_steps: int) -> float:
    """The teacher momentum after optimiser step `step` (0-based) of `total_steps`.

    constant: `base`. cosine (BYOL, DINO): m = 1 − (1 − base)·(cos(π·k/K) + 1)/2 with
    k = step + 1, K = total_steps: from ≈ base at the start up to 1 at the end.
    """
    if schedule == "constant":
        return base
    if schedule == "cosine":
        k = min(step + 1, total_steps) / max(1, total_steps)
        return 1.0 - (1.0 - base) * (math.cos(math.pi * k) + 1.0) / 2.0
    raise ValueError(f"ema_schedule={schedule!r}: choose constant or cosine")


class TeacherStudent(Method):
    """A `Method` whose targets come from a teacher: an EMA copy of some of its parts.

    Subclasses build their parts, then call `self.make_teacher(("backbone", "projector"))`.
    With `ema_momentum == 0` and a constant schedule there is no copy: the teacher *is* the
    student (identical to copying its weights after every step), and `stop_gradient`
    decides whether the target is detached. With an EMA copy the target never takes a
    gradient (its parameters have requires_grad=False and are not in the optimiser).
    """

    teacher_parts: tuple = ()

    def make_teacher(self, parts) -> None:
        self.teacher_parts = tuple(parts)
        cfg = self.config
        self.shared_teacher = cfg.ema_momentum == 0.0 and cfg.ema_schedule == "constant"
        if self.shared_teacher:
            self.teacher = None
        else:
            self.teacher = nn.ModuleDict({name: frozen_copy(getattr(self, name)) for name in parts})

    def teacher_net(self, name: str) -> nn.Module:
        """The teacher's copy of part `name` (the student's own part when they are shared)."""
        return getattr(self, name) if self.teacher is None else self.teacher[name]

    def targets(self, fn, views, student_out):
        """The teacher's outputs for `views` (the first len(views) views).

        fn(part, x): the forward pass, with part(name) giving the teacher's modules. When the
        teacher is the student, its outputs are the student's own (`student_out`, same
        weights and batch), detached if `stop_gradient`; otherwise the EMA copy runs without
        gradient.
        """
        if self.teacher is None:
            out = student_out[: len(views)]
            if not self.config.stop_gradient:
                return list(out)
            return [tuple(t.detach() for t in o) if isinstance(o, tuple) else o.detach() for o in out]
        with torch.no_grad():
            return encode_views(lambda x: fn(self.teacher_net, x), views)

    def momentum_at(self, step: int, total_steps: int) -> float:
        return ema_momentum(self.config.ema_momentum, self.config.ema_schedule, step, total_steps)

    def after_step(self, step: int, total_steps: int) -> None:
        if self.teacher is not None:
            m = self.momentum_at(step, total_steps)
            for name in self.teacher_parts:
                ema_update(self.teacher[name], getattr(self, name), m)


class Queue(nn.Module):
    """A FIFO bank of the last `size` rows pushed (detached), kept as a buffer (it moves with
    the model). `items()` is the filled part (0 rows before the first push). The write
    position is a Python int, so pushing never waits for the device."""

    def __init__(self, size: int, dim: int):
        super().__init__()
        self.size, self.ptr, self.filled = size, 0, 0
        self.register_buffer("bank", torch.zeros(size, dim))

    def items(self) -> torch.Tensor:
        return self.bank[: self.filled]

    def get_extra_state(self) -> torch.Tensor:  # the write position travels with state_dict()
        return torch.tensor([self.ptr, self.filled])

    def set_extra_state(self, state: torch.Tensor) -> None:
        self.ptr, self.filled = (int(v) for v in state.tolist())

    @torch.no_grad()
    def push(self, rows: torch.Tensor) -> None:
        if self.size == 0:
            return
        rows = rows.detach().to(self.bank.dtype)[-self.size:]
        n = len(rows)
        idx = (torch.arange(n, device=rows.device) + self.ptr) % self.size
        self.bank[idx] = rows
        self.ptr = (self.ptr + n) % self.size
        self.filled = min(self.size, self.filled + n)
