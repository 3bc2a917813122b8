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
# # 01 · Why self-supervised learning?
#
# Labels are the expensive part of supervised learning: someone has to look at every image
# and say what it shows. Unlabelled images are cheap and plentiful. Self-supervised learning
# (SSL) trains an encoder on the unlabelled images alone, then a *small* labelled set is
# enough to read the answer off its features. This chapter measures that promise on the
# cookbook's `shapes` data, and is honest about where it stops.
#
# In this chapter you will:
# 1. pretrain SimCLR (Chen et al. 2020, arXiv 2002.05709) on all 8,192 unlabelled training images;
# 2. give a linear probe 1, 5, 20, 100 or all labels per class, over several random draws of
#    which images get labels;
# 3. compare it with the same probe on a **random-init** encoder and with a **supervised**
#    network trained from scratch on the same few labels;
# 4. see what SSL costs, and get a map of the rest of the book.
#
# Paper: *A Cookbook of Self-Supervised Learning* (Balestriero et al. 2023, arXiv 2304.12210), §1.

# %% [markdown]
# ## Setup

# %%
import time

import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import display

from cookbook_lib import RunConfig, evidence, load_or_train, untrained
from cookbook_lib.data import load_dataset
from cookbook_lib.evaluate import linear_probe, linear_probes
from cookbook_lib.notebook import Table, setup

env = setup(seed=0)

# %% tags=["parameters"]
# Quick mode (COOKBOOK_QUICK=1, set by the tests) trains short runs and draws fewer label subsets:
# about 1 min on a 2-core CPU; full mode about 10 min there, a minute or two on a GPU.
QUICK = env.quick
SSL_STEPS = 200 if QUICK else 1500      # SimCLR pretraining steps (batch 128, two views each)
SUP_STEPS = 100 if QUICK else 400       # steps of each supervised-from-scratch run
LABELS_PER_CLASS = (1, 5, 20, 100)      # the few-label regimes; "all" (≈1,365 per class) is added
PROBE_DRAWS = 5 if QUICK else 10        # random draws of the labelled images, for the probes on frozen features
SUP_DRAWS = 1 if QUICK else 3           # draws for the supervised runs (each one is a training run)
SUP_LABELS = (1, 5) if QUICK else LABELS_PER_CLASS  # budgets with a supervised run (quick: the asserted ones)
SEED = 0

# %% [markdown]
# ## Why bother?
#
# A supervised network learns only from what the labels say. With six labelled images it has
# almost nothing to go on. An SSL encoder has already looked at every image: it has learned
# which images resemble each other, by a task the data sets itself (here: recognise two
# random views of the same image among the views of the other images). The labels then only
# have to name groups that are already there.
#
# The plan below keeps everything else equal: the same encoder architecture (a small convnet),
# the same 2,048 test images, and for each budget $k$ of labels per class the **same**
# labelled images for all three contestants:
#
# | contestant | sees the 8,192 unlabelled images? | sees the $6k$ labels? |
# |---|---|---|
# | SimCLR features + linear probe | yes, without labels (pretraining) | yes, to fit the probe |
# | random-init features + linear probe | no | yes, to fit the probe |
# | supervised network from scratch | no | yes, to train every layer |

# %%
data = load_dataset("shapes", 32)
print(data)
print("train images per class:", torch.bincount(data.train_labels).tolist())


# %% [markdown]
# ## Step 1: pretrain SimCLR on the unlabelled images
#
# This cell costs about 35 s on a 2-core laptop CPU in quick mode (200 steps), about 4 min in
# full mode (1,500 steps), seconds on a GPU; it is stored under `data/runs/`, so re-running it
# is instant. The label-free run reports a linear probe with *all* labels at the end: that is
# the right-hand end of our curve.

# %%
config = RunConfig(method="simclr", dataset="shapes", steps=SSL_STEPS, batch_size=128, seed=SEED)
ssl = load_or_train(config)
ssl

# %% [markdown]
# The **random-init** encoder is the same network before any training: building it costs
# nothing. Embedding the 10,240 images with both encoders takes a few seconds.

# %%
random_init = untrained(config, data)  # the same network, built at the run's seed
features = {name: (run.embed(data.train_images)[0], run.embed(data.test_images)[0])
            for name, run in (("SimCLR", ssl), ("random init", random_init))}
print({name: tuple(f[0].shape) for name, f in features.items()})

