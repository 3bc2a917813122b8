"""The cookbook's figures (matplotlib only): training curves, spectra, per-dimension std,
correlations, PCA, image grids and sweep curves.

Each function returns the `Figure` (never calls `plt.show()`); one-panel figures take an
optional `ax`. Tensors may be on any device, float/bfloat16/uint8. A collapsed or diverged
input (all rows equal, NaN) gives a note in the axes, never an exception.
"""
from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import torch

from cookbook_lib import metrics
from cookbook_lib.methods import catalog

HEALTHY = "healthy ≈ 1/√d"
FONT = 9  # smallest font size used anywhere (legends, per-image titles)
_PANELS = {  # history key -> (panel title, y label)
    "loss": ("loss", "loss (training objective)"), "lr": ("learning rate", "learning rate"),
    "rankme": ("RankMe of the training batch", "effective rank (dims)"),
    "embedding_std": ("embedding std (0 = collapsed)", "std of l2-normalised embedding"),
    "online_probe_acc": ("online linear probe accuracy", "accuracy"),
}
# How a figure names a run's final metrics (`compare`'s groups, `sweep_lines`' y axis, the evidence
# panel); other keys are shown as they are.
METRIC_LABELS = {"linear_acc": "linear probe", "knn_acc": "kNN (k = 20)", "std_ratio": "embedding std × √d",
                 "embedding_std": "embedding std", "rankme": "RankMe", "rankme_backbone": "RankMe (backbone)",
                 "alpha_req": "α-ReQ"}


def _cpu(z) -> torch.Tensor:  # any tensor/array (bfloat16, uint8, any device) -> float64 CPU
    return torch.as_tensor(z).detach().to("cpu", torch.float64)


def _num(v) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")


def _subplots(*args, **kwargs):
    """plt.subplots, closed at once: the figure shows once, when a cell returns it."""
    fig, axes = plt.subplots(*args, **kwargs)
    plt.close(fig)
    return fig, axes


def _axes(ax, figsize):
    return (ax.figure, ax) if ax is not None else _subplots(figsize=figsize, layout="constrained")


def _note(ax, text):
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", fontsize=10,
            wrap=True, bbox=dict(boxstyle="round", fc="lightyellow", ec="0.6"))


