"""`python -m cookbook_lib notebooks` and `python -m cookbook_lib lab`: what `make notebooks`
and `make lab` do, for anyone without `make` (Windows, a pip install).

The chapters are `chapters/NN_slug.py` files (jupytext py:percent). `notebooks` pairs each one
with a generated `.ipynb` (only chapters whose `.py` is newer than their notebook are synced),
and `lab` then opens JupyterLab on the quickstart, with the paired `.py` files hidden from the
file browser so that each chapter shows once. Both need a checkout of the cookbook (its
`chapters/` folder) and the packages of requirements.txt.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

QUICKSTART = "chapters/00_quickstart.ipynb"
HIDDEN = '["__pycache__","*.pyc","*.pyo",".DS_Store","*~","[0-9][0-9]_*.py"]'  # the paired sources


def find_root(start: Path | None = None, home: Path | None = None) -> Path:
    """The checkout that holds `chapters/`: `home` (default: the one this package lives in),
    else `start` (default: the current folder) or one of its parents."""
    home = Path(home) if home else Path(__file__).resolve().parents[1]
    start = Path(start or os.getcwd()).resolve()
    for root in (home, start, *start.parents):
        if (root / "chapters").is_dir() and any((root / "chapters").glob("[0-9][0-9]_*.py")):
            return root
    raise SystemExit("error: no chapters/ folder with NN_slug.py chapters here or above. Run this from a clone of "
                     "the cookbook (git clone the repository, then `pip install -r requirements.txt -e .` in it), "
                     "or open a chapter's notebook in Colab from the README's links.")


def stale(root: Path) -> list[Path]:
    """Chapters whose notebook is missing or older than their `.py`."""
    out = []
    for src in sorted((root / "chapters").glob("[0-9][0-9]_*.py")):
        nb = src.with_suffix(".ipynb")
        if not nb.exists() or src.stat().st_mtime > nb.stat().st_mtime:
            out.append(src)
    return out


def sync(root: Path, log=print) -> list[Path]:
    """Pair every stale chapter with its notebook (one jupytext call), then mark every
    notebook as up to date. Returns the chapters synced."""
    todo = stale(root)
    if todo:
        subprocess.run([sys.executable, "-m", "jupytext", "--quiet", "--sync", *map(str, todo)], cwd=root, check=True)
        for nb in (root / "chapters").glob("[0-9][0-9]_*.ipynb"):
            nb.touch()
        log(f"paired {len(todo)} chapter{'s' * (len(todo) != 1)} with their notebooks")
    return todo


def lab_command(port: int = 8888) -> list[str]:
    """The JupyterLab command `make lab` runs: the quickstart opens first, the paired `.py`
    files are hidden, and root is allowed (Docker, cloud boxes)."""
    cmd = [sys.executable, "-m", "jupyter", "lab", "--port", str(port), f"--LabApp.default_url=/lab/tree/{QUICKSTART}",
           f"--ContentsManager.hide_globs={HIDDEN}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    return cmd


def main(command: str, port: int = 8888, dry_run: bool = False) -> int:
    root = find_root()
    sync(root)
    if command == "notebooks":
        return 0
    cmd = lab_command(port)
    if dry_run:
        print(" ".join(cmd))
        return 0
    try:
        return subprocess.run(cmd, cwd=root).returncode
    except KeyboardInterrupt:  # Ctrl-C stops JupyterLab; nothing of ours to keep
        return 130
