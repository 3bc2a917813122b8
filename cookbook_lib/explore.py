"""Instant explorables: a knob panel that moves along a stored evidence grid.

    from cookbook_lib.explore import evidence_panel
    evidence_panel("13_evaluation.temperature", metric="linear_acc")

One control per axis of the grid (`cookbook_lib.evidence.grids`), one knob at a time around
the grid's base setting, plus `seed`. Each control offers the stored values (marked
"stored") among the knob's usual stops. Moving a control to a stored setting answers at
once, from the evidence, with nothing trained: the dashboard draws every logged metric as
the mean ± std band over the stored seeds, and the plot under it shows `metric` against the
axis you moved last (the other axes held where they are), mean ± std with each seed as a dot.

A setting that is not stored (another value, or the same one at your seed) says so, and Run
trains it live, as a `KnobPanel` does (a worker thread, Stop, the run cache) at the grid's
full budget, then draws it over the stored bands ("your runs"): a stored setting trained at
a stored seed lands on its band (same config and seed, same numbers on a CPU).
"""
from __future__ import annotations

import io
import statistics

import ipywidgets as W
import matplotlib.pyplot as plt
import numpy as np

from . import evidence, plots
from .evidence.grids import GRIDS
from .config import knob_info
from .widgets import AUTO, DEFAULT_METRICS, DPI, KnobPanel, _short, make_control

STORED = "0.35"  # the colour of the stored bands: grey, so that your runs (C0, C1, …) stand out


def _label(v, stored: bool) -> str:
    return f"{_short(v)} · stored" if stored else _short(v)


def _numeric(values) -> bool:
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)