def history(runs, keys=("loss", "rankme", "embedding_std", "online_probe_acc"), labels=None,
            axes=None):
    """The collapse dashboard: one panel per history key, every run overlaid as one line.

    runs: a run or a list (`.history`: list of dicts with "step" and metrics). The
    embedding-std panel shows the 1/√d level of an isotropic embedding (SimSiam, arXiv
    2011.10566), d = `Run.embedding_dim` (the representation when there is no projector).
    RankMe here is that of each log step's training batch (a run's final `rankme` metric is
    that of the test images). Missing keys are skipped, NaN values are gaps.
    Four keys are laid out 2×2, others in a row; `axes` (one per key) reuses existing axes.
    """
    runs = [runs] if hasattr(runs, "history") else list(runs)
    own_figure = axes is None
    if axes is None:
        shape = (2, 2) if len(keys) == 4 else (1, len(keys))
        fig, axes = _subplots(*shape, figsize=(4.6 * shape[1], 3.4 * shape[0]),
                                 layout="constrained", squeeze=False)
    axes = list(np.ravel(axes))
    fig = axes[0].figure
    handles = []  # one line per run in the first panel, for the legend (not what a caller drew before)
    for i, run in enumerate(runs):
        name = labels[i] if labels is not None else getattr(run, "name", None) or run.config.method
        for key, ax in zip(keys, axes):
            pts = [(_num(r.get("step", j)), _num(r[key])) for j, r in enumerate(run.history) if key in r]
            x, y = (np.array(v, dtype=float) for v in zip(*pts)) if pts else (np.array([]),) * 2
            line, = ax.plot(x, y, color=f"C{i % 10}", label=str(name), marker="." if len(x) < 30 else None)
            if ax is axes[0]:
                handles.append(line)
    for k, (key, ax) in enumerate(zip(keys, axes)):
        title, ylabel = _PANELS.get(key, (key.replace("_", " "), key.replace("_", " ")))
        ys = np.concatenate([ln.get_ydata() for ln in ax.lines]) if ax.lines else np.array([])
        if key == "online_probe_acc":
            ylabel += " (%)" if np.nanmax(ys, initial=0) > 1 else " (fraction correct)"
        ax.set(title=title, xlabel="step", ylabel=ylabel)
        ax.grid(alpha=0.3)
        if not np.isfinite(ys).any():
            _note(ax, f"no '{key}' values logged")
        refs = []
        if key == "embedding_std":
            ds = [_embedding_dim(r) for r in runs]
            dims = sorted({int(d) for d in ds if isinstance(d, (int, np.integer)) and d > 0})
            for d in dims:  # coloured like the first run with that d when there are several
                c = "0.4" if len(dims) == 1 else f"C{ds.index(d) % 10}"
                refs.append(ax.axhline(1 / math.sqrt(d), ls="--", color=c, lw=1,
                                       label=HEALTHY if len(dims) == 1 else f"{HEALTHY} (d={d})"))
            ax.set_ylim(bottom=0)
        if refs:  # the 1/√d lines where they are drawn
            ax.legend(handles=refs, fontsize=FONT)
    if handles and own_figure and len(runs) > 1:  # the runs below the panels: never over a curve
        fig.legend(handles=handles, fontsize=FONT, loc="outside lower center",
                   ncols=2 if len(runs) > 2 or len(keys) > 1 else 1)
    elif handles:  # one run, or axes of a caller's figure: in the first panel
        axes[0].legend(handles=handles, fontsize=FONT)
    return fig


def _embedding_dim(run):
    if hasattr(run, "embedding_dim"):
        return run.embedding_dim
    cfg = getattr(run, "config", None)  # a run-like object: its config decides
    if cfg is not None and hasattr(cfg, "resolved"):
        return catalog.embedding_dim(cfg.resolved())
    return getattr(cfg, "embedding_dim", None)


def compare(runs, metrics=("linear_acc", "std_ratio"), names=None, reference=None, ax=None, title=None,
            ylabel="value", reference_label="reference"):
    """Bars of final metrics, one group per metric and one bar per run (`bars`).

    runs: a list or {name: run}; metrics: keys of `run.metrics`, or "std_ratio" (embedding
    std × √d, 1 = healthy; `notebook.std_ratio`). reference: {metric: value} drawn as a
    dashed line, e.g. a random-init encoder's accuracy. One call replaces a hand-made bar chart."""
    from .notebook import Table

    table = Table.of(runs, list(metrics), names)
    label = {m: METRIC_LABELS.get(m, m) for m in (*metrics, *(reference or {}))}
    by_run = {row["run"]: {label[m]: row[m] for m in metrics} for row in table}
    return bars(by_run, ylabel=ylabel, title=title or ", ".join(label[m] for m in metrics), ax=ax,
                reference={label[m]: v for m, v in (reference or {}).items()} or None, reference_label=reference_label)


