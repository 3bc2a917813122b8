"""Embedded datasets: shapes is deterministic per seed and its factor labels are right; digits
loads; scattered_digits follows its factors and draws its train and test images from disjoint
digit images; subsets (`ImageData.head`) and the class-imbalanced subsets of chapter 08
(`long_tailed`)."""
import pytest
import torch

from cookbook_lib.data import _digit_ink, load_dataset, long_tailed, resize_uint8
from cookbook_lib.data.shapes import FACTOR_CLASSES, SHAPE_NAMES, make_shapes, render, sample_factors


def test_shapes_deterministic_per_seed_and_differs_across_seeds():
    a, ya, fa = make_shapes(64, 32, seed=5)
    b, yb, fb = make_shapes(64, 32, seed=5)
    c, _, _ = make_shapes(64, 32, seed=6)
    assert torch.equal(a, b) and torch.equal(ya, yb)
    assert all(torch.equal(fa[k], fb[k]) for k in fa)
    assert not torch.equal(a, c)
    assert a.dtype == torch.uint8 and a.shape == (64, 3, 32, 32)


def test_shapes_factors_cover_their_classes():
    _, y, f = make_shapes(4000, 16, seed=0)
    assert set(f) == set(FACTOR_CLASSES)
    for name, k in FACTOR_CLASSES.items():
        counts = torch.bincount(f[name], minlength=k)
        assert len(counts) == k and (counts > 0).all(), name
        assert counts.min() > 0.3 * counts.max(), name  # roughly balanced
    assert torch.equal(y, f["shape"])


def test_shapes_factor_labels_match_the_pixels():
    f = sample_factors(200, seed=3)
    imgs = render(f, 32).float()
    # the shape's colour: pixel at the shape's centre (all shapes but the ring cover it)
    cx = ((f["pos"][:, 0] + 1) / 2 * 32).long().clamp(0, 31)
    cy = ((f["pos"][:, 1] + 1) / 2 * 32).long().clamp(0, 31)
    centre = imgs[torch.arange(200), :, cy, cx] / 255
    corner = imgs[:, :, 0, 0] / 255
    solid = f["shape"] != SHAPE_NAMES.index("ring")
    # centre and corner pixels differ clearly: the shape stands out from the background
    assert ((centre - corner).abs().sum(1)[solid] > 0.1).float().mean() > 0.95
    # the left/right position class agrees with where the shape's pixels are
    from cookbook_lib.data.shapes import factor_classes

    col = factor_classes(f)["position"] % 3
    diff = (imgs - imgs[:, :, :1, :1]).abs().sum(1)  # distance from the corner (background) colour
    xs = torch.arange(32).float()
    mass_x = (diff.sum(1) * xs).sum(1) / diff.sum(1).sum(1)
    assert mass_x[col == 0].mean() < 14 < 18 < mass_x[col == 2].mean()


def test_load_dataset_shapes_and_digits():
    s = load_dataset("shapes", 16, "cpu")
    assert s.train_images.shape[1:] == (3, 16, 16) and s.num_classes == len(SHAPE_NAMES)
    assert set(s.train_factors) == set(FACTOR_CLASSES)
    d = load_dataset("digits", 16, "cpu")
    assert d.num_classes == 10 and d.train_images.dtype == torch.uint8
    assert len(d.train_images) + len(d.test_images) == 1797
    assert d.train_images.shape[1:] == (3, 16, 16)
    assert torch.equal(d.train_images[:, 0], d.train_images[:, 2])  # grey digits in 3 channels


def test_scattered_digits_deterministic_and_labels_are_the_source_digits():
    from cookbook_lib.data.scattered_digits import FACTOR_CLASSES as SD, make_scattered_digits, sample_factors
    ink, labels, _, _ = _digit_ink()
    a, ya, fa = make_scattered_digits(ink, labels, 300, 16, seed=4)
    b, yb, _ = make_scattered_digits(ink, labels, 300, 16, seed=4)
    c, _, _ = make_scattered_digits(ink, labels, 300, 16, seed=5)
    assert torch.equal(a, b) and torch.equal(ya, yb) and not torch.equal(a, c)
    assert a.dtype == torch.uint8 and a.shape == (300, 3, 16, 16)
    assert set(fa) == set(SD) and torch.equal(ya, fa["digit"])
    assert torch.equal(ya, labels[sample_factors(300, len(labels), seed=4)["source"]])
    for name, k in SD.items():
        counts = torch.bincount(fa[name], minlength=k)
        assert len(counts) == k and (counts > 0).all(), name


def test_scattered_digits_pixels_follow_the_factors():
    """The ink sits where the position factor says, and in the foreground colour: a digit drawn
    at the left has its ink mass left of centre; the frame's corner shows the background."""
    from cookbook_lib.data.scattered_digits import factor_classes, render, sample_factors
    ink, labels, _, _ = _digit_ink()
    f = sample_factors(400, len(labels), seed=2)
    imgs = render(ink, f, 32).float()
    col = factor_classes(f, labels)["position"] % 3
    diff = (imgs - imgs[:, :, :1, :1]).abs().sum(1)  # distance from the corner (background) colour
    xs = torch.arange(32).float()
    mass_x = (diff.sum(1) * xs).sum(1) / diff.sum(1).sum(1)
    assert mass_x[col == 0].mean() < 14.5 < 16.5 < mass_x[col == 2].mean()
    from cookbook_lib.data.shapes import _hsv_to_rgb
    bg = _hsv_to_rgb(f["bg_hue"], f["bg_saturation"], f["bg_value"]) * 255
    assert (imgs[:, :, 0, 0] - bg).abs().max() < 2  # corners are background (digit boxes stay inside)


