"""How long each chapter takes in quick mode, as a reader runs it: the wall time of a fresh
kernel executing the whole notebook, with an empty run cache (nothing is reused).

The target (chapters/README and the fidelity issue): every chapter within 60 s on 2 cores.
Each chapter runs alone, one after the other, with torch's default threads (`--threads 0`)
or a given number; leave the machine otherwise idle while it runs. Prints one line per
chapter (seconds, and the slowest cells) and with `--out` writes a Markdown table. The
machine's speed is measured before and after (an fp32 1024² matmul at the chapters' thread
count, as `throughput.py` measures its CPU peak): a shared or throttled CPU can be 1.5×
slower one day than another, and a time means little without it.

    python benchmarks/chapter_times.py                      # every chapter
    python benchmarks/chapter_times.py 03 11 --threads 2 --out benchmarks/chapter_times.md
"""
import argparse
import os
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = ROOT / "chapters"


def cell_seconds(cell) -> float:
    ex = cell.get("metadata", {}).get("execution", {})
    if "iopub.execute_input" not in ex or "shell.execute_reply" not in ex:
        return 0.0
    start, end = (datetime.fromisoformat(ex[k].replace("Z", "+00:00"))
                  for k in ("iopub.execute_input", "shell.execute_reply"))
    return (end - start).total_seconds()


def first_statement(source: str) -> str:
    """The cell's first line that is not a comment or an import (what names the cell in the table)."""
    lines = [ln for ln in source.splitlines() if ln.strip() and not ln.lstrip().startswith(("#", "import ", "from "))]
    return (lines or source.splitlines() or [""])[0][:60]


def time_chapter(path: Path, threads: int) -> tuple[float, list]:
    """(wall seconds, [(seconds, first line of the cell)] slowest first, error or "") of one
    quick-mode run; a chapter that fails is timed up to its failing cell and reported."""
    nb = jupytext.read(path)
    with tempfile.TemporaryDirectory() as runs:
        env = {"COOKBOOK_QUICK": "1", "COOKBOOK_RUNS": runs, "MPLBACKEND": "Agg"}
        if threads:
            env["OMP_NUM_THREADS"] = str(threads)
        old = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        try:
            start, error = time.perf_counter(), ""
            try:
                NotebookClient(nb, timeout=1200, kernel_name="python3", resources={"metadata": {"path": str(CHAPTERS)}},
                               record_timing=True).execute()
            except CellExecutionError as e:
                error = str(e).strip().splitlines()[-1][:200]
            wall = time.perf_counter() - start
        finally:
            for k, v in old.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
    cells = sorted(((cell_seconds(c), first_statement(c.source)) for c in nb.cells if c.cell_type == "code"),
                   reverse=True)
    return wall, cells, error


def matmul_gflops(threads: int) -> float:
    """This CPU's fp32 matmul rate now, at `threads` torch threads (0: torch's default)."""
    import torch
    from throughput import cpu_peak_tflops  # benchmarks/ is on the path when this file runs

    before = torch.get_num_threads()
    torch.set_num_threads(threads or before)
    try:
        return 1000 * cpu_peak_tflops("fp32")
    finally:
        torch.set_num_threads(before)


def main(argv=None) -> int:
    from chapter_seeds import cpu  # the CPU's model and vector instructions, as the seed digest names it

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("chapters", nargs="*", help="chapter numbers (00 01 ...); default: every chapter")
    ap.add_argument("--threads", type=int, default=0, help="torch threads per chapter (0: torch's default)")
    ap.add_argument("--out", type=Path, help="write a Markdown table here")
    ap.add_argument("--cells", type=int, default=2, help="how many of the slowest cells to name (default 2)")
    args = ap.parse_args(argv)
    paths = sorted(CHAPTERS.glob("[0-9][0-9]_*.py"))
    if args.chapters:
        unknown = [n for n in args.chapters if not any(p.name.startswith(f"{n}_") for p in paths)]
        if unknown:
            ap.error(f"no chapter numbered {', '.join(unknown)}; the chapters are "
                     + " ".join(p.name[:2] for p in paths))
        paths = [p for p in paths if p.name[:2] in args.chapters]
    speed = [matmul_gflops(args.threads)]
    print(f"fp32 matmul: {speed[0]:.0f} GFLOP/s", flush=True)
    rows = []
    for path in paths:
        wall, cells, error = time_chapter(path, args.threads)
        slow = "; ".join(f"{s:.0f} s `{src}`" for s, src in cells[:args.cells] if s >= 1)
        if error:
            slow = f"FAILED: {error}; {slow}"
        rows.append((path.stem, wall, slow, error))
        print(f"{path.stem}: {wall:.1f} s  ({slow})", flush=True)
    speed.append(matmul_gflops(args.threads))
    print(f"fp32 matmul: {speed[1]:.0f} GFLOP/s", flush=True)
    if args.out:
        threads = args.threads or "torch's default"
        lines = [f"Quick mode, fresh kernel and empty run cache, one chapter at a time, threads: {threads}, "
                 f"on {os.cpu_count()} cores of an {cpu()} (`python benchmarks/chapter_times.py`), "
                 f"{datetime.now():%Y-%m-%d}. "
                 f"Target: 60 s. The machine's fp32 1024² matmul ran at {speed[0]:.0f} GFLOP/s before the "
                 f"chapters and {speed[1]:.0f} after (throughput.md's CPU peak).", "",
                 "| chapter | seconds | slowest cells |", "|---|---|---|"]
        lines += [f"| {name} | {wall:.0f} | {slow} |" for name, wall, slow, _ in rows]
        args.out.write_text("\n".join(lines) + "\n")
    return 0 if all(wall <= 60 and not error for _, wall, _, error in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
