"""Knob panels: sliders for `RunConfig` knobs, a Run button and a live collapse dashboard.

    from cookbook_lib.widgets import knob_panel
    panel = knob_panel(RunConfig(method="simclr", steps=300), knobs=("temperature", "batch_size"))
    panel            # in a notebook: the sliders, Run, the dashboard, the diagnosis

Every control is named by its knob and its range and choices come from `knob_info`, so a
slider can only produce values `RunConfig` accepts. Pressing Run trains through
`load_or_train` (a setting trained before is loaded at once) and redraws the dashboard
(`plots.history`, as a PNG in an `ipywidgets.Image`) at every log step, overlaying the
earlier runs of the panel, each labelled by the knobs that differ. A training error shows as
one line in the status, never a traceback. The diagnosis (`diagnose`) of the last run is
shown under the dashboard. Everything the buttons do is a plain method (`KnobPanel.run`,
`.config`, `.redraw`) that tests call without a browser.
"""
from __future__ import annotations

import html
import io
import math
import time
import warnings

import ipywidgets as W
import matplotlib.pyplot as plt

from . import plots
from .cache import load_or_train, run_path
from .config import RunConfig, knob_info, knob_names
from .diagnose import diagnose

DEFAULT_KNOBS = ("method", "temperature", "batch_size", "projector_depth", "embedding_dim", "lr")
DEFAULT_METRICS = ("loss", "rankme", "embedding_std", "online_probe_acc")
# Slider spans narrower than the validator's range where its ends are useless on a slider
# (override with knob_panel(..., ranges={knob: (lo, hi)})).
SENSIBLE = dict(steps=(0, 20000), batch_size=(4, 1024), representation_dim=(8, 2048), projector_width=(8, 4096),
                embedding_dim=(2, 2048), predictor_width=(8, 4096), num_prototypes=(2, 4096), seed=(0, 99),
                queue_size=(0, 65536), log_every=(1, 1000), sim_coeff=(0.0, 100.0), std_coeff=(0.0, 100.0),
                cov_coeff=(0.0, 100.0), image_size=(8, 128), small_crop_size=(4, 128))
# hand-picked stops for knobs whose useful values crowd near one end of their range
STOPS = dict(ema_momentum=[0.0, 0.5, 0.9, 0.95, 0.98, 0.99, 0.996, 0.999, 1.0],
             center_momentum=[0.0, 0.5, 0.8, 0.9, 0.95, 0.99, 1.0],
             mask_ratio=[0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95])  # linear: log stops would start at 1e-6
class _Auto:
    """The stop meaning None = the method's default (ipywidgets selections can't hold None, and
    the string "auto" is a real value of some knobs, e.g. precision)."""

    def __repr__(self):
        return "auto"


AUTO = _Auto()
POWERS_OF_TWO = ("batch_size", "representation_dim", "projector_width", "embedding_dim", "predictor_width",
                 "num_prototypes", "queue_size")  # sizes: slider stops at powers of two
