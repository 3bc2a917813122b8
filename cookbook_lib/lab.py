"""`python -m cookbook_lib notebooks` and `python -m cookbook_lib lab`: what `make notebooks`
and `make lab` do, for anyone without `make` (Windows, a pip install).

The chapters are `chapters/NN_slug.py` files (jupytext py:percent). `notebooks` pairs each one
with a generated `.ipynb` (only chapters whose `.py` is newer than their notebook are synced),
and `lab` then opens JupyterLab on the quickstart, with the paired `.py` files hidden from the
file browser so that each chapter shows once. Both need a checkout of the cookbook (its
`chapters/` folder) and the packages of requirements.txt.

`notebooks --standalone DIR` writes the chapters as notebooks for Colab or another hosted
Jupyter instead: each starts with a cell that installs the library when it is missing.
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


INSTALL_CELL = """# Colab, or any Jupyter where the cookbook's library is missing: install it first (once per session).
import importlib, importlib.util, subprocess, sys
if importlib.util.find_spec("cookbook_lib") is None:
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", {args}], check=True)
    importlib.invalidate_caches()"""


def default_install() -> list[str] | None:
    """pip arguments that install this version of the library from its repository: the
    `Repository` URL of the package's metadata (pyproject's [project.urls]), pinned to the
    tag v<version>. None when the package records no repository."""
    from importlib import metadata
    try:
        meta = metadata.metadata("cookbook_lib")
    except metadata.PackageNotFoundError:
        return None
    urls = dict(u.split(", ", 1) for u in meta.get_all("Project-URL") or [] if ", " in u)
    repo = urls.get("Repository")
    return [f"git+{repo}@v{meta['Version']}"] if repo else None


def write_standalone(root: Path, out: Path, install: list[str] | None = None, log=print) -> list[Path]:
    """Write every chapter as a notebook for Colab or another hosted Jupyter into `out`: the
    chapter unchanged (no outputs), after a first cell that pip-installs the library when it
    is not importable (`install`: pip's arguments, e.g. ["git+https://…@v0.1.0"] or a local
    path; default `default_install()`). The chapters pick the GPU when there is one."""
    import jupytext
    import nbformat

    install = install or default_install()
    if not install:
        raise SystemExit("error: this copy of cookbook_lib records no repository URL to install from. Pass where "
                         "pip should get it: --install 'git+https://<host>/<owner>/<repo>@v<version>' "
                         "(or a local path to a checkout).")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for src in sorted((root / "chapters").glob("[0-9][0-9]_*.py")):
        nb = jupytext.read(src)
        nb.metadata.pop("jupytext", None)  # a standalone notebook: not paired with a .py
        nb.metadata["accelerator"] = "GPU"  # Colab: ask for a GPU runtime
        nb.cells.insert(0, nbformat.v4.new_code_cell(INSTALL_CELL.format(args=", ".join(map(repr, install)))))
        path = out / src.with_suffix(".ipynb").name
        nbformat.write(nb, path)
        written.append(path)
    log(f"wrote {len(written)} standalone notebooks into {out} (first cell: pip install {' '.join(install)})")
    return written


def lab_command(port: int = 8888) -> list[str]:
    """The JupyterLab command `make lab` runs: the quickstart opens first, the paired `.py`
    files are hidden, and root is allowed (Docker, cloud boxes)."""
    cmd = [sys.executable, "-m", "jupyter", "lab", "--port", str(port), f"--LabApp.default_url=/lab/tree/{QUICKSTART}",
           f"--ContentsManager.hide_globs={HIDDEN}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    return cmd


def main(command: str, port: int = 8888, dry_run: bool = False, standalone: str = "", install: str = "") -> int:
    root = find_root()
    if standalone:
        import shlex
        write_standalone(root, Path(standalone), shlex.split(install) if install else None)
        return 0
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
