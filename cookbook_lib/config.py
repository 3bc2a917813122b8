"""`RunConfig`: every knob of a run, typed, validated and hashable, and the knob table.

A knob has one name everywhere: here, on a widget slider, as a command-line flag
(`--projector-depth 3`), in a sweep grid and in the run cache's key. Everything known about
a knob lives in its `knob(...)` field: help, type, range, choices, log scale, slider stops,
and what the collapse doctor suggests trying with it (`hint`).

Knobs whose default is `None` mean "the method's recipe": `resolved()` fills them in from the
method catalog (`methods/catalog.py`), so `RunConfig(method="simclr")` trains healthily as is
and `dataclasses.replace(cfg, method=...)` picks the new method's recipe.

Every check that involves two knobs (W-MSE's batch against its embedding, patch sizes
against the image, DirectCLR's slice, DirectPred's depth, ResNet-18's smallest image, the
multi-crop size) runs when the config is built: before any data is loaded.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import numbers
import re
import warnings
from dataclasses import dataclass, field

from .methods import catalog
from .names import did_you_mean  # noqa: F401 (re-exported: config.did_you_mean)
from .methods.catalog import AUTO_KNOBS, METHODS

CACHE_VERSION = 3  # bump when a change to the library makes cached runs stale


def knob(default, help, choices=None, range=None, log=False, stops=None, pow2=False, slider=None, hint=None):
    """A config field with the facts a validator, a CLI flag, a slider and the doctor need.

    range: what the validator allows; slider: the narrower span a slider shows; stops: the
    slider's values where the useful ones crowd near one end; pow2: sizes, with stops at
    powers of two; hint: what to try with this knob when a run collapses or diverges."""
    return field(default=default, metadata=dict(help=help, choices=choices, range=range, log=log, stops=stops,
                       pow2=pow2, slider=slider, hint=hint))


DATASETS = ("shapes", "digits", "scattered_digits", "cifar10", "cifar100", "stl10", "imagefolder")
BACKBONES = ("convnet", "resnet18", "vit_tiny")
OPTIMIZERS = ("sgd", "lars", "adamw")


@dataclass(frozen=True, init=False)
class RunConfig:
    """Every knob of one training run. Build it with keywords: `RunConfig(method="simclr")`.

    Raises `ValueError` naming the knob, the value and what is allowed for an unknown knob
    (with a "did you mean"), a wrong type, or a value out of range, before any work starts.
    """

    # --- what to train
    method: str = knob("simclr", "the SSL method (or `supervised`, the labelled baseline)", choices=METHODS)
    dataset: str = knob("shapes", "pretraining data: `shapes`, `digits` and `scattered_digits` ship with the cookbook",
                        choices=DATASETS)
    data_path: str = knob("", "where the files of cifar10/cifar100/stl10/imagefolder are; '' = COOKBOOK_DATA or data/")
    image_size: int = knob(32, "images are rendered or resized to this many pixels a side", range=(8, 256),
                       slider=(8, 128))
    # --- the nets
    backbone: str = knob("convnet", "the encoder: a small convnet (fast on CPU), a CIFAR ResNet-18 or a tiny ViT", choices=BACKBONES)
    representation_dim: int = knob(256, "backbone output size (the representation that is probed)", range=(8, 4096), log=True,
                       slider=(8, 2048), pow2=True, hint='a wider representation')
    projector_depth: int = knob(2, "linear layers in the projector; 0 = no projector", range=(0, 6), hint='a projector (depth ≥ 2) takes the collapse, the representation keeps its rank (Jing et al.)')
    projector_width: int = knob(512, "hidden width of the projector", range=(8, 8192), log=True, slider=(8, 4096), pow2=True, hint='a wider projector hidden layer')
    projector_bn: bool = knob(True, "BatchNorm after each hidden projector layer (SimCLR, BYOL, VICReg; kept in ViT heads too, §3.5); False = Linear → ReLU only")
    embedding_dim: int | None = knob(None, "projector output size (the embedding the loss sees); None = the method's default (128; 1024 for barlow_twins; 64 for wmse, whose whitening needs batch_size > embedding_dim)", range=(2, 8192), log=True,
                       slider=(2, 2048), pow2=True, hint='change the embedding size: the loss may not fill a wide one')
    # --- optimisation
    batch_size: int = knob(128, "images per step (each gives two views)", range=(2, 8192), log=True, slider=(4, 1024), pow2=True, hint='a larger batch: more negatives per step and steadier batch statistics')
    steps: int = knob(300, "optimiser steps; 0 = no training (the random-init encoder)", range=(0, 10_000_000), log=True,
                       slider=(0, 20000), hint='train longer: early in training the spectrum is still filling up')
    optimizer: str | None = knob(None, "sgd, lars or adamw; None = the method's default", choices=OPTIMIZERS,
                       hint='adamw or lars forgive a large lr better than sgd')
    lr: float | None = knob(None, "base learning rate at batch 256 (see lr_scaling); None = the method's default", range=(1e-6, 10.0), log=True,
                       hint='lower it (e.g. ÷3 or ÷10)')
    lr_scaling: str = knob("linear", "lr = base × batch/256 (linear), × √(batch/256) (sqrt) or base as is (none)", choices=("linear", "sqrt", "none"))
    warmup: float = knob(0.1, "fraction of the steps spent warming the lr up linearly, then cosine decay", range=(0.0, 0.9),
                       hint='a longer linear warmup (e.g. 0.1–0.2 of the steps)')
    weight_decay: float | None = knob(None, "weight decay; None = the method's default", range=(0.0, 1.0),
                       hint='less weight decay')
    # --- the loss
    temperature: float | None = knob(None, "softmax temperature of contrastive losses; None = the method's default", range=(0.01, 10.0), log=True,
                       hint='try 0.1–0.5: it sets how hard the closest negatives push')
    ema_momentum: float = knob(0.99, "teacher EMA momentum for teacher-student methods (0 = the teacher is the student)", range=(0.0, 1.0),
                       stops=[0.0, 0.5, 0.9, 0.95, 0.98, 0.99, 0.996, 0.999, 1.0], hint='raise it towards 0.99–0.996 so the teacher moves slowly')
    ema_schedule: str = knob("constant", "teacher momentum over training: constant at ema_momentum, or cosine from ema_momentum up to 1 (BYOL, DINO)", choices=("constant", "cosine"),
                       hint="'cosine' takes the teacher momentum up to 1 over training")
    stop_gradient: bool = knob(True, "no gradient through the target branch (simsiam; byol, dino, simdino, moco when ema_momentum=0); False lets it flow into both branches",
                       hint='set it True: without a stop-gradient the target branch collapses with the online one')
    predictor_depth: int = knob(2, "layers of the predictor of byol, simsiam and nnclr: 0 = no predictor, 1 = linear", range=(0, 6),
                       hint='use a predictor (2 layers is standard, 0 removes the asymmetry that prevents collapse)')
    predictor_width: int = knob(512, "hidden width of the predictor", range=(8, 8192), log=True, slider=(8, 4096), pow2=True)
    predictor_lr_mult: float | None = knob(None, "the predictor learns at lr × this (a fast predictor can stand in for the EMA teacher, §3.4); None = the method's recipe (BYOL 10, others 1)", range=(0.01, 100.0), log=True,
                       hint='a faster predictor (e.g. 10) can stand in for a slow teacher (Cookbook §3.4)')
    predictor_lr_schedule: str = knob("cosine", "the predictor's lr over training: the same warmup and cosine decay as every other weight, or constant after the warmup (SimSiam's finding: a predictor whose lr does not decay)",
                       choices=("cosine", "constant"), hint="keep the predictor's lr constant (SimSiam, Chen & He 2020, §4.3)")
    direct_predictor: bool = knob(False, "byol, simsiam: DirectPred (Tian, Chen & Ganguli 2021, arXiv 2102.06810): a linear predictor set from the eigendecomposition of a running correlation of the embeddings, not learned (predictor_width and predictor_lr_mult are unused; predictor_depth must be ≥ 1)")
    # DINO
    dino_center: bool = knob(True, "DINO: centre the teacher's logits (subtract an EMA of their batch mean) before sharpening",
                       hint='keep centring on: it stops one prototype from taking every image')
    student_temp: float = knob(0.1, "DINO: softmax temperature of the student", range=(0.01, 10.0), log=True)
    teacher_temp: float = knob(0.04, "DINO: softmax temperature of the teacher (below student_temp: sharpening)", range=(0.005, 10.0), log=True,
                       hint='keep it below student_temp (sharpening), 0.04–0.07 is usual')
    koleo_weight: float = knob(0.0, "DINO: weight of DINOv2's KoLeo term, which spreads the representations of the large views apart (DINOv2: 0.1); 0 = off", range=(0.0, 10.0),
                       hint="a KoLeo term (DINOv2 uses 0.1) spreads the representations apart")
    center_momentum: float = knob(0.9, "DINO: EMA momentum of the teacher centre", range=(0.0, 1.0), stops=[0.0, 0.5, 0.8, 0.9, 0.95, 0.99, 1.0], hint='0.9 is usual; a centre that follows the batch too fast or slow unbalances the teacher')
    coding_rate_weight: float = knob(0.05, "SimDINO: weight γ of the coding-rate term that keeps the student's batch spread out; 0 = none: nothing stops collapse", range=(0.0, 10.0),
                       hint="raise it (the cookbook's SimDINO uses 0.05; 0 lets the embeddings collapse)")
    # canonical correlation
    sim_coeff: float = knob(25.0, "VICReg: weight of the invariance term (MSE between the views)", range=(0.0, 1000.0),
                       slider=(0.0, 100.0), hint='lower the invariance weight relative to std_coeff and cov_coeff')
    std_coeff: float = knob(25.0, "VICReg: weight of the variance term (0 = no guard against collapse)", range=(0.0, 1000.0),
                       slider=(0.0, 100.0), hint='raise it (VICReg uses 25): the variance hinge keeps every dimension spread')
    cov_coeff: float = knob(1.0, "VICReg: weight of the covariance term (0 = no guard against dimensional collapse)", range=(0.0, 1000.0),
                       slider=(0.0, 100.0), hint='raise it (VICReg uses 1; 0 lets dimensions become copies of each other)')
    barlow_lambda: float = knob(5e-3, "Barlow Twins: weight of the off-diagonal (redundancy-reduction) term", range=(0.0, 1.0),
                       hint='raise the redundancy-reduction weight (5e-3 is the default)')
    num_prototypes: int | None = knob(None, "SwAV, MSN: number of learnable prototypes; DINO: output dimension K of the head; None = the method's default (256; 32 for msn)", range=(2, 65536), log=True,
                       slider=(2, 4096), pow2=True, hint='more prototypes give the assignments more directions to use')
    sinkhorn_iters: int = knob(3, "SwAV, MSN: Sinkhorn-Knopp iterations that make the codes (MSN: the targets) an equal partition of the batch over the prototypes; 0 = none: each code is the sample's own sharpened softmax, so one prototype can take every image", range=(0, 100),
                       stops=[0, 1, 2, 3, 5, 10], hint="keep Sinkhorn on (SwAV uses 3 iterations): the equal partition stops one prototype from taking every image")
    whitening: bool = knob(True, "W-MSE: whiten each view's batch of embeddings before the MSE; False = the MSE of the normalised embeddings alone: nothing stops collapse",
                       hint="keep whitening on: it is what stops W-MSE's embeddings from collapsing")
    queue_size: int | None = knob(None, "queue of past embeddings: MoCo negatives, NNCLR support set, SwAV codes (0 = none); None = the method's default", range=(0, 1_000_000),
                       slider=(0, 65536), pow2=True, hint='a queue gives more negatives / codes than one batch holds')
    # after the cookbook: LeJEPA
    sigreg_lambda: float | None = knob(None, "LeJEPA: weight λ of SIGReg (the prediction loss gets 1 − λ); 0 = no regulariser: the embeddings collapse; None = the method's default (0.02)", range=(0.0, 1.0),
                       hint="raise it (LeJEPA's paper uses 0.05; 0 lets the embeddings collapse)")
    sigreg_slices: int = knob(1024, "LeJEPA: random 1-D directions SIGReg tests the embeddings along, drawn afresh each step", range=(1, 65536), log=True,
                       pow2=True, slider=(1, 8192), hint="more directions test the embedding's distribution more thoroughly")
    sigreg_t_max: float = knob(3.0, "LeJEPA: SIGReg integrates the characteristic functions over t in [-t_max, t_max]", range=(0.5, 10.0))
    sigreg_knots: int = knob(17, "LeJEPA: trapezoid points of SIGReg's integral over [0, t_max]", range=(3, 257))
    # after the cookbook: I-JEPA, MSN, DINOv2's iBOT term
    num_target_blocks: int = knob(4, "I-JEPA: blocks of patches the predictor must predict per image (I-JEPA: 4)", range=(1, 16),
                       hint="more target blocks: more to predict from one context")
    target_block_scale: float = knob(0.15, "I-JEPA: each target block covers between this fraction and 0.05 more of the patches (I-JEPA: 0.15-0.2)", range=(0.01, 0.9),
                       hint="larger target blocks make the prediction more semantic (I-JEPA)")
    context_scale: float = knob(0.85, "I-JEPA: the context block covers between this fraction and all of the patches, minus the target blocks (I-JEPA: 0.85-1)", range=(0.05, 1.0),
                       hint="a larger context block leaves the predictor more to go on")
    me_max_weight: float = knob(1.0, "MSN: weight of the mean-entropy maximisation that keeps every prototype in use (MSN: 1); 0 = none: nothing stops collapse", range=(0.0, 100.0),
                       hint="raise it (MSN uses 1): me-max stops every image from picking the same prototype")
    ibot_weight: float = knob(0.0, "DINO on the tiny ViT: weight of iBOT's masked-patch loss (DINOv2's patch term: the student sees some patches masked, the teacher the whole image); 0 = off", range=(0.0, 10.0),
                       hint="add iBOT's patch loss (DINOv2 weighs it 1): local features for the patch tokens")
    # masked modelling and older pretext tasks
    mask_ratio: float | None = knob(None, "fraction of patches masked by mae, inpainting and msn; None = the method's default (0.75, 0.25, 0.5)", range=(0.0, 0.95),
                       stops=[0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95])
    patch_size: int = knob(4, "side in pixels of the patches of the tiny ViT (backbone='vit_tiny', and mae's own) and of inpainting's mask; image_size must be a multiple", range=(1, 64))
    jigsaw_permutations: int = knob(24, "jigsaw: how many tile orders (of a 3×3 grid) to tell apart: the harder-pretext-task knob", range=(2, 1000), log=True)
    # --- augmentations (strengths; each applied per image with its own random draw)
    crop_min_scale: float = knob(0.5, "random resized crop keeps between this fraction and all of the image area (0.5: shapes stay in view)", range=(0.01, 1.0),
                       hint='milder crops (raise it): very strong augmentation drives dimensional collapse')
    flip_prob: float = knob(0.5, "probability of a horizontal flip", range=(0.0, 1.0))
    jitter_strength: float = knob(0.5, "colour jitter strength s: brightness, contrast, saturation 0.8s, hue 0.2s", range=(0.0, 2.0),
                       hint='milder colour jitter: very strong augmentation drives dimensional collapse')
    jitter_prob: float = knob(0.8, "probability of colour jitter", range=(0.0, 1.0))
    grayscale_prob: float = knob(0.2, "probability of converting to grayscale", range=(0.0, 1.0))
    blur_prob: float = knob(0.0, "probability of a Gaussian blur (σ from 0.1 to 2 pixels)", range=(0.0, 1.0))
    solarize_prob: float = knob(0.0, "probability of solarizing (pixels above half are inverted)", range=(0.0, 1.0))
    num_small_crops: int = knob(0, "multi-crop: extra small views per image besides the two large ones", range=(0, 10))
    small_crop_size: int = knob(16, "side in pixels of the multi-crop small views", range=(4, 256), slider=(4, 128))
    # --- run
    seed: int = knob(0, "random seed: same config and seed give the same metrics on CPU", range=(0, 2**31 - 1),
                       slider=(0, 99))
    device: str = knob("auto", "auto (cuda > mps > cpu, or COOKBOOK_DEVICE), cpu, cuda, cuda:N or mps")
    precision: str = knob("auto", "auto (bf16 autocast on CUDA, fp32 elsewhere), fp32 or bf16", choices=("auto", "fp32", "bf16"),
                       hint='fp32 if bf16 overflows')
    compile: bool = knob(False, "torch.compile the backbone: faster steps on a GPU after a warm-up of about a minute (on a CPU it needs a C++ compiler and rarely pays)")
    sync_batchnorm: bool = knob(True, "under torchrun: BatchNorm statistics over the global batch (as one process would see); no effect in one process")
    log_every: int = knob(25, "record loss, RankMe, embedding std and online-probe accuracy every this many steps", range=(1, 1_000_000),
                       slider=(1, 1000))

    def __init__(self, *args, **knobs):
        if args:
            raise TypeError("RunConfig takes keywords only, e.g. RunConfig(method='simclr', steps=300)")
        fields = dataclasses.fields(self)
        names = [f.name for f in fields]
        for name in knobs:
            if name not in names:
                raise ValueError(f"unknown knob {name!r}.{did_you_mean(name, names)} Knobs are: {', '.join(names)}")
        for f in fields:
            object.__setattr__(self, f.name, _normalise(f, knobs.get(f.name, f.default)))
        for f in fields:
            _check(f, getattr(self, f.name))
        _check_together(self.resolved())

    # ------------------------------------------------------------------ helpers
    def resolved(self) -> "RunConfig":
        """A copy with every `None` knob replaced by the method's recipe (`methods/catalog.py`)."""
        fills = {k: catalog.auto_value(self.method, k, self.batch_size) for k in AUTO_KNOBS if getattr(self, k) is None}
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
        """A stable hash of the resolved knobs the method reads (and the cache version): the
        run's file name. Two configs that differ only in knobs their method ignores are the
        same run."""
        cfg = self.resolved()
        knobs = {k: v for k, v in cfg.to_dict().items() if catalog.reads(cfg.method, k, cfg.backbone)}
        payload = json.dumps({"v": CACHE_VERSION, **knobs}, sort_keys=True)
        return hashlib.sha1(payload.encode()).hexdigest()[:16]

    def ignored_knobs(self) -> list[str]:
        """Knobs set away from their default that this config's method does not read."""
        def auto(k, v):  # what resolve() fills in is not the user's choice
            return k in AUTO_KNOBS and v == catalog.auto_value(self.method, k, self.batch_size)
        return [f.name for f in dataclasses.fields(self)
                if getattr(self, f.name) != f.default and not auto(f.name, getattr(self, f.name))
                and not catalog.reads(self.method, f.name, self.backbone)]

    def warn_ignored(self, stacklevel: int = 3) -> None:
        """Warn (UserWarning) about `ignored_knobs()`: they change nothing for this method."""
        ignored = self.ignored_knobs()
        if ignored:
            warnings.warn(f"{self.method} does not read {', '.join(f'{k}={getattr(self, k)!r}' for k in ignored)}: "
                          f"{'it changes' if len(ignored) == 1 else 'they change'} nothing for this run "
                          f"(see methods/catalog.py for the knobs each method reads)", UserWarning, stacklevel=stacklevel)

    def lr_at_batch(self) -> float:
        """The learning rate after `lr_scaling`: base × batch/256, × √(batch/256) or base."""
        cfg = self.resolved()
        ratio = cfg.batch_size / 256
        return cfg.lr * {"linear": ratio, "sqrt": ratio ** 0.5, "none": 1.0}[cfg.lr_scaling]


