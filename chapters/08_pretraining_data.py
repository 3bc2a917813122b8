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
# # 08 · Pretraining data: the encoder learns what its images show
#
# Self-supervised learning needs no labels, so it is tempting to think any pile of images
# will do. The images still decide what the encoder learns: which objects, which textures,
# how often each kind of thing turns up. This chapter changes the pretraining data and keeps
# everything else fixed.
#
# In this chapter you will:
# 1. pretrain SimCLR on `digits` and on `shapes`, probe each encoder on both datasets, and
#    see that pretraining on the target's own kind of images is what pays;
# 2. build class-imbalanced ("long-tailed") versions of `shapes` with an imbalance-ratio
#    knob, pretrain on them, and measure what imbalance costs the representation;
# 3. separate that cost from the much larger one of training the *probe* on imbalanced labels;
# 4. turn the ratio yourself in a small panel.
#
# Paper: *A Cookbook of Self-Supervised Learning*, §2.7 (the role of pretraining data) and
# §3.3 (the uniform prior hidden in many SSL losses).

# %% [markdown]
# ## Setup

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch

from cookbook_lib import RunConfig, evaluate, evidence, load_or_train, plots, untrained
from cookbook_lib.data import load_dataset, long_tailed
from cookbook_lib.notebook import Table, setup
from cookbook_lib.widgets import knob_panel

env = setup(seed=0)

# %% tags=["parameters"]
# Quick mode (COOKBOOK_QUICK=1, set by the tests): two SimCLR runs of 300 steps at batch 64 on
# 24-pixel images (digits and a balanced draw of shapes), 10-20 s each on a 2-core CPU; the
# long-tailed pretraining runs of section 2 are the stored full-budget ones. Full mode: 32-pixel
# images, batch 128, 500 steps, and section 2 pretrains at four imbalance ratios for seeds 0-2
# and yours: 13 runs of about 1.5 min on one free CPU core (about 20 min in all), a few seconds
# each on a GPU.
QUICK = env.quick
IMAGE_SIZE = 24 if QUICK else 32
BATCH_SIZE = 64 if QUICK else 128
STEPS = 300 if QUICK else 500
SUBSET_SIZE = 2048            # images in every imbalanced pretraining set (the same for every ratio)
RATIOS = [1, 100] if QUICK else [1, 10, 100, 200]  # 200: the most a 2,048-image draw of shapes allows
SEED = 0
SEEDS = sorted({0, 1, 2, SEED})  # section 2's pretraining runs in full mode: seeds 0-2 and yours

# %% [markdown]
# Every run below is SimCLR with the library's defaults (AdamW, temperature 0.1, a 2-layer
# projector), the same number of steps and the same augmentations. Only the images change.

# %%
BASE = RunConfig(method="simclr", image_size=IMAGE_SIZE, batch_size=BATCH_SIZE, steps=STEPS, seed=SEED)
data = {name: load_dataset(name, IMAGE_SIZE) for name in ("digits", "shapes")}
for d in data.values():
    print(d)
plots.image_grid(torch.cat([data["digits"].train_images[:8], data["shapes"].train_images[:8]]), nrow=8,
                 title="top: digits (handwritten, grey on black) · bottom: shapes (coloured, on plain coloured backgrounds)")

# %% [markdown]
# ## 1. Pretrain on one dataset, probe on another
#
# Two encoders: one pretrained on the 1,437 `digits` training images, one on 2,048 `shapes`
# training images (a balanced subset, the same one section 2 starts from). We freeze each
# and fit a linear probe on **both** datasets' labels (all of each training split, scored on
# the test split). A random, untrained encoder of the same architecture is the floor:
# whatever a pretrained encoder adds above it came from its data.
#
# The paper (§2.7) reports that, at ImageNet scale, pretraining on other curated data mostly
# transfers, but pretraining on the target's own distribution is the safe bet. Our two
# datasets are far apart, so expect the in-domain encoder to win clearly where the task is
# hard. (Cost: two runs, about 25 s on a 2-core CPU in quick mode.)


