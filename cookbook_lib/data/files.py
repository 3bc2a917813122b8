"""Datasets on disk, read in their official formats (`download.py` fetches CIFAR and STL-10 on request).

`load(name, root, image_size)` returns `(train_x, train_y, test_x, test_y, class_names)` as CPU tensors:
images uint8 (N, 3, S, S), labels long (N,).
"""
from __future__ import annotations

import pickle
import random
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

IMAGE_EXTS = (".png", ".jpg", ".jpeg", ".bmp", ".webp")
_WHERE = ("Put it under the data root (the checkout's data/ folder by default), or point the COOKBOOK_DATA "
          "environment variable or the data_path knob at the folder that holds it.")
_DOWNLOADABLE = {"cifar-10-batches-py": "cifar10", "cifar-100-python": "cifar100", "stl10_binary": "stl10"}


def resize_uint8(images: torch.Tensor, size: int) -> torch.Tensor:
    """Resize uint8 (N, C, H, W) images to size×size (antialiased), keep uint8 and 3 channels."""
    if images.shape[1] == 1:
        images = images.expand(-1, 3, -1, -1)
    if images.shape[-1] == size and images.shape[-2] == size:
        return images.contiguous()
    out = []
    for chunk in images.split(2048):
        x = F.interpolate(chunk.float(), size=(size, size), mode="bilinear", antialias=True, align_corners=False)
        out.append(x.round().clamp(0, 255).to(torch.uint8))
    return torch.cat(out)


def _missing(path: Path, layout: str, source: str) -> FileNotFoundError:
    name = next((n for folder, n in _DOWNLOADABLE.items() if folder in Path(path).parts), None)
    fetch = f"Download it with `python -m cookbook_lib download {name}` (into the data root). Or: " if name else ""
    return FileNotFoundError(f"expected {path} but it does not exist.\nLayout expected:\n{layout}\n"
                             f"Source: {source}.\n{fetch}{_WHERE}")


def _unpickle(path: Path, layout: str, source: str) -> dict:
    if not path.is_file():
        raise _missing(path, layout, source)
    with open(path, "rb") as f:
        return pickle.load(f, encoding="bytes")


def _from_rows(data, image_size: int) -> torch.Tensor:
    """CIFAR rows (N, 3072) = 1024 red, 1024 green, 1024 blue values, each plane row-major -> resized NCHW."""

    x = torch.from_numpy(np.asarray(data, dtype=np.uint8).reshape(-1, 3, 32, 32).copy())
    return resize_uint8(x, image_size)


def load_cifar10(root: Path, image_size: int = 32):
    """CIFAR-10 (Krizhevsky, "Learning Multiple Layers of Features from Tiny Images", 2009): 50,000 train /
    10,000 test 32×32 images, 10 classes. Reads the python-pickle version from `root/cifar-10-batches-py/`."""
    folder = Path(root) / "cifar-10-batches-py"
    layout = (f"  {folder}/\n    data_batch_1 ... data_batch_5\n    test_batch\n    batches.meta")
    source = "the CIFAR-10 python version from the CIFAR website (cifar-10-python.tar.gz, extracted)"
    if not folder.is_dir():
        raise _missing(folder, layout, source)
    train = [_unpickle(folder / f"data_batch_{i}", layout, source) for i in range(1, 6)]
    test = _unpickle(folder / "test_batch", layout, source)
    meta = _unpickle(folder / "batches.meta", layout, source)
    xtr = _from_rows(np.concatenate([b[b"data"] for b in train]), image_size)
    ytr = torch.tensor([y for b in train for y in b[b"labels"]], dtype=torch.long)
    xte, yte = _from_rows(test[b"data"], image_size), torch.tensor(test[b"labels"], dtype=torch.long)
    names = tuple(n.decode() if isinstance(n, bytes) else str(n) for n in meta[b"label_names"])
    return xtr, ytr, xte, yte, names