class EvidencePanel(KnobPanel):
    """A `KnobPanel` over one stored grid: `.ev` is the `Evidence`, `.axis` the axis moved last,
    `.slice_plot` the image of `metric` along it; `.show_evidence()` redraws both from the store
    (what moving a control does)."""

    def __init__(self, name: str, metric: str = "linear_acc", metrics=DEFAULT_METRICS):
        ev = evidence.load(name)
        grid = ev.grid
        if grid.subset is not None:
            plain = [n for n, g in GRIDS.items() if g.subset is None]
            raise ValueError(f"{name} trains each run on a {grid.subset!r} subset of the data; an evidence panel "
                             f"moves knobs only: choose a grid without a subset, e.g. {', '.join(plain[:3])}")
        if not ev.records:
            raise LookupError(f"{name}: nothing stored yet; compute it with: python -m cookbook_lib evidence --grid {name}")
        ev.values(metric, **ev.records[0]["point"])  # a clear error for a metric the grid did not store
        self.ev, self.metric = ev, metric
        self.axis = next((a for a, v in grid.axes.items() if len(v) > 1), next(iter(grid.axes)))
        seconds = [r["seconds"] for r in ev.records if r["config"]["steps"]] or [0.0]  # runs that trained
        self.cost = f"{statistics.fmean(seconds):.0f} s a run on {ev.records[0]['device']}"
        self.slice_plot = W.Image(format="png", layout=W.Layout(max_width="600px"))
        super().__init__(grid.config(grid.points()[0], grid.seeds[0]), knobs=(*grid.axes, "seed"), metrics=metrics,
                         data=grid.data if grid.head else None)  # Run trains on what the grid trained on
        self.widget.children = (W.HTML(f"<b>Stored evidence: {name}</b> ({len(grid.seeds)} seeds a setting, "
                                       f"{grid.base.get('steps', self.base.steps)} steps; {grid.claim})"),
                                *self.widget.children[1:], self.slice_plot)
        for k, c in self.controls.items():
            c.observe(lambda _, k=k: self.moved(k), names="value")
        self.show_evidence()

    # ---------------------------------------------------------------- controls
    def _control(self, name, value, span=None):
        """For an axis of the grid: the stored values (marked) among the knob's stops."""
        stored = list(self.ev.grid.axes.get(name, ()))
        if not stored:
            return make_control(name, value, span)
        info, usual = knob_info(name), make_control(name, value, span)
        if info["type"] is bool:
            values = [*stored, *[v for v in (True, False) if v not in stored]]
        elif hasattr(usual, "options"):  # a Dropdown or a SelectionSlider: its stops, "auto" left out
            values = [o[1] if isinstance(o, tuple) else o for o in usual.options]
            values = stored + [v for v in values if v is not AUTO and v not in stored]  # stored first in a list
        else:  # an Int/FloatSlider: ten even steps over its range
            lo, hi = usual.min, usual.max
            values = sorted({*stored, *(range(lo, hi + 1) if info["type"] is int and hi - lo <= 12
                                        else (float(f"{lo + i * (hi - lo) / 10:.6g}") for i in range(11)))})
        if _numeric(values):
            values = sorted(values)
        common = dict(description=name, style={"description_width": "150px"}, layout=W.Layout(width="520px"))
        options = [(_label(v, v in stored), v) for v in values]
        if _numeric(values):
            return W.SelectionSlider(options=options, value=value, continuous_update=False, **common)
        return W.Dropdown(options=options, value=value, **common)

    def point(self) -> dict:
        """The controls' values on the grid's axes."""
        return {a: None if self.controls[a].value is AUTO else self.controls[a].value for a in self.ev.grid.axes}

    def stored_runs(self) -> list[dict]:
        return sorted(self.ev.runs_at(**self.point()), key=lambda r: r["seed"])

    def moved(self, knob: str) -> None:
        if knob in self.ev.grid.axes:
            self.axis = knob
        self.show_evidence()

    def show_evidence(self) -> None:
        """Redraw the bands and the slice for the current setting and say what is stored."""
        runs = self.stored_runs()
        self.redraw(self.runs)  # laid out afresh: a move can change every axis' tick labels
        self.draw_slice()
        if runs:
            vals = [r["metrics"][self.metric] for r in runs]
            spread = f" ± {statistics.stdev(vals):.3f}" if len(vals) > 1 else ""
            seeds = [r["seed"] for r in runs]
            mine = self.controls["seed"].value
            then = ("Run re-trains that stored seed: it lands on the band" if mine in seeds
                    else f"Run trains seed {mine} live ({self.cost} when stored)")
            self._status("stored", f"{len(runs)} seeds ({', '.join(map(str, seeds))}): {self.metric} "
                                   f"{statistics.fmean(vals):.3f}{spread}. {then}.")
        else:
            self._status("not stored", f"press Run to train it live at the grid's budget ({self.cost} when stored)")

    def draw_scores(self) -> None:  # after a run: the slice with your run on it
        self.draw_slice()

    # ---------------------------------------------------------------- drawing
    def underlay(self, axes) -> bool:
        """Mean ± std over the stored seeds of each dashboard key, in grey."""
        runs = self.stored_runs()
        drawn = False
        for key, ax in zip(self.keys, axes):
            rows = [[(h["step"], h[key]) for h in r["history"] if h.get(key) is not None] for r in runs]
            n = min((len(r) for r in rows), default=0)
            if n == 0:
                continue
            steps = np.array([s for s, _ in rows[0][:n]], dtype=float)
            ys = np.array([[v for _, v in r[:n]] for r in rows], dtype=float)
            mean, std = np.nanmean(ys, axis=0), (np.nanstd(ys, axis=0, ddof=1) if len(ys) > 1 else 0 * ys[0])
            ax.fill_between(steps, mean - std, mean + std, color=STORED, alpha=0.25, lw=0)
            ax.plot(steps, mean, color=STORED, lw=1.5, label=f"stored: {len(runs)} seeds (mean ± std)")
            title, ylabel = plots._PANELS.get(key, (key.replace("_", " "),) * 2)
            ax.set(title=title, xlabel="step", ylabel=ylabel)
            ax.grid(alpha=0.3)
            drawn = True
        if drawn:  # (a stored run of 0 steps has no curves: the slice plot still shows it)
            axes[0].legend(fontsize=plots.FONT)
        return drawn

    def draw_slice(self) -> None:
        """`metric` against `self.axis` (other axes held): stored mean ± std, seeds as dots,
        your runs of this panel as crosses, the current setting as a dotted vertical line."""
        grid, axis, here = self.ev.grid, self.axis, self.point()
        held = {a: v for a, v in here.items() if a != axis}
        xs = [v for v in grid.axes[axis] if self.ev.runs_at(**held, **{axis: v})]
        mine = [(getattr(r.config.resolved(), axis), r.metrics[self.metric]) for r in self.runs
                if r.status == "ok" and self.metric in r.metrics
                and all(getattr(r.config.resolved(), a) == v for a, v in held.items())]
        values = xs + [x for x, _ in mine if x not in xs] + ([here[axis]] if here[axis] not in xs else [])
        numeric = _numeric(values)
        pos = (lambda v: v) if numeric else (lambda v: values.index(v))
        fig, ax = plt.subplots(figsize=(6, 3.2), layout="constrained")
        plt.close(fig)
        if xs:
            self.ev.plot(axis, self.metric, ax=ax, label=f"stored: {len(grid.seeds)} seeds (mean ± std)",
                         color=STORED, pos=pos, **held)
        if mine:
            ax.scatter([pos(x) for x, _ in mine], [y for _, y in mine], marker="X", s=70, color="C1",
                       label="your runs", zorder=3)
        ax.axvline(pos(here[axis]), color="C0", ls=":", lw=1.5, label="current setting")
        if numeric and min(values) > 0 and max(values) / min(values) >= 10:
            ax.set_xscale("log")
        if not numeric:
            ax.set_xticks(range(len(values)), [_short(v) for v in values])
        elif all(isinstance(v, int) for v in values) and len(values) <= 12:
            ax.set_xticks(sorted(values))
        rest = ", ".join(f"{a}={_short(v)}" for a, v in held.items())
        name = plots.METRIC_LABELS.get(self.metric, self.metric.replace("_", " "))
        ax.set(xlabel=axis, ylabel=name)
        ax.set_title(f"{name} along {axis}" + (f"\nwith {rest}" if rest else ""),
                     fontsize=plots.FONT + 1)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=plots.FONT)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=DPI)
        self.slice_plot.value = buf.getvalue()

    def labels(self, runs) -> list[str]:
        return [f"yours: {label}" for label in super().labels(runs)]


def evidence_panel(name: str, metric: str = "linear_acc", metrics=DEFAULT_METRICS) -> EvidencePanel:
    """An `EvidencePanel` on the stored grid `name` (`python -m cookbook_lib evidence --list`):
    moving a control answers from the stored seeds at once; Run trains the setting live.
    `metric`: the final metric along the moved axis; `metrics`: the dashboard's history keys."""
    if name not in GRIDS:
        from .names import did_you_mean
        raise ValueError(f"no evidence grid {name!r}{did_you_mean(name, list(GRIDS))} "
                         f"(all: python -m cookbook_lib evidence --list)")
    return EvidencePanel(name, metric=metric, metrics=metrics)
