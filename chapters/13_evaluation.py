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
# # 13 · Evaluating an SSL encoder
#
# An SSL loss going down says little about whether the representation is useful. To judge
# an encoder we freeze it and ask what a *small* labelled model can read off its features —
# or, when there are no labels at all, what the shape of the embedding cloud tells us.
#
# In this chapter you will:
# 1. compare three readers of the same frozen features — **kNN**, a **linear probe** and an
#    **MLP probe** — while turning the label budget up and down;
# 2. watch the cheap **online probe** (trained alongside SSL) and the proper **offline
#    linear probe** rise together over training;
# 3. choose SimCLR's temperature **without labels** (RankMe, α-ReQ) and with labels (linear
#    accuracy), and see how often the two choices agree;
# 4. look at **nearest-neighbour retrieval** with backbone features and with projector features.
#
# Paper: *A Cookbook of Self-Supervised Learning*, §3.7 (evaluating SSL models).

# %% [markdown]
# ## Setup

# %%
import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from IPython.display import display

from cookbook_lib import RunConfig, evaluate, evidence, load_or_train, plots
from cookbook_lib.data import load_dataset
from cookbook_lib.notebook import Table, setup
from cookbook_lib.sweep import sweep
from cookbook_lib.train import untrained
from cookbook_lib.widgets import knob_panel

env = setup(seed=0)

# %% tags=["parameters"]
# Quick mode (COOKBOOK_QUICK=1, set by the tests): four SimCLR runs of 150 steps on 24-pixel
# shapes, batch 64 — about a minute for the whole chapter on one CPU core. Full mode: 32-pixel
# shapes, batch 128, 600 steps, five temperatures: about 1.5 min per run on one free CPU core
# (10-15 min in all), seconds per run on a GPU.
QUICK = env.quick
IMAGE_SIZE = 24 if QUICK else 32
BATCH_SIZE = 64 if QUICK else 128
STEPS = 150 if QUICK else 600
LOG_EVERY = 25 if QUICK else 50
TEMPERATURES = [0.1, 0.5, 2.0] if QUICK else [0.05, 0.1, 0.2, 0.5, 2.0]
LABELS_PER_CLASS = [5, 50, None]  # None = every training label
OFFLINE_TRAIN, OFFLINE_TEST = (2000, 1000) if QUICK else (8192, 2048)  # images of the offline probe during training
SEED = 0

# %% [markdown]
# One SimCLR configuration is the subject of the chapter (its temperature, 0.1, is the
# library's default, written out so the chapter does not move if the default is retuned).

# %%
MAIN = RunConfig(method="simclr", dataset="shapes", image_size=IMAGE_SIZE, batch_size=BATCH_SIZE, steps=STEPS,
                 log_every=LOG_EVERY, seed=SEED, optimizer="adamw", temperature=0.1)
data = load_dataset("shapes", IMAGE_SIZE)
print(data)


def spearman(a, b) -> float:
    """Spearman rank correlation of two equal-length lists (no tie correction: ties are rare here)."""
    ra = torch.tensor(a, dtype=torch.float64).argsort().argsort().double()
    rb = torch.tensor(b, dtype=torch.float64).argsort().argsort().double()
    return float(torch.corrcoef(torch.stack([ra, rb]))[0, 1])


# %% [markdown]
# ## Online and offline probes over training
#
# Two ways to watch a representation improve while it trains:
# - the **online probe**: a linear classifier trained *at the same time* as the encoder, on
#   detached features of the training batches (the labels never reach the encoder). It is
#   almost free, but it chases a moving target and sees each image only a few times;
# - the **offline probe**: stop, freeze the encoder, embed a labelled set and fit a linear
#   classifier to convergence. This is the number papers report, and it costs a full pass.
#
# `load_or_train(..., log_fns={name: fn})` calls `fn(model, z)` at every log step with the
# live model (in eval mode), so we can fit an offline probe there (on a fixed subset: 2000
# train / 1000 test images in quick mode). Its numbers are recorded in `run.history` and
# stored with the run, so reopening the chapter is instant. About 20 s on one CPU core in
# quick mode.

