"""`diagnose(run)`: is a run healthy, completely collapsed, dimensionally collapsed or diverged?

Reads only `run.metrics`, `run.history`, `run.status` and `run.config` (so it works on a run
loaded from the cache or still training), plus the embedding spectrum when `run.model` is
there (and then LiDAR, Thilak et al. 2024, arXiv 2312.04000: reported beside RankMe as
evidence; it does not change the verdict). The verdict, first rule that fires (d = embedding dim, N = samples the metrics used):

- **diverged**: the run says so (`status`, `diverged_at`), or a loss / RankMe / std is NaN/inf.
- **complete collapse**: embedding std < `STD_COLLAPSE`/√d (every input maps to about the same
  point; a healthy isotropic embedding has std ≈ 1/√d, SimSiam arXiv 2011.10566) or
  RankMe < `RANKME_COLLAPSE` (rank one).
- **dimensional collapse**: std is healthy but RankMe < `RANKME_DIM_FRAC`·min(d, N): the
  embeddings spread over a few directions only (Jing et al. 2022, arXiv 2110.09348).
- **healthy** otherwise.

Calibrated on `digits`, d = 32, 150 steps: healthy SimCLR/SimSiam/VICReg have std ≈ 0.9–0.96/√d
and RankMe ≈ 0.42–0.63·d; SimSiam without stop-gradient and BYOL without predictor or EMA
have std ≈ 0.1/√d; VICReg without its covariance term has std ≈ 0.9/√d and RankMe ≈ 0.21·d.
"""
from __future__ import annotations

import html
import math
from dataclasses import dataclass, field

from .config import knob_info
from .methods import catalog

STD_COLLAPSE = 0.2     # complete collapse below this × 1/√d
RANKME_COLLAPSE = 1.5  # ... or below this effective rank
RANKME_DIM_FRAC = 0.25  # dimensional collapse below this fraction of min(d, N)
UNDERTRAINED = 100     # fewer steps than this: a collapse verdict comes with "train longer"
TOP_K = 3              # the spectrum evidence: fraction of variance in the top TOP_K directions

VERDICTS = ("healthy", "complete collapse", "dimensional collapse", "diverged")


@dataclass
class Diagnosis:
    """`verdict` (one of VERDICTS), `evidence` (the numbers), `reasons` (what they mean),
    `fixes` (RunConfig knob names, most likely first) and `advice` ({knob: what to try})."""

    verdict: str
    evidence: dict = field(default_factory=dict)
    reasons: list = field(default_factory=list)
    fixes: list = field(default_factory=list)
    advice: dict = field(default_factory=dict)
    method: str = ""

    @property
    def ok(self) -> bool:
        return self.verdict == "healthy"

    def __str__(self):
        lines = [f"diagnosis ({self.method}): {self.verdict.upper()}"]
        lines += [f"  - {r}" for r in self.reasons]
        if self.fixes:
            lines.append("  knobs to try:")
            lines += [f"    {k}: {self.advice.get(k, '')}" for k in self.fixes]
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self):
        color = {"healthy": "#1a7f37", "diverged": "#b42318"}.get(self.verdict, "#b54708")
        reasons = "".join(f"<li>{html.escape(r)}</li>" for r in self.reasons)
        fixes = "".join(f"<li><code>{html.escape(k)}</code>: {html.escape(self.advice.get(k, ''))}</li>"
                        for k in self.fixes)
        fixes = f"<div>Knobs to try:</div><ul style='margin:2px 0'>{fixes}</ul>" if fixes else ""
        return (f"<div class='cookbook-diagnosis'><b>Diagnosis ({html.escape(self.method)}): "
                f"<span style='color:{color}'>{html.escape(self.verdict)}</span></b>"
                f"<ul style='margin:2px 0'>{reasons}</ul>{fixes}</div>")


