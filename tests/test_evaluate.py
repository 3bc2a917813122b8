"""Probes on constructed features whose answer is known, checked against scikit-learn's
LogisticRegression and KNeighborsClassifier; per-class recall; fine-tuning (chapter 06)."""
import math

import numpy as np
import pytest
import torch

from cookbook_lib.evaluate import chance, embed, fine_tune, knn, linear_probe, linear_probes, mlp_probe
from cookbook_lib.nets import convnet


def blobs(n=400, d=8, k=4, spread=0.3, seed=0, centres_seed=None):
    """n points around k Gaussian centres. The centres come from `centres_seed` (default:
    `seed`), the labels and noise from `seed`: a second draw with the same `centres_seed` is
    a held-out sample of the same classes."""
    gc = torch.Generator().manual_seed(seed if centres_seed is None else centres_seed)
    centres = torch.randn(k, d, generator=gc) * 3
    g = torch.Generator().manual_seed(seed) if centres_seed is not None else gc
    y = torch.randint(k, (n,), generator=g)
    return centres[y] + spread * torch.randn(n, d, generator=g), y


def xor(n=800, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 2, generator=g) * 2 - 1
    y = ((x[:, 0] > 0) ^ (x[:, 1] > 0)).long()
    return x, y


def test_linear_probe_and_knn_on_separable_blobs():
    xtr, ytr = blobs(seed=0)
    xte, yte = blobs(n=200, seed=1, centres_seed=0)  # held out: same classes, new points
    assert not (torch.cdist(xte, xtr).min(1).values < 1e-3).any()  # no test point is a training point
    assert linear_probe(xtr, ytr, xte, yte) > 0.97
    assert knn(xtr, ytr, xte, yte) > 0.97
    # the probes use the labels they are given: relabelled classes are learnt as such
    perm = torch.tensor([2, 3, 0, 1])
    assert linear_probe(xtr, perm[ytr], xte, perm[yte]) > 0.97 and knn(xtr, perm[ytr], xte, yte) < 0.1


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


# ---------------------------------------------------------------- against scikit-learn
def overlapping_blobs(n, seed):
    """5 overlapping classes in 16 dimensions, each feature on its own scale (so standardising
    matters): a problem where a probe's accuracy is far from 0 and 1 and tells fits apart."""
    gc = torch.Generator().manual_seed(0)
    centres, scales = torch.randn(5, 16, generator=gc), torch.rand(16, generator=gc) * 4 + 0.5
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(5, (n,), generator=g)
    return (centres[y] + 1.6 * torch.randn(n, 16, generator=g)) * scales, y


