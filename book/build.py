"""`make book`: the cookbook as a static website in `build/book/` (open `build/book/index.html`).

Sphinx with MyST-NB (pure Python: installs from the package index with the rest of
requirements.txt, no Node) and the Sphinx book theme; maths by MathJax served from the site
itself (`sphinx-mathjax-offline`), so the pages render without a network.

1. Every chapter is executed in quick mode into `build/book_src/` (two chapters at a time,
   one torch thread each), with the run cache in `COOKBOOK_RUNS` (default `build/runs/`):
   after `make test TEST_RUNS=build/runs` nothing trains again, and a chapter whose executed
   copy is newer than its source and the library is not executed again.
2. Each executed notebook gets a first cell that says it is a static copy and how to run it
   (knob panels need a kernel), and loses what only a live kernel can show: widget views
   (their text stand-in stays out) and tqdm's frozen progress-bar lines.
3. The landing page (what the book is, how to run it, the chapter map with the paper's
   sections from README.md, the method table from the catalog) and CLAIMS.md join them, and
   `sphinx-build` writes the site.

    python book/build.py [--runs DIR] [--jobs 2] [--only 00,03]
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC, OUT = ROOT / "build" / "book_src", ROOT / "build" / "book"
PROGRESS = re.compile(r"\d+%\|")  # a tqdm bar: "  0%|          | 0/60 [00:00<?, ?it/s]"
WIDGET = "application/vnd.jupyter.widget-view+json"

STATIC_NOTE = """```{{note}}
This page is chapter {stem} executed in **quick mode** (small runs on a CPU), with its figures and
tables as they came out. The knob panels need a running Python kernel, so they are not on this
page: run the chapter yourself with `make lab` (or `python -m cookbook_lib lab`) from a clone, or
in Colab from a notebook made by `python -m cookbook_lib notebooks --standalone` (see the home page).
```"""


def chapters() -> list[Path]:
    return sorted((ROOT / "chapters").glob("[0-9][0-9]_*.py"))


def library_mtime() -> float:
    return max(p.stat().st_mtime for p in (ROOT / "cookbook_lib").rglob("*.py"))


def execute(src: Path, runs: Path) -> tuple[str, float, str]:
    """Execute one chapter in quick mode into SRC/chapters/<stem>.ipynb (skipped when that
    copy is newer than the chapter and the library). Returns (stem, seconds, error or '')."""
    out = SRC / "chapters" / f"{src.stem}.ipynb"
    if out.exists() and out.stat().st_mtime > max(src.stat().st_mtime, library_mtime()):
        return src.stem, 0.0, ""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".raw.ipynb")
    subprocess.run([sys.executable, "-m", "jupytext", "--quiet", "--to", "ipynb", "-o", str(tmp), str(src)],
                   check=True, cwd=ROOT)
    env = {**os.environ, "COOKBOOK_QUICK": "1", "COOKBOOK_RUNS": str(runs), "OMP_NUM_THREADS": "1"}
    start = time.time()
    done = subprocess.run([sys.executable, "-m", "nbconvert", "--to", "notebook", "--execute", "--output",
                           out.name, "--output-dir", str(out.parent), "--ExecutePreprocessor.timeout=1800", str(tmp)],
                          cwd=ROOT / "chapters", env=env, capture_output=True, text=True)
    tmp.unlink(missing_ok=True)
    if done.returncode != 0:
        out.unlink(missing_ok=True)
        return src.stem, time.time() - start, done.stderr[-3000:]
    nb = json.loads(out.read_text())
    out.write_text(json.dumps(for_the_page(nb, src.stem), indent=1))
    return src.stem, time.time() - start, ""


def for_the_page(nb: dict, stem: str) -> dict:
    """The executed notebook as the page shows it: the static-copy note first, no widget
    views, no progress-bar lines, no jupytext metadata."""
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        kept = []
        for o in cell.get("outputs", []):
            if o["output_type"] == "stream":
                text = "".join(o["text"]) if isinstance(o["text"], list) else o["text"]
                lines = [ln for ln in re.split(r"(?<=\n)|\r", text) if ln.strip() and not PROGRESS.search(ln)]
                if not lines:
                    continue
                o["text"] = "".join(ln if ln.endswith("\n") else ln + "\n" for ln in lines)
            elif WIDGET in o.get("data", {}):
                continue  # a live panel: its text stand-in ("KnobPanel(...)") says nothing on a page
            kept.append(o)
        cell["outputs"] = kept
    note = {"cell_type": "markdown", "metadata": {}, "source": STATIC_NOTE.format(stem=stem)}
    nb["cells"].insert(1 if nb["cells"] and nb["cells"][0]["cell_type"] == "markdown" else 0, note)
    nb["metadata"].pop("jupytext", None)
    return nb


def readme_section(title: str) -> str:
    """The body of README.md's `## title` section."""
    text = (ROOT / "README.md").read_text()
    start = text.index(f"\n## {title}\n") + len(title) + 5
    end = text.find("\n## ", start)
    return text[start:end if end > 0 else None].strip()


