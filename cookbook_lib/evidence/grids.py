"""The evidence grids, one per chapter experiment: `<chapter>.<experiment>` → `Grid`.

Each grid is the chapter's full-mode setting (the budget where its effect appears) with at
least three seeds. Changing a grid's base or values makes its stored runs stale: they are
left out when loaded and `python -m cookbook_lib evidence --grid NAME` trains the new ones.
"""
from __future__ import annotations

from . import Grid

# chapter 10's base run in full mode: SimCLR, the default 2-layer projector, 32-pixel shapes
_PROJECTOR = dict(method="simclr", dataset="shapes", image_size=32, batch_size=128, steps=300, log_every=25,
                  projector_depth=2, projector_width=512, embedding_dim=128)

# chapter 13's full-mode SimCLR: 32-pixel shapes, batch 128, 600 steps (chapter 03 reads it too)
_EVALUATION = dict(method="simclr", dataset="shapes", image_size=32, batch_size=128, steps=600, log_every=50)

GRIDS: dict[str, Grid] = {g.name: g for g in (
    Grid("10_projector.depth", _PROJECTOR, {"projector_depth": [0, 1, 2]}, measures=("linear_acc_z",),
         claim="what a projector does to the backbone's linear accuracy (§3.2; SimCLR's Fig. 8) and to its "
               "effective rank, against the embedding the loss sees (Jing et al. 2022)"),
    Grid("13_evaluation.temperature", _EVALUATION, {"temperature": [0.05, 0.1, 0.2, 0.5, 1.0, 2.0]},
         claim="label-free criteria (RankMe, α-ReQ) against the linear probe for choosing SimCLR's temperature "
               "(§3.7, Fig. 13), and the alignment / uniformity trade-off along τ (§2.2, Wang & Isola 2020)"),
)}
