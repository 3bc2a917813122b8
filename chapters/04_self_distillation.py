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
# # 04 · Self-distillation: BYOL, SimSiam, DINO and SimDINO
#
# Contrastive methods (chapter 03) avoid the trivial answer — every image mapped to the same
# point — by pushing the embeddings of different images apart. Self-distillation methods
# have no negatives at all. A **student** network learns to predict, from one view, what a
# **teacher** network outputs for another view of the same image. Written down, that loss
# is minimised perfectly by a constant network. That it usually is *not* found comes from
# small asymmetries between the two branches: a predictor, a stop-gradient, a slowly moving
# teacher, centring and sharpening of the teacher's output, or an explicit term that keeps
# the batch spread out.
#
# In this chapter you will:
# 1. write down the student/teacher set-up, the EMA update and the stop-gradient;
# 2. switch off SimSiam's stop-gradient and watch **complete collapse**: the loss keeps
#    falling while the embedding std falls to about 0;
# 3. switch off BYOL's predictor and EMA, one at a time and together (a 2×2 grid);
# 4. switch off DINO's centring, then its sharpening, and see the two opposite ways its
#    teacher collapses;
# 5. train SimDINO, which has no prototype layer, no centring and no sharpening, and does
#    not collapse.
#
# Paper: *A Cookbook of Self-Supervised Learning*, §2.3 (the self-distillation family) and
# §3.4 (teacher-student tricks, chapter 11 goes further).

# %% [markdown]
# ## Setup

# %%
import math

from IPython.display import display

from cookbook_lib import RunConfig, load_or_train, plots
from cookbook_lib.augment import to_float
from cookbook_lib.data import load_dataset
from cookbook_lib.notebook import Table, setup, std_ratio
from cookbook_lib.sweep import sweep
from cookbook_lib.widgets import knob_panel

env = setup(seed=0)

# %% tags=["parameters"]
# Quick mode (COOKBOOK_QUICK=1, set by the tests): eleven short runs on 2,048 16-pixel shapes
# (probed on 1,024 test images), about 4 s each on one CPU core (under a minute for the
# chapter). Full mode: every image of 32-pixel shapes, batch 128,
# 300 steps, about 1 min per run on one free CPU core (12-20 min in all, depending on what
# else the machine runs), a few seconds per run on a GPU. The phenomena and the checks below
# hold in both modes.
QUICK = env.quick
IMAGE_SIZE = 16 if QUICK else 32
BATCH_SIZE = 64 if QUICK else 128
STEPS = 50 if QUICK else 300
LOG_EVERY = 10 if QUICK else 25
N_TRAIN = 2048 if QUICK else 8192  # training images (8192 / 2048: every image of shapes)
N_TEST = 1024 if QUICK else 2048  # test images, for the probes and the measures of the embedding
SEED = 0

# %% [markdown]
# Every run of the chapter starts from this base. The optimiser settings are written out
# (instead of left to the method's calibrated default) so that the chapter shows the same
# thing even if the library's defaults are retuned later.

# %%
BASE = RunConfig(dataset="shapes", image_size=IMAGE_SIZE, batch_size=BATCH_SIZE, steps=STEPS, log_every=LOG_EVERY,
                 seed=SEED, optimizer="adamw", lr=2e-3, weight_decay=1e-4,
                 ema_momentum=0.99, predictor_depth=2, embedding_dim=128)
data = load_dataset("shapes", IMAGE_SIZE).head(N_TRAIN, N_TEST)  # runs on it are cached under its name


def report(runs: dict) -> Table:
    """One row per run: loss at the first and last log step, final embedding std × √d and RankMe."""
    return Table({"run": name, "first loss": r.history[0]["loss"], "last loss": r.history[-1]["loss"],
                  "std_ratio": std_ratio(r), "rankme": r.metrics["rankme"]} for name, r in runs.items())


