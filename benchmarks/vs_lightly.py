"""A peer benchmark: the same SimCLR run with lightly's usual pipeline and with `cookbook_lib`.

    pip install -r benchmarks/requirements-lightly.txt      # lightly is not a cookbook dependency
    python benchmarks/vs_lightly.py [--steps 300] [--batch-size 128] [--workers 2] [--device auto]

Both sides train the same network from the same initial weights (the cookbook's convnet
backbone and 2-layer projector, built by `methods.build` with the same seed) on the same
`shapes` training images, with the same recipe (crop scale 0.5–1, flip 0.5, colour jitter
0.8 × strength 0.5, grayscale 0.2, no blur), the same loss (NT-Xent at temperature 0.1), the same
optimiser and lr schedule, batch and number of steps:

- lightly: its `SimCLRTransform` applied image by image to PIL images in a `DataLoader` with
  worker processes, its `NTXentLoss`, a plain PyTorch loop;
- cookbook: `train(RunConfig(...))` (uint8 data on the device, batched on-device augmentation,
  the online probe and logging included).

Prints the throughput of each (images per second, timed after a warm-up), their ratio, and
the linear-probe accuracy of each backbone on the test split (`evaluate.linear_probe`).
Targets: cookbook ≥ 1.0× lightly on a CPU at equal accuracy, ≥ 3× on a GPU.
Writes `benchmarks/vs_lightly.md` (`--out`).
"""
import argparse
import datetime
import sys
import time
from pathlib import Path

import torch
import torch.nn as nn

from cookbook_lib import RunConfig, evaluate, methods, train
from cookbook_lib.data import load_dataset
from cookbook_lib.device import autocast, pick_device, seed_everything, uses_channels_last
from cookbook_lib.optim import make_optimizer, param_groups, warmup_cosine

WARMUP_STEPS = 10  # steps left out of the timing (worker start-up, allocator warm-up)


class PILImages(torch.utils.data.Dataset):
    """uint8 (N, 3, S, S) images as PIL images through a per-image transform (the usual pipeline)."""

    def __init__(self, images, transform):
        from torchvision.transforms.functional import to_pil_image

        self.pil = [to_pil_image(x) for x in images.cpu()]
        self.transform = transform

    def __len__(self):
        return len(self.pil)

    def __getitem__(self, i):
        return self.transform(self.pil[i])


def lightly_run(cfg, data, device, workers):
    from lightly.loss import NTXentLoss
    from lightly.transforms import SimCLRTransform

    # the cookbook recipe in lightly's terms: brightness/contrast/saturation 0.8·s, hue 0.2·s
    transform = SimCLRTransform(input_size=cfg.image_size, cj_prob=cfg.jitter_prob, cj_strength=cfg.jitter_strength,
                                min_scale=cfg.crop_min_scale, random_gray_scale=cfg.grayscale_prob,
                                gaussian_blur=cfg.blur_prob, hf_prob=cfg.flip_prob, normalize=None)
    loader = torch.utils.data.DataLoader(PILImages(data.train_images, transform), batch_size=cfg.batch_size,
                                         shuffle=True, drop_last=True, num_workers=workers,
                                         persistent_workers=workers > 0, pin_memory=device.type == "cuda",
                                         generator=torch.Generator().manual_seed(cfg.seed))
    seed_everything(cfg.seed)
    model = methods.build(cfg, data.num_classes).to(device)
    net = nn.Sequential(model.backbone, model.projector)
    channels_last = uses_channels_last(device)
    if channels_last:
        net = net.to(memory_format=torch.channels_last)
    lr = cfg.lr_at_batch()
    opt = make_optimizer(cfg.optimizer, param_groups(net.named_parameters(), cfg.weight_decay, lr), lr)
    base = [g["lr"] for g in opt.param_groups]
    criterion = NTXentLoss(temperature=cfg.temperature)
    step, start, it = 0, None, iter(loader)
    net.train()
    while step < cfg.steps:
        try:
            (x1, x2) = next(it)
        except StopIteration:
            it = iter(loader)
            continue
        if step == WARMUP_STEPS:
            if device.type == "cuda":
                torch.cuda.synchronize()
            start = time.perf_counter()
        for g, b in zip(opt.param_groups, base):
            g["lr"] = b * warmup_cosine(step, cfg.steps, cfg.warmup)
        x = torch.cat([x1, x2]).to(device, non_blocking=True)
        if channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        with autocast(device, cfg.precision):
            z = net(x)
            loss = criterion(z[: len(x1)].float(), z[len(x1):].float())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step += 1
    if device.type == "cuda":
        torch.cuda.synchronize()
    ips = cfg.batch_size * (cfg.steps - WARMUP_STEPS) / (time.perf_counter() - start)
    return ips, probe(model.backbone, data, device, cfg)