def _finite(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _embedding_dim(run) -> int:
    if hasattr(run, "embedding_dim"):
        return int(run.embedding_dim)
    return catalog.embedding_dim(run.config.resolved())


def _spectrum(run, max_images: int = 512, lidar: bool = True) -> dict:
    """Top-k variance fraction and dims for 90 % of the variance, from the model's test embeddings;
    with `lidar`, also LiDAR of the embeddings of 8 augmented views of 256 test images
    (`evaluate.lidar_score`: 2,048 forward passes, a fraction of a second at 16 px on a CPU)."""
    import torch

    from . import metrics
    from .augment import to_float
    from .data import load_dataset

    cfg, model = run.config, run.model
    device = next(model.parameters()).device
    data = load_dataset(cfg.dataset, cfg.image_size, str(device), cfg.data_path)
    was_training = model.training
    model.eval()
    with torch.no_grad():
        _, z = model.embed(to_float(data.test_images[:max_images]))
    model.train(was_training)
    out = {"n_test": len(data.test_images)}
    if lidar:
        from .evaluate import lidar_score
        try:
            out["lidar"] = lidar_score(model, data.test_images, cfg)
        except Exception:  # noqa: BLE001 - extra evidence: the spectrum is still reported
            pass
    s = metrics.singular_values(z.float())
    if not torch.isfinite(s).all() or float((s ** 2).sum()) <= 0:
        return out
    var = (s ** 2) / (s ** 2).sum()
    return {**out, f"top{TOP_K}_variance": float(var[:TOP_K].sum()),
            "dims_for_90pct_variance": int((var.cumsum(0) < 0.9).sum()) + 1}


def diagnose(run, spectrum: bool = True, lidar: bool = True) -> Diagnosis:
    """Diagnose a `Run` (finished, loaded or still training) from its metrics and history.

    spectrum: also measure the embedding spectrum of the test images when `run.model` is
    there (one forward pass of ≤ 512 images); otherwise α-ReQ from `run.metrics` is used.
    lidar: with the spectrum, also report LiDAR of the embeddings (`evidence["lidar"]` and a
    reason line beside RankMe's); evidence only, the verdict's rules do not read it.
    """
    cfg, m = run.config, dict(getattr(run, "metrics", None) or {})
    history = list(getattr(run, "history", None) or [])
    method = getattr(cfg, "method", "")
    d = _embedding_dim(run)
    final = "rankme" in m or "embedding_std" in m
    last = history[-1] if history else {}
    std = m.get("embedding_std", last.get("embedding_std"))
    rank = m.get("rankme", last.get("rankme"))
    ev = {"embedding_dim": d, "embedding_std": std, "healthy_std (1/√d)": 1 / math.sqrt(d),
          "rankme": rank, "rankme_backbone": m.get("rankme_backbone"),
          "representation_dim": getattr(cfg, "representation_dim", None), "alpha_req": m.get("alpha_req"),
          "source": "final metrics" if final else f"log step {last.get('step', '?')}"}
    if history:
        ev["last_loss"] = last.get("loss")
    if spectrum and getattr(run, "model", None) is not None and getattr(run, "status", "ok") == "ok":
        try:
            ev.update(_spectrum(run, lidar=lidar))
        except Exception:  # noqa: BLE001 - the spectrum is extra evidence, never a failure
            pass
    # N: the test set for final metrics (known when the spectrum was measured), else a training batch
    n = ev.pop("n_test", d) if final else getattr(cfg, "batch_size", d)
    max_rank = ev["rankme_max (min(d, N))"] = min(d, n)
    reasons = []

    losses = [r.get("loss") for r in history]
    bad_loss = [r.get("step") for r in history if r.get("loss") is not None and not _finite(r.get("loss"))]
    if (getattr(run, "status", "ok") == "diverged" or "diverged_at" in m or bad_loss
            or (std is not None and not _finite(std)) or (rank is not None and not _finite(rank))):
        at = m.get("diverged_at", bad_loss[0] if bad_loss else None)
        ev["diverged_at"] = at
        reasons.append(f"the loss became NaN/inf{f' at step {at}' if at is not None else ''}"
                       if at is not None or bad_loss else "the embeddings hold NaN/inf")
        finite = [v for v in losses if _finite(v)]
        if finite:
            reasons.append(f"last finite loss {finite[-1]:.4g}")
        return _finish("diverged", ev, reasons, _fixes("diverged", cfg), cfg)

    if std is None or rank is None:
        return _finish("healthy", ev, ["no collapse metrics logged yet"], [], cfg)
    ratio = std * math.sqrt(d)
    ev["std × √d"] = ratio
    ev["rankme / max"] = rank / max_rank if max_rank else float("nan")
    std_line = f"embedding std {std:.4f} = {ratio:.2f} × 1/√d (healthy ≈ 1/√{d} = {1 / math.sqrt(d):.4f})"
    rank_line = f"RankMe {rank:.1f} of at most {max_rank} ({100 * rank / max_rank:.0f} %)"
    spec_line = None
    if f"top{TOP_K}_variance" in ev:
        spec_line = (f"the top {TOP_K} directions hold {100 * ev[f'top{TOP_K}_variance']:.0f} % of the variance; "
                     f"{ev['dims_for_90pct_variance']} dims hold 90 %")
    elif _finite(ev["alpha_req"]):
        spec_line = f"spectrum decay α-ReQ {ev['alpha_req']:.2f} (≈ 1 healthy; large = variance in few directions)"
    back = ev["rankme_backbone"]
    back_line = (f"the representation (backbone) has RankMe {back:.1f} of {ev['representation_dim']}"
                 if _finite(back) else None)

    if ratio < STD_COLLAPSE or rank < RANKME_COLLAPSE:
        verdict = "complete collapse"
        reasons.append(std_line + (f" < {STD_COLLAPSE}/√d: the embeddings are nearly one point"
                                   if ratio < STD_COLLAPSE else ""))
        reasons.append(rank_line + (f" < {RANKME_COLLAPSE}" if rank < RANKME_COLLAPSE else ""))
    elif rank < RANKME_DIM_FRAC * max_rank:
        verdict = "dimensional collapse"
        reasons.append(std_line + ": not collapsed to a point")
        reasons.append(rank_line + f" < {RANKME_DIM_FRAC:.0%}: the embeddings fill only a few directions")
    else:
        verdict = "healthy"
        reasons.append(std_line)
        reasons.append(rank_line)
    if _finite(ev.get("lidar")):
        reasons.append(f"LiDAR {ev['lidar']:.1f} of at most {d}: the directions in which different images differ "
                       f"more than the views of one image (RankMe counts every direction of spread)")
    if spec_line:
        reasons.append(spec_line)
    short = verdict != "healthy" and getattr(cfg, "steps", UNDERTRAINED) < UNDERTRAINED
    if short:
        reasons.append(f"only {cfg.steps} steps: a barely trained network (and its BatchNorm statistics) can look "
                       f"collapsed; train longer before trusting this verdict")
    if back_line:
        reasons.append(back_line + (" — the projector absorbed the collapse, the representation may still be usable"
                                    if verdict != "healthy" and _finite(back) and back > 2 * rank else ""))
    fixes = _fixes(verdict, cfg)
    return _finish(verdict, ev, reasons, ["steps"] + [k for k in fixes if k != "steps"] if short else fixes, cfg)


def _fixes(verdict: str, cfg) -> list[str]:
    """The knobs worth trying for this verdict, most likely first (from the method's catalog
    row), without knobs the method does not read and without booleans already at the value
    the advice asks for."""
    method = getattr(cfg, "method", "")
    row = catalog.info(method)
    if verdict == "healthy":
        return []
    contrastive = ("temperature", "batch_size") if row.negatives else ()
    if verdict == "diverged":
        knobs = ["lr", "warmup", "optimizer", *(row.diverged or contrastive[:1])]
        if getattr(cfg, "precision", "fp32") != "fp32":
            knobs.append("precision")
    elif verdict == "complete collapse":
        knobs = [*(row.collapse or (*contrastive, "lr")), "warmup"]
    else:
        knobs = list(row.dimensional or ((*contrastive, "projector_depth", "embedding_dim") if row.negatives
                                         else ("representation_dim",)))
        if getattr(cfg, "projector_depth", 1) == 0 and row.embedding == "projector":
            knobs.insert(0, "projector_depth")
        knobs += ["crop_min_scale", "jitter_strength", "lr", "steps"]
    shown = cfg.resolved()
    useful = [k for k in dict.fromkeys(knobs)
              if catalog.reads(method, k, shown.backbone) and getattr(shown, k) not in _ALREADY.get(k, ())]
    return useful[:MAX_FIXES]


# the advice for these knobs is one value: do not suggest it when the run already has it
_ALREADY = dict(stop_gradient=(True,), dino_center=(True,), ema_schedule=("cosine",))
MAX_FIXES = 6  # the doctor names at most this many knobs, most likely first


def _finish(verdict, ev, reasons, fixes, cfg) -> Diagnosis:
    advice = {}
    shown = cfg.resolved()  # the method's value for None knobs
    for k in fixes:
        advice[k] = f"{knob_info(k)['hint'] or 'try another value'} (now {getattr(shown, k)})"
    return Diagnosis(verdict, ev, reasons, fixes, advice, getattr(cfg, "method", ""))
