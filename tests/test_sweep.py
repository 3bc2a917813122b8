"""Sweeps: the grid product, validation before work, resume after an interruption (Ctrl-C
between runs or inside one), a diverged or failing run that leaves the others intact,
`rerun_failed`, sweeps on a chapter's own data, and the `sweep` command line."""
import json
import math

import pytest

import cookbook_lib.cache as cache
import cookbook_lib.sweep as sweep_mod
from cookbook_lib import RunConfig
from cookbook_lib.cache import run_path
from cookbook_lib.__main__ import main
from cookbook_lib.sweep import grid_points, sweep

TINY = RunConfig(method="simclr", dataset="digits", image_size=16, batch_size=32, steps=6, log_every=3,
                 representation_dim=32, embedding_dim=16)


@pytest.fixture
def count_train(monkeypatch):
    """Count (and optionally sabotage) the calls load_or_train makes to train."""
    calls, real = [], cache.train

    def counted(config, *a, **k):
        calls.append(config)
        return real(config, *a, **k)

    monkeypatch.setattr(cache, "train", counted)
    return calls


def test_grid_product_order():
    pts = grid_points({"projector_depth": [0, 1, 2], "temperature": [0.1, 0.5]})
    assert len(pts) == 6
    assert pts[0] == {"projector_depth": 0, "temperature": 0.1}
    assert pts[-1] == {"projector_depth": 2, "temperature": 0.5}


@pytest.mark.parametrize("grid, words", [
    ({"temprature": [0.1]}, ["temprature", "temperature"]),        # typo: did you mean
    ({"projector_depth": [1, 99]}, ["projector_depth=99", "out of range"]),
    ({"method": ["simclr", "simclrr"]}, ["simclrr"]),
    ({"batch_size": [32, "big"]}, ["batch_size", "big"]),
    ({"temperature": []}, ["temperature", "no values"]),
])
def test_bad_grid_fails_before_any_training(grid, words, runs_dir, count_train):
    with pytest.raises(ValueError) as e:
        sweep(TINY, {"steps": [3], **grid}, progress=False)
    for w in words:
        assert w in str(e.value)
    assert count_train == [] and not runs_dir.exists()


def test_sweep_rows_table_and_plot(runs_dir, count_train):
    res = sweep(TINY, {"projector_depth": [0, 1], "temperature": [0.2]}, progress=False)
    assert len(count_train) == 2 and len(res.rows) == 2 and len(res.runs) == 2
    for row, depth in zip(res.rows, [0, 1]):
        assert row["projector_depth"] == depth and row["temperature"] == 0.2
        assert row["status"] == "ok" and row["seconds"] > 0
        for m in sweep_mod.METRICS:
            assert m in row
        assert 0 <= row["linear_acc"] <= 1
    table = res.table()
    text = repr(table)
    assert "projector_depth" in text and "linear_acc" in text and text.count("\n") >= 3
    assert "<table" in table._repr_html_() and "<td>ok</td>" in table._repr_html_()
    fig = res.plot("projector_depth", "linear_acc", hue="method")  # method not swept: taken from the configs
    assert fig.axes[0].get_xlabel() == "projector_depth"
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["simclr"]
    # a second sweep over the same grid trains nothing
    again = sweep(TINY, {"projector_depth": [0, 1], "temperature": [0.2]}, progress=False)
    assert len(count_train) == 2
    assert [r["linear_acc"] for r in again.rows] == [r["linear_acc"] for r in res.rows]


def test_resume_after_interruption_trains_only_the_rest(runs_dir, monkeypatch, count_train):
    grid = {"seed": [0, 1, 2]}
    real = sweep_mod.load_or_train
    done = []

    def interrupted(config, *a, **k):
        if len(done) == 2:
            raise KeyboardInterrupt  # Ctrl-C during the third run
        done.append(config.seed)
        return real(config, *a, **k)

    monkeypatch.setattr(sweep_mod, "load_or_train", interrupted)
    stopped = sweep(TINY, grid, progress=False)  # stops cleanly, keeping what finished
    assert [r["status"] for r in stopped.rows] == ["ok", "ok", "interrupted"]
    assert [c.seed for c in count_train] == [0, 1]
    monkeypatch.setattr(sweep_mod, "load_or_train", real)
    res = sweep(TINY, grid, progress=False)
    assert [c.seed for c in count_train] == [0, 1, 2]  # only the missing run trained
    assert [r["status"] for r in res.rows] == ["ok"] * 3


