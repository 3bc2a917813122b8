"""Random augmentations applied to a whole batch on its device, with independent parameters
per image: random resized crop, horizontal flip, colour jitter, grayscale, Gaussian blur,
solarize, and multi-crop.

No Python loop over images: crop and flip are two batched matmuls with per-image
interpolation matrices; colour jitter is one per-image affine colour map; blur is one grouped
convolution with a per-image kernel. The recipe and its default strengths follow SimCLR
(Chen et al. 2020, arXiv 2002.05709, Appendix A) and multi-crop follows SwAV (Caron et al.
2020, arXiv 2006.09882). See benchmarks/augment_speed.py for the speed of this module
against kornia's.
"""
from __future__ import annotations

import contextlib
import math

import torch
import torch.nn.functional as F

_GRAY = (0.299, 0.587, 0.114)  # ITU-R 601 luma weights


_SHARD = (0, 1)  # (index, count): this process draws for count·n images and keeps slice `index`


@contextlib.contextmanager
def sharded(index: int, count: int):
    """Within this block, a batch of n images is treated as slice `index` of a batch of
    count·n: every random draw is made for the whole batch and this slice's part is used.
    So `count` processes, each augmenting its slice, make exactly the views one process
    makes for the whole batch with the same generator (see `distributed`)."""
    global _SHARD
    old, _SHARD = _SHARD, (index, count)
    try:
        yield
    finally:
        _SHARD = old


def uniform(shape, g, device) -> torch.Tensor:
    """Uniforms in [0, 1) of `shape` (batch first): this slice's share of the draw for the
    whole batch (see `sharded`), from the generator `g` (the global one when None)."""
    i, k = _SHARD
    n = shape[0]
    r = torch.rand((n * k, *shape[1:]), generator=g, device=device)
    return r if k == 1 else r[i * n:(i + 1) * n]


def _rand(n, g, device):
    """n uniforms in [0, 1): this image slice's share of the draw for the whole batch."""
    return uniform((n,), g, device)


def _u(n, lo, hi, g, device):
    return _rand(n, g, device) * (hi - lo) + lo


def to_float(images: torch.Tensor) -> torch.Tensor:
    """uint8 images → float in [0, 1] (float input is returned as is)."""
    return images.float().div_(255) if images.dtype == torch.uint8 else images


def grayscale(x: torch.Tensor) -> torch.Tensor:
    """(N, 3, H, W) → (N, 1, H, W) luma."""
    w = torch.tensor(_GRAY, device=x.device, dtype=x.dtype).view(1, 3, 1, 1)
    return (x * w).sum(1, keepdim=True)


def _interp_matrix(centre, half, size: int, length: int) -> torch.Tensor:
    """Per-image (size × length) linear-interpolation matrices that sample `size` points
    evenly across the window [centre − |half|, centre + |half|] of a signal of `length`
    pixels (coordinates in [−1, 1], pixel centres as in align_corners=False; a negative
    `half` reverses the window: a flip). Samples outside the signal repeat its edge."""
    n, dev = centre.shape[0], centre.device
    u = (torch.arange(size, device=dev, dtype=centre.dtype) + 0.5) / size * 2 - 1  # output pixel centres
    pos = ((half[:, None] * u + centre[:, None] + 1) * length - 1) / 2  # input pixel coordinate (n, size)
    lo = pos.floor()
    frac = pos - lo
    m = torch.zeros(n, size, length, device=dev, dtype=centre.dtype)
    m.scatter_add_(2, lo.long().clamp(0, length - 1)[..., None], (1 - frac)[..., None])
    m.scatter_add_(2, (lo.long() + 1).clamp(0, length - 1)[..., None], frac[..., None])
    return m


def _draw_crop(n, scale, ratio, flip_prob, g, dev) -> dict:
    area = _u(n, scale[0], scale[1], g, dev)
    logr = _u(n, math.log(ratio[0]), math.log(ratio[1]), g, dev)
    w = torch.sqrt(area * logr.exp()).clamp(max=1.0)  # crop width and height as fractions of the side
    h = torch.sqrt(area / logr.exp()).clamp(max=1.0)
    cx = (_rand(n, g, dev) * 2 - 1) * (1 - w)  # crop centre in [-1, 1] coordinates
    cy = (_rand(n, g, dev) * 2 - 1) * (1 - h)
    flip = _rand(n, g, dev) < flip_prob
    return dict(w=w, h=h, cx=cx, cy=cy, flip=flip)


def _apply_crop(x: torch.Tensor, p: dict, size: int) -> torch.Tensor:
    n = x.shape[0]
    c, hgt, wid = x.shape[1:]
    cols = _interp_matrix(p["cx"], torch.where(p["flip"], -p["w"], p["w"]), size, wid).to(x.dtype)  # (n, size, W)
    rows = _interp_matrix(p["cy"], p["h"], size, hgt).to(x.dtype)  # (n, size, H)
    t = torch.bmm(x.reshape(n, c * hgt, wid), cols.transpose(1, 2))  # columns: (n, C·H, size)
    t = t.view(n, c, hgt, size).permute(0, 2, 1, 3).reshape(n, hgt, c * size)
    return torch.bmm(rows, t).view(n, size, c, size).permute(0, 2, 1, 3).contiguous()  # rows