# %% [markdown]
# ## Student, teacher, and the trivial answer
#
# Two views $x, x'$ of an image go through two branches. The **student** (or *online*
# network) is backbone $f_\theta$ → projector $g_\theta$ → predictor $q_\theta$, giving
# $p = q_\theta(g_\theta(f_\theta(x)))$. The **teacher** (or *target*) is a copy of backbone
# and projector with weights $\xi$, giving $z' = g_\xi(f_\xi(x'))$. BYOL (Grill et al. 2020,
# arXiv 2006.07733) minimises the squared distance of the l2-normalised vectors,
#
# $$\mathcal{L}_\text{BYOL} = \Big\| \frac{p}{\|p\|} - \frac{\operatorname{sg}(z')}{\|z'\|} \Big\|^2
#   = 2 - 2\cos(p, z'),$$
#
# averaged over both orders of the two views; SimSiam (Chen & He 2020, arXiv 2011.10566) uses
# $-\cos(p, \operatorname{sg}(z'))$. Here $\operatorname{sg}$ is the **stop-gradient**: in the
# backward pass the target is treated as a constant, so only the student branch is changed
# to reduce the loss.
#
# The teacher's weights are not trained by gradient descent: after each optimiser step they
# follow the student as an **exponential moving average** (EMA) with momentum $m$
# (`ema_momentum`):
#
# $$\xi \leftarrow m\,\xi + (1 - m)\,\theta .$$
#
# $m = 0.99$ means the teacher moves 1 % of the way towards the student at each step: it is
# a smoothed, slightly older student. $m = 0$ makes the teacher *equal* to the student
# (SimSiam always works like this); $m = 1$ freezes it.
#
# **The trivial answer.** A network that outputs the same vector $c$ for every image, with a
# predictor that keeps its direction, gives $\cos(p, z') = 1$ and the lowest possible loss
# (0 for BYOL, −1 for SimSiam). Nothing in the loss forbids it. We measure how close a run
# is to it with the **embedding std**: the std over the batch of the l2-normalised
# embeddings, averaged over the $d$ dimensions. It is 0 when every image has the same
# embedding and about $1/\sqrt{d}$ when the embeddings spread evenly over all directions
# (we print it times $\sqrt d$, so ≈ 1 is healthy).

# %% [markdown]
# ## SimSiam: what does the stop-gradient do?
#
# The same SimSiam run twice: with the stop-gradient (`stop_gradient=True`, the method as
# published) and without it, so that the gradient also flows into the target branch. Two
# runs, about 10 s on one CPU core in quick mode.

# %%
simsiam = BASE.replace(method="simsiam")
simsiam_runs = {"SimSiam (stop-gradient)": load_or_train(simsiam, data=data),
                "SimSiam, stop_gradient=False": load_or_train(simsiam.replace(stop_gradient=False), data=data)}
display(report(simsiam_runs))
plots.history(list(simsiam_runs.values()), labels=list(simsiam_runs))

# %% [markdown]
# **What to notice**
# - Without the stop-gradient the loss falls *faster* and *further* (towards −1, the minimum
#   of −cos), and at the same time the embedding std drops towards 0. A falling loss is not
#   a sign of learning here: the network found the trivial answer.
# - With the stop-gradient the loss falls less, but the std stays near the healthy
#   $1/\sqrt d$ line and RankMe stays high.
# - Why it matters: with gradient through both branches, the quickest way to raise
#   $\cos(p, z')$ is to move both $p$ and $z'$ towards a common direction for *every*
#   image. With the stop-gradient, the student can only chase a target it cannot move,
#   and the target follows the student's own (varied) embeddings.

# %%
collapsed, healthy = simsiam_runs["SimSiam, stop_gradient=False"], simsiam_runs["SimSiam (stop-gradient)"]
c_std, h_std = std_ratio(collapsed), std_ratio(healthy)
print(f"no stop-gradient: loss {collapsed.history[0]['loss']:.3f} → {collapsed.history[-1]['loss']:.3f}, "
      f"embedding std × √d {c_std:.3f} (threshold 0.25)")
print(f"with stop-gradient: loss ends at {healthy.history[-1]['loss']:.3f}, embedding std × √d {h_std:.3f} (threshold 0.6)")
# The collapsing run's loss ends lower than the healthy run's, within 0.1 of its minimum (−1,
# every pair of views aligned), while its embedding std dies; the healthy run keeps its std.
end_c, end_h = collapsed.history[-1]["loss"], healthy.history[-1]["loss"]
assert end_c < -0.9 and end_c < end_h, (end_c, end_h)
assert c_std < 0.25, c_std
assert h_std > 0.6, h_std

