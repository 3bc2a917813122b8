"""Our batched augmentations against kornia's, on the same batch, same recipe.

The SimCLR recipe (random resized crop, flip, colour jitter 0.8 prob, grayscale 0.2,
Gaussian blur 0.5, solarize 0.2) on a batch of `shapes` images, per-image random
parameters in both. Prints milliseconds per batch and the ratio, and appends a row to
benchmarks/augment_speed.md.

    python benchmarks/augment_speed.py [--batch-size 256] [--image-size 32] [--device cpu]
"""
import argparse
import datetime
import platform
import time
from pathlib import Path

import torch

from cookbook_lib import RunConfig, augment
from cookbook_lib.data import load_dataset
from cookbook_lib.device import pick_device


def kornia_pipeline(size, cfg):
    import kornia.augmentation as K

    s = cfg.jitter_strength
    return torch.nn.Sequential(
        K.RandomResizedCrop((size, size), scale=(cfg.crop_min_scale, 1.0)),
        K.RandomHorizontalFlip(p=cfg.flip_prob),
        K.ColorJitter(0.8 * s, 0.8 * s, 0.8 * s, 0.2 * s, p=cfg.jitter_prob),
        K.RandomGrayscale(p=cfg.grayscale_prob),
        K.RandomGaussianBlur((5, 5), (0.1, 2.0), p=cfg.blur_prob),
        K.RandomSolarize(0.0, 0.0, p=cfg.solarize_prob),
    )


def timeit(fn, device, reps):
    fn()
    if device.type == "cuda":
        torch.cuda.synchronize()
    t = time.perf_counter()
    for _ in range(reps):
        fn()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return (time.perf_counter() - t) / reps


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--image-size", type=int, default=32)
    p.add_argument("--device", default="auto")
    p.add_argument("--reps", type=int, default=20)
    a = p.parse_args()
    device = pick_device(a.device)
    cfg = RunConfig(image_size=a.image_size, blur_prob=0.5, solarize_prob=0.2)
    x = load_dataset("shapes", a.image_size, str(device)).train_images[: a.batch_size]
    g = torch.Generator(device=device).manual_seed(0)
    ours = timeit(lambda: augment.augment(x, cfg, g), device, a.reps)
    kpipe = kornia_pipeline(a.image_size, cfg).to(device)
    theirs = timeit(lambda: kpipe(x.float() / 255), device, a.reps)
    row = (f"| {datetime.date.today()} | {device.type} ({platform.processor() or platform.machine()}, "
           f"{torch.get_num_threads()} threads) | {a.batch_size} | {a.image_size} | {ours * 1000:.1f} | "
           f"{theirs * 1000:.1f} | {theirs / ours:.1f}× |")
    print(f"ours: {ours * 1000:.1f} ms/batch   kornia: {theirs * 1000:.1f} ms/batch   kornia/ours = {theirs / ours:.1f}")
    out = Path(__file__).with_name("augment_speed.md")
    if not out.exists():
        out.write_text("# Augmentation speed: cookbook_lib.augment vs kornia.augmentation\n\n"
                       "SimCLR recipe + blur 0.5 + solarize 0.2, one view of a batch of `shapes` images.\n"
                       "Written by `python benchmarks/augment_speed.py`.\n\n"
                       "| date | device | batch | size | ours (ms) | kornia (ms) | kornia / ours |\n"
                       "|---|---|---|---|---|---|---|\n")
    with out.open("a") as f:
        f.write(row + "\n")


if __name__ == "__main__":
    main()
