"""What a chapter needs besides the library: one setup call, tables of runs, the std ratio.

    from cookbook_lib.notebook import setup, Table, std_ratio
    env = setup()                 # prints device, torch, threads and the mode; seeds torch
    QUICK, DEVICE = env.quick, env.device
    Table.of(runs, ["linear_acc", "rankme", "std_ratio"])   # HTML in Jupyter, text elsewhere

Nothing here imports matplotlib or trains: the training side (sweep) uses `Table` too.
"""
from __future__ import annotations

import html
import math
import os
from dataclasses import dataclass


def _fmt(v) -> str:
    if isinstance(v, float):
        return "nan" if not math.isfinite(v) else f"{v:.4g}"
    return "" if v is None else str(v)


class Table(list):
    """A list of row dicts that prints as a text table and renders as HTML in Jupyter."""

    @classmethod
    def of(cls, runs, columns=("linear_acc", "knn_acc", "rankme", "std_ratio"), names=None) -> "Table":
        """One row per run: its name (or `names[i]`), then each column: a metric
        (`run.metrics`), `std_ratio` (`std_ratio(run)`), `seconds`, `status` or a knob
        (`run.config`). `runs` may be a list or a {name: run} dict."""
        if isinstance(runs, dict):
            names, runs = names or list(runs), list(runs.values())
        rows = []
        for i, run in enumerate(runs):
            row = {"run": names[i] if names else run.name}
            for c in columns:
                if c == "std_ratio":
                    row[c] = std_ratio(run)
                elif c in ("seconds", "status"):
                    row[c] = getattr(run, c)
                elif c in run.metrics:
                    row[c] = run.metrics[c]
                elif hasattr(run.config, c):
                    row[c] = getattr(run.config.resolved(), c)
                else:
                    raise ValueError(f"Table.of: {c!r} is neither a metric of run {row['run']!r} "
                                     f"({', '.join(run.metrics)}) nor a knob")
            rows.append(row)
        return cls(rows)

    def columns(self) -> list[str]:
        return list(dict.fromkeys(k for row in self for k in row))

    def __repr__(self):
        cols = self.columns()
        cells = [[_fmt(row.get(c)) for c in cols] for row in self]
        widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(cols)]
        line = lambda vals: "  ".join(v.rjust(w) for v, w in zip(vals, widths))  # noqa: E731
        return "\n".join([line(cols), line(["-" * w for w in widths])] + [line(r) for r in cells])

    def _repr_html_(self):
        cols = self.columns()
        head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(_fmt(row.get(c)))}</td>" for c in cols) + "</tr>" for row in self)
        return f"<table class='cookbook-table'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def std_ratio(run_or_std, embedding_dim: int | None = None) -> float:
    """Embedding std × √d: 1 for an isotropic (healthy) embedding, 0 for complete collapse.

    Pass a `Run` (its final `embedding_std` and `Run.embedding_dim`), or a std and its d.
    The one way the cookbook shows the embedding std (SimSiam's measure, arXiv 2011.10566)."""
    if embedding_dim is None:
        run = run_or_std
        return run.metrics.get("embedding_std", float("nan")) * math.sqrt(run.embedding_dim)
    return float(run_or_std) * math.sqrt(embedding_dim)


@dataclass(frozen=True)
class Setup:
    """What `setup()` found: the device runs will use, quick mode, the seed."""

    device: object
    quick: bool
    seed: int


def setup(seed: int = 0, verbose: bool = True) -> Setup:
    """A chapter's first cell: seed torch, pick the device as `train` will, read quick mode
    (`COOKBOOK_QUICK=1`, what the tests set) and print them with torch's version and threads."""
    import torch

    from .device import pick_device

    torch.manual_seed(seed)
    quick = os.environ.get("COOKBOOK_QUICK") == "1"
    device = pick_device()
    if verbose:
        print(f"device: {device} | torch {torch.__version__} | threads: {torch.get_num_threads()} | "
              f"{'quick mode (small runs)' if quick else 'full mode'}")
    return Setup(device, quick, seed)