# %% [markdown]
# ## BYOL: the predictor and the EMA teacher
#
# BYOL has two asymmetries: a **predictor** on the student side only (`predictor_depth`: 2
# is an MLP, 1 is linear, 0 removes it) and an **EMA teacher** (`ema_momentum`). A 2×2 grid
# switches each off. With `ema_momentum=0` the teacher is the student itself, and the
# stop-gradient (on by default) still detaches the target. The runs use the library's BYOL
# recipe, whose predictor learns at 10× the base lr (`predictor_lr_mult=10`, its catalog
# row); chapter 11 takes that lever apart. Four runs, about 13 s on one CPU core in quick
# mode; `sweep` stores them, so re-running the cell is instant.

# %%
byol = BASE.replace(method="byol")
grid = sweep(byol, {"predictor_depth": [2, 0], "ema_momentum": [0.99, 0.0]}, data=data)
floor = load_or_train(byol.replace(steps=0), data=data).metrics["linear_acc"]  # the random-init encoder
accs = [r.metrics["linear_acc"] for r in grid.runs]
print(f"linear probe on the backbone: random-init encoder {floor:.3f}; the four runs {min(accs):.3f} to {max(accs):.3f}")
Table.of(grid.runs, ["predictor_depth", "ema_momentum", "status", "std_ratio", "rankme", "linear_acc"])

# %%
byol_runs = {f"BYOL predictor_depth={r.config.predictor_depth}, ema_momentum={r.config.ema_momentum:g}": r
             for r in grid.runs}
display(report(byol_runs))
plots.history(list(byol_runs.values()), labels=list(byol_runs))

# %% [markdown]
# **What to notice**
# - The full BYOL (predictor and EMA) and BYOL with `ema_momentum=0` but a predictor both
#   keep their embedding std: the EMA is not what prevents collapse here, the predictor is.
#   The literature has both results: BYOL's own ablation (Grill et al. 2020, Table 5a)
#   collapsed at EMA momentum 0 with the predictor at the base learning rate on ImageNet
#   (ours learns 10× faster), while SimSiam (Chen & He 2020) trains with no EMA at all, and the paper's §3.4
#   concludes that the EMA is not needed when the predictor keeps up (a faster, or
#   non-decayed, predictor learning rate). Chapter 11 shows when each holds.
# - Without a predictor but with the EMA, the std sinks well below the healthy line: a
#   partial collapse that the slow teacher only delays. The std measures the projector
#   output, not the backbone below it. The probe on the backbone (`linear_acc`) is printed
#   above the table beside the random-init encoder's: where the runs do not clear that
#   level by more than a seed's spread, the probe cannot rank them, and the std is the
#   measure to read.
# - Without both, the two branches are the same network with a stop-gradient between them
#   and no way to differ: the loss falls to about 0 and the embedding std to about 0 — the
#   "loss falls but std dies" picture again.
# - Not collapsing is not the same as learning fast. At the cookbook's budgets BYOL and
#   SimSiam keep a healthy std but learn more slowly than SimCLR: the three-seed reference
#   table in `benchmarks/RESULTS.md` has them well behind it at 300 and at 1,500 steps, and
#   its learning curves show them catching up with a few times more steps. What speeds them
#   up is the predictor's learning rate (BYOL's recipe multiplies it by 10; chapter 11).

# %%
collapsed = byol_runs["BYOL predictor_depth=0, ema_momentum=0"]
healthy = byol_runs["BYOL predictor_depth=2, ema_momentum=0.99"]
c_std, h_std = std_ratio(collapsed), std_ratio(healthy)
print(f"no predictor, no EMA: loss {collapsed.history[0]['loss']:.3f} → {collapsed.history[-1]['loss']:.3f}, "
      f"embedding std × √d {c_std:.3f} (threshold 0.25)")
print(f"full BYOL: loss ends at {healthy.history[-1]['loss']:.3f}, embedding std × √d {h_std:.3f} (threshold 0.6)")
# The collapsed run's loss ends near its minimum (0: prediction = target for every image), far
# below the healthy run's, which cannot match views it keeps apart.
end_c, end_h = collapsed.history[-1]["loss"], healthy.history[-1]["loss"]
assert end_c < 0.1 and end_c < 0.2 * end_h, (end_c, end_h)
assert c_std < 0.25, c_std
assert h_std > 0.6, h_std

