"""Which factors of `shapes` decide a backbone's nearest neighbours (the DINO kNN puzzle of
`RESULTS.md`: DINO's linear probe rises while its kNN accuracy stays near random init).

Trains `method` for `steps` (0 = the random-init encoder) at its defaults, seed 0, then reads
every factor of the test images (shape, colour, background, position, size) with the
cookbook's kNN (cosine, k = 20) on the backbone output h and on the embedding z, and with a
linear probe for shape and colour; appends one JSON line to factor_knn.jsonl. A factor the
neighbours predict well is one the representation is organised by.

    OMP_NUM_THREADS=1 python benchmarks/factor_knn.py dino 1500
"""
import json
import sys
import warnings
from pathlib import Path

import torch

from cookbook_lib import RunConfig, evaluate, train
from cookbook_lib.data import load_dataset

OUT = Path(__file__).with_name("factor_knn.jsonl")

if __name__ == "__main__":
    torch.set_num_threads(1)
    method, steps = sys.argv[1], int(sys.argv[2])
    warnings.simplefilter("ignore")
    run = train(RunConfig(method=method, steps=steps, seed=0), progress=False)
    d = load_dataset("shapes", 32)
    (htr, ztr), (hte, zte) = run.embed(d.train_images), run.embed(d.test_images)
    out = dict(method=method, steps=steps, linear=run.metrics["linear_acc"])
    for name, (a, b) in dict(h=(htr, hte), z=(ztr, zte)).items():
        for factor in ("shape", "colour", "background", "position", "size"):
            out[f"knn_{name}_{factor}"] = round(evaluate.knn(a, d.train_factors[factor], b, d.test_factors[factor]), 3)
        out[f"lin_{name}_colour"] = round(evaluate.linear_probe(a, d.train_factors["colour"], b, d.test_factors["colour"]), 3)
        out[f"lin_{name}_shape"] = round(evaluate.linear_probe(a, d.train_labels, b, d.test_labels), 3)
    print(json.dumps(out), flush=True)
    with OUT.open("a") as f:
        f.write(json.dumps(out) + "\n")