MAX_OVERLAY = 8  # earlier runs drawn with the current one


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
    lo, hi = span or SENSIBLE.get(name) or info["range"]
    integer = typ is int
    default = info["default"]
    small = (not integer and default is not None and 0 < default < 0.02 * hi)
    if name in STOPS or info["log"] or nullable or small or (integer and hi - lo > 1000):
        pow2 = integer and (name in POWERS_OF_TWO or (isinstance(default, int) and default > 0
                                                       and default & (default - 1) == 0))
        stops = STOPS.get(name) or nice_values(lo, hi, integer, pow2)
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
    """Sliders → `RunConfig` → Run → live dashboard + diagnosis. `.widget` is the VBox."""

    def __init__(self, base_config: RunConfig | None = None, knobs=DEFAULT_KNOBS, metrics=DEFAULT_METRICS,
                 steps: int | None = None, ranges: dict | None = None):
        base = base_config or RunConfig()
        self.base = base.replace(steps=steps) if steps is not None else base
        for k in knobs:
            knob_info(k)  # ValueError for an unknown knob
        self.keys = tuple(metrics)
        self.controls = {k: make_control(k, getattr(self.base, k), (ranges or {}).get(k)) for k in knobs}
        self.button = W.Button(description="Run", button_style="primary", icon="play",
                               tooltip="train this setting (instant if trained before)")
        self.clear_button = W.Button(description="Clear runs", tooltip="forget the earlier runs of this panel")
        self.status = W.HTML(value="<i>Set the knobs and press Run.</i>")
        self.dashboard = W.Image(format="png", layout=W.Layout(max_width="900px"))
        self.diagnosis = W.HTML()
        self.log = W.Output()  # anything printed while training (kept out of the way)
        self.button.on_click(lambda _: self.run())
        self.clear_button.on_click(lambda _: self.clear())
        self.runs: list = []  # finished runs of this session, oldest first
        self.redraws = 0
        self.last_run = None
        self.timings: dict = {}
        self._fig = self._axes = None
        self.widget = W.VBox([W.HTML(f"<b>Knobs</b> (base: {html.escape(self.base.method)} on "
                                     f"{html.escape(self.base.dataset)}, {self.base.steps} steps)"),
                              *self.controls.values(), W.HBox([self.button, self.clear_button]),
                              self.status, self.dashboard, self.diagnosis, self.log])
        self.redraw([])

    # ---------------------------------------------------------------- the callbacks
    def config(self) -> RunConfig:
        """The base config with the widgets' current values (ValueError if RunConfig refuses)."""
        values = {k: None if c.value is AUTO else c.value for k, c in self.controls.items()}
        return RunConfig(**{**self.base.to_dict(), **values})

    def run(self):
        """What the Run button does: train (or load) the current setting, redrawing as it goes.

        Never raises: an error becomes one line in the status. Returns the Run (or None).
        """
        t0 = time.perf_counter()
        self.timings = {}
        self.button.disabled = True
        try:
            cfg = self.config()
            cached = run_path(cfg).exists()
            self._status("loading" if cached else "training", f"{cfg.method}, {self._label_of(cfg)}")

            def callback(run, record):
                self._status("training", f"step {record['step']}/{cfg.steps} · loss {record['loss']:.4g} · "
                                         f"RankMe {record['rankme']:.1f} · std {record['embedding_std']:.3f} · "
                                         f"{record['time']:.1f} s")
                self.redraw(self.runs + [run])
                self.timings.setdefault("first_update_s", time.perf_counter() - t0)  # Run → first redraw

            with warnings.catch_warnings(record=True), self.log:  # a divergence warning goes to the status
                warnings.simplefilter("always")
                run = load_or_train(cfg, progress=False, callback=None if cached else callback)
            self.runs = [r for r in self.runs if r.config.cache_key() != run.config.cache_key()] + [run]
            self.last_run = run
            self.redraw(self.runs)
            self.timings["total_s"] = time.perf_counter() - t0
            m = run.metrics
            summary = " · ".join(f"{k} {m[k]:.3g}" for k in ("linear_acc", "knn_acc", "rankme", "embedding_std")
                                 if isinstance(m.get(k), float))
            if run.status == "ok":
                how = (f"loaded from cache (trained in {run.seconds:.1f} s)" if cached
                       else f"done in {run.seconds:.1f} s")
                self._status("done", f"{how}: {summary}")
            else:
                self._status("diverged", run.message.split(". ")[0] + ".", error=True)
            self.show_diagnosis(run)
            return run
        except KeyboardInterrupt:
            self._status("interrupted", "training was interrupted", error=True)
        except Exception as e:  # noqa: BLE001 - the panel shows the error, it never raises
            self._status("error", f"{type(e).__name__}: {_one_line(str(e))}", error=True)
        finally:
            self.button.disabled = False
        return None

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

    def redraw(self, runs):
        """Draw `runs` (the last one in progress, maybe) into the dashboard image."""
        runs = list(runs)[-MAX_OVERLAY:]
        if self._fig is None:
            shape = (2, 2) if len(self.keys) == 4 else (1, len(self.keys))
            self._fig, axes = plt.subplots(*shape, figsize=(4.4 * shape[1], 3.0 * shape[0]),
                                           layout="constrained", squeeze=False)
            plt.close(self._fig)
            self._axes = list(axes.ravel())
        for ax in self._axes:
            ax.clear()
        if runs:
            plots.history(runs, keys=self.keys, labels=self.labels(runs), axes=self._axes)
        else:
            for key, ax in zip(self.keys, self._axes):
                ax.set(title=plots._PANELS.get(key, (key,))[0], xlabel="step")
                ax.text(0.5, 0.5, "press Run", transform=ax.transAxes, ha="center", va="center", color="0.5")
        buf = io.BytesIO()
        self._fig.savefig(buf, format="png", dpi=72)
        self.dashboard.value = buf.getvalue()
        self.redraws += 1

    # ---------------------------------------------------------------- helpers
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
               steps: int | None = None, ranges: dict | None = None) -> KnobPanel:
    """A `KnobPanel`: one control per knob in `knobs`, a Run button, the live dashboard of
    `metrics` (history keys) and the diagnosis of the last run. `steps` overrides the base
    config's steps; `ranges` {knob: (lo, hi)} narrows a slider. Display it by returning it
    from a cell (or `display(panel.widget)`)."""
    return KnobPanel(base_config, knobs=knobs, metrics=metrics, steps=steps, ranges=ranges)
