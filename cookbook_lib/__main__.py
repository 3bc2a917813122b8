"""The command line: `python -m cookbook_lib train --method vicreg --json out.json`,
`python -m cookbook_lib sweep --method simclr --grid projector_depth=0,1,2 --json out.json`,
`python -m cookbook_lib lab` (pair the chapters' notebooks, open JupyterLab: `make lab` without make),
`python -m cookbook_lib download cifar10` (the only command that downloads anything).

Every `RunConfig` knob is a flag (`--projector-depth 3`); booleans take true/false and knobs
whose default is "the method's default" also take `auto`.

Several processes: `torchrun --nproc_per_node=2 -m cookbook_lib train --batch-size 256 ...`
(`batch_size` is the global batch; process 0 prints and writes the JSON; runs are not cached).
A long run survives interruption with `--checkpoint run.ckpt --checkpoint-every 500`: the
same command again resumes where it stopped.

Ctrl-C stops a run after its current step (a second Ctrl-C at once): the JSON is still
written (status "interrupted", the history so far) and the exit status is 130. A run that diverged exits
with 3; bad input (a typo, a missing dataset) prints its message, no traceback, and exits with 1
(2 for an unknown flag).
"""
from __future__ import annotations

import argparse
import json
import math
import signal
import sys
import threading
from pathlib import Path

from .config import RunConfig, did_you_mean, knob_info, knob_names

INTERRUPTED = 130  # the shell's status for a program stopped by Ctrl-C


def _parse_value(name: str, text: str):
    info = knob_info(name)
    typ = info["type"]
    if text.lower() in ("auto", "none") and info["default"] is None:
        return None
    try:
        if typ is bool:
            if text.lower() not in ("true", "false", "1", "0", "yes", "no", "on", "off"):
                raise ValueError
            return text.lower() in ("true", "1", "yes", "on")
        return typ(text)
    except ValueError:
        raise SystemExit(f"error: --{name.replace('_', '-')} {text!r}: expected "
                         f"{dict(int='an int', float='a float', bool='true or false').get(typ.__name__, typ.__name__)}") from None


def add_knob_flags(parser: argparse.ArgumentParser) -> None:
    for name in knob_names():
        info = knob_info(name)
        extra = f" (one of: {', '.join(info['choices'])})" if info["choices"] else ""
        parser.add_argument(f"--{name.replace('_', '-')}", dest=name, default=None, metavar=info["type"].__name__.upper(),
                            help=f"{info['help']}{extra} [default: {info['default']}]")


def config_from_args(args) -> RunConfig:
    knobs = {n: _parse_value(n, getattr(args, n)) for n in knob_names() if getattr(args, n) is not None}
    try:
        return RunConfig(**knobs)
    except ValueError as e:
        raise SystemExit(f"error: {e}") from None


