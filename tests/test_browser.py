"""A real browser: JupyterLab on a free loopback port, a notebook with a knob panel opened in
headless Chromium (Debian's `chromium`, driven by Playwright), Run pressed in the page; the
slider, the dashboard image and the "done" status must render, with no "Error displaying
widget". The screenshot is saved in the test's temporary folder (its path is printed).

A second test opens the real quickstart chapter (a fresh `jupytext --to ipynb` of
chapters/00_quickstart.py), runs only the cells its knob panel needs (not the training
cells) and checks that the panel's sliders and its "press Run" dashboard render, with no
widget error and no traceback (screenshot also copied to /tmp/browser_quickstart.png).

Needs /usr/bin/chromium (`apt-get install -y chromium`; `.ci/run` installs it) and the
`playwright` package (requirements.txt; its own browser download is never used). Outside CI
(`CI` unset) the test is skipped when either is missing; in CI it fails instead.
"""
import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("COOKBOOK_CHROMIUM", "/usr/bin/chromium")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
WAIT_MS = 60_000  # every wait in the page is bounded by this
KERNEL_IDLE = """() => {
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  return !!k && k.status === "idle";
}"""

NOTEBOOK_SOURCE = '''\
import os
os.environ["COOKBOOK_RUNS"] = {runs!r}
from cookbook_lib import RunConfig
from cookbook_lib.widgets import knob_panel
panel = knob_panel(RunConfig(method="simclr", dataset="digits", image_size=16, batch_size=32, steps=12,
                             log_every=3, representation_dim=32, embedding_dim=16),
                   knobs=("method", "temperature", "batch_size", "projector_depth"))
panel.REDRAW_EVERY_S, panel.DRAW_SHARE = 0, 1  # redraw at every log step (no throttle): the test counts them
panel'''


def _need(condition: bool, reason: str):
    if not condition:
        if IN_CI:
            pytest.fail(f"{reason} (CI=true: .ci/run must install it)")
        pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _write_notebook(path: Path, source: str) -> None:
    nb = {"cells": [{"cell_type": "code", "execution_count": None, "id": "panel", "metadata": {}, "outputs": [],
                     "source": source}],
          "metadata": {"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python",
                                      "name": "python3"}},
          "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(nb))


