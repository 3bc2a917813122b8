"""`RunConfig`: every knob of a run, typed, validated and hashable.

A knob has one name everywhere: here, on a widget slider, as a command-line flag
(`--projector-depth 3`), in a sweep grid and in the run cache's key.

Knobs whose default is `None` mean "the method's calibrated default": `resolved()` fills
them in from `METHOD_DEFAULTS`, so `RunConfig(method="simclr")` trains healthily as is and
`dataclasses.replace(cfg, method=...)` picks the new method's defaults.
"""
from __future__ import annotations

import dataclasses
import difflib
import hashlib
import json
import re
from dataclasses import dataclass, field

CACHE_VERSION = 2  # bump when a change to the library makes cached runs stale
# Knobs added since CACHE_VERSION 2, with their defaults: at the default they are left out of
# the cache key, so runs a reader cached before the knob existed still load.
NEW_KNOB_DEFAULTS = dict(projector_bn=True, direct_predictor=False)


def knob(default, help, choices=None, range=None, log=False):
    """A config field with the facts a validator, a CLI flag and a slider need."""
    return field(default=default, metadata=dict(help=help, choices=choices, range=range, log=log))


METHODS = ("simclr", "supervised",
           "dcl", "nnclr", "moco", "supcon",            # contrastive (methods_contrastive.py)
           "byol", "simsiam", "dino", "simdino",        # self-distillation (methods_distillation.py)
           "vicreg", "barlow_twins", "swav", "wmse",    # canonical correlation (methods_cca.py)
           "directclr", "rotation", "jigsaw", "inpainting", "mae")  # no projector, pretext (methods_pretext.py)
DATASETS = ("shapes", "digits", "cifar10", "cifar100", "stl10", "imagefolder")
BACKBONES = ("convnet", "resnet18", "vit_tiny")
OPTIMIZERS = ("sgd", "lars", "adamw")

# Calibrated on `shapes` in quick mode (see benchmarks/calibrate_shapes.py).
ADAMW = dict(optimizer="adamw", lr=2e-3, weight_decay=1e-4)  # the shared starting point
METHOD_DEFAULTS = {
    "simclr": dict(**ADAMW, temperature=0.1),
    "supervised": dict(**ADAMW, temperature=0.2),
    # checked to train healthily on shapes and digits; see benchmarks/RESULTS.md for where each stands
    "dcl": dict(**ADAMW, temperature=0.1),
    "nnclr": dict(**ADAMW, temperature=0.1, queue_size=1024),
    "moco": dict(**ADAMW, temperature=0.2, queue_size=1024),
    "supcon": dict(**ADAMW, temperature=0.1),
    "byol": dict(**ADAMW, temperature=0.2),
    "simsiam": dict(**ADAMW, temperature=0.2),
    "dino": dict(**ADAMW, temperature=0.2),
    "simdino": dict(**ADAMW, temperature=0.2),
    "vicreg": dict(**ADAMW, temperature=0.2),
    "barlow_twins": dict(**ADAMW, temperature=0.2),
    "swav": dict(**ADAMW, temperature=0.1, queue_size=0),
    "wmse": dict(**ADAMW, temperature=0.2, embedding_dim=64),
    "directclr": dict(**ADAMW, temperature=0.2),
    "rotation": dict(**ADAMW, temperature=0.2),
    "jigsaw": dict(**ADAMW, temperature=0.2),
    "inpainting": dict(**ADAMW, temperature=0.2, mask_ratio=0.25),
    "mae": dict(optimizer="adamw", lr=1e-3, weight_decay=0.05, temperature=0.2, mask_ratio=0.75),
}
AUTO_KNOBS = ("optimizer", "lr", "weight_decay", "temperature", "queue_size", "mask_ratio", "embedding_dim")
# what a method-specific auto knob resolves to for a method without an entry (it does not use it)
AUTO_FALLBACKS = dict(queue_size=0, mask_ratio=0.75, embedding_dim=128)


