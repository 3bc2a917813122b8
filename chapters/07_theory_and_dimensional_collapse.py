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
# # 07 · A little theory: one loss for many, dimensional collapse, and linear contrastive learning
#
# The earlier chapters treated each SSL method as its own recipe. Theory finds what they
# share. This chapter checks four results of that kind with small experiments you can run
# on a laptop:
#
# 1. **One family of contrastive losses.** InfoNCE and the triplet loss are two members of a
#    single family $\phi\big(\sum_j \psi(\cdot)\big)$; we check it to the last digit.
# 2. **Sample-contrastive ≈ dimension-contrastive.** A loss that pushes *images* apart
#    (SimCLR) and a loss that decorrelates *dimensions* (VICReg, Barlow Twins) are closer
#    than they look (Garrido et al. 2022).
# 3. **Dimensional collapse and the projector.** Embeddings often use far fewer directions
#    than they have (Jing et al. 2022); we measure the singular-value spectra before and
#    after the projector for SimCLR, VICReg and DINO.
# 4. **A linear encoder trained contrastively does PCA.** With additive-noise views, the
#    directions a linear contrastive encoder learns are the top principal directions of the
#    data.
#
# Paper: *A Cookbook of Self-Supervised Learning* (Balestriero et al. 2023, arXiv 2304.12210),
# §2.6 (the theoretical view) and §3.2 (why the projector helps).

# %% [markdown]
# ## Setup

# %%
import matplotlib.pyplot as plt
import torch

from cookbook_lib import RunConfig, evidence, load_or_train, losses, metrics, untrained
from cookbook_lib.data import load_dataset
from cookbook_lib.notebook import Table, setup

env = setup(seed=0)

# %% tags=["parameters"]
# Quick mode (COOKBOOK_QUICK=1, set by the tests) trains short, small runs; full mode is longer.
QUICK = env.quick
STEPS = 60 if QUICK else 1000        # optimiser steps of the SimCLR / VICReg / DINO runs
IMAGE_SIZE = 24 if QUICK else 32     # shapes rendered at this many pixels a side
BATCH = 64 if QUICK else 128         # images per step
LINEAR_STEPS = 300                   # steps of the linear contrastive encoder (seconds on a CPU)
SEED = 0

# %% [markdown]
# ## 1 · The unified contrastive loss
#
# §2.6 of the cookbook (after Tian 2022, arXiv 2201.12680) writes many contrastive criteria
# as one formula. For anchor $z_i$, its positive $z_i'$ and its negatives $z_j'$ ($j \neq i$),
# let $x_{ij} = \lVert z_i - z_i'\rVert^2 - \lVert z_i - z_j'\rVert^2$: negative when the
# negative $j$ is further away than the positive, as it should be. Then
#
# $$\mathcal{L} = \frac{1}{N}\sum_i \phi\Big(\sum_{j \neq i} \psi(x_{ij})\Big).$$
#
# - $\phi(x) = \log(1 + x)$, $\psi(x) = e^{x/2\tau}$ gives **InfoNCE**: on unit vectors
#   $x_{ij} = 2(u_i\cdot u_j' - u_i \cdot u_i')$, and $\log\big(1 + \sum_{j\neq i} e^{(s_{ij} - s_{ii})/\tau}\big)$ is
#   exactly $-\log$ of the softmax probability of the positive.
# - $\phi(x) = x$, $\psi(x) = \max(0, x + m)$ gives the **triplet loss** with margin $m$, summed
#   over the negatives.
#
# `losses.unified_contrastive(z1, z2, phi, psi)` implements the family. We check both special
# cases on random embeddings against the cookbook's own `info_nce` and `triplet`.

# %%
g = torch.Generator().manual_seed(SEED)
z1, z2 = torch.randn(32, 16, generator=g), torch.randn(32, 16, generator=g)