def load_cifar100(root: Path, image_size: int = 32):
    """CIFAR-100 (Krizhevsky, "Learning Multiple Layers of Features from Tiny Images", 2009): 50,000 train /
    10,000 test 32×32 images, 100 fine classes. Reads the python version from `root/cifar-100-python/`."""
    folder = Path(root) / "cifar-100-python"
    layout = f"  {folder}/\n    train\n    test\n    meta"
    source = "the CIFAR-100 python version from the CIFAR website (cifar-100-python.tar.gz, extracted)"
    if not folder.is_dir():
        raise _missing(folder, layout, source)
    train, test, meta = (_unpickle(folder / n, layout, source) for n in ("train", "test", "meta"))
    xtr, xte = _from_rows(train[b"data"], image_size), _from_rows(test[b"data"], image_size)
    ytr = torch.tensor(train[b"fine_labels"], dtype=torch.long)
    yte = torch.tensor(test[b"fine_labels"], dtype=torch.long)
    names = tuple(n.decode() if isinstance(n, bytes) else str(n) for n in meta[b"fine_label_names"])
    return xtr, ytr, xte, yte, names


def load_stl10(root: Path, image_size: int = 96):
    """STL-10 (Coates, Ng, Lee, "An Analysis of Single-Layer Networks in Unsupervised Feature Learning",
    AISTATS 2011): the labelled 5,000 train / 8,000 test 96×96 images, 10 classes (the unlabelled split is
    not read). Reads the binary version from `root/stl10_binary/`."""

    folder = Path(root) / "stl10_binary"
    layout = (f"  {folder}/\n    train_X.bin  train_y.bin\n    test_X.bin   test_y.bin\n    class_names.txt")
    source = "the STL-10 binary version from the STL-10 website (stl10_binary.tar.gz, extracted)"
    if not folder.is_dir():
        raise _missing(folder, layout, source)
    for n in ("train_X.bin", "train_y.bin", "test_X.bin", "test_y.bin", "class_names.txt"):
        if not (folder / n).is_file():
            raise _missing(folder / n, layout, source)

    def split(tag):
        x = np.fromfile(folder / f"{tag}_X.bin", dtype=np.uint8).reshape(-1, 3, 96, 96)
        x = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 1, 3, 2)))  # stored column-major per plane
        y = torch.from_numpy(np.fromfile(folder / f"{tag}_y.bin", dtype=np.uint8).astype(np.int64)) - 1
        if len(x) != len(y):
            raise ValueError(f"{folder}: {tag}_X.bin holds {len(x)} images but {tag}_y.bin {len(y)} labels")
        return resize_uint8(x, image_size), y

    (xtr, ytr), (xte, yte) = split("train"), split("test")
    names = tuple(line.strip() for line in (folder / "class_names.txt").read_text().splitlines() if line.strip())
    return xtr, ytr, xte, yte, names


def _images_in(folder: Path) -> list:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_EXTS)


