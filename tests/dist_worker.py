"""Run by tests/test_distributed.py, alone or under torchrun: train each config given as JSON
and (process 0) save the per-step losses and final parameters of each run to a file."""
import json
import os
import sys

import torch

from cookbook_lib import RunConfig, distributed
from cookbook_lib.data import load_dataset
from cookbook_lib.train import train

# the trajectory is what is compared; the final evaluation only needs a few images
N_TRAIN, N_TEST = 512, 256


def _floats(run):
    return {k: v.detach().cpu().float() for k, v in run.model.state_dict().items() if v.is_floating_point()}


def gather_without_gradient(x):
    """The negative control of `distributed.gather`: a plain all_gather in which only this
    process's own rows keep their gradient (COOKBOOK_TEST_GATHER=nograd)."""
    import torch.distributed as dist
    parts = [torch.empty_like(x) for _ in range(distributed.world_size())]
    dist.all_gather(parts, x.detach().contiguous())
    parts[distributed.rank()] = x
    return torch.cat(parts)


if __name__ == "__main__":
    if os.environ.get("COOKBOOK_TEST_GATHER") == "nograd":
        import cookbook_lib.methods  # noqa: F401 - load every method module, then patch their `gather`
        original = distributed.gather
        for mod in list(sys.modules.values()):  # every module that imported `gather` by name
            if getattr(mod, "__name__", "").startswith("cookbook_lib") and getattr(mod, "gather", None) is original:
                mod.gather = gather_without_gradient
    out = []
    for knobs in json.loads(sys.argv[1]):
        cfg = RunConfig(**knobs)
        data = load_dataset(cfg.dataset, cfg.image_size, "cpu").head(N_TRAIN, N_TEST)
        run = train(cfg, progress=False, data=data)
        out.append(dict(loss=[r["loss"] for r in run.history], state=_floats(run)))
        if distributed.world_size() == 1:  # the same net at init, to see how far training moved it
            out[-1]["init"] = _floats(train(cfg.replace(steps=0), progress=False, data=data))
    if distributed.rank() == 0:
        torch.save(out, sys.argv[2])
