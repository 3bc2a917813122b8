"""One row per method: its family, paper, the knobs it reads, its recipe and collapse hints.

Torch-free: the config, the cache key, the widgets, the collapse doctor, the benchmarks, the
README's method table and the tests all read this table, so a method's facts live here
once. Adding a method is one class in its family's module and one row here.

A row's `reads` lists the method-specific knobs its code reads; every method also reads the
`COMMON` knobs, the `PROJECTOR` knobs when it has a projector (`embedding` is "projector")
and the `MULTI_CROP` knobs when it uses the small views. A knob a method does not read is
left out of its cache key (two runs that differ only there are the same run) and greyed
out on a knob panel.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..names import did_you_mean

COMMON = ("method", "dataset", "data_path", "image_size", "backbone", "representation_dim", "batch_size",
          "steps", "optimizer", "lr", "lr_scaling", "warmup", "weight_decay", "crop_min_scale", "flip_prob",
          "jitter_strength", "jitter_prob", "grayscale_prob", "blur_prob", "solarize_prob", "seed", "device",
          "precision", "compile", "sync_batchnorm", "log_every")
PROJECTOR = ("projector_depth", "projector_width", "projector_bn", "embedding_dim")
MULTI_CROP = ("num_small_crops", "small_crop_size")
TEACHER = ("ema_momentum", "ema_schedule", "stop_gradient")
PREDICTOR = ("predictor_depth", "predictor_width", "predictor_lr_mult", "predictor_lr_schedule")
FAMILIES = {
    "contrastive": "contrastive (§2.2): pull two views together, push other images apart",
    "distillation": "self-distillation (§2.3): predict a teacher's output; asymmetry prevents collapse",
    "cca": "canonical correlation (§2.4): decorrelate or whiten the embedding's dimensions",
    "pretext": "pretext tasks and masked modelling (§2.1, §2.5): predict what was taken away",
    "jepa": "joint-embedding predictive (after the cookbook): predict in embedding space, regularise its distribution",
    "supervised": "the labelled baseline",
}

# The shared starting point: AdamW with a cosine schedule, calibrated on `shapes` in quick mode
# (benchmarks/calibrate_shapes.py). Per-method recipes replace it where a search found better.
ADAMW = dict(optimizer="adamw", lr=2e-3, weight_decay=1e-4)
ADAMW_SOURCE = "the cookbook's shared AdamW row, calibrated on shapes (benchmarks/calibrate_shapes.py)"


@dataclass(frozen=True)
class MethodInfo:
    """What the library knows about one method (see the module docstring)."""

    name: str
    family: str
    paper: str                       # "Authors year, arXiv id"
    reads: tuple = ()                # method-specific knobs its code reads
    recipe: dict = field(default_factory=dict)   # auto knob -> value (when the user leaves it None)
    sources: dict = field(default_factory=dict)  # auto knob -> where the value comes from
    embedding: str = "projector"     # z is: "projector" output, the "representation", or its first embedding_dim coordinates ("slice")
    multi_crop: bool = False         # uses the small multi-crop views
    negatives: bool = False          # a contrastive criterion (other images are negatives)
    collapse: tuple = ()             # knobs to try against complete collapse, most likely first
    dimensional: tuple = ()          # ... against dimensional collapse
    diverged: tuple = ()             # ... against divergence, besides lr/warmup/optimizer

    def knobs(self) -> tuple:
        """Every knob this method reads."""
        extra = (PROJECTOR if self.embedding == "projector" else ("embedding_dim",) if self.embedding == "slice" else ())
        return COMMON + extra + (MULTI_CROP if self.multi_crop else ()) + self.reads


def _row(name, family, paper, reads=(), recipe=None, sources=None, **kw) -> MethodInfo:
    recipe = {**ADAMW, **(recipe or {})}
    sources = {**{k: ADAMW_SOURCE for k in ADAMW}, **(sources or {})}
    return MethodInfo(name, family, paper, tuple(reads), recipe, sources, **kw)


_T = "temperature"
CATALOG: dict[str, MethodInfo] = {r.name: r for r in (
    # --- contrastive (methods/contrastive.py)
    _row("simclr", "contrastive", "Chen et al. 2020, arXiv 2002.05709", (_T,), {_T: 0.1},
         {_T: "calibrated on shapes; SimCLR's own runs use 0.1–0.5"}, negatives=True,
         collapse=(_T, "batch_size", "lr"), dimensional=(_T, "projector_depth", "embedding_dim", "batch_size")),
    _row("dcl", "contrastive", "Yeh et al. 2022, arXiv 2110.06848", (_T,), {_T: 0.1},
         {_T: "DCL's small-batch runs use 0.1"}, negatives=True,
         collapse=(_T, "batch_size", "lr"), dimensional=(_T, "projector_depth", "embedding_dim")),
    _row("nnclr", "contrastive", "Dwibedi et al. 2021, arXiv 2104.14548", (_T, "queue_size") + PREDICTOR,
         {_T: 0.1, "queue_size": 1024}, {_T: "NNCLR uses 0.1", "queue_size": "a support set that fits shapes' 8,192 images"},
         negatives=True, collapse=(_T, "predictor_depth", "queue_size", "lr"), dimensional=(_T, "embedding_dim")),
    _row("moco", "contrastive", "He et al. 2019, arXiv 1911.05722", (_T, "queue_size") + TEACHER,
         {_T: 0.2, "queue_size": 1024}, {_T: "MoCo v2 uses 0.2", "queue_size": "a queue that fits shapes' 8,192 images"},
         negatives=True, collapse=(_T, "queue_size", "ema_momentum", "lr"), dimensional=(_T, "embedding_dim")),
    _row("mocov3", "contrastive", "Chen, Xie & He 2021, arXiv 2104.02057", (_T,) + TEACHER + PREDICTOR, {_T: 0.2},
         {_T: "MoCo v3 uses 0.2"}, negatives=True, collapse=(_T, "ema_momentum", "predictor_depth", "lr"),
         dimensional=(_T, "embedding_dim")),
    _row("supcon", "contrastive", "Khosla et al. 2020, arXiv 2004.11362", (_T,), {_T: 0.1},
         {_T: "SupCon uses 0.1"}, negatives=True, collapse=(_T, "batch_size", "lr")),
    # --- self-distillation (methods/distillation.py)
    _row("byol", "distillation", "Grill et al. 2020, arXiv 2006.07733", TEACHER + PREDICTOR + ("direct_predictor",),
         {"predictor_lr_mult": 10.0},
         {"predictor_lr_mult": "BYOL's appendix keeps the predictor near-optimal with a larger predictor lr; "
                               "on shapes, 1500 steps, seeds 0-2: x10 beat x1 by 6-9 points of linear accuracy "
                               "on every seed (benchmarks/recipe_search.py)"},
         multi_crop=True, collapse=("ema_momentum", "predictor_depth", "stop_gradient", "ema_schedule", "lr"),
         dimensional=("predictor_depth", "predictor_lr_mult", "ema_momentum", "projector_width", "embedding_dim")),
    _row("simsiam", "distillation", "Chen & He 2020, arXiv 2011.10566",
         ("stop_gradient", "direct_predictor") + PREDICTOR, multi_crop=True,
         collapse=("stop_gradient", "predictor_depth", "predictor_lr_mult", "lr"),
         dimensional=("predictor_depth", "predictor_lr_mult", "projector_width", "embedding_dim")),
    _row("dino", "distillation", "Caron et al. 2021, arXiv 2104.14294",
         TEACHER + ("dino_center", "student_temp", "teacher_temp", "center_momentum", "num_prototypes", "koleo_weight"),
         multi_crop=True, collapse=("dino_center", "teacher_temp", "center_momentum", "ema_momentum", "stop_gradient"),
         dimensional=("num_prototypes", "teacher_temp", "dino_center", "projector_width"),
         diverged=("teacher_temp", "ema_momentum")),
    _row("simdino", "distillation", "Wu et al. 2025, arXiv 2502.10385", TEACHER + ("coding_rate_weight",),
         {"lr": 5e-3},
         {"lr": "on shapes, 32 px, 300 steps, seeds 0-2, linear accuracy 0.454/0.460/0.463 against "
                "0.381/0.379/0.387 at the shared 2e-3 (lr 1e-2: 0.465, γ 0.1: 0.389, two small crops: 0.398, "
                "at seed 0); at 1,500 steps, seed 0: 0.648 against 0.574 (benchmarks/recipe_search.jsonl)"}, multi_crop=True,
         collapse=("coding_rate_weight", "ema_momentum", "stop_gradient", "embedding_dim", "lr"),
         dimensional=("embedding_dim", "ema_momentum", "projector_width"), diverged=("ema_momentum",)),
    # --- canonical correlation (methods/cca.py)
    _row("vicreg", "cca", "Bardes, Ponce & LeCun 2021, arXiv 2105.04906", ("sim_coeff", "std_coeff", "cov_coeff"),
         collapse=("std_coeff", "sim_coeff", "lr"), dimensional=("cov_coeff", "embedding_dim", "projector_width"),
         diverged=("sim_coeff", "std_coeff", "cov_coeff")),
    _row("barlow_twins", "cca", "Zbontar et al. 2021, arXiv 2103.03230", ("barlow_lambda",),
         {"embedding_dim": 1024},
         {"embedding_dim": "Barlow Twins benefits from very high-dimensional embeddings (the paper's is 8,192); "
                           "on shapes, 300 steps, seeds 0-2: 1024 beat 128 by 6 points of linear accuracy "
                           "(benchmarks/recipe_search.py)"},
         collapse=("barlow_lambda", "lr", "projector_width"),
         dimensional=("barlow_lambda", "projector_width", "embedding_dim"), diverged=("barlow_lambda",)),
    _row("swav", "cca", "Caron et al. 2020, arXiv 2006.09882", (_T, "queue_size", "num_prototypes", "sinkhorn_iters"),
         {_T: 0.1, "queue_size": 0}, {_T: "SwAV uses 0.1", "queue_size": "SwAV adds its queue only for small batches"},
         multi_crop=True, collapse=("sinkhorn_iters", "num_prototypes", "queue_size", _T, "lr"),
         dimensional=("num_prototypes", _T, "projector_width"), diverged=(_T,)),
    _row("wmse", "cca", "Ermolov et al. 2021, arXiv 2007.06346", ("whitening",), {"embedding_dim": 64},
         {"embedding_dim": "W-MSE uses 64 (whitening needs batch_size > embedding_dim); "
                           "halved until it fits a small batch"},
         collapse=("whitening", "batch_size", "embedding_dim", "lr"), dimensional=("embedding_dim", "batch_size")),
    # --- no projector, pretext tasks, masked modelling (methods/pretext.py)
    _row("directclr", "pretext", "Jing et al. 2022, arXiv 2110.09348", (_T,), {_T: 0.2}, {_T: "as SimCLR at batch 128"},
         embedding="slice", negatives=True, collapse=(_T, "batch_size", "lr"),
         dimensional=(_T, "embedding_dim", "batch_size")),
    _row("rotation", "pretext", "Gidaris, Singh & Komodakis 2018, arXiv 1803.07728"),
    _row("jigsaw", "pretext", "Noroozi & Favaro 2016, arXiv 1603.09246", ("jigsaw_permutations",)),
    _row("inpainting", "pretext", "Pathak et al. 2016, arXiv 1604.07379", ("mask_ratio", "patch_size"),
         {"mask_ratio": 0.25}, {"mask_ratio": "context encoders hide about a quarter of the image"},
         embedding="representation"),
    _row("mae", "pretext", "He et al. 2021, arXiv 2111.06377", ("mask_ratio", "patch_size"),
         {"lr": 1e-3, "weight_decay": 0.05, "mask_ratio": 0.75},
         {"lr": "lowered from the shared row for the tiny ViT", "weight_decay": "MAE pre-trains with AdamW, wd 0.05",
          "mask_ratio": "MAE's 75 %"}, embedding="representation"),
    # --- after the cookbook (methods/jepa.py; MSN in methods/distillation.py)
    _row("ijepa", "jepa", "Assran et al. 2023, arXiv 2301.08243",
         ("num_target_blocks", "target_block_scale", "context_scale", "predictor_depth", "ema_momentum", "ema_schedule", "patch_size"),
         {"lr": 1e-3, "weight_decay": 0.05},
         {"lr": "as MAE's on the tiny ViT (I-JEPA itself uses AdamW at 1e-3)",
          "weight_decay": "as MAE's (I-JEPA raises it from 0.04 to 0.4 over training)"},
         embedding="representation", collapse=("ema_momentum", "context_scale", "lr"),
         dimensional=("target_block_scale", "num_target_blocks", "ema_momentum")),
    _row("msn", "distillation", "Assran et al. 2022, arXiv 2204.07141",
         (_T, "mask_ratio", "num_prototypes", "me_max_weight", "sinkhorn_iters", "ema_momentum", "ema_schedule",
          "patch_size"),
         {_T: 0.1, "mask_ratio": 0.5, "num_prototypes": 32, "weight_decay": 0.05},
         {_T: "MSN uses 0.1 (and sharpens the target to 0.025)", "mask_ratio": "half of the tiny ViT's patches (not searched)",
          "num_prototypes": "fewer prototypes than images in a batch, so that Sinkhorn's equal partition leaves each "
                            "target sharp (MSN uses 1,024 at batch 1,024 and more); tiny ViT on 16-pixel digits, "
                            "batch 64, 2,000 steps, seed 0, linear accuracy: 256 prototypes 0.808, 32 prototypes 0.872 "
                            "(0.906 at the shared lr 2e-3 instead of 1e-3) (benchmarks/recipe_search.jsonl)",
          "weight_decay": "as MAE's on the tiny ViT"},
         multi_crop=True, collapse=("sinkhorn_iters", "me_max_weight", "ema_momentum", _T, "lr"),
         dimensional=("num_prototypes", "me_max_weight", "mask_ratio")),
    _row("lejepa", "jepa", "Balestriero & LeCun 2025, arXiv 2511.08544",
         ("sigreg_lambda", "sigreg_slices", "sigreg_t_max", "sigreg_knots"),
         {"sigreg_lambda": 0.02, "lr": 5e-3},
         {"sigreg_lambda": "as LeJEPA's minimal example (its paper's default is 0.05); with lr 5e-3 on shapes, 32 px, "
                           "300 steps, seeds 0-2, linear accuracy 0.415/0.405/0.417 against 0.351/0.342/0.386 at "
                           "λ 0.05, lr 2e-3 (λ 0.02 or lr 5e-3 alone: 0.378, 0.363 at seed 0; "
                           "benchmarks/recipe_search.jsonl)",
          "lr": "with λ 0.02, see sigreg_lambda (lr 1e-2: 0.378, 5e-4: 0.313 at seed 0)"}, multi_crop=True,
         collapse=("sigreg_lambda", "lr"), dimensional=("sigreg_lambda", "sigreg_slices", "embedding_dim")),
    # --- the labelled baseline (methods/supervised.py)
    _row("supervised", "supervised", "cross-entropy on the labels", embedding="representation"),
)}
METHODS = tuple(CATALOG)

# auto knobs (None = the method's recipe) and what they become for a method that does not read them
AUTO_KNOBS = ("optimizer", "lr", "weight_decay", "temperature", "queue_size", "mask_ratio", "embedding_dim",
              "predictor_lr_mult", "num_prototypes", "sigreg_lambda")
AUTO_FALLBACKS = dict(temperature=0.1, queue_size=0, mask_ratio=0.75, embedding_dim=128, predictor_lr_mult=1.0,
                      num_prototypes=256, sigreg_lambda=0.05)  # 0.05: the other methods' configs (and checkpoints) as before

# Methods that always build their tiny ViT (they ignore the `backbone` knob), and knobs a
# method reads only on the tiny ViT.
VIT_METHODS = ("mae", "ijepa", "msn")
IGNORES = {m: ("backbone",) for m in VIT_METHODS}
VIT_READS = {"dino": ("ibot_weight",)}


def info(method: str) -> MethodInfo:
    """The catalog row of `method` (ValueError with a suggestion for an unknown name)."""
    if method not in CATALOG:
        raise ValueError(f"unknown method {method!r}.{did_you_mean(method, METHODS)} Methods: {', '.join(METHODS)}")
    return CATALOG[method]


def reads(method: str, knob: str, backbone: str = "") -> bool:
    """Does `method` read `knob` (with this `backbone`: the tiny ViT reads `patch_size`)?"""
    if backbone == "vit_tiny" and "backbone" not in IGNORES.get(method, ()) and (
            knob == "patch_size" or knob in VIT_READS.get(method, ())):
        return True
    return knob in info(method).knobs() and knob not in IGNORES.get(method, ())


def auto_value(method: str, knob: str, batch_size: int):
    """What an auto (None) knob resolves to for `method` at this batch size."""
    row = info(method)
    if knob == "embedding_dim" and method == "wmse":
        d = row.recipe["embedding_dim"]
        while d >= batch_size and d > 2:  # whitening needs more samples than dimensions
            d //= 2
        return d
    return row.recipe.get(knob, AUTO_FALLBACKS.get(knob))


def embedding_dim(cfg) -> int:
    """The size of the embedding z the collapse metrics see, for a resolved config: the
    projector output, or the representation when the method has no projector (or depth 0)."""
    row = info(cfg.method)
    if row.embedding == "representation" or (row.embedding == "projector" and cfg.projector_depth == 0):
        return cfg.representation_dim
    return cfg.embedding_dim


def markdown_table() -> str:
    """The README's method table: name, family, paper, the knobs that are the method's own."""
    lines = ["| method | family | paper | its own knobs |", "|---|---|---|---|"]
    for r in CATALOG.values():
        own = ", ".join(f"`{k}`" for k in r.reads) or "—"
        lines.append(f"| `{r.name}` | {r.family} | {r.paper} | {own} |")
    return "\n".join(lines)