def _start_lab(root: Path, port: int, token: str, env: dict | None = None) -> subprocess.Popen:
    """JupyterLab serving `root`; `env` is added to its environment (its kernels inherit it)."""
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(root / "rt"), JUPYTER_CONFIG_DIR=str(root / "cfg"),
               JUPYTERLAB_SETTINGS_DIR=str(root / "settings"), JUPYTERLAB_WORKSPACES_DIR=str(root / "ws"),
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}", **(env or {}))
    cmd = [sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={port}", "--port-retries=0",
           f"--IdentityProvider.token={token}", "--ServerApp.ip=127.0.0.1", f"--ServerApp.root_dir={root}",
           "--LabApp.expose_app_in_browser=True"] + (["--allow-root"] if os.geteuid() == 0 else [])
    news = root / "settings" / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    news.parent.mkdir(parents=True, exist_ok=True)
    news.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))  # no news pop-up
    log = open(root / "lab.log", "w")
    return subprocess.Popen(cmd, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def _wait_for_server(proc, port: int, token: str, root: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"jupyter lab exited ({proc.returncode}):\n{(root / 'lab.log').read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status?token={token}", timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"jupyter lab did not answer in {timeout} s:\n{(root / 'lab.log').read_text()[-3000:]}")


def _stop(proc: subprocess.Popen) -> None:
    """End the server and its kernels (one process group), even if the test failed."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(5)


def _sync_playwright():
    """Playwright's sync API, once Chromium and the package are known to be there (else skip/fail)."""
    _need(Path(CHROMIUM).exists(), f"{CHROMIUM} is not installed (apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _need(False, "the playwright package is not installed (pip install -r requirements.txt)")
    return sync_playwright


@contextlib.contextmanager
def _lab_page(root: Path, notebook: str, env: dict | None = None):
    """JupyterLab serving `root` (plus `env`) and headless Chromium showing `notebook` once its
    kernel is idle, left area closed; yields the page. On failure saves root/failure.png and
    prints the server's log; always closes the browser and ends the server and its kernels."""
    sync_playwright = _sync_playwright()
    port, token = _free_port(), secrets.token_hex(16)
    proc = _start_lab(root, port, token, env)
    try:
        _wait_for_server(proc, port, token, root)
        with sync_playwright() as p:
            ctx = p.chromium.launch_persistent_context(
                str(root / "profile"), executable_path=CHROMIUM, headless=True, args=FLAGS,
                viewport={"width": 1280, "height": 1400})
            try:
                page = ctx.pages[0] if ctx.pages else ctx.new_page()
                try:
                    page.set_default_timeout(WAIT_MS)
                    page.goto(f"http://127.0.0.1:{port}/lab/tree/{notebook}?token={token}", timeout=WAIT_MS)
                    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=WAIT_MS)
                    page.wait_for_function(KERNEL_IDLE, timeout=WAIT_MS)  # run cells once the kernel is ready
                    page.evaluate("() => window.jupyterapp.commands.execute('application:toggle-left-area')")
                    yield page
                except Exception:
                    page.screenshot(path=str(root / "failure.png"), full_page=True)
                    print(f"failure screenshot: {root / 'failure.png'}\n"
                          f"jupyter log:\n{(root / 'lab.log').read_text()[-3000:]}")
                    raise
            finally:
                ctx.close()
    finally:
        _stop(proc)


def test_knob_panel_renders_and_runs_in_jupyterlab(tmp_path):
    _sync_playwright()  # skip (or fail in CI) before writing anything
    start = time.monotonic()
    root = tmp_path
    _write_notebook(root / "panel.ipynb", NOTEBOOK_SOURCE.format(runs=str(root / "runs")))
    shot = root / "browser.png"
    with _lab_page(root, "panel.ipynb") as page:
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
        page.wait_for_selector(".jupyter-widgets .widget-slider", timeout=WAIT_MS)
        page.wait_for_function(
            "() => [...document.querySelectorAll('.jupyter-widgets img')].some(i => i.naturalWidth > 100)",
            timeout=WAIT_MS)
        # count the dashboard image's redraws in the page while the run trains
        page.evaluate("""() => {
          window.__redraws = 0;
          const img = [...document.querySelectorAll('.jupyter-widgets img')].find(i => i.naturalWidth > 100);
          new MutationObserver(ms => { window.__redraws += ms.length; })
            .observe(img, {attributes: true, attributeFilter: ['src']});
        }""")
        run_button = page.locator("button.jupyter-button").filter(has_text=re.compile(r"^\s*Run\s*$"))
        run_button.click()
        page.wait_for_selector(".jupyter-widgets >> text=/done: trained in/", timeout=WAIT_MS)
        page.wait_for_selector(".cookbook-diagnosis", timeout=WAIT_MS)
        redraws = page.evaluate("() => window.__redraws")
        text = page.inner_text(".jp-Notebook")
        page.screenshot(path=str(shot), full_page=True)
    print(f"screenshot: {shot}  ({time.monotonic() - start:.1f} s, {redraws} dashboard redraws seen in the page)")
    if os.environ.get("COOKBOOK_SCREENSHOT"):
        shutil.copy(shot, os.environ["COOKBOOK_SCREENSHOT"])
    assert "Error displaying widget" not in text
    assert "temperature" in text and "batch_size" in text  # the sliders, named by their knobs
    assert "Diagnosis (simclr)" in text
    assert redraws >= 3, f"the dashboard changed {redraws} times in the page while the run trained (4 log steps)"
    assert shot.stat().st_size > 10_000


QUICKSTART = Path(__file__).resolve().parents[1] / "chapters" / "00_quickstart.py"
QUICKSTART_SHOT = Path("/tmp/browser_quickstart.png")
QUICKSTART_KNOBS = ("temperature", "batch_size", "crop_min_scale", "jitter_strength", "projector_depth",
                    "embedding_dim")
# The cells the quickstart's knob panel needs, in order, each found by its source (or tag). The
# data cell is among them because the config cell draws two views of `data`'s images. The
# training cells (~40 s) are not run: before any run the panel draws a "press Run" dashboard.
PANEL_CELLS = (("setup", lambda c: "from cookbook_lib import RunConfig" in c["source"]),
               ("parameters", lambda c: "parameters" in c["metadata"].get("tags", [])),
               ("data", lambda c: "data = load_dataset(" in c["source"]),
               ("config", lambda c: "config = RunConfig(" in c["source"]),
               ("knob panel", lambda c: "knob_panel(" in c["source"]))
RUN_CELL = """([i, expected]) => {
  const nb = window.jupyterapp.shell.currentWidget.content;
  const source = nb.widgets[i].model.sharedModel.getSource();
  if (source !== expected) throw new Error(`cell ${i} in the page is not the one expected: ${source.slice(0, 80)}`);
  nb.activeCellIndex = i;
  nb.deselectAll();  // run this cell only
  window.jupyterapp.commands.execute('notebook:run-cell');
}"""
CELL_DONE = """(i) => {
  const cell = window.jupyterapp.shell.currentWidget.content.widgets[i];
  return cell.model.executionCount !== null && (%s)();
}""" % KERNEL_IDLE
ANSI = re.compile(r"\x1b\[[0-9;]*m")  # colours in a traceback
CELL_ERROR = """(i) => {  // the cell's error output as text, or null
  const e = window.jupyterapp.shell.currentWidget.content.widgets[i].model.outputs.toJSON()
    .find(o => o.output_type === 'error');
  return e ? [e.ename + ': ' + e.evalue, ...e.traceback].join('\\n') : null;
}"""


def _quickstart_notebook(root: Path) -> tuple[str, list[tuple[str, int, str]]]:
    """A fresh notebook of the quickstart in `root` (never the checkout's, maybe stale or edited)
    and the (name, index, source) of the cells the knob panel needs."""
    jupytext = Path(sys.executable).parent / "jupytext"
    out = root / "00_quickstart.ipynb"
    subprocess.run([str(jupytext), "--quiet", "--to", "ipynb", "--output", str(out), str(QUICKSTART)],
                   check=True, timeout=60)
    cells = json.loads(out.read_text())["cells"]
    for c in cells:
        c["source"] = "".join(c["source"]) if isinstance(c["source"], list) else c["source"]
    wanted = []
    for name, match in PANEL_CELLS:
        found = [i for i, c in enumerate(cells) if c["cell_type"] == "code" and match(c)]
        assert len(found) == 1, f"the quickstart should have one {name} cell, found {len(found)}"
        wanted.append((name, found[0], cells[found[0]]["source"]))
    assert [i for _, i, _ in wanted] == sorted(i for _, i, _ in wanted), "the panel's cells are out of order"
    return out.name, wanted


def test_quickstart_knob_panel_renders_in_jupyterlab(tmp_path):
    _sync_playwright()
    start = time.monotonic()
    root = tmp_path
    notebook, cells = _quickstart_notebook(root)
    shot = root / "quickstart.png"
    env = dict(COOKBOOK_QUICK="1", COOKBOOK_RUNS=str(root / "runs"))
    with _lab_page(root, notebook, env) as page:
        timings = {}
        for name, i, source in cells:
            t0 = time.monotonic()
            page.evaluate(RUN_CELL, [i, source])
            page.wait_for_function(CELL_DONE, arg=i, timeout=WAIT_MS)
            timings[name] = time.monotonic() - t0
            error = page.evaluate(CELL_ERROR, i)
            if error is not None:
                raise AssertionError(f"the {name} cell failed: {ANSI.sub('', error)[-3000:]}")
        panel = cells[-1][1]
        page.evaluate("(i) => window.jupyterapp.shell.currentWidget.content.widgets[i].node.scrollIntoView()", panel)
        in_panel = "window.jupyterapp.shell.currentWidget.content.widgets[%d].node" % panel
        page.wait_for_function(f"() => {in_panel}.querySelectorAll('.widget-slider').length >= 4",
                               timeout=WAIT_MS)
        page.wait_for_function(
            f"() => [...{in_panel}.querySelectorAll('.jupyter-widgets img')].some(i => i.naturalWidth > 100)",
            timeout=WAIT_MS)
        page.wait_for_timeout(300)  # let the sliders' readouts settle for the screenshot
        page.screenshot(path=str(shot))
        state = page.evaluate(f"""() => ({{
          sliders: [...{in_panel}.querySelectorAll('.widget-slider')]
                     .map(s => s.querySelector('.widget-label').textContent.trim()),
          image: Math.max(0, ...[...{in_panel}.querySelectorAll('.jupyter-widgets img')].map(i => i.naturalWidth)),
          text: document.querySelector('.jp-Notebook').textContent,  // textContent: offscreen cells too
          tracebacks: [...document.querySelectorAll('.jp-RenderedText')]
                        .map(e => e.textContent).filter(t => t.includes('Traceback')),
        }})""")
    shutil.copy(shot, QUICKSTART_SHOT)
    print(f"screenshot: {shot} (copied to {QUICKSTART_SHOT})  ({time.monotonic() - start:.1f} s; cells: "
          + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()) + f"; sliders: {state['sliders']})")
    assert "Error displaying widget" not in state["text"]
    assert not state["tracebacks"], state["tracebacks"][0][-2000:]
    assert set(state["sliders"]) == set(QUICKSTART_KNOBS), state["sliders"]  # one slider per knob
    assert state["image"] > 100, f"the dashboard image is {state['image']} px wide"
    assert "Set the knobs and press Run" in state["text"]  # the panel's status before any run
    assert shot.stat().st_size > 10_000
