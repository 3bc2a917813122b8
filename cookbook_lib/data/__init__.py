"""Datasets as uint8 tensors on the device: `load_dataset(name, ...) -> ImageData`.

`shapes`, `digits` and `scattered_digits` ship with the cookbook (rendered / bundled, no
download). `cifar10`, `cifar100`, `stl10` and `imagefolder` read files under the data root (`data_root()`) or
`data_path`; nothing downloads unless asked (`python -m cookbook_lib download cifar10`,
`data/download.py`).
"""
from __future__ import annotations

import dataclasses
import functools
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import torch

from ..device import pick_device
from .files import load as load_files
from .files import resize_uint8
from .scattered_digits import FACTOR_CLASSES as SCATTERED_FACTOR_CLASSES
from .scattered_digits import make_scattered_digits
from .shapes import FACTOR_CLASSES, SHAPE_NAMES, make_shapes

SHAPES_TRAIN, SHAPES_TEST = 8192, 2048  # images rendered for the train / test splits of shapes and scattered_digits


@dataclass(frozen=True, eq=False)
class ImageData:
    """A dataset held on the device. Images are uint8 (N, 3, S, S); labels are long (N,).

    Immutable (the loaded datasets are shared through a cache): a subset is a new object.
    `key` names a subset ('' for the whole dataset): `head`, `labelled` and `long_tailed` set
    it, and the run cache keeps runs on different subsets apart by it."""

    name: str
    train_images: torch.Tensor
    train_labels: torch.Tensor
    test_images: torch.Tensor
    test_labels: torch.Tensor
    class_names: tuple
    # generative factors (shapes only): name -> long (N,) classes, and their class counts
    train_factors: dict = field(default_factory=dict)
    test_factors: dict = field(default_factory=dict)
    factor_classes: dict = field(default_factory=dict)
    key: str = ""

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def image_size(self) -> int:
        return self.train_images.shape[-1]

    def head(self, n_train: int | None, n_test: int | None = None) -> "ImageData":
        """The first `n_train` training and `n_test` test images (all of them when None), with
        their labels and generative factors: a smaller, fixed dataset for quick experiments."""
        for name, n, have in (("n_train", n_train, len(self.train_images)), ("n_test", n_test, len(self.test_images))):
            if n is not None and not 1 <= n <= have:
                raise ValueError(f"{name}={n!r}: must be between 1 and {have}, the images {self.name!r} has")
        n_train = len(self.train_images) if n_train is None else n_train
        te = slice(n_test)
        sub = self.subset(torch.arange(n_train, device=self.train_labels.device), f"head{n_train}-{n_test or 'all'}")
        return dataclasses.replace(sub, test_images=self.test_images[te], test_labels=self.test_labels[te],
                                   test_factors={k: v[te] for k, v in self.test_factors.items()})

    def subset(self, idx: torch.Tensor, key: str) -> "ImageData":
        """The training images `idx` (the test split unchanged), named `key` (added to this
        data's own key, so a subset of a subset keeps both)."""
        if not key:
            raise ValueError("a subset needs a key (e.g. 'first500'): the run cache tells subsets apart by it")
        return dataclasses.replace(
            self, train_images=self.train_images[idx], train_labels=self.train_labels[idx],
            train_factors={k: v[idx] for k, v in self.train_factors.items()},
            key=f"{self.key}.{key}" if self.key else key)

    def labelled(self, per_class: int, seed: int = 0) -> "ImageData":
        """`per_class` training images of every class, drawn at random with `seed` (a
        different draw per seed: read a label-budget result over several draws). The test
        split is unchanged. ValueError when a class has fewer images."""
        return self.subset(self.labelled_index(per_class, seed), f"lab{per_class}-s{seed}")

    def labelled_index(self, per_class: int, seed: int = 0) -> torch.Tensor:
        """The indices into the training split of `labelled(per_class, seed)`'s images (to
        pick the same images out of features computed once for the whole split)."""
        labels = self.train_labels.cpu()
        g = torch.Generator().manual_seed(seed)
        keep = []
        for c in range(self.num_classes):
            pool = (labels == c).nonzero().flatten()
            if not 1 <= per_class <= len(pool):
                raise ValueError(f"per_class={per_class!r}: class {self.class_names[c]!r} has {len(pool)} training "
                                 f"images; use 1 to {len(pool)}")
            keep.append(pool[torch.randperm(len(pool), generator=g)[:per_class]])
        idx = torch.cat(keep)
        return idx[torch.randperm(len(idx), generator=g)].to(self.train_labels.device)

    def __repr__(self):
        return (f"ImageData({self.name!r}: {len(self.train_images)} train / {len(self.test_images)} test images "
                f"of {tuple(self.train_images.shape[1:])}, {self.num_classes} classes, "
                f"on {self.train_images.device})")


def data_root() -> Path:
    """Where datasets and cached runs live, whatever the current folder: `COOKBOOK_DATA` if
    set; else, when the library runs from a checkout, its `data/` folder; else (an installed
    package) the user's cache folder (`user_cache_dir`). Never inside site-packages."""
    if os.environ.get("COOKBOOK_DATA"):
        return Path(os.environ["COOKBOOK_DATA"]).expanduser()
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / "pyproject.toml").exists() and (checkout / "cookbook_lib").is_dir():
        return checkout / "data"
    return user_cache_dir()


def user_cache_dir(platform: str = sys.platform, env=os.environ) -> Path:
    """The platform's per-user cache folder for the cookbook: ~/Library/Caches/ssl_cookbook on
    macOS, %LOCALAPPDATA%\\ssl_cookbook\\Cache on Windows, $XDG_CACHE_HOME/ssl_cookbook (default
    ~/.cache/ssl_cookbook) elsewhere."""
    home = Path(env.get("HOME") or env.get("USERPROFILE") or Path.home())
    if platform == "darwin":
        return home / "Library" / "Caches" / "ssl_cookbook"
    if platform.startswith("win"):
        return Path(env.get("LOCALAPPDATA") or home / "AppData" / "Local") / "ssl_cookbook" / "Cache"
    return Path(env.get("XDG_CACHE_HOME") or home / ".cache") / "ssl_cookbook"


