"""Augmentations: per-image randomness, shapes, dtypes and ranges, and each op's effect."""
import torch

from cookbook_lib import RunConfig, augment
from cookbook_lib.data import load_dataset


def batch(n=64, size=32):
    return load_dataset("shapes", size, "cpu").train_images[:n]


def g(seed=0):
    return torch.Generator().manual_seed(seed)


def test_shape_dtype_range_and_per_image_independence():
    x = batch()
    cfg = RunConfig()
    v = augment.augment(x, cfg, g())
    assert v.shape == (64, 3, 32, 32) and v.dtype == torch.float32
    assert v.min() >= 0 and v.max() <= 1
    # the same image repeated gets different views: parameters are drawn per image
    same = x[:1].expand(16, -1, -1, -1)
    views = augment.augment(same, cfg, g())
    diffs = (views[1:] - views[:1]).abs().flatten(1).mean(1)
    assert (diffs > 1e-3).all()
    # the same generator seed gives the same views
    assert torch.equal(augment.augment(x, cfg, g(3)), augment.augment(x, cfg, g(3)))


def test_identity_settings_keep_the_image():
    x = batch(8)
    cfg = RunConfig(crop_min_scale=1.0, flip_prob=0.0, jitter_prob=0.0, grayscale_prob=0.0)
    v = augment.augment(x, cfg, g())
    # a full-area crop with ratio ≠ 1 still rescales a little; at ratio 1 it is the identity
    exact = augment.resized_crop(augment.to_float(x), 32, scale=(1, 1), ratio=(1, 1), flip_prob=0, g=g())
    assert torch.allclose(exact, augment.to_float(x), atol=1e-5)
    assert (v - augment.to_float(x)).abs().mean() < 0.05


def test_flip_mirrors():
    x = augment.to_float(batch(4))
    f = augment.resized_crop(x, 32, scale=(1, 1), ratio=(1, 1), flip_prob=1.0, g=g())
    assert torch.allclose(f, x.flip(-1), atol=1e-5)


def test_grayscale_and_solarize():
    x = augment.to_float(batch(8))
    gray = augment.random_grayscale(x, prob=1.0, g=g())
    assert torch.allclose(gray[:, 0], gray[:, 1]) and torch.allclose(gray[:, 1], gray[:, 2])
    sol = augment.solarize(x, prob=1.0, g=g())
    assert torch.allclose(sol, torch.where(x >= 0.5, 1 - x, x))


def test_color_jitter_changes_colour_not_layout():
    x = augment.to_float(batch(32))
    j = augment.color_jitter(x, strength=1.0, prob=1.0, g=g())
    assert (j - x).abs().mean() > 0.03
    assert j.min() >= 0 and j.max() <= 1
    assert torch.allclose(augment.color_jitter(x, strength=1.0, prob=0.0, g=g()), x, atol=1e-5)


def test_blur_smooths_and_keeps_mean():
    checker = ((torch.arange(32)[:, None] + torch.arange(32)[None]) % 2).float()
    x = checker.expand(16, 3, 32, 32).clone()
    b = augment.gaussian_blur(x, prob=1.0, sigma=(1.5, 2.0), g=g())
    assert (b - 0.5).abs().max() < 0.05  # a 1-pixel checkerboard blurs to flat grey
    assert torch.allclose(b.mean((1, 2, 3)), x.mean((1, 2, 3)), atol=0.02)
    x = augment.to_float(batch(16))
    assert torch.allclose(augment.gaussian_blur(x, prob=0.0, g=g()), x, atol=1e-5)


def test_multi_crop_sizes():
    x = batch(8)
    views = augment.multi_crop(x, RunConfig(num_small_crops=3, small_crop_size=12), g())
    assert [v.shape[-1] for v in views] == [32, 32, 12, 12, 12]


def test_crop_resampling_matches_bilinear_interpolation():
    import torch.nn.functional as F

    x = augment.to_float(batch(8))
    for size in (16, 24, 48):
        ours = augment.resized_crop(x, size, scale=(1, 1), ratio=(1, 1), flip_prob=0, g=g())
        ref = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False, antialias=False)
        assert torch.allclose(ours, ref, atol=1e-5), size


def test_crop_zooms_into_a_region():
    # a small crop of an image that is black on the left and white on the right is mostly
    # one colour: a crop sees part of the image, not all of it
    x = torch.zeros(64, 3, 32, 32)
    x[..., 16:] = 1
    v = augment.resized_crop(x, 32, scale=(0.05, 0.05), ratio=(1, 1), flip_prob=0, g=g())
    frac_white = v.mean((1, 2, 3))
    assert ((frac_white < 0.2) | (frac_white > 0.8)).float().mean() > 0.6