# %%
def offline_probe(model, z) -> float:
    """A linear probe fitted on the frozen backbone at this log step (`z`, the training batch's
    embeddings, is not used)."""
    h_tr = evaluate.embed(model.backbone, data.train_images[:OFFLINE_TRAIN])
    h_te = evaluate.embed(model.backbone, data.test_images[:OFFLINE_TEST])
    return evaluate.linear_probe(h_tr, data.train_labels[:OFFLINE_TRAIN], h_te, data.test_labels[:OFFLINE_TEST],
                                 steps=200)


main = load_or_train(MAIN, log_fns={"offline_probe": offline_probe})
steps, online, offline_curve = ([r[k] for r in main.history] for k in ("step", "online_probe_acc", "offline_probe"))
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(steps, online, "o-", label="online probe (trained during SSL)")
ax.plot(steps, offline_curve, "s-", label="offline linear probe (frozen, refit)")
ax.axhline(evaluate.chance(data.test_labels), color="grey", ls=":", label="chance")
ax.set(xlabel="SSL training step", ylabel="test accuracy (shape)", title="SimCLR: online vs offline probe")
ax.legend()
plt.show()
Table({"step": s, "online probe": a, "offline probe": b} for s, a, b in zip(steps, online, offline_curve))

# %% [markdown]
# **What to notice**
# - Both curves rise as SSL trains: the online probe is a fair, free progress bar.
# - The offline probe sits above the online one. The online probe is fit to a moving
#   encoder with a few hundred noisy minibatch steps; the offline probe is fit to
#   convergence on a fixed one. Compare runs with the same kind of probe, never across kinds.

# %%
rho_curve = spearman(online, offline_curve)
print(f"online: {online[0]:.3f} → {online[-1]:.3f}; offline: {offline_curve[0]:.3f} → {offline_curve[-1]:.3f}; "
      f"Spearman(online, offline) over {len(steps)} log steps = {rho_curve:.2f} (must be > 0)")
assert online[-1] > online[0] + 0.03 and offline_curve[-1] > offline_curve[0] + 0.02, (online, offline_curve)
assert rho_curve > 0, rho_curve

# %% [markdown]
# ## kNN, linear or MLP probe — and how many labels?
#
# Three readers of the same frozen backbone features $h$ (standardised per dimension for the
# probes):
# - **kNN** (weighted kNN of Wu et al. 2018, arXiv 1805.01978): find the $k$ training images
#   with the highest cosine similarity and let each vote for its class with weight
#   $\exp(\cos(h, h_j)/\tau)$, $\tau = 0.07$. We take $k = 20$, DINO's choice (Caron et al.
#   2021, arXiv 2104.14294); Wu et al. used $k = 200$, more than our smallest label budgets
#   hold. No training at all, but it only works if the label is a *neighbourhood* property
#   of the features;
# - **linear probe**: softmax regression $p(y \mid h) = \mathrm{softmax}(W h + b)$. It measures
#   what is *linearly* readable — the standard protocol;
# - **MLP probe**: one hidden layer of 512 ReLU units. It can read more, but it is a model in
#   its own right: with few labels it can fit them by heart.
#
# We give each reader 5 labels per class, 50 labels per class, or every label (8192 images).
# Which 5 images of a class you happen to label matters as much as the reader (chapter 01),
# so each small budget is read over three random draws (`data.labelled(n, seed)`) and we
# plot the mean, with the spread of the draws as a band. About 20 s on one CPU core.

# %%
h_tr, z_tr = main.embed(data.train_images)
h_te, z_te = main.embed(data.test_images)
LABEL_DRAWS = (0, 1, 2)


def read_three_ways(x, y):
    """Test accuracy of the kNN, linear and MLP probes fitted on the labelled features x, y."""
    return dict(kNN=evaluate.knn(x, y, h_te, data.test_labels, k=min(20, len(y))),
                linear=evaluate.linear_probe(x, y, h_te, data.test_labels),
                MLP=evaluate.mlp_probe(x, y, h_te, data.test_labels))


draws = {}  # labelled images -> one {reader: accuracy} per draw
for n in LABELS_PER_CLASS:
    if n is None:  # every label: there is only one draw
        draws[len(h_tr)] = [read_three_ways(h_tr, data.train_labels)]
        continue
    for seed in LABEL_DRAWS:
        labelled = data.labelled(n, seed=seed)
        draws.setdefault(len(labelled.train_labels), []).append(
            read_three_ways(main.embed(labelled.train_images)[0], labelled.train_labels))
