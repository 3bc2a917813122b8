"""What each chapter's quick-mode assertions see, seed by seed: the numbers behind every check.

Runs a chapter in quick mode (`COOKBOOK_QUICK=1`) as a reader would, with its `SEED = 0` line
set to each seed asked for, in a fresh kernel with an empty run cache and a given number of
torch threads, and keeps, for every code cell that holds an `assert`, what the cell printed and
whether an assertion failed. Execution goes on past a failing cell, so one run shows every check.
A chapter's margins should come from this spread: a check that fails at some seed is a claim
the chapter's quick budget does not show.

    python benchmarks/chapter_seeds.py 02 12 --seeds 0,1,2 --threads 1   # appends to chapter_seeds.jsonl
    python benchmarks/chapter_seeds.py --md benchmarks/chapter_seeds.md   # the Markdown digest of the file

A (chapter, seed, threads) already in the file from this CPU is not run again, so a stopped sweep
restarts where it was. Chapters without a `SEED = 0` line (14) are skipped. Leave the machine
otherwise idle only when the wall times matter; the numbers do not depend on the load, but they
can depend on the thread count and on the CPU (torch's reductions are split and vectorised
differently), so every record keeps both.
"""
import argparse
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = ROOT / "chapters"
DEFAULT = Path(__file__).with_name("chapter_seeds.jsonl")
ANSI = re.compile(r"\x1b\[[0-9;]*m")
ASSERT = re.compile(r"^\s*assert\b", re.M)


def chapter_path(key: str) -> Path:
    found = sorted(CHAPTERS.glob(f"{key}*.py"))
    if not found:
        raise SystemExit(f"no chapter matches {key!r} in {CHAPTERS} (give its number, e.g. 02)")
    return found[0]


def cpu() -> str:
    """This machine's CPU model and the vector instructions torch uses on it (e.g. "AMD EPYC, AVX2").
    Kept with every record: the same seed can train to different numbers on another CPU, whose
    kernels add in a different order."""
    import platform

    import torch

    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:  # no /proc (macOS, Windows)
        pass
    return f"{model}, {torch.backends.cpu.get_cpu_capability()}"


def run_chapter(path: Path, seed: int, threads: int) -> dict:
    """Execute the chapter at `seed`; one record: wall time and every asserting cell's output."""
    import jupytext
    from nbclient import NotebookClient

    source = path.read_text()
    if not re.search(r"^SEED = 0\b", source, re.M):
        raise ValueError(f"{path.name} has no `SEED = 0` line to change")
    nb = jupytext.reads(re.sub(r"^SEED = 0\b", f"SEED = {seed}", source, count=1, flags=re.M), fmt="py:percent")
    env = dict(COOKBOOK_QUICK="1", COOKBOOK_RUNS=tempfile.mkdtemp(prefix="cookbook-seeds-"),
               OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    start = time.perf_counter()
    try:
        NotebookClient(nb, timeout=1800, kernel_name="python3", allow_errors=True,
                       resources={"metadata": {"path": str(CHAPTERS)}}).execute()
    finally:
        for k, v in saved.items():
            os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)
    cells, number = [], 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        number += 1
        if not ASSERT.search(cell.source):
            continue
        text, error = [], ""
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == "stdout":
                text.append(out["text"])
            elif out.get("output_type") == "error":
                error = f"{out['ename']}: {ANSI.sub('', out['evalue'])}"[:300]
        asserts = [ln.strip() for ln in cell.source.splitlines() if ASSERT.match(ln)]
        cells.append(dict(cell=number, asserts=asserts, output=ANSI.sub("", "".join(text)).strip(), error=error))
    return dict(chapter=path.stem, seed=seed, threads=threads, seconds=round(time.perf_counter() - start, 1),
                cpu=cpu(), failed=sum(bool(c["error"]) for c in cells), cells=cells)


def load(path: Path) -> list:
    return [json.loads(x) for x in path.read_text().splitlines() if x.strip()] if path.exists() else []


def claims(chapter: str) -> list:
    """(section, claim, status) of every row of chapters/CLAIMS.md whose asserts cite `chapter`."""
    path = CHAPTERS / "CLAIMS.md"
    rows = []
    for line in path.read_text().splitlines() if path.exists() else []:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 6 and f"chapters/{chapter}.py:" in cells[4]:
            rows.append((cells[0], cells[1], cells[5]))
    return rows


def verdict(record: dict) -> str:
    n = record["failed"]
    return "all checks pass" if not n else f"{n} cell{'s' * (n > 1)} failing"


