"""The recipe search of the methods: one method, some knob settings, several seeds.

Each run appends one JSON line to `--out` (default `benchmarks/recipe_search.jsonl`): the
method, the knobs set, the seed, the steps, the final linear and kNN accuracy of the frozen
backbone, RankMe (of the embedding and of the backbone), the embedding std × √d (≈ 1
healthy, 0 collapsed), the seconds, and (with `--curve`) the online-probe history. A stopped
search keeps the lines so far; a run already in the file (same method, knobs, seed, steps
and variant) is skipped, so a search can be restarted.

    python benchmarks/recipe_search.py --method byol --seeds 0,1,2 --steps 300 \\
        --set weight_decay=0.05 --set ema_momentum=0.99 [--label wd] [--curve]
    python benchmarks/recipe_search.py --summary [--out FILE]   # mean ± std per setting

`--per-view-bn`: every view goes through the nets on its own (BatchNorm statistics per
view) instead of the two large views as one batch (`methods.base.encode_views`).
One torch thread per process (`torch.set_num_threads(1)`); run at most two side by side.
"""
import argparse
import ast
import json
import statistics
import sys
import warnings
from collections import defaultdict
from pathlib import Path

import torch

from cookbook_lib import RunConfig, train
from cookbook_lib.methods import base

OUT = Path(__file__).with_name("recipe_search.jsonl")


def per_view_encode(fn, views):
    """encode_views with one forward per view (BatchNorm statistics of each view alone)."""
    return [fn(v) for v in views]


def use_per_view_bn() -> None:
    import cookbook_lib.methods as m
    for mod in [base] + [getattr(m, name) for name in ("contrastive", "distillation", "cca", "jepa", "pretext")
                         if hasattr(m, name)]:
        if hasattr(mod, "encode_views"):
            mod.encode_views = per_view_encode


def parse_value(text: str):
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text  # a string knob: optimizer=sgd


def key_of(rec: dict) -> tuple:
    return (rec["method"], json.dumps(rec["set"], sort_keys=True), rec["steps"], rec.get("variant", ""), rec["seed"])


def done_keys(out: Path) -> set:
    if not out.exists():
        return set()
    return {key_of(json.loads(line)) for line in out.read_text().splitlines() if line.strip()}


def summary(out: Path, methods=None) -> list[str]:
    """The Markdown table of `out`: mean ± std over the seeds of each (method, steps, setting),
    for `methods` (all when None)."""
    groups = defaultdict(list)
    for line in out.read_text().splitlines():
        if line.strip():
            r = json.loads(line)
            if methods is None or r["method"] in methods:
                groups[(r["method"], r["steps"], r.get("variant", ""), json.dumps(r["set"], sort_keys=True))].append(r)
    lines = ["| method | steps | setting | seeds | linear acc | kNN acc | RankMe | s / step |",
             "|---|---|---|---|---|---|---|---|"]
    for (method, steps, variant, setting), rs in sorted(groups.items()):
        def ms(k):
            v = [r[k] for r in rs]
            return f"{statistics.mean(v):.3f} ± {statistics.stdev(v):.3f}" if len(v) > 1 else f"{v[0]:.3f}"
        label = ", ".join(f"{k}={v}" for k, v in json.loads(setting).items()) or "defaults"
        label += f" [{variant}]" if variant else ""
        seeds = ",".join(str(r["seed"]) for r in sorted(rs, key=lambda r: r["seed"]))
        sps = statistics.mean(r["seconds"] / max(1, r["steps"]) for r in rs)
        lines.append(f"| {method} | {steps} | {label} | {seeds} | {ms('linear_acc')} | {ms('knn_acc')} | "
                     f"{statistics.mean(r['rankme'] for r in rs):.1f} | {sps:.3f} |")
    return lines


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--method", default="simclr")
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--set", action="append", default=[], metavar="KNOB=VALUE")
    p.add_argument("--per-view-bn", action="store_true")
    p.add_argument("--curve", action="store_true", help="keep the online-probe history")
    p.add_argument("--out", type=Path, default=OUT)
    p.add_argument("--summary", action="store_true")
    a = p.parse_args()
    if a.summary:
        print("\n".join(summary(a.out)))
        return
    torch.set_num_threads(1)
    knobs = {}
    for item in a.set:
        if "=" not in item:
            p.error(f"--set {item!r}: write KNOB=VALUE, e.g. --set weight_decay=0.05")
        k, v = item.split("=", 1)
        knobs[k] = parse_value(v)
    variant = "per-view BN" if a.per_view_bn else ""
    seeds = [int(s) for s in a.seeds.split(",")]
    configs = [RunConfig(method=a.method, steps=a.steps, seed=s, **knobs) for s in seeds]  # bad knobs fail here
    if a.per_view_bn:
        use_per_view_bn()
    done = done_keys(a.out)
    for seed, cfg in zip(seeds, configs):
        rec = dict(method=a.method, set=knobs, steps=a.steps, variant=variant, seed=seed)
        if key_of(rec) in done:
            print(f"skip (done): {a.method} {knobs} seed {seed}", file=sys.stderr)
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            run = train(cfg, progress=False)
        m = run.metrics
        rec.update(linear_acc=m["linear_acc"], knn_acc=m["knn_acc"], rankme=m["rankme"],
                   rankme_backbone=m["rankme_backbone"],
                   embedding_std_sqrt_d=m["embedding_std"] * run.embedding_dim ** 0.5, status=run.status,
                   seconds=run.seconds)
        if a.curve:
            rec["curve"] = [(h["step"], round(h["online_probe_acc"], 4), round(h["loss"], 4), round(h["rankme"], 1))
                            for h in run.history]
        with a.out.open("a") as f:
            f.write(json.dumps(rec) + "\n")
        print(f"{a.method} {knobs} {variant} seed {seed}: linear {m['linear_acc']:.3f} kNN {m['knn_acc']:.3f} "
              f"({run.seconds:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
