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
# # 00 · Quickstart: your first self-supervised run
#
# Self-supervised learning (SSL) trains an encoder **without labels**: it makes two random
# *views* of each image (crops, colour changes, flips) and asks the network to recognise that
# they come from the same image. If it works, the encoder's output — the *representation* —
# keeps what the two views share: the shape always, and whatever the augmentations leave
# (mostly) unchanged; what they change a lot, it can drop (chapter 09 turns that knob). If it
# fails, everything maps to the same point: *collapse*.
#
# In this chapter you will:
# 1. meet `shapes`, the cookbook's dataset whose generative factors are known;
# 2. train SimCLR (Chen et al. 2020) on it in well under a minute on a laptop CPU;
# 3. read the **collapse dashboard**: loss, RankMe, embedding std, online probe accuracy;
# 4. check, with a linear probe, that the SSL encoder beats the same network at random init.
#
# Paper: *A Cookbook of Self-Supervised Learning*, §1 (what SSL is and why bother).

# %% [markdown]
# ## Setup

# %%
import torch

from cookbook_lib import RunConfig, load_or_train, plots, train
from cookbook_lib.augment import multi_crop
from cookbook_lib.data import load_dataset
from cookbook_lib.notebook import Table, setup, std_ratio

env = setup(seed=0)

# %% tags=["parameters"]
# Quick mode (COOKBOOK_QUICK=1, set by the tests) trains a short run on 24-pixel images; the full
# run is longer, on 32-pixel ones.
QUICK = env.quick
STEPS = 200 if QUICK else 1500  # optimiser steps of SimCLR (batch 128, two views each)
IMAGE_SIZE = 24 if QUICK else 32  # shapes rendered at this many pixels a side
SEED = 0

# %% [markdown]
# ## The data: shapes with known factors
#
# Each image shows one of six shapes — the **label** — with a random colour, size, position and
# rotation, on a background of another random colour. The label is never shown to SSL; we
# only use it afterwards to *measure* what the encoder learned.

# %%
data = load_dataset("shapes", IMAGE_SIZE)
print(data)
plots.image_grid(data.train_images[:24], nrow=12, titles=[data.class_names[int(y)] for y in data.train_labels[:24]],
                 title="shapes: the label is the shape; colour, size, position and rotation are nuisances")

# %% [markdown]
# ## Two views of each image
#
# The augmentations decide what the encoder must ignore. Every image gets its own random
# crop, flip, colour jitter and (sometimes) grayscale, on the device, for the whole batch at once.

# %%
config = RunConfig(method="simclr", dataset="shapes", image_size=IMAGE_SIZE, steps=STEPS, seed=SEED)
g = torch.Generator(device=data.train_images.device).manual_seed(SEED)
plots.view_grid(data.train_images[:6], multi_crop(data.train_images[:6], config, g), title="two random views per image")

# %% [markdown]
# ## Train SimCLR
#
# SimCLR pulls the two views of an image together and pushes them away from the other
# images of the batch (the NT-Xent loss, chapter 03). This cell costs about 25 s on a 2-core
# laptop CPU in quick mode (about 2.5 min in full mode, a few seconds on a GPU); the run is
# stored under `data/runs/`, so re-running the cell is instant.

# %%
run = load_or_train(config)
run

# %% [markdown]
# The baseline: the **same network at random init** (`steps=0` trains nothing).

# %%
random_init = train(config.replace(steps=0), progress=False)
random_init

# %% [markdown]
# ## The collapse dashboard
#
# Four curves tell you whether a run is healthy:
# - **loss** should fall;
# - **RankMe** (effective rank of the embeddings) should stay well above 1 — a value near 1
#   means every image maps to the same line: collapse;
# - **embedding std** (std of the l2-normalised embeddings) should sit near the dashed
#   $1/\sqrt{d}$ line; 0 means complete collapse;
# - **online probe accuracy**: a linear classifier trained on the side, on detached
#   representations, scored on held-out images. SSL never sees its labels.

# %%
plots.history([run])

# %% [markdown]
# ## Did SSL learn something? The linear probe
#
# Freeze the encoder, embed the train and test images, and fit a linear classifier on the
# representations. The same probe on the random-init encoder is the bar to clear. The table's
# `std_ratio` is the embedding std × √d: about 1 when healthy, 0 when collapsed.

# %%
gain = run.metrics["linear_acc"] - random_init.metrics["linear_acc"]
print(f"SimCLR beats random init by {100 * gain:.1f} points of linear-probe accuracy (chance: {1 / data.num_classes:.2f})")
Table.of({"random init": random_init, "SimCLR": run}, ["linear_acc", "knn_acc", "rankme", "std_ratio"])