def spectrum(embeddings, normalize=True, ax=None):
    """Singular values σ_k of each centred (N, D) matrix against rank k, log y-scale.

    embeddings: {label: tensor}, e.g. {"backbone": h, "projector": z}. A flat tail that
    drops to ~0 after k dims is dimensional collapse (Jing et al. 2022, arXiv 2110.09348).
    The legend gives RankMe (arXiv 2210.02885) of each; a NaN matrix gets no line and
    "(NaN)" in the legend. Values under 1e-8·σ_1 (numerical zeros) are drawn at that floor.
    """
    embeddings = embeddings if isinstance(embeddings, dict) else {"embedding": embeddings}
    fig, ax = _axes(ax, (5.5, 4))
    for i, (name, z) in enumerate(embeddings.items()):
        z = _cpu(z)
        s = metrics.singular_values(z).numpy()
        if not np.isfinite(s).all() or s.max() <= 0:  # legend entry, no line
            ax.plot([], [], color=f"C{i % 10}", label=f"{name} ({'all zero' if np.isfinite(s).all() else 'NaN'})")
            continue
        s = np.maximum(s, s[0] * 1e-8) / (s[0] if normalize else 1)
        ax.plot(np.arange(1, len(s) + 1), s, color=f"C{i % 10}", label=f"{name} (RankMe {metrics.rankme(z):.1f})")
    ax.set_yscale("log")
    ax.set(title="singular value spectrum (centred)", xlabel="rank index k",
           ylabel=r"$\sigma_k / \sigma_1$" if normalize else r"singular value $\sigma_k$")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=FONT)
    return fig


def dimension_std(z, ax=None, title=None):
    """Bar chart of the per-dimension std of the l2-normalised rows of z (N, D), sorted.

    Their mean is the embedding std (SimSiam, arXiv 2011.10566): 0 = collapsed, ≈ 1/√D when
    the embedding spreads over all dimensions; bars near 0 are collapsed dimensions.
    """
    z = _cpu(z).flatten(1)
    fig, ax = _axes(ax, (6, 3.8))
    d = z.shape[1]
    mean = metrics.embedding_std(z) if len(z) > 1 else float("nan")
    if math.isfinite(mean):
        std = torch.nn.functional.normalize(z, dim=1).std(0).sort(descending=True).values
        ax.bar(np.arange(d), std.numpy(), width=1.0 if d > 32 else 0.8, color="C0")
    else:
        _note(ax, "embeddings contain NaN" if len(z) > 1 else "need ≥ 2 samples")
    ax.axhline(1 / math.sqrt(d), ls="--", color="C3", lw=1.2, label=HEALTHY)
    ax.set(title=f"{title or 'per-dimension std'}\n"
                 f"embedding std = {mean:.3f} (healthy ≈ {1 / math.sqrt(d):.3f})",
           xlabel="dimension (sorted by std)", ylabel="std of l2-normalised rows")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=FONT)
    return fig


def correlation(z, ax=None, title="correlation matrix of the embedding", max_dims=64):
    """Heatmap of the Pearson correlation between the first `max_dims` dimensions of z (N, D).

    Bright off-diagonal blocks are redundant dimensions (what Barlow Twins and VICReg's
    covariance term push to 0). Zero-variance dimensions show as 0.
    """
    z = _cpu(z).flatten(1)
    d_all, z = z.shape[1], z[:, :max_dims]
    fig, ax = _axes(ax, (5.6, 4.6))
    live = z.std(0) > 1e-9 * z.abs().amax(0)  # constant up to rounding: zero variance, shown as 0
    corr = torch.corrcoef(z.T) if len(z) > 1 else torch.zeros(z.shape[1], z.shape[1], dtype=z.dtype)
    corr = torch.where(live[:, None] & live[None, :], corr.nan_to_num(0.0), 0.0).clamp(-1, 1)
    im = ax.imshow(corr.numpy(), cmap="RdBu_r", vmin=-1, vmax=1, interpolation="nearest")
    fig.colorbar(im, ax=ax, label="correlation", shrink=0.9)
    if not torch.isfinite(z).all():
        _note(ax, "embeddings contain NaN")
    if d_all > z.shape[1]:
        title = f"{title}\n(first {z.shape[1]} of {d_all} dims)"
    ax.set(title=title, xlabel="dimension", ylabel="dimension")
    return fig