@dataclass(frozen=True, init=False)
class RunConfig:
    """Every knob of one training run. Build it with keywords: `RunConfig(method="simclr")`.

    Raises `ValueError` naming the knob, the value and what is allowed for an unknown knob
    (with a "did you mean"), a wrong type, or a value out of range, before any work starts.
    """

    # --- what to train
    method: str = knob("simclr", "the SSL method (or `supervised`, the labelled baseline)", choices=METHODS)
    dataset: str = knob("shapes", "pretraining data: `shapes` and `digits` ship with the cookbook", choices=DATASETS)
    data_path: str = knob("", "where the files of cifar10/cifar100/stl10/imagefolder are; '' = COOKBOOK_DATA or data/")
    image_size: int = knob(32, "images are rendered or resized to this many pixels a side", range=(8, 256))
    # --- the nets
    backbone: str = knob("convnet", "the encoder: a small convnet (fast on CPU), a CIFAR ResNet-18 or a tiny ViT", choices=BACKBONES)
    representation_dim: int = knob(256, "backbone output size (the representation that is probed)", range=(8, 4096), log=True)
    projector_depth: int = knob(2, "linear layers in the projector; 0 = no projector", range=(0, 6))
    projector_width: int = knob(512, "hidden width of the projector", range=(8, 8192), log=True)
    projector_bn: bool = knob(True, "BatchNorm after each hidden projector layer (SimCLR, BYOL, VICReg; kept in ViT heads too, §3.5); False = Linear → ReLU only")
    embedding_dim: int | None = knob(None, "projector output size (the embedding the loss sees); None = the method's default (128; 64 for wmse, whose whitening needs batch_size > embedding_dim)", range=(2, 8192), log=True)
    # --- optimisation
    batch_size: int = knob(128, "images per step (each gives two views)", range=(2, 8192), log=True)
    steps: int = knob(300, "optimiser steps; 0 = no training (the random-init encoder)", range=(0, 10_000_000), log=True)
    optimizer: str | None = knob(None, "sgd, lars or adamw; None = the method's default", choices=OPTIMIZERS)
    lr: float | None = knob(None, "base learning rate at batch 256 (see lr_scaling); None = the method's default", range=(1e-6, 10.0), log=True)
    lr_scaling: str = knob("linear", "lr = base × batch/256 (linear), × √(batch/256) (sqrt) or base as is (none)", choices=("linear", "sqrt", "none"))
    warmup: float = knob(0.1, "fraction of the steps spent warming the lr up linearly, then cosine decay", range=(0.0, 0.9))
    weight_decay: float | None = knob(None, "weight decay; None = the method's default", range=(0.0, 1.0))
    # --- the loss
    temperature: float | None = knob(None, "softmax temperature of contrastive losses; None = the method's default", range=(0.01, 10.0), log=True)
    ema_momentum: float = knob(0.99, "teacher EMA momentum for teacher-student methods (0 = the teacher is the student)", range=(0.0, 1.0))
    ema_schedule: str = knob("constant", "teacher momentum over training: constant at ema_momentum, or cosine from ema_momentum up to 1 (BYOL, DINO)", choices=("constant", "cosine"))
    stop_gradient: bool = knob(True, "no gradient through the target branch (simsiam; byol, dino, simdino, moco when ema_momentum=0); False lets it flow into both branches")
    predictor_depth: int = knob(2, "layers of the predictor of byol, simsiam and nnclr: 0 = no predictor, 1 = linear", range=(0, 6))
    predictor_width: int = knob(512, "hidden width of the predictor", range=(8, 8192), log=True)
    predictor_lr_mult: float = knob(1.0, "the predictor learns at lr × this (a fast predictor can stand in for the EMA teacher, §3.4)", range=(0.01, 100.0), log=True)
    direct_predictor: bool = knob(False, "byol, simsiam: DirectPred (Tian, Chen & Ganguli 2021, arXiv 2102.06810): a linear predictor set from the eigendecomposition of a running correlation of the embeddings, not learned (predictor_width and predictor_lr_mult are unused; predictor_depth must be ≥ 1)")
    # DINO
    dino_center: bool = knob(True, "DINO: centre the teacher's logits (subtract an EMA of their batch mean) before sharpening")
    student_temp: float = knob(0.1, "DINO: softmax temperature of the student", range=(0.01, 10.0), log=True)
    teacher_temp: float = knob(0.04, "DINO: softmax temperature of the teacher (below student_temp: sharpening)", range=(0.005, 10.0), log=True)
    center_momentum: float = knob(0.9, "DINO: EMA momentum of the teacher centre", range=(0.0, 1.0))
    # canonical correlation
    sim_coeff: float = knob(25.0, "VICReg: weight of the invariance term (MSE between the views)", range=(0.0, 1000.0))
    std_coeff: float = knob(25.0, "VICReg: weight of the variance term (0 = no guard against collapse)", range=(0.0, 1000.0))
    cov_coeff: float = knob(1.0, "VICReg: weight of the covariance term (0 = no guard against dimensional collapse)", range=(0.0, 1000.0))
    barlow_lambda: float = knob(5e-3, "Barlow Twins: weight of the off-diagonal (redundancy-reduction) term", range=(0.0, 1.0))
    num_prototypes: int = knob(256, "SwAV: number of learnable prototypes; DINO: output dimension K of the head", range=(2, 65536), log=True)
    queue_size: int | None = knob(None, "queue of past embeddings: MoCo negatives, NNCLR support set, SwAV codes (0 = none); None = the method's default", range=(0, 1_000_000))
    # masked modelling and older pretext tasks
    mask_ratio: float | None = knob(None, "fraction of patches masked by mae and inpainting; None = the method's default (0.75, 0.25)", range=(0.0, 0.95))
    patch_size: int = knob(4, "side in pixels of the patches mae (its tiny ViT) and inpainting mask; image_size must be a multiple", range=(1, 64))
    jigsaw_permutations: int = knob(24, "jigsaw: how many tile orders (of a 3×3 grid) to tell apart: the harder-pretext-task knob", range=(2, 1000), log=True)
    # --- augmentations (strengths; each applied per image with its own random draw)
    crop_min_scale: float = knob(0.5, "random resized crop keeps between this fraction and all of the image area (0.5: shapes stay in view)", range=(0.01, 1.0))
    flip_prob: float = knob(0.5, "probability of a horizontal flip", range=(0.0, 1.0))
    jitter_strength: float = knob(0.5, "colour jitter strength s: brightness, contrast, saturation 0.8s, hue 0.2s", range=(0.0, 2.0))
    jitter_prob: float = knob(0.8, "probability of colour jitter", range=(0.0, 1.0))
    grayscale_prob: float = knob(0.2, "probability of converting to grayscale", range=(0.0, 1.0))
    blur_prob: float = knob(0.0, "probability of a Gaussian blur (σ from 0.1 to 2 pixels)", range=(0.0, 1.0))
    solarize_prob: float = knob(0.0, "probability of solarizing (pixels above half are inverted)", range=(0.0, 1.0))
    num_small_crops: int = knob(0, "multi-crop: extra small views per image besides the two large ones", range=(0, 10))
    small_crop_size: int = knob(16, "side in pixels of the multi-crop small views", range=(4, 256))
    # --- run
    seed: int = knob(0, "random seed: same config and seed give the same metrics on CPU", range=(0, 2**31 - 1))
    device: str = knob("auto", "auto (cuda > mps > cpu, or COOKBOOK_DEVICE), cpu, cuda, cuda:N or mps")
    precision: str = knob("auto", "auto (bf16 autocast on CUDA, fp32 elsewhere), fp32 or bf16", choices=("auto", "fp32", "bf16"))
    compile: bool = knob(False, "torch.compile the backbone: faster steps on a GPU after a warm-up of about a minute (on a CPU it needs a C++ compiler and rarely pays)")
    sync_batchnorm: bool = knob(True, "under torchrun: BatchNorm statistics over the global batch (as one process would see); no effect in one process")
    log_every: int = knob(25, "record loss, RankMe, embedding std and online-probe accuracy every this many steps", range=(1, 1_000_000))

    def __init__(self, *args, **knobs):
        if args:
            raise TypeError("RunConfig takes keywords only, e.g. RunConfig(method='simclr', steps=300)")
        names = [f.name for f in dataclasses.fields(self)]
        for name in knobs:
            if name not in names:
                close = difflib.get_close_matches(name, names, n=1)
                hint = f" Did you mean {close[0]!r}?" if close else ""
                raise ValueError(f"unknown knob {name!r}.{hint} Knobs are: {', '.join(names)}")
        for f in dataclasses.fields(self):
            object.__setattr__(self, f.name, knobs.get(f.name, f.default))
        for f in dataclasses.fields(self):
            _check(f, getattr(self, f.name))
        if self.backbone == "resnet18" and self.image_size < 16:
            raise ValueError(f"image_size={self.image_size} is too small for resnet18: use 16 or more")

    # ------------------------------------------------------------------ helpers
    def resolved(self) -> "RunConfig":
        """A copy with every `None` knob replaced by the method's calibrated default."""
        defaults = METHOD_DEFAULTS[self.method]
        fills = {k: defaults.get(k, AUTO_FALLBACKS.get(k)) for k in AUTO_KNOBS if getattr(self, k) is None}
        return dataclasses.replace(self, **fills) if fills else self

    def replace(self, **changes) -> "RunConfig":
        """A copy with some knobs changed (validated like the constructor)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    @classmethod
    def from_dict(cls, d: dict) -> "RunConfig":
        return cls(**d)

    def cache_key(self) -> str:
        """A stable hash of the resolved knobs (and the cache version): the run's file name."""
        knobs = {k: v for k, v in self.resolved().to_dict().items()
                 if not (k in NEW_KNOB_DEFAULTS and v == NEW_KNOB_DEFAULTS[k])}
        payload = json.dumps({"v": CACHE_VERSION, **knobs}, sort_keys=True)
        return hashlib.sha1(payload.encode()).hexdigest()[:16]

    def lr_at_batch(self) -> float:
        """The learning rate after `lr_scaling`: base × batch/256, × √(batch/256) or base."""
        cfg = self.resolved()
        ratio = cfg.batch_size / 256
        return cfg.lr * {"linear": ratio, "sqrt": ratio ** 0.5, "none": 1.0}[cfg.lr_scaling]


