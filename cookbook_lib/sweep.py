"""`sweep(base_config, grid)`: a Cartesian grid of runs, cached and resumable, as a table.

    result = sweep(RunConfig(method="simclr", steps=300),
                   {"projector_depth": [0, 1, 2, 3], "temperature": [0.1, 0.5]})
    result.table()                              # one row per run: knobs, status, metrics, seconds
    result.plot("projector_depth", "linear_acc", hue="temperature")   # cf. the paper's Fig. 11

Every run goes through `load_or_train`, so a finished run is never recomputed: an
interrupted sweep (Ctrl-C, a crash, a closed laptop) resumes where it stopped when it is run
again. A diverged run is stored and recorded with status "diverged"; a run that raises (e.g.
a combination of knobs a method refuses) is recorded with status "error" and its message;
either way the sweep goes on. Knob names and values are checked before any training.
"""
from __future__ import annotations

import html
import itertools
import time
from dataclasses import dataclass, field

from tqdm.auto import tqdm

from .cache import load_or_train, run_path
from .config import RunConfig, check_knob, did_you_mean, knob_names
from .notebook import Table
from .runs import load_run

METRICS = ("linear_acc", "knn_acc", "rankme", "rankme_backbone", "embedding_std", "alpha_req",
           "alignment", "uniformity")


@dataclass
class SweepResult:
    """The runs of a sweep: `.rows` (knobs, status, metrics, seconds), `.runs` (Run or None)."""

    grid: dict
    configs: list = field(default_factory=list)  # one RunConfig per row (None where it could not be built)
    rows: list = field(default_factory=list)
    runs: list = field(default_factory=list)

    @property
    def failed(self) -> list[dict]:
        """Rows whose run diverged or raised."""
        return [r for r in self.rows if r["status"] != "ok"]

    def table(self, columns=None) -> Table:
        """The results as a printable `Table`; `columns` picks and orders columns."""
        return Table([{c: r.get(c) for c in columns} if columns else dict(r) for r in self.rows])

    def plot(self, x: str, y: str = "linear_acc", hue: str | None = "method", ax=None, logx=None):
        """`y` against the knob `x`, one line per value of `hue` (`plots.sweep_lines`; the
        figure side is imported only here, so training never needs matplotlib).

        A failed run is drawn as a cross at the bottom. `hue` may be any knob, swept or not.
        """
        from . import plots

        rows = []
        for row, cfg in zip(self.rows, self.configs):
            row = dict(row)
            if hue and hue not in row and cfg is not None:
                row[hue] = getattr(cfg, hue)
            if row["status"] != "ok":
                row[y] = None
            rows.append(row)
        return plots.sweep_lines(rows, x, y, hue=hue, ax=ax, logx=logx)

    def __repr__(self):
        return f"SweepResult({len(self.rows)} runs, {len(self.failed)} failed)\n{self.table()!r}"

    def _repr_html_(self):
        return f"<p>Sweep: {len(self.rows)} runs, {len(self.failed)} failed</p>{self.table()._repr_html_()}"


def grid_points(grid: dict) -> list[dict]:
    """The Cartesian product of a grid {knob: [values]} as a list of {knob: value} dicts."""
    names = list(grid)
    return [dict(zip(names, values)) for values in itertools.product(*(grid[n] for n in names))]


def check_grid(base_config: RunConfig, grid: dict) -> None:
    """Raise ValueError for an unknown knob name or a value its knob refuses on its own
    (before any work). A combination of valid values that RunConfig refuses becomes a failed
    row of the sweep, not an error."""
    names = knob_names()
    for name, values in grid.items():
        if name not in names:
            raise ValueError(f"sweep grid: unknown knob {name!r}.{did_you_mean(name, names)}")
        if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
            raise ValueError(f"sweep grid: {name} must map to a list of values, got {values!r}")
        if len(values) == 0:
            raise ValueError(f"sweep grid: {name} has no values")
        for v in values:
            try:
                check_knob(name, v)
            except ValueError as e:
                raise ValueError(f"sweep grid: {e}") from None


