"""Seeded evidence: the runs a chapter's claims rest on, stored as numbers next to this file.

A chapter's claim ("a projector keeps the backbone of higher rank") rests on runs at the
budget where the effect appears, with several seeds. Those runs take minutes to hours on a
laptop, so they are computed once, by

    python -m cookbook_lib evidence [--chapter 10] [--grid 10_projector.depth]

and stored here as one JSON file per grid (config, metrics and history of every run; no
weights: a grid is a few kB). A chapter reads them in either mode,

    ev = evidence.load("10_projector.depth")
    ev.mean("rankme_backbone", projector_depth=2), ev.values("linear_acc", projector_depth=0)
    ev.plot("projector_depth", "linear_acc", ax=ax)        # mean ± std over the seeds

and asserts on them, with margins read from the seeds' spread. `evidence --check` re-trains
the first log steps of a sample of stored runs on the CPU and fails when their history does
not reproduce (same config and seed give the same numbers on a CPU): the stored evidence
and the code that made it cannot drift apart unnoticed.

The grids themselves (which base config, which knob, which values, which seeds) are in
`grids.py`, one entry per experiment, named `<chapter>.<experiment>`.
"""
from __future__ import annotations

import dataclasses
import itertools
import json
import math
import os
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..config import RunConfig
from ..names import did_you_mean
from .measures import MEASURES, SUBSETS

STORE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Grid:
    """One experiment: `base` knobs, the swept `axes` ({knob: values}, a Cartesian grid),
    the `seeds` of every point, and optionally `head` = (n_train, n_test): train and probe on
    the first images of the dataset (`ImageData.head`). `measures`: names in `MEASURES`,
    numbers computed on each trained model besides the final metrics. `claim`: what the
    grid shows.

    `subset`: a name in `SUBSETS`: each run trains on that subset of the data, drawn with the
    run's seed from `subset_args` and the axes that are not knobs (`{"ratio": [1, 200]}` for
    `long_tailed`, `{"per_class": [1, 5]}` for `labelled`). The full data stays what
    `linear_acc_full` and the other `_full` measures probe on."""

    name: str
    base: dict
    axes: dict
    seeds: tuple = (0, 1, 2)
    head: tuple | None = None
    measures: tuple = ()
    claim: str = ""
    subset: str | None = None
    subset_args: dict = field(default_factory=dict)

    def __post_init__(self):
        unknown = [m for m in self.measures if m not in MEASURES]
        if unknown:
            raise ValueError(f"{self.name}: no measure {unknown[0]!r}{did_you_mean(unknown[0], list(MEASURES))} "
                             f"Measures: {', '.join(MEASURES)}")
        if self.subset is not None and self.subset not in SUBSETS:
            raise ValueError(f"{self.name}: no subset {self.subset!r}{did_you_mean(self.subset, list(SUBSETS))} "
                             f"Subsets: {', '.join(SUBSETS)}")
        stray = [a for a in self.axes if a not in _KNOBS and self.subset is None]
        if stray:
            raise ValueError(f"{self.name}: axis {stray[0]!r} is not a knob{did_you_mean(stray[0], list(_KNOBS))}; "
                             f"an axis that is not a knob needs a subset ({', '.join(SUBSETS)}) to pass it to")

    @property
    def chapter(self) -> str:
        return self.name.split("_", 1)[0]

    def points(self) -> list[dict]:
        names = list(self.axes)
        return [dict(zip(names, values)) for values in itertools.product(*(self.axes[n] for n in names))]

    def config(self, point: dict, seed: int) -> RunConfig:
        return RunConfig(**{**self.base, **{k: v for k, v in point.items() if k in _KNOBS}, "seed": seed})

    def subset_of(self, point: dict, seed: int) -> dict | None:
        """The arguments of the subset that the run at (`point`, `seed`) trains on (None: all the data)."""
        if self.subset is None:
            return None
        return {**self.subset_args, **{k: v for k, v in point.items() if k not in _KNOBS}, "seed": seed}

    def jobs(self) -> list[tuple[dict, int, RunConfig]]:
        """(point, seed, config) of every run of the grid, seeds innermost."""
        return [(p, s, self.config(p, s)) for p in self.points() for s in self.seeds]

    def data(self):
        """The data the runs train on: the config's dataset, or its first `head` images."""
        from ..data import load_dataset
        base = RunConfig(**self.base)
        data = load_dataset(base.dataset, base.image_size, base.device, base.data_path)
        return data if self.head is None else data.head(*self.head)

    def run_data(self, full, point: dict, seed: int):
        """The data the run at (`point`, `seed`) trains on: `full` (the grid's `data()`) or its subset."""
        args = self.subset_of(point, seed)
        return full if args is None else SUBSETS[self.subset](full, **args)

    def key(self, point: dict, seed: int) -> str:
        """A stored run's identity: its resolved config's cache key, and its subset's arguments."""
        key = self.config(point, seed).resolved().cache_key()
        args = self.subset_of(point, seed)
        return key if args is None else f"{key}-{self.subset}-{json.dumps(args, sort_keys=True)}"

    def path(self) -> Path:
        return STORE / f"{self.name}.json"