def knob_info(name: str) -> dict:
    """What is known about a knob: type, default, help, choices, range, log scale, slider
    span and stops, powers of two, the doctor's hint."""
    for f in dataclasses.fields(RunConfig):
        if f.name == name:
            return dict(name=name, type=_base_type(f), default=f.default, **f.metadata)
    raise ValueError(f"unknown knob {name!r}.{did_you_mean(name, knob_names())} Knobs are: {', '.join(knob_names())}")


def knob_names() -> list[str]:
    return [f.name for f in dataclasses.fields(RunConfig)]


def check_knob(name: str, value) -> None:
    """ValueError if `value` is not allowed for the knob `name` on its own (type, range,
    choices), as `RunConfig` would say it; checks between knobs are not made here."""
    f = next((f for f in dataclasses.fields(RunConfig) if f.name == name), None)
    if f is None:
        raise ValueError(f"unknown knob {name!r}.{did_you_mean(name, knob_names())}")
    _check(f, _normalise(f, value))


def _base_type(f):
    t = str(f.type)
    for name, typ in (("bool", bool), ("int", int), ("float", float), ("str", str)):
        if t.startswith(name):
            return typ
    raise TypeError(f"knob {f.name} has an unsupported type {t}")


def _normalise(f, value):
    """Numbers as plain Python numbers: 1 and 1.0 are the same float knob (and the same cache
    key); numpy integers and floats are accepted like Python's. Anything else is left for `_check`."""
    typ = _base_type(f)
    if isinstance(value, bool) or value is None:
        return value
    if typ is float and isinstance(value, numbers.Real):
        return float(value)
    if typ is int and isinstance(value, numbers.Integral):
        return int(value)
    return value


