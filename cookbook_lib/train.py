"""`train(config) -> Run`: the training loop, the online probe, the history and final metrics.

Per step: slice a batch of uint8 images already on the device, augment it there, one
forward/backward/optimiser step (bf16 autocast and channels_last on CUDA), one step of the
online linear probe on detached representations. Every `log_every` steps (the only host
synchronisation): record the mean loss of the window, RankMe and embedding std of the
batch's embeddings, the online probe's accuracy on held-out clean images, and any extra
`log_fns`. A NaN/inf loss stops the run and keeps the history so far (`status="diverged"`).

Ctrl-C (or Jupyter's stop button, or `stop()` returning True, e.g. a panel's Stop button)
ends the run after the current step: `train` returns the run so far with
`status="interrupted"`, its history and the metrics it can compute cheaply (RankMe and
embedding std of the test embeddings, the online probe's last accuracy); no probe is fitted.

Under `torchrun` each process trains on its slice of the global batch and the run follows
the same trajectory as one process (see `distributed`). With `checkpoint=PATH` the state is
written there every `checkpoint_every` steps and an interrupted run resumes from it, ending
exactly where the uninterrupted run would. All random draws (augmentation, batches and the
pretext tasks' rotations, tiles and masks) come from the run's own generator.
"""
from __future__ import annotations

import math
import os
import time
import warnings
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F
from tqdm.auto import tqdm

from . import augment, distributed, evaluate, methods, metrics
from .config import RunConfig
from .data import ImageData, load_dataset
from .device import autocast, generator, pick_device, seed_everything, uses_channels_last
from .optim import make_optimizer, param_groups, warmup_constant, warmup_cosine
from .runs import Run, atomic_save

PROBE_BATCH = 512  # held-out clean images the online probe is scored on at each log step


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


@dataclass
class _Loop:
    """Everything the loop, its logging and its checkpoints share."""

    cfg: RunConfig
    device: torch.device
    data: ImageData
    model: nn.Module
    probe: nn.Module
    opt: torch.optim.Optimizer
    probe_opt: torch.optim.Optimizer
    g: torch.Generator
    batches: _Batches
    run: Run
    window: torch.Tensor
    log_fns: dict
    start: float = 0.0

    def parts(self) -> dict:
        return dict(model=self.model, probe=self.probe, opt=self.opt, probe_opt=self.probe_opt)


