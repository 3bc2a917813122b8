"""Fixtures shared by the test files.

- `runs_dir`: the run cache (`COOKBOOK_RUNS`) pointed at a fresh temporary folder
  (`tmp_path / "runs"`, not created: a test can check that nothing was written).
- the embedded datasets at 16 pixels on the CPU, loaded once per session (`load_dataset`
  keeps them in memory anyway; `ImageData` is immutable, so sharing them is safe):
  `shapes16` (all 8,192 / 2,048 images), `shapes16_small` (the first 2,048 / 512),
  `digits16` (all 1,437 / 360), `digits16_small` (the first 256 / 128).

`tests/test_widgets.py` keeps its own `runs_dir` (same behaviour).
"""
import pytest

from cookbook_lib.data import load_dataset


@pytest.fixture
def runs_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("COOKBOOK_RUNS", str(tmp_path / "runs"))
    return tmp_path / "runs"


@pytest.fixture(scope="session")
def shapes16():
    return load_dataset("shapes", 16, "cpu")


@pytest.fixture(scope="session")
def shapes16_small(shapes16):
    return shapes16.head(2048, 512)


@pytest.fixture(scope="session")
def digits16():
    return load_dataset("digits", 16, "cpu")


@pytest.fixture(scope="session")
def digits16_small(digits16):
    return digits16.head(256, 128)