for tau in (0.05, 0.2, 1.0):
    unified = losses.unified_contrastive(z1, z2, *losses.unified_preset("info_nce", temperature=tau), normalize=True)
    direct = losses.info_nce(z1, z2, temperature=tau)
    print(f"InfoNCE τ={tau}:  unified {unified:.6f}   info_nce {direct:.6f}")
    assert torch.allclose(unified, direct, atol=1e-5, rtol=1e-5)

# triplet: with two images (one negative per anchor) the family is exactly the triplet loss ...
a, b = z1[:2], z2[:2]
unified = losses.unified_contrastive(a, b, *losses.unified_preset("triplet", margin=1.0))
direct = losses.triplet(a, b, b.flip(0), margin=1.0)
print(f"triplet, N=2:  unified {unified:.6f}   triplet {direct:.6f}")
assert torch.allclose(unified, direct)
# ... and with N images it sums the N-1 triplets of each anchor
unified = losses.unified_contrastive(z1, z2, *losses.unified_preset("triplet", margin=1.0))
summed = sum(losses.triplet(z1, z2, z2.roll(k, 0), margin=1.0) for k in range(1, 32))
print(f"triplet, N=32: unified {unified:.4f}   sum of 31 triplet losses {summed:.4f}")
assert torch.allclose(unified, summed, rtol=1e-5)

# %% [markdown]
# The two members differ only in $\phi$ and $\psi$. Plotting $\psi$ shows what that changes:
# the hinge gives **no** push at all to a negative that is already a margin further than the
# positive, and a constant push to the others; the exponential pushes every negative, with a
# weight that grows smoothly the closer it is — more sharply the smaller $\tau$.

# %%
x = torch.linspace(-3, 1, 200)
fig, ax = plt.subplots(figsize=(5.5, 3.5))
ax.plot(x, losses.psi_hinge(x, margin=1.0), label="ψ triplet: max(0, x + 1)")
for tau in (0.25, 0.5, 1.0):
    ax.plot(x, losses.psi_exp(x, temperature=tau), label=f"ψ InfoNCE: exp(x / 2τ), τ={tau}")
ax.set(ylim=(0, 3), xlabel="x = d(anchor, positive) − d(anchor, negative)", ylabel="ψ(x)",
       title="how each member of the family weighs a negative")
ax.axvline(0, color="0.7", lw=1)
ax.legend(fontsize=8)
ax.grid(alpha=0.3)
fig.tight_layout()

# %% [markdown]
# ## 2 · Pushing samples apart ≈ decorrelating dimensions
#
# Stack a batch of embeddings into $Z \in \mathbb{R}^{N\times D}$ (rows: images, columns:
# dimensions). Two kinds of criteria prevent collapse:
#
# - **sample-contrastive** (SimCLR, DCL, …): the $N\times N$ Gram matrix $ZZ^\top$ should have
#   small off-diagonal entries — different images point in different directions;
# - **dimension-contrastive** (VICReg's covariance term, Barlow Twins): the $D\times D$ matrix
#   $Z^\top Z$ should have small off-diagonal entries — different dimensions carry different
#   information.
#
# Garrido et al. (2022, "On the duality between contrastive and non-contrastive
# self-supervised learning", arXiv 2206.02574) point out that these are nearly the same
# objective, because the two matrices have the same Frobenius norm:
# $\lVert Z^\top Z\rVert_F^2 = \operatorname{tr}(Z^\top Z Z^\top Z) = \lVert ZZ^\top\rVert_F^2$. Subtracting the diagonals,
#
# $$\underbrace{\textstyle\sum_{k\neq l} (Z^\top Z)_{kl}^2}_{\text{dimension-contrastive}} -
#   \underbrace{\textstyle\sum_{i\neq j} (ZZ^\top)_{ij}^2}_{\text{sample-contrastive}}
#   = \sum_i \lVert z_i\rVert^4 - \sum_k \lVert Z_{:,k}\rVert^4 .$$
#
# When the rows are normalised (as contrastive losses do) *and* the columns are standardised
# (as VICReg and Barlow Twins do), the right-hand side is a constant: minimising one criterion
# minimises the other. In plain words: making the images of a batch point in different
# directions and making the dimensions carry different information are the same demand on
# the batch, seen from its two sides. The differences in practice come from the details —
# which normalisation, how large the projector, which hyperparameters — more than from the
# family.