_KNOBS = {f.name for f in dataclasses.fields(RunConfig)}


@dataclass
class Evidence:
    """The stored runs of one grid: `records` (dicts with point, seed, config, metrics,
    history, seconds, device, torch) and the `grid` they belong to."""

    grid: Grid
    records: list = field(default_factory=list)

    def runs_at(self, **point) -> list[dict]:
        unknown = [k for k in point if k not in self.grid.axes]
        if unknown:
            raise ValueError(f"{self.grid.name}: {unknown[0]!r} is not an axis of this grid "
                             f"(axes: {', '.join(self.grid.axes)}){did_you_mean(unknown[0], list(self.grid.axes))}")
        return [r for r in self.records if all(r["point"].get(k) == v for k, v in point.items())]

    def values(self, metric: str, **point) -> list[float]:
        """`metric` of every stored seed at `point`, in seed order: a final metric, or
        `final_<key>` for the last log step's `key` (`final_loss`, `final_online_probe_acc`)."""
        runs = sorted(self.runs_at(**point), key=lambda r: r["seed"])
        if not runs:
            raise LookupError(f"{self.grid.name}: no stored run at {point or 'any point'}; "
                              f"compute it with: python -m cookbook_lib evidence --grid {self.grid.name}")
        out = []
        for r in runs:
            logged = metric.removeprefix("final_")
            if metric in r["metrics"]:
                out.append(r["metrics"][metric])
            elif metric.startswith("final_") and logged in r["history"][-1]:
                out.append(r["history"][-1][logged])
            else:
                raise ValueError(f"{self.grid.name}: {metric!r} is not a stored metric "
                                 f"({', '.join(sorted(r['metrics']))}, or final_ and a logged key: "
                                 f"{', '.join(f'final_{k}' for k in r['history'][-1] if k != 'step')})")
        return out

    def mean(self, metric: str, **point) -> float:
        return statistics.fmean(self.values(metric, **point))

    def std(self, metric: str, **point) -> float:
        """Sample standard deviation over the seeds (0 for a single seed)."""
        v = self.values(metric, **point)
        return statistics.stdev(v) if len(v) > 1 else 0.0

    def table(self, metrics=("linear_acc", "rankme")):
        """One row per point: its knobs, the number of seeds, and each metric as mean ± std."""
        from ..notebook import Table
        rows = []
        for p in self.grid.points():
            if not self.runs_at(**p):
                continue
            row = {**p, "seeds": len(self.runs_at(**p))}
            for m in metrics:
                row[m] = f"{self.mean(m, **p):.3f} ± {self.std(m, **p):.3f}"
            rows.append(row)
        return Table(rows)

    def plot(self, x: str, metric: str, ax=None, hue: str | None = None, label: str | None = None,
             color=None, pos=None, **fixed):
        """Mean ± std over the seeds of `metric` against axis `x` (one line per value of the
        `hue` axis, other axes fixed by `fixed`); each seed is drawn as a faint dot. `pos` maps
        a value of `x` to its position on the plot (default: the value itself when the axis is
        numeric, else its index among the axis's values, labelled with the value)."""
        import matplotlib.pyplot as plt
        ax = ax or plt.gca()
        values = self.grid.axes[x]
        numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
        if pos is None:
            pos = (lambda v: v) if numeric else values.index
            if not numeric:
                ax.set_xticks(range(len(values)), [str(v) for v in values])
        groups = self.grid.axes[hue] if hue else [None]
        for g in groups:
            where = {**fixed, **({hue: g} if hue else {})}
            xs = [v for v in values if self.runs_at(**where, **{x: v})]
            means = [self.mean(metric, **where, **{x: v}) for v in xs]
            stds = [self.std(metric, **where, **{x: v}) for v in xs]
            name = label or (f"{hue}={g}" if hue else f"stored, {len(self.grid.seeds)} seeds (mean ± std)")
            line = ax.errorbar([pos(v) for v in xs], means, yerr=stds, fmt="o-", capsize=4, label=name, color=color)
            for v in xs:
                seeds = self.values(metric, **where, **{x: v})
                ax.scatter([pos(v)] * len(seeds), seeds, s=10, alpha=0.4, color=line[0].get_color())
        ax.set(xlabel=x, ylabel=metric)
        return ax

    def missing(self) -> list[tuple[dict, int, RunConfig]]:
        """The runs still to train: not stored, or stored without one of the grid's measures."""
        done = {r["key"] for r in self.records if all(m in r["metrics"] for m in self.grid.measures)}
        return [(p, s, c) for p, s, c in self.grid.jobs() if self.grid.key(p, s) not in done]