budget = {n: {r: sum(d[r] for d in ds) / len(ds) for r in ds[0]} for n, ds in draws.items()}  # mean over draws

fig, ax = plt.subplots(figsize=(6, 3.5))
for reader in ("kNN", "linear", "MLP"):
    line, = ax.plot(list(budget), [budget[n][reader] for n in budget], "o-", label=reader)
    ax.fill_between(list(draws), [min(d[reader] for d in ds) for ds in draws.values()],
                    [max(d[reader] for d in ds) for ds in draws.values()], color=line.get_color(), alpha=0.2)
ax.axhline(evaluate.chance(data.test_labels), color="grey", ls=":", label="chance")
ax.set(xscale="log", xlabel="labelled training images", ylabel="test accuracy (shape)",
       title="three probes of the same frozen SimCLR backbone")
ax.legend()
plt.show()
Table({"labels": n, "draws": len(draws[n]), **accs} for n, accs in budget.items())

# %% [markdown]
# **What to notice**
# - With a handful of labels the three readers are within a few points of each other: the
#   MLP's extra capacity buys nothing, because it fits the few labelled points perfectly
#   (100 % training accuracy) and the rest is guesswork. Its edge appears only with many
#   labels — so a large MLP-over-linear gap says "the information is there, but not linearly";
#   a gap at small budgets would mostly be noise.
# - kNN trails the linear probe here: a short SimCLR run on `shapes` has not yet made the
#   shape a *neighbourhood* property — colour and position still decide a lot of who is near
#   whom (the retrieval grid below shows it).
# - Report the protocol and the label budget with any accuracy: the ranking of two encoders
#   can change between kNN and a linear probe.

# %%
few, full = budget[min(budget)], budget[max(budget)]
gain_few, gain_full = few["MLP"] - few["linear"], full["MLP"] - full["linear"]
print(f"MLP − linear: {gain_few:+.3f} with {min(budget)} labels, {gain_full:+.3f} with {max(budget)} "
      f"(the MLP's edge must grow by > 0.02 with the labels, and be > +0.02 with all of them); "
      f"linear − kNN with all labels = {full['linear'] - full['kNN']:+.3f} (must be > 0)")
assert gain_full > gain_few + 0.02, (few, full)
assert gain_full > 0.02 and full["linear"] > full["kNN"], full
assert full["linear"] > few["linear"] + 0.05, (few, full)

# %% [markdown]
# ## Choosing the temperature: by RankMe or by accuracy?
#
# Tuning a hyper-parameter by linear accuracy needs labels. **RankMe** (Garrido et al. 2022,
# arXiv 2210.02885) needs none: with $\sigma_k$ the singular values of the $N \times d$ matrix
# of embeddings and $p_k = \sigma_k / \sum_j \sigma_j$,
#
# $$\mathrm{RankMe}(Z) = \exp\Big(-\sum_k p_k \log p_k\Big),$$
#
# the effective number of directions the embeddings use (1 for a point, $d$ for a round
# cloud). **α-ReQ** (Agrawal et al. 2022, arXiv 2202.05808) fits a power law
# $\sigma_k^2 \propto k^{-\alpha}$ to the eigenvalue spectrum: a large $\alpha$ is a spectrum
# dominated by a few directions, a small one a flat spectrum whose many directions carry
# about as much variance as noise would. α-ReQ reads $\alpha$ close to 1 as healthy, so as a
# criterion it picks the setting with the smallest $|\alpha - 1|$ (neither "smallest" nor
# "largest" $\alpha$). Both are computed on test embeddings of the projector output, without
# a single label.
#
# We sweep SimCLR's temperature (the 0.1 run is the one above, loaded from the cache) and ask
# which temperature each criterion would pick. About 25 s on one CPU core in quick mode.

# %%
result = sweep(MAIN, {"temperature": TEMPERATURES})
ok = [r for r in result.runs if r is not None and r.status == "ok"]
temps = [r.config.temperature for r in ok]
acc, rank, alpha = ([r.metrics[k] for r in ok] for k in ("linear_acc", "rankme", "alpha_req"))
Table.of(ok, ["temperature", "linear_acc", "knn_acc", "rankme", "alpha_req", "std_ratio"])