def test_load_scattered_digits_keeps_train_and_test_digit_images_apart():
    """Train images come from the 1,437 training digit images only and test images from the
    360 test digit images, so a probe is never tested on a digit image it was trained on."""
    d = load_dataset("scattered_digits", 16, "cpu")
    assert d.num_classes == 10 and d.train_images.shape[1:] == (3, 16, 16)
    assert len(d.train_images) == 8192 and len(d.test_images) == 2048
    assert set(d.train_factors) == {"digit", "colour", "size", "position", "background"}
    from cookbook_lib.data.scattered_digits import render, sample_factors
    xtr, ytr, xte, yte = _digit_ink()
    for ink, labels, n, seed, images, split_labels in ((xtr, ytr, 8192, 0, d.train_images, d.train_labels),
                                                        (xte, yte, 2048, 1, d.test_images, d.test_labels)):
        f = sample_factors(n, len(labels), seed=seed)
        assert torch.equal(split_labels.cpu(), labels[f["source"]])
        first = {k: v[:32] for k, v in f.items()}
        assert torch.equal(images[:32].cpu(), render(ink, first, 16))


def test_resize_uint8_keeps_dtype_and_expands_grey():
    x = torch.randint(0, 256, (4, 1, 8, 8), dtype=torch.uint8)
    y = resize_uint8(x, 16)
    assert y.shape == (4, 3, 16, 16) and y.dtype == torch.uint8


def test_unknown_dataset_is_named():
    with pytest.raises(ValueError, match="unknown dataset 'mnist'"):
        load_dataset("mnist", 32, "cpu")


def test_head_keeps_the_first_images_with_their_labels_and_factors(shapes16):
    d = shapes16
    small = d.head(100, 40)
    assert len(small.train_images) == len(small.train_labels) == 100 and len(small.test_images) == 40
    assert torch.equal(small.train_images, d.train_images[:100]) and torch.equal(small.test_labels, d.test_labels[:40])
    assert all(torch.equal(small.train_factors[k], v[:100]) for k, v in d.train_factors.items())
    assert all(len(v) == 40 for v in small.test_factors.values())
    assert len(d.head(100).test_images) == len(d.test_images)  # n_test=None keeps every test image
    with pytest.raises(ValueError, match="n_train=0"):
        d.head(0)
    with pytest.raises(ValueError, match="n_test=99999"):
        d.head(10, 99999)


# ---------------------------------------------------------------- long_tailed (chapter 08)
def counts(d):
    return torch.bincount(d.train_labels, minlength=d.num_classes).tolist()


def test_long_tailed_profile_size_and_ratio(shapes16):
    d = long_tailed(shapes16, 100, 2048)
    c = counts(d)
    assert sum(c) == 2048
    assert c == sorted(c, reverse=True) and len(set(c)) == len(c)  # strictly decreasing with the label
    assert 80 <= c[0] / c[-1] <= 125  # 100 up to rounding of the smallest class
    # the images, labels and factors stay aligned: each image's label is its shape factor
    assert torch.equal(d.train_labels, d.train_factors["shape"])
    assert d.test_images is shapes16.test_images  # the test split stays balanced


def test_long_tailed_ratio_one_is_balanced_and_seeds_differ(shapes16):
    a, b = long_tailed(shapes16, 1, 600, seed=0), long_tailed(shapes16, 1, 600, seed=1)
    assert counts(a) == [100] * 6
    assert not torch.equal(a.train_images, b.train_images)
    assert torch.equal(a.train_images, long_tailed(shapes16, 1, 600, seed=0).train_images)


def test_long_tailed_images_come_from_the_training_split(shapes16):
    d = long_tailed(shapes16, 10, 300)
    flat = shapes16.train_images.flatten(1)
    for img, label in zip(d.train_images[:20], d.train_labels[:20]):
        match = (flat == img.flatten()).all(1).nonzero().flatten()
        assert len(match) >= 1 and bool((shapes16.train_labels[match] == label).all())


@pytest.mark.parametrize("ratio,size,words", [(0.5, 600, "must be ≥ 1"), (10, 3, "between 6"),
                                              (10, 10**6, "between 6"), (1000, 8000, "use a smaller size")])
def test_long_tailed_bad_input_is_refused(shapes16, ratio, size, words):
    with pytest.raises(ValueError, match=words):
        long_tailed(shapes16, ratio, size)


def test_long_tailed_extreme_ratio_keeps_one_image_per_class_and_the_size(shapes16):
    c = counts(long_tailed(shapes16, 1e9, 100))
    assert sum(c) == 100 and min(c) == 1 and c[0] == max(c)
