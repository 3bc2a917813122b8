"""`Run`, and saving and loading runs: a leaf that imports no training.

A `Run` is one training run: its resolved config, per-log-step history, final metrics and
(when it is in memory) its model. `save_run` / `load_run` write and read it with
`atomic_save` (a temporary file and a rename) and `torch.load(weights_only=True)`.
`train.py` and `cache.py` both import this module, never each other.
"""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.nn as nn

from . import evaluate
from .config import RunConfig
from .device import pick_device
from .methods import build, catalog


@dataclass
class Run:
    """One training run: its (resolved) config, per-log-step history, final metrics and model."""

    config: RunConfig
    history: list = field(default_factory=list)  # dicts: step, loss, rankme, embedding_std, online_probe_acc, lr, time
    metrics: dict = field(default_factory=dict)  # linear_acc, knn_acc, rankme, rankme_backbone, embedding_std, ...
    status: str = "ok"  # "ok", "diverged" or "interrupted" (Ctrl-C / the panel's Stop: never cached)
    message: str = ""
    model: nn.Module | None = None
    seconds: float = 0.0  # training time, without the final evaluation
    name: str = ""
    num_classes: int = 0  # of the data it trained on (to rebuild the model without loading the data)

    def __post_init__(self):
        self.name = self.name or self.config.method

    @property
    def embedding_dim(self) -> int:
        """The size of the embedding z its collapse metrics see: the projector output, or the
        representation when there is no projector (`projector_depth=0`, supervised, MAE,
        inpainting). The healthy embedding std is 1/√(this)."""
        return catalog.embedding_dim(self.config.resolved())

    def embed(self, images: torch.Tensor):
        """(representation h, embedding z) of uint8 or [0, 1] images, in eval mode, batched."""
        self.model.eval()
        device = next(self.model.parameters()).device
        return evaluate.embed(self.model.embed, images.to(device))

    def __repr__(self):
        m = ", ".join(f"{k}={v:.3g}" for k, v in self.metrics.items() if isinstance(v, float))
        return f"Run({self.name}, {self.status}, {len(self.history)} log steps, {self.seconds:.1f}s; {m})"


def atomic_save(obj, path) -> None:
    """`torch.save` through a temporary file in the same folder and a rename: readers never see
    a half-written file, and a failed write leaves the old file (and no temporary) behind."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(obj, f)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_run(run: Run, path: Path) -> None:
    """Write a run atomically (`atomic_save`)."""
    atomic_save(dict(config=run.config.to_dict(), history=run.history, metrics=run.metrics, status=run.status,
                     message=run.message, seconds=run.seconds, num_classes=run.num_classes,
                     state=None if run.model is None else {k: v.detach().cpu() for k, v in run.model.state_dict().items()}),
                path)


def load_run(path: Path, device=None, num_classes: int | None = None, model: bool = True) -> Run:
    """Read a stored run back, rebuilding its model on `device` (the config's device by
    default; `model=False`: no model, just the config, history, metrics and status).

    num_classes: of the data it was trained on; by default the number stored with the run
    (no dataset is loaded)."""
    payload = torch.load(path, map_location="cpu", weights_only=True)
    cfg = RunConfig.from_dict(payload["config"])
    state = payload["state"]
    if not num_classes:
        # runs store it; a run written before they did tells it through its classifier, if any
        num_classes = payload.get("num_classes") or (len(state["classifier.weight"])
                                                      if state is not None and "classifier.weight" in state else 0)
    run = Run(cfg, payload["history"], payload["metrics"], payload["status"], payload["message"],
              seconds=payload["seconds"], num_classes=num_classes)
    if state is not None and model:
        net = build(cfg, max(num_classes, 1))
        net.load_state_dict(state)
        run.model = net.to(device or pick_device(cfg.device)).eval()
    return run
