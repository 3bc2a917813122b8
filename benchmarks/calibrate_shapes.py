"""How hard is `shapes`? Linear-probe accuracy of raw pixels, a random-init encoder, SimCLR
and a supervised encoder, at the quick-mode budget (chapter 00's) and the full one.

    python benchmarks/calibrate_shapes.py [--quick-steps 300] [--full-steps 1500] [--seeds 0]

Writes benchmarks/shapes_calibration.md. The design target: in quick mode SimCLR beats the
random-init encoder by at least 10 points.
"""
import argparse
import datetime
import time
from pathlib import Path

import torch

from cookbook_lib import RunConfig, train
from cookbook_lib.data import load_dataset
from cookbook_lib.evaluate import chance, linear_probe


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--quick-steps", type=int, default=300)
    p.add_argument("--full-steps", type=int, default=1500)
    p.add_argument("--seeds", default="0")
    a = p.parse_args()
    seeds = [int(s) for s in a.seeds.split(",")]
    data = load_dataset("shapes", 32, "cpu")
    pixels = linear_probe(data.train_images.flatten(1).float() / 255, data.train_labels,
                          data.test_images.flatten(1).float() / 255, data.test_labels)
    base = RunConfig(method="simclr", crop_min_scale=RunConfig().crop_min_scale)
    rows = [("chance (most frequent class)", "-", f"{chance(data.test_labels):.3f}", "-"),
            ("raw pixels", "-", f"{pixels:.3f}", "-")]
    for name, cfg in [("random-init convnet", base.replace(steps=0)),
                      ("SimCLR, quick", base.replace(steps=a.quick_steps)),
                      ("supervised, quick", base.replace(method="supervised", steps=a.quick_steps)),
                      ("SimCLR, full", base.replace(steps=a.full_steps)),
                      ("supervised, full", base.replace(method="supervised", steps=a.full_steps))]:
        accs, secs = [], []
        for s in seeds:
            t = time.perf_counter()
            run = train(cfg.replace(seed=s), progress=False)
            accs.append(run.metrics["linear_acc"])
            secs.append(time.perf_counter() - t)
        acc = torch.tensor(accs)
        spread = f" ± {acc.std().item():.3f}" if len(accs) > 1 else ""
        rows.append((name, str(cfg.steps), f"{acc.mean().item():.3f}{spread}", f"{sum(secs) / len(secs):.0f}"))
        print(rows[-1], flush=True)
    table = ["| encoder | steps | linear-probe accuracy | seconds (train + eval) |", "|---|---|---|---|"]
    table += [f"| {' | '.join(r)} |" for r in rows]
    text = (f"# `shapes` calibration ({datetime.date.today()}, {torch.get_num_threads()} CPU threads, "
            f"seeds {seeds})\n\nWritten by `python benchmarks/calibrate_shapes.py`. Batch "
            f"{base.batch_size}, image size 32, the default convnet, each method's default settings; "
            f"6 shape classes; linear probe on the backbone output.\n\n" + "\n".join(table) + "\n")
    Path(__file__).with_name("shapes_calibration.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