def _jsonable(x):
    if isinstance(x, float) and not math.isfinite(x):
        return None  # JSON has no NaN
    if isinstance(x, dict):
        return {k: _jsonable(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_jsonable(v) for v in x]
    return x


def run_to_json(run) -> dict:
    return _jsonable(dict(config=run.config.to_dict(), status=run.status, message=run.message,
                          seconds=run.seconds, metrics=run.metrics, history=run.history))


class _CtrlC:
    """SIGINT handler: the first Ctrl-C sets `requested` (the run ends cleanly after its current
    step, see `train(stop=...)`), a second one raises KeyboardInterrupt at once."""

    requested = False

    def __call__(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True


_CTRL_C = _CtrlC()


def argv_command(argv) -> str:
    """The subcommand (`train`, `sweep`) of a command line, '' when there is none."""
    args = sys.argv[1:] if argv is None else argv
    return args[0] if args else ""


def main(argv=None) -> int:
    # Ctrl-C asks the run to stop after its current step (a second Ctrl-C stops at once), also
    # when the shell started us with SIGINT ignored (a background job of a script, `cmd &`).
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, _CTRL_C if argv_command(argv) in ("train", "evidence")
                      else signal.default_int_handler)
    parser = argparse.ArgumentParser(prog="python -m cookbook_lib", description="The SSL Cookbook from the command line.")
    sub = parser.add_subparsers(dest="command", required=True)
    p_train = sub.add_parser("train", help="train one run and print its metrics")
    add_knob_flags(p_train)
    p_train.add_argument("--json", dest="json_path", default=None, help="write config, metrics and history here")
    p_train.add_argument("--no-cache", action="store_true", help="train even if this config is stored in data/runs")
    p_train.add_argument("--quiet", action="store_true", help="no progress bar")
    p_train.add_argument("--checkpoint", default=None, metavar="PATH",
                         help="resume from this file if it exists; write it every --checkpoint-every steps")
    p_train.add_argument("--checkpoint-every", type=int, default=0, metavar="STEPS",
                         help="steps between checkpoints (with --checkpoint)")
    p_sweep = sub.add_parser("sweep", help="train (or load) a grid of runs and print the results table")
    add_knob_flags(p_sweep)
    p_sweep.add_argument("--grid", action="append", default=[], metavar="KNOB=V1,V2,...",
                         help="a swept knob and its values (repeat for a Cartesian grid)")
    p_sweep.add_argument("--json", dest="json_path", default=None, help='write {"grid": ..., "rows": [...]} here')
    p_sweep.add_argument("--rerun-failed", action="store_true", help="train stored diverged runs again")
    p_sweep.add_argument("--quiet", action="store_true", help="no progress bars")
    p_ev = sub.add_parser("evidence", help="train the chapters' stored seeded runs that are missing, or --check them")
    p_ev.add_argument("--chapter", action="append", default=[], metavar="NN", help="only this chapter's grids (repeat)")
    p_ev.add_argument("--grid", action="append", default=[], metavar="NAME", help="only this grid (repeat)")
    p_ev.add_argument("--list", action="store_true", help="list the grids and how many of their runs are stored")
    p_ev.add_argument("--check", action="store_true",
                      help="re-train the first log steps of a sample of stored runs; exit 1 if one does not reproduce")
    p_ev.add_argument("--sample", type=int, default=2, metavar="N", help="runs --check re-trains (the cheapest)")
    p_ev.add_argument("--shard", default="0/1", metavar="K/N",
                      help="train every N-th missing run from the K-th (N processes share the grids: 0/2 and 1/2)")
    p_ev.add_argument("--quiet", action="store_true", help="no progress bars")
    p_nb = sub.add_parser("notebooks", help="pair every chapter's .py with its .ipynb (what `make notebooks` does)")
    p_nb.add_argument("--standalone", default="", metavar="DIR",
                      help="instead, write notebooks for Colab / hosted Jupyter into DIR, each with a first cell "
                           "that installs the library when it is missing")
    p_nb.add_argument("--install", default="", metavar="PIP_ARGS",
                      help="what that cell gives pip (default: the package's repository at this version), "
                           "e.g. 'git+https://<host>/<owner>/<repo>@v0.1.0' or a local checkout's path")
    p_lab = sub.add_parser("lab", help="pair the notebooks and open JupyterLab on the quickstart (what `make lab` does)")
    p_lab.add_argument("--port", type=int, default=8888, help="JupyterLab's port (default 8888)")
    p_lab.add_argument("--dry-run", action="store_true", help="pair the notebooks and print the command, do not start it")
    p_dl = sub.add_parser("download", help="fetch cifar10, cifar100 or stl10 into the data folder (nothing else ever downloads)")
    p_dl.add_argument("dataset", metavar="DATASET", help="cifar10, cifar100 or stl10")
    p_dl.add_argument("--root", default="", metavar="DIR",
                      help="where to put it (default: COOKBOOK_DATA, the checkout's data/ or your cache folder)")
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        flags = [f"--{n.replace('_', '-')}" for n in knob_names()] + ["--json", "--quiet", "--no-cache", "--checkpoint",
                                                                      "--checkpoint-every", "--grid", "--rerun-failed",
                                                                      "--chapter", "--list", "--check", "--sample", "--shard", "--port", "--dry-run",
                                                                      "--root", "--standalone", "--install"]
        bad = next((u for u in unknown if u.startswith("-")), unknown[0]).split("=")[0]
        parser.error(f"unknown argument {bad!r}.{did_you_mean(bad, flags)} "
                     f"See python -m cookbook_lib {args.command} --help")

    if args.command in ("notebooks", "lab"):
        from . import lab
        return lab.main(args.command, port=getattr(args, "port", 8888), dry_run=getattr(args, "dry_run", False),
                        standalone=getattr(args, "standalone", ""), install=getattr(args, "install", ""))
    if args.command == "download":
        from .data import data_root
        from .data.download import download
        try:
            download(args.dataset, Path(args.root).expanduser() if args.root else data_root())
        except (ValueError, RuntimeError) as e:
            raise SystemExit(f"error: {e}") from None
        return 0
    if args.command == "sweep":
        return _sweep(args)
    if args.command == "evidence":
        return _evidence(args)

    if args.command == "train":
        from . import distributed
        from .cache import load_or_train
        from .train import train

        cfg = config_from_args(args)
        if args.checkpoint_every and not args.checkpoint:
            raise SystemExit("error: --checkpoint-every needs --checkpoint PATH (where to write the checkpoint)")
        try:
            if args.no_cache or args.checkpoint or distributed.launched():
                run = train(cfg, progress=not args.quiet, checkpoint=args.checkpoint,
                            checkpoint_every=args.checkpoint_every, stop=lambda: _CTRL_C.requested)
            else:
                run = load_or_train(cfg, progress=not args.quiet, stop=lambda: _CTRL_C.requested)
        except (ValueError, FileNotFoundError) as e:  # bad input, a missing dataset: the message, no traceback
            raise SystemExit(f"error: {e}") from None
        except KeyboardInterrupt:  # before the first step (loading data, building the model)
            print("interrupted before training started; nothing to keep", file=sys.stderr)
            return INTERRUPTED
        is_first = distributed.rank() == 0
        distributed.shutdown()
        code = {"ok": 0, "interrupted": INTERRUPTED}.get(run.status, 3)
        if not is_first:  # process 0 reports for all
            return code
        out = run_to_json(run)
        if args.json_path:
            with open(args.json_path, "w") as f:
                json.dump(out, f, indent=1)
        print(json.dumps(dict(status=out["status"], metrics=out["metrics"], seconds=round(run.seconds, 2))))
        if run.status != "ok":
            print(run.message, file=sys.stderr)
        return code
    return 2


def parse_grid(specs) -> dict:
    """["projector_depth=0,1,2", "temperature=0.1,0.5"] -> {knob: [typed values]}."""
    grid = {}
    for spec in specs:
        name, sep, values = spec.partition("=")
        name = name.strip().lstrip("-").replace("-", "_")
        if not sep or not values.strip():
            raise SystemExit(f"error: --grid {spec!r}: expected KNOB=V1,V2,... e.g. --grid projector_depth=0,1,2")
        if name not in knob_names():
            raise SystemExit(f"error: --grid {spec!r}: unknown knob {name!r}.{did_you_mean(name, knob_names())}")
        grid[name] = [_parse_value(name, v.strip()) for v in values.split(",")]
    if not grid:
        raise SystemExit("error: give at least one --grid KNOB=V1,V2,...")
    return grid


def _sweep(args) -> int:
    from .sweep import sweep

    base, grid = config_from_args(args), parse_grid(args.grid)
    try:
        result = sweep(base, grid, progress=not args.quiet, rerun_failed=args.rerun_failed)
    except (ValueError, FileNotFoundError) as e:
        raise SystemExit(f"error: {e}") from None
    print(repr(result.table([*grid, "status", "linear_acc", "knn_acc", "rankme", "embedding_std", "seconds"])))
    if args.json_path:
        with open(args.json_path, "w") as f:
            json.dump(_jsonable(dict(grid=grid, base=base.to_dict(), rows=result.rows)), f, indent=1)
    for row in result.failed:  # a failed run is a result, not a CLI error: exit 0
        knobs = ", ".join(f"{k}={row[k]}" for k in grid)
        print(f"failed ({row['status']}): {knobs}: {row['message']}", file=sys.stderr)
    return INTERRUPTED if any(r["status"] == "interrupted" for r in result.rows) else 0


def _evidence(args) -> int:
    from . import evidence
    from .evidence.grids import GRIDS

    chapters = [c.zfill(2) for c in args.chapter]
    unknown = [c for c in chapters if not any(g.chapter == c for g in GRIDS.values())]
    if unknown:
        raise SystemExit(f"error: --chapter {unknown[0]}: no evidence grid for it; chapters with grids: "
                         f"{', '.join(sorted({g.chapter for g in GRIDS.values()}))}")
    try:
        names = [evidence.grid(n).name for n in args.grid]
    except ValueError as e:
        raise SystemExit(f"error: {e}") from None
    names += [n for n, g in GRIDS.items() if g.chapter in chapters and n not in names]
    names = names or list(GRIDS)
    if args.list:
        for n in names:
            ev = evidence.load(n)
            print(f"{n}: {len(ev.records)}/{len(ev.grid.jobs())} runs stored")
        return 0
    if args.check:
        failures = evidence.check(names, sample=args.sample)
        for f in failures:
            print(f"not reproduced: {f}", file=sys.stderr)
        return 1 if failures else 0
    try:
        shard = tuple(int(v) for v in args.shard.split("/"))
        if len(shard) != 2 or not 0 <= shard[0] < shard[1]:
            raise ValueError
    except ValueError:
        raise SystemExit(f"error: --shard {args.shard!r}: expected K/N with 0 <= K < N, "
                         f"e.g. 0/2 and 1/2 for two processes") from None
    for n in names:
        evidence.compute(n, progress=not args.quiet, stop=lambda: _CTRL_C.requested, shard=shard)
    if _CTRL_C.requested:
        print("interrupted: the runs finished so far are stored; the same command goes on from there",
              file=sys.stderr)
        return INTERRUPTED
    return 0


if __name__ == "__main__":
    sys.exit(main())