# %% [markdown]
# ## Step 2: linear probes on frozen features, few labels at a time
#
# For each budget $k$ we draw $6k$ labelled images (k per class), fit a linear classifier on
# their frozen, standardised representations, and score it on the test set. Probes on frozen
# features are cheap (well under a second each), so we repeat each budget over
# several random draws and keep every result: which images happen to get labels matters a lot
# when there are only six of them.

# %%
start = time.perf_counter()
ALL = len(data.train_labels) // data.num_classes  # where "all labels" sits on the x axis
acc = {name: {} for name in ("SimCLR", "random init", "supervised")}
for name, (h_train, h_test) in features.items():
    for k in LABELS_PER_CLASS:
        draws = [data.labelled_index(k, seed=d) for d in range(PROBE_DRAWS)]  # one probe per draw
        acc[name][k] = linear_probes(h_train, data.train_labels, h_test, data.test_labels, draws)
acc["SimCLR"][ALL] = [ssl.metrics["linear_acc"]]  # the same probe, all labels, computed by train()
h_train, h_test = features["random init"]
acc["random init"][ALL] = [linear_probe(h_train, data.train_labels, h_test, data.test_labels)]
print(f"{2 * len(LABELS_PER_CLASS) * PROBE_DRAWS + 1} probes in {time.perf_counter() - start:.1f} s")

# %% [markdown]
# ## Step 3: a supervised network from scratch on the same labels
#
# The fair opponent: the same convnet, trained end to end with cross-entropy on the $6k$
# labelled images only (with the same augmentations as SimCLR, which help a little data go a
# long way), for `SUP_STEPS` steps. To score it exactly like the SSL encoder we fit the same
# linear probe on its representation with the same labels (within a point of its own
# classification head with few labels, better than it with more). Each run costs a few
# seconds on a CPU in quick mode; we store them next to the other runs (`data.labelled(k, seed=d)`
# draws the images of draw $d$, the same ones the probes above used, and names them in the run
# cache) so re-opening the chapter is instant.

# %%
start = time.perf_counter()
sup_config = config.replace(method="supervised", steps=SUP_STEPS, temperature=None)
sup_runs = {(k, d): load_or_train(sup_config.replace(seed=d), progress=False, data=data.labelled(k, seed=d))
            for k in SUP_LABELS for d in range(SUP_DRAWS)}
for k in SUP_LABELS:
    acc["supervised"][k] = [sup_runs[k, d].metrics["linear_acc"] for d in range(SUP_DRAWS)]
if not QUICK:  # with every label the supervised net is the ceiling (about 1 min more on a CPU)
    acc["supervised"][ALL] = [load_or_train(sup_config).metrics["linear_acc"]]
print(f"{len(SUP_LABELS) * SUP_DRAWS} supervised runs in {time.perf_counter() - start:.1f} s")

# %% [markdown]
# ## The curves: accuracy against labels per class
#
# Each line is the mean over draws; the band spans the worst and best draw; the dots are
# the single draws.

# %%
fig, ax = plt.subplots(figsize=(7, 4.5), layout="constrained")
for i, (name, by_k) in enumerate(acc.items()):
    ks = sorted(by_k)
    means = [np.mean(by_k[k]) for k in ks]
    draws = len(by_k[LABELS_PER_CLASS[0]])
    ax.plot(ks, means, marker="o", color=f"C{i}", label=f"{name} (mean of {draws} draw{'s' * (draws > 1)})")
    ax.fill_between(ks, [min(by_k[k]) for k in ks], [max(by_k[k]) for k in ks], color=f"C{i}", alpha=0.2)
    for k in ks:
        ax.scatter([k] * len(by_k[k]), by_k[k], s=8, color=f"C{i}", alpha=0.6)
ax.axhline(1 / data.num_classes, color="0.4", ls="--", lw=1, label="chance (1/6)")
ax.set_xscale("log")
ticks = list(LABELS_PER_CLASS) + [ALL]
ax.set_xticks(ticks, [str(k) for k in LABELS_PER_CLASS] + [f"all\n({ALL})"])
ax.minorticks_off()
ax.set(xlabel="labelled images per class (log scale)", ylabel="test accuracy (linear probe)",
       title="shapes: SSL features vs random init vs supervised from scratch")
ax.grid(alpha=0.3)
ax.legend(fontsize=9)
plt.show()

# %%
mean = {name: {k: float(np.mean(v)) for k, v in by_k.items()} for name, by_k in acc.items()}
Table([{"labels/class": k if k != ALL else "all", **{n: mean[n].get(k, float("nan")) for n in acc}} for k in ticks])