# %%
def probes(run, d) -> dict:
    """Test accuracy of a linear probe and of kNN on `run`'s frozen backbone, fitted on all of
    dataset `d`'s labelled training images."""
    h_train, h_test = run.embed(d.train_images)[0], run.embed(d.test_images)[0]  # frozen representations h
    return dict(linear=evaluate.linear_probe(h_train, d.train_labels, h_test, d.test_labels),
                knn=evaluate.knn(h_train, d.train_labels, h_test, d.test_labels))


def long_tail(ratio: float, seed: int = SEED):
    """A long-tailed `shapes` subset of SUBSET_SIZE training images (section 2); ratio 1 = balanced."""
    return long_tailed(data["shapes"], ratio, SUBSET_SIZE, seed=seed)


encoders = {"pretrained on digits": load_or_train(BASE.replace(dataset="digits"), progress=False),
            "pretrained on shapes": load_or_train(BASE, progress=False, data=long_tail(1))}
encoders["random init"] = untrained(BASE, data["shapes"])  # the same network, built and not trained
probed = {enc: {name: probes(run, d) for name, d in data.items()} for enc, run in encoders.items()}
transfer = {enc: {f"probe on {name}": p["linear"] for name, p in row.items()} for enc, row in probed.items()}
shapes_probes = probed["pretrained on shapes"]["shapes"]  # section 2 starts from this encoder
Table({"encoder": enc, **row} for enc, row in transfer.items())

# %%
plots.bars(transfer, ylabel="linear-probe accuracy (test)",
           title="the same SimCLR recipe, pretrained on different images",
           reference={f"probe on {n}": evaluate.chance(d.test_labels) for n, d in data.items()})

# %% [markdown]
# **What to notice.**
# - On `shapes`, the encoder pretrained on shapes is ahead of the one pretrained on digits,
#   which is only a little above the random encoder: digit strokes taught it little about
#   coloured shapes on plain coloured backgrounds. How far ahead depends on the budget: after
#   a quick run the gap is small and moves with the seed; at the full budget (stored, printed
#   below) it is large for every seed.
# - On `digits` every encoder scores above 0.95, the random one included. Digits are so easy
#   for a convnet that even random features separate them, so this column cannot tell the
#   encoders apart. An easy benchmark hides what the pretraining data did; this is one reason
#   the paper's evaluations use hard, varied targets.

# %%
in_domain, cross_domain = (transfer[f"pretrained on {d}"]["probe on shapes"] for d in ("shapes", "digits"))
print(f"probe on shapes: in-domain {in_domain:.3f}, cross-domain {cross_domain:.3f}, "
      f"gap {in_domain - cross_domain:+.3f}")

# The same comparison at the full budget (32-pixel images, batch 128, 500 steps), seeds 0-2, stored
# (`python -m cookbook_lib evidence --chapter 08` recomputes them). The shapes encoder there is
# section 2's ratio-1 run, probed as above; in full mode your runs are the stored seed 0.
stored_lt, stored_digits = (evidence.load(f"08_pretraining_data.{n}") for n in ("long_tail", "digits"))
stored_gap = [a - b for a, b in zip(stored_lt.values("linear_acc_full", ratio=1),
                                    stored_digits.values("linear_acc_shapes"))]
# quick: the sign (24 px, 300 steps, seeds 0-2 on two kinds of CPU: +0.019 to +0.134); full: below every stored seed
GAP_MIN = 0.0 if QUICK else 0.20
print(f"full budget, seeds 0-2: in-domain − cross-domain {', '.join(f'{g:+.3f}' for g in stored_gap)} (each > 0.20)")
assert in_domain - cross_domain > GAP_MIN, "pretraining on shapes should beat pretraining on digits for shapes"
assert min(stored_gap) > 0.20, stored_gap

# %% [markdown]
# ## 2. Class imbalance: a long tail in the pretraining data
#
# Curated datasets such as ImageNet have roughly the same number of images per class. Images
# collected in the wild do not: a few kinds of object are everywhere and most are rare.
# `data.long_tailed(data, ratio, size)` draws `size` training images whose classes follow an
# exponential profile, class $i$ getting a share proportional to
#
# $$ n_i \propto \rho^{-i/(C-1)}, \qquad i = 0, \dots, C-1, $$
#
# so the most common class has $\rho$ (`ratio`) times as many images as the rarest. Every
# ratio keeps the same total, 2,048 images, so the encoder sees as many images and takes as
# many steps; only the mix changes. The test split stays balanced.

