# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 14 · Speed and scale: from a laptop to many GPUs
#
# SSL recipes are long: hundreds of epochs, large batches, two or more views per image. What
# makes a run fast is rarely the loss; it is everything around it. This chapter measures, on
# the machine you are on, what each speed-up buys, and then shows the one rule that matters
# when a run grows to several GPUs: **N processes must compute exactly what one process
# would compute on the whole batch.**
#
# You will:
# 1. time the training step with and without `channels_last`, and in fp32 against bf16;
# 2. compare augmenting a whole batch at once on the device with the usual per-image pipeline;
# 3. launch two processes with `torchrun` from this notebook and check that they follow the
#    loss curve of one process, step for step;
# 4. read the batch-size and learning-rate rules (the *effective* batch, linear and
#    square-root lr scaling).
#
# Paper: §3.8 of *A Cookbook of Self-Supervised Learning* (Balestriero et al., 2023).

# %% [markdown]
# ## Setup

# %%
import json
import os
import subprocess
import sys
import tempfile
import time

import matplotlib.pyplot as plt
import torch
import torchvision.transforms.v2 as T

from cookbook_lib import RunConfig, augment, methods
from cookbook_lib.data import load_dataset
from cookbook_lib.device import autocast
from cookbook_lib.notebook import Table, setup

env = setup(seed=0)
device = env.device

# %% tags=["parameters"]
# Quick mode: about 25 s on a 2-core CPU for the whole chapter; full mode about 2 min (longer
# timings, 30 distributed steps); on a GPU the timing cells take seconds.
QUICK = env.quick
TIMED_STEPS = 2 if QUICK else 20  # timed training steps per setting (after one warm-up step)
BATCH = 128  # images per step in the timings
DIST_STEPS = 5 if QUICK else 30  # steps of the one- and two-process runs

# %% [markdown]
# ## What a training step costs, and what changes it
#
# A step is: two augmented views of a batch → backbone → projector → loss → backward →
# optimiser. We time that bare step (views prepared in advance) for the cookbook's convnet
# in four settings:
# - **memory layout**: `channels_last` stores an image as H × W × C instead of C × H × W;
#   convolution kernels on GPUs (tensor cores) and on x86 CPUs (oneDNN) prefer it;
# - **precision**: bf16 autocast runs matrix products in 16-bit brain floats (same range as
#   fp32, fewer mantissa bits). On a GPU with tensor cores that is several times the fp32
#   rate. On a CPU it depends on the chip: recent server CPUs have bf16 instructions and gain,
#   older ones and most laptops lose. The cookbook turns it on by itself only on CUDA
#   (`precision="auto"`); `precision="bf16"` asks for it anywhere.
#
# About 10 s on a 2-core CPU in quick mode.

# %%
data = load_dataset("shapes", 32)
cfg = RunConfig(method="simclr", batch_size=BATCH).resolved()


def step_seconds(channels_last: bool, precision: str, steps: int = TIMED_STEPS) -> float:
    """Seconds per bare SimCLR step (forward, backward, AdamW) on views made in advance."""
    torch.manual_seed(0)
    model = methods.build(cfg, data.num_classes).to(device)
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    model = model.to(memory_format=fmt)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    g = torch.Generator(device=device).manual_seed(0)
    views = [v.contiguous(memory_format=fmt) for v in augment.multi_crop(data.train_images[:BATCH], cfg, g)]
    labels = data.train_labels[:BATCH]

    def step():
        with autocast(device, precision):
            loss = model.loss(views, labels)[0]
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    step()  # warm-up
    if device.type == "cuda":
        torch.cuda.synchronize()
    t = time.perf_counter()
    for _ in range(steps):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return (time.perf_counter() - t) / steps


timings = {f"{'channels_last' if cl else 'contiguous'}, {p}": step_seconds(cl, p)
           for p in ("fp32", "bf16") for cl in (False, True)}
Table({"setting": name, "ms/step": 1000 * s, "views/s": 2 * BATCH / s} for name, s in timings.items())

# %%
fig, ax = plt.subplots(figsize=(7, 2.8))
names = list(timings)
ax.barh(names, [2 * BATCH / timings[n] for n in names], color=["#8da0cb", "#66c2a5", "#fc8d62", "#e78ac3"])
ax.set(xlabel="trained views per second (higher is faster)", title=f"one SimCLR step, convnet, batch {BATCH}, on {device.type}")
ax.invert_yaxis()
fig.tight_layout()

# %% [markdown]
# **What to notice.** On a CPU, `channels_last` changes little and bf16 wins or loses with
# the chip (look at your bars); on a GPU bf16 with `channels_last` is usually the fastest
# pair by a wide margin, and `compile=True`
# (a `RunConfig` knob: `torch.compile` of the backbone) adds more after a warm-up of about a
# minute. `benchmarks/throughput.py` measures all of it for the convnet and a CIFAR
# ResNet-18, with the fraction of the device's peak FLOP rate reached (a ResNet-18 view at
# 32 × 32 costs about 3.3 GFLOPs to train).