@torch.no_grad()
def probe(backbone, data, device, cfg):
    backbone.eval()
    with autocast(device, cfg.precision):
        h_tr = evaluate.embed(backbone, data.train_images)
        h_te = evaluate.embed(backbone, data.test_images)
    return evaluate.linear_probe(h_tr, data.train_labels, h_te, data.test_labels)


def cookbook_run(cfg):
    timing = {}

    def clock(run, record):  # log steps: the time at the first one after the warm-up
        if record["step"] == WARMUP_STEPS:
            timing["start"] = record["time"]
        timing["end"], timing["last"] = record["time"], record["step"]

    run = train(cfg.replace(log_every=WARMUP_STEPS), progress=False, callback=clock)
    ips = cfg.batch_size * (timing["last"] - WARMUP_STEPS) / (timing["end"] - timing["start"])
    return ips, run.metrics["linear_acc"]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--workers", type=int, default=2, help="DataLoader worker processes for lightly's pipeline")
    p.add_argument("--device", default="auto")
    p.add_argument("--out", default=str(Path(__file__).with_name("vs_lightly.md")))
    a = p.parse_args()
    import lightly

    device = pick_device(a.device)
    cfg = RunConfig(method="simclr", dataset="shapes", steps=a.steps, batch_size=a.batch_size, device=str(device),
                    blur_prob=0.0).resolved()
    data = load_dataset(cfg.dataset, cfg.image_size, str(device))
    ours_ips, ours_acc = cookbook_run(cfg)
    print(f"cookbook_lib: {ours_ips:,.0f} images/s, linear probe {ours_acc:.3f}", flush=True)
    theirs_ips, theirs_acc = lightly_run(cfg, data, device, a.workers)
    print(f"lightly:      {theirs_ips:,.0f} images/s, linear probe {theirs_acc:.3f}", flush=True)
    dev = torch.cuda.get_device_name(device) if device.type == "cuda" else f"cpu, {torch.get_num_threads()} torch thread(s)"
    lines = ["# cookbook_lib against lightly: one SimCLR run each\n",
             f"`python benchmarks/vs_lightly.py {' '.join(sys.argv[1:])}`; {datetime.date.today()}, {dev}, "
             f"torch {torch.__version__}, lightly {lightly.__version__}. SimCLR on `shapes`, batch {a.batch_size}, "
             f"{a.steps} steps, 32×32, the cookbook's convnet; lightly's pipeline with {a.workers} DataLoader "
             f"worker(s). Images/s timed after {WARMUP_STEPS} warm-up steps.\n",
             "| pipeline | images/s | linear probe acc |", "|---|---|---|",
             f"| lightly (per-image transforms in a DataLoader) | {theirs_ips:,.0f} | {theirs_acc:.3f} |",
             f"| cookbook_lib (batched on-device augmentation) | {ours_ips:,.0f} | {ours_acc:.3f} |",
             f"\n**ratio cookbook / lightly: {ours_ips / theirs_ips:.2f}×**; accuracy difference "
             f"{ours_acc - theirs_acc:+.3f}."]
    Path(a.out).write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
