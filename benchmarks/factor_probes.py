"""Which generative factors of `shapes` a method's backbone keeps after some steps (issue
"every method learns": is the self-distillation methods' slow start a shortcut, e.g. colour
kept instead of shape, or slow learning of everything?).

Trains `method` for `steps` (0 = the random-init encoder) at its defaults (32-pixel shapes,
batch 128), then fits one linear probe per factor on 4,096 training images of the frozen
backbone output h and of the embedding z; appends one JSON line to factor_probes.jsonl.

    OMP_NUM_THREADS=1 python benchmarks/factor_probes.py byol 300 0 [knob=value ...]
"""
import ast
import json
import sys
import time
from pathlib import Path

import torch

from cookbook_lib import RunConfig, train, untrained
from cookbook_lib.data import load_dataset
from cookbook_lib.evaluate import factor_probes

OUT = Path(__file__).with_name("factor_probes.jsonl")
FACTORS = ("shape", "colour", "background", "size", "position", "rotation")
N_PROBE = 4096

if __name__ == "__main__":
    torch.set_num_threads(1)
    method, steps, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    extra = {k: ast.literal_eval(v) for k, v in (a.split("=", 1) for a in sys.argv[4:])}
    data = load_dataset("shapes", 32, "cpu")
    cfg = RunConfig(method=method, steps=max(steps, 1), seed=seed, device="cpu", **extra)
    start = time.time()
    run = untrained(cfg, data) if steps == 0 else train(cfg, progress=False, data=data)
    h_tr, z_tr = run.embed(data.train_images[:N_PROBE])
    h_te, z_te = run.embed(data.test_images)
    train_f = {f: data.train_factors[f][:N_PROBE] for f in FACTORS}
    test_f = {f: data.test_factors[f] for f in FACTORS}
    row = dict(method=method, steps=steps, seed=seed, extra=extra, linear=run.metrics.get("linear_acc"),
               h=factor_probes(h_tr, train_f, h_te, test_f), z=factor_probes(z_tr, train_f, z_te, test_f),
               seconds=round(time.time() - start, 1))
    print(json.dumps(row))
    with open(OUT, "a") as f:
        f.write(json.dumps(row) + "\n")