# %%
Z = torch.randn(64, 16, generator=g, dtype=torch.float64) * torch.linspace(0.5, 2.0, 16, dtype=torch.float64)  # N=64, D=16
off = lambda m: (m - torch.diag(torch.diag(m))).pow(2).sum()  # noqa: E731  sum of squared off-diagonal entries
dim_c, sample_c = off(Z.T @ Z), off(Z @ Z.T)
gap = Z.norm(dim=1).pow(4).sum() - Z.norm(dim=0).pow(4).sum()
print(f"dimension-contrastive {dim_c:.1f} − sample-contrastive {sample_c:.1f} = {dim_c - sample_c:.1f};  "
      f"row/column norms give {gap:.1f}")
assert torch.allclose(dim_c - sample_c, gap)

# %% [markdown]
# ## 3 · Dimensional collapse, before and after the projector
#
# **Complete collapse** maps every image to one point. **Dimensional collapse** (Jing et al.
# 2022, "Understanding Dimensional Collapse in Contrastive Self-supervised Learning", arXiv
# 2110.09348) is subtler: the embeddings do not coincide, but they live in a low-dimensional
# subspace — many singular values of the embedding matrix are (near) zero. Jing et al. find
# two causes even in contrastive learning, which has negatives to spread the embeddings:
# augmentations that are stronger than the signal along some directions (those directions
# get squashed), and the *implicit regularisation* of a stack of linear layers, whose weight
# matrices align during training so that the small singular values shrink further.
#
# In long runs the projector is where this shows most (the cookbook's Fig. 9): it takes the
# brunt of the loss and its output loses directions, while the backbone underneath keeps
# more — one reason why SSL throws the projector away after training and probes the
# backbone (§3.2, chapter 10).
# We train SimCLR, VICReg and DINO at their defaults and compare, on the test images, the
# singular-value spectra of the backbone output $h$ (the representation, 256 dimensions)
# and of the projector output $z$ (the embedding, 128 dimensions). RankMe (Garrido et al.
# 2022, arXiv 2210.02885) turns a spectrum into one number, an effective count of the
# directions in use. Because $h$ and $z$ have different widths we report it two ways: as a
# count (how many directions reach the next stage: what a probe can use) and divided by the
# width (how much of its room each layer fills). The spectra are drawn the second way too:
# $\sigma_k/\sigma_1$ against $k/D$, so both curves run from 0 to 1 on the x-axis.
#
# This cell trains 3 runs, about 15 s on a 2-core laptop CPU in quick mode (about 8 min in
# full mode, a minute or two on a GPU); they are cached.

# %%
data = load_dataset("shapes", IMAGE_SIZE)
base = RunConfig(dataset="shapes", image_size=IMAGE_SIZE, batch_size=BATCH, steps=STEPS, seed=SEED)
runs = {m: load_or_train(base.replace(method=m), progress=False) for m in ("simclr", "vicreg", "dino")}
spectra = {m: r.embed(data.test_images) for m, r in runs.items()}

ranks = {m: (metrics.rankme(h), metrics.rankme(z)) for m, (h, z) in spectra.items()}

