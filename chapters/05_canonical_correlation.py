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
# # 05 · Canonical correlation: VICReg, Barlow Twins, SwAV and W-MSE
#
# Chapter 04 prevented collapse with asymmetries between two branches. The methods of this
# chapter keep both branches identical and instead put a condition on the **statistics of
# the batch** of embeddings: every dimension must vary across images, and different
# dimensions must carry different information. This is the idea of canonical correlation
# analysis (CCA): find projections of two views that agree with each other while being
# decorrelated and of fixed variance.
#
# In this chapter you will:
# 1. read VICReg's loss as three terms — invariance, variance, covariance — and turn each
#    coefficient (`sim_coeff`, `std_coeff`, `cov_coeff`) into a knob;
# 2. switch off the variance term and see **complete collapse**;
# 3. switch off the covariance term and see **dimensional collapse**: every dimension still
#    varies, but they all say the same thing (RankMe falls);
# 4. see both failures in correlation-matrix heatmaps and per-dimension std plots, next to
#    VICReg and Barlow Twins;
# 5. run SwAV (Sinkhorn assignments to prototypes) and W-MSE (whitening) at the same budget.
#
# Paper: *A Cookbook of Self-Supervised Learning*, §2.4 (the canonical-correlation family).

# %% [markdown]
# ## Setup

# %%
import matplotlib.pyplot as plt
import torch
from IPython.display import display

from cookbook_lib import RunConfig, load_or_train, plots
from cookbook_lib.data import load_dataset
from cookbook_lib.notebook import Table, setup, std_ratio
from cookbook_lib.widgets import knob_panel

env = setup(seed=0)

# %% tags=["parameters"]
# Quick mode (COOKBOOK_QUICK=1, set by the tests): eight short runs on 2,048 16-pixel shapes
# (probed on 1,024 test images), about 4 s each on one CPU core (under a minute for the
# chapter). Full mode: every image of 32-pixel shapes,
# batch 128, 300 steps, about 1 min per run on one free CPU core (8-16 min in all, depending
# on what else the machine runs), a few seconds per run on a GPU. The phenomena and the
# checks below hold in both modes.
QUICK = env.quick
IMAGE_SIZE = 16 if QUICK else 32
BATCH_SIZE = 64 if QUICK else 128
STEPS = 80 if QUICK else 300
LOG_EVERY = 10 if QUICK else 25
WMSE_DIM = 32 if QUICK else 64  # W-MSE whitens each batch, so it needs embedding_dim < batch_size
N_TRAIN = 2048 if QUICK else 8192  # training images (8192 / 2048: every image of shapes)
N_TEST = 1024 if QUICK else 2048  # test images, for the probes and the measures of the embedding
SEED = 0

# %% [markdown]
# Every run starts from this base. The optimiser settings and loss coefficients are written
# out (instead of left to the defaults) so that the chapter shows the same thing even if the
# library's defaults are retuned later.

# %%
BASE = RunConfig(dataset="shapes", image_size=IMAGE_SIZE, batch_size=BATCH_SIZE, steps=STEPS, log_every=LOG_EVERY,
                 seed=SEED, optimizer="adamw", lr=2e-3, weight_decay=1e-4, embedding_dim=128,
                 sim_coeff=25.0, std_coeff=25.0, cov_coeff=1.0, barlow_lambda=5e-3)
data = load_dataset("shapes", IMAGE_SIZE).head(N_TRAIN, N_TEST)  # runs on it are cached under its name


def off_diagonal_correlation(z: torch.Tensor) -> float:
    """Mean |Pearson correlation| between different dimensions of z (N, D), over dimensions
    that vary: 0 = fully decorrelated, 1 = every dimension a copy of the others."""
    z = z.double()
    z = z[:, z.std(0) > 1e-8]
    c = torch.corrcoef(z.T)
    d = c.shape[0]
    return float((c.abs().sum() - c.diagonal().abs().sum()) / (d * (d - 1)))