def train(config: RunConfig, progress: bool = True, callback=None, data: ImageData | None = None,
          checkpoint: str | os.PathLike | None = None, checkpoint_every: int = 0,
          log_fns: dict | None = None, stop=None) -> Run:
    """Train the method a `RunConfig` describes and evaluate it.

    progress: show a tqdm progress bar. callback(run, record): called at every log step with
    the run so far (for live dashboards). data: an `ImageData` to use instead of
    `config.dataset` (e.g. a re-balanced or mixed dataset built in a chapter).
    checkpoint: a file to resume from if it exists, and to write every `checkpoint_every`
    steps (0 = only resume). A checkpoint of another config is refused.
    log_fns: {name: fn(model, z) -> float}: extra numbers recorded in the history at each log
    step (z: the embeddings of the step's first view; the model is in eval mode, under
    no_grad and the run's autocast: bf16 on CUDA).
    stop: a callable checked after every step; when it returns True the run ends as if
    interrupted (`status="interrupted"`).
    Returns a `Run`; `steps=0` evaluates the random-init encoder.
    Under torchrun, `batch_size` is the global batch (it must divide by the process count).
    """
    cfg = config.resolved()
    if checkpoint_every < 0:
        raise ValueError(f"checkpoint_every={checkpoint_every}: use 0 (never write) or a number of steps")
    if log_fns is not None and not all(callable(f) for f in log_fns.values()):
        raise ValueError("log_fns must map names to functions fn(model, z) -> float")
    config.warn_ignored(stacklevel=3)
    device = distributed.setup(cfg.device)
    world, rank = distributed.world_size(), distributed.rank()
    local = distributed.check_batch(cfg.batch_size)
    seed_everything(cfg.seed)
    data = data or load_dataset(cfg.dataset, cfg.image_size, device, cfg.data_path)
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
    groups = param_groups(model.named_parameters(), cfg.weight_decay, lr, model.lr_mults())
    opt = make_optimizer(cfg.optimizer, groups, lr)
    constant = cfg.predictor_lr_schedule == "constant"  # only methods with a learned predictor have its groups
    sched = torch.optim.lr_scheduler.LambdaLR(opt, [  # every group warms up; a constant predictor lr does not decay
        (lambda step: warmup_constant(step, cfg.steps, cfg.warmup)) if constant and g["prefix"] == "predictor."
        else (lambda step: warmup_cosine(step, cfg.steps, cfg.warmup)) for g in groups])
    g = generator(device, cfg.seed)
    model.rng = g  # the pretext tasks draw rotations, tiles and masks from the run's generator
    loop = _Loop(cfg, device, data, model, probe, opt, torch.optim.AdamW(probe.parameters(), lr=3e-3, weight_decay=1e-4),
                 g, _Batches(len(data.train_images), cfg.batch_size, g, device),
                 Run(cfg, model=model, num_classes=data.num_classes), torch.zeros(cfg.log_every, device=device),
                 dict(log_fns or {}))
    run = loop.run
    first = _resume(loop, checkpoint) if checkpoint else 0
    if first:  # the schedule goes on from the step the checkpoint reached
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "scheduler.step() before optimizer.step()": intended here
            sched.last_epoch = first - 1
            sched.step()
    loop.start = time.perf_counter() - run.seconds
    bar = tqdm(total=cfg.steps, initial=first, desc=f"{cfg.method} on {cfg.dataset}", disable=not progress or rank > 0,
               leave=False)
    model.train()
    taken, z = first, None  # steps whose update is done
    try:
        for step in range(first, cfg.steps):
            idx = next(loop.batches)[rank * local:(rank + 1) * local]  # this process's slice of the global batch
            labels = data.train_labels[idx]
            with augment.sharded(rank, world):
                views = augment.multi_crop(data.train_images[idx], cfg, g)
                if channels_last:
                    views = [v.contiguous(memory_format=torch.channels_last) for v in views]
                with autocast(device, cfg.precision):
                    loss, h, z = model.loss(views, labels)
                    probe_loss = F.cross_entropy(probe(h.detach().float()), labels)
            opt.zero_grad(set_to_none=True)
            loop.probe_opt.zero_grad(set_to_none=True)
            (loss + probe_loss).backward()
            distributed.average_gradients(model, probe)
            opt.step()
            loop.probe_opt.step()
            model.after_step(step, cfg.steps)
            taken = step + 1
            loop.window[step % cfg.log_every] = loss.detach().float()
            last = step == cfg.steps - 1
            if (step + 1) % cfg.log_every == 0 or last:
                record = _log(loop, step, z)
                bar.set_postfix(loss=f"{record['loss']:.3f}", probe=f"{record['online_probe_acc']:.2f}")
                if callback is not None:
                    callback(run, record)
                if run.status == "diverged":
                    break
            if checkpoint and checkpoint_every and (step + 1) % checkpoint_every == 0 and not last:
                run.seconds = time.perf_counter() - loop.start
                _save_checkpoint(loop, checkpoint, step + 1)
            sched.step()  # the lr of the next step (LambdaLR: base × warmup_cosine)
            bar.update(1)
            if stop is not None and stop() and not last:
                raise KeyboardInterrupt
    except KeyboardInterrupt:
        run.status = "interrupted"
        done = len(run.history) and run.history[-1]["step"]
        run.message = (f"stopped after {taken} of {cfg.steps} steps; the history up to step {done} is kept. "
                       f"An interrupted run is never cached.")
    finally:
        bar.close()
    run.seconds = time.perf_counter() - loop.start
    model.eval()
    if run.status == "interrupted":
        run.metrics = {**_cheap_metrics(loop), **run.metrics}
    else:
        run.metrics = {**final_metrics(model, data, cfg, g, device, progress=progress), **run.metrics}
    return run