# %% [markdown]
# ## Feeding the model: augment the batch, not the image
#
# The usual pipeline augments images one at a time in DataLoader worker processes, then
# copies the batch to the GPU. With small images that per-image Python work, not the model,
# sets the pace. The cookbook keeps the whole dataset on the device as uint8 and augments a
# batch in a few batched tensor operations: every image still gets its own random crop,
# flip and colours (chapter 09), drawn for the whole batch at once.

# %%
images = data.train_images[:BATCH]
per_image = T.Compose([T.RandomResizedCrop(32, scale=(0.5, 1.0), antialias=True), T.RandomHorizontalFlip(),
                       T.RandomApply([T.ColorJitter(0.4, 0.4, 0.4, 0.1)], p=0.8), T.RandomGrayscale(0.2)])


def time_it(fn, repeats=3):
    fn()
    t = time.perf_counter()
    for _ in range(repeats):
        fn()
    return (time.perf_counter() - t) / repeats


g = torch.Generator(device=device).manual_seed(0)
batched_s = time_it(lambda: augment.multi_crop(images, cfg, g))
looped_s = time_it(lambda: [torch.stack([per_image(x) for x in images]) for _ in range(2)])
print(f"two views of {BATCH} images: batched on the device {1000 * batched_s:.1f} ms, "
      f"one image at a time {1000 * looped_s:.1f} ms ({looped_s / batched_s:.0f}x slower)")

# %%
# Batched augmentation is several times faster than the per-image loop on any device.
assert looped_s > 2 * batched_s, (looped_s, batched_s)

# %% [markdown]
# A DataLoader hides some of that cost behind the model step by running workers in
# parallel, which is why it works well for big images and big models. For the small images of
# SSL research it does not: `benchmarks/vs_lightly.py` trains the same SimCLR run through a
# standard per-image pipeline and through the cookbook and reports both throughputs and
# accuracies.

# %% [markdown]
# ## Several processes, one run
#
# `torchrun --nproc_per_node=N -m cookbook_lib train ...` starts N processes (one per GPU;
# on a CPU, `gloo` processes). `batch_size` stays the **global** batch: each process takes
# its slice. For the run to be the *same* run, three things must hold:
#
# 1. **Batch-dependent losses see the global batch.** NT-Xent's negatives, VICReg's variance
#    and covariance, Barlow Twins' cross-correlation: each process gathers the embeddings of
#    all processes before the loss. The gather must carry gradients back to the process that
#    made each embedding — every process computes the same loss $L$, so process $r$ receives
#    $\sum_{r'} \partial L / \partial z_r = N\,\partial L/\partial z_r$, and averaging the
#    parameter gradients over the N processes divides the N back out. A gather without that
#    sum silently drops the gradient that flows through other processes' negatives.
# 2. **BatchNorm uses global statistics** (`sync_batchnorm`, on by default under torchrun).
#    Per-process statistics over a small slice are noisier and, for contrastive methods, leak
#    which images share a slice.
# 3. **Every image gets the augmentation it would get in one process**: each process draws
#    the random parameters for the whole batch (a few numbers per image) and uses its slice.
#
# The next cell writes a 10-line script, runs it once as one process and once as two `gloo`
# processes with `torchrun`, and compares their loss curves (about 20 s on a 2-core CPU: most
# of it is starting Python and PyTorch three times).

# %%
SCRIPT = """
import json, sys
from cookbook_lib import RunConfig, distributed
from cookbook_lib.train import train
run = train(RunConfig(**json.loads(sys.argv[1])), progress=False)
if distributed.rank() == 0:
    out = dict(world=distributed.world_size(), loss=[r["loss"] for r in run.history])
    json.dump(out, open(sys.argv[2], "w"))
"""
# SGD for an exact comparison: with AdamW, a weight whose true gradient is 0 (the projector's
# last bias: NT-Xent ignores a shift shared by all embeddings) takes full-size steps of random
# sign driven by round-off, and the curves drift apart by ~1e-4 (both are still right).
knobs = dict(method="simclr", dataset="shapes", image_size=16, batch_size=64, steps=DIST_STEPS, log_every=1,
             representation_dim=64, projector_width=128, embedding_dim=32, device="cpu",
             optimizer="sgd", lr=0.02, lr_scaling="none", warmup=0.0)
tmp = tempfile.mkdtemp()
script = os.path.join(tmp, "run.py")
with open(script, "w") as f:
    f.write(SCRIPT)
