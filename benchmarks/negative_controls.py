"""Negative controls of the anti-collapse mechanisms, at the settings of chapters 04 and 05.

Each mechanism is switched off by one knob, nothing else changes, seeds 0-2:
SimDINO's coding rate (`coding_rate_weight=0`), SwAV's Sinkhorn-Knopp equal partition
(`sinkhorn_iters=0`) and W-MSE's whitening (`whitening=False`). `quick` is the chapters'
quick mode (16-pixel shapes, the first 2,048 training and 1,024 test images, batch 64, 50 / 80
steps), `full` their full mode (32 pixels, every image, batch 128, 300 steps). Each run appends
one JSON line to `negative_controls.jsonl` (a run already there is skipped, so a stopped grid restarts where it was); `--table` writes
`negative_controls.md` from the lines. The chapters' assertion margins come from this table.

    OMP_NUM_THREADS=1 python benchmarks/negative_controls.py --mode quick --seeds 0,1,2
    python benchmarks/negative_controls.py --table
"""
import argparse
import json
import math
import statistics
import time
from collections import defaultdict
from pathlib import Path

import torch

HERE = Path(__file__).parent
OUT, TABLE = HERE / "negative_controls.jsonl", HERE / "negative_controls.md"

# method -> (the chapter's settings, the knob, its value on, its value off)
CASES = {
    "simdino": (dict(ema_momentum=0.99), "coding_rate_weight", 0.05, 0.0),
    "swav": (dict(temperature=0.1, queue_size=0, num_prototypes=256), "sinkhorn_iters", 3, 0),
    "wmse": (dict(), "whitening", True, False),
}


def config(method: str, mode: str, seed: int, value):
    from cookbook_lib import RunConfig
    quick = mode == "quick"
    settings, knob, _, _ = CASES[method]
    steps = (50 if method == "simdino" else 80) if quick else 300
    return RunConfig(method=method, dataset="shapes", image_size=16 if quick else 32, batch_size=64 if quick else 128,
                     steps=steps, log_every=10 if quick else 25, seed=seed, optimizer="adamw", lr=2e-3,
                     weight_decay=1e-4, embedding_dim=(32 if quick else 64) if method == "wmse" else 128,
                     device="cpu", **settings, **{knob: value})


def run_grid(mode: str, seeds, methods) -> None:
    from cookbook_lib import train
    from cookbook_lib.data import load_dataset
    torch.set_num_threads(1)
    done = {(r["mode"], r["method"], r["value"], r["seed"]) for r in read()}
    data = load_dataset("shapes", 16, "cpu").head(2048, 1024) if mode == "quick" else load_dataset("shapes", 32, "cpu")
    for method in methods:
        _, knob, on, off = CASES[method]
        for seed in seeds:
            for value in (on, off):
                if (mode, method, value, seed) in done:
                    continue
                t = time.time()
                r = train(config(method, mode, seed, value), progress=False, data=data)
                z = r.embed(data.test_images)[1].float()
                ratio = float(torch.nn.functional.normalize(z, dim=1).std(0).mean()) * math.sqrt(z.shape[1])
                row = dict(mode=mode, method=method, knob=knob, value=value, seed=seed,
                           lin=round(r.metrics["linear_acc"], 3), std_ratio=round(ratio, 3),
                           rankme=round(r.metrics["rankme"], 1), s=round(time.time() - t, 1))
                print(json.dumps(row), flush=True)
                with open(OUT, "a") as f:
                    f.write(json.dumps(row) + "\n")


def read() -> list:
    return [json.loads(line) for line in OUT.read_text().splitlines() if line.strip()] if OUT.exists() else []


def table() -> str:
    groups = defaultdict(list)
    for r in read():
        groups[(r["mode"], r["method"], r["knob"], json.dumps(r["value"]))].append(r)
    lines = ["| mode | method | knob | value | seeds | embedding std × √d | RankMe | linear acc |",
             "|---|---|---|---|---|---|---|---|"]

    def cell(rows, key):
        vals = [r[key] for r in rows]
        return " / ".join(f"{v:g}" for v in vals) + (f" (mean {statistics.mean(vals):.3g})" if len(vals) > 1 else "")

    for (mode, method, knob, value), rows in sorted(groups.items()):
        rows = sorted(rows, key=lambda r: r["seed"])
        lines.append(f"| {mode} | {method} | `{knob}` | {value} | {','.join(str(r['seed']) for r in rows)} | "
                     f"{cell(rows, 'std_ratio')} | {cell(rows, 'rankme')} | {cell(rows, 'lin')} |")
    head = ("# Negative controls: each anti-collapse mechanism off, everything else equal\n\n"
            "Written by `python benchmarks/negative_controls.py --table` from `negative_controls.jsonl` "
            "(one torch thread per run, CPU). Embedding std × √d and RankMe are of the projector output "
            "on the test split (≈ 1 is healthy, 0 is complete collapse); linear accuracy is the backbone "
            "probe. Values are per seed, in seed order.\n\n")
    return head + "\n".join(lines) + "\n"


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--mode", choices=("quick", "full"), default="quick")
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--methods", default=",".join(CASES))
    p.add_argument("--table", action="store_true", help="write negative_controls.md from the JSON lines")
    a = p.parse_args()
    if a.table:
        TABLE.write_text(table())
        print(TABLE.read_text())
    else:
        run_grid(a.mode, [int(s) for s in a.seeds.split(",")], a.methods.split(","))
