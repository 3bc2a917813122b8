"""Chapter 15 helpers (`cookbook_lib.beyond`): SCARF corruption, CLIP loss and captions,
VICRegL views with known correspondences, and the small run cache."""
import math

import torch
import torch.nn.functional as F

from cookbook_lib.beyond import (CLIP, LocalGlobal, caption_tokens, clip_loss, load_or_run, matched_locations,
                                 prompt_tokens, scarf_corrupt, shift_flip_views, vicregl_loss, zero_shot)
from cookbook_lib.data.shapes import FACTOR_CLASSES


def test_scarf_corrupt_rate_and_marginals():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(200, 7)
    assert torch.equal(scarf_corrupt(x, 0.0, g), x)
    out = scarf_corrupt(x, 0.3, g)
    changed = (out != x).float().mean()
    assert 0.2 < changed < 0.35  # ≈ rate (a few donors are the row itself)
    for j in range(7):  # every value of column j is a value column j takes in the batch
        assert torch.isin(out[:, j], x[:, j]).all()
    full = scarf_corrupt(x, 1.0, g)
    assert (full != x).float().mean() > 0.95


def test_clip_loss_matches_reference_and_is_symmetric():
    torch.manual_seed(0)
    u, v = F.normalize(torch.randn(5, 4), dim=1), F.normalize(torch.randn(5, 4), dim=1)
    scale = torch.tensor(math.log(10.0))
    s = 10 * u @ v.T
    ref = 0.5 * (-(s.diag() - s.logsumexp(1)).mean() - (s.diag() - s.logsumexp(0)).mean())
    assert torch.allclose(clip_loss(u, v, scale), ref, atol=1e-6)
    assert torch.allclose(clip_loss(u, v, scale), clip_loss(v, u, scale), atol=1e-6)
    assert clip_loss(u, u, torch.tensor(math.log(100.0))) < 0.05  # matched pairs: loss → 0


def test_captions_always_name_the_shape_and_prompts_are_one_token():
    n = 50
    f = {k: torch.randint(c, (n,)) for k, c in FACTOR_CLASSES.items()}
    full = caption_tokens(f, FACTOR_CLASSES)
    assert full.shape == (n, 6 + 8 + 3 + 9 + 8) and (full.sum(1) == 5).all()
    short = caption_tokens(f, FACTOR_CLASSES, keep_prob=0.0, g=torch.Generator().manual_seed(0))
    assert (short.sum(1) == 1).all() and torch.equal(short[:, :6].argmax(1), f["shape"])
    p = prompt_tokens("colour", FACTOR_CLASSES)
    assert p.shape == (8, full.shape[1]) and (p.sum(1) == 1).all() and torch.equal(p[:, 6:14], torch.eye(8))


def test_zero_shot_returns_one_prediction_per_image():
    torch.manual_seed(0)
    model = CLIP(34, representation_dim=16, embedding_dim=8, width=16).eval()
    images = torch.randint(0, 256, (5, 3, 16, 16), dtype=torch.uint8)
    pred = zero_shot(model, images, prompt_tokens("shape", FACTOR_CLASSES))
    assert pred.shape == (5,) and int(pred.max()) < 6


def test_matched_locations_see_the_same_pixels():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(16, 3, 32, 32, generator=g)
    for max_cells in (1, 2):
        v1, c1 = shift_flip_views(x, max_cells, g)
        v2, c2 = shift_flip_views(x, max_cells, g)
        assert v1.shape == x.shape and c1.shape == (16, 4, 4)
        i, a, b = matched_locations(c1, c2)
        assert len(i) >= 16 * (4 - max_cells) ** 2  # shifts of ≤ max_cells cells keep an overlap
        # block means of the 8×8 cells (invariant to a horizontal flip inside the block)
        m1, m2 = F.avg_pool2d(v1, 8).flatten(2), F.avg_pool2d(v2, 8).flatten(2)
        assert torch.allclose(m1[i, :, a], m2[i, :, b], atol=1e-6)
        # unmatched locations generally differ
        assert not torch.allclose(m1[:, :, 0], m2[:, :, 5])


def test_vicregl_local_term_reaches_only_when_weighted():
    torch.manual_seed(0)
    model = LocalGlobal(representation_dim=16, embedding_dim=8)
    g = torch.Generator().manual_seed(0)
    x = torch.rand(8, 3, 32, 32, generator=g)
    v1, c1 = shift_flip_views(x, 1, g)
    v2, c2 = shift_flip_views(x, 1, g)
    for weight, expect in ((0.0, False), (0.5, True)):
        model.zero_grad()
        vicregl_loss(model, v1, c1, v2, c2, weight).backward()
        got = any(p.grad is not None and p.grad.abs().sum() > 0 for p in model.local_projector.parameters())
        assert got == expect


def test_load_or_run_trains_once(runs_dir):
    calls = []

    def fit():
        calls.append(1)
        torch.manual_seed(1)
        return torch.nn.Linear(3, 2), [{"step": 0, "loss": 1.0}]

    m1, h1 = load_or_run("t", {"a": 1}, fit, lambda: torch.nn.Linear(3, 2))
    m2, h2 = load_or_run("t", {"a": 1}, fit, lambda: torch.nn.Linear(3, 2))
    assert len(calls) == 1 and h1 == h2 and torch.equal(m1.weight, m2.weight)
    load_or_run("t", {"a": 2}, fit, lambda: torch.nn.Linear(3, 2))
    assert len(calls) == 2