_ARTICLE = {int: "an int", float: "a float", str: "a string", bool: "a bool (True or False)"}


def _check(f, value):
    m, typ = f.metadata, _base_type(f)
    nullable = "None" in str(f.type)
    if value is None:
        if nullable:
            return
        raise ValueError(f"{f.name}=None is not allowed: give {_ARTICLE[typ]}")
    if not isinstance(value, typ) or (typ is not bool and isinstance(value, bool)):
        raise ValueError(f"{f.name}={value!r} has the wrong type {type(value).__name__}: "
                         f"it must be {_ARTICLE[typ]}{' or None' if nullable else ''}")
    if m["choices"] is not None and value not in m["choices"]:
        raise ValueError(f"{f.name}={value!r} is not allowed.{did_you_mean(value, m['choices'])} "
                         f"Choose one of: {', '.join(m['choices'])}")
    if m["range"] is not None:
        lo, hi = m["range"]
        if not (lo <= value <= hi) or value != value:
            raise ValueError(f"{f.name}={value!r} is out of range: allowed is {lo} to {hi}")
    if f.name == "device" and not re.fullmatch(r"auto|cpu|mps|cuda(:\d+)?", value):
        raise ValueError(f"device={value!r} is not allowed: use auto, cpu, cuda, cuda:N or mps")


