"""Probes on constructed features whose answer is known."""
import math

import torch

from cookbook_lib.evaluate import chance, embed, knn, linear_probe, mlp_probe


def blobs(n=400, d=8, k=4, spread=0.3, seed=0):
    g = torch.Generator().manual_seed(seed)
    centres = torch.randn(k, d, generator=g) * 3
    y = torch.randint(k, (n,), generator=g)
    return centres[y] + spread * torch.randn(n, d, generator=g), y


def xor(n=800, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 2, generator=g) * 2 - 1
    y = ((x[:, 0] > 0) ^ (x[:, 1] > 0)).long()
    return x, y


def test_linear_probe_and_knn_on_separable_blobs():
    xtr, ytr = blobs(seed=0)
    xte, yte = blobs(seed=0)[0][:100] + 0.01, blobs(seed=0)[1][:100]
    assert linear_probe(xtr, ytr, xte, yte) > 0.97
    assert knn(xtr, ytr, xte, yte) > 0.97


def test_probes_at_chance_on_random_labels():
    xtr, _ = blobs(seed=1)
    g = torch.Generator().manual_seed(5)
    ytr, yte = torch.randint(4, (400,), generator=g), torch.randint(4, (400,), generator=g)
    assert linear_probe(xtr, ytr, xtr, yte) < 0.4
    assert knn(xtr, ytr, xtr, yte) < 0.4


def test_mlp_probe_solves_what_a_linear_probe_cannot():
    xtr, ytr = xor(seed=0)
    xte, yte = xor(seed=1)
    lin = linear_probe(xtr, ytr, xte, yte)
    mlp = mlp_probe(xtr, ytr, xte, yte, steps=400)
    assert lin < 0.7 < 0.9 < mlp, (lin, mlp)


def test_nan_features_give_nan_not_an_exception():
    xtr, ytr = blobs()
    bad = xtr.clone()
    bad[0, 0] = float("nan")
    assert math.isnan(linear_probe(bad, ytr, xtr, ytr))
    assert math.isnan(knn(bad, ytr, xtr, ytr))
    assert math.isnan(mlp_probe(bad, ytr, xtr, ytr, steps=5))


def test_embed_batches_and_chance():
    images = torch.randint(0, 256, (10, 3, 4, 4), dtype=torch.uint8)
    out = embed(lambda x: (x.mean((2, 3)), x.amax((1, 2, 3))), images, batch_size=3)
    assert out[0].shape == (10, 3) and out[1].shape == (10,)
    assert torch.allclose(out[0], images.float().div(255).mean((2, 3)))
    assert chance(torch.tensor([0, 0, 1, 2])) == 0.5