# %%
# What this chapter teaches, checked. With few labels (1 and 5 per class) SimCLR features beat a
# network trained from scratch on the same labels; at 5 per class they also clearly beat random
# features; with all labels, SSL features beat random ones by a wide margin. (At 1 label per class
# every contestant is close to chance in quick mode, so we only ask SSL to be ahead on the sum.)
# Quick mode's margins sit below its seeds 0-2 (one thread): lead summed over k=1,5 +0.042/+0.032/+0.065,
# k=5 over supervised +0.035/+0.032/+0.051, over random init +0.045/+0.050/+0.061 (benchmarks/chapter_seeds.md);
# full mode's are below every stored seed (next cell).
LEAD_MIN, K5_MIN = (0.02, 0.015) if QUICK else (0.12, 0.07)
lead = sum(mean["SimCLR"][k] - mean["supervised"][k] for k in (1, 5))
print(f"SimCLR's lead over supervised, summed over k=1 and k=5: {lead:.3f} (asserted > {LEAD_MIN})")
print(f"k=5 leads: over supervised {mean['SimCLR'][5] - mean['supervised'][5]:.3f} (> {K5_MIN}), "
      f"over random init {mean['SimCLR'][5] - mean['random init'][5]:.3f} (> 0.03)")
print(f"all labels: SimCLR {mean['SimCLR'][ALL]:.3f} vs random init {mean['random init'][ALL]:.3f} (gap > 0.10)")
crossing = [k for k in SUP_LABELS if mean["supervised"][k] > mean["SimCLR"][k]]
print("label budgets where supervised from scratch is ahead:", crossing or "none")
assert mean["SimCLR"][5] > mean["random init"][5] + 0.03
assert lead > LEAD_MIN, lead
assert mean["SimCLR"][5] > mean["supervised"][5] + K5_MIN
assert mean["SimCLR"][ALL] > mean["random init"][ALL] + 0.10

# %% [markdown]
# The same contest at the full budget, with seeds: SimCLR pretrained for 1,500 steps with
# seeds 0, 1 and 2, each probed over 10 label draws per budget, and the supervised network
# trained from scratch for 400 steps on one draw per seed (stored; `python -m cookbook_lib
# evidence --chapter 01` recomputes them, about 35 min on one CPU core). In full mode your
# runs above are its seed 0.

# %%
ssl_ev, sup_ev = evidence.load("01_why_ssl.simclr"), evidence.load("01_why_ssl.supervised")
stored = {k: {"SimCLR": ssl_ev.values(f"labelled{k}_linear_acc", steps=1500),
              "random init": ssl_ev.values(f"labelled{k}_linear_acc", steps=0),
              "supervised": sup_ev.values("linear_acc", per_class=k)} for k in LABELS_PER_CLASS}
display(Table({"labels/class": k, **{n: " ".join(f"{v:.3f}" for v in vals) for n, vals in row.items()}}
              for k, row in stored.items()))
sup5 = float(np.mean(stored[5]["supervised"]))
k5_leads = [v - sup5 for v in stored[5]["SimCLR"]]
stored_cross = [k for k in LABELS_PER_CLASS if np.mean(stored[k]["supervised"]) > np.mean(stored[k]["SimCLR"])]
print(f"k=5: each SimCLR seed − the supervised mean: {', '.join(f'{x:+.3f}' for x in k5_leads)} (each > 0.07)")
print("stored budgets where supervised from scratch is ahead:", stored_cross or "none")
assert min(k5_leads) > 0.07, k5_leads
assert min(stored[1]["SimCLR"]) > max(stored[1]["supervised"]), stored[1]  # one label per class: every seed