# %% [markdown]
# ### Turn the knobs yourself
#
# The panel starts from the full BYOL. Untick `stop_gradient` with `ema_momentum=0` and
# `predictor_depth=0`, or try `ema_momentum=0.9` without a predictor. A new setting costs
# about 5 s on a CPU in quick mode; the four settings above load at once.

# %%
knob_panel(byol, knobs=("stop_gradient", "predictor_depth", "ema_momentum", "predictor_lr_mult"), data=data)

# %% [markdown]
# ## DINO: centring and sharpening
#
# DINO (Caron et al. 2021, arXiv 2104.14294) turns the embeddings into a distribution over
# $K$ prototypes (`num_prototypes`; a linear layer after the projector). With student and
# teacher outputs $s(x)$ and $t(x') \in \mathbb{R}^K$,
#
# $$P_s(x) = \operatorname{softmax}\!\big(s(x) / \tau_s\big), \qquad
#   P_t(x') = \operatorname{softmax}\!\big((t(x') - c) / \tau_t\big), \qquad
#   \mathcal{L}_\text{DINO} = -\sum_{k=1}^{K} P_t(x')_k \log P_s(x)_k ,$$
#
# with no gradient through $P_t$, and an EMA teacher as in BYOL. Two tricks shape the
# teacher's output:
# - **Centring** (`dino_center`): subtract a running mean $c$ of the teacher's outputs,
#   $c \leftarrow m_c\,c + (1 - m_c)\,\frac{1}{B}\sum_{i} t(x_i)$ (`center_momentum` $m_c$).
#   A prototype that wins for every image gets its score lowered, so no single one can
#   take over.
# - **Sharpening** (`teacher_temp` $\tau_t$ below `student_temp` $\tau_s$; 0.04 vs 0.1):
#   the teacher's distribution is more peaked than the student's, so each image is pushed
#   towards a few prototypes rather than a flat spread.
#
# Each guards against one collapse: without centring one prototype wins for every image;
# without sharpening the teacher's output goes flat (uniform over the prototypes) for every
# image. Both are constant outputs, so both make the loss easy. We measure the teacher's
# output on the test images in two ways:
# - **prototypes in use**: $\exp H(\bar P_t)$, the effective number of prototypes of the
#   *average* distribution over images (1 if the same prototype wins everywhere);
# - **prototypes per image**: $\exp$ of the average $H(P_t)$, how many prototypes one image
#   spreads over ($K$ if every image's distribution is flat).
#
# A healthy teacher uses many prototypes in all, but only some for each image. Three runs,
# about 11 s on one CPU core in quick mode.

# %%
def prototype_counts(run, images) -> dict:
    """Effective numbers of prototypes of a DINO teacher on `images`: in use (over all images)
    and per image (the average spread of one image's distribution)."""
    x = to_float(images).to(next(run.model.parameters()).device)
    p = run.model.eval().teacher_probs(x).double()  # (N, K) centred, sharpened probabilities
    entropy = lambda q: -(q * q.clamp_min(1e-12).log()).sum(-1)  # noqa: E731
    return {"prototypes in use": float(entropy(p.mean(0)).exp()),
            "prototypes per image": float(entropy(p).mean().exp())}


dino = BASE.replace(method="dino")
K = dino.resolved().num_prototypes  # None on the config means the method's default
dino_runs = {"DINO (centred, τ_t=0.04)": load_or_train(dino, data=data),
             "DINO, dino_center=False": load_or_train(dino.replace(dino_center=False), data=data),
             "DINO, teacher_temp=0.1 (no sharpening)": load_or_train(dino.replace(teacher_temp=0.1), data=data)}
counts = {name: prototype_counts(r, data.test_images) for name, r in dino_runs.items()}
display(Table({"run": name, **c, "K": K} for name, c in counts.items()))
plots.bars(counts, ylabel=f"effective number of prototypes (of K = {K})",
           title="DINO's teacher on the test images: how many prototypes, overall and per image")

# %%
fig = plots.history(list(dino_runs.values()), labels=list(dino_runs), keys=("loss", "embedding_std"))
flat = fig.axes[0].axhline(math.log(K), ls=":", color="0.3", lw=1, label="log K (two flat distributions)")
fig.axes[0].legend(handles=[flat], fontsize=9)  # the runs' legend is below the panels
fig

