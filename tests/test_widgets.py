"""The knob panel without a browser: every control over its whole range gives a valid
RunConfig; Run redraws the dashboard at log steps; Stop ends a run on the worker thread and
keeps its curves; errors show in the panel; a setting trained before comes from the cache
(and shows when the panel opens); knobs the method ignores are greyed out."""
import time

import ipywidgets as W
import pytest

import cookbook_lib.cache as cache
from cookbook_lib import RunConfig
from cookbook_lib.config import knob_info, knob_names
from cookbook_lib.widgets import AUTO, DEFAULT_KNOBS, knob_panel, nice_values

TINY = RunConfig(method="simclr", dataset="digits", image_size=16, batch_size=32, steps=12, log_every=3,
                 representation_dim=32, embedding_dim=16)
# every knob a widget can show, except the free-text ones (device, data_path)
ALL_KNOBS = [k for k in knob_names() if not (knob_info(k)["type"] is str and not knob_info(k)["choices"])]


@pytest.fixture
def runs_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("COOKBOOK_RUNS", str(tmp_path / "runs"))
    return tmp_path / "runs"


def sample_values(control):
    """min, max and a middle value of a slider; every option of a dropdown/selection; both of a checkbox."""
    if isinstance(control, W.Checkbox):
        return [False, True]
    if isinstance(control, (W.Dropdown, W.SelectionSlider)):
        return [v for _, v in control.options]
    lo, hi = control.min, control.max
    mid = (lo + hi) // 2 if isinstance(control, W.IntSlider) else (lo + hi) / 2
    return [lo, mid, hi]


def test_every_control_over_its_whole_range_gives_a_valid_config():
    panel = knob_panel(TINY, knobs=ALL_KNOBS)
    assert set(panel.controls) == set(ALL_KNOBS)
    for name, control in panel.controls.items():
        assert control.description == name  # one name everywhere
        values = sample_values(control)
        assert len(values) >= 2, name
        for v in values:
            control.value = v
            cfg = panel.config()  # raises ValueError if the widget produced a value RunConfig refuses
            assert getattr(cfg, name) == (None if v is AUTO else v), (name, v)
        control.value = AUTO if getattr(TINY, name) is None else getattr(TINY, name)


def test_slider_kinds_and_ranges_come_from_the_config():
    panel = knob_panel(TINY, knobs=("method", "optimizer", "temperature", "batch_size", "projector_depth", "warmup",
                                    "stop_gradient", "ema_momentum", "lr"))
    c = panel.controls
    assert isinstance(c["method"], W.Dropdown)
    assert [v for _, v in c["method"].options] == list(knob_info("method")["choices"])
    assert c["optimizer"].value == AUTO and AUTO in [v for _, v in c["optimizer"].options]
    assert isinstance(c["temperature"], W.SelectionSlider)  # log-scale: log-spaced stops
    stops = [v for _, v in c["temperature"].options if v is not AUTO]
    assert stops[0] == 0.01 and stops[-1] == 10.0 and 0.1 in stops and 0.5 in stops
    assert [v for _, v in c["batch_size"].options][:3] == [4, 8, 16]  # powers of two
    assert isinstance(c["projector_depth"], W.IntSlider)
    assert (c["projector_depth"].min, c["projector_depth"].max) == (0, 6)
    assert isinstance(c["warmup"], W.FloatSlider) and c["warmup"].max == 0.9
    assert isinstance(c["stop_gradient"], W.Checkbox)
    assert 0.996 in [v for _, v in c["ema_momentum"].options]
    assert c["lr"].value == AUTO and panel.config().lr is None
    # a base value off the stops is kept as a stop
    assert knob_panel(TINY.replace(temperature=0.07), knobs=("temperature",)).controls["temperature"].value == 0.07
    assert isinstance(knob_panel(TINY).widget, W.VBox)
    with pytest.raises(ValueError, match="temprature"):
        knob_panel(TINY, knobs=("temprature",))


def test_nice_values():
    assert nice_values(0.01, 1.0, integer=False) == [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0]
    assert nice_values(0, 100, integer=True) == [0, 1, 2, 5, 10, 20, 50, 100]
    assert nice_values(3, 40, integer=True, powers_of_two=True) == [3, 4, 8, 16, 32, 40]


