"""Knob panels: sliders for `RunConfig` knobs, a Run button and a live collapse dashboard.

    from cookbook_lib.widgets import knob_panel
    panel = knob_panel(RunConfig(method="simclr", steps=300), knobs=("temperature", "batch_size"))
    panel            # in a notebook: the sliders, Run, the dashboard, the diagnosis

Every control is named by its knob and its range and choices come from `knob_info`, so a
slider can only produce values `RunConfig` accepts. Pressing Run trains through
`load_or_train` (a setting trained before is loaded at once) and redraws the dashboard
(`plots.history`, as a PNG in an `ipywidgets.Image`) at log steps (at most twice a second),
overlaying the earlier runs of the panel, each labelled by the knobs that differ. Training
runs on a worker thread, so the Stop button ends it after the current step and keeps its
curves. A knob the chosen method does not read is greyed out. A training error shows as
one line in the status, never a traceback. The diagnosis (`diagnose`) of the last run is
shown under the dashboard. Everything the buttons do is a plain method (`KnobPanel.run`,
`.start`, `.stop`, `.config`, `.redraw`) that tests call without a browser.
"""
from __future__ import annotations

import html
import io
import math
import threading
import time
import warnings

import ipywidgets as W
import matplotlib.pyplot as plt

from . import plots
from .cache import load_or_train, run_path
from .config import RunConfig, knob_info, knob_names
from .diagnose import diagnose
from .methods import catalog

DEFAULT_KNOBS = ("method", "temperature", "batch_size", "projector_depth", "embedding_dim", "lr")
DEFAULT_METRICS = ("loss", "rankme", "embedding_std", "online_probe_acc")
class _Auto:
    """The stop meaning None = the method's default (ipywidgets selections can't hold None, and
    the string "auto" is a real value of some knobs, e.g. precision)."""

    def __repr__(self):
        return "auto"


AUTO = _Auto()
MAX_OVERLAY = 8  # earlier runs drawn with the current one
DPI = 100  # the dashboard as sharp as the chapters' figures


def nice_values(lo, hi, integer: bool, powers_of_two: bool = False) -> list:
    """Log-spaced stops between lo and hi: 1-2-5 per decade (or powers of two), 0 kept if lo is 0."""
    out = [0] if lo <= 0 else []
    start = max(lo, 1 if integer else 1e-6) if lo <= 0 else lo
    if powers_of_two:
        v = 2 ** math.ceil(math.log2(start))
        while v <= hi:
            out.append(int(v))
            v *= 2
    else:
        e = math.floor(math.log10(start))
        while 10 ** e <= hi * 10:
            for m in (1, 2, 5):
                v = m * 10.0 ** e
                v = int(round(v)) if integer else float(f"{v:.6g}")
                if start <= v <= hi:
                    out.append(v)
            e += 1
    for end in (lo, hi):  # the ends themselves are reachable
        if end not in out:
            out.append(int(end) if integer else float(end))
    return sorted(set(out))


def make_control(name: str, value, span=None) -> W.Widget:
    """The widget for one knob: Checkbox (bool), Dropdown (choices), Text (free str),
    SelectionSlider (log-scale, nullable or wide knobs: log-spaced stops), else Int/FloatSlider."""
    info = knob_info(name)
    typ, nullable = info["type"], info["default"] is None
    common = dict(description=name, description_tooltip=info["help"], style={"description_width": "150px"},
                  layout=W.Layout(width="520px"))
    if typ is bool:
        return W.Checkbox(value=bool(value), indent=True, **common)
    if info["choices"]:
        opts = ([("auto (the method's default)", AUTO)] if nullable else []) + [(c, c) for c in info["choices"]]
        return W.Dropdown(options=opts, value=AUTO if value is None else value, **common)
    if typ is str:
        return W.Text(value=value, **common)
    lo, hi = span or info["slider"] or info["range"]
    integer = typ is int
    default = info["default"]
    small = (not integer and default is not None and 0 < default < 0.02 * hi)
    if info["stops"] or info["log"] or nullable or small or (integer and hi - lo > 1000):
        pow2 = integer and (info["pow2"] or (isinstance(default, int) and default > 0
                                             and default & (default - 1) == 0))
        stops = list(info["stops"] or nice_values(lo, hi, integer, pow2))
        if value is not None and value not in stops:
            stops = sorted(stops + [value])
        opts = ([("auto", AUTO)] if nullable else []) + [(f"{v:g}", v) for v in stops]
        return W.SelectionSlider(options=opts, value=AUTO if value is None else value, continuous_update=False,
                                 **common)
    if integer:
        return W.IntSlider(value=value, min=lo, max=hi, continuous_update=False, **common)
    step = 10 ** math.floor(math.log10((hi - lo) / 100))
    return W.FloatSlider(value=value, min=lo, max=hi, step=step, continuous_update=False,
                         readout_format=f".{max(0, -int(math.log10(step)))}f", **common)