# %% [markdown]
# **What to notice**
# - Without centring, nearly all images land on the same few prototypes ("in use" falls to
#   a handful) and the loss plunges: the student only has to predict the one winner.
# - Without sharpening, every image's distribution is almost flat ("per image" is close to
#   $K$) and the loss sits at about $\log K$, the cross-entropy of two uniform
#   distributions: the teacher has nothing to teach.
# - The healthy run sits between: many prototypes in use overall, fewer per image. In quick
#   mode its loss first rises a little (the student moves away from the teacher it was
#   copied from) and then falls.
# - The embedding std of the projector output (the bottleneck before the prototypes) drops
#   in both broken runs but not to 0: DINO's collapse shows first in the prototype outputs.
#   Centring and sharpening pull in opposite directions; DINO needs the balance.

# %%
healthy, no_center, no_sharpen = (counts[k] for k in dino_runs)
print(f"prototypes in use: healthy {healthy['prototypes in use']:.1f}, no centring "
      f"{no_center['prototypes in use']:.1f} (must be < 0.1 × healthy = {0.1 * healthy['prototypes in use']:.1f})")
print(f"prototypes per image: healthy {healthy['prototypes per image']:.1f}, no sharpening "
      f"{no_sharpen['prototypes per image']:.1f} (must be > 0.85 K = {0.85 * K:.0f} and > 1.5 × healthy)")
no_center_run = dino_runs["DINO, dino_center=False"]
assert no_center["prototypes in use"] < 0.1 * healthy["prototypes in use"], (no_center, healthy)
assert no_center_run.history[-1]["loss"] < 0.6 * no_center_run.history[0]["loss"]  # the loss plunges
assert no_sharpen["prototypes per image"] > 0.85 * K, no_sharpen
assert no_sharpen["prototypes per image"] > 1.5 * healthy["prototypes per image"], (no_sharpen, healthy)

# %% [markdown]
# Try it: tick `dino_center` off, or move `teacher_temp` up to `student_temp` (0.1) and
# beyond; `center_momentum=1` freezes the centre at 0 (the same as no centring).

# %%
knob_panel(dino, knobs=("dino_center", "teacher_temp", "student_temp", "center_momentum", "ema_momentum"),
           data=data)

# %% [markdown]
# ## SimDINO: no prototypes, no centring, no sharpening
#
# SimDINO (Wu et al. 2025, arXiv 2502.10385) drops DINO's prototype layer and both of its
# tricks. Student and EMA teacher are backbone → projector; with $\hat s, \hat t$ the
# l2-normalised embeddings of two views and $\hat S$ the $N \times d$ batch of student
# embeddings, the loss is
#
# $$\mathcal{L}_\text{SimDINO} = \tfrac12 \|\hat s - \operatorname{sg}(\hat t)\|^2
#   \;-\; \gamma\, R_\varepsilon(\hat S), \qquad
#   R_\varepsilon(\hat S) = \tfrac12 \log\det\!\Big(I_d + \frac{d}{N\varepsilon^2}\,\hat S^\top \hat S\Big).$$
#
# The first term pulls the views together; the **coding rate** $R_\varepsilon$ is large when
# the batch spreads over many directions and small when it collapses, so subtracting it
# makes collapse expensive (the cookbook uses $\varepsilon = 0.5$, $\gamma = 0.05$). It is an
# explicit anti-collapse term, like VICReg's (chapter 05), in place of DINO's balance of
# centring and sharpening. One run, about 4 s on one CPU core in quick mode.

# %%
simdino_run = load_or_train(BASE.replace(method="simdino"), data=data)
dino_run = dino_runs["DINO (centred, τ_t=0.04)"]
head = lambda run: sum(p.numel() for n, p in run.model.named_parameters() if n.startswith("head."))  # noqa: E731
print(f"prototype-layer parameters: DINO {head(dino_run):,}, SimDINO {head(simdino_run):,}")
display(report({"DINO (centred, τ_t=0.04)": dino_run, "SimDINO": simdino_run}))
fig = plots.history([dino_run, simdino_run], labels=["DINO", "SimDINO"])
fig.axes[2].set_ylim(0, 1.2 / math.sqrt(simdino_run.embedding_dim))  # keep the healthy 1/√d line in view
fig

