"""`data.long_tailed`: the class-imbalanced subsets of chapter 08."""
import pytest
import torch

from cookbook_lib.data import load_dataset, long_tailed


@pytest.fixture(scope="module")
def shapes():
    return load_dataset("shapes", 16)


def counts(d):
    return torch.bincount(d.train_labels, minlength=d.num_classes).tolist()


def test_profile_size_and_ratio(shapes):
    d = long_tailed(shapes, 100, 2048)
    c = counts(d)
    assert sum(c) == 2048
    assert c == sorted(c, reverse=True) and len(set(c)) == len(c)  # strictly decreasing with the label
    assert 80 <= c[0] / c[-1] <= 125  # 100 up to rounding of the smallest class
    # the images, labels and factors stay aligned: each image's label is its shape factor
    assert torch.equal(d.train_labels, d.train_factors["shape"])
    assert d.test_images is shapes.test_images  # the test split stays balanced


def test_ratio_one_is_balanced_and_seeds_differ(shapes):
    a, b = long_tailed(shapes, 1, 600, seed=0), long_tailed(shapes, 1, 600, seed=1)
    assert counts(a) == [100] * 6
    assert not torch.equal(a.train_images, b.train_images)
    assert torch.equal(a.train_images, long_tailed(shapes, 1, 600, seed=0).train_images)


def test_images_come_from_the_training_split(shapes):
    d = long_tailed(shapes, 10, 300)
    flat = shapes.train_images.flatten(1)
    for img, label in zip(d.train_images[:20], d.train_labels[:20]):
        match = (flat == img.flatten()).all(1).nonzero().flatten()
        assert len(match) >= 1 and bool((shapes.train_labels[match] == label).all())


@pytest.mark.parametrize("ratio,size,words", [(0.5, 600, "must be ≥ 1"), (10, 3, "between 6"),
                                              (10, 10**6, "between 6"), (1000, 8000, "use a smaller size")])
def test_bad_input_is_refused(shapes, ratio, size, words):
    with pytest.raises(ValueError, match=words):
        long_tailed(shapes, ratio, size)


def test_extreme_ratio_keeps_one_image_per_class_and_the_size(shapes):
    c = counts(long_tailed(shapes, 1e9, 100))
    assert sum(c) == 100 and min(c) == 1 and c[0] == max(c)


def test_per_class_probe_matches_the_overall_accuracy():
    from cookbook_lib.evaluate import linear_probe

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