fig, axes = plt.subplots(1, 3, figsize=(15, 4), sharey=True)
for ax, (m, (h, z)) in zip(axes, spectra.items()):
    for name, e, c in (("backbone h", h, "C0"), ("projector z", z, "C1")):
        s = metrics.singular_values(e)
        s = (s / s[0]).clamp_min(1e-8)
        rk = metrics.rankme(e)
        ax.plot((torch.arange(len(s)) + 1) / len(s), s, color=c,
                label=f"{name}: D={e.shape[1]}, RankMe {rk:.0f} ({rk / e.shape[1]:.2f}·D)")
    ax.set(yscale="log", ylim=(3e-3, 1.5), xlabel="k / D (rank index as a fraction of the width)",
           title=f"{m}: spectrum before and after the projector")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, which="both")
axes[0].set_ylabel(r"$\sigma_k / \sigma_1$ (centred)")
fig.tight_layout()
Table({"method": m, "RankMe h": rk_h, "of D_h": rk_h / spectra[m][0].shape[1], "RankMe z": rk_z,
       "of D_z": rk_z / spectra[m][1].shape[1], "z / h": rk_z / rk_h, "linear_acc": runs[m].metrics["linear_acc"]}
      for m, (rk_h, rk_z) in ranks.items())

# %% [markdown]
# Counted in directions, $z$ has fewer than $h$ above, but $z$ is also half as wide, and an
# *untrained* network shows the same gap: its projector output is nearly one-dimensional.
# Two comparisons take those out. Against the same network at random init: what did training
# do to $z$? And at equal widths (a 256-wide projector output, stored runs at the full budget,
# 1,000 steps, seeds 0-2; `python -m cookbook_lib evidence --chapter 07` recomputes them,
# about an hour on one CPU core): does $z$ keep fewer directions than $h$?

# %%
random_init = {m: untrained(base.replace(method=m), data) for m in runs}  # built, not trained or evaluated
random_z = {m: metrics.rankme(r.embed(data.test_images)[1]) for m, r in random_init.items()}
stored = evidence.load("07_theory_and_dimensional_collapse.equal_width")
rows = []
for m in runs:
    h, z = (stored.values(k, method=m, steps=1000) for k in ("rankme_backbone", "rankme"))
    z0 = stored.values("rankme", method=m, steps=0)
    rows.append({"method": m, "your z / random-init z": ranks[m][1] / random_z[m],
                 "stored h (256 wide)": " ".join(f"{x:.0f}" for x in h),
                 "stored z (256 wide)": " ".join(f"{x:.0f}" for x in z),
                 "stored random-init z": " ".join(f"{x:.0f}" for x in z0)})
Table(rows)

# %%
# Training spreads z: every method's projector output uses many more directions than the same
# network's at random init, in your runs and in every stored seed.
# (Quick mode, 60 steps, seeds 0-2: the smallest of these ratios was 9.7×, DINO at seed 1.)
for m in runs:
    trained, untrained = stored.values("rankme", method=m, steps=1000), stored.values("rankme", method=m, steps=0)
    print(f"{m}: your z {ranks[m][1]:.1f} vs random init {random_z[m]:.1f}; stored (256 wide) "
          f"{', '.join(f'{a:.0f} vs {b:.0f}' for a, b in zip(trained, untrained))}")
    assert ranks[m][1] > 5 * random_z[m], (m, ranks[m][1], random_z[m])
    assert all(a > 5 * b for a, b in zip(trained, untrained)), (m, trained, untrained)
# At equal widths, after 1,000 steps, SimCLR's and VICReg's z keep *more* directions than h
# for every stored seed; DINO's z keeps fewer: the collapse after the projector shows for
# DINO only, at this scale.
for m in runs:
    h, z = stored.values("rankme_backbone", method=m, steps=1000), stored.values("rankme", method=m, steps=1000)
    print(f"{m}, 256 wide, seeds 0-2: RankMe z − h {', '.join(f'{b - a:+.1f}' for a, b in zip(h, z))}")
    assert all((b > a) == (m != "dino") for a, b in zip(h, z)), (m, h, z)

