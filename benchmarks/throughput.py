"""Training throughput (images/s) and the fraction of the FLOP floor, for the small convnet and
the CIFAR ResNet-18 at 32×32, in fp32 and bf16, with and without `torch.compile`.

    python benchmarks/throughput.py [--steps 60] [--batch-size 256] [--backbones convnet,resnet18]
                                    [--precisions fp32,bf16] [--compile off,on] [--method simclr]

Each row is a real `train()` run (augmentation on the device, online probe, logging) timed
between its first and last log step, so start-up and compilation are left out. FLOPs per
trained view are counted, not assumed: `torch.utils.flop_counter` over one forward + backward
of the method's loss (backbone, projector and loss; CIFAR ResNet-18 ≈ 3.3 GFLOPs per view).
The floor is the device's peak: the datasheet's dense peak for known GPUs (`--peak-tflops`
to give your own), and on a CPU the measured rate of a 1024² matmul in the same precision at
the same thread count. fraction = achieved FLOP/s ÷ peak. Writes `benchmarks/throughput.md` (`--out`).
"""
import argparse
import datetime
import sys
import time
import warnings
from pathlib import Path

import torch
from torch.utils.flop_counter import FlopCounterMode

from cookbook_lib import RunConfig, augment, methods, train
from cookbook_lib.data import load_dataset
from cookbook_lib.device import autocast, pick_device

# dense peak TFLOP/s by (device-name fragment, precision): NVIDIA datasheets (SXM parts)
GPU_PEAKS = {("H100", "bf16"): 989.0, ("H100", "fp32"): 67.0, ("H200", "bf16"): 989.0, ("H200", "fp32"): 67.0,
             ("A100", "bf16"): 312.0, ("A100", "fp32"): 19.5, ("L4", "bf16"): 121.0, ("L4", "fp32"): 30.3}


def cpu_peak_tflops(precision: str, seconds: float = 2.0) -> float:
    """Measured matmul rate on this CPU (fp32, or bf16) at the current torch thread count."""
    dtype = torch.bfloat16 if precision == "bf16" else torch.float32
    a, b = torch.randn(1024, 1024, dtype=dtype), torch.randn(1024, 1024, dtype=dtype)
    for _ in range(3):
        a @ b
    n, t = 0, time.perf_counter()
    while time.perf_counter() - t < seconds:
        a @ b
        n += 1
    return 2 * 1024 ** 3 * n / (time.perf_counter() - t) / 1e12


def peak_tflops(device, precision, given):
    if given:
        return given, "given"
    if device.type == "cuda":
        name = torch.cuda.get_device_name(device)
        for (frag, prec), tf in GPU_PEAKS.items():
            if frag in name and prec == precision:
                return tf, f"{name} datasheet"
        return float("nan"), f"{name}: unknown, pass --peak-tflops"
    return cpu_peak_tflops(precision), f"measured {precision} matmul"


def flops_per_view(cfg) -> float:
    """Counted FLOPs of one training step (forward + backward of the loss) per trained view."""
    cfg = cfg.resolved()
    device = pick_device(cfg.device)
    data = load_dataset(cfg.dataset, cfg.image_size, str(device))
    model = methods.build(cfg, data.num_classes).to(device).train()
    g = torch.Generator(device=device).manual_seed(0)
    n = min(cfg.batch_size, 64)
    views = augment.multi_crop(data.train_images[:n], cfg, g)
    counter = FlopCounterMode(display=False)
    with counter:
        loss = model.loss(views, data.train_labels[:n])[0]
        loss.backward()
    return counter.get_total_flops() / (n * len(views))


def measure(cfg):
    """(trained views per second, seconds per step) from a train() run, between log steps."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run = train(cfg, progress=False)
    a, b = run.history[0], run.history[-1]
    sec_per_step = (b["time"] - a["time"]) / (b["step"] - a["step"])
    views = 2 + cfg.num_small_crops
    return cfg.batch_size * views / sec_per_step, sec_per_step


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--steps", type=int, default=60)
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--method", default="simclr")
    p.add_argument("--backbones", default="convnet,resnet18")
    p.add_argument("--precisions", default=None, help="default: fp32,bf16 on CUDA, fp32 elsewhere")
    p.add_argument("--compile", default=None, help="off,on (default: off,on on CUDA, off elsewhere)")
    p.add_argument("--peak-tflops", type=float, default=None, help="the device's peak, if not in the table")
    p.add_argument("--out", default=str(Path(__file__).with_name("throughput.md")))
    a = p.parse_args()
    device = pick_device("auto")
    cuda = device.type == "cuda"
    precisions = (a.precisions or ("fp32,bf16" if cuda else "fp32")).split(",")
    compiles = [c == "on" for c in (a.compile or ("off,on" if cuda else "off")).split(",")]
    log_every = max(1, a.steps // 6)
    rows = []
    for bb in a.backbones.split(","):
        for prec in precisions:
            peak, source = peak_tflops(device, prec, a.peak_tflops)
            for comp in compiles:
                cfg = RunConfig(method=a.method, backbone=bb, batch_size=a.batch_size, steps=a.steps,
                                precision=prec, compile=comp, log_every=log_every,
                                representation_dim=512 if bb == "resnet18" else 256)
                gf = flops_per_view(cfg) / 1e9
                ips, sps = measure(cfg)
                frac = ips * gf * 1e9 / (peak * 1e12)
                rows.append([bb, prec, "on" if comp else "off", f"{ips:,.0f}", f"{sps * 1000:.1f}", f"{gf:.3f}",
                             f"{ips * gf / 1e3:.2f}", f"{peak:.2f} ({source})", f"{frac:.1%}"])
                print(" | ".join(rows[-1]), flush=True)
    threads = "" if cuda else f", {torch.get_num_threads()} torch thread(s)"
    dev = torch.cuda.get_device_name(device) if cuda else "cpu"
    lines = [f"# Training throughput\n",
             f"`python benchmarks/throughput.py {' '.join(sys.argv[1:])}`; {datetime.date.today()}, {dev}{threads}, "
             f"torch {torch.__version__}. {a.method}, batch {a.batch_size}, 32×32, two views per image, "
             f"timed over steps {log_every}–{a.steps} of a real `train()` run.\n",
             "| backbone | precision | compile | views/s | ms/step | GFLOPs/view (counted) | TFLOP/s | peak TFLOP/s | fraction of peak |",
             "|---|---|---|---|---|---|---|---|---|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    Path(a.out).write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