def report(runs: dict) -> dict:
    """Show as a table, and return (with the embeddings z), what each run's test embeddings look like."""
    rows = {}
    for name, r in runs.items():
        z = r.embed(data.test_images)[1].float().cpu()
        rows[name] = dict(last_loss=r.history[-1]["loss"], raw_std=float(z.std(0).mean()), std_ratio=std_ratio(r),
                          rankme=r.metrics["rankme"], mean_abs_corr=off_diagonal_correlation(z),
                          linear_acc=r.metrics["linear_acc"], z=z)
    display(Table({"run": name, **{k: v for k, v in row.items() if k != "z"}} for name, row in rows.items()))
    return rows


# %% [markdown]
# ## VICReg: three terms, three knobs
#
# VICReg (Bardes, Ponce & LeCun 2021, arXiv 2105.04906) embeds both views with the same
# network, giving two $N \times d$ batches $Z$ and $Z'$. With $\bar z$ the batch mean,
# $C(Z) = \frac{1}{N-1}\sum_n (z_n - \bar z)(z_n - \bar z)^\top$ the $d \times d$ covariance
# and $\varepsilon = 10^{-4}$:
#
# $$\mathcal{L}_\text{VICReg} = \lambda\, \underbrace{\frac{1}{Nd}\sum_n \|z_n - z'_n\|^2}_{\text{invariance}}
#   + \mu\, \underbrace{\tfrac12\big[v(Z) + v(Z')\big]}_{\text{variance}}
#   + \nu\, \underbrace{\big[c(Z) + c(Z')\big]}_{\text{covariance}},$$
#
# $$v(Z) = \frac1d \sum_{k=1}^d \max\!\Big(0,\; 1 - \sqrt{C(Z)_{kk} + \varepsilon}\Big), \qquad
#   c(Z) = \frac1d \sum_{k \ne l} C(Z)_{kl}^2 .$$
#
# - **Invariance** (`sim_coeff` $\lambda$ = 25): the two views of an image should have the
#   same embedding. On its own it is minimised by a constant.
# - **Variance** (`std_coeff` $\mu$ = 25): a hinge that asks the std of *every* dimension
#   over the batch to be at least 1. A constant embedding has std 0 and pays the most.
# - **Covariance** (`cov_coeff` $\nu$ = 1): pushes the off-diagonal covariances to 0, so
#   that different dimensions carry different information.
#
# Three runs: all three terms, no variance term, no covariance term. About 15 s on one CPU
# core in quick mode.

# %%
vicreg = BASE.replace(method="vicreg")
vic_runs = {"VICReg 25/25/1": load_or_train(vicreg, data=data),
            "VICReg std_coeff=0": load_or_train(vicreg.replace(std_coeff=0.0), data=data),
            "VICReg cov_coeff=0": load_or_train(vicreg.replace(cov_coeff=0.0), data=data)}
vic = report(vic_runs)
plots.history(list(vic_runs.values()), labels=list(vic_runs))

# %% [markdown]
# **What to notice** (the table is measured on the test images; "raw std" is the mean over
# dimensions of the std of the embedding itself, what VICReg's variance hinge looks at)
# - **No variance term → complete collapse.** Its loss falls towards 0 because the
#   invariance term is satisfied trivially: every embedding shrinks towards the same point
#   and the raw std falls more than tenfold. The normalised embedding std (the dashboard's)
#   falls less, because l2-normalising divides out the shrinking scale: for VICReg, look at
#   the raw std. RankMe does not drop at all: the little that is left is noise spread over
#   all dimensions (RankMe is necessary, not sufficient).
# - **No covariance term → dimensional collapse.** The variance hinge still keeps every
#   dimension's std near 1 (the raw std is even higher than the healthy run's), so nothing
#   looks collapsed per dimension. But the dimensions are copies of each other: the mean
#   |correlation| between dimensions is high and RankMe, the effective number of directions
#   used, falls to a fraction of the healthy run's.