def untrained(config: RunConfig, data: ImageData | None = None) -> Run:
    """`config`'s network at its random initialisation, seeded as `train` seeds it, with no
    training and no evaluation (`Run.metrics` is empty): the random-init baseline when you
    embed and probe yourself. `train(config.replace(steps=0))` builds the same network and
    also measures it (embedding and probing every image: seconds on a CPU)."""
    cfg = config.resolved()
    seed_everything(cfg.seed)
    num_classes = data.num_classes if data is not None else load_dataset(cfg.dataset, cfg.image_size, "cpu",
                                                                          cfg.data_path).num_classes
    model = methods.build(cfg, num_classes).to(pick_device(cfg.device)).eval()
    return Run(cfg.replace(steps=0), name="random init", model=model, num_classes=num_classes)


def _log(loop: _Loop, step: int, z: torch.Tensor) -> dict:
    cfg, run, model, probe = loop.cfg, loop.run, loop.model, loop.probe
    losses = distributed.mean_over_processes(loop.window[: step % cfg.log_every + 1]).tolist()
    bad = [i for i, v in enumerate(losses) if not math.isfinite(v)]
    first = step - len(losses) + 1
    model.eval()
    probe.eval()
    x, y = loop.data.test_images[:PROBE_BATCH], loop.data.test_labels[:PROBE_BATCH]
    with torch.no_grad(), autocast(loop.device, cfg.precision):
        acc = float((probe(model.backbone(augment.to_float(x)).float()).argmax(1) == y).float().mean())
        extra = {name: float(fn(model, z)) for name, fn in loop.log_fns.items()}
    model.train()
    probe.train()
    record = dict(step=step + 1, loss=sum(losses) / len(losses), rankme=metrics.rankme(z),
                  embedding_std=metrics.embedding_std(z), online_probe_acc=acc,
                  lr=loop.opt.param_groups[0]["lr"], time=time.perf_counter() - loop.start, **extra)
    run.history.append(record)
    if bad:
        at = first + bad[0] + 1
        run.status = "diverged"
        run.message = (f"{cfg.method} diverged at step {at}: the loss became {losses[bad[0]]}. "
                       f"Try a lower lr (now {cfg.lr}), a longer warmup (now {cfg.warmup}), "
                       f"optimizer='lars' or 'adamw', or smaller loss coefficients. "
                       f"The history up to step {step + 1} is kept in run.history.")
        run.metrics["diverged_at"] = at
        warnings.warn(run.message, RuntimeWarning, stacklevel=4)
    return record


def _save_checkpoint(loop: _Loop, path, step: int) -> None:
    """Everything the loop needs to go on from `step`, written atomically (process 0 only)."""
    if distributed.rank() > 0:
        return
    atomic_save(dict(config=loop.cfg.to_dict(), step=step, generator=loop.g.get_state().cpu(),
                     batches=loop.batches.state(), window=loop.window.cpu(), history=loop.run.history,
                     seconds=loop.run.seconds, **{name: part.state_dict() for name, part in loop.parts().items()}),
                path)


def _resume(loop: _Loop, path) -> int:
    """Load a checkpoint if `path` exists; returns the step to go on from (0 without one)."""
    if not os.path.exists(path):
        return 0
    state = torch.load(path, map_location="cpu", weights_only=True)
    cfg = loop.cfg
    if state["config"] != cfg.to_dict():
        diff = sorted(k for k in cfg.to_dict() if state["config"].get(k) != cfg.to_dict()[k])
        raise ValueError(f"the checkpoint {path} is of another run (differs in {', '.join(diff)}); "
                         f"delete it or pass another checkpoint path")
    for name, part in loop.parts().items():
        part.load_state_dict(state[name])
    loop.g.set_state(state["generator"])
    loop.batches.load(state["batches"])
    loop.window.copy_(state["window"])
    loop.run.history, loop.run.seconds = state["history"], state["seconds"]
    return state["step"]


@torch.no_grad()
def _cheap_metrics(loop: _Loop) -> dict:
    """What an interrupted run can report at once: collapse measures of up to 1,024 test
    embeddings and the online probe's last accuracy (no probe is fitted)."""
    x = loop.data.test_images[:1024]
    with autocast(loop.device, loop.cfg.precision):
        h, z = evaluate.embed(loop.model.embed, x, progress=False)
    last = loop.run.history[-1] if loop.run.history else {}
    return dict(rankme=metrics.rankme(z), rankme_backbone=metrics.rankme(h), embedding_std=metrics.embedding_std(z),
                online_probe_acc=last.get("online_probe_acc", float("nan")))


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
