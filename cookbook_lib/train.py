"""`train(config) -> Run`: the training loop, the online probe, the history and final metrics.

Per step: slice a batch of uint8 images already on the device, augment it there, one
forward/backward/optimiser step (bf16 autocast and channels_last on CUDA), one step of the
online linear probe on detached representations. Every `log_every` steps (the only host
synchronisation): record the mean loss of the window, RankMe and embedding std of the
batch's embeddings, and the online probe's accuracy on held-out clean images.
A NaN/inf loss stops the run and keeps the history so far (`run.status == "diverged"`).
"""
from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass, field

import torch
import torch.nn as nn
import torch.nn.functional as F
from tqdm.auto import tqdm

from . import augment, evaluate, methods, metrics
from .config import RunConfig
from .data import ImageData, load_dataset
from .device import autocast, generator, pick_device, seed_everything, uses_channels_last
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


def _batches(n: int, batch_size: int, g: torch.Generator, device):
    """Endless batches of indices, each epoch a fresh permutation (last short batch dropped)."""
    batch_size = min(batch_size, n)
    while True:
        perm = torch.randperm(n, generator=g, device=g.device).to(device)
        for a in range(0, n - batch_size + 1, batch_size):
            yield perm[a:a + batch_size]


def train(config: RunConfig, progress: bool = True, callback=None, data: ImageData | None = None) -> Run:
    """Train the method a `RunConfig` describes and evaluate it.

    progress: show a tqdm progress bar. callback(run, record): called at every log step with
    the run so far (for live dashboards). data: an `ImageData` to use instead of
    `config.dataset` (e.g. a re-balanced or mixed dataset built in a chapter).
    Returns a `Run`; `steps=0` evaluates the random-init encoder.
    """
    cfg = config.resolved()
    device = pick_device(cfg.device)
    seed_everything(cfg.seed)
    data = data or load_dataset(cfg.dataset, cfg.image_size, str(device), cfg.data_path)
    model = methods.build(cfg, data.num_classes).to(device)
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
    batches = _batches(len(data.train_images), cfg.batch_size, g, device)
    probe_x = data.test_images[:PROBE_BATCH]
    probe_y = data.test_labels[:PROBE_BATCH]
    run = Run(cfg, model=model)
    window = torch.zeros(cfg.log_every, device=device)
    start = time.perf_counter()
    bar = tqdm(total=cfg.steps, desc=f"{cfg.method} on {cfg.dataset}", disable=not progress, leave=False)
    model.train()
    for step in range(cfg.steps):
        mult = warmup_cosine(step, cfg.steps, cfg.warmup)
        for gr, base in zip(opt.param_groups, base_lrs):
            gr["lr"] = base * mult
        idx = next(batches)
        labels = data.train_labels[idx]
        views = augment.multi_crop(data.train_images[idx], cfg, g)
        if channels_last:
            views = [v.contiguous(memory_format=torch.channels_last) for v in views]
        with autocast(device, cfg.precision):
            loss, h, z = model.loss(views, labels)
            probe_loss = F.cross_entropy(probe(h.detach().float()), labels)
        opt.zero_grad(set_to_none=True)
        probe_opt.zero_grad(set_to_none=True)
        (loss + probe_loss).backward()
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
        bar.update(1)
    bar.close()
    run.seconds = time.perf_counter() - start
    model.eval()
    run.metrics = {**final_metrics(model, data, cfg, g, device, progress=progress), **run.metrics}
    return run


def _log(run, step, window, z, model, probe, probe_x, probe_y, opt, start, device, cfg) -> dict:
    losses = window.tolist()
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