class KnobPanel:
    """Sliders → `RunConfig` → Run → live dashboard + diagnosis. `.widget` is the VBox.

    The Run button trains on a worker thread (the kernel stays free to redraw and to take
    the Stop button), so Stop ends the run after its current step and keeps its curves.
    `data(**extra) -> ImageData` and `extra` {name: options} add controls that are not knobs
    but choose the data (e.g. an imbalance ratio); `score(run) -> float` is measured after
    each run and plotted against the first control (one line per setting of the others)."""

    # While training, the dashboard is redrawn at a log step at most every REDRAW_EVERY_S
    # seconds and so that drawing takes at most DRAW_SHARE of the time (a redraw costs
    # 0.3-0.8 s on a laptop core, and the training thread waits for it; a run of a few
    # seconds per log step is drawn at every log step all the same).
    REDRAW_EVERY_S = 0.5
    DRAW_SHARE = 0.15

    def __init__(self, base_config: RunConfig | None = None, knobs=DEFAULT_KNOBS, metrics=DEFAULT_METRICS,
                 steps: int | None = None, ranges: dict | None = None, data=None, extra: dict | None = None,
                 score=None, score_name: str = "score"):
        base = base_config or RunConfig()
        self.base = base.replace(steps=steps) if steps is not None else base
        for k in knobs:
            knob_info(k)  # ValueError for an unknown knob
        extra = dict(extra or {})
        if extra and not callable(data):
            raise ValueError("knob_panel(extra=...) needs data=fn(**extra) -> ImageData: the extra controls choose the data")
        self.keys = tuple(metrics)
        self.data, self.score, self.score_name = data, score, score_name
        self.controls = {k: self._control(k, getattr(self.base, k), (ranges or {}).get(k)) for k in knobs}
        self.extra = {k: W.SelectionSlider(options=list(v), value=list(v)[0], description=k, continuous_update=False,
                                           style={"description_width": "150px"}, layout=W.Layout(width="520px"))
                      for k, v in extra.items()}
        self.button = W.Button(description="Run", button_style="primary", icon="play",
                               tooltip="train this setting (instant if trained before)")
        self.stop_button = W.Button(description="Stop", icon="stop", disabled=True,
                                    tooltip="end the run after its current step; its curves so far are kept")
        self.clear_button = W.Button(description="Clear runs", tooltip="forget the earlier runs of this panel")
        self.status = W.HTML(value="<i>Set the knobs and press Run.</i>")
        self.dashboard = W.Image(format="png", layout=W.Layout(max_width="900px"))
        self.score_plot = W.Image(format="png", layout=W.Layout(max_width="600px", display="none"))  # shown with a score
        self.diagnosis = W.HTML()
        self.log = W.Output()  # anything printed while training (kept out of the way)
        self.button.on_click(lambda _: self.start())
        self.stop_button.on_click(lambda _: self.stop())
        self.clear_button.on_click(lambda _: self.clear())
        self.runs: list = []  # finished (or stopped) runs of this session, oldest first
        self.points: dict = {}  # (control values) -> score
        self.redraws = 0
        self.last_run = None
        self.timings: dict = {}
        self.thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._fig = self._axes = None
        self._last_draw, self._wait = 0.0, 0.0
        self.widget = W.VBox([W.HTML(f"<b>Knobs</b> (base: {html.escape(self.base.method)} on "
                                     f"{html.escape(self.base.dataset)}, {self.base.steps} steps)"),
                              *self.controls.values(), *self.extra.values(),
                              W.HBox([self.button, self.stop_button, self.clear_button]),
                              self.status, self.dashboard, self.score_plot, self.diagnosis, self.log])
        for c in self.controls.values():
            c.observe(lambda _: self.grey_out(), names="value")
        self.grey_out()
        self.redraw([])
        self.show_cached()

    def grey_out(self) -> None:
        """Disable the controls of knobs the chosen method does not read (their tooltip says so)."""
        method = self.controls["method"].value if "method" in self.controls else self.base.method
        backbone = self.controls["backbone"].value if "backbone" in self.controls else self.base.backbone
        for k, c in self.controls.items():
            c.disabled = not catalog.reads(method, k, backbone)
            c.description_tooltip = (f"{method} does not read {k}" if c.disabled else knob_info(k)["help"])

    # ---------------------------------------------------------------- the callbacks
    def config(self) -> RunConfig:
        """The base config with the widgets' current values (ValueError if RunConfig refuses)."""
        values = {k: None if c.value is AUTO else c.value for k, c in self.controls.items()}
        return RunConfig(**{**self.base.to_dict(), **values})

    def dataset(self):
        """The ImageData the extra controls choose (None: the config's dataset)."""
        return self.data(**{k: c.value for k, c in self.extra.items()}) if callable(self.data) else self.data

    def show_cached(self) -> None:
        """If the current setting was trained before, show it at once (nothing trains)."""
        try:
            cfg, data = self.config(), self.dataset()
            if run_path(cfg, data=data).exists():
                self.run()
        except Exception:  # noqa: BLE001 - an empty panel is fine; Run will say what is wrong
            pass

    def start(self) -> threading.Thread | None:
        """What the Run button does: `run()` on a worker thread (Stop can end it)."""
        if self.thread is not None and self.thread.is_alive():
            return None
        self.thread = threading.Thread(target=self.run, name="knob-panel-run", daemon=True)
        self.thread.start()
        return self.thread

    def stop(self) -> None:
        """What the Stop button does: the run ends after its current step, its curves kept."""
        self._stop.set()
        self._status("stopping", "after the current step…")

    def run(self):
        """Train (or load) the current setting, redrawing as it goes; in this thread.

        Never raises: an error becomes one line in the status. Returns the Run (or None).
        """
        t0 = time.perf_counter()
        self.timings = {}
        self._stop.clear()
        self.button.disabled, self.stop_button.disabled = True, False
        try:
            cfg = self.config()
            data = self.dataset()
            cached = run_path(cfg, data=data).exists()
            self._status("loading" if cached else "training",
                         f"{cfg.method}, {self._label_of(cfg)}" if cached else
                         f"step 0/{cfg.steps} · preparing data and model (first numbers at step "
                         f"{min(cfg.log_every, cfg.steps)})")

            def callback(run, record):
                self._status("training", f"step {record['step']}/{cfg.steps} · loss {record['loss']:.4g} · "
                                         f"RankMe {record['rankme']:.1f} · std {record['embedding_std']:.3f} · "
                                         f"{record['time']:.1f} s")
                now = time.perf_counter()
                # the last log step is not forced: the finished run is drawn right after training
                if now - self._last_draw >= self._wait:
                    self.redraw(self.runs + [run], layout=False)
                    self._last_draw = time.perf_counter()
                    drawn = self._last_draw - now
                    self._wait = max(self.REDRAW_EVERY_S, drawn * (1 - self.DRAW_SHARE) / self.DRAW_SHARE)
                    self.timings["draw_s"] = self.timings.get("draw_s", 0.0) + drawn
                self.timings.setdefault("first_update_s", time.perf_counter() - t0)  # Run → first redraw

            with warnings.catch_warnings(record=True), self.log:  # a divergence warning goes to the status
                warnings.simplefilter("always")
                run = load_or_train(cfg, progress=False, callback=None if cached else callback, data=data,
                                    stop=self._stop.is_set)
            if self.score is not None and run.status == "ok":
                shown = cfg.resolved()  # "auto" as the value it stood for
                key = tuple(c.value for c in self.extra.values()) + tuple(getattr(shown, k) for k in self.controls)
                self.points[key] = float(self.score(run))
            self.runs = [r for r in self.runs if r.config.cache_key() != run.config.cache_key()] + [run]
            self.last_run = run
            self.redraw(self.runs)
            self.timings["total_s"] = time.perf_counter() - t0
            m = run.metrics
            summary = " · ".join(f"{k} {m[k]:.3g}" for k in ("linear_acc", "knn_acc", "rankme", "embedding_std")
                                 if isinstance(m.get(k), float))
            if self.score is not None and run.status == "ok":
                summary = f"{self.score_name} {self.points[key]:.3f} · " + summary
            if run.status == "ok":
                how = (f"loaded from cache (trained in {run.seconds:.1f} s)" if cached
                       else f"trained in {run.seconds:.1f} s")
                self._status("done", f"{how}: {summary}")
            elif run.status == "interrupted":
                self._status("stopped", f"{run.message} (not cached: press Run to train it in full)")
            else:
                self._status("diverged", run.message.split(". ")[0] + ".", error=True)
            self.show_diagnosis(run)
            self.draw_scores()
            return run
        except KeyboardInterrupt:
            self._status("interrupted", "training was interrupted", error=True)
        except Exception as e:  # noqa: BLE001 - the panel shows the error, it never raises
            self._status("error", f"{type(e).__name__}: {_one_line(str(e))}", error=True)
        finally:
            self.button.disabled, self.stop_button.disabled = False, True
        return None

    def draw_scores(self) -> None:
        """`score` against the first control, one line per setting of the others."""
        if not self.points:
            self.score_plot.value = b""
            self.score_plot.layout.display = "none"
            return
        names = list(self.extra) + list(self.controls)
        fig, ax = plt.subplots(figsize=(6, 3.2), layout="constrained")
        plt.close(fig)
        for i, rest in enumerate(dict.fromkeys(k[1:] for k in self.points)):
            pts = sorted((k[0], v) for k, v in self.points.items() if k[1:] == rest)
            label = ", ".join(f"{n}={_short(v)}" for n, v in zip(names[1:], rest)) or self.score_name
            ax.plot(*zip(*pts), "o-", color=f"C{i % 10}", label=label)
        if all(isinstance(k[0], (int, float)) and k[0] > 0 for k in self.points):
            ax.set_xscale("log")
        ax.set(xlabel=names[0], ylabel=self.score_name, title=f"{self.score_name} of your runs")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=plots.FONT)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=DPI)
        self.score_plot.value = buf.getvalue()
        self.score_plot.layout.display = None

    def clear(self):
        """Forget the earlier runs (the cache keeps them: re-running one is instant)."""
        self.runs, self.last_run = [], None
        self.diagnosis.value = ""
        self.redraw([])

    def show_diagnosis(self, run):
        try:
            self.diagnosis.value = diagnose(run)._repr_html_()
        except Exception as e:  # noqa: BLE001
            self.diagnosis.value = f"<i>no diagnosis: {html.escape(_one_line(str(e)))}</i>"

    def redraw(self, runs, layout: bool = True):
        """Draw `runs` (the last one in progress, maybe) into the dashboard image.

        layout=False keeps the axes where the last laid-out redraw put them (a redraw while
        training: the constrained layout is half a redraw's cost); the finished run is drawn
        with a fresh layout."""
        runs = list(runs)[-MAX_OVERLAY:]
        if self._fig is None:
            shape = (2, 2) if len(self.keys) == 4 else (1, len(self.keys))
            self._fig, axes = plt.subplots(*shape, figsize=(4.4 * shape[1], 3.0 * shape[0]),
                                           layout="constrained", squeeze=False)
            plt.close(self._fig)
            self._axes = list(axes.ravel())
        for ax in self._axes:
            ax.clear()
        self._fig.set_layout_engine("constrained" if layout else "none")
        underlaid = self.underlay(self._axes)  # a subclass may draw first (stored evidence)
        if runs:
            plots.history(runs, keys=self.keys, labels=self.labels(runs), axes=self._axes)
        elif not underlaid:
            for key, ax in zip(self.keys, self._axes):
                ax.set(title=plots._PANELS.get(key, (key,))[0], xlabel="step")
                ax.text(0.5, 0.5, "press Run", transform=ax.transAxes, ha="center", va="center", color="0.5")
        buf = io.BytesIO()
        self._fig.savefig(buf, format="png", dpi=DPI)
        self.dashboard.value = buf.getvalue()
        self.redraws += 1

    # ---------------------------------------------------------------- helpers
    _control = staticmethod(make_control)  # knob -> widget (a subclass may offer other stops)

    def underlay(self, axes) -> bool:  # draw under the runs (a subclass: stored evidence); True if drawn
        return False

    def labels(self, runs) -> list[str]:
        """Each run named by the knobs whose values differ among `runs` (the method if none)."""
        dicts = [r.config.resolved().to_dict() for r in runs]
        differ = [k for k in knob_names() if len({repr(d[k]) for d in dicts}) > 1]
        differ = [k for k in self.controls if k in differ] + [k for k in differ if k not in self.controls]
        out = []
        for r, d in zip(runs, dicts):
            label = ", ".join(f"{k}={_short(d[k])}" for k in differ[:3]) or r.config.method
            out.append(label + (" (diverged)" if r.status != "ok" else ""))
        return out

    def _label_of(self, cfg) -> str:
        return ", ".join(f"{k}={_short(getattr(cfg, k))}" for k in self.controls)

    def _status(self, state: str, text: str, error: bool = False):
        color = "#b42318" if error else {"done": "#1a7f37"}.get(state, "#444")
        self.status.value = f"<span style='color:{color}'><b>{html.escape(state)}</b>: {html.escape(text)}</span>"

    @property
    def status_text(self) -> str:
        """The status line without its HTML."""
        import re
        return html.unescape(re.sub(r"<[^>]+>", "", self.status.value))

    def _repr_mimebundle_(self, **kwargs):  # returning the panel from a cell shows its widget
        return self.widget._repr_mimebundle_(**kwargs)


def _short(v) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def _one_line(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def knob_panel(base_config: RunConfig | None = None, knobs=DEFAULT_KNOBS, metrics=DEFAULT_METRICS,
               steps: int | None = None, ranges: dict | None = None, data=None, extra: dict | None = None,
               score=None, score_name: str = "score") -> KnobPanel:
    """A `KnobPanel`: one control per knob in `knobs`, Run and Stop buttons, the live
    dashboard of `metrics` (history keys) and the diagnosis of the last run. `steps`
    overrides the base config's steps; `ranges` {knob: (lo, hi)} narrows a slider.
    data: an `ImageData` to train on, or fn(**extra) -> ImageData with `extra` = {name:
    options}: controls that choose the data (e.g. `extra={"ratio": [1, 10, 100]}`).
    score: fn(run) -> float measured after each run and plotted (`score_name`) against the
    first control. If the current setting was trained before, the panel opens showing it.
    Display it by returning it from a cell (or `display(panel.widget)`)."""
    return KnobPanel(base_config, knobs=knobs, metrics=metrics, steps=steps, ranges=ranges, data=data, extra=extra,
                     score=score, score_name=score_name)