def test_error_in_one_run_is_recorded_and_retried_later(runs_dir, monkeypatch):
    real, count_train = cache.train, []

    def flaky(config, *a, **k):
        count_train.append(config)
        if config.seed == 1:
            raise RuntimeError("out of memory (simulated)")
        return real(config, *a, **k)

    monkeypatch.setattr(cache, "train", flaky)
    res = sweep(TINY, {"seed": [0, 1, 2]}, progress=False)
    assert [r["status"] for r in res.rows] == ["ok", "error", "ok"]
    assert "out of memory" in res.rows[1]["message"] and res.rows[1]["linear_acc"] is None
    assert res.runs[1] is None and len(res.failed) == 1
    calls = []
    monkeypatch.setattr(cache, "train", lambda c, *a, **k: calls.append(c.seed) or real(c, *a, **k))
    res = sweep(TINY, {"seed": [0, 1, 2]}, progress=False)
    assert calls == [1] and [r["status"] for r in res.rows] == ["ok"] * 3


def test_a_combination_the_method_refuses_is_a_failed_row(runs_dir, count_train):
    # wmse needs batch_size > embedding_dim: each value is valid alone, one combination is not
    res = sweep(TINY.replace(method="wmse"), {"embedding_dim": [8, 64]}, progress=False)
    assert [r["status"] for r in res.rows] == ["ok", "error"]
    assert "batch_size > embedding_dim" in res.rows[1]["message"]


