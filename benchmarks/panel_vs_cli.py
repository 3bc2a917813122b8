"""The knob panel in a real browser against the command line, on the same run.

One SimCLR run trained three ways, alternating, `--repeats` times each:
  cli    `python -m cookbook_lib train ... --no-cache` (its JSON's training seconds);
  panel  the same config in a knob panel in JupyterLab, Run pressed in headless Chromium
         (the seconds in the panel's "done: trained in …" status);
and the ratio panel / cli of the medians. Target: at most 1.3. Both numbers are training
time only (no final evaluation). Needs /usr/bin/chromium and playwright (as the browser test).

    python benchmarks/panel_vs_cli.py [--steps 250] [--repeats 2]
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
import test_browser as tb  # noqa: E402  (JupyterLab + Chromium plumbing of the browser test)

KNOBS = dict(method="simclr", dataset="digits", image_size=16, batch_size=64, log_every=25)

PANEL = '''\
import os
os.environ["COOKBOOK_RUNS"] = {runs!r}
from cookbook_lib import RunConfig
from cookbook_lib.widgets import knob_panel
panel = knob_panel(RunConfig(steps={steps}, seed={seed}, **{knobs!r}), knobs=("temperature", "batch_size"))
panel'''


def cli_seconds(steps: int, seed: int, runs: str) -> float:
    out = Path(runs) / f"cli-{seed}.json"
    flags = [f"--{k.replace('_', '-')}={v}" for k, v in KNOBS.items()]
    subprocess.run([sys.executable, "-m", "cookbook_lib", "train", *flags, f"--steps={steps}", f"--seed={seed}",
                    "--no-cache", "--quiet", "--json", str(out)], check=True, cwd=ROOT,
                   env={**os.environ, "COOKBOOK_RUNS": runs}, capture_output=True)
    return json.loads(out.read_text())["seconds"]


def panel_seconds(steps: int, seed: int, runs: str) -> float:
    root = Path(tempfile.mkdtemp())
    tb._write_notebook(root / "panel.ipynb", PANEL.format(runs=runs, steps=steps, seed=seed, knobs=KNOBS))
    with tb._lab_page(root, "panel.ipynb") as page:
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
        page.wait_for_selector(".jupyter-widgets .widget-slider", timeout=tb.WAIT_MS)
        page.locator("button.jupyter-button").filter(has_text=re.compile(r"^\s*Run\s*$")).click()
        page.wait_for_selector(".jupyter-widgets >> text=/done: trained in/", timeout=20 * tb.WAIT_MS)
        text = page.inner_text(".jupyter-widgets >> text=/done: trained in/")
    return float(re.search(r"trained in ([0-9.]+) s", text).group(1))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--steps", type=int, default=250)
    p.add_argument("--repeats", type=int, default=2)
    a = p.parse_args()
    runs = tempfile.mkdtemp()
    times = {"cli": [], "panel": []}
    for r in range(a.repeats):  # alternate, so slow drifts of the machine hit both
        times["cli"].append(cli_seconds(a.steps, r, runs))
        times["panel"].append(panel_seconds(a.steps, r, runs))
        print(f"repeat {r}: cli {times['cli'][-1]:.1f} s, panel {times['panel'][-1]:.1f} s", flush=True)
    cli, panel = statistics.median(times["cli"]), statistics.median(times["panel"])
    print(f"median cli {cli:.1f} s, panel {panel:.1f} s; panel_vs_cli={panel / cli:.2f} (target ≤ 1.3)")


if __name__ == "__main__":
    main()