# %%
healthy, no_std, no_cov = vic["VICReg 25/25/1"], vic["VICReg std_coeff=0"], vic["VICReg cov_coeff=0"]
no_std_run = vic_runs["VICReg std_coeff=0"]
print(f"variance off: raw std {no_std['raw_std']:.3f} vs healthy {healthy['raw_std']:.3f} "
      f"(must be < 0.25 × healthy = {0.25 * healthy['raw_std']:.3f}); "
      f"loss {no_std_run.history[0]['loss']:.3f} → {no_std_run.history[-1]['loss']:.3f}")
print(f"covariance off: RankMe {no_cov['rankme']:.1f} vs healthy {healthy['rankme']:.1f} "
      f"(must be < 0.5 × healthy = {0.5 * healthy['rankme']:.1f}); "
      f"emb. std × √d {no_cov['std_ratio']:.3f} (must stay > 0.6: not a complete collapse)")
# variance off: complete collapse (every dimension's spread dies while the loss falls)
assert no_std["raw_std"] < 0.25 * healthy["raw_std"] and no_std["raw_std"] < 0.1, (no_std, healthy)
assert no_std_run.history[-1]["loss"] < no_std_run.history[0]["loss"]
# covariance off: dimensional collapse (fewer directions used, every dimension still alive)
assert no_cov["rankme"] < 0.5 * healthy["rankme"], (no_cov["rankme"], healthy["rankme"])
assert no_cov["std_ratio"] > 0.6 and no_cov["mean_abs_corr"] > 1.5 * healthy["mean_abs_corr"], (no_cov, healthy)

# %% [markdown]
# ## Barlow Twins: drive the cross-correlation to the identity
#
# Barlow Twins (Zbontar et al. 2021, arXiv 2103.03230) standardises each dimension of each
# view over the batch ($\hat z_{nk} = (z_{nk} - \bar z_k)/\sigma_k$) and computes the
# $d \times d$ cross-correlation between the views, $\mathcal{C}_{kl} = \frac1N \sum_n \hat z_{nk}\,\hat z'_{nl}$.
# The loss asks it to be the identity:
#
# $$\mathcal{L}_\text{BT} = \sum_{k} \big(1 - \mathcal{C}_{kk}\big)^2 + \lambda \sum_{k \ne l} \mathcal{C}_{kl}^2 .$$
#
# The diagonal term is invariance (each dimension agrees across the views) and, because
# the dimensions are standardised, cannot be met by a constant; the off-diagonal term
# (`barlow_lambda` $\lambda$ = 0.005) is redundancy reduction, VICReg's covariance term in
# another form. One run, about 4 s on one CPU core in quick mode.

# %%
bt_run = load_or_train(BASE.replace(method="barlow_twins"), data=data)
bt = report({"Barlow Twins λ=0.005": bt_run})["Barlow Twins λ=0.005"]

# %% [markdown]
# ## What the failures look like: correlation matrices
#
# The Pearson correlation between the first 64 embedding dimensions, on the test images.
# Blue and red away from the diagonal are redundant pairs of dimensions; a decorrelated
# embedding is white off the diagonal.

# %%
panels = {"VICReg 25/25/1": healthy["z"], "Barlow Twins λ=0.005": bt["z"],
          "VICReg cov_coeff=0 (dimensional collapse)": no_cov["z"],
          "VICReg std_coeff=0 (complete collapse)": no_std["z"]}
fig, axes = plt.subplots(2, 2, figsize=(11, 9.2), layout="constrained")
for ax, (name, z) in zip(axes.ravel(), panels.items()):
    plots.correlation(z, ax=ax, title=f"{name}\nmean |corr| = {off_diagonal_correlation(z):.2f}", max_dims=64)

