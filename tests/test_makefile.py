"""`notebooks` and `lab` as a newcomer meets them, with or without make: notebooks are
re-synced only when their chapter changed (one jupytext call), the lab command opens the
quickstart, hides the paired .py files and runs as root, and the Makefile's targets are the
same Python commands (`python -m cookbook_lib notebooks|lab`, cookbook_lib/lab.py)."""
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cookbook_lib import lab

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def house(tmp_path, monkeypatch):
    """Three chapters in a temporary checkout; jupytext is a stand-in that records its
    arguments and writes the notebooks it is given."""
    (tmp_path / "chapters").mkdir()
    for name in ("00_a", "01_b", "02_c"):
        (tmp_path / "chapters" / f"{name}.py").write_text("# %%\nprint(1)\n")
    calls = []

    def fake_run(cmd, cwd=None, check=False):
        args = [str(a) for a in cmd[3:]]  # after python -m jupytext
        calls.append(" ".join(Path(a).relative_to(tmp_path).as_posix() if a.endswith(".py") else a for a in args))
        for a in args:
            if a.endswith(".py"):
                Path(a).with_suffix(".ipynb").touch()
        return subprocess.CompletedProcess(cmd, 0)

    monkeypatch.setattr(lab.subprocess, "run", fake_run)
    return tmp_path, calls


def test_notebooks_are_synced_only_when_their_chapter_changed(house):
    root, calls = house
    lab.sync(root, log=lambda *_: None)
    assert calls == ["--quiet --sync chapters/00_a.py chapters/01_b.py chapters/02_c.py"]  # one call for all
    lab.sync(root, log=lambda *_: None)
    assert len(calls) == 1  # nothing changed: jupytext is not called
    time.sleep(1.1)  # a newer mtime on every filesystem
    (root / "chapters" / "01_b.py").write_text("# %%\nprint(2)\n")
    lab.sync(root, log=lambda *_: None)
    assert calls[-1] == "--quiet --sync chapters/01_b.py"
    (root / "chapters" / "02_c.ipynb").unlink()  # a deleted notebook comes back
    lab.sync(root, log=lambda *_: None)
    assert calls[-1] == "--quiet --sync chapters/02_c.py"


def test_lab_opens_the_quickstart_hides_the_paired_py_and_runs_as_root():
    cmd = lab.lab_command(port=9999)
    assert cmd[:4] == [sys.executable, "-m", "jupyter", "lab"] and "9999" in cmd
    assert "--LabApp.default_url=/lab/tree/chapters/00_quickstart.ipynb" in cmd  # the printed link
    assert any("[0-9][0-9]_*.py" in a for a in cmd)  # the chapters' .py twins are hidden in the file browser
    assert ("--allow-root" in cmd) == (hasattr(os, "geteuid") and os.geteuid() == 0)


def test_lab_finds_the_checkout_or_says_what_to_do(tmp_path):
    assert lab.find_root() == ROOT  # the checkout this package lives in
    (tmp_path / "site").mkdir()
    nested = tmp_path / "clone" / "notes"
    nested.mkdir(parents=True)
    (tmp_path / "clone" / "chapters").mkdir()
    (tmp_path / "clone" / "chapters" / "00_quickstart.py").write_text("# %%\n")
    assert lab.find_root(start=nested, home=tmp_path / "site") == tmp_path / "clone"  # a parent of the cwd
    (tmp_path / "empty").mkdir()
    with pytest.raises(SystemExit, match="clone of the cookbook"):
        lab.find_root(start=tmp_path / "empty", home=tmp_path / "site")


def test_the_command_line_prints_the_lab_command_without_starting_it():
    out = subprocess.run([sys.executable, "-m", "cookbook_lib", "lab", "--dry-run", "--port", "9123"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    assert "jupyter lab --port 9123" in out and "00_quickstart.ipynb" in out


def test_the_make_targets_are_the_python_commands(tmp_path):
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    venv = tmp_path / "venv" / "bin"
    venv.mkdir(parents=True)
    log = tmp_path / "calls.log"
    (venv / "python").write_text(f"#!/bin/sh\necho \"python $*\" >> {log}\n")
    (venv / "python").chmod(0o755)
    for target in ("notebooks", "lab"):
        subprocess.run(["make", "-s", target, f"VENV={tmp_path / 'venv'}", "STAMP=", "PORT=9999"], cwd=tmp_path,
                       check=True, capture_output=True)
    assert log.read_text().splitlines() == ["python -m cookbook_lib notebooks",
                                            "python -m cookbook_lib lab --port 9999"]
