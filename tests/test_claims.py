"""chapters/CLAIMS.md: the paper's claims, where each is shown and asserted. The table is only
trustworthy while its citations point at real assertions, so the test reads every one."""
import re
from pathlib import Path

from cookbook_lib.evidence.grids import GRIDS

ROOT = Path(__file__).resolve().parents[1]
CLAIMS = ROOT / "chapters" / "CLAIMS.md"


def rows() -> list[list[str]]:
    lines = [ln for ln in CLAIMS.read_text().splitlines() if ln.startswith("| ") and not ln.startswith("| § ")]
    return [[c.strip() for c in ln.strip().strip("|").split("|")] for ln in lines]


def test_every_row_has_a_claim_a_chapter_a_method_and_a_status():
    table = rows()
    assert len(table) >= 25
    for row in table:
        assert len(row) == 6, row
        section, claim, chapter, how, where, status = row
        assert claim and re.search(r"`\d\d_[a-z_]+`", chapter), row
        assert status.startswith(("shown and asserted", "shown, not asserted", "shown: our run disagrees",
                                  "not shown at this scale")), row
    assert sum(r[5].startswith("not shown at this scale") for r in table) <= 3
    assert "TODO" not in CLAIMS.read_text()


def test_every_cited_line_is_an_assertion_and_every_grid_exists():
    text = CLAIMS.read_text()
    cited = re.findall(r"(chapters/\d\d_[a-z_]+\.py):(\d+)", text)
    assert len(cited) > 25
    for path, line in cited:
        lines = (ROOT / path).read_text().splitlines()
        assert lines[int(line) - 1].lstrip().startswith("assert "), f"{path}:{line} is not an assert: {lines[int(line) - 1]!r}"
    for grid in re.findall(r"`(\d\d_[a-z_]+\.[a-z_0-9]+)`", text):
        assert grid in GRIDS, grid
    for row in rows():
        if row[5].startswith("shown and asserted"):
            assert re.search(r"chapters/\d\d_[a-z_]+\.py:\d+", row[4]), row



def test_every_cited_call_site_calls_the_checking_function():
    """A row citing a helper's assertions names where the chapter calls it: `(in `check`, called at
    line N)`, after that chapter's cited lines. Line N of the chapter cited just before must call
    the helper, or the row points at the wrong comparison."""
    calls = 0
    for row in rows():
        for m in re.finditer(r"in `(\w+)`, called at line (\d+)", row[4]):
            path = re.findall(r"(chapters/\d\d_[a-z_]+\.py):\d+", row[4][:m.start()])[-1]
            line = (ROOT / path).read_text().splitlines()[int(m.group(2)) - 1]
            assert f"{m.group(1)}(" in line, f"{path}:{m.group(2)} does not call {m.group(1)}: {line!r}"
            calls += 1
    assert calls >= 1
