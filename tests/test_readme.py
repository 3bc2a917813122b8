"""Every import the README shows still works (the public API keeps its names)."""
import re
from pathlib import Path

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_every_import_in_the_readme_works():
    lines = re.findall(r"^\s*(from cookbook_lib[\w.]* import [\w, ]+|import cookbook_lib[\w.]*)", README, re.M)
    assert len(lines) >= 4, lines
    for line in lines:
        exec(line, {})  # raises ImportError if a documented name moved


def test_every_module_the_readme_names_exists():
    root = Path(__file__).resolve().parents[1] / "cookbook_lib"
    for name in re.findall(r"^\| `([\w/]+(?:\.py|/))` \|", README, re.M):
        assert (root / name).exists(), name