def test_drawing_takes_at_most_its_share_of_a_fast_run(runs_dir, monkeypatch):
    """A redraw that costs more than the log steps between them is skipped until drawing
    has used at most DRAW_SHARE of the time (the finished run is drawn after training)."""
    panel = knob_panel(TINY.replace(steps=40, log_every=1), knobs=("temperature",))
    real, took = panel.redraw, []

    def slow_redraw(runs, layout=True):
        t = time.perf_counter()
        time.sleep(0.2)
        real(runs, layout)
        took.append(time.perf_counter() - t)

    monkeypatch.setattr(panel, "redraw", slow_redraw)
    panel.REDRAW_EVERY_S, panel.DRAW_SHARE = 0.0, 0.2
    run = panel.run()
    assert run.status == "ok" and len(run.history) == 40
    drawn = panel.timings["draw_s"]  # the redraws at log steps
    assert 1 <= len(took) - 1 <= 10  # the first log step drawn, most others skipped (then the finished run)
    # at most the share of the time, plus the first draw (never skipped)
    assert drawn <= panel.DRAW_SHARE * panel.timings["total_s"] + max(took), (panel.timings, took)


def test_run_redraws_at_every_log_step_then_loads_from_cache(runs_dir, monkeypatch):
    panel = knob_panel(TINY, knobs=DEFAULT_KNOBS)
    assert panel.redraws == 1 and panel.dashboard.value[:4] == b"\x89PNG"  # the empty dashboard
    panel.REDRAW_EVERY_S, panel.DRAW_SHARE = 0.0, 1.0  # draw at every log step (no throttle)
    images = []
    panel.dashboard.observe(lambda ch: images.append(ch["new"]), names="value")
    run = panel.run()
    assert run is not None and run.status == "ok"
    log_steps = len(run.history)
    assert log_steps == 4
    assert len(images) >= log_steps  # a new image at every log step (the final redraw may be identical)
    assert panel.redraws >= log_steps + 2  # the empty one, one per log step, the finished run
    assert panel.status_text.startswith("done") and "linear_acc" in panel.status_text
    assert panel.timings["first_update_s"] < panel.timings["total_s"]
    assert "Diagnosis (simclr)" in panel.diagnosis.value
    assert run_path_exists(run)
    # a second identical run comes from the cache: training is not called
    monkeypatch.setattr(cache, "train", lambda *a, **k: pytest.fail("the cached run was trained again"))
    again = panel.run()
    assert again.metrics["linear_acc"] == run.metrics["linear_acc"]
    assert "loaded from cache" in panel.status_text
    assert len(panel.runs) == 1  # the same setting is not overlaid twice


def run_path_exists(run):
    return cache.run_path(run.config).exists()


def test_overlay_labels_name_the_knobs_that_differ(runs_dir):
    panel = knob_panel(TINY.replace(steps=3), knobs=("temperature", "projector_depth"))
    panel.controls["temperature"].value = 0.1
    panel.run()
    panel.controls["temperature"].value = 0.5
    panel.run()
    assert panel.labels(panel.runs) == ["temperature=0.1", "temperature=0.5"]
    legend = panel._axes[0].get_legend().get_texts()
    assert [t.get_text() for t in legend] == ["temperature=0.1", "temperature=0.5"]
    panel.clear()
    assert panel.runs == [] and panel.diagnosis.value == ""


def test_errors_show_in_the_panel_and_do_not_raise(runs_dir, monkeypatch):
    # a combination the method refuses (wmse needs batch_size > embedding_dim)
    panel = knob_panel(TINY.replace(method="wmse"), knobs=("batch_size", "embedding_dim"))
    panel.controls["embedding_dim"].value = 64
    assert panel.run() is None
    text = panel.status_text
    assert text.startswith("error: ValueError") and "batch_size > embedding_dim" in text
    assert "\n" not in text and "Traceback" not in text and len(text) < 400
    assert not panel.button.disabled
    # any exception during training
    monkeypatch.setattr(cache, "train", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("CUDA out of memory")))
    panel = knob_panel(TINY)
    assert panel.run() is None and "RuntimeError: CUDA out of memory" in panel.status_text


def test_diverged_run_shows_in_the_panel(runs_dir, monkeypatch):
    import cookbook_lib.methods as methods
    real = methods.SimCLR.loss
    def nan_loss(self, views, labels):
        loss, h, z = real(self, views, labels)
        return loss * float("nan"), h, z

    monkeypatch.setattr(methods.SimCLR, "loss", nan_loss)
    panel = knob_panel(TINY)
    run = panel.run()  # the divergence warning is caught by the panel
    assert run.status == "diverged"
    assert panel.status_text.startswith("diverged") and "step 1" in panel.status_text
    assert "diverged" in panel.diagnosis.value and "<code>lr</code>" in panel.diagnosis.value