# %% [markdown]
# **What to notice**
# - Without the covariance term the whole matrix is ±1: every dimension is a copy, or a
#   negated copy, of one or two signals. That is why so few directions are used (low RankMe).
# - The two healthy runs are far from white after this short run (their mean |corr| is in
#   the panel titles): with `cov_coeff=1` against
#   25 for the other two terms, and λ = 0.005 on Barlow Twins' off-diagonal terms,
#   decorrelation is a gentle pressure, not a constraint. Compare their mean |corr| with
#   the collapsed panels rather than single cells: a short run still holds some strongly
#   correlated pairs.
# - The completely collapsed run looks the *whitest*. Once every embedding has shrunk to
#   (nearly) one point, what is left is a little noise that is independent from dimension
#   to dimension. Decorrelated noise is not information: the correlation matrix (and RankMe,
#   in the table above) cannot see a complete collapse; the std can.

# %% [markdown]
# ## Per-dimension std
#
# First the std of each dimension of the raw embedding, sorted — what VICReg's variance
# hinge pushes up to 1 (dashed). Then the same for the l2-normalised embedding
# (`plots.dimension_std`), the view of the collapse dashboard, where a healthy embedding
# sits near $1/\sqrt d$.

# %%
fig, ax = plt.subplots(figsize=(6.5, 4), layout="constrained")
for i, name in enumerate(vic):
    ax.plot(vic[name]["z"].std(0).sort(descending=True).values.numpy(), color=f"C{i}", label=name)
ax.axhline(1.0, ls="--", color="0.3", lw=1, label="variance hinge target (std 1)")
ax.set(title="std of each raw embedding dimension, sorted", xlabel="dimension (sorted by std)",
       ylabel="std over the test images (log scale)", yscale="log")
ax.grid(alpha=0.3, which="both")
ax.legend(fontsize=9);

# %%
fig, axes = plt.subplots(1, 3, figsize=(16, 4), layout="constrained")
for ax, name in zip(axes, vic):
    plots.dimension_std(vic[name]["z"], ax=ax, title=f"{name}, l2-normalised")

# %% [markdown]
# **What to notice**
# - With the variance term, every raw dimension keeps a std of the same order (below 1:
#   the hinge is balanced against the invariance term). Without it, every dimension's std
#   drops by more than a factor of ten. Without the covariance term the stds are all near
#   1: per dimension, nothing is wrong.
# - After l2-normalisation the picture changes: the no-covariance run looks the *most*
#   even, and the collapsed one drops only by a factor of 2 to 3, not tenfold, because
#   normalising divides out the shrinking scale. No single number catches every failure; the std (complete collapse),
#   RankMe and the correlation matrix (dimensional collapse) together do.

# %% [markdown]
# ### Turn the knobs yourself
#
# The VICReg panel: lower `std_coeff` step by step and find where collapse starts; set
# `cov_coeff` to 0, then 10. The Barlow Twins panel: `barlow_lambda` weighs redundancy
# reduction against invariance. A new setting costs about 6 s on a CPU in quick mode; the
# settings above load at once.

# %%
knob_panel(vicreg, knobs=("sim_coeff", "std_coeff", "cov_coeff", "embedding_dim"), data=data)

# %%
knob_panel(BASE.replace(method="barlow_twins"), knobs=("barlow_lambda", "embedding_dim", "projector_width"),
           data=data)