def resized_crop(x: torch.Tensor, size: int, scale=(0.08, 1.0), ratio=(3 / 4, 4 / 3), flip_prob=0.5,
                 g: torch.Generator | None = None) -> torch.Tensor:
    """Per-image random resized crop (area fraction in `scale`, aspect ratio in `ratio`) and
    horizontal flip, resampled bilinearly to size×size.

    Crops are axis-aligned, so bilinear resampling is separable: each image becomes
    R X Cᵀ with per-image interpolation matrices R (rows) and C (columns, reversed for a
    flip) — two batched matmuls, several times faster on a CPU than `grid_sample`."""
    return _apply_crop(x, _draw_crop(x.shape[0], scale, ratio, flip_prob, g, x.device), size)


def _draw_jitter(n, strength, prob, g, dev) -> dict:
    on = _rand(n, g, dev) < prob
    b = 0.8 * strength

    def factor():
        f = _u(n, max(0.0, 1 - b), 1 + b, g, dev)
        return torch.where(on, f, torch.ones_like(f))

    bright, contrast, sat = factor(), factor(), factor()
    angle = _u(n, -0.2 * strength, 0.2 * strength, g, dev) * on * 2 * math.pi
    return dict(bright=bright, contrast=contrast, sat=sat, angle=angle)


def _apply_jitter(x: torch.Tensor, p: dict) -> torch.Tensor:
    n, dev = x.shape[0], x.device
    bright, contrast, sat = (p[k].to(x.dtype) for k in ("bright", "contrast", "sat"))
    w = torch.tensor(_GRAY, device=dev, dtype=x.dtype)
    eye = torch.eye(3, device=dev, dtype=x.dtype)
    S = sat.view(n, 1, 1) * eye + (1 - sat).view(n, 1, 1) * w.expand(3, 3)  # rows: s·e_i + (1 − s)·w
    A = (contrast * bright).view(n, 1, 1) * (_hue_matrix(p["angle"].to(x.dtype), x.dtype) @ S)
    t = (1 - contrast) * bright * (x.mean((2, 3)) @ w)  # the mean luma, without a luma image
    return (torch.einsum("nij,njhw->nihw", A, x) + t.view(n, 1, 1, 1)).clamp_(0, 1)


def color_jitter(x: torch.Tensor, strength: float = 0.5, prob: float = 0.8, g=None) -> torch.Tensor:
    """SimCLR colour jitter with strength s, applied to each image with probability `prob`:
    brightness, contrast and saturation factors uniform in [1 − 0.8s, 1 + 0.8s] and a hue
    rotation uniform in ±0.2s of the colour wheel (a rotation of the YIQ chroma plane).

    Applied in that fixed order and, unlike torchvision, without clamping between the four
    steps, so that they compose into one affine colour map per image, x ↦ A x + t (one pass
    over the pixels instead of four):
        brightness x ↦ b x;  contrast x ↦ c x + (1 − c) mean_luma(x);
        saturation x ↦ S x with S = s I + (1 − s) 1 wᵀ (w: luma weights);  hue x ↦ H x,
    hence A = c b H S and t = (1 − c) b mean_luma(x), since S 1 = H 1 = 1.
    """
    return _apply_jitter(x, _draw_jitter(x.shape[0], strength, prob, g, x.device))


_RGB2YIQ = torch.tensor([[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]])


def _hue_matrix(angle: torch.Tensor, dtype) -> torch.Tensor:
    """Per-image 3×3 RGB maps that rotate the chroma plane (I, Q) of YIQ by `angle`."""
    n = angle.shape[0]
    to_yiq = _RGB2YIQ.to(angle.device, dtype)
    c, s = torch.cos(angle), torch.sin(angle)
    rot = torch.zeros(n, 3, 3, device=angle.device, dtype=dtype)
    rot[:, 0, 0] = 1
    rot[:, 1, 1], rot[:, 1, 2], rot[:, 2, 1], rot[:, 2, 2] = c, -s, s, c
    return torch.linalg.inv(to_yiq) @ rot @ to_yiq


def _apply_grayscale(x: torch.Tensor, on: torch.Tensor) -> torch.Tensor:
    idx = on.nonzero().flatten()
    if len(idx) == 0:
        return x
    x = x.clone() if x.requires_grad else x
    x[idx] = grayscale(x[idx]).expand(-1, 3, -1, -1)  # the luma of the chosen images only
    return x


def random_grayscale(x: torch.Tensor, prob: float = 0.2, g=None) -> torch.Tensor:
    return _apply_grayscale(x, _rand(x.shape[0], g, x.device) < prob)


def _draw_blur(n, prob, sigma, g, dev) -> torch.Tensor:
    s = _u(n, sigma[0], sigma[1], g, dev)
    return torch.where(_rand(n, g, dev) < prob, s, torch.full_like(s, 1e-3))