def markdown(records: list) -> str:
    """Per chapter: each asserting cell's assert lines, then what it printed at every seed, thread count and CPU."""
    out = ["# The numbers behind each chapter's quick-mode checks, seed by seed",
           "", "Generated by `python benchmarks/chapter_seeds.py --md benchmarks/chapter_seeds.md` from "
           "`benchmarks/chapter_seeds.jsonl` (each chapter run in quick mode, fresh kernel, empty run cache, "
           "with its `SEED` set; `threads`: torch's threads; the CPU, from the runs that recorded it: the same seed can "
           "give other numbers on another CPU). A FAIL is a check the quick budget does not carry "
           "at that seed.", ""]
    by_chapter = {}
    for r in records:
        by_chapter.setdefault(r["chapter"], []).append(r)
    for chapter in sorted(by_chapter):
        runs = sorted(by_chapter[chapter], key=lambda r: (r["threads"], r["seed"]))
        out += [f"## {chapter}", "", "Runs: " + ", ".join(
            f"seed {r['seed']} / {r['threads']} thread{'s' * (r['threads'] > 1)} "
            f"({r['seconds']:.0f} s, {r.get('cpu', 'CPU not recorded')}, {verdict(r)})"
            for r in runs), ""]
        rows = claims(chapter)
        if rows:
            out += ["Claims it asserts (`chapters/CLAIMS.md`):", ""]
            out += [f"- §{sec}: {claim} — *{status}*" for sec, claim, status in rows] + [""]
        # A cell is its assert lines: a record made before the chapter changed a check keeps its own
        # block, after the checks the newest record ran (the last one in the file).
        current = [(c["cell"], tuple(c["asserts"])) for c in by_chapter[chapter][-1]["cells"]]
        blocks = {}
        for r in runs:
            for c in r["cells"]:
                blocks.setdefault((c["cell"], tuple(c["asserts"])), []).append((r, c))
        earlier = sorted(k for k in blocks if k not in current)
        for key in [k for k in current if k in blocks] + earlier:
            label = "" if key in current else " (an earlier version of the chapter)"
            out += [f"**Cell {key[0]}**{label}: " + "; ".join(f"`{a}`" for a in key[1]), ""]
            for r, c in blocks[key]:
                lines = [ln for ln in c["output"].splitlines() if ln.strip()][:8]
                status = f"FAIL ({c['error']})" if c["error"] else "pass"
                out.append(f"- seed {r['seed']}, {r['threads']} thr, {r.get('cpu', 'CPU not recorded')}: {status}" +
                           ("".join(f"<br>`{ln.strip()[:220]}`" for ln in lines) if lines else ""))
            out.append("")
    return "\n".join(out)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("chapters", nargs="*", help="chapter numbers (default: every chapter with a SEED line)")
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--threads", type=int, default=1, help="torch threads of the kernel (default 1)")
    p.add_argument("--jsonl", type=Path, default=DEFAULT)
    p.add_argument("--md", type=Path, help="write the Markdown digest of --jsonl here (runs nothing)")
    a = p.parse_args()
    if a.md:
        a.md.write_text(markdown(load(a.jsonl)) + "\n")
        print(f"wrote {a.md}")
        return
    try:
        seeds = [int(s) for s in a.seeds.split(",")]
    except ValueError:
        raise SystemExit(f"--seeds takes integers separated by commas, e.g. 0,1,2 (got {a.seeds!r})")
    if a.threads < 1:
        raise SystemExit(f"--threads must be 1 or more (got {a.threads})")
    paths = [chapter_path(c) for c in a.chapters] if a.chapters else sorted(CHAPTERS.glob("[0-9][0-9]_*.py"))
    here = cpu()  # a run on another CPU is another record
    done = {(r["chapter"], r["seed"], r["threads"]) for r in load(a.jsonl) if r.get("cpu") == here}
    for path in paths:
        if not re.search(r"^SEED = 0\b", path.read_text(), re.M):
            print(f"{path.stem}: no `SEED = 0` line, skipped", file=sys.stderr)
            continue
        for seed in seeds:
            if (path.stem, seed, a.threads) in done:
                continue
            record = run_chapter(path, seed, a.threads)
            with open(a.jsonl, "a") as f:
                f.write(json.dumps(record) + "\n")
            print(f"{path.stem} seed {seed} threads {a.threads}: {record['seconds']:.0f} s, "
                  f"{record['failed']} failing check cell(s)", flush=True)


if __name__ == "__main__":
    main()