# %% [markdown]
# **What to notice**
# - With a handful of labels (5 per class) the supervised network has too little to learn
#   from; SSL has already used the 8,192 unlabelled images, and wins. With a single label per
#   class everyone is close to chance after a short pretraining: one example of each shape, in
#   one colour, size and position, is not enough to say which directions of a feature space
#   mean "shape".
# - The gap is small in absolute terms here: after a short pretraining, SimCLR's features still
#   carry a lot of colour, size and position (chapter 00's factor probes), and a probe fit on
#   six images cannot tell which directions are the shape. Better pretraining (full mode, better
#   augmentations — chapter 09) moves the whole SSL curve up.
# - The supervised curve climbs fastest: once there are enough labels, training every layer
#   on them beats a frozen encoder with a linear probe (the printouts name the budgets where
#   it is ahead, in your runs and in the stored ones). Where the curves cross is the label
#   budget below which pretraining pays for itself. (Quick mode trains the supervised network
#   only at 1 and 5 labels per class, where the chapter's claim is, to stay within a minute;
#   the stored runs below show where the curves cross, and full mode draws every budget and
#   the supervised run with *all* labels: the ceiling.)
# - The spread between draws is widest at one label per class: six lucky or unlucky images
#   decide the result. Report few-label results over several draws, never one.
#
# ## What SSL costs
#
# SSL is not free:
# - **Compute.** Pretraining sees two (or more) views of every image for many more steps than
#   a supervised run needs; the printout below compares the wall time of the runs above.
# - **Recipes.** Augmentations, projector, temperature, batch size, learning rate, EMA
#   momentum: each method has knobs that make it work or collapse, and they were often
#   tuned for one dataset and never written down. Chapters 09–12 turn them one at a time.
# - **Failure modes without an alarm.** A collapsing run's loss can still fall. You need
#   label-free diagnostics (RankMe, embedding std: chapters 00, 07, 13).
# - **Vocabulary.** Dozens of methods with different names for the same ideas; the paper, and
#   this book, sort them into a few families.

# %%
sup_seconds = [sup_runs[k, 0].seconds for k in SUP_LABELS]
print(f"SimCLR pretraining: {ssl.seconds:.1f} s for {SSL_STEPS} steps "
      f"({2 * config.batch_size * SSL_STEPS:,} views seen)")
print("supervised from scratch: " + ", ".join(f"{k}/class {s:.1f} s" for k, s in zip(SUP_LABELS, sup_seconds)))

# %% [markdown]
# ## A map of the book
#
# | chapter | paper § | the question it answers |
# |---|---|---|
# | 02 origins | 2.1 | How did older pretext tasks (rotation, jigsaw, inpainting) compare with a joint-embedding method? |
# | 03 contrastive | 2.2 | Triplet, InfoNCE, NT-Xent, DCL, NNCLR: what do temperature and batch size do? |
# | 04 self-distillation | 2.3 | How do BYOL, SimSiam and DINO avoid collapse without negatives? |
# | 05 canonical correlation | 2.4 | VICReg's three terms, Barlow Twins, SwAV, W-MSE: what does each term prevent? |
# | 06 masked modelling | 2.5, 3.6 | MAE on a tiny ViT: mask ratio, patch size, and why linear probes underrate it |
# | 07 theory and dimensional collapse | 2.6 | One loss family for all; why embeddings lose dimensions after the projector |
# | 08 pretraining data | 2.7, 3.3 | Pretrain on A, probe on B; what class imbalance costs |
# | 09 augmentation | 3.1 | Which augmentations decide what is learned; multi-crop and its price |
# | 10 projector | 3.2 | Depth, width, output size; which layer to probe (Guillotine Regularization) |
# | 11 teacher-student | 3.4 | EMA momentum, predictor learning rate, DirectPred |
# | 12 hyper-parameters | 3.5 | Batch size and learning-rate scaling; SGD, LARS, AdamW; weight decay |
# | 13 evaluation | 3.7 | kNN, linear and MLP probes; online probe; RankMe to pick hyper-parameters |
# | 14 speed and scale | 3.8 | Mixed precision, compile, device-resident data, `torchrun` on several GPUs |
# | 15 beyond images | 4 | SSL on tabular data, a CLIP-style two-modality run, dense features |
#
# ## Exercises
# 1. Run the chapter in full mode (`COOKBOOK_QUICK` unset): 1,500 pretraining steps. At which
#    label budget do the SSL and supervised curves cross now?
# 2. Replace `linear_probe` with `cookbook_lib.evaluate.knn` (cosine k-nearest neighbours,
#    `k=min(20, 6 * per_class)`). Which probe is better with one label per class? (chapter 13)
# 3. Probe the projector output instead of the backbone (`run.embed` returns both). Is it
#    better or worse with few labels? (chapter 10)
# 4. Give the supervised runs more steps (`SUP_STEPS`). Does the supervised curve move at one
#    label per class, or only at 100?
#
# ## Summary
# SSL turns unlabelled images into features on which a few labels go further than they do
# for a network trained from scratch, and much further than on random features. It pays for
# this with pretraining compute and with recipes full of knobs that the rest of the book
# turns one by one. Paper: §1 of *A Cookbook of Self-Supervised Learning* (Balestriero et al.
# 2023, arXiv 2304.12210).
