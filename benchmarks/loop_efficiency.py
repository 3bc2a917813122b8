"""Training-loop efficiency: `train()` against the bare model step at the same batch and model.

The bare step is forward + backward + optimiser step on views that are already augmented
and waiting in memory. `train()` adds per-step batch slicing, on-device augmentation, the
online probe, and the logging steps (RankMe, embedding std, probe accuracy). Target: the
loop reaches >= 90 % of the bare step's throughput.

    python benchmarks/loop_efficiency.py [--steps 120] [--batch-size 128] [--method simclr] [--repeats 3]

The two are measured alternately `--repeats` times (a busy machine slows both alike) and the
ratio of the medians is reported; the last line printed is `loop_efficiency=<ratio>`.
"""
import argparse
import statistics
import time

import torch

from cookbook_lib import RunConfig, augment, methods, train
from cookbook_lib.data import load_dataset
from cookbook_lib.device import autocast, pick_device, uses_channels_last
from cookbook_lib.optim import make_optimizer, param_groups


def bare_step_seconds(cfg, steps):
    device = pick_device(cfg.device)
    data = load_dataset(cfg.dataset, cfg.image_size, str(device))
    model = methods.build(cfg, data.num_classes).to(device)
    cl = uses_channels_last(device) and cfg.backbone != "vit_tiny"
    if cl:
        model = model.to(memory_format=torch.channels_last)
    opt = make_optimizer(cfg.optimizer, param_groups(model.named_parameters(), cfg.weight_decay, cfg.lr), cfg.lr)
    g = torch.Generator(device=device).manual_seed(0)
    x = data.train_images[: cfg.batch_size]
    views = augment.multi_crop(x, cfg, g)
    if cl:
        views = [v.contiguous(memory_format=torch.channels_last) for v in views]
    labels = data.train_labels[: cfg.batch_size]

    def step():
        with autocast(device, cfg.precision):
            loss = model.loss(views, labels)[0]
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    for _ in range(5):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    t = time.perf_counter()
    for _ in range(steps):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return (time.perf_counter() - t) / steps


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--steps", type=int, default=120)
    p.add_argument("--batch-size", type=int, default=RunConfig().batch_size)
    p.add_argument("--method", default="simclr")
    p.add_argument("--log-every", type=int, default=25)
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args()
    cfg = RunConfig(method=args.method, steps=args.steps, batch_size=args.batch_size,
                    log_every=args.log_every).resolved()
    print(f"device={pick_device(cfg.device)} threads={torch.get_num_threads()} method={cfg.method} "
          f"batch={cfg.batch_size} steps={cfg.steps} log_every={cfg.log_every}")
    train(cfg.replace(steps=10), progress=False)  # warm up (dataset in memory, kernels)
    bares, loops = [], []
    for r in range(args.repeats):
        bares.append(bare_step_seconds(cfg, args.steps))
        loops.append(train(cfg, progress=False).seconds / cfg.steps)
        print(f"repeat {r}: bare {bares[-1] * 1000:.1f} ms, loop {loops[-1] * 1000:.1f} ms, "
              f"ratio {bares[-1] / loops[-1]:.3f}", flush=True)
    bare, loop = statistics.median(bares), statistics.median(loops)
    print(f"bare model step: {bare * 1000:.1f} ms  ({cfg.batch_size / bare:.0f} images/s)")
    print(f"train() loop:    {loop * 1000:.1f} ms  ({cfg.batch_size / loop:.0f} images/s)")
    print(f"loop_efficiency={bare / loop:.3f}")


if __name__ == "__main__":
    main()
