"""Notebooks for Colab and other hosted Jupyter (`python -m cookbook_lib notebooks --standalone`):
chapter 00, executed in a fresh virtual environment where cookbook_lib is not installed, from a
folder outside the checkout, installs the library in its first cell (from a copy of the
checkout, standing in for the repository URL) and runs its cells unchanged up to its first
training run (`make test` runs the whole chapter; here the install is what is tested)."""
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

from cookbook_lib import lab

ROOT = Path(__file__).resolve().parents[1]


def test_a_standalone_chapter_installs_the_library_and_runs(tmp_path):
    source = tmp_path / "checkout"  # stands in for the repository: pip builds from a copy, not from the checkout
    shutil.copytree(ROOT / "cookbook_lib", source / "cookbook_lib", ignore=shutil.ignore_patterns("__pycache__", "*.lock"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    out = tmp_path / "colab"
    written = lab.write_standalone(ROOT, out, [str(source)], log=lambda s: None)
    assert len(written) == len(list((ROOT / "chapters").glob("[0-9][0-9]_*.py")))
    nb = json.loads((out / "00_quickstart.ipynb").read_text())
    assert "find_spec(\"cookbook_lib\")" in "".join(nb["cells"][0]["source"]) and "jupytext" not in nb["metadata"]

    env_dir = tmp_path / "venv"  # a fresh environment: its own site-packages, with pip; no cookbook_lib
    venv.create(env_dir, with_pip=True)
    python = env_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    # torch, nbconvert ... come from this environment, read-only; a .pth file adds its
    # site-packages as a plain folder, so this environment's editable cookbook_lib is not seen
    Path(site, "from_test_env.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    check = subprocess.run([str(python), "-c", "import importlib.util as u; print(u.find_spec('cookbook_lib'))"],
                           capture_output=True, text=True, cwd=tmp_path)
    assert check.stdout.strip() == "None", check.stdout + check.stderr

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    first_training = next(i for i, c in enumerate(nb["cells"])
                          if c["cell_type"] == "code" and "train(" in "".join(c["source"]))
    assert first_training > 4  # install, imports and setup, parameters, data: all before it
    (elsewhere / "00_quickstart.ipynb").write_text(json.dumps({**nb, "cells": nb["cells"][:first_training]}))
    env = {k: v for k, v in os.environ.items() if k not in ("COOKBOOK_DATA", "PYTHONPATH", "JUPYTER_PATH")}
    env.update(HOME=str(tmp_path / "home"), COOKBOOK_QUICK="1", OMP_NUM_THREADS="1",
               COOKBOOK_RUNS=os.environ.get("COOKBOOK_RUNS") or str(tmp_path / "runs"))  # `make test` shares its run cache
    done = subprocess.run([str(python), "-m", "nbconvert", "--to", "notebook", "--execute", "--output", "run.ipynb",
                           "--ExecutePreprocessor.timeout=900", "00_quickstart.ipynb"],
                          cwd=elsewhere, env=env, capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stderr[-4000:]
    ran = json.loads((elsewhere / "run.ipynb").read_text())
    errors = [o for c in ran["cells"] if c["cell_type"] == "code" for o in c.get("outputs", []) if o["output_type"] == "error"]
    assert not errors, errors
    figures = [o for c in ran["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])
               if "image/png" in o.get("data", {})]
    assert len(figures) >= 2, "the data and views cells drew no figure"
    installed = subprocess.run([str(python), "-c", "import cookbook_lib; print(cookbook_lib.__file__)"],
                               capture_output=True, text=True, cwd=tmp_path, check=True).stdout.strip()
    assert Path(installed).is_relative_to(Path(site)), installed  # the first cell installed it into the fresh env
    assert sorted(p.name for p in elsewhere.iterdir()) == ["00_quickstart.ipynb", "run.ipynb"]
