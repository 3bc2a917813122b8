"""`shapes`: procedurally rendered images whose generative factors are known.

Each image shows one shape (the label) of some colour, size, position and rotation on a
plain background of another colour. (A soft background gradient was tried and dropped: its
direction survives crops and colour jitter, so contrastive methods matched views by it
instead of learning the shape — a shortcut; see chapter 09.) All factors are drawn on the CPU from a
seeded generator (so the dataset is the same on every device) and the images are rendered in
torch on the device, 2× supersampled for smooth edges. Because the factors are known, a
chapter can probe which of them a representation keeps.

Factors (integer classes, for probing): shape, colour (8 hue bins), size (3 bins),
position (3×3 grid cell), rotation (4 bins of the shape's symmetry period), background
(8 hue bins).
"""
from __future__ import annotations

import math

import torch

SHAPE_NAMES = ("circle", "square", "triangle", "plus", "ring", "star")
FACTOR_CLASSES = {"shape": len(SHAPE_NAMES), "colour": 8, "size": 3, "position": 9,
                  "rotation": 4, "background": 8}
_SYMMETRY = torch.tensor([2 * math.pi, math.pi / 2, 2 * math.pi / 3, math.pi / 2, 2 * math.pi, 2 * math.pi / 5])


def sample_factors(n: int, seed: int) -> dict[str, torch.Tensor]:
    """Draw the generative factors of `n` images (CPU, deterministic per seed)."""
    g = torch.Generator().manual_seed(seed)
    u = lambda *s: torch.rand(*s, generator=g)  # noqa: E731
    shape = torch.randint(len(SHAPE_NAMES), (n,), generator=g)
    hue_bin = torch.randint(8, (n,), generator=g)
    bg_bin = (hue_bin + torch.randint(2, 7, (n,), generator=g)) % 8  # a clearly different hue
    size = 0.35 + 0.25 * u(n)  # radius as a fraction of the half-width
    pos = (u(n, 2) * 2 - 1) * (0.95 - size[:, None])  # keep the shape inside the frame
    rotation = u(n) * _SYMMETRY[shape]
    return dict(
        shape=shape,
        hue=(hue_bin + 0.15 + 0.7 * u(n)) / 8, saturation=0.55 + 0.45 * u(n), value=0.55 + 0.45 * u(n),
        bg_hue=(bg_bin + 0.15 + 0.7 * u(n)) / 8, bg_saturation=0.2 + 0.5 * u(n), bg_value=0.15 + 0.7 * u(n),
        size=size, pos=pos, rotation=rotation,
        colour_class=hue_bin, background_class=bg_bin,
    )


def factor_classes(f: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Integer classes of each generative factor, for probes."""
    size_bin = ((f["size"] - 0.35) / 0.25 * 3).long().clamp(0, 2)
    cell = ((f["pos"] / (0.95 - f["size"][:, None]) + 1) / 2 * 3).long().clamp(0, 2)
    rot_bin = (f["rotation"] / _SYMMETRY[f["shape"]] * 4).long().clamp(0, 3)
    return dict(shape=f["shape"], colour=f["colour_class"], size=size_bin,
                position=cell[:, 1] * 3 + cell[:, 0], rotation=rot_bin, background=f["background_class"])


def _hsv_to_rgb(h, s, v):
    """(N,) each in [0, 1] → (N, 3) RGB."""
    k = torch.stack([(5 + h * 6) % 6, (3 + h * 6) % 6, (1 + h * 6) % 6], dim=1)
    return v[:, None] - v[:, None] * s[:, None] * (torch.minimum(k, 4 - k).clamp(0, 1))


def _mask(shape: int, u, v):
    """Inside-mask of one shape class at local coordinates u, v (unit radius)."""
    if shape == 0:  # circle
        return u * u + v * v < 0.81
    if shape == 1:  # square
        return torch.maximum(u.abs(), v.abs()) < 0.72
    if shape == 2:  # triangle: three half-planes
        sides = [u * math.cos(a) + v * math.sin(a) for a in (math.pi / 2, math.pi * 7 / 6, math.pi * 11 / 6)]
        return torch.stack(sides).amax(0) < 0.5
    if shape == 3:  # plus
        return ((u.abs() < 0.3) & (v.abs() < 0.95)) | ((v.abs() < 0.3) & (u.abs() < 0.95))
    r = torch.sqrt(u * u + v * v)
    if shape == 4:  # ring
        return (r < 0.95) & (r > 0.55)
    return r < 0.62 + 0.36 * torch.cos(5 * torch.atan2(v, u))  # star


@torch.no_grad()
def render(f: dict[str, torch.Tensor], image_size: int, device="cpu", chunk: int | None = None) -> torch.Tensor:
    """Render factors to uint8 images (N, 3, image_size, image_size) on `device`."""
    n, s = f["shape"].shape[0], 2 * image_size  # 2× supersampling
    chunk = chunk or (256 if torch.device(device).type == "cpu" else 8192)  # 256 keeps CPU temporaries in cache
    coords = (torch.arange(s, device=device, dtype=torch.float32) + 0.5) / s * 2 - 1
    yy, xx = torch.meshgrid(coords, coords, indexing="ij")
    xx, yy = xx.reshape(1, -1), yy.reshape(1, -1)
    out = torch.empty(n, 3, image_size, image_size, dtype=torch.uint8, device=device)
    for a in range(0, n, chunk):
        g = {k: t[a:a + chunk].to(device) for k, t in f.items()}
        dx, dy = xx - g["pos"][:, :1], yy - g["pos"][:, 1:]
        c, si = torch.cos(g["rotation"])[:, None], torch.sin(g["rotation"])[:, None]
        u = (c * dx + si * dy) / g["size"][:, None]
        v = (-si * dx + c * dy) / g["size"][:, None]
        inside = torch.empty_like(u)
        for k in range(len(SHAPE_NAMES)):
            idx = (g["shape"] == k).nonzero()[:, 0]
            inside[idx] = _mask(k, u[idx], v[idx]).float()
        inside = inside[:, None]  # (n, 1, P)
        fg = _hsv_to_rgb(g["hue"], g["saturation"], g["value"])[:, :, None]
        bg = _hsv_to_rgb(g["bg_hue"], g["bg_saturation"], g["bg_value"])[:, :, None]
        img = inside * fg + (1 - inside) * bg
        img = img.view(-1, 3, s, s)
        img = torch.nn.functional.avg_pool2d(img, 2)
        out[a:a + chunk] = (img * 255).round().clamp(0, 255).to(torch.uint8)
    return out


def make_shapes(n: int, image_size: int = 32, seed: int = 0, device="cpu"):
    """`n` shapes images with their labels and factor classes, deterministic per seed.

    Returns (images uint8 (n, 3, S, S), labels long (n,), factors dict name → long (n,)).
    """
    f = sample_factors(n, seed)
    images = render(f, image_size, device)
    factors = {k: t.to(device) for k, t in factor_classes(f).items()}
    return images, factors["shape"], factors