# %%
names = data["shapes"].class_names
counts = {ratio: torch.bincount(long_tail(ratio).train_labels.cpu(), minlength=len(names)) for ratio in RATIOS}
fig, ax = plt.subplots(figsize=(7, 3.2), layout="constrained")
width = 0.8 / len(RATIOS)
for j, (ratio, c) in enumerate(counts.items()):
    ax.bar(np.arange(len(names)) + (j - (len(RATIOS) - 1) / 2) * width, c.numpy(), width, label=f"ratio {ratio}")
ax.set_xticks(np.arange(len(names)), names)
ax.set(ylabel="pretraining images", title=f"class mix of the {SUBSET_SIZE}-image pretraining sets", yscale="log")
ax.legend(loc="upper right")
ax.grid(alpha=0.3, axis="y")
Table({"ratio": ratio, **dict(zip(names, c.tolist()))} for ratio, c in counts.items())

# %% [markdown]
# A long tail can cost twice. Pretraining on it can cost the *representation*; fitting the
# probe on long-tailed labels costs the *classifier*. In practice both sets of images come
# from the same skewed source, so the two costs arrive together. We measure them apart.
#
# ### The labels' cost: one frozen encoder, a probe fitted on each draw's labels
# Take section 1's shapes encoder, pretrained on the balanced draw, and keep it frozen. Fit
# its linear probe on the 2,048 labelled images of each draw above and score every probe on
# the same balanced test split. The representation never changes; only the labels the
# probe learns from do. (No new pretraining: a second or two per probe.)


# %%
shapes_encoder, shapes = encoders["pretrained on shapes"], data["shapes"]  # every draw keeps its test split
h_test = shapes_encoder.embed(shapes.test_images)[0]


def label_probe(ratio: float) -> list:
    """Recall on each class of the balanced test split, for a linear probe on the frozen shapes
    encoder fitted on the labels of the `ratio` draw's SUBSET_SIZE training images."""
    d = long_tail(ratio)
    h_train = shapes_encoder.embed(d.train_images)[0]
    return evaluate.linear_probe(h_train, d.train_labels, h_test, shapes.test_labels, per_class=True)


def accuracy(recall: list, labels: torch.Tensor) -> float:
    """Accuracy from one probe's per-class recalls: each class's hits, counted, over all test images."""
    per_class_images = torch.bincount(labels, minlength=len(recall)).tolist()
    return sum(round(r * n) for r, n in zip(recall, per_class_images)) / len(labels)


recall = {ratio: label_probe(ratio) for ratio in RATIOS}
on_labels = {ratio: accuracy(r, shapes.test_labels) for ratio, r in recall.items()}
Table({"probe fitted on the labels of": f"ratio {ratio}", "accuracy": on_labels[ratio], **dict(zip(names, r))}
      for ratio, r in recall.items())

# %%
lo, hi = RATIOS[0], RATIOS[-1]
label_cost = on_labels[lo] - on_labels[hi]
change = [b - a for a, b in zip(recall[lo], recall[hi])]  # per class, from the common class to the rarest
print(f"the same frozen encoder, its probe fitted on ratio-{hi} labels instead of balanced ones: "
      f"accuracy {on_labels[lo]:.3f} → {on_labels[hi]:.3f} ({-label_cost:+.3f})")
print("change per class, common to rare: " + ", ".join(f"{c} {d:+.3f}" for c, d in zip(names, change)))
# The probe learns its labels' prior: the common class gains, the rare ones lose. Margins below
# every one of seeds 0-2 (quick: ratio 100, 24 px, 300 steps; full: ratio 200, 32 px, 500 steps):
# accuracy lost, quick 0.09-0.11, full 0.21-0.24; the common class's gain, quick 0.34-0.41, full
# 0.21-0.29; the three rarest classes' mean change, quick -0.28 to -0.30, full -0.47 to -0.51.
LABEL_MIN, GAIN_MIN, RARE_MAX = (0.05, 0.2, -0.15) if QUICK else (0.15, 0.1, -0.3)
assert label_cost > LABEL_MIN, "long-tailed probe labels should cost accuracy on a balanced test split"
assert change[0] > GAIN_MIN and np.mean(change[-3:]) < RARE_MAX, "the cost should fall on the rare classes"
plots.bars({f"probe fitted on ratio-{r} labels": dict(zip(names, recall[r])) for r in (lo, hi)},
           ylabel="accuracy on that class (test)",
           title="one frozen encoder, two probes (classes from common to rare in the long tail)")