def test_linear_probe_agrees_with_sklearn_logistic_regression():
    """`linear_probe`: features standardised with the training mean and std, a linear layer
    with softmax cross-entropy, weight decay 1e-4 (tiny: next to unregularised). sklearn's
    multinomial LogisticRegression on StandardScaler features with C = 1e4 (≈ no penalty)
    fits the same model to convergence. The probe takes 300 AdamW steps instead, so the two
    differ only for points near a decision boundary: measured on this problem, accuracies
    0.888 vs 0.895 and 96.5 % identical predictions (seeds of the centres 0–4: accuracy
    differences ≤ 0.01, agreement ≥ 96 %). Asserted: accuracy within 0.02 (20 of 1,000 test
    points), per-class recall within 0.05, ≥ 93 % identical predictions."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    xtr, ytr = overlapping_blobs(2000, 1)
    xte, yte = overlapping_blobs(1000, 2)
    scaler = StandardScaler().fit(xtr.numpy())
    sk = LogisticRegression(C=1e4, max_iter=5000).fit(scaler.transform(xtr.numpy()), ytr.numpy())
    sk_pred = sk.predict(scaler.transform(xte.numpy()))
    sk_acc = float((sk_pred == yte.numpy()).mean())
    ours = linear_probe(xtr, ytr, xte, yte)
    assert 0.7 < sk_acc < 0.95  # a problem that tells probes apart
    assert abs(ours - sk_acc) <= 0.02, (ours, sk_acc)
    sk_recall = [float((sk_pred[yte.numpy() == c] == c).mean()) for c in range(5)]
    ours_recall = linear_probe(xtr, ytr, xte, yte, per_class=True)
    assert np.allclose(ours_recall, sk_recall, atol=0.05), (ours_recall, sk_recall)
    # scored against sklearn's predictions, the probe's accuracy is the share of identical predictions
    assert linear_probe(xtr, ytr, xte, torch.from_numpy(sk_pred)) >= 0.93


def test_knn_agrees_with_sklearn_kneighbors_exactly():
    """`knn`: cosine similarity, the k = 20 most similar training points, each voting for its
    class with weight exp(similarity / 0.07). sklearn: KNeighborsClassifier(20, metric="cosine")
    (distance = 1 − similarity) with weights exp((1 − distance) / 0.07). Same neighbours and
    weights, so the same predictions, except where float32 (ours) and float64 (sklearn) can
    rank differently: a 20th and 21st neighbour closer than 1e-5 in similarity, or two classes
    whose vote totals are within 1e-4 of each other; those test points are left out."""
    from sklearn.neighbors import KNeighborsClassifier

    xtr, ytr = overlapping_blobs(2000, 1)
    xte, yte = overlapping_blobs(1000, 2)
    sk = KNeighborsClassifier(n_neighbors=20, metric="cosine", algorithm="brute",
                              weights=lambda d: np.exp((1 - d) / 0.07)).fit(xtr.numpy(), ytr.numpy())
    sk_pred = sk.predict(xte.numpy())
    a, b = xtr.double().numpy(), xte.double().numpy()
    sim = (b / np.linalg.norm(b, axis=1, keepdims=True)) @ (a / np.linalg.norm(a, axis=1, keepdims=True)).T
    order = np.argsort(-sim, axis=1)
    ranked = np.take_along_axis(sim, order, 1)
    votes = np.zeros((len(b), 5))
    np.add.at(votes, (np.arange(len(b))[:, None], ytr.numpy()[order[:, :20]]), np.exp(ranked[:, :20] / 0.07))
    top2 = np.sort(votes, 1)[:, -2:]
    clear = (ranked[:, 19] - ranked[:, 20] > 1e-5) & (top2[:, 1] - top2[:, 0] > 1e-4 * top2[:, 1])
    assert clear.sum() > 950  # near-ties are rare
    assert (votes.argmax(1) == sk_pred)[clear].all()  # the reference above is sklearn's rule
    keep = torch.from_numpy(clear)
    # scored against sklearn's predictions, kNN's accuracy is 1 exactly when every prediction agrees
    assert knn(xtr, ytr, xte[keep], torch.from_numpy(sk_pred)[keep]) == 1.0
    assert knn(xtr, ytr, xte, yte) == pytest.approx(float((sk_pred == yte.numpy()).mean()), abs=(~clear).mean())
    assert 0.6 < float((sk_pred == yte.numpy()).mean()) < 0.95
    # a different rule (euclidean neighbours, unweighted votes) does not agree everywhere
    other = KNeighborsClassifier(n_neighbors=20).fit(xtr.numpy(), ytr.numpy()).predict(xte.numpy())
    assert knn(xtr, ytr, xte[keep], torch.from_numpy(other)[keep]) < 0.99


# ---------------------------------------------------------------- per-class recall (chapter 08)
def test_per_class_probe_matches_the_overall_accuracy():
    g = torch.Generator().manual_seed(0)
    y = torch.arange(3).repeat(100)
    x = torch.randn(300, 8, generator=g) + 1.5 * torch.nn.functional.one_hot(y, 8).float()
    y_test = torch.tensor([0] * 50 + [1] * 30 + [2] * 20)
    x_test = torch.randn(100, 8, generator=g) + 1.5 * torch.nn.functional.one_hot(y_test, 8).float()
    overall = linear_probe(x, y, x_test, y_test)
    recall = linear_probe(x, y, x_test, y_test, per_class=True)
    assert len(recall) == 3 and all(0 <= r <= 1 for r in recall)
    weighted = (50 * recall[0] + 30 * recall[1] + 20 * recall[2]) / 100
    assert abs(weighted - overall) < 1e-6 and 0.5 < overall < 1.0  # learnable, not perfect


# ---------------------------------------------------------------- few-label probes (chapters 01, 02, 15)
def test_batched_few_label_probes_equal_one_probe_per_draw():
    xtr, ytr = blobs(n=600, d=16, spread=2.5, seed=0)  # overlapping classes: accuracies differ by draw
    xte, yte = blobs(n=300, d=16, spread=2.5, seed=1, centres_seed=0)
    g = torch.Generator().manual_seed(3)
    draws = [torch.cat([(ytr == c).nonzero().flatten()[torch.randperm(int((ytr == c).sum()), generator=g)[:k]]
                        for c in range(4)]) for k in (2, 2, 2, 5)]
    alone = [linear_probe(xtr[i], ytr[i], xte, yte) for i in draws[:3]]
    together = linear_probes(xtr, ytr, xte, yte, draws[:3])
    assert len(set(alone)) > 1  # the draws give different probes, so the comparison means something
    assert max(abs(a - b) for a, b in zip(alone, together)) <= 1 / len(yte)  # at most one test point apart
    # subsets of different sizes are fitted one at a time, with the same answers
    mixed = linear_probes(xtr, ytr, xte, yte, [draws[0], draws[3]])
    assert mixed == [linear_probe(xtr[i], ytr[i], xte, yte) for i in (draws[0], draws[3])]
    assert all(math.isnan(a) for a in linear_probes(xtr * float("nan"), ytr, xte, yte, draws[:2]))


# ---------------------------------------------------------------- fine-tuning (chapter 06)
def coloured(n, seed):
    """Images whose class (0, 1, 2) is the channel that is bright, plus noise."""
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(3, (n,), generator=g)
    x = 0.3 * torch.rand(n, 3, 8, 8, generator=g)
    x[torch.arange(n), y] += 0.6
    return x, y


def test_fine_tune_learns_leaves_backbone_alone_and_is_deterministic():
    xtr, ytr = coloured(256, 0)
    xte, yte = coloured(128, 1)
    torch.manual_seed(0)
    net = convnet(16)
    before = {k: v.clone() for k, v in net.state_dict().items()}
    acc = fine_tune(net, xtr, ytr, xte, yte, steps=40, batch_size=32, lr=3e-3)
    assert acc > 0.9, acc
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())  # a copy was trained
    assert fine_tune(net, xtr, ytr, xte, yte, steps=40, batch_size=32, lr=3e-3) == acc
