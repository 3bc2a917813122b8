"""`train(config) -> Run`: the training loop, the online probe, the history and final metrics.

Per step: slice a batch of uint8 images already on the device, augment it there, one
forward/backward/optimiser step (bf16 autocast and channels_last on CUDA), one step of the
online linear probe on detached representations. Every `log_every` steps (the only host
synchronisation): record the mean loss of the window, RankMe and embedding std of the
batch's embeddings, and the online probe's accuracy on held-out clean images.
A NaN/inf loss stops the run and keeps the history so far (`run.status == "diverged"`).

Under `torchrun` each process trains on its slice of the global batch and the run follows
the same trajectory as one process (see `distributed`). With `checkpoint=PATH` the state is
written there every `checkpoint_every` steps and an interrupted run resumes from it, ending
exactly where the uninterrupted run would.
"""
from __future__ import annotations

import math
import os
import time
import warnings
from dataclasses import dataclass, field

import torch
import torch.nn as nn
import torch.nn.functional as F
from tqdm.auto import tqdm

from . import augment, distributed, evaluate, methods, metrics
from .config import RunConfig
from .data import ImageData, load_dataset
from .device import autocast, generator, seed_everything, uses_channels_last
from .optim import make_optimizer, param_groups, warmup_cosine

PROBE_BATCH = 512  # held-out clean images the online probe is scored on at each log step


@dataclass
class Run:
    """One training run: its (resolved) config, per-log-step history, final metrics and model."""

    config: RunConfig
    history: list = field(default_factory=list)  # dicts: step, loss, rankme, embedding_std, online_probe_acc, lr, time
    metrics: dict = field(default_factory=dict)  # linear_acc, knn_acc, rankme, rankme_backbone, embedding_std, ...
    status: str = "ok"  # "ok" or "diverged"
    message: str = ""
    model: nn.Module | None = None
    seconds: float = 0.0  # training time, without the final evaluation
    name: str = ""

    def __post_init__(self):
        self.name = self.name or self.config.method

    def embed(self, images: torch.Tensor):
        """(representation h, embedding z) of uint8 or [0, 1] images, in eval mode, batched."""
        self.model.eval()
        device = next(self.model.parameters()).device
        return evaluate.embed(self.model.embed, images.to(device))

    def __repr__(self):
        m = ", ".join(f"{k}={v:.3g}" for k, v in self.metrics.items() if isinstance(v, float))
        return f"Run({self.name}, {self.status}, {len(self.history)} log steps, {self.seconds:.1f}s; {m})"


class _Batches:
    """Endless batches of indices, each epoch a fresh permutation (last short batch dropped).
    Its position is part of a checkpoint (`state`, `load`)."""

    def __init__(self, n: int, batch_size: int, g: torch.Generator, device):
        self.n, self.size, self.g, self.device = n, min(batch_size, n), g, device
        self.perm, self.pos = None, 0

    def __next__(self) -> torch.Tensor:
        if self.perm is None or self.pos + self.size > self.n:
            self.perm = torch.randperm(self.n, generator=self.g, device=self.g.device).to(self.device)
            self.pos = 0
        self.pos += self.size
        return self.perm[self.pos - self.size:self.pos]

    def state(self) -> dict:
        return dict(perm=None if self.perm is None else self.perm.cpu(), pos=self.pos)

    def load(self, state: dict) -> None:
        self.perm = None if state["perm"] is None else state["perm"].to(self.device)
        self.pos = state["pos"]