def test_mimebundle_delegates_to_the_widget():
    panel = knob_panel(TINY, knobs=("temperature",))
    bundle = panel._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == panel.widget.model_id


def test_mask_ratio_slider_has_linear_stops():
    from cookbook_lib.widgets import make_control

    w = make_control("mask_ratio", 0.75)
    values = [v for _, v in w.options if isinstance(v, float)]
    assert 0.25 in values and 0.9 in values and min(v for v in values if v > 0) >= 0.05
    assert w.value == 0.75


def test_stop_ends_the_run_on_the_worker_thread_and_keeps_its_curves(runs_dir):
    import threading
    panel = knob_panel(TINY.replace(steps=400, log_every=5), knobs=("temperature",))
    first_log = threading.Event()
    real_status = panel._status

    def status(state, text, error=False):  # the first log step has been drawn: press Stop
        real_status(state, text, error)
        if state == "training" and text.startswith("step 5/"):
            first_log.set()

    panel._status = status
    assert panel.stop_button.disabled  # nothing to stop yet
    thread = panel.start()
    assert thread is not None and panel.start() is None  # a second press while training does nothing
    assert first_log.wait(60)
    assert not panel.stop_button.disabled
    panel.stop()
    thread.join(60)
    assert not thread.is_alive()
    run = panel.last_run
    assert run.status == "interrupted" and 1 <= len(run.history) and run.history[-1]["step"] < 400
    assert panel.runs == [run] and panel.status_text.startswith("stopped")
    assert not cache.run_path(run.config).exists()  # a stopped run is never cached
    assert not panel.button.disabled and panel.stop_button.disabled


def test_the_status_says_training_before_the_first_log_step(runs_dir, monkeypatch):
    seen = []
    panel = knob_panel(TINY, knobs=("temperature",))
    real_train = cache.train

    def spy(*a, **k):
        seen.append(panel.status_text)
        return real_train(*a, **k)

    monkeypatch.setattr(cache, "train", spy)
    panel.run()
    assert seen and seen[0].startswith("training: step 0/12")


def test_a_panel_opens_on_its_cached_setting(runs_dir, monkeypatch):
    first = knob_panel(TINY, knobs=("temperature",)).run()
    monkeypatch.setattr(cache, "train", lambda *a, **k: pytest.fail("opening a panel must not train"))
    panel = knob_panel(TINY, knobs=("temperature",))
    assert len(panel.runs) == 1 and panel.runs[0].metrics["linear_acc"] == first.metrics["linear_acc"]
    assert "loaded from cache" in panel.status_text
    fresh = knob_panel(TINY.replace(seed=5), knobs=("temperature",))  # never trained: an empty panel
    assert fresh.runs == [] and "press Run" in fresh.status_text


def test_knobs_the_method_does_not_read_are_greyed_out(runs_dir):
    panel = knob_panel(TINY.replace(method="byol"), knobs=("method", "temperature", "ema_momentum"))
    assert panel.controls["temperature"].disabled and not panel.controls["ema_momentum"].disabled
    assert "does not read temperature" in panel.controls["temperature"].description_tooltip
    panel.controls["method"].value = "simclr"
    assert not panel.controls["temperature"].disabled and panel.controls["ema_momentum"].disabled


def test_extra_controls_choose_the_data_and_score_is_plotted(runs_dir):
    from cookbook_lib.data import load_dataset
    full = load_dataset("digits", 16, "cpu")
    panel = knob_panel(TINY.replace(steps=3), knobs=("temperature",), data=lambda n: full.head(n, 128),
                       extra={"n": [256, 512]}, score=lambda run: run.metrics["linear_acc"], score_name="probe")
    run = panel.run()
    assert run.status == "ok" and len(run.history) == 1
    assert cache.run_path(run.config, data=full.head(256, 128)).exists()  # cached under the subset's key
    panel.extra["n"].value = 512
    panel.run()
    assert sorted(panel.points) == [(256, 0.1), (512, 0.1)]
    assert panel.score_plot.value[:4] == b"\x89PNG" and "probe" in panel.status_text
    with pytest.raises(ValueError, match="needs data=fn"):
        knob_panel(TINY, extra={"n": [1, 2]})
