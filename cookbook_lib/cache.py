"""`load_or_train(config)`: runs stored on disk, keyed by the config's hash.

Runs live in `COOKBOOK_RUNS` if set, else `<data>/runs/` (see `data.data_root`), one file
per config: `<method>-<hash>.pt`, or `<method>-<hash>-<data key>.pt` for a run on a subset
(`ImageData.key`, e.g. `head2048-1024`) or on data a chapter built itself (`data_key=`),
holding the config, history, metrics, status and the model's weights (`runs.save_run`).
Files are written atomically and read with `torch.load(weights_only=True)`; a damaged file
is retrained with a warning. An interrupted run (Ctrl-C) is returned but never stored.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import warnings
from pathlib import Path
from typing import Callable

import torch

from .config import RunConfig
from .data import data_root
from .runs import Run, atomic_save, load_run, save_run
from .train import train


def runs_dir() -> Path:
    return Path(os.environ["COOKBOOK_RUNS"]).expanduser() if os.environ.get("COOKBOOK_RUNS") else data_root() / "runs"


def run_path(config: RunConfig, data_key: str = "", data=None) -> Path:
    """Where the run of `config` (on `data`, or on data named `data_key`) is stored."""
    cfg = config.resolved()
    key = data_key or (getattr(data, "key", "") if data is not None else "")
    return runs_dir() / f"{cfg.method}-{cfg.cache_key()}{'-' + key if key else ''}.pt"


def load_or_train(config: RunConfig, progress: bool = True, callback=None, data=None, data_key: str = "",
                  **train_kw) -> Run:
    """The stored run of this config if there is one, else train it and store it.

    data: an `ImageData` to train on instead of `config.dataset` (see `train`). A subset made
    by `ImageData.head`, `data.long_tailed` or `ImageData.labelled` carries its own key;
    other data needs `data_key=` (letters, digits, `._-`), e.g. "imbalance10": it is part of
    the file name, so runs on different data are never mixed up.
    train_kw: passed to `train` (e.g. `log_fns`, `stop`).
    A damaged or unreadable file is reported with a warning and retrained. A run stopped
    early (`status == "interrupted"`) is returned but not stored.
    """
    data_key = data_key or (getattr(data, "key", "") if data is not None else "")
    if data is not None and not data_key:
        raise ValueError("load_or_train(config, data=...) needs data with a key (a subset from ImageData.head, "
                         "ImageData.labelled or data.long_tailed) or data_key=...: a short name for that data "
                         "(e.g. data_key='imbalance10'), kept in the cache file name")
    if data_key and not re.fullmatch(r"[A-Za-z0-9._-]+", data_key):
        raise ValueError(f"data_key={data_key!r}: use letters, digits, '.', '_' and '-' only (it is part of a file name)")
    path = run_path(config, data_key)
    if path.exists():
        try:
            run = load_run(path, num_classes=None if data is None else data.num_classes)
            wanted = set(train_kw.get("log_fns") or {})
            if wanted and not all(wanted <= set(r) for r in run.history):
                # stored before these extra numbers were asked for: train it again, with them
                warnings.warn(f"the cached run {path.name} has no {', '.join(sorted(wanted))} in its history; "
                              f"training it again to record them", RuntimeWarning, stacklevel=2)
            else:
                config.warn_ignored(stacklevel=3)  # loading it: the same run whatever the ignored knobs say
                if callback is not None:
                    for record in run.history:
                        callback(run, record)
                return run
        except Exception as e:  # noqa: BLE001 - any damage means: retrain
            warnings.warn(f"the cached run {path.name} could not be read ({type(e).__name__}: {e}); "
                          f"training it again", RuntimeWarning, stacklevel=2)
    run = train(config, progress=progress, callback=callback, data=data, **train_kw)
    if run.status != "interrupted":
        save_run(run, path)
    return run


def load_or_fit(name: str, params: dict, fit: Callable[[], tuple], build: Callable[[], "torch.nn.Module"]):
    """For training loops that are not a `RunConfig` (chapter 15's SCARF, CLIP, VICRegL):
    (model, history) stored in the run folder as `beyond-<name>-<hash of params>.pt`, else
    `fit()` and store. `build()` makes an untrained model of the same architecture to load
    the weights into. A damaged file is retrained with a warning, as in `load_or_train`.
    """
    key = hashlib.sha1(json.dumps(params, sort_keys=True, default=str).encode()).hexdigest()[:12]
    path = runs_dir() / f"beyond-{name}-{key}.pt"
    if path.exists():
        try:
            payload = torch.load(path, map_location="cpu", weights_only=True)
            model = build()
            model.load_state_dict(payload["state"])
            return model.eval(), payload["history"]
        except Exception as e:  # noqa: BLE001 - a damaged file is retrained, with a warning
            warnings.warn(f"the cached run {path.name} could not be read ({type(e).__name__}: {e}); training it again",
                          RuntimeWarning, stacklevel=2)
    model, history = fit()
    atomic_save({"state": {k: v.detach().cpu() for k, v in model.state_dict().items()}, "history": history}, path)
    return model.eval(), history
