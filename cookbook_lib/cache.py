"""`load_or_train(config)`: runs stored on disk, keyed by the config's hash.

Runs live in `COOKBOOK_RUNS` if set, else `<data>/runs/` (see `data.data_root`), one file
per config: `<method>-<hash>.pt` (`<method>-<hash>-<data_key>.pt` for a run on a dataset a
chapter built itself, e.g. a labelled subset or an imbalanced mix) holding the config, history, metrics, status and the
model's weights. Files are written atomically (a temporary file, then a rename) and read
with `torch.load(weights_only=True)`; a damaged file is retrained with a warning.
"""
from __future__ import annotations

import os
import re
import tempfile
import warnings
from pathlib import Path

import torch

from .config import RunConfig
from .data import data_root, load_dataset
from .device import pick_device
from .methods import build
from .train import Run, train


def runs_dir() -> Path:
    return Path(os.environ["COOKBOOK_RUNS"]).expanduser() if os.environ.get("COOKBOOK_RUNS") else data_root() / "runs"


def run_path(config: RunConfig, data_key: str = "") -> Path:
    cfg = config.resolved()
    return runs_dir() / f"{cfg.method}-{cfg.cache_key()}{'-' + data_key if data_key else ''}.pt"


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
                     message=run.message, seconds=run.seconds,
                     state=None if run.model is None else {k: v.detach().cpu() for k, v in run.model.state_dict().items()}),
                path)


def load_run(path: Path, device=None, num_classes: int | None = None) -> Run:
    """Read a stored run back, rebuilding its model on `device` (the config's device by default).
    num_classes: of the data it was trained on (default: the config's dataset)."""
    payload = torch.load(path, map_location="cpu", weights_only=True)
    cfg = RunConfig.from_dict(payload["config"])
    run = Run(cfg, payload["history"], payload["metrics"], payload["status"], payload["message"],
              seconds=payload["seconds"])
    if payload["state"] is not None:
        device = device or pick_device(cfg.device)
        num_classes = num_classes or len(load_dataset(cfg.dataset, cfg.image_size, str(device), cfg.data_path).class_names)
        model = build(cfg, num_classes)
        model.load_state_dict(payload["state"])
        run.model = model.to(device).eval()
    return run


def load_or_train(config: RunConfig, progress: bool = True, callback=None, data=None, data_key: str = "") -> Run:
    """The stored run of this config if there is one, else train it and store it.

    data: an `ImageData` to train on instead of `config.dataset` (see `train`); then
    `data_key` must name it (letters, digits, `._-`), e.g. "5perclass-draw2": it is part of
    the file name, so runs on different data are never mixed up.
    A damaged or unreadable file is reported with a warning and retrained.
    """
    if data is not None and not data_key:
        raise ValueError("load_or_train(config, data=...) needs data_key=...: a short name for that data "
                         "(e.g. data_key='imbalance10'), kept in the cache file name")
    if data_key and not re.fullmatch(r"[A-Za-z0-9._-]+", data_key):
        raise ValueError(f"data_key={data_key!r}: use letters, digits, '.', '_' and '-' only (it is part of a file name)")
    path = run_path(config, data_key)
    if path.exists():
        try:
            run = load_run(path, num_classes=None if data is None else data.num_classes)
            if callback is not None:
                for record in run.history:
                    callback(run, record)
            return run
        except Exception as e:  # noqa: BLE001 - any damage means: retrain
            warnings.warn(f"the cached run {path.name} could not be read ({type(e).__name__}: {e}); "
                          f"training it again", RuntimeWarning, stacklevel=2)
    run = train(config, progress=progress, callback=callback, data=data)
    save_run(run, path)
    return run