# %% [markdown]
# **What to notice.** The encoder is the same in both rows, yet the probe fitted on the long
# tail's labels scores worse on the balanced test split. Its errors are not spread evenly: the
# common class gains and the rare classes lose most, because the classifier learns how
# often each class appeared in its training labels and bets on the common one when unsure.
#
# ### The representation's cost: one encoder per draw, the same balanced probe
# Now the pretraining images change. Pretrain one encoder per ratio and probe each **with
# balanced labels**: fitted on all 8,192 labelled `shapes` training images, whatever the
# encoder was pretrained on, so any difference is the representation's doing. A kNN
# classifier on the same labels has nothing to fit, so it reads the geometry of the
# representation directly. The third measure is the practitioner's case, both costs at once:
# `run.metrics["linear_acc"]`, the probe `train` fits at the end of a run on the draw's own
# labels.
#
# This cost is small, and reading it takes the full budget and several seeds: after a quick
# run (300 steps at 24 pixels) it is a few points that move with the seed and the machine.
# So quick mode trains none of these runs and shows the stored full-budget ones (32-pixel
# images, batch 128, 500 steps, ratio 1 against 200, seeds 0-2; `python -m cookbook_lib
# evidence --grid 08_pretraining_data.long_tail` recomputes them). Full mode trains every
# ratio at that setting, for seeds 0-2 and yours (13 runs, about 20 min on one CPU core). The
# panel in section 3 pretrains a quick one at any ratio.

# %%
MEASURES = {"balanced probe": "linear_acc_full", "balanced kNN": "knn_acc_full",
            "probe on the draw's own labels": "linear_acc"}  # what we show -> the stored metric
runs = {} if QUICK else {(ratio, seed): load_or_train(BASE.replace(seed=seed), progress=False,
                                                      data=long_tail(ratio, seed))
                         for seed in SEEDS for ratio in RATIOS}
# probes fitted on the balanced labels; ratio 1 at your seed is section 1's shapes encoder, probed there
scores = {key: shapes_probes if key == (1, SEED) else probes(run, data["shapes"]) for key, run in runs.items()}


def measured(ratio: float, seed: int) -> list:
    """Your run's three accuracies, in the order of MEASURES."""
    return [scores[ratio, seed]["linear"], scores[ratio, seed]["knn"], runs[ratio, seed].metrics["linear_acc"]]


if runs:  # full mode: your runs
    pretrained = {f"ratio {r}": {name: [measured(r, s)[i] for s in SEEDS] for i, name in enumerate(MEASURES)}
                  for r in RATIOS}
    source = f"your runs, seeds {', '.join(map(str, SEEDS))}"
else:  # quick mode: the stored full-budget runs
    pretrained = {f"ratio {r}": {name: stored_lt.values(m, ratio=r) for name, m in MEASURES.items()}
                  for r in stored_lt.grid.axes["ratio"]}
    source = "stored full-budget runs, seeds 0-2"
random_init = evidence.load("12_hyperparameters.random_init").values("linear_acc")  # the same network, 32 px
fig, ax = plt.subplots(figsize=(8, 3.8), layout="constrained")
plots.seeds(pretrained, title=f"what a long tail costs SimCLR on shapes\n{source}", ax=ax,
            reference=float(np.mean(random_init)), reference_label="random-init encoder (balanced probe, stored)")
legend = ax.legend(fontsize=9, loc="upper left", bbox_to_anchor=(1.01, 1))  # beside the axes: never over a bar

# %%
first, last = list(pretrained)[0], list(pretrained)[-1]  # "ratio 1" and the largest ratio shown
cost = {name: float(np.mean(pretrained[first][name]) - np.mean(pretrained[last][name])) for name in MEASURES}
print(f"{source}, {first} → {last} (mean over seeds): " + ", ".join(f"{n} loses {c:.3f}" for n, c in cost.items()))
# every stored seed (ratio 1 against 200, the full budget), in both modes
seed_drops = {name: [a - b for a, b in zip(stored_lt.values(m, ratio=1), stored_lt.values(m, ratio=200))]
              for name, m in MEASURES.items()}