def pca(z, labels, class_names=None, ax=None, title=None, max_points=2000):
    """2-D PCA scatter of z (N, D) coloured by class label (a fixed subsample of max_points).

    class_names: list or dict mapping label -> name. Collapsed or NaN embeddings give a
    note instead of a scatter.
    """
    z = _cpu(z).flatten(1)
    lab = (np.zeros(len(z), int) if labels is None else labels.detach().cpu().numpy() if torch.is_tensor(labels)
           else np.asarray(labels)).reshape(-1)
    if len(z) > max_points:
        keep = torch.randperm(len(z), generator=torch.Generator().manual_seed(0))[:max_points].sort().values
        z, lab = z[keep], lab[keep.numpy()]
    fig, ax = _axes(ax, (6.2, 4.8))
    ax.set_title(title or "PCA of the embedding")
    zc = z - z.mean(0, keepdim=True)
    nan = not torch.isfinite(z).all()
    if nan or len(z) < 2 or zc.abs().max() <= 1e-9 * max(1.0, float(z.abs().max())):
        _note(ax, "embeddings contain NaN" if nan else "embeddings are collapsed: all points coincide")
        return fig
    if zc.shape[1] <= len(zc):  # top-2 principal axes from the smaller of the two Gram matrices
        lam, vec = torch.linalg.eigh(zc.T @ zc)  # ascending
        xy = zc @ vec[:, -2:].flip(1)
    else:
        lam, vec = torch.linalg.eigh(zc @ zc.T)
        xy = vec[:, -2:].flip(1) * lam[-2:].flip(0).clamp_min(0).sqrt()
    xy = xy * torch.sign(xy[xy.abs().argmax(0), torch.arange(xy.shape[1])])  # fixed sign
    xy = torch.cat([xy, torch.zeros(len(xy), 2 - xy.shape[1], dtype=xy.dtype)], 1).numpy()  # D = 1
    var = (lam.flip(0)[:2] / lam.clamp_min(0).sum().clamp_min(1e-300) * 100).tolist() + [0.0]
    classes = np.unique(lab)
    cmap = plt.get_cmap("tab10" if len(classes) <= 10 else "tab20")
    for j, c in enumerate(classes):
        m = lab == c
        ax.scatter(xy[m, 0], xy[m, 1], s=6, alpha=0.6, lw=0, color=cmap(j % cmap.N),
                   label=str(class_names[c] if class_names is not None else c))
    ax.set(xlabel=f"PC 1 ({var[0]:.0f}% of variance)", ylabel=f"PC 2 ({var[1]:.0f}% of variance)")
    if labels is not None and len(classes) <= 20:
        ax.legend(fontsize=FONT, markerscale=2.5, loc="center left", bbox_to_anchor=(1.01, 0.5),
                  title="class", title_fontsize=FONT)
    return fig


def _img(x) -> np.ndarray:
    """(C, H, W) or (H, W) uint8 / float-in-[0, 1] -> (H, W, C) float array for imshow."""
    x = torch.as_tensor(x).detach().cpu()
    x = (x.float() / 255 if x.dtype == torch.uint8 else x.float()).clamp(0, 1)
    return x.numpy() if x.dim() == 2 else (x[0] if x.shape[0] == 1 else x.permute(1, 2, 0)).numpy()


def _show(ax, x, title=None):
    ax.imshow(_img(x), interpolation="nearest", cmap="gray", vmin=0, vmax=1)
    ax.set(xticks=[], yticks=[])
    ax.set_title(title or "", fontsize=FONT)


def image_grid(images, nrow=8, titles=None, title=None):
    """Images (N, 3, H, W) as uint8 or float in [0, 1], `nrow` per row (torchvision's meaning)."""
    n = len(images)
    cols = max(1, min(nrow, n))
    rows = max(1, math.ceil(n / cols))
    height = 1.4 * rows + (0.3 if titles is not None else 0) + (0.4 if title else 0)
    fig, axes = _subplots(rows, cols, figsize=(1.4 * cols + 0.2, height), layout="constrained", squeeze=False)
    for i, ax in enumerate(axes.ravel()):
        if i < n:
            _show(ax, images[i], None if titles is None else str(titles[i]))
        else:
            fig.delaxes(ax)
    if title:
        fig.suptitle(title)
    return fig