# %%
fig, axes = plt.subplots(1, 3, figsize=(11, 3.2), layout="constrained")
for ax, values, name in zip(axes, (acc, rank, alpha), ("linear accuracy (labels)", "RankMe (no labels)",
                                                        "α-ReQ (no labels)")):
    ax.plot(temps, values, "o-")
    ax.set(xscale="log", xlabel="SimCLR temperature", title=name)
axes[2].axhline(1, color="grey", ls=":", label="α = 1 (α-ReQ's healthy value)")
axes[2].legend(fontsize=8)
plt.show()
rho = spearman(rank, acc)
off_one = [abs(a - 1) for a in alpha]  # α-ReQ's criterion: α near 1
pick_acc, pick_rank = temps[acc.index(max(acc))], temps[rank.index(max(rank))]
pick_alpha = temps[off_one.index(min(off_one))]
print(f"Spearman(RankMe, linear acc) over {len(temps)} temperatures = {rho:.2f}")
for name, pick in (("accuracy", pick_acc), ("RankMe (largest)", pick_rank), ("α-ReQ (|α − 1| smallest)", pick_alpha)):
    print(f"{name:>26} picks τ = {pick:<4g} accuracy there {acc[temps.index(pick)]:.3f} (best {max(acc):.3f})")
print(f"α over the temperatures: {', '.join(f'{a:.2f}' for a in alpha)}; α-ReQ's pick "
      f"{'agrees' if pick_alpha == pick_acc else 'does not agree'} with accuracy's")

# %% [markdown]
# **What to notice**
# - The hottest temperature spreads the embeddings over the fewest directions: the softmax
#   barely tells the positive from the negatives, the uniformity pressure weakens, and RankMe
#   falls — together with accuracy.
# - RankMe ranks the temperatures much as accuracy does, without looking at a label. It is
#   a *necessary* condition, not a sufficient one: a high rank of useless directions is
#   possible (chapter 05's collapsed VICReg keeps its rank in noise), so use it to rule out
#   bad settings, then confirm the winner with a probe.
# - α-ReQ answers a different question, so compare its pick (printed above) with the other
#   two rather than its raw value. It fits only the slope of the middle of the spectrum
#   (ranks 5 %–80 %), while RankMe is dominated by how much the leading directions take: a
#   few strong directions plus a gently sloping middle gives a low RankMe but an α close to
#   1, so the two criteria can pick different runs (when every α is above 1, "nearest 1"
#   simply means "smallest"). Look at the spectrum (`plots.spectrum`) before trusting either
#   number, and never compare them across methods with different projectors.

# %%
hot = temps.index(max(temps))
print(f"RankMe of the hottest τ={temps[hot]}: {rank[hot]:.1f} (must be the lowest; others: "
      f"{[round(v, 1) for i, v in enumerate(rank) if i != hot]})")
assert all(rank[hot] < v for i, v in enumerate(rank) if i != hot), rank
assert acc[hot] < max(acc), acc

# %% [markdown]
# ### Six temperatures, three seeds, the full budget
#
# A rank correlation over three points, from one seed, says little. The library stores the
# same sweep at six temperatures with seeds 0, 1 and 2 at the full budget (32-pixel shapes,
# batch 128, 600 steps; `python -m cookbook_lib evidence --grid 13_evaluation.temperature`).
# For each seed we ask what a practitioner would: does the label-free criterion order the
# temperatures as the probe does (Spearman), and how much accuracy does its pick lose
# against the probe's (the *regret*)? We also ask the same of the **online** probe (the
# cheap one trained during the run, this chapter's first section): does it rank the runs as
# the offline probe does?

# %%
stored = evidence.load("13_evaluation.temperature")
taus = stored.grid.axes["temperature"]
fig, axes = plt.subplots(1, 3, figsize=(11, 3.3), layout="constrained")
for ax, metric, name in zip(axes, ("linear_acc", "rankme", "alpha_req"),
                            ("linear accuracy (labels)", "RankMe (no labels)", "α-ReQ (no labels)")):
    stored.plot("temperature", metric, ax=ax)
    ax.plot(temps, {"linear_acc": acc, "rankme": rank, "alpha_req": alpha}[metric], "x", ms=9, color="C3",
            label=f"your runs ({MAIN.steps} steps, {MAIN.image_size} px)")
    ax.set(xscale="log", xlabel="SimCLR temperature", ylabel=None, title=name)