def _apply_blur(x: torch.Tensor, s: torch.Tensor, max_sigma: float) -> torch.Tensor:
    n, c, h, w = x.shape
    radius = max(1, min(int(math.ceil(2 * max_sigma)), (min(h, w) - 1) // 2))
    t = torch.arange(-radius, radius + 1, device=x.device, dtype=x.dtype)
    k = torch.exp(-0.5 * (t[None] / s.to(x.dtype)[:, None]) ** 2)
    k = (k / k.sum(1, keepdim=True)).repeat_interleave(c, 0)  # (n·c, 2r+1)
    y = x.reshape(1, n * c, h, w)
    y = F.conv2d(F.pad(y, (radius, radius, 0, 0), mode="reflect"), k[:, None, None, :], groups=n * c)
    y = F.conv2d(F.pad(y, (0, 0, radius, radius), mode="reflect"), k[:, None, :, None], groups=n * c)
    return y.view(n, c, h, w)


def gaussian_blur(x: torch.Tensor, prob: float = 0.5, sigma=(0.1, 2.0), g=None) -> torch.Tensor:
    """Blur each image with probability `prob` by a Gaussian of σ uniform in `sigma` pixels
    (separable, one grouped convolution per axis for the whole batch)."""
    return _apply_blur(x, _draw_blur(x.shape[0], prob, sigma, g, x.device), sigma[1])


def _apply_solarize(x: torch.Tensor, on: torch.Tensor, threshold: float = 0.5) -> torch.Tensor:
    return torch.where(on.view(-1, 1, 1, 1) & (x >= threshold), 1 - x, x)


def solarize(x: torch.Tensor, prob: float = 0.2, threshold: float = 0.5, g=None) -> torch.Tensor:
    return _apply_solarize(x, _rand(x.shape[0], g, x.device) < prob, threshold)


BLUR_SIGMA = (0.1, 2.0)


def _draw_view(n: int, config, g, dev, scale) -> list:
    """The random parameters of one view of n images, drawn in a fixed order (crop, jitter,
    grayscale, blur, solarize): the same draws whatever batch the view is applied in."""
    ops = [("crop", _draw_crop(n, scale, (3 / 4, 4 / 3), config.flip_prob, g, dev))]
    if config.jitter_prob > 0 and config.jitter_strength > 0:
        ops.append(("jitter", _draw_jitter(n, config.jitter_strength, config.jitter_prob, g, dev)))
    if config.grayscale_prob > 0:
        ops.append(("gray", _rand(n, g, dev) < config.grayscale_prob))
    if config.blur_prob > 0:
        ops.append(("blur", _draw_blur(n, config.blur_prob, BLUR_SIGMA, g, dev)))
    if config.solarize_prob > 0:
        ops.append(("solarize", _rand(n, g, dev) < config.solarize_prob))
    return ops


def _apply_view(x: torch.Tensor, ops: list, size: int) -> torch.Tensor:
    for name, p in ops:
        x = (_apply_crop(x, p, size) if name == "crop" else _apply_jitter(x, p) if name == "jitter"
             else _apply_grayscale(x, p) if name == "gray" else _apply_blur(x, p, BLUR_SIGMA[1]) if name == "blur"
             else _apply_solarize(x, p))
    return x


def _cat_ops(views: list) -> list:
    """The parameters of several views of the same images, stacked as one batch."""
    cat = lambda ps: (torch.cat(ps) if torch.is_tensor(ps[0])  # noqa: E731
                      else {k: torch.cat([p[k] for p in ps]) for k in ps[0]})
    return [(name, cat([v[i][1] for v in views])) for i, (name, _) in enumerate(views[0])]


def augment(images: torch.Tensor, config, g: torch.Generator | None = None, size: int | None = None,
            scale: tuple | None = None) -> torch.Tensor:
    """One random view of each image, with the strengths of a `RunConfig`.

    images: (N, 3, H, W) uint8 or float in [0, 1] → float (N, 3, size, size) in [0, 1].
    """
    x = to_float(images)
    ops = _draw_view(x.shape[0], config, g, x.device, scale or (config.crop_min_scale, 1.0))
    return _apply_view(x, ops, size or config.image_size)


def multi_crop(images: torch.Tensor, config, g: torch.Generator | None = None) -> list[torch.Tensor]:
    """Two large views at `image_size`, then `num_small_crops` small ones at `small_crop_size`
    whose area is drawn below `crop_min_scale` (SwAV's multi-crop).

    Each view's parameters are drawn as `augment` draws them, one view after the other, so
    the views are those of calling `augment` per view; views of one size are then computed
    as one batch (half the operations for the two large views)."""
    x = to_float(images)
    n, dev = x.shape[0], x.device
    small_scale = (min(0.05, config.crop_min_scale), config.crop_min_scale)
    views = []
    for count, size, scale in ((2, config.image_size, (config.crop_min_scale, 1.0)),
                               (config.num_small_crops, config.small_crop_size, small_scale)):
        if count:
            ops = _cat_ops([_draw_view(n, config, g, dev, scale) for _ in range(count)])
            views += list(_apply_view(x.repeat(count, 1, 1, 1), ops, size).chunk(count))
    return views