def train(config: RunConfig, progress: bool = True, callback=None, data: ImageData | None = None,
          checkpoint: str | os.PathLike | None = None, checkpoint_every: int = 0) -> Run:
    """Train the method a `RunConfig` describes and evaluate it.

    progress: show a tqdm progress bar. callback(run, record): called at every log step with
    the run so far (for live dashboards). data: an `ImageData` to use instead of
    `config.dataset` (e.g. a re-balanced or mixed dataset built in a chapter).
    checkpoint: a file to resume from if it exists, and to write every `checkpoint_every`
    steps (0 = only resume). A checkpoint of another config is refused.
    Returns a `Run`; `steps=0` evaluates the random-init encoder.
    Under torchrun, `batch_size` is the global batch (it must divide by the process count).
    """
    cfg = config.resolved()
    if checkpoint_every < 0:
        raise ValueError(f"checkpoint_every={checkpoint_every}: use 0 (never write) or a number of steps")
    device = distributed.setup(cfg.device)
    world, rank = distributed.world_size(), distributed.rank()
    local = distributed.check_batch(cfg.batch_size)
    seed_everything(cfg.seed)
    data = data or load_dataset(cfg.dataset, cfg.image_size, str(device), cfg.data_path)
    model = methods.build(cfg, data.num_classes)
    if world > 1 and cfg.sync_batchnorm:
        model = distributed.convert_batchnorm(model)
    model = model.to(device)
    if cfg.compile:
        model.backbone.compile()  # in place: parameter names (and cached runs) are unchanged
    # online probe: standardise (BN without affine) then linear, on detached representations
    probe = nn.Sequential(nn.BatchNorm1d(cfg.representation_dim, affine=False),
                          nn.Linear(cfg.representation_dim, data.num_classes)).to(device)
    channels_last = uses_channels_last(device) and cfg.backbone != "vit_tiny"
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    lr = cfg.lr_at_batch()
    opt = make_optimizer(cfg.optimizer, param_groups(model.named_parameters(), cfg.weight_decay, lr, model.lr_mults()), lr)
    base_lrs = [gr["lr"] for gr in opt.param_groups]
    probe_opt = torch.optim.AdamW(probe.parameters(), lr=3e-3, weight_decay=1e-4)
    g = generator(device, cfg.seed)
    batches = _Batches(len(data.train_images), cfg.batch_size, g, device)
    probe_x = data.test_images[:PROBE_BATCH]
    probe_y = data.test_labels[:PROBE_BATCH]
    run = Run(cfg, model=model)
    window = torch.zeros(cfg.log_every, device=device)
    parts = dict(model=model, probe=probe, opt=opt, probe_opt=probe_opt)
    first = _resume(checkpoint, cfg, parts, g, batches, run, window) if checkpoint else 0
    start = time.perf_counter() - run.seconds
    bar = tqdm(total=cfg.steps, initial=first, desc=f"{cfg.method} on {cfg.dataset}", disable=not progress or rank > 0,
               leave=False)
    model.train()
    for step in range(first, cfg.steps):
        mult = warmup_cosine(step, cfg.steps, cfg.warmup)
        for gr, base in zip(opt.param_groups, base_lrs):
            gr["lr"] = base * mult
        idx = next(batches)[rank * local:(rank + 1) * local]  # this process's slice of the global batch
        labels = data.train_labels[idx]
        with augment.sharded(rank, world):
            views = augment.multi_crop(data.train_images[idx], cfg, g)
        if channels_last:
            views = [v.contiguous(memory_format=torch.channels_last) for v in views]
        with autocast(device, cfg.precision):
            loss, h, z = model.loss(views, labels)
            probe_loss = F.cross_entropy(probe(h.detach().float()), labels)
        opt.zero_grad(set_to_none=True)
        probe_opt.zero_grad(set_to_none=True)
        (loss + probe_loss).backward()
        distributed.average_gradients(model, probe)
        opt.step()
        probe_opt.step()
        model.after_step(step, cfg.steps)
        window[step % cfg.log_every] = loss.detach().float()
        last = step == cfg.steps - 1
        if (step + 1) % cfg.log_every == 0 or last:
            record = _log(run, step, window[: step % cfg.log_every + 1], z, model, probe, probe_x, probe_y,
                          opt, start, device, cfg)
            bar.set_postfix(loss=f"{record['loss']:.3f}", probe=f"{record['online_probe_acc']:.2f}")
            if callback is not None:
                callback(run, record)
            if run.status == "diverged":
                break
        if checkpoint and checkpoint_every and (step + 1) % checkpoint_every == 0 and not last:
            run.seconds = time.perf_counter() - start
            _save_checkpoint(checkpoint, cfg, parts, g, batches, run, window, step + 1)
        bar.update(1)
    bar.close()
    run.seconds = time.perf_counter() - start
    model.eval()
    run.metrics = {**final_metrics(model, data, cfg, g, device, progress=progress), **run.metrics}
    return run