def _digit_ink():
    """scikit-learn's 1,797 handwritten 8×8 digits as float ink in [0, 1], (N, 1, 8, 8), and
    their labels, split 1,437 / 360 with a fixed permutation: (x_train, y_train, x_test, y_test)."""
    from sklearn.datasets import load_digits

    d = load_digits()
    x = torch.tensor(d.images, dtype=torch.float32)[:, None] / 16
    y = torch.tensor(d.target, dtype=torch.long)
    perm = torch.randperm(len(y), generator=torch.Generator().manual_seed(0))
    x, y = x[perm], y[perm]
    n_train = int(0.8 * len(y))
    return x[:n_train], y[:n_train], x[n_train:], y[n_train:]


def _digits(image_size: int):
    """The digits of `_digit_ink` as uint8 images, white on black, resized to `image_size`."""
    xtr, ytr, xte, yte = _digit_ink()
    as_uint8 = lambda x: resize_uint8((x * 255).round().to(torch.uint8), image_size)  # noqa: E731
    return as_uint8(xtr), ytr, as_uint8(xte), yte, tuple(str(i) for i in range(10))


def load_dataset(name: str = "shapes", image_size: int = 32, device="auto", data_path: str = "") -> ImageData:
    """Load a dataset onto `device` ("auto": the device `train` would pick; a name or a
    `torch.device`) as uint8 tensors, cached in memory for the session."""
    return _load(name, image_size, str(pick_device(str(device))), data_path)


@functools.lru_cache(maxsize=8)
def _load(name: str, image_size: int, device: str, data_path: str) -> ImageData:
    device = torch.device(device)
    if name == "shapes":
        xtr, ytr, ftr = make_shapes(SHAPES_TRAIN, image_size, seed=0, device=device)
        xte, yte, fte = make_shapes(SHAPES_TEST, image_size, seed=1, device=device)
        return ImageData("shapes", xtr, ytr, xte, yte, SHAPE_NAMES, ftr, fte, dict(FACTOR_CLASSES))
    if name == "scattered_digits":
        ink_tr, lab_tr, ink_te, lab_te = _digit_ink()
        xtr, ytr, ftr = make_scattered_digits(ink_tr, lab_tr, SHAPES_TRAIN, image_size, seed=0, device=device)
        xte, yte, fte = make_scattered_digits(ink_te, lab_te, SHAPES_TEST, image_size, seed=1, device=device)
        return ImageData("scattered_digits", xtr, ytr, xte, yte, tuple(str(i) for i in range(10)), ftr, fte,
                         dict(SCATTERED_FACTOR_CLASSES))
    if name == "digits":
        xtr, ytr, xte, yte, names = _digits(image_size)
    elif name in ("cifar10", "cifar100", "stl10", "imagefolder"):
        root = Path(data_path).expanduser() if data_path else data_root()
        xtr, ytr, xte, yte, names = load_files(name, root, image_size)
    else:
        raise ValueError(f"unknown dataset {name!r}: choose shapes, digits, scattered_digits, cifar10, cifar100, "
                         "stl10 or imagefolder")
    return ImageData(name, xtr.to(device), ytr.to(device), xte.to(device), yte.to(device), tuple(names))


def long_tailed(data: ImageData, ratio: float, size: int, seed: int = 0) -> ImageData:
    """A class-imbalanced subset of `data`'s training split, of `size` images in all.

    Class i (in label order) keeps a share proportional to ratio^(-i/(C-1)), the
    exponential profile of long-tailed benchmarks (Cui et al. 2019, arXiv 1901.05555; used
    for SSL by Liu et al. 2021, arXiv 2110.05025): the first class has `ratio` times as many
    images as the last, and ratio=1 gives a balanced subset. Every class keeps at least one
    image. The test split is left as it is (balanced), so a probe measures every class alike.
    Raises ValueError, before any work, when ratio < 1 or a class has fewer images than its share.
    """
    if not ratio >= 1:
        raise ValueError(f"ratio={ratio!r}: the imbalance ratio (largest class / smallest class) must be ≥ 1")
    labels = data.train_labels.cpu()
    num_classes = data.num_classes
    if not num_classes <= size <= len(labels):
        raise ValueError(f"size={size!r}: must be between {num_classes} (one image per class) and {len(labels)}")
    share = torch.tensor([ratio ** (-i / max(num_classes - 1, 1)) for i in range(num_classes)], dtype=torch.float64)
    counts = (share / share.sum() * size).floor().long().clamp(min=1)
    for c in range(size - int(counts.sum())):  # what rounding down left over: one more each, head first
        counts[c % num_classes] += 1
    counts[0] -= int(counts.sum()) - size  # a tail clamped up to one image each is paid for by the head
    g = torch.Generator().manual_seed(seed)
    keep = []
    for c in range(num_classes):
        pool = (labels == c).nonzero().flatten()
        if len(pool) < counts[c]:
            raise ValueError(f"ratio={ratio}, size={size}: class {data.class_names[c]!r} needs {int(counts[c])} "
                             f"images but has {len(pool)}; use a smaller size")
        keep.append(pool[torch.randperm(len(pool), generator=g)[:counts[c]]])
    idx = torch.cat(keep)
    idx = idx[torch.randperm(len(idx), generator=g)].to(data.train_labels.device)
    return data.subset(idx, f"lt{ratio:g}-{size}-s{seed}")
