"""Run by tests/test_distributed.py, alone or under torchrun: train each config given as JSON
and (process 0) save the per-step losses and final parameters of each run to a file."""
import json
import sys

import torch

from cookbook_lib import RunConfig, distributed
from cookbook_lib.train import train



def _floats(run):
    return {k: v.detach().cpu().float() for k, v in run.model.state_dict().items() if v.is_floating_point()}


if __name__ == "__main__":
    out = []
    for knobs in json.loads(sys.argv[1]):
        cfg = RunConfig(**knobs)
        run = train(cfg, progress=False)
        out.append(dict(loss=[r["loss"] for r in run.history], state=_floats(run)))
        if distributed.world_size() == 1:  # the same net at init, to see how far training moved it
            out[-1]["init"] = _floats(train(cfg.replace(steps=0), progress=False))
    if distributed.rank() == 0:
        torch.save(out, sys.argv[2])