def landing(stems: list[str]) -> str:
    sys.path.insert(0, str(ROOT))
    from cookbook_lib.methods.catalog import markdown_table
    intro = (ROOT / "README.md").read_text().split("\n## ", 1)[0].split("\n", 1)[1].strip()
    chapter_map = readme_section("Chapters")
    for stem in stems:  # the chapter names in the map become links to their pages
        chapter_map = chapter_map.replace(f"| `{stem}` |", f"| [{stem}](chapters/{stem}.ipynb) |")
    toc = "\n".join(f"chapters/{s}" for s in stems)
    return f"""# The SSL Cookbook

{intro}

## How to run it

The pages of this book are the chapters executed in quick mode: read them here, then run
them to turn the knobs. From a clone of the repository:

```bash
make lab                                          # set up .venv and open JupyterLab on the quickstart
python -m pip install -r requirements.txt -e .    # or, without make: install ...
python -m cookbook_lib lab                        # ... and open JupyterLab
```

In Colab or another hosted Jupyter, make notebooks that install the library themselves with
`python -m cookbook_lib notebooks --standalone colab/ --install '<where pip gets the library>'`
and upload one. A chapter in full mode (its default outside the tests) trains at the budget
where its effect appears; on a GPU that takes seconds per run.

## The chapters

{chapter_map}

Every claim of the paper the chapters show, where it is asserted and how:
[the claims table](CLAIMS.md).

## The methods

{markdown_table()}

```{{toctree}}
:hidden:
:maxdepth: 1

{toc}
CLAIMS
```
"""


CONF = '''# Sphinx configuration of the book, written by book/build.py
project = "The SSL Cookbook"
author = "The SSL Cookbook"
extensions = ["myst_nb", "sphinx-mathjax-offline"]
nb_execution_mode = "off"          # the notebooks were executed by book/build.py
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3
html_theme = "sphinx_book_theme"
html_title = "The SSL Cookbook"
html_theme_options = {"show_navbar_depth": 1, "use_download_button": False, "home_page_in_toc": True}
exclude_patterns = ["_build", "**.raw.ipynb"]
html_copy_source = False           # the executed notebooks would be copied whole (figures twice)
html_show_sourcelink = False
suppress_warnings = ["mystnb.unknown_mime_type", "myst.header"]
'''


def prune_mathjax(folder: Path) -> None:
    """Keep the one MathJax bundle the pages load (tex-chtml.js, what `mathjax_path` names)
    and the fonts and extensions it fetches; drop the other bundles and the speech-rule
    engine (about two thirds of its 24 MB)."""
    if not (folder / "tex-chtml.js").exists():
        return
    for p in folder.glob("*.js"):
        if p.name != "tex-chtml.js":
            p.unlink()
    shutil.rmtree(folder / "sre", ignore_errors=True)


def build(runs: Path, jobs: int = 2, only: list[str] | None = None, log=print) -> Path:
    todo = [c for c in chapters() if not only or c.stem[:2] in only]
    runs.mkdir(parents=True, exist_ok=True)
    start = time.time()
    failed = []
    with ThreadPoolExecutor(jobs) as pool:
        for stem, seconds, error in pool.map(lambda c: execute(c, runs), todo):
            log(f"{stem}: {'reused' if seconds == 0 and not error else f'{seconds:.0f} s'}"
                + (f" FAILED\n{error}" if error else ""))
            if error:
                failed.append(stem)
    if failed:
        raise SystemExit(f"error: chapters {', '.join(failed)} failed to execute; the book was not built")
    stems = [c.stem for c in chapters() if (SRC / "chapters" / f"{c.stem}.ipynb").exists()]
    (SRC / "index.md").write_text(landing(stems))
    (SRC / "conf.py").write_text(CONF)
    shutil.copy(ROOT / "chapters" / "CLAIMS.md", SRC / "CLAIMS.md")
    done = subprocess.run([sys.executable, "-m", "sphinx", "-b", "html", "-q", str(SRC), str(OUT)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"error: sphinx-build failed:\n{done.stderr[-4000:]}")
    prune_mathjax(OUT / "_static" / "mathjax")
    size = sum(p.stat().st_size for p in OUT.rglob("*") if p.is_file()) / 2**20
    log(f"book: {OUT / 'index.html'} ({len(stems)} chapters, {size:.0f} MiB, {time.time() - start:.0f} s)")
    return OUT


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--runs", type=Path, default=Path(os.environ.get("COOKBOOK_RUNS") or ROOT / "build" / "runs"))
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--only", default="", help="comma-separated chapter numbers (e.g. 00,03)")
    a = p.parse_args()
    build(a.runs, a.jobs, [s.strip() for s in a.only.split(",") if s.strip()])