def view_grid(originals, views, title="augmented views"):
    """One row per original image: the original, then each of its views.

    views: list of (N, 3, h, w) tensors, one per view; sizes may differ (multi-crop), in
    which case the column titles give each view's size.
    """
    cols = [originals, *views]
    n = min(len(c) for c in cols)
    names = ["original"] + [f"view {j}" for j in range(1, len(cols))]
    if len({tuple(c.shape[-2:]) for c in cols}) > 1:  # multi-crop: give each column's size
        names = [f"{nm} ({c.shape[-2]}×{c.shape[-1]})" for nm, c in zip(names, cols)]
    fig, axes = _subplots(n, len(cols), figsize=(1.5 * len(cols) + 0.2, 1.5 * n + 0.7),
                             layout="constrained", squeeze=False)
    for r in range(n):
        for c, col in enumerate(cols):
            _show(axes[r, c], col[r], names[c] if r == 0 else None)
    if title:
        fig.suptitle(title)
    return fig


def sweep_lines(rows, x, y, hue="method", ax=None, logx=None):
    """One line of `y` against the knob `x` per distinct value of `hue`, from a results table.

    rows: list of dicts (or a DataFrame). Failed runs (y None/NaN/inf) are drawn as 'x' at
    the bottom of the axes and the legend says "diverged". logx=None: log scale when all x
    are positive and span more than 20×. Non-numeric x (e.g. optimizer names) is categorical.
    """
    rows = rows.to_dict("records") if hasattr(rows, "to_dict") else rows  # a DataFrame
    rows = [r for r in rows if r.get(x) is not None]
    fig, ax = _axes(ax, (5.5, 4))
    xs = [r[x] for r in rows]
    numeric = all(isinstance(v, (int, float, np.number)) and not isinstance(v, bool) for v in xs)
    cats = [] if numeric else list(dict.fromkeys(map(str, xs)))  # table order
    pos = (lambda v: float(v)) if numeric else (lambda v: float(cats.index(str(v))))
    groups = dict.fromkeys(r.get(hue) if hue else None for r in rows)
    for i, g in enumerate(groups):
        pts = sorted((pos(r[x]), _num(r.get(y))) for r in rows if (r.get(hue) if hue else None) == g)
        ok = [(a, b) for a, b in pts if math.isfinite(b)]
        bad = [a for a, b in pts if not math.isfinite(b)]
        ax.plot([a for a, _ in ok], [b for _, b in ok], marker="o", color=f"C{i % 10}",
                ls="-" if numeric else "none", label=str(g) if hue else y)
        if bad:
            ax.scatter(bad, [0.03] * len(bad), marker="x", s=60, color=f"C{i % 10}", zorder=3,
                       transform=ax.get_xaxis_transform(), clip_on=False)
    if any(not math.isfinite(_num(r.get(y))) for r in rows):
        ax.scatter([], [], marker="x", color="0.3", label="diverged")
    distinct = sorted({pos(v) for v in xs})
    logx = (bool(distinct) and distinct[0] > 0 and distinct[-1] / distinct[0] > 20) if logx is None else logx
    if logx and numeric:
        ax.set_xscale("log")
    if not numeric:
        ax.set(xticks=range(len(cats)), xticklabels=cats, xlim=(-0.5, len(cats) - 0.5))
    elif 0 < len(distinct) <= 12:
        ax.set_xticks(distinct, [f"{v:g}" for v in distinct])
        ax.minorticks_off()
    ylabel = METRIC_LABELS.get(y, y)
    ax.set(xlabel=x, ylabel=ylabel, title=f"{ylabel} vs {x}")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=FONT, title=hue if hue else None, title_fontsize=FONT)
    return fig


