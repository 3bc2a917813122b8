"""`scattered_digits`: scikit-learn's handwritten digits placed anywhere, at any size and colour.

`digits` itself is too easy to compare SSL methods on: every digit is centred, of one size,
white on black, so a linear probe on a random-init encoder already reads about 0.96 and
there is nothing left for a method to add. Here each image shows one digit (the label) drawn
in a random colour on a background of another hue, at a random size (0.5 to 0.9 of the
frame), position and small rotation (±20°). The nuisance factors now carry most of the pixel
variance, as in `shapes`, but the class is a handwritten stroke pattern with real intra-class
variation. The training images are drawn from the 1,437 training digits of `digits` and the
test images from its 360 others, so no digit image is on both sides (the 13 writers of the
scikit-learn set are on both, as in `digits`). A representation has to become invariant to
colour and placement while keeping the stroke shape.

Like `shapes`, the factors are drawn on the CPU from a seeded generator (the dataset is the
same on every device) and the images are rendered in torch on the device, 2× supersampled.
Factors (integer classes, for probes): digit, colour (8 hue bins), size (3 bins), position
(3×3 grid cell), background (8 hue bins).
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from .shapes import _hsv_to_rgb

FACTOR_CLASSES = {"digit": 10, "colour": 8, "size": 3, "position": 9, "background": 8}
MIN_SIZE, MAX_SIZE, MAX_ROTATION = 0.5, 0.9, math.radians(20)


def sample_factors(n: int, num_sources: int, seed: int) -> dict[str, torch.Tensor]:
    """Draw the factors of `n` images, each from one of `num_sources` digit images (CPU, seeded)."""
    g = torch.Generator().manual_seed(seed)
    u = lambda *s: torch.rand(*s, generator=g)  # noqa: E731
    source = torch.randint(num_sources, (n,), generator=g)
    hue_bin = torch.randint(8, (n,), generator=g)
    bg_bin = (hue_bin + torch.randint(2, 7, (n,), generator=g)) % 8  # a clearly different hue
    size = MIN_SIZE + (MAX_SIZE - MIN_SIZE) * u(n)  # the digit's side as a fraction of the frame
    pos = (u(n, 2) * 2 - 1) * (1 - size[:, None])  # the digit's centre, keeping its box inside the frame
    return dict(
        source=source, rotation=(u(n) * 2 - 1) * MAX_ROTATION, size=size, pos=pos,
        hue=(hue_bin + 0.15 + 0.7 * u(n)) / 8, saturation=0.6 + 0.4 * u(n), value=0.6 + 0.4 * u(n),
        bg_hue=(bg_bin + 0.15 + 0.7 * u(n)) / 8, bg_saturation=0.2 + 0.5 * u(n), bg_value=0.1 + 0.5 * u(n),
        colour_class=hue_bin, background_class=bg_bin,
    )


def factor_classes(f: dict[str, torch.Tensor], labels: torch.Tensor) -> dict[str, torch.Tensor]:
    """Integer classes of each factor (`labels`: the digit of each source image), for probes."""
    size_bin = ((f["size"] - MIN_SIZE) / (MAX_SIZE - MIN_SIZE) * 3).long().clamp(0, 2)
    cell = ((f["pos"] / (1 - f["size"][:, None]).clamp(min=1e-6) + 1) / 2 * 3).long().clamp(0, 2)
    return dict(digit=labels[f["source"]], colour=f["colour_class"], size=size_bin,
                position=cell[:, 1] * 3 + cell[:, 0], background=f["background_class"])


@torch.no_grad()
def render(ink: torch.Tensor, f: dict[str, torch.Tensor], image_size: int, device="cpu", chunk: int = 1024):
    """Render uint8 images (N, 3, S, S): the digit `ink[f["source"]]` (float (M, 1, h, w) in
    [0, 1]) resampled by an affine map (size, rotation, position) onto its background."""
    n, s = len(f["source"]), 2 * image_size
    ink = ink.to(device)
    out = torch.empty(n, 3, image_size, image_size, dtype=torch.uint8, device=device)
    for a in range(0, n, chunk):
        g = {k: t[a:a + chunk].to(device) for k, t in f.items()}
        m = len(g["size"])
        c, si = torch.cos(g["rotation"]), torch.sin(g["rotation"])
        # frame coordinates [-1, 1] → digit coordinates [-1, 1]: rotate, scale, shift
        theta = torch.stack([torch.stack([c, si, -(c * g["pos"][:, 0] + si * g["pos"][:, 1])], 1),
                             torch.stack([-si, c, si * g["pos"][:, 0] - c * g["pos"][:, 1]], 1)], 1)
        theta = theta / g["size"][:, None, None]
        grid = F.affine_grid(theta, (m, 1, s, s), align_corners=False)
        alpha = F.grid_sample(ink[g["source"]], grid, mode="bilinear", padding_mode="zeros", align_corners=False)
        fg = _hsv_to_rgb(g["hue"], g["saturation"], g["value"])[:, :, None, None]
        bg = _hsv_to_rgb(g["bg_hue"], g["bg_saturation"], g["bg_value"])[:, :, None, None]
        img = F.avg_pool2d(alpha * fg + (1 - alpha) * bg, 2)
        out[a:a + chunk] = (img * 255).round().clamp(0, 255).to(torch.uint8)
    return out


def make_scattered_digits(ink: torch.Tensor, labels: torch.Tensor, n: int, image_size: int = 32, seed: int = 0,
                          device="cpu"):
    """`n` images of the digits `ink` (float (M, 1, h, w) in [0, 1], labels (M,)), each drawn
    with its own factors; deterministic per seed.

    Returns (images uint8 (n, 3, S, S), labels long (n,), factors dict name → long (n,))."""
    f = sample_factors(n, len(labels), seed)
    images = render(ink, f, image_size, device)
    factors = {k: t.to(device) for k, t in factor_classes(f, labels.cpu()).items()}
    return images, factors["digit"], factors
