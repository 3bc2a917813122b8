"""`make notebooks` and `make lab` as a newcomer meets them: notebooks are re-synced only
when their chapter changed (one jupytext call), and the lab command prints a link to the
quickstart, hides the paired .py files and runs as root. Runs make in a temporary copy with
a stand-in `jupytext`/`jupyter` that records its arguments."""
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def house(tmp_path):
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    (tmp_path / "chapters").mkdir()
    for name in ("00_a", "01_b", "02_c"):
        (tmp_path / "chapters" / f"{name}.py").write_text("# %%\nprint(1)\n")
    venv = tmp_path / "venv" / "bin"
    venv.mkdir(parents=True)
    log = tmp_path / "calls.log"
    for tool in ("jupytext", "jupyter"):  # record the arguments; jupytext writes the notebooks it is given
        (venv / tool).write_text(
            f"#!/bin/sh\necho \"{tool} $*\" >> {log}\n"
            "for a in \"$@\"; do case \"$a\" in *.py) touch \"${a%.py}.ipynb\";; esac; done\n")
        (venv / tool).chmod(0o755)
    return tmp_path, log


def make(root, *args):
    return subprocess.run(["make", "-s", *args, f"VENV={root / 'venv'}", "STAMP="], cwd=root, check=True,
                          capture_output=True, text=True).stdout


def test_notebooks_are_synced_only_when_their_chapter_changed(house):
    root, log = house
    make(root, "notebooks")
    assert log.read_text().splitlines() == [
        "jupytext --quiet --sync chapters/00_a.py chapters/01_b.py chapters/02_c.py"]  # one call for all
    make(root, "notebooks")
    assert len(log.read_text().splitlines()) == 1  # nothing changed: jupytext is not called
    time.sleep(1.1)  # a newer mtime on every filesystem
    (root / "chapters" / "01_b.py").write_text("# %%\nprint(2)\n")
    make(root, "notebooks")
    assert log.read_text().splitlines()[-1] == "jupytext --quiet --sync chapters/01_b.py"
    (root / "chapters" / "02_c.ipynb").unlink()  # a deleted notebook comes back
    make(root, "notebooks")
    assert log.read_text().splitlines()[-1] == "jupytext --quiet --sync chapters/02_c.py"


def test_lab_opens_the_quickstart_hides_the_paired_py_and_runs_as_root(house):
    root, log = house
    make(root, "lab")
    call = log.read_text().splitlines()[-1]
    assert call.startswith("jupyter lab ")
    assert "--LabApp.default_url=/lab/tree/chapters/00_quickstart.ipynb" in call  # the printed link
    assert "[0-9][0-9]_*.py" in call  # the chapters' .py twins are hidden in the file browser
    assert ("--allow-root" in call) == (os.geteuid() == 0)
