"""The evidence panel: moving a control answers from the stored seeds with nothing trained;
Run trains a setting that is not stored and draws it over the stored ones."""
import sys

import pytest

from cookbook_lib import evidence
from cookbook_lib.evidence import Grid, grids
from cookbook_lib.explore import EvidencePanel, evidence_panel

TINY = dict(method="simclr", dataset="digits", image_size=16, batch_size=16, steps=4, log_every=2, device="cpu",
            representation_dim=32, projector_width=64, embedding_dim=16)


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    """A 2-point × 2-seed temperature grid, computed once into a temporary store."""
    mp = pytest.MonkeyPatch()
    mp.setattr(evidence, "STORE", tmp_path_factory.mktemp("store"))
    g = Grid("99_test.explore", TINY, {"temperature": [0.1, 0.5]}, seeds=(0, 1), head=(64, 32), claim="a test")
    mp.setitem(grids.GRIDS, g.name, g)
    evidence.compute(g.name, progress=False, log=lambda *_: None)
    yield g
    mp.undo()


@pytest.fixture
def no_training(monkeypatch, tmp_path):
    monkeypatch.setenv("COOKBOOK_RUNS", str(tmp_path))  # nothing of the reader's cache is seen

    def refuse(*a, **k):
        raise AssertionError("the panel trained while it should read the store")
    for module in ("cookbook_lib.train", "cookbook_lib.cache"):  # the package exports the function too
        monkeypatch.setattr(sys.modules[module], "train", refuse)


def test_moving_a_control_answers_from_the_store_without_training(stored, no_training):
    panel = evidence_panel(stored.name, metric="linear_acc")
    ev = evidence.load(stored.name)
    assert panel.axis == "temperature" and panel.point() == {"temperature": 0.1}
    first, slice_png = panel.dashboard.value, panel.slice_plot.value
    assert panel.status_text.startswith("stored: 2 seeds (0, 1)")
    assert f"{ev.mean('linear_acc', temperature=0.1):.3f}" in panel.status_text
    panel.controls["temperature"].value = 0.5                     # what dragging the slider does
    assert f"{ev.mean('linear_acc', temperature=0.5):.3f}" in panel.status_text
    assert panel.dashboard.value != first and panel.slice_plot.value != slice_png
    labels = [label for label, _ in panel.controls["temperature"].options]
    assert "0.1 · stored" in labels and "0.5 · stored" in labels and "0.2" in labels  # a stop that is not stored
    panel.controls["temperature"].value = 0.2
    assert panel.status_text.startswith("not stored") and not panel.stored_runs()
    panel.controls["temperature"].value = 0.1
    panel.controls["seed"].value = 7
    assert "Run trains seed 7 live" in panel.status_text


def test_the_bands_are_the_stored_seeds_mean_and_spread(stored, no_training):
    panel = evidence_panel(stored.name, metrics=("loss", "rankme"))
    runs = panel.stored_runs()
    band = panel._axes[0].lines[0]                                # the stored mean of the first key
    expected = [sum(r["history"][i]["loss"] for r in runs) / 2 for i in range(len(runs[0]["history"]))]
    assert list(band.get_ydata()) == pytest.approx(expected)
    assert band.get_label().startswith("stored: 2 seeds")


def test_run_trains_a_setting_that_is_not_stored_and_draws_it_over_the_store(stored, monkeypatch, tmp_path):
    monkeypatch.setenv("COOKBOOK_RUNS", str(tmp_path))
    panel = evidence_panel(stored.name)
    panel.controls["temperature"].value = 0.2
    run = panel.run()
    assert run is not None and run.status == "ok" and run.config.temperature == 0.2
    assert run.config.steps == stored.base["steps"]               # the grid's budget, not a shorter one
    assert [ln.get_label() for ln in panel._axes[0].lines][-1].startswith("yours")
    ax_labels = panel.slice_plot.value
    assert ax_labels and panel.runs == [run]
    # a stored seed re-trained lands exactly on its stored value (same config and seed on a CPU)
    panel.controls["temperature"].value = 0.5
    panel.controls["seed"].value = 1
    again = panel.run()
    assert again.metrics["linear_acc"] == pytest.approx(evidence.load(stored.name).values("linear_acc", temperature=0.5)[1])


def test_bad_names_are_refused_with_a_suggestion(stored):
    with pytest.raises(ValueError, match="no evidence grid '99_test.explor'.*99_test.explore"):
        evidence_panel("99_test.explor")
    with pytest.raises(ValueError, match="linear_acc_zz"):
        evidence_panel(stored.name, metric="linear_acc_zz")
    with pytest.raises(ValueError, match="subset.*choose a grid without a subset"):
        EvidencePanel("01_why_ssl.supervised")