def sweep(base_config: RunConfig, grid: dict, progress: bool = True, rerun_failed: bool = False,
          data=None, data_key: str = "") -> SweepResult:
    """Train (or load) every combination of `grid` on top of `base_config`.

    grid: {knob name: list of values}. Knob names and values are validated first: a typo
    raises ValueError naming it, before anything trains. A combination that RunConfig or the
    method refuses, or a run that raises, gives a row with status "error" and its message;
    a run whose loss became NaN/inf gives status "diverged"; the sweep goes on either way.
    rerun_failed: train stored diverged runs again instead of loading them.
    data, data_key: train every run on this `ImageData` (e.g. a subset, which carries its
    own key), cached under its key or `data_key`, as in `load_or_train`.
    Ctrl-C stops the sweep cleanly: the run in progress is kept in the result with status
    "interrupted" (and not stored), the finished runs are stored, and running the sweep
    again resumes.
    """
    grid = {k: list(v) if not isinstance(v, (str, bytes)) and hasattr(v, "__iter__") else v for k, v in grid.items()}
    check_grid(base_config, grid)
    data_key = data_key or (getattr(data, "key", "") if data is not None else "")
    if data is not None and not data_key:
        raise ValueError("sweep(..., data=...) needs data with a key (ImageData.head, .labelled, data.long_tailed) "
                         "or data_key=...: a short name for that data (see load_or_train)")
    base = base_config.to_dict()
    points = grid_points(grid)
    built = []
    for point in points:  # every config built before any training
        try:
            built.append((RunConfig(**{**base, **point}), None))
        except ValueError as e:
            built.append((None, str(e)))
    result = SweepResult(grid=grid)
    bar = tqdm(total=len(points), desc="sweep", unit="run", disable=not progress)
    try:
        for point, (cfg, error) in zip(points, built):
            bar.set_postfix_str(", ".join(f"{k}={v}" for k, v in point.items()))
            run, start = None, time.perf_counter()
            if cfg is not None:
                try:
                    if rerun_failed:
                        _drop_failed(cfg, data_key)
                    run = load_or_train(cfg, progress=progress, data=data, data_key=data_key)
                except KeyboardInterrupt:  # between runs or while loading: the finished runs are kept
                    run, error = None, "interrupted"
                except SystemExit:
                    raise
                except Exception as e:  # noqa: BLE001 - one bad run must not lose the others
                    error = f"{type(e).__name__}: {e}"
            result.configs.append(cfg)
            result.runs.append(run)
            result.rows.append(_row(point, run, error, time.perf_counter() - start))
            bar.update(1)
            if error == "interrupted" or (run is not None and run.status == "interrupted"):
                result.rows[-1]["status"] = "interrupted"
                bar.write(f"sweep interrupted at run {len(result.rows)} of {len(points)}; the "
                          f"{len(result.rows) - 1} finished runs are stored: run the sweep again to resume")
                break
    finally:
        bar.close()
    return result


def _drop_failed(cfg: RunConfig, data_key: str = "") -> None:
    path = run_path(cfg, data_key)
    if path.exists():
        try:
            if load_run(path, model=False).status != "ok":
                path.unlink()
        except Exception:  # noqa: BLE001 - a damaged file is retrained by load_or_train anyway
            pass


def _row(point: dict, run, error: str | None, wall: float) -> dict:
    row = dict(point)
    if run is None:
        row.update(status="error", **{m: None for m in METRICS}, seconds=round(wall, 3), message=error or "")
        return row
    row["status"] = run.status
    for m in METRICS:
        row[m] = run.metrics.get(m)
    for m, v in run.metrics.items():  # any other metric (e.g. diverged_at)
        row.setdefault(m, v)
    row["seconds"] = round(run.seconds, 3)
    row["message"] = run.message if run.status != "ok" else ""
    return row