for name, d in seed_drops.items():
    print(f"stored, ratio 1 → 200, {name}: loses {', '.join(f'{x:.3f}' for x in d)}")
stored_rep = [max(a, b) for a, b in zip(seed_drops["balanced probe"], seed_drops["balanced kNN"])]
assert min(seed_drops["balanced probe"]) > 0.03 and min(seed_drops["balanced kNN"]) > 0.10, seed_drops
assert min(x - r for x, r in zip(seed_drops["probe on the draw's own labels"], stored_rep)) > 0.10, seed_drops
# what the figure shows (quick: the same stored runs; full: your runs, whose seeds 0-2 are the stored ones)
assert cost["balanced probe"] > 0.03 and cost["balanced kNN"] > 0.10, cost
assert cost["probe on the draw's own labels"] > max(cost["balanced probe"], cost["balanced kNN"]) + 0.10, cost

# %% [markdown]
# **What to notice.**
# - The representation pays for the long tail: scored with the same balanced labels, the
#   encoder pretrained at ratio 200 is worse than one pretrained on a balanced set of the
#   same size, for every seed. The cost varies from seed to seed; kNN shows it more
#   steadily, since it has no classifier to fit around the damage.
# - The probe fitted on the draw's own labels loses far more, for every seed: it pays the
#   representation's cost and the labels' cost of the previous subsection together. SSL
#   pretraining is fairly robust to imbalance; supervised stages are not (Liu et al. 2021,
#   arXiv 2110.05025, report the same at ImageNet scale).
#
# ### The uniform prior (§3.3)
# Losses computed on a batch carry an assumption: that the data falls into clusters of equal
# size. In SwAV's Sinkhorn step and the entropy terms of DINO and MSN it is explicit (every
# prototype used equally often over a batch); Assran et al. (2022, arXiv 2210.07277) show
# that SimCLR's negatives and VICReg's variance and covariance terms carry the same uniform
# prior implicitly. So section 2's SimCLR runs are already a test of it: on balanced data the
# prior prevents collapse; on a long tail, Assran et al. find, it pushes the encoder to cut
# the common classes into several clusters and lump the rare ones together. Section 2
# measured what imbalance costs SimCLR's probe, not its clusters.
#
# SwAV makes the prior explicit, so its clusters can be looked at directly. Below, SwAV with
# as many prototypes as classes ($K = 6$) pretrains on the balanced draw and on the 200:1
# long tail (2,048 images, 500 steps, seeds 0-2, stored with the library: `python -m
# cookbook_lib evidence --grid 08_pretraining_data.swav_prior`). Each training image is
# assigned to its nearest prototype; we measure how evenly the prototypes are used (the
# entropy of the assignment histogram over $\log K$: 1 = equal use), against how evenly the
# *classes* are spread in the same draw, and how many prototypes are mostly made of the
# draw's most common class.

# %%
prior = evidence.load("08_pretraining_data.swav_prior")


def class_balance(labels: torch.Tensor) -> float:
    """Entropy of the class histogram over log(number of classes): 1 = balanced."""
    p = torch.bincount(labels).float() / len(labels)
    p = p[p > 0]
    return float(-(p * p.log()).sum() / np.log(data["shapes"].num_classes))


classes = {r: [class_balance(prior.grid.run_data(data["shapes"], {"ratio": r}, s).train_labels.cpu())
               for s in prior.grid.seeds] for r in prior.grid.axes["ratio"]}
display(Table({"ratio": r, "class balance of the draw": float(np.mean(classes[r])),
               "prototype balance": prior.mean("prototype_balance", ratio=r),
               "prototypes mostly of the common class": prior.mean("prototypes_of_majority", ratio=r),
               "balanced linear probe": prior.mean("linear_acc_full", ratio=r)} for r in prior.grid.axes["ratio"]))