axes[2].axhline(1, color="grey", ls=":", label="α = 1 (α-ReQ's healthy value)")
axes[0].legend(fontsize=7)
axes[2].legend(fontsize=7)
plt.show()


def by_seed(metric):
    """{seed: [metric at each temperature]} from the stored runs."""
    per_tau = [stored.values(metric, temperature=t) for t in taus]
    return {s: [v[i] for v in per_tau] for i, s in enumerate(stored.grid.seeds)}


acc_s, rank_s, alpha_s, online_s = (by_seed(m) for m in ("linear_acc", "rankme", "alpha_req",
                                                        "final_online_probe_acc"))
rows = []
for s in stored.grid.seeds:
    a = acc_s[s]
    regret = {name: max(a) - a[pick] for name, pick in (
        ("RankMe", rank_s[s].index(max(rank_s[s]))),
        ("α-ReQ", min(range(len(taus)), key=lambda i: abs(alpha_s[s][i] - 1))),
        ("online probe", online_s[s].index(max(online_s[s]))))}
    rows.append({"seed": s, "best τ (probe)": taus[a.index(max(a))],
                 "Spearman(RankMe, probe)": spearman(rank_s[s], a),
                 "Spearman(online, offline)": spearman(online_s[s], a),
                 **{f"regret of {k}": v for k, v in regret.items()}})
Table(rows)

# %% [markdown]
# **What to notice**
# - Over six temperatures and three seeds, RankMe orders the temperatures as the offline
#   probe does (the Spearman column) and its pick costs at most a point or two of accuracy
#   (its regret): the three coolest temperatures are within seed noise of each other, and
#   RankMe never picks a hot one. The RankMe paper (Garrido et al. 2022) uses it exactly so,
#   to choose hyper-parameters without labels.
# - α-ReQ's rule ("α nearest 1") fails here, for every seed: every α is well above 1, and
#   the hottest run, the worst by the probe, has the flattest middle of the spectrum, so the
#   rule picks it. A criterion calibrated on large networks and ImageNet does not carry over
#   to a small convnet on `shapes` by itself; check it against a probe on a few runs first.
# - The online probe, which costs nothing extra, ranks the runs as the offline probe does
#   (the paper's use of Fig. 13): use it to compare runs while they train.

# %%
# Asserted on the stored seeds (both modes). Margins: Spearman over 6 points moves in steps
# of about 0.06, so 0.7 leaves room for two swaps among the three coolest temperatures,
# whose accuracies are within seed noise; the regret bound is a few times their spread.
RANKME_RHO_MIN, ONLINE_RHO_MIN, RANKME_REGRET_MAX = 0.7, 0.7, 0.03
for r in rows:
    assert r["Spearman(RankMe, probe)"] >= RANKME_RHO_MIN, r
    assert r["regret of RankMe"] <= RANKME_REGRET_MAX, r
    assert r["Spearman(online, offline)"] >= ONLINE_RHO_MIN, r
    assert r["regret of α-ReQ"] > r["regret of RankMe"] + 0.1, r  # the two label-free rules part ways
hottest = taus.index(max(taus))
assert all(rank_s[s][hottest] == min(rank_s[s]) for s in stored.grid.seeds), rank_s

# %% [markdown]
# Try a temperature yourself: the panel trains the same configuration with your value
# (about 15 s on one CPU core at the quick-mode size) and draws its dashboard.

# %%
knob_panel(MAIN, knobs=("temperature",), steps=STEPS)

# %% [markdown]
# ## Retrieval: backbone or projector features?
#
# Retrieval is the kNN probe made visible. For a few query test images we show the 6 other
# test images with the highest cosine similarity, once with the backbone output $h$ (256
# dimensions, what we probe) and once with the projector output $z$ (128 dimensions, what the
# loss sees). We also count, over 512 queries, how often a neighbour has the query's shape
# (precision@6), and fit the linear probe on $z$ as well. About 4 s.

# %%
def neighbours(features, queries, k=6):
    """Indices (len(queries), k) of the k most cosine-similar test images, the query itself excluded."""
    f = F.normalize(features.float(), dim=1)
    sim = f[queries] @ f.T
    sim[torch.arange(len(queries)), queries] = -2.0
    return sim.topk(k, dim=1).indices


def precision_at_k(features, queries, k=6):
    nn_idx = neighbours(features, queries, k)
    return float((data.test_labels[nn_idx] == data.test_labels[queries, None]).float().mean())