def _read(paths, image_size: int, root: Path | None = None) -> torch.Tensor:
    """Read images with PIL as RGB, center-crop to a square, resize (bilinear) to image_size×image_size.

    A file PIL cannot decode (not an image, or truncated) raises a ValueError that names every
    such file and says what to do, after all the files were tried (nothing is skipped: the
    split and the labels stay those of the files in the folder)."""
    from PIL import Image

    out = np.empty((len(paths), image_size, image_size, 3), dtype=np.uint8)
    bad = []
    for i, p in enumerate(paths):
        try:
            with Image.open(p) as im:
                im = im.convert("RGB")  # decodes the whole file: a truncated one fails here
                w, h = im.size
                s = min(w, h)
                if w != h:
                    im = im.crop(((w - s) // 2, (h - s) // 2, (w - s) // 2 + s, (h - s) // 2 + s))
                if s != image_size:
                    im = im.resize((image_size, image_size), Image.BILINEAR)
                out[i] = np.asarray(im)
        except Exception as e:  # noqa: BLE001 - PIL raises OSError, SyntaxError, ValueError, zlib.error ...
            bad.append(f"  {p}: {type(e).__name__}: {e}")
    if bad:
        where = f" under {root}" if root is not None else ""
        shown = "\n".join(bad[:20]) + (f"\n  ... and {len(bad) - 20} more" if len(bad) > 20 else "")
        raise ValueError(f"imagefolder: {len(bad)} of {len(paths)} image files{where} could not be read "
                         f"(not an image, or damaged / truncated):\n{shown}\n"
                         f"Delete or replace {'it' if len(bad) == 1 else 'them'} (or move "
                         f"{'it' if len(bad) == 1 else 'them'} out of the dataset folder), then load again.")
    return torch.from_numpy(out).permute(0, 3, 1, 2).contiguous()


def load_imagefolder(root: Path, image_size: int = 64):
    """Your own images: `root/train/<class>/*` and `root/test/<class>/*` (or `val/`), or just
    `root/<class>/*`, split 80/20 per class with a fixed seed (0). Classes are sorted by folder name.
    Images are center-cropped to a square and resized with PIL bilinear filtering.
    A file with an image extension that PIL cannot decode (not an image, or truncated) is not
    skipped: a ValueError names every such file and asks you to delete or replace it."""
    root = Path(root)
    layout = (f"  {root}/<class name>/*.png|jpg|jpeg|bmp|webp   (one sub-folder per class), or\n"
              f"  {root}/train/<class name>/*  and  {root}/test/<class name>/*  (or val/)")
    if not root.is_dir():
        raise _missing(root, layout, "your own images, one sub-folder per class")
    test_dir = next((root / t for t in ("test", "val") if (root / t).is_dir()), None)
    if (root / "train").is_dir() and test_dir is not None:
        names = tuple(sorted(d.name for d in (root / "train").iterdir() if d.is_dir()))
        tr = [(p, c) for c, n in enumerate(names) for p in _images_in(root / "train" / n)]
        te = [(p, c) for c, n in enumerate(names) if (test_dir / n).is_dir() for p in _images_in(test_dir / n)]
        if not tr or not te:
            raise ValueError(f"imagefolder {root}: no images found in train/ or {test_dir.name}/\n{layout}")
    else:
        names = tuple(sorted(d.name for d in root.iterdir() if d.is_dir() and _images_in(d)))
        tr, te = [], []
        for c, n in enumerate(names):
            paths = _images_in(root / n)
            random.Random(0).shuffle(paths)
            n_test = max(1, round(0.2 * len(paths))) if len(paths) > 1 else 0
            te += [(p, c) for p in paths[:n_test]]
            tr += [(p, c) for p in paths[n_test:]]
        if not tr or not te:
            raise ValueError(f"imagefolder {root}: no images found (or too few to split 80/20)\n{layout}")
    if len(names) < 2:
        raise ValueError(f"imagefolder {root}: found a single class {names}; need at least two class folders")

    x = _read([p for p, _ in tr + te], image_size, root)  # one pass: a bad file anywhere is reported with the others
    y = torch.tensor([c for _, c in tr + te], dtype=torch.long)
    return x[:len(tr)], y[:len(tr)], x[len(tr):], y[len(tr):], names


LOADERS = {"cifar10": load_cifar10, "cifar100": load_cifar100, "stl10": load_stl10, "imagefolder": load_imagefolder}


def load(name: str, root: Path, image_size: int):
    """Load dataset `name` ("cifar10", "cifar100", "stl10", "imagefolder") from `root` at image_size.
    Returns CPU tensors (train_x uint8 NCHW, train_y long, test_x, test_y) and a tuple of class names."""
    if name not in LOADERS:
        raise ValueError(f"unknown on-disk dataset {name!r}: choose one of {', '.join(LOADERS)}")
    return LOADERS[name](Path(root), image_size)
