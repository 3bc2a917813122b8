"""Every method of the cookbook at its default settings, at one fixed budget, on `shapes` and
`digits`: linear and kNN accuracy, RankMe, embedding std, seconds per step.

    python benchmarks/methods.py [--steps 300] [--methods simclr,byol] [--datasets shapes,digits]
                                 [--seed 0] [--mae-steps 50]

Writes its tables into benchmarks/RESULTS.md, between the markers `<!-- methods-single-seed -->`
and `<!-- /methods-single-seed -->` (the rest of the file, the three-seed table of
`results_table.py` and the hand-written reading, is kept), rewritten after every run, so a
stopped benchmark leaves the rows so far. A `random init` row (steps=0) is the floor, `supervised` the ceiling. A method
that raises is recorded as `error` and the benchmark goes on.
"""
import argparse
import datetime
import math
import platform
import sys
import time
import traceback
import warnings
from pathlib import Path

import torch

from cookbook_lib import RunConfig, train
from cookbook_lib.device import pick_device
from cookbook_lib.methods.catalog import CATALOG, METHODS

# mae trains its own tiny ViT (64 tokens at 32 px, plus a full forward per step for the online
# probe): about 3 s/step on one CPU core, so 300 steps would double the benchmark's time.
MAE_STEPS = 50
FAMILY = {"random init": "baseline", **{m: row.family for m, row in CATALOG.items()}}
MARKERS = ("<!-- methods-single-seed -->", "<!-- /methods-single-seed -->")  # this script's part of RESULTS.md
COLUMNS = ("method", "family", "steps", "linear acc", "kNN acc", "RankMe", "RankMe (backbone)",
           "embedding std × √d", "s / step", "status")


def row(method, dataset, a):
    """Train one method (or the random-init encoder) and return its table cells."""
    steps = 0 if method == "random init" else a.mae_steps if method == "mae" else a.steps
    cfg = RunConfig(method="simclr" if method == "random init" else method, dataset=dataset, steps=steps,
                    batch_size=a.batch_size, image_size=a.image_size, seed=a.seed)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            run = train(cfg, progress=False)
    except Exception as e:  # record it and go on with the next method
        traceback.print_exc()
        return [method, FAMILY.get(method, "?"), str(steps)] + ["-"] * 6 + [f"error: {type(e).__name__}: {e}"[:120]]
    m, d = run.metrics, run.embedding_dim
    std = m["embedding_std"]
    status = run.status if run.status != "ok" else "collapsed" if not std >= 0.25 / math.sqrt(d) else "ok"
    status = "untrained" if steps == 0 else status  # a random projector's outputs all point one way
    if status == "diverged":
        status += f" at step {m.get('diverged_at')}"
    return [method, FAMILY.get(method, "?"), str(steps), f"{m['linear_acc']:.3f}", f"{m['knn_acc']:.3f}",
            f"{m['rankme']:.1f}", f"{m['rankme_backbone']:.1f}", f"{std * math.sqrt(d):.2f}",
            f"{run.seconds / steps:.3f}" if steps else "-", status]


def device_name(device):
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    cpu = platform.processor() or platform.machine()
    try:
        cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{device.type} ({cpu})"


def write(path, tables, a, started):
    device = pick_device("auto")
    lines = [
        "## One seed, every method: the pretext tasks, the baselines, and digits",
        "",
        f"Re-create with `{a.command}`{' (pinned to one core: `OMP_NUM_THREADS=1 taskset -c 0 python ...`)' if torch.get_num_threads() == 1 else ''}.",
        f"{datetime.date.today()}, device {device_name(device)}, {torch.get_num_threads()} torch thread(s), "
        f"torch {torch.__version__}; {a.elapsed / 60:.1f} min in all.",
        "",
        f"Each method with its calibrated defaults (the recipe in `cookbook_lib/methods/catalog.py`): "
        f"{a.steps} steps (mae {a.mae_steps}), batch {a.batch_size}, image size {a.image_size}, seed {a.seed}, "
        f"the default convnet. Linear and kNN accuracy are probes of the frozen backbone "
        f"output on the test split; RankMe and embedding std are of the projector output "
        f"(the embedding the loss sees; for methods without a projector, what they embed). "
        f"Embedding std is the std of the l2-normalised embeddings averaged over dimensions, "
        f"times √d: ≈ 1 is healthy, 0 is collapse; status `collapsed` below 0.25 (not applied "
        f"to the untrained encoder, whose random projector maps every image to nearly the same direction). "
        f"s / step is training time only (no evaluation). `random init` is the untrained "
        f"encoder (the floor), `supervised` is trained with the labels (the ceiling); "
        f"`supcon` uses the labels too.",
    ]
    if a.mae_steps != a.steps:
        lines.append(f"\nNote: mae trains its own tiny ViT, about 3 s/step on one CPU core at image size 32, "
                     f"so it runs {a.mae_steps} steps instead of {a.steps} (`--mae-steps`) to keep the benchmark "
                     f"short: its row is not at the same budget as the others.")
    for dataset, rows in tables.items():
        lines += ["", f"### {dataset}", "", "| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
    lines += ["", "Speed: `benchmarks/throughput.md` (images/s, fraction of peak) and `benchmarks/vs_lightly.md`."]
    old = Path(path).read_text() if Path(path).exists() else ""
    start, end = MARKERS
    head, tail = (old.split(start, 1)[0], old.split(end, 1)[1]) if start in old and end in old else (old, "\n")
    Path(path).write_text(head + start + "\n" + "\n".join(lines) + "\n" + end + tail)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--mae-steps", type=int, default=MAE_STEPS, help="steps for mae (its ViT is slow on a CPU)")
    p.add_argument("--methods", default=None, help="comma-separated (`random` = the random-init row); default: all")
    p.add_argument("--datasets", default="shapes,digits")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--image-size", type=int, default=32)
    p.add_argument("--out", default=str(Path(__file__).with_name("RESULTS.md")))
    a = p.parse_args()
    a.mae_steps = min(a.mae_steps, a.steps)
    a.command = "python benchmarks/methods.py" + "".join(f" {x}" for x in sys.argv[1:])
    methods = ["random init" if m == "random" else m for m in a.methods.split(",")] if a.methods else \
        ["random init"] + [m for m in METHODS if m != "supervised"] + ["supervised"]
    unknown = [m for m in methods if m not in METHODS and m != "random init"]
    if unknown:
        p.error(f"unknown method(s) {unknown}: choose from {', '.join(METHODS)} or random")
    started, tables = time.perf_counter(), {}
    for dataset in a.datasets.split(","):
        tables[dataset] = []
        for method in methods:
            t = time.perf_counter()
            tables[dataset].append(row(method, dataset, a))
            a.elapsed = time.perf_counter() - started
            print(f"{dataset:7s} {method:13s} {time.perf_counter() - t:6.1f}s  {' | '.join(tables[dataset][-1][3:])}",
                  flush=True)
            write(a.out, tables, a, started)
    print(Path(a.out).read_text())


if __name__ == "__main__":
    main()