# %% [markdown]
# **What to notice**
# - Training spreads the projector output: an untrained projector squeezes its input into a
#   handful of directions, and every loss here pulls $z$ far away from that. For SimCLR and
#   VICReg that is their purpose: uniformity on the sphere, a variance floor and
#   decorrelated dimensions act on $z$ directly.
# - At equal widths (the stored runs) SimCLR's and VICReg's $z$ is *not* more collapsed than
#   $h$: it keeps more directions. Their losses act on $z$ to spread it, so the smaller count
#   of directions in $z$ in your runs above is mostly the 128-for-256 bottleneck. DINO's $z$
#   does keep fewer directions than its $h$: its loss matches soft assignments to prototypes
#   and has no term that spreads $z$ itself. The paper (§2.6, Fig. 9) and Jing et al. report
#   the projector output losing directions that the backbone keeps, after hundreds of
#   ImageNet epochs with ResNets; in our thousand steps on 32-pixel shapes only DINO shows
#   it. Read a RankMe gap only at equal widths and against the untrained network.
# - Either way the practical lesson stands: what the projector drops, a probe on $z$ cannot
#   get back, and a probe on $h$ still can. Chapter 10 compares probes on $h$ and $z$.
#
# ## 4 · A linear contrastive encoder finds the principal directions
#
# Take the simplest encoder there is: $z = Wx$, one `nn.Linear` with $k$ outputs. Make the
# two views by adding independent Gaussian noise, $x' = x + \sigma\varepsilon$,
# $x'' = x + \sigma\varepsilon'$, and train with InfoNCE (NT-Xent). What does $W$ learn?
#
# The noise is the same in every direction, so the only thing that tells two views of one
# point from views of different points is the *signal*: the spread of the data. A direction
# with large data variance separates points much more than the noise blurs them; a
# direction with small variance is mostly noise. So the best $k$ directions are those with
# the largest variance — the top-$k$ principal components. Tian (2022, arXiv 2201.12680)
# makes this precise: for a linear encoder, contrastive learning is a PCA-like problem on a
# contrastive covariance matrix, which is the data covariance when the augmentation is
# isotropic noise.
#
# The data: $D = 32$ dimensions, a random rotation of a covariance whose top $k = 4$
# eigenvalues (9, 7, 5, 4) stand above a tail that falls from 1 to 0.2. We measure how well
# the row space of $W$ matches the top-$k$ PCA directions $U_k$ with the **principal angles**
# $\theta_1..\theta_k$ between the two subspaces (the cosines are the singular values of
# $U_k^\top Q$, with $Q$ an orthonormal basis of the rows of $W$) and their summary, the
# **subspace overlap** $\frac1k\sum_i \cos^2\theta_i$: 1 for the same subspace, about $k/D$
# for a random one. Seconds on a CPU.

# %%
D, K, N_POINTS, NOISE = 32, 4, 4096, 1.0
basis, _ = torch.linalg.qr(torch.randn(D, D, generator=g))
variances = torch.cat([torch.tensor([9.0, 7.0, 5.0, 4.0]), torch.linspace(1.0, 0.2, D - K)])
X = (torch.randn(N_POINTS, D, generator=g) * variances.sqrt()) @ basis.T
U_k = torch.linalg.svd(X - X.mean(0), full_matrices=False).Vh[:K].T  # (D, K): top-k PCA directions


def principal_cosines(W: torch.Tensor) -> torch.Tensor:
    """Cosines of the principal angles between span(rows of W) and span(U_k), largest first."""
    Q, _ = torch.linalg.qr(W.detach().T)
    return torch.linalg.svdvals(U_k.T @ Q)


def overlap(W: torch.Tensor) -> float:
    return float(principal_cosines(W).pow(2).mean())


