"""Real datasets on request: `python -m cookbook_lib download cifar10` (or cifar100, stl10).

Nothing downloads unless asked. The archive comes through torchvision's downloader (its
progress bar, then the archive's MD5 checksum), from the address and checksum torchvision's
dataset classes record. It is fetched and unpacked inside a temporary folder beside the
data: only a complete, verified dataset is moved into place, so a broken connection, a
damaged archive or Ctrl-C leaves no half-written dataset behind. The loaders
(`files.load_cifar10` ...) then find the files where they expect them.
"""
from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..names import did_you_mean


@dataclass(frozen=True)
class Source:
    url: str
    md5: str
    folder: str  # what the archive unpacks to, and what the loader reads
    size: str    # for the message before downloading


def _torchvision(cls, size: str) -> Source:
    return Source(cls.url, cls.tgz_md5, cls.base_folder, size)


def sources() -> dict[str, Source]:
    """Dataset name → where torchvision's dataset class downloads it from, and its checksum."""
    from torchvision.datasets import CIFAR10, CIFAR100, STL10
    return {"cifar10": _torchvision(CIFAR10, "163 MB"), "cifar100": _torchvision(CIFAR100, "161 MB"),
            "stl10": _torchvision(STL10, "2.6 GB")}


def download(name: str, root: Path, progress=print) -> Path:
    """Fetch dataset `name` into `root` (the data root) unless it is already there; return its
    folder. Raises ValueError for a name it cannot download (before any work) and RuntimeError
    when the download fails or the archive does not match its checksum (nothing is kept)."""
    known = sources()
    if name not in known:
        raise ValueError(f"cannot download {name!r}.{did_you_mean(name, list(known))} Downloadable: "
                         f"{', '.join(known)}. `shapes` and `digits` ship with the cookbook; `imagefolder` "
                         f"reads your own images.")
    src, root = known[name], Path(root).expanduser()
    target = root / src.folder
    if target.exists():
        progress(f"{name}: already in {target}")
        return target
    root.mkdir(parents=True, exist_ok=True)
    from torchvision.datasets.utils import download_url, extract_archive
    progress(f"{name}: downloading {src.url} ({src.size}) into {root}")
    with tempfile.TemporaryDirectory(prefix=f".download-{name}-", dir=root) as tmp:  # removed on any exit
        archive = Path(tmp) / Path(src.url).name
        try:
            download_url(src.url, tmp, archive.name, md5=src.md5)
        except Exception as e:  # noqa: BLE001 - URLError, OSError, IncompleteRead, torchvision's RuntimeError
            raise RuntimeError(f"{name}: the download from {src.url} failed or the archive is damaged "
                               f"({type(e).__name__}: {e}); nothing was kept in {root}. Run the command "
                               f"again, or put the files there yourself (see `load_dataset`'s error for the "
                               f"layout).") from e
        unpacked = Path(tmp) / "unpacked"
        try:
            extract_archive(str(archive), str(unpacked))
        except Exception as e:  # noqa: BLE001 - tarfile.ReadError, EOFError ...
            raise RuntimeError(f"{name}: the archive passed its checksum but could not be unpacked "
                               f"({type(e).__name__}: {e}); nothing was kept in {root}.") from e
        if not (unpacked / src.folder).is_dir():
            raise RuntimeError(f"{name}: the archive holds no {src.folder}/ folder; nothing was kept in {root}.")
        shutil.move(str(unpacked / src.folder), str(target))
    progress(f"{name}: ready in {target}")
    return target