queries = torch.arange(5) * 37
for name, feats in (("backbone h", h_te), ("projector z", z_te)):
    nn_idx = neighbours(feats, queries)
    order = torch.cat([queries[:, None], nn_idx], dim=1).flatten()
    titles = ["query: " + data.class_names[int(data.test_labels[i])] if j % 7 == 0
              else data.class_names[int(data.test_labels[i])] for j, i in enumerate(order.tolist())]
    display(plots.image_grid(data.test_images[order], nrow=7, titles=titles,
                             title=f"6 nearest test neighbours by cosine similarity of the {name}"))

many = torch.arange(512) * (len(h_te) // 512)
h_init = untrained(MAIN, data).embed(data.test_images)[0]  # the same network before training
prec = {name: precision_at_k(f, many) for name, f in (("backbone", h_te), ("projector", z_te),
                                                       ("random-init backbone", h_init))}
print("precision@6 (neighbour has the query's shape): " + ", ".join(f"{k} {v:.3f}" for k, v in prec.items()) +
      f"; chance {evaluate.chance(data.test_labels):.3f}")
lin_z = evaluate.linear_probe(z_tr, data.train_labels, z_te, data.test_labels)
print(f"linear probe: backbone h {main.metrics['linear_acc']:.3f}, projector z {lin_z:.3f}")

# %% [markdown]
# **What to notice**
# - The neighbours share more than the shape: the background colour and the position are
#   often what they have in common. Retrieval shows *which* invariances the encoder has
#   learned, something one accuracy number hides. After a quick run the backbone's
#   neighbours have the query's shape hardly more often than those of the same network at
#   random init (printed above; over seeds 0-2 sometimes less often): a short SimCLR run has
#   not yet organised its neighbourhoods by shape, even where its linear probe has improved.
# - The projector output $z$ is trained to be invariant to the augmentations, and in doing so
#   throws away information the backbone keeps (the "guillotine" effect of §3.2, chapter
#   10): the linear probe on $z$ is several points below the one on $h$. In retrieval the two are close after
#   so short a run — the neighbours of both are chosen mostly by colour — but probes and
#   retrieval should use the backbone.

# %%
# Retrieval precision is shown, not asserted: the random-init encoder's is about as high after a
# quick run. The probe gap between h and z is the section's check.
print(f"precision@6, trained − random-init backbone: {prec['backbone'] - prec['random-init backbone']:+.3f} "
      f"(shown); linear probe h − z = {main.metrics['linear_acc'] - lin_z:+.3f} (must be > +0.02)")
assert main.metrics["linear_acc"] > lin_z + 0.02, (main.metrics["linear_acc"], lin_z)

# %% [markdown]
# ## Exercises
# 1. Add `mlp_probe(..., hidden=64)` and `weight_decay=0.05` to the label-budget experiment: does
#    a smaller or more regularised MLP stop overfitting 30 labels?
# 2. Extend the temperature sweep to 0.02 and 5.0. Does RankMe still pick a good temperature
#    at both extremes? Where does α-ReQ disagree?
# 3. Compute the offline probe on the projector output $z$ at every log step as well: does the
#    gap between backbone and projector grow over training?
# 4. Replace the linear probe by `evaluate.fine_tune` for the final model: how much does
#    updating the backbone with 50 labels per class add?
#
# ## Summary
# - Evaluate frozen features with a **linear probe** and report the label budget; kNN is cheap
#   and label-local, an MLP probe reads more but only pays off with many labels.
# - The **online probe** tracks the offline probe's trend for free: use it as the progress bar,
#   the offline probe as the number.
# - **RankMe** (largest) ranks hyper-parameters without labels: here it ordered the
#   temperatures as the probe did and never picked a hot one. **α-ReQ**'s rule (α nearest 1)
#   picked the worst temperature for every seed: a label-free criterion has to be checked
#   against a probe on a few runs before it is trusted on new data.
# - Probe and retrieve from the **backbone**, not the projector; look at retrieval grids to see
#   *what* the encoder groups together (here: colour as much as shape).
#
# Paper: *A Cookbook of Self-Supervised Learning*, §3.7 (evaluation: kNN, linear and MLP
# probes, online probes, and label-free criteria such as RankMe and α-ReQ).