proc_env = {**os.environ, "OMP_NUM_THREADS": "1"}
curves = {}
for nproc in (1, 2):
    launcher = [] if nproc == 1 else ["-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}"]
    out = os.path.join(tmp, f"{nproc}.json")
    done = subprocess.run([sys.executable, *launcher, script, json.dumps(knobs), out], env=proc_env,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    curves[nproc] = json.load(open(out))
    print(f"{nproc} process(es): losses {[round(v, 5) for v in curves[nproc]['loss']]}")

# %%
one, two = torch.tensor(curves[1]["loss"]), torch.tensor(curves[2]["loss"])
fig, ax = plt.subplots(figsize=(6, 3))
steps = range(1, len(one) + 1)
ax.plot(steps, one, "o-", lw=3, alpha=0.5, label="1 process, batch 64")
ax.plot(steps, two, "x--", color="k", label="2 processes × 32 (torchrun, gloo)")
ax.set(xticks=list(steps), xlabel="step", ylabel="NT-Xent loss", title="two processes retrace one process, step for step")
ax.legend()
fig.tight_layout()
gap = float(((one - two).abs() / one.abs()).max())
print(f"largest relative difference between the curves: {gap:.1e} (float32 round-off is ~1e-7)")

# %%
# Two processes follow the one-process trajectory to float precision.
assert curves[2]["world"] == 2 and len(one) == len(two) == DIST_STEPS
assert gap < 1e-5, gap

# %% [markdown]
# `tests/test_distributed.py` checks the same for SimCLR, VICReg and Barlow Twins, down to
# the parameters after training, and checks that a batch which does not split evenly over
# the processes is refused with a clear message. A long run can also be stopped and resumed
# where it stopped: `--checkpoint run.ckpt --checkpoint-every 500`.

# %% [markdown]
# ## The effective batch and the learning rate
#
# What the paper calls the batch size is the **effective** (global) batch: the number of
# images whose embeddings meet in one loss, summed over processes. Report that number, not the
# per-GPU batch. The learning rate follows it by a rule (`lr_scaling`):
#
# $$\text{lr} = \text{base\_lr} \times \frac{B}{256} \;\;(\texttt{linear}) \qquad
#   \text{lr} = \text{base\_lr} \times \sqrt{\frac{B}{256}} \;\;(\texttt{sqrt})$$
#
# Linear scaling (Goyal et al. 2017, arXiv 1706.02677) keeps the average update per image
# constant; for SSL with LARS at very large batches the square-root rule is gentler, and with
# it contrastive methods do well at batch 256. At small scale chapter 12 finds the small
# batch's deficit to be the lr rule's: VICReg, with no negatives, shows the same deficit,
# and the square-root rule removes it for both (whether *many* negatives help on ImageNet's
# 1,000 classes is a question our shapes cannot answer).

# %%
batches = [32, 64, 128, 256, 512, 1024, 2048, 4096]
base = RunConfig(method="simclr", optimizer="lars", lr=0.3).resolved()
fig, ax = plt.subplots(figsize=(6, 3))
for rule in ("linear", "sqrt"):
    lrs = [base.replace(batch_size=b, lr_scaling=rule).lr_at_batch() for b in batches]
    ax.plot(batches, lrs, "o-", label=f"lr_scaling={rule!r}")
ax.set_xscale("log", base=2)
ax.set(yscale="log", xlabel="effective (global) batch size", ylabel="learning rate", title="LARS, base lr 0.3 at batch 256")
ax.legend()
fig.tight_layout()

# %%
assert base.replace(batch_size=1024, lr_scaling="linear").lr_at_batch() == 4 * 0.3
assert base.replace(batch_size=1024, lr_scaling="sqrt").lr_at_batch() == 2 * 0.3

# %% [markdown]
# **What to notice**
# - Layout and precision matter most on a GPU; on a CPU their effect depends on the chip
#   (bf16 instructions or not), so measure before you switch.
# - For small images the data pipeline, not the model, is the first bottleneck; batching
#   the augmentations on the device removes it.
# - Two processes give the one-process loss curve to float precision: gathering with
#   gradients, global BatchNorm and shared augmentation draws make distributed SSL a
#   faster version of the same experiment, not a different one.
#
# ## Exercises
# 1. Change `knobs["method"]` to `"vicreg"` or `"barlow_twins"` and re-run the two-process
#    cell. Then set `sync_batchnorm=False` in `knobs`: how far apart do the curves drift?
# 2. Set `batch_size=66` in `knobs`: what does `torchrun` with two processes say?
#    With three?
# 3. On a GPU, run `python benchmarks/throughput.py`. Which fraction of the FLOP peak do the
#    convnet and the ResNet-18 reach, and why is the small convnet so far from it?
# 4. With `pip install -r benchmarks/requirements-lightly.txt`, run
#    `python benchmarks/vs_lightly.py` and compare the two pipelines on your machine.
#
# ## Summary
# Speed in SSL comes from keeping the device busy: data and augmentation on the device,
# channels_last, bf16 and compilation on GPUs. Scale comes from `torchrun`, and it is only
# honest when N processes compute what one would: global negatives and statistics through a
# gather that carries gradients, global BatchNorm, and the global batch size reported.
# Paper: §3.8 of *A Cookbook of Self-Supervised Learning* (Balestriero et al., 2023).