def knob_info(name: str) -> dict:
    """What is known about a knob: type, default, help, choices, range, log-scale."""
    for f in dataclasses.fields(RunConfig):
        if f.name == name:
            return dict(name=name, type=_base_type(f), default=f.default, **f.metadata)
    raise ValueError(f"unknown knob {name!r}")


def knob_names() -> list[str]:
    return [f.name for f in dataclasses.fields(RunConfig)]


def _base_type(f):
    t = str(f.type)
    for name, typ in (("bool", bool), ("int", int), ("float", float), ("str", str)):
        if t.startswith(name):
            return typ
    raise TypeError(f"knob {f.name} has an unsupported type {t}")


def _check(f, value):
    m, typ = f.metadata, _base_type(f)
    nullable = "None" in str(f.type)
    if value is None:
        if nullable:
            return
        raise ValueError(f"{f.name}=None is not allowed: give a {typ.__name__}")
    ok = isinstance(value, typ) and not (typ is not bool and isinstance(value, bool))
    if typ is float and isinstance(value, int) and not isinstance(value, bool):
        ok = True
    if not ok:
        raise ValueError(f"{f.name}={value!r} has the wrong type {type(value).__name__}: "
                         f"it must be a {typ.__name__}{' or None' if nullable else ''}")
    if m["choices"] is not None and value not in m["choices"]:
        close = difflib.get_close_matches(str(value), m["choices"], n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"{f.name}={value!r} is not allowed.{hint} Choose one of: {', '.join(m['choices'])}")
    if m["range"] is not None:
        lo, hi = m["range"]
        if not (lo <= value <= hi) or value != value:
            raise ValueError(f"{f.name}={value!r} is out of range: allowed is {lo} to {hi}")
    if f.name == "device" and not re.fullmatch(r"auto|cpu|mps|cuda(:\d+)?", value):
        raise ValueError(f"device={value!r} is not allowed: use auto, cpu, cuda, cuda:N or mps")
