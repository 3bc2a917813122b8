"""`pip install .` (not editable) gives a working package: run from another folder, it trains,
reads its stored evidence, and keeps datasets and runs in the user's cache folder (or
COOKBOOK_DATA), never in site-packages or the current folder."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cookbook_lib.data import user_cache_dir

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = """
import json, os
import cookbook_lib
from cookbook_lib import RunConfig, evidence, load_or_train
from cookbook_lib.cache import runs_dir
from cookbook_lib.data import data_root
run = load_or_train(RunConfig(method="simclr", image_size=16, batch_size=32, steps=2, log_every=1, device="cpu"),
                    progress=False)
print(json.dumps(dict(file=cookbook_lib.__file__, root=str(data_root()), runs=str(runs_dir()),
                      stored=sorted(p.name for p in runs_dir().iterdir()), status=run.status,
                      evidence=len(evidence.load("10_projector.depth").records), cwd=os.listdir("."))))
"""


def test_a_non_editable_install_works_from_another_folder(tmp_path):
    source = tmp_path / "source"  # a copy, so that building the wheel leaves the checkout untouched
    shutil.copytree(ROOT / "cookbook_lib", source / "cookbook_lib",
                    ignore=shutil.ignore_patterns("__pycache__", "*.lock"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    site = tmp_path / "site"
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                           "--target", str(site), str(source)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    shutil.rmtree(source)  # the installed package must not need its source
    assert not (site / "pyproject.toml").exists() and (site / "cookbook_lib" / "evidence").is_dir()

    home, elsewhere = tmp_path / "home", tmp_path / "elsewhere"
    home.mkdir(), elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("COOKBOOK_") and k != "XDG_CACHE_HOME"}
    env.update(PYTHONPATH=str(site), HOME=str(home), OMP_NUM_THREADS="1", MPLBACKEND="Agg")
    done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=elsewhere, env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert Path(out["file"]).is_relative_to(site), out  # the installed copy, not the checkout
    assert Path(out["root"]) == home / ".cache" / "ssl_cookbook", out
    assert Path(out["runs"]).is_relative_to(out["root"]) and out["stored"], out  # the run was cached there
    assert out["status"] == "ok" and out["evidence"] > 0, out  # the stored evidence ships with the package
    assert out["cwd"] == [] and not any(site.glob("**/runs")), out  # nothing in the current folder or site-packages


@pytest.mark.parametrize("platform, env, expected", [
    ("linux", {"HOME": "/h"}, "/h/.cache/ssl_cookbook"),
    ("linux", {"HOME": "/h", "XDG_CACHE_HOME": "/x"}, "/x/ssl_cookbook"),
    ("darwin", {"HOME": "/Users/u"}, "/Users/u/Library/Caches/ssl_cookbook"),
    ("win32", {"USERPROFILE": "C:/Users/u", "LOCALAPPDATA": "C:/Users/u/AppData/Local"},
     "C:/Users/u/AppData/Local/ssl_cookbook/Cache"),
])
def test_the_cache_folder_follows_the_platform(platform, env, expected):
    assert user_cache_dir(platform, env) == Path(expected)