K = prior.grid.base["num_prototypes"]
print(f"long tail, per seed: prototypes mostly of the common class "
      f"{', '.join(f'{K * v:.0f}/{K}' for v in prior.values('prototypes_of_majority', ratio=200))} "
      f"(balanced draw: {', '.join(f'{K * v:.0f}/{K}' for v in prior.values('prototypes_of_majority', ratio=1))})")

# %%
# Asserted on the stored seeds (both modes): on the long tail the prototypes stay evenly used
# although the classes are not, and the common class takes more prototypes than on balanced
# data, for every seed.
for s, balance, cls in zip(prior.grid.seeds, prior.values("prototype_balance", ratio=200), classes[200]):
    assert balance > cls + 0.2, (s, balance, cls)
assert min(prior.values("prototypes_of_majority", ratio=200)) > max(prior.values("prototypes_of_majority", ratio=1))

# %% [markdown]
# **What to notice**
# - On the long tail the prototypes are used almost as evenly as on balanced data, far more
#   evenly than the classes they should stand for: Sinkhorn's equal partition holds whatever
#   the data does.
# - To keep them equal, SwAV hands the common class (circles) most or all of the prototypes
#   and leaves the rare classes without a cluster of their own: the uniform prior at work.
# - The balanced linear probe does not pay for it here: the backbone still separates the
#   classes linearly, although its clusters do not. A method that *reads* its clusters
#   (k-means-style labels, a prototype classifier) would.

# %% [markdown]
# ## 3. Your turn: the imbalance-ratio knob
#
# Pick a ratio and a method and press **Run**. The panel draws the long-tailed set,
# pretrains on it (or loads the run if that setting was trained before), shows its training
# dashboard and adds a point to the plot: balanced-probe accuracy against the ratio. Each new
# setting costs one run (10-20 s on a 2-core CPU in quick mode); the panel opens on ratio 1,
# the balanced run of section 1. Ratio 100 shows the representation's cost at your budget.

# %%
# up to 200: a 2,048-image draw of shapes has too few circles for a steeper tail
panel = knob_panel(BASE, knobs=("method",), data=long_tail, extra={"ratio": [1, 2, 5, 10, 20, 50, 100, 200]},
                   score=lambda run: probes(run, data["shapes"])["linear"], score_name="balanced linear probe")
panel

# %% [markdown]
# The button's work is a plain method, so we can check it here without a browser: at ratio 1
# with SimCLR the panel builds section 1's run, loads it from the run cache, probes it again
# and agrees with section 1.

# %%
panel.extra["ratio"].value = 1
again = panel.run()  # the Run, or None if it failed (the panel's status says why)
assert again is not None, panel.status_text
print(f"panel: {panel.points[1, 'simclr']:.3f} · section 1: {shapes_probes['linear']:.3f}")
assert abs(panel.points[1, "simclr"] - shapes_probes["linear"]) < 1e-6

# %% [markdown]
# ## Exercises
# 1. Move the ratio slider through 1, 10, 100, 200. Is the cost smooth in $\log\rho$, or
#    does it set in only past some ratio?
# 2. The uniform prior: pretrain `swav` at ratio 1 and ratio 100 in the panel. Then repeat
#    with `BASE.replace(method="swav", num_prototypes=6)`, as many prototypes as classes.
#    Which setting does the long tail hurt more? (With many more prototypes than classes,
#    equal-sized clusters can still tile a long tail; compare the stored runs above.)
# 3. Keep ratio 1 and shrink `SUBSET_SIZE` to 512: is having fewer images worse than having
#    an imbalanced mix of many?
# 4. Pretrain on `shapes` and probe on `digits` at `image_size=32` with more steps. Does the
#    shapes encoder ever beat the random one on digits by more than a point?
#
# ## Summary
# What the encoder learns is bounded by what its images show. An encoder pretrained on
# handwritten digits barely helps on coloured shapes, while in-domain pretraining clearly
# does; an easy target (digits) can hide such differences entirely. A long-tailed
# pretraining set costs the representation a few points even when the probe is fitted on
# balanced labels, and a long-tailed *labelled* set costs much more. Losses that cluster with
# equal-sized prototypes carry a uniform prior that a long tail contradicts. Paper: §2.7 and
# §3.3 of *A Cookbook of Self-Supervised Learning* (Balestriero et al., 2023, arXiv 2304.12210).