torch.manual_seed(SEED)
encoder = torch.nn.Linear(D, K, bias=False)
opt = torch.optim.Adam(encoder.parameters(), lr=1e-2)
trace = [(0, overlap(encoder.weight))]
for step in range(1, LINEAR_STEPS + 1):
    x = X[torch.randint(0, N_POINTS, (256,), generator=g)]
    loss = losses.nt_xent(encoder(x + NOISE * torch.randn(x.shape, generator=g)),
                          encoder(x + NOISE * torch.randn(x.shape, generator=g)), temperature=0.5)
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 10 == 0:
        trace.append((step, overlap(encoder.weight)))

random_overlaps = torch.tensor([overlap(torch.randn(K, D, generator=g)) for _ in range(200)])
learned = overlap(encoder.weight)
print("cosines of the principal angles (learned vs PCA):", [round(float(c), 3) for c in principal_cosines(encoder.weight)])
print(f"subspace overlap: learned {learned:.3f}   random subspaces {random_overlaps.mean():.3f} ± {random_overlaps.std():.3f} "
      f"(k/D = {K / D:.3f})")

fig, ax = plt.subplots(figsize=(5.5, 3.5))
ax.plot(*zip(*trace), label="linear encoder trained with InfoNCE")
ax.axhline(float(random_overlaps.mean()), color="0.5", ls="--", label="random subspace (mean)")
ax.set(xlabel="step", ylabel="overlap with the top-4 PCA subspace", ylim=(0, 1.05),
       title="a linear contrastive encoder converges to PCA")
ax.legend()
ax.grid(alpha=0.3)
fig.tight_layout()

# %%
# The learned subspace is the top-k PCA subspace (overlap > 0.9); random subspaces are far from it.
assert learned > 0.9, learned
assert principal_cosines(encoder.weight).min() > 0.8
assert random_overlaps.max() < 0.5

# %% [markdown]
# **What to notice**
# - Within a few dozen steps the overlap climbs from the random level ($\approx k/D$) to
#   nearly 1: the encoder found the top-4 principal subspace without ever computing a
#   covariance matrix. Each cosine of the principal angles is close to 1, so it is not one
#   lucky direction but the whole subspace.
# - The augmentation decides what "principal" means. Isotropic noise leaves the data's own
#   variance in charge; an augmentation that adds noise *along* a direction makes that
#   direction useless to the loss, however much variance the data has there (exercise 2).
#   This is the linear version of "augmentations define what is learned" (chapter 09).
#
# ## Exercises
# 1. Raise `NOISE` to 3 and to 10. Does the encoder still find the top subspace? How many
#    steps does it need? What happens when the noise is much larger than every data variance?
# 2. Make the noise anisotropic: add noise with standard deviation 5 along the first PCA
#    direction only (`x + 5 * torch.randn(len(x), 1) * U_k[:, 0]`, plus the isotropic noise).
#    Which subspace does the encoder learn now?
# 3. Give the projector the backbone's width: `base.replace(embedding_dim=256)`. Now the two
#    RankMe values are on the same scale; compare yours with the stored runs above. Then
#    train longer (`steps=3000`): does $z$ start to lose directions that $h$ keeps?
# 4. Train VICReg with `cov_coeff=0` (no decorrelation) and look at its projector spectrum.
#    Then SimCLR with `temperature=1.0`. Which one collapses more dimensions?
#
# ## Summary
# Contrastive losses form one family, $\phi(\sum_j\psi(\cdot))$, in which InfoNCE and the
# triplet loss differ only by how they weigh each negative. Pushing samples apart and
# decorrelating dimensions are two views of one quantity, $\lVert ZZ^\top\rVert_F =
# \lVert Z^\top Z\rVert_F$. Training spreads the projector's output far beyond the
# untrained network's; whether it then loses directions the backbone keeps (dimensional
# collapse, Jing et al. 2022) has to be read at equal widths: at our scale DINO's does,
# SimCLR's and VICReg's do not.
# And with a linear encoder and noise
# views, contrastive learning is PCA. Paper: §2.6 (and §3.2) of *A Cookbook of
# Self-Supervised Learning* (Balestriero et al., 2023).