def test_forced_divergence_leaves_the_others_intact(runs_dir, monkeypatch, count_train):
    import cookbook_lib.methods as methods
    real_loss = methods.SimCLR.loss

    def nan_at_high_temperature(self, views, labels):
        loss, h, z = real_loss(self, views, labels)
        return (loss * float("nan") if self.config.temperature > 1 else loss), h, z

    monkeypatch.setattr(methods.SimCLR, "loss", nan_at_high_temperature)
    with pytest.warns(RuntimeWarning, match="diverged"):
        res = sweep(TINY, {"temperature": [0.1, 2.0, 0.5]}, progress=False)
    assert [r["status"] for r in res.rows] == ["ok", "diverged", "ok"]
    assert res.rows[1]["diverged_at"] == 1 and "diverged" in res.rows[1]["message"]
    for r in (res.rows[0], res.rows[2]):
        assert math.isfinite(r["linear_acc"]) and r["message"] == ""
    fig = res.plot("temperature", "linear_acc")
    assert "diverged" in [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    # the diverged run is stored: a re-sweep loads it; rerun_failed trains it again
    n = len(count_train)
    sweep(TINY, {"temperature": [0.1, 2.0, 0.5]}, progress=False)
    assert len(count_train) == n
    with pytest.warns(RuntimeWarning, match="diverged"):
        sweep(TINY, {"temperature": [0.1, 2.0, 0.5]}, progress=False, rerun_failed=True)
    assert [c.temperature for c in count_train[n:]] == [2.0]


def test_cli_sweep_writes_json(runs_dir, tmp_path, capsys):
    out = tmp_path / "sweep.json"
    code = main(["sweep", "--method", "simclr", "--dataset", "digits", "--image-size", "16", "--batch-size", "32",
                 "--steps", "3", "--log-every", "3", "--representation-dim", "32", "--embedding-dim", "16",
                 "--grid", "projector_depth=0,1", "--grid", "stop-gradient=true", "--json", str(out), "--quiet"])
    assert code == 0
    d = json.loads(out.read_text())
    assert d["grid"] == {"projector_depth": [0, 1], "stop_gradient": [True]}
    assert [r["projector_depth"] for r in d["rows"]] == [0, 1]
    assert all(r["status"] == "ok" and 0 <= r["linear_acc"] <= 1 for r in d["rows"])
    assert "projector_depth" in capsys.readouterr().out


def test_cli_sweep_reports_failures_and_exits_0(runs_dir, tmp_path, capsys):
    code = main(["sweep", "--method", "wmse", "--dataset", "digits", "--image-size", "16", "--batch-size", "32",
                 "--steps", "3", "--log-every", "3", "--representation-dim", "32",
                 "--grid", "embedding_dim=8,64", "--quiet"])
    assert code == 0
    assert "failed (error): embedding_dim=64" in capsys.readouterr().err


def test_cli_sweep_bad_grid(runs_dir):
    with pytest.raises(SystemExit, match="Did you mean 'temperature'"):
        main(["sweep", "--grid", "temprature=0.1,0.2"])
    with pytest.raises(SystemExit, match="expected an int"):
        main(["sweep", "--grid", "projector_depth=1,two"])
    with pytest.raises(SystemExit, match="out of range"):
        main(["sweep", "--grid", "projector_depth=1,99"])
    with pytest.raises(SystemExit, match="KNOB=V1,V2"):
        main(["sweep", "--grid", "projector_depth"])
    assert not runs_dir.exists()


def test_ctrl_c_inside_a_run_keeps_the_finished_runs_and_marks_the_row(runs_dir, monkeypatch, count_train):
    """Ctrl-C while a run trains: `train` returns it as "interrupted", the sweep records that
    row, stores nothing for it and stops; the next sweep trains only what is missing."""
    import cookbook_lib.methods as methods
    real_loss, steps = methods.SimCLR.loss, []

    def ctrl_c_in_seed_1(self, views, labels):
        if self.config.seed == 1:
            steps.append(1)
            if len(steps) == 5:  # the fifth step of the second run, after its first log step (3)
                raise KeyboardInterrupt
        return real_loss(self, views, labels)

    monkeypatch.setattr(methods.SimCLR, "loss", ctrl_c_in_seed_1)
    try:
        res = sweep(TINY, {"seed": [0, 1, 2]}, progress=False)
    except KeyboardInterrupt:
        pytest.fail("Ctrl-C inside a run escaped the sweep")
    assert [r["status"] for r in res.rows] == ["ok", "interrupted"]  # stopped: seed 2 never started
    assert [c.seed for c in count_train] == [0, 1]
    assert res.runs[1].status == "interrupted" and [h["step"] for h in res.runs[1].history] == [3]
    assert res.rows[1]["linear_acc"] is None and res.rows[1]["rankme"] > 0  # the cheap metrics only
    assert run_path(res.configs[0]).exists() and not run_path(res.configs[1]).exists()
    monkeypatch.setattr(methods.SimCLR, "loss", real_loss)
    again = sweep(TINY, {"seed": [0, 1, 2]}, progress=False)
    assert [c.seed for c in count_train] == [0, 1, 1, 2]  # seed 0 loaded, 1 and 2 trained
    assert [r["status"] for r in again.rows] == ["ok"] * 3
    assert again.rows[0]["linear_acc"] == res.rows[0]["linear_acc"]


def test_rerun_failed_reads_the_stored_status_without_building_a_model(runs_dir, monkeypatch, count_train):
    """The check reads config and status only (`load_run(..., model=False)`): building the
    model of every stored run just to read its status was slow, and a model that could not be
    built (say, a knob added since) left the failed run in place."""
    from cookbook_lib.methods import build
    from cookbook_lib.methods.base import Method
    from cookbook_lib.runs import Run, save_run

    ok_cfg, bad_cfg = TINY.replace(seed=0), TINY.replace(seed=1)
    for cfg, status in ((ok_cfg, "ok"), (bad_cfg, "diverged")):  # stored runs with weights
        save_run(Run(cfg.resolved(), [{"step": 3, "loss": 1.0}], {"linear_acc": 0.5}, status, "",
                     model=build(cfg.resolved(), 10), num_classes=10), run_path(cfg))
    real_init, real_drop, checking = Method.__init__, sweep_mod._drop_failed, []

    def no_model_while_checking(self, *a, **k):
        if checking:
            raise RuntimeError("the rerun_failed check built a model")
        real_init(self, *a, **k)

    def drop_failed(*a, **k):
        checking.append(1)
        try:
            return real_drop(*a, **k)
        finally:
            checking.pop()

    monkeypatch.setattr(Method, "__init__", no_model_while_checking)
    monkeypatch.setattr(sweep_mod, "_drop_failed", drop_failed)
    res = sweep(TINY, {"seed": [0, 1]}, progress=False, rerun_failed=True)
    assert [c.seed for c in count_train] == [1]  # the diverged run was dropped and trained again
    assert [r["status"] for r in res.rows] == ["ok", "ok"]
    assert res.rows[0]["linear_acc"] == 0.5  # the stored ok run was kept and loaded


# ---------------------------------------------------------------- sweeps on a chapter's own data (chapter 12)
SMALL = RunConfig(method="simclr", dataset="digits", image_size=16, batch_size=16, steps=4, log_every=2,
                  representation_dim=32, embedding_dim=16)


def test_sweep_on_own_data_is_cached_under_its_key(runs_dir, digits16_small):
    grid = {"lr_scaling": ["linear", "sqrt"]}
    res = sweep(SMALL, grid, progress=False, data=digits16_small, data_key="digits256")
    assert [r["status"] for r in res.rows] == ["ok", "ok"]
    for cfg in res.configs:
        assert run_path(cfg, "digits256").exists()      # stored under the data key ...
        assert not run_path(cfg).exists()               # ... never as a run on the full dataset
    again = sweep(SMALL, grid, progress=False, data=digits16_small, data_key="digits256")
    assert [r["linear_acc"] for r in again.rows] == [r["linear_acc"] for r in res.rows]


def test_sweep_with_data_needs_a_key(digits16_small):
    import dataclasses
    assert digits16_small.key == "head256-128"  # a subset names itself
    unnamed = dataclasses.replace(digits16_small, key="")  # data a chapter built by hand
    with pytest.raises(ValueError, match="data_key"):
        sweep(SMALL, {"lr_scaling": ["sqrt"]}, progress=False, data=unnamed)
