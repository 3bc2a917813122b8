"""A real browser: JupyterLab on a free loopback port, a notebook with a knob panel opened in
headless Chromium (Debian's `chromium`, driven by Playwright), Run pressed in the page; the
slider, the dashboard image and the "done" status must render, with no "Error displaying
widget". The screenshot is saved in the test's temporary folder (its path is printed).

Needs /usr/bin/chromium (`apt-get install -y chromium`; `.ci/run` installs it) and the
`playwright` package (requirements.txt; its own browser download is never used). Outside CI
(`CI` unset) the test is skipped when either is missing; in CI it fails instead.
"""
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


def _start_lab(root: Path, port: int, token: str) -> subprocess.Popen:
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(root / "rt"), JUPYTER_CONFIG_DIR=str(root / "cfg"),
               JUPYTERLAB_SETTINGS_DIR=str(root / "settings"), JUPYTERLAB_WORKSPACES_DIR=str(root / "ws"),
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
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


def test_knob_panel_renders_and_runs_in_jupyterlab(tmp_path):
    _need(Path(CHROMIUM).exists(), f"{CHROMIUM} is not installed (apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _need(False, "the playwright package is not installed (pip install -r requirements.txt)")
    start = time.monotonic()
    root = tmp_path
    _write_notebook(root / "panel.ipynb", NOTEBOOK_SOURCE.format(runs=str(root / "runs")))
    port, token = _free_port(), secrets.token_hex(16)
    proc = _start_lab(root, port, token)
    shot = root / "browser.png"
    try:
        _wait_for_server(proc, port, token, root)
        with sync_playwright() as p:
            ctx = p.chromium.launch_persistent_context(
                str(root / "profile"), executable_path=CHROMIUM, headless=True, args=FLAGS,
                viewport={"width": 1280, "height": 1400})
            try:
                page = ctx.pages[0] if ctx.pages else ctx.new_page()
                page.set_default_timeout(WAIT_MS)
                page.goto(f"http://127.0.0.1:{port}/lab/tree/panel.ipynb?token={token}", timeout=WAIT_MS)
                page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=WAIT_MS)
                page.wait_for_function(KERNEL_IDLE, timeout=WAIT_MS)  # "Run All" once the kernel is ready
                page.evaluate("() => window.jupyterapp.commands.execute('application:toggle-left-area')")
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
                page.wait_for_selector(".jupyter-widgets >> text=/done in/", timeout=WAIT_MS)
                page.wait_for_selector(".cookbook-diagnosis", timeout=WAIT_MS)
                redraws = page.evaluate("() => window.__redraws")
                text = page.inner_text(".jp-Notebook")
                page.screenshot(path=str(shot), full_page=True)
            except Exception:
                page.screenshot(path=str(root / "failure.png"), full_page=True)
                print(f"failure screenshot: {root / 'failure.png'}\n"
                      f"jupyter log:\n{(root / 'lab.log').read_text()[-3000:]}")
                raise
            finally:
                ctx.close()
    finally:
        _stop(proc)
    print(f"screenshot: {shot}  ({time.monotonic() - start:.1f} s, {redraws} dashboard redraws seen in the page)")
    if os.environ.get("COOKBOOK_SCREENSHOT"):
        shutil.copy(shot, os.environ["COOKBOOK_SCREENSHOT"])
    assert "Error displaying widget" not in text
    assert "temperature" in text and "batch_size" in text  # the sliders, named by their knobs
    assert "Diagnosis (simclr)" in text
    assert redraws >= 3, f"the dashboard changed {redraws} times in the page while the run trained (4 log steps)"
    assert shot.stat().st_size > 10_000