# %%
# What this chapter teaches, checked: SSL features beat random-init features by 10+ points,
# and the run did not collapse.
# (Quick mode, seeds 0-2: 19.7, 15.7 and 20.1 points; std × √d 0.97; RankMe 59-60.)
assert gain >= 0.10, gain
assert std_ratio(run) > 0.5  # embedding std × √d: 1 = spread over all directions, 0 = collapsed
assert run.metrics["rankme"] > 5

# %% [markdown]
# ## What did the encoder keep, and what did it drop?
#
# `shapes` knows every image's generative factors, so we can probe each one: a linear
# classifier per factor on the frozen representations. Between the two views of an image the
# crop moves and rescales the shape a little and the colour jitter shifts its colours a
# little; the shape itself never changes.

# %%
from cookbook_lib.evaluate import factor_probes  # noqa: E402

n = 4096  # train images used for the factor probes (a few seconds)
factors = ("shape", "colour", "background", "size", "position")
keep = {}
for name, r in (("random init", random_init), ("SimCLR", run)):
    h_train, _ = r.embed(data.train_images[:n])
    h_test, _ = r.embed(data.test_images)
    keep[name] = factor_probes(h_train, {f: data.train_factors[f][:n] for f in factors},
                               h_test, {f: data.test_factors[f] for f in factors})
chance = {f: 1 / data.factor_classes[f] for f in factors}
gains = sorted(((keep["SimCLR"][f] - keep["random init"][f], f) for f in factors), reverse=True)
print("gain over random init, largest first: " + ", ".join(f"{f} {g:+.2f}" for g, f in gains))
plots.bars(keep, ylabel="linear-probe accuracy", reference=chance,
           title="what a linear probe can read from the representation, per generative factor")

# %%
# SimCLR's representation knows the shape far better than the random-init one.
# (Quick mode, seeds 0-2: +0.19, +0.14 and +0.21.)
assert keep["SimCLR"]["shape"] > keep["random init"]["shape"] + 0.1

# %% [markdown]
# ## How many directions does the representation use?
#
# The singular values of the representations (backbone output) and of the embeddings
# (projector output), largest first, on a log scale. RankMe, in the legend, is their
# effective number.

# %%
h_ssl, z_ssl = run.embed(data.test_images)
h_rand, _ = random_init.embed(data.test_images)
plots.spectrum({"SimCLR backbone": h_ssl, "SimCLR projector": z_ssl, "random-init backbone": h_rand})

# %% [markdown]
# ## Turn a knob
#
# Move a slider and press **Run**: the dashboard redraws at every log step while the run
# trains, on top of the earlier runs, and the diagnosis under it says whether the run is
# healthy or collapsed and which knobs to try. A new setting costs about 30 s on a 2-core
# CPU in quick mode; one trained before (like the current values: the run above) loads at once.

# %%
from cookbook_lib.widgets import knob_panel  # noqa: E402

panel = knob_panel(config.resolved(), knobs=("temperature", "batch_size", "crop_min_scale", "jitter_strength",
                                  "projector_depth", "embedding_dim"))
panel

# %% [markdown]
# **What to notice**
# - The loss falls steadily and the embedding std stays near $1/\sqrt{d}$: no collapse.
# - The random-init encoder is not useless — a linear probe on random convolutional features
#   already beats chance — but SimCLR's features are far better, without a single label.
# - SimCLR learned what the two views share. The shape gains, and so do the nuisance
#   factors: these mild augmentations change position, size and colour only a little
#   between the two views, so keeping them helps to match the views too (the printed gains
#   above rank them; the shape is not necessarily first). Augmentations define what is
#   learned, and chapter 09 makes them strong enough to drop colour.
# - Training spreads the representation over more directions than at random init (a
#   slower-decaying spectrum, higher RankMe). The projector output has at most
#   `embedding_dim` = 128 directions; chapters 07 and 10 look at what the projector does.
#
# ## Exercises
# 1. Set `crop_min_scale=0.08` (tiny crops). Does accuracy go up or down? Why might crops that
#    miss the shape entirely hurt here? (chapter 09)
# 2. Set `jitter_strength=1.5` (hue shifts of up to ±0.3 of the colour wheel). Does the
#    colour bar fall? Does the shape bar rise? Then try `jitter_prob=0.0`. (chapter 09)
# 3. Set `temperature=2.0`. Watch RankMe and the probe accuracy. (chapter 03)
# 4. Try `method="supervised"`: how far is SSL from the labelled ceiling?
#
# ## Summary
# SSL learns from the data alone: two views of an image, one loss that brings them
# together, and something that stops everything collapsing to one point (for SimCLR: the
# negatives). In under a minute on a CPU it turns a random network into one whose
# features separate shapes by a linear classifier. Paper: §1 of *A Cookbook of
# Self-Supervised Learning* (Balestriero et al., 2023).