# %%
std = std_ratio(simdino_run)
print(f"SimDINO: embedding std × √d {std:.3f} (threshold 0.6), RankMe {simdino_run.metrics['rankme']:.1f} (threshold 20)")
assert head(simdino_run) == 0 and not hasattr(simdino_run.model, "head")  # no prototype layer
assert std > 0.6, std
assert simdino_run.metrics["rankme"] > 20, simdino_run.metrics

# %% [markdown]
# **What to notice**
# - SimDINO has no prototype layer (DINO's is `embedding_dim` × K weights) and still keeps
#   its embedding std at the healthy level, with a high RankMe: the coding-rate term keeps
#   the batch spread over many directions.
# - Its loss is negative: the coding rate it subtracts is larger than the distance term.
#   Only its changes matter.
#
# ### The negative control: SimDINO without its coding rate
# "The coding rate prevents collapse" is a claim about a run where it is *off*. Set
# $\gamma$ = `coding_rate_weight` = 0 and SimDINO keeps only the distance term: a student
# pulled towards an EMA teacher, with no predictor, no centring and no sharpening — BYOL
# without its predictor (above), which the EMA alone did not hold up. One more run, about
# 4 s on one CPU core in quick mode.

# %%
no_rate = load_or_train(BASE.replace(method="simdino", coding_rate_weight=0.0), data=data)
pair = {"SimDINO (γ = 0.05)": simdino_run, "SimDINO, coding_rate_weight=0": no_rate}
display(report(pair))
fig = plots.history(list(pair.values()), labels=list(pair), keys=("loss", "embedding_std", "rankme"))
fig

# %%
std_off, rank_on, rank_off = std_ratio(no_rate), simdino_run.metrics["rankme"], no_rate.metrics["rankme"]
print(f"embedding std × √d: {std:.2f} with the coding rate, {std_off:.2f} without; "
      f"RankMe {rank_on:.0f} against {rank_off:.0f}")
# Seeds 0-2 (benchmarks/negative_controls.md): quick mode 0.96-0.97 against 0.32-0.36 and
# RankMe 116 against 29-35; full mode 0.99 against 0.26-0.31 and RankMe 124 against 10-13.
# The margins below leave room for seed noise on both sides.
assert std_off < 0.5 * std and std_off < 0.5, (std_off, std)
assert rank_off < 0.5 * rank_on, (rank_off, rank_on)

# %% [markdown]
# **What to notice**
# - Without the coding rate, the embedding std falls to a fraction of the healthy level
#   within the first log steps and RankMe drops by more than half: the distance term alone
#   is satisfied by embeddings that crowd into a few directions. The coding rate is what
#   held SimDINO's batch apart, as the centring/sharpening balance does for DINO above.
#
# ## Exercises
# 1. In the BYOL panel, set `predictor_depth=0` and try `ema_momentum` = 0.9, 0.99, 0.999.
#    Does a slower teacher delay the collapse or prevent it? (§3.4, chapter 11)
# 2. Keep `ema_momentum=0` and the predictor, but set `predictor_lr_mult=0.1`. Does a slow
#    predictor still prevent collapse?
# 3. In the DINO panel, find the `teacher_temp` above which the teacher goes flat. Does it
#    depend on `student_temp`?
# 4. Build a SimSiam panel, `knob_panel(simsiam, knobs=("stop_gradient", "predictor_lr_mult"), data=data)`,
#    turn `stop_gradient` off and set `predictor_lr_mult=10`. Is a fast predictor enough on its own?
# 5. Which of the collapsed runs above would you have caught from the loss curve alone?
#
# ## Summary
# Self-distillation trains a student to match a teacher on another view, with no negatives.
# The loss alone has a trivial minimum — a constant embedding — and a run that finds it
# shows a loss that keeps falling while the embedding std goes to 0; watch the std, not the
# loss. What keeps the methods away from it is asymmetry: SimSiam's stop-gradient, BYOL's
# predictor (the EMA teacher helps but is not enough on its own), DINO's centring *and*
# sharpening (each guards against one of two opposite collapses), or SimDINO's explicit
# coding-rate term. Paper: §2.3 of *A Cookbook of Self-Supervised Learning* (Balestriero
# et al., 2023, arXiv 2304.12210); the teacher-student tricks of §3.4 are chapter 11.