def grid(name: str) -> Grid:
    from .grids import GRIDS
    if name not in GRIDS:
        raise ValueError(f"no evidence grid {name!r}.{did_you_mean(name, list(GRIDS))} "
                         f"Grids: {', '.join(GRIDS)}")
    return GRIDS[name]


def load(name: str) -> Evidence:
    """The stored evidence of grid `name` (the records of runs that are no longer part of the
    grid, after its definition changed, are left out)."""
    g = grid(name)
    records = json.loads(g.path().read_text())["runs"] if g.path().exists() else []
    wanted = {g.key(p, s) for p, s, _ in g.jobs()}
    return Evidence(g, [r for r in records if r["key"] in wanted])


def _write(ev: Evidence) -> None:
    """Atomically: readers never see half a file, and an interrupted write loses nothing stored."""
    g = ev.grid
    body = dict(grid=g.name, claim=g.claim, base=g.base, axes=g.axes, seeds=list(g.seeds), head=g.head,
                runs=sorted(ev.records, key=lambda r: (json.dumps(r["point"], sort_keys=True), r["seed"])))
    fd, tmp = tempfile.mkstemp(dir=g.path().parent, suffix=".tmp")
    with os.fdopen(fd, "w") as f:
        json.dump(body, f, indent=1)
        f.write("\n")
    os.chmod(tmp, 0o644)  # mkstemp makes it private; the store is read by everyone
    os.replace(tmp, g.path())


def _store(ev: Evidence, record: dict) -> None:
    """Add `record` to the grid's file, merged with what other processes stored meanwhile
    (`compute(..., shard=...)` runs one grid in several processes), under a lock file."""
    lock = ev.grid.path().with_suffix(".lock")
    with open(lock, "w") as handle:
        try:
            import fcntl
            fcntl.flock(handle, fcntl.LOCK_EX)
        except ImportError:  # Windows: one process per grid
            pass
        ev.records = [r for r in load(ev.grid.name).records if r["key"] != record["key"]] + [record]
        _write(ev)


def _record(g: Grid, point: dict, seed: int, cfg: RunConfig, run, measured: dict) -> dict:
    import torch
    return dict(point=point, seed=seed, key=g.key(point, seed), config=cfg.resolved().to_dict(), status=run.status,
                metrics={**{k: v for k, v in run.metrics.items() if isinstance(v, (int, float))}, **measured},
                history=run.history, seconds=round(run.seconds, 2), device=next(run.model.parameters()).device.type,
                torch=torch.__version__.split("+")[0])