# %% [markdown]
# ## SwAV and W-MSE at the same budget
#
# Two more members of the family, trained with the same steps, batch and optimiser:
#
# - **SwAV** (Caron et al. 2020, arXiv 2006.09882) compares each embedding with $K$
#   learnable prototypes (`num_prototypes`) and turns the scores of a batch into soft
#   cluster **codes** $Q$ with a few Sinkhorn-Knopp iterations: alternately rescale the
#   columns (every prototype gets the same total mass, $N/K$) and the rows (every image a
#   distribution). Each view then predicts the *other* view's code from its own scores,
#   $-\sum_k q'_k \log \operatorname{softmax}(z^\top c_k / \tau)$. The equal-partition
#   constraint is what rules out the constant solution: one prototype cannot take every image.
# - **W-MSE** (Ermolov et al. 2021, arXiv 2007.06346) **whitens** each batch of embeddings,
#   $w_n = L^{-1}(z_n - \bar z)$ with $L L^\top$ the Cholesky factorisation of the batch
#   covariance, so that the whitened batch has identity covariance *by construction*; the
#   loss is then just the distance between the l2-normalised whitened views. Whitening needs
#   a full-rank covariance, so the embedding has fewer dimensions than the batch has images
#   (here `embedding_dim` is 32 in quick mode, 64 in full mode, against 128 for the others).
#
# Both enforce what VICReg and Barlow Twins ask for with penalties — spread and
# decorrelation — as a hard constraint. Two runs, about 9 s on one CPU core in quick mode.

# %%
family = {"VICReg 25/25/1": vic_runs["VICReg 25/25/1"], "Barlow Twins λ=0.005": bt_run,
          "SwAV": load_or_train(BASE.replace(method="swav", temperature=0.1, queue_size=0, num_prototypes=256),
                                  data=data),
          "W-MSE": load_or_train(BASE.replace(method="wmse", embedding_dim=WMSE_DIM), data=data)}
fam = report(family)
plots.history(list(family.values()), labels=list(family), keys=("rankme", "embedding_std", "online_probe_acc"))

# %%
random_init = load_or_train(BASE.replace(method="vicreg", steps=0), data=data)  # what the probes read against
floor = {m: random_init.metrics[m] for m in ("linear_acc", "knn_acc")}
print(f"random-init encoder: linear {floor['linear_acc']:.3f}, kNN {floor['knn_acc']:.3f} "
      f"(chance {1 / data.num_classes:.3f})")
plots.compare(family, metrics=("linear_acc", "knn_acc"), reference=floor, reference_label="random-init encoder",
              ylabel="test accuracy (backbone)", title=f"four CCA-family methods, same budget ({STEPS} steps, batch {BATCH_SIZE}); "
                    "dashed: the random-init encoder")

# %%
print("every method must keep std_ratio > 0.6 and RankMe > 10 (the table above)")
for name, row in fam.items():
    assert row["std_ratio"] > 0.6 and row["rankme"] > 10, (name, row)

# %% [markdown]
# **What to notice**
# - None of the four collapses: four different ways of keeping the batch spread out all work.
# - Read the accuracies against the random-init encoder (dashed, printed above): at quick
#   mode's budget a run may not have left it yet (kNN, which reads the geometry directly, can
#   even sit below it early on), and differences of a few points are within seed noise (one
#   seed here). All four used the same optimiser and lr, tuned for none of them;
#   `benchmarks/RESULTS.md` compares them at each method's defaults.
# - They differ in *how* they spread: compare their RankMe and the embedding-std curves.
#   W-MSE's embedding has fewer dimensions (its whitening needs more images than
#   dimensions), so compare its embedding std × √d, not its raw RankMe.

# %% [markdown]
# ### Negative controls: SwAV without Sinkhorn, W-MSE without whitening
# "The equal partition rules out the constant solution" and "whitening rules it out" are
# claims about runs where the mechanism is *off*. Two knobs switch it off and change nothing
# else:
#
# - `sinkhorn_iters=0`: each code is the image's own sharpened softmax over the prototypes,
#   $q = \operatorname{softmax}(z^\top C / \varepsilon)$, with no rescaling of the columns.
#   Nothing stops every image from choosing the same prototype and predicting it.
# - `whitening=False`: the same distance between l2-normalised views, on the embeddings as
#   they are. A constant embedding makes it exactly 0.
#
# Two runs, about 8 s on one CPU core in quick mode.