def _log(run, step, window, z, model, probe, probe_x, probe_y, opt, start, device, cfg) -> dict:
    losses = distributed.mean_over_processes(window).tolist()
    bad = [i for i, v in enumerate(losses) if not math.isfinite(v)]
    first = step - len(losses) + 1
    model.eval()
    probe.eval()
    with torch.no_grad(), autocast(device, cfg.precision):
        acc = float((probe(model.backbone(augment.to_float(probe_x)).float()).argmax(1) == probe_y).float().mean())
    model.train()
    probe.train()
    record = dict(step=step + 1, loss=sum(losses) / len(losses), rankme=metrics.rankme(z),
                  embedding_std=metrics.embedding_std(z), online_probe_acc=acc,
                  lr=opt.param_groups[0]["lr"], time=time.perf_counter() - start)
    run.history.append(record)
    if bad:
        at = first + bad[0] + 1
        run.status = "diverged"
        run.message = (f"{cfg.method} diverged at step {at}: the loss became {losses[bad[0]]}. "
                       f"Try a lower lr (now {cfg.lr}), a longer warmup (now {cfg.warmup}), "
                       f"optimizer='lars' or 'adamw', or smaller loss coefficients. "
                       f"The history up to step {step + 1} is kept in run.history.")
        run.metrics["diverged_at"] = at
        warnings.warn(run.message, RuntimeWarning, stacklevel=3)
    return record


def _save_checkpoint(path, cfg, parts, g, batches, run, window, step) -> None:
    """Everything the loop needs to go on from `step`, written atomically (process 0 only)."""
    if distributed.rank() > 0:
        return
    from .cache import atomic_save  # here: cache imports this module

    atomic_save(dict(config=cfg.to_dict(), step=step, generator=g.get_state().cpu(), batches=batches.state(),
                     window=window.cpu(), history=run.history, seconds=run.seconds,
                     rng_cpu=torch.get_rng_state(),  # the pretext tasks draw rotations and masks from it
                     rng_cuda=torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
                     **{name: part.state_dict() for name, part in parts.items()}), path)


def _resume(path, cfg, parts, g, batches, run, window) -> int:
    """Load a checkpoint if `path` exists; returns the step to go on from (0 without one)."""
    if not os.path.exists(path):
        return 0
    state = torch.load(path, map_location="cpu", weights_only=True)
    if state["config"] != cfg.to_dict():
        diff = sorted(k for k in cfg.to_dict() if state["config"].get(k) != cfg.to_dict()[k])
        raise ValueError(f"the checkpoint {path} is of another run (differs in {', '.join(diff)}); "
                         f"delete it or pass another checkpoint path")
    for name, part in parts.items():
        part.load_state_dict(state[name])
    g.set_state(state["generator"])
    torch.set_rng_state(state["rng_cpu"])
    if state["rng_cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["rng_cuda"])
    batches.load(state["batches"])
    window.copy_(state["window"])
    run.history, run.seconds = state["history"], state["seconds"]
    return state["step"]


@torch.no_grad()
def final_metrics(model, data: ImageData, cfg, g, device, progress: bool = True) -> dict:
    """Probe accuracies on the representation; collapse measures on the test embeddings."""
    with autocast(device, cfg.precision):
        h_tr = evaluate.embed(lambda x: model.backbone(x), data.train_images, progress=progress, desc="train set")
        h_te, z_te = evaluate.embed(model.embed, data.test_images, progress=progress, desc="test set")
        n = min(len(data.test_images), 1024)
        z1 = model.embed(augment.augment(data.test_images[:n], cfg, g))[1].float()
        z2 = model.embed(augment.augment(data.test_images[:n], cfg, g))[1].float()
    return dict(
        linear_acc=evaluate.linear_probe(h_tr, data.train_labels, h_te, data.test_labels),
        knn_acc=evaluate.knn(h_tr, data.train_labels, h_te, data.test_labels),
        rankme=metrics.rankme(z_te), rankme_backbone=metrics.rankme(h_te),
        embedding_std=metrics.embedding_std(z_te), alpha_req=metrics.alpha_req(z_te),
        alignment=metrics.alignment(z1, z2), uniformity=metrics.uniformity(z1),
    )