def compute(name: str, progress: bool = True, stop=None, log=print, shard: tuple[int, int] = (0, 1)) -> Evidence:
    """Train the runs of grid `name` that are not stored yet, storing each one as it ends.
    `stop()`: checked between runs and steps; an interrupted run is not stored.
    shard=(k, n): only the missing runs among every n-th run of the grid from the k-th, so
    that n processes (one torch thread each) share a grid. The share is fixed by a run's place
    in the grid, not in the list of missing runs, so no run falls between two shards that start
    at different times."""
    from ..train import train
    k, n = shard
    if not 0 <= k < n:
        raise ValueError(f"shard={shard}: expected (k, n) with 0 <= k < n, e.g. (0, 2) and (1, 2) for two processes")
    ev = load(name)
    missing = {ev.grid.key(p, s) for p, s, _ in ev.missing()}
    todo = [job for i, job in enumerate(ev.grid.jobs()) if i % n == k and ev.grid.key(*job[:2]) in missing]
    full = ev.grid.data() if todo else None
    for i, (point, seed, cfg) in enumerate(todo):
        if stop and stop():
            break
        log(f"{name}: run {i + 1}/{len(todo)}: {point} seed {seed}")
        data = ev.grid.run_data(full, point, seed)
        run = train(cfg, progress=progress, data=data, stop=stop)
        if run.status == "interrupted":
            break
        measured = {m: MEASURES[m](run, data, full) for m in ev.grid.measures}
        _store(ev, _record(ev.grid, point, seed, cfg, run, measured))
    return ev


def check(names=None, sample: int = 2, log_steps: int = 2, rtol: float = 1e-4, log=print) -> list[str]:
    """Re-train the first `log_steps` log steps of the `sample` cheapest stored CPU runs (over
    the grids `names`, default all) and compare their loss and online-probe accuracy with the
    stored history. Returns the failures (an empty list: everything reproduced). The re-runs use one
    torch thread, as the store is computed (one thread per process): another thread count splits
    torch's reductions differently, which moves a loss by more than round-off after a few steps."""
    from .grids import GRIDS
    import torch
    version = torch.__version__.split("+")[0]
    candidates = []
    for n in names or list(GRIDS):
        ev = load(n)
        candidates += [(r["seconds"] / max(1, r["config"]["steps"]), ev, r) for r in ev.records
                       if r["device"] == "cpu" and r["torch"] == version and len(r["history"]) >= log_steps]
    if not candidates:
        return [f"no stored CPU run made with torch {version} to check in {', '.join(names or GRIDS)}"]
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _recheck(sorted(candidates, key=lambda c: c[0])[:sample], log_steps, rtol, log)
    finally:
        torch.set_num_threads(threads)


def _recheck(chosen, log_steps: int, rtol: float, log) -> list[str]:
    """`check`'s work on the chosen (cost, evidence, record) triples."""
    from ..train import train
    failures = []
    for _, ev, rec in chosen:
        cfg = RunConfig(**rec["config"])
        seen = []
        start = time.perf_counter()
        train(cfg, progress=False, data=ev.grid.run_data(ev.grid.data(), rec["point"], rec["seed"]), callback=lambda run, record: seen.append(record),
              stop=lambda: len(seen) >= log_steps)
        if len(seen) < log_steps:
            failures.append(f"{ev.grid.name} {rec['point']} seed {rec['seed']}: the re-run logged {len(seen)} "
                            f"of {log_steps} steps")
        for new, old in zip(seen[:log_steps], rec["history"][:log_steps]):
            # the loss must agree to float round-off; the online probe's accuracy is a count of
            # test images, which one image flipped by another CPU's round-off moves by 1/512
            for k, tol in (("loss", dict(rel_tol=rtol, abs_tol=1e-6)), ("online_probe_acc", dict(abs_tol=0.01))):
                if not math.isclose(new[k], old[k], **tol):
                    failures.append(f"{ev.grid.name} {rec['point']} seed {rec['seed']}: {k} at step {old['step']} "
                                    f"is {new[k]:.6g}, stored {old[k]:.6g}")
        log(f"checked {ev.grid.name} {rec['point']} seed {rec['seed']}: {len(seen)} log steps in "
            f"{time.perf_counter() - start:.1f} s")
    return failures