def bars(table: dict, ylabel: str = "accuracy", title: str | None = None, reference: dict | None = None, ax=None,
         reference_label: str = "chance"):
    """Grouped bar chart: table = {series: {group: value}} (e.g. {"SimCLR": {"shape": 0.6, ...}}).

    reference: optional {group: value} drawn as a short dashed line over each group
    (e.g. chance level). Values are written on the bars.
    """
    series = list(table)
    groups = list(dict.fromkeys(gname for s in series for gname in table[s]))
    # wide enough for the bars and for each group's tick label (≈ 1.6 in each)
    fig, ax = _axes(ax, (max(1.3 * len(groups) * max(1, len(series)) / 2, 1.6 * len(groups)) + 2.5, 3.8))
    width = 0.8 / max(1, len(series))
    for i, s in enumerate(series):
        xs = np.arange(len(groups)) + (i - (len(series) - 1) / 2) * width
        vals = [_num(table[s].get(gname)) for gname in groups]
        rects = ax.bar(xs, [v if math.isfinite(v) else 0 for v in vals], width, label=s, color=f"C{i % 10}")
        ax.bar_label(rects, labels=[f"{v:.2f}" if math.isfinite(v) else "NaN" for v in vals], fontsize=FONT,
                     padding=1)
    if reference:
        for j, gname in enumerate(groups):
            if gname in reference:
                ax.hlines(reference[gname], j - 0.45, j + 0.45, colors="0.3", linestyles="--",
                          label=reference_label if j == min(i for i, g in enumerate(groups) if g in reference) else None)
    ax.set_xticks(np.arange(len(groups)), groups)
    ax.set(ylabel=ylabel, title=title or "")
    ax.margins(y=0.15)
    ax.grid(alpha=0.3, axis="y")
    ax.legend(fontsize=FONT, loc="upper left", bbox_to_anchor=(1.01, 1))  # outside: never over a bar
    return fig


def seeds(table: dict, ylabel: str = "accuracy", title: str | None = None, reference: float | None = None,
          reference_label: str = "chance", ylim=None, ax=None):
    """Seeded results as bars and dots: table = {group: [one value per seed]} or {group: {series:
    [values]}} (several series side by side in each group). Each bar is the mean over the seeds,
    each dot one seed, so the spread is read next to the difference. reference: a dashed
    horizontal line (e.g. chance or the untrained network)."""
    groups = list(table)
    rows = {g: (v if isinstance(v, dict) else {None: v}) for g, v in table.items()}
    series = list(dict.fromkeys(s for r in rows.values() for s in r))
    fig, ax = _axes(ax, (max(4.5, 1.7 * len(groups) + 1), 3.6))
    width = 0.8 / len(series)
    for j, s in enumerate(series):
        for i, g in enumerate(groups):
            vals = [_num(v) for v in rows[g].get(s, [])]
            if not vals:
                continue
            x = i + (j - (len(series) - 1) / 2) * width
            colour = f"C{j}" if len(series) > 1 else f"C{i % 10}"
            ax.bar(x, sum(vals) / len(vals), width * 0.9, color=colour, alpha=0.6,
                   label=s if s is not None and i == 0 else None)
            ax.plot([x] * len(vals), vals, "k.", ms=6)
    if reference is not None:
        ax.axhline(reference, ls="--", color="0.4", lw=1, label=reference_label)
    ax.set_xticks(range(len(groups)), [g.replace(" (", "\n(").replace(", ", ",\n") for g in groups], fontsize=FONT)
    ax.set(ylabel=ylabel, title=f"{title}\n(bars: mean; dots: seeds)" if title else "bars: mean; dots: seeds")
    if ylim is not None:
        ax.set_ylim(*ylim)
    ax.grid(axis="y", alpha=0.3)
    if len(series) > 1 or reference is not None:
        ax.legend(fontsize=FONT, loc="best")  # where it hides the fewest bars and dots
    return fig