# %%
controls = {"SwAV": family["SwAV"],
            "SwAV, sinkhorn_iters=0": load_or_train(BASE.replace(method="swav", temperature=0.1, queue_size=0,
                                                                 num_prototypes=256, sinkhorn_iters=0), data=data),
            "W-MSE": family["W-MSE"],
            "W-MSE, whitening=False": load_or_train(BASE.replace(method="wmse", embedding_dim=WMSE_DIM,
                                                                 whitening=False), data=data)}
ctl = report(controls)
plots.history(list(controls.values()), labels=list(controls), keys=("loss", "embedding_std", "rankme"))

# %%
CONTROLS = (("SwAV", "SwAV, sinkhorn_iters=0"), ("W-MSE", "W-MSE, whitening=False"))
for on, off in CONTROLS:
    print(f"{off}: embedding std × √d {ctl[off]['std_ratio']:.2f} (on: {ctl[on]['std_ratio']:.2f}), "
          f"RankMe {ctl[off]['rankme']:.1f} (on: {ctl[on]['rankme']:.1f})")
# Seeds 0-2 (benchmarks/negative_controls.md), quick mode: std × √d SwAV 0.77-0.80 against
# 0.16-0.18, W-MSE 0.86-0.88 against 0.06-0.07; RankMe W-MSE 24.5-24.9 against 3.8-4.4, SwAV
# 30-32 against 16-23 (0.52-0.71 of it: the prototypes keep some directions alive). Full mode:
# std × √d SwAV 0.92 against 0.10-0.11, W-MSE 0.76-0.78 against 0.013-0.017, RankMe halved or
# less. The margins sit outside the spread of the three seeds.
RANKME_MARGIN = {"SwAV": 0.8, "W-MSE": 0.3}
for on, off in CONTROLS:
    assert ctl[off]["std_ratio"] < 0.35 * ctl[on]["std_ratio"] and ctl[off]["std_ratio"] < 0.3, (off, ctl[off], ctl[on])
    assert ctl[off]["rankme"] < RANKME_MARGIN[on] * ctl[on]["rankme"], (off, ctl[off]["rankme"], ctl[on]["rankme"])

# %% [markdown]
# **What to notice**
# - Each control collapses within the first log steps while its loss plunges towards 0: the
#   loss curve alone would not have told you. The equal partition and the whitening are the
#   whole of each method's defence against the constant solution; the prototypes and the
#   normalisation do not help on their own.

# %% [markdown]
# ## Exercises
# 1. In the VICReg panel, set `std_coeff` to 1, 5 and 10. Is there a threshold below which
#    the run collapses, or a gradual slide?
# 2. Set `cov_coeff=0` and raise `embedding_dim` to 512. Does RankMe grow with the
#    dimension, or stay put?
# 3. In the Barlow Twins panel, set `barlow_lambda` to 0 and to 0.1. Which one looks like
#    VICReg with `cov_coeff=0`? Plot its correlation matrix with `plots.correlation`.
# 4. Train SwAV with `num_prototypes` = 8 and 2048. What does the Sinkhorn step do when
#    there are more prototypes than images in the batch? (Try `queue_size=1024`.)
# 5. Train W-MSE with `embedding_dim` close to `batch_size`. Why does whitening get noisy?
#
# ## Summary
# The canonical-correlation family keeps two identical branches and guards the statistics
# of the batch: VICReg with explicit variance and covariance penalties, Barlow Twins by
# driving the cross-correlation to the identity, SwAV by spreading the batch evenly over
# prototypes, W-MSE by whitening. Remove the variance guard and everything collapses to a
# point while the loss falls; remove the decorrelation guard and the dimensions become
# copies of each other — dimensional collapse, visible in RankMe and the correlation matrix
# but not in the per-dimension std. Paper: §2.4 of *A Cookbook of Self-Supervised Learning*
# (Balestriero et al., 2023, arXiv 2304.12210); dimensional collapse returns in chapter 07.