def _check_together(c: RunConfig) -> None:
    """The checks that involve two knobs, on a resolved config: each error names both knobs
    and a value that works."""
    reads = lambda k: catalog.reads(c.method, k, c.backbone)  # noqa: E731
    if reads("backbone") and c.backbone == "resnet18" and c.image_size < 16:
        raise ValueError(f"image_size={c.image_size} is too small for resnet18: use 16 or more "
                         f"(or backbone='convnet')")
    vit = (reads("backbone") and c.backbone == "vit_tiny") or c.method in catalog.VIT_METHODS
    if (vit or c.method == "inpainting") and c.image_size % c.patch_size:
        ok = [p for p in (2, 4, 8, 16) if c.image_size % p == 0 and p < c.image_size]
        raise ValueError(f"patch_size={c.patch_size} must divide image_size={c.image_size} "
                         f"({'the tiny ViT' if vit else 'inpainting'} cuts the image into patches): "
                         f"use patch_size={ok[-1] if ok else 1} or an image_size that is a multiple of {c.patch_size}")
    if vit and reads("num_small_crops") and c.num_small_crops and c.small_crop_size % c.patch_size:
        raise ValueError(f"small_crop_size={c.small_crop_size} must be a multiple of patch_size={c.patch_size} "
                         f"(the tiny ViT cuts the small views into patches too): use small_crop_size="
                         f"{max(c.patch_size, c.small_crop_size // c.patch_size * c.patch_size)}")
    if c.method == "dino" and c.ibot_weight > 0 and c.backbone != "vit_tiny":
        raise ValueError(f"ibot_weight={c.ibot_weight} masks patch tokens, which only the tiny ViT has: use "
                         f"backbone='vit_tiny' (backbone={c.backbone!r}), or ibot_weight=0")
    if c.method == "ijepa" and c.context_scale <= c.target_block_scale:
        raise ValueError(f"ijepa: context_scale={c.context_scale} must be larger than target_block_scale="
                         f"{c.target_block_scale} (the context is one large block, the targets small ones), e.g. context_scale=0.85")
    if c.method == "jigsaw" and c.image_size < 9:
        raise ValueError(f"jigsaw cuts a 3×3 grid of tiles of ≥ 3 pixels: image_size={c.image_size} must be ≥ 9")
    if c.method == "wmse" and c.batch_size <= c.embedding_dim:
        fit = catalog.auto_value("wmse", "embedding_dim", c.batch_size)
        raise ValueError(f"wmse whitens each batch of embeddings, so it needs batch_size > embedding_dim: "
                         f"batch_size={c.batch_size}, embedding_dim={c.embedding_dim}. Use embedding_dim={fit} "
                         f"(or None, which picks it) or batch_size={2 * c.embedding_dim}.")
    if c.method == "directclr" and c.embedding_dim > c.representation_dim:
        raise ValueError(f"directclr uses the first embedding_dim coordinates of the representation: "
                         f"embedding_dim={c.embedding_dim} must be ≤ representation_dim={c.representation_dim} "
                         f"(e.g. embedding_dim={c.representation_dim // 2})")
    if reads("direct_predictor") and c.direct_predictor and c.predictor_depth == 0:
        raise ValueError("direct_predictor=True sets a linear predictor: it needs predictor_depth ≥ 1 "
                         "(predictor_depth=0 means no predictor); use predictor_depth=1")
    if reads("num_small_crops") and c.num_small_crops and c.small_crop_size > c.image_size:
        raise ValueError(f"small_crop_size={c.small_crop_size} is larger than image_size={c.image_size}: the small "
                         f"multi-crop views must be smaller, e.g. small_crop_size={max(4, c.image_size // 2)}")
