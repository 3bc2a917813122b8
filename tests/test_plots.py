"""Tests for cookbook_lib.plots: each figure checked for what it shows, not just that it runs."""
import math
import warnings
from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib.collections import PathCollection  # noqa: E402
from matplotlib.image import AxesImage  # noqa: E402
from matplotlib.text import Text  # noqa: E402

from cookbook_lib import metrics, plots  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures(monkeypatch):
    monkeypatch.setattr(plt, "show", lambda *a, **k: pytest.fail("plots must not call plt.show()"))
    yield
    plt.close("all")


def fake_run(name="a", method="simclr", d=16, steps=10, nan_at=None, probe_every=2, collapse=False):
    hist = []
    for s in range(steps):
        rec = {"step": 10 * s, "loss": 3.0 - 0.1 * s, "rankme": 1.0 if collapse else 2.0 + s,
               "embedding_std": 0.0 if collapse else (1 - 0.5 ** (s + 1)) / math.sqrt(d), "lr": 0.1}
        if s % probe_every == 0:
            rec["online_probe_acc"] = 0.1 + 0.05 * s
        if s == nan_at:
            rec["loss"] = float("nan")
        hist.append(rec)
    cfg = SimpleNamespace(method=method, embedding_dim=d, to_dict=lambda: {"method": method})
    return SimpleNamespace(history=hist, config=cfg, name=name)


def run_lines(ax, names):
    return [ln for ln in ax.lines if ln.get_label() in names]


def legend_texts(ax):
    leg = ax.get_legend()
    return [t.get_text() for t in leg.get_texts()] if leg else []


def small_fonts(fig):
    return [(t.get_text(), t.get_fontsize()) for t in fig.findobj(Text)
            if t.get_text() and t.get_visible() and t.get_fontsize() < 9]


# ---------------------------------------------------------------- history
def test_history_dashboard_panels_lines_and_reference():
    runs = [fake_run("a"), fake_run("b", method="byol"), fake_run("c", collapse=True)]
    fig = plots.history(runs)
    axes = fig.axes
    assert len(axes) == 4
    assert {ax.get_subplotspec().get_geometry()[:2] for ax in axes} == {(2, 2)}
    titles = [ax.get_title() for ax in axes]
    assert titles == ["loss", "RankMe of the training batch", "embedding std (0 = collapsed)",
                      "online linear probe accuracy"]
    for ax in axes:
        assert ax.get_xlabel() == "step" and ax.get_ylabel()
        assert len(run_lines(ax, {"a", "b", "c"})) == 3
    assert "rank" in axes[1].get_ylabel() and "accuracy" in axes[3].get_ylabel()
    # the runs' legend sits below the panels, where it cannot hide a curve
    assert axes[0].get_legend() is None and [t.get_text() for t in fig.legends[0].get_texts()] == ["a", "b", "c"]
    fig.canvas.draw()
    legend_top = fig.legends[0].get_window_extent().y1
    assert all(legend_top <= ax.get_window_extent().y0 for ax in axes), "the legend overlaps a panel"
    ref = [ln for ln in axes[2].lines if ln.get_label() == "healthy ≈ 1/√d"]
    assert len(ref) == 1 and ref[0].get_linestyle() == "--"
    assert np.allclose(ref[0].get_ydata(), 1 / math.sqrt(16))
    assert legend_texts(axes[2]) == ["healthy ≈ 1/√d"]
    # the probe is logged every 2nd record: only those points, at their steps
    probe = run_lines(axes[3], {"a"})[0]
    assert list(probe.get_xdata()) == [0, 20, 40, 60, 80]
    assert not small_fonts(fig)


def test_history_nan_missing_keys_labels_and_layout():
    runs = [fake_run("a", nan_at=3), SimpleNamespace(history=[{"step": 0}, {"step": 1, "loss": None}],
                                                     config=SimpleNamespace(method="vicreg", embedding_dim=64))]
    runs[0].history[5]["loss"] = torch.tensor(1.5)  # tensor values are fine
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = plots.history(runs, keys=("loss", "embedding_std", "not_logged"), labels=["first", "second"])
    axes = fig.axes
    assert len(axes) == 3 and {ax.get_subplotspec().get_geometry()[:2] for ax in axes} == {(1, 3)}
    loss = run_lines(axes[0], {"first"})[0].get_ydata()
    assert np.isnan(loss[3]) and np.isfinite(np.delete(loss, 3)).all() and loss[5] == 1.5  # NaN = gap
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["first", "second"]  # labels win over run.name / method
    refs = sorted(ln.get_ydata()[0] for ln in axes[1].lines if "1/√d" in ln.get_label())
    assert np.allclose(refs, [1 / 8, 1 / 4])  # one dashed level per embedding_dim (64 and 16)
    assert any("no 'not_logged'" in t.get_text() for t in axes[2].texts)


@pytest.mark.parametrize("knobs, d", [(dict(method="simclr", projector_depth=0), 64),  # no projector: z = h
                                      (dict(method="supervised"), 64),
                                      (dict(method="mae", patch_size=4), 64),
                                      (dict(method="simclr"), 16)])  # the projector's output
def test_history_healthy_level_uses_the_runs_embedding_dim(knobs, d):
    """The dashed 1/√d line is at the size of the z the metrics saw (`Run.embedding_dim`):
    the representation when there is no projector, not the unused `embedding_dim` knob."""
    from cookbook_lib import RunConfig
    from cookbook_lib.runs import Run

    hist = [{"step": s, "loss": 1.0, "embedding_std": 0.1} for s in (10, 20)]
    run = Run(RunConfig(representation_dim=64, embedding_dim=16, image_size=16, **knobs), hist)
    assert run.embedding_dim == d
    ax = plots.history(run, keys=("embedding_std",)).axes[0]
    ref = [ln for ln in ax.lines if "1/√d" in ln.get_label()]
    assert len(ref) == 1 and np.allclose(ref[0].get_ydata(), 1 / math.sqrt(d))


def test_history_single_run_method_label_and_given_axes():
    run = fake_run()
    del run.name
    fig0, axes = plt.subplots(1, 2)
    axes[0].plot([0, 1], [0, 1], label="drawn before")  # e.g. a panel's stored evidence under the runs
    fig = plots.history(run, keys=("loss", "lr"), axes=axes)
    assert fig is fig0 and len(fig.axes) == 2
    assert legend_texts(axes[0]) == ["simclr"]  # the runs only, not what the caller drew first
    assert axes[1].get_title() == "learning rate"


# ---------------------------------------------------------------- spectrum
def test_spectrum_lines_log_scale_rankme_and_nan():
    g = torch.Generator().manual_seed(0)
    full = torch.randn(200, 32, generator=g)
    low = torch.randn(200, 3, generator=g) @ torch.randn(3, 32, generator=g)
    nan = torch.full((50, 8), float("nan"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = plots.spectrum({"backbone": full, "projector": low.bfloat16(), "diverged": nan})
    ax = fig.axes[0]
    assert ax.get_yscale() == "log" and "rank" in ax.get_xlabel()
    assert len(ax.lines) == 3
    texts = legend_texts(ax)
    assert texts[0] == f"backbone (RankMe {metrics.rankme(full):.1f})"
    assert texts[1].startswith("projector (RankMe ") and texts[2] == "diverged (NaN)"
    assert len(ax.lines[2].get_xdata()) == 0  # no line for NaN
    y0 = ax.lines[0].get_ydata()
    assert y0[0] == pytest.approx(1.0) and np.all(np.diff(y0) <= 0)
    assert np.allclose(y0, np.linalg.svd(full.numpy() - full.numpy().mean(0), compute_uv=False) /
                       np.linalg.svd(full.numpy() - full.numpy().mean(0), compute_uv=False)[0])
    y1 = ax.lines[1].get_ydata()  # rank 3: a cliff after 3 singular values
    assert y1[2] > 1e-2 and np.all(y1[3:] < 1e-2)


def test_spectrum_unnormalised_on_given_ax():
    z = torch.randn(64, 8) * 3
    fig0, ax = plt.subplots()
    fig = plots.spectrum({"z": z}, normalize=False, ax=ax)
    assert fig is fig0
    assert ax.lines[0].get_ydata()[0] == pytest.approx(float(metrics.singular_values(z)[0]))


# ---------------------------------------------------------------- dimension_std
def test_dimension_std_bars_sorted_reference_and_title():
    z = torch.randn(100, 16) * torch.linspace(0.1, 2, 16)
    fig = plots.dimension_std(z, title="projector")
    ax = fig.axes[0]
    heights = [p.get_height() for p in ax.patches]
    assert len(heights) == 16 and heights == sorted(heights, reverse=True)
    assert np.mean(heights) == pytest.approx(metrics.embedding_std(z), rel=1e-6)
    ref = [ln for ln in ax.lines if ln.get_label() == "healthy ≈ 1/√d"]
    assert len(ref) == 1 and np.allclose(ref[0].get_ydata(), 1 / math.sqrt(16))
    assert "projector" in ax.get_title() and f"{metrics.embedding_std(z):.3f}" in ax.get_title()
    assert "dimension" in ax.get_xlabel() and "std" in ax.get_ylabel()


def test_dimension_std_collapsed_and_nan():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ax = plots.dimension_std(torch.ones(20, 8)).axes[0]
        assert all(p.get_height() == 0 for p in ax.patches) and "0.000" in ax.get_title()
        ax = plots.dimension_std(torch.full((20, 8), float("nan"))).axes[0]
        assert any("NaN" in t.get_text() for t in ax.texts)
        ax = plots.dimension_std(torch.randn(1, 8)).axes[0]  # one sample: no std
        assert ax.texts


# ---------------------------------------------------------------- correlation
def test_correlation_values_clim_and_zero_variance():
    g = torch.Generator().manual_seed(0)
    z = torch.randn(300, 100, generator=g)
    z[:, 1] = 2 * z[:, 0] + 1  # perfectly correlated pair
    z = z.double()
    z[:, 5] = 3.0  # constant dimension
    z[:, 6] = 5.0 + 1e-13 * torch.randn(300, generator=g, dtype=torch.float64)  # constant up to rounding
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = plots.correlation(z)
    ax = fig.axes[0]
    im = [a for a in ax.get_children() if isinstance(a, AxesImage)][0]
    c = im.get_array()
    assert im.get_clim() == (-1, 1) and im.get_cmap().name == "RdBu_r"
    assert c.shape == (64, 64) and "64 of 100" in ax.get_title()
    assert c[0, 1] == pytest.approx(1.0)
    assert np.all(c[5:7] == 0) and np.all(c[:, 5:7] == 0)
    keep = [i for i in range(64) if i not in (5, 6)]
    ref = np.corrcoef(z[:, keep].numpy(), rowvar=False)
    assert np.allclose(np.asarray(c)[np.ix_(keep, keep)], ref, atol=1e-9)
    assert len(fig.axes) == 2  # the colourbar


def test_correlation_small_bfloat16_and_nan():
    ax = plots.correlation(torch.randn(50, 8).bfloat16(), title="repr").axes[0]
    assert ax.get_title() == "repr"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ax = plots.correlation(torch.full((10, 4), float("nan"))).axes[0]
    assert any("NaN" in t.get_text() for t in ax.texts)


# ---------------------------------------------------------------- pca
def test_pca_classes_legend_and_matches_numpy():
    g = torch.Generator().manual_seed(0)
    labels = torch.arange(90) % 3
    z = torch.randn(3, 10, generator=g)[labels] * 5 + torch.randn(90, 10, generator=g)
    fig = plots.pca(z, labels, class_names=["circle", "square", "star"])
    ax = fig.axes[0]
    cols = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert len(cols) == 3 and legend_texts(ax) == ["circle", "square", "star"]
    assert "PC 1" in ax.get_xlabel() and "PC 2" in ax.get_ylabel()
    zc = z.double().numpy() - z.double().numpy().mean(0)
    u, s, _ = np.linalg.svd(zc, full_matrices=False)
    ref = u[:, :2] * s[:2]
    got = np.concatenate([c.get_offsets() for c in cols])
    order = np.concatenate([np.where(labels.numpy() == k)[0] for k in range(3)])
    assert np.allclose(np.abs(got), np.abs(ref[order]), atol=1e-6)


def test_pca_more_dims_than_points_and_subsample():
    z, labels = torch.randn(20, 50), list(range(4)) * 5  # D > N, labels as a list
    ax = plots.pca(z, labels).axes[0]
    assert len(legend_texts(ax)) == 4
    big = torch.randn(500, 6).bfloat16()
    a = plots.pca(big, torch.zeros(500), max_points=100).axes[0]
    b = plots.pca(big, torch.zeros(500), max_points=100).axes[0]
    pa, pb = a.collections[0].get_offsets(), b.collections[0].get_offsets()
    assert len(pa) == 100 and np.allclose(pa, pb)  # a fixed subsample


@pytest.mark.parametrize("z, note", [(torch.ones(30, 8) * 0.1, "collapsed"),
                                     (torch.full((30, 8), float("nan")), "NaN")])
def test_pca_collapsed_or_nan_gives_note(z, note):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ax = plots.pca(z, torch.zeros(30)).axes[0]
    assert any(note in t.get_text() for t in ax.texts)
    assert not [c for c in ax.collections if isinstance(c, PathCollection)]


# ---------------------------------------------------------------- image grids
def test_image_grid_axes_and_pixels():
    imgs = torch.randint(0, 256, (10, 3, 8, 8), dtype=torch.uint8)
    fig = plots.image_grid(imgs, nrow=4, titles=[f"#{i}" for i in range(10)], title="batch")
    assert len(fig.axes) == 10  # 3 rows of 4, the 2 empty cells removed
    ax = fig.axes[3]
    im = ax.images[0]
    assert im.get_interpolation() == "nearest" and not ax.get_xticks().size and not ax.get_yticks().size
    assert np.allclose(im.get_array(), imgs[3].permute(1, 2, 0).numpy() / 255)
    assert ax.get_title() == "#3" and fig.get_suptitle() == "batch"
    floats = plots.image_grid(torch.rand(3, 3, 8, 8).bfloat16(), nrow=8)
    assert len(floats.axes) == 3


def test_view_grid_rows_columns_and_titles():
    orig = torch.randint(0, 256, (3, 3, 32, 32), dtype=torch.uint8)
    views = [torch.rand(3, 3, 32, 32), torch.rand(3, 3, 32, 32), torch.rand(3, 3, 16, 16)]
    fig = plots.view_grid(orig, views)
    assert len(fig.axes) == 3 * 4
    top = [ax.get_title() for ax in fig.axes[:4]]
    assert top[0].startswith("original") and [t.split()[:2] for t in top[1:]] == [["view", "1"], ["view", "2"],
                                                                                  ["view", "3"]]
    assert "16×16" in top[3] and fig.get_suptitle() == "augmented views"
    assert fig.axes[7].images[0].get_array().shape == (16, 16, 3)


# ---------------------------------------------------------------- sweep_lines
def test_sweep_lines_hue_logx_and_diverged():
    rows = [dict(method=m, batch_size=b, linear_acc=0.5 + 0.01 * i) for i, (m, b) in
            enumerate([(m, b) for m in ("simclr", "byol") for b in (1024, 16, 256, 64)])]
    rows[0]["linear_acc"] = None  # simclr at 1024 diverged
    rows[5]["linear_acc"] = float("nan")  # byol at 16 diverged
    fig = plots.sweep_lines(rows, "batch_size", "linear_acc")
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and ax.get_xlabel() == "batch_size" and ax.get_ylabel() == "linear probe"
    assert ax.get_title() == "linear probe vs batch_size"
    lines = run_lines(ax, {"simclr", "byol"})
    assert len(lines) == 2 and list(lines[0].get_xdata()) == [16, 64, 256]  # sorted, failure left out
    assert legend_texts(ax) == ["simclr", "byol", "diverged"]
    failed = [c for c in ax.collections if len(c.get_offsets())]
    assert sorted(float(c.get_offsets()[0, 0]) for c in failed) == [16, 1024]
    for c in failed:  # an 'x' at the bottom of the axes (x in data, y in axes coordinates)
        assert c.get_offset_transform() is ax.get_xaxis_transform() and c.get_offsets()[0, 1] < 0.1


def test_sweep_lines_linear_and_categorical():
    rows = [dict(method="vicreg", temperature=t, knn_acc=t) for t in (0.1, 0.5, 1.0)]
    ax = plots.sweep_lines(rows, "temperature", "knn_acc").axes[0]
    assert ax.get_xscale() == "linear" and "diverged" not in legend_texts(ax)
    rows = [dict(method="vicreg", optimizer=o, knn_acc=a) for o, a in (("sgd", 0.5), ("adamw", 0.6))]
    ax = plots.sweep_lines(rows, "optimizer", "knn_acc", logx=True).axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["sgd", "adamw"]  # table order
    assert ax.get_xscale() == "linear" and ax.lines[0].get_linestyle() == "None"  # no line between categories


# ---------------------------------------------------------------- every figure to PNG
def test_every_figure_saves_to_png(tmp_path):
    z = torch.randn(64, 16)
    imgs = torch.randint(0, 256, (4, 3, 8, 8), dtype=torch.uint8)
    figs = {
        "history": plots.history([fake_run("a"), fake_run("b", d=32)]),
        "spectrum": plots.spectrum({"z": z}),
        "dimension_std": plots.dimension_std(z),
        "correlation": plots.correlation(z),
        "pca": plots.pca(z, torch.arange(64) % 4),
        "image_grid": plots.image_grid(imgs, nrow=2),
        "view_grid": plots.view_grid(imgs, [imgs, imgs[:, :, :4, :4]]),
        "sweep_lines": plots.sweep_lines([dict(method="simclr", lr=lr, linear_acc=lr) for lr in (0.1, 1.0)],
                                         "lr", "linear_acc"),
        "seeds": plots.seeds({"random init": [0.3, 0.32, 0.31], "SimCLR": [0.6, 0.62, 0.58]}, reference=0.17),
        "seeds_series": plots.seeds({"a": {"x": [1, 2], "y": [3, 4]}, "b": {"x": [2, 2], "y": [1, 1]}}),
    }
    for name, fig in figs.items():
        assert isinstance(fig, matplotlib.figure.Figure)
        assert not small_fonts(fig), name
        path = tmp_path / f"{name}.png"
        fig.savefig(path, dpi=50)
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_tensors_on_the_gpu_in_bfloat16():
    z = torch.randn(64, 16, device="cuda").bfloat16()
    labels = torch.arange(64, device="cuda") % 4
    imgs = torch.randint(0, 256, (4, 3, 8, 8), dtype=torch.uint8, device="cuda")
    run = fake_run()
    run.history[1]["loss"] = torch.tensor(2.0, device="cuda")
    figs = [plots.spectrum({"z": z}), plots.dimension_std(z), plots.correlation(z), plots.pca(z, labels),
            plots.image_grid(imgs), plots.view_grid(imgs, [imgs.float() / 255]), plots.history(run)]
    assert all(isinstance(f, matplotlib.figure.Figure) for f in figs)
    assert legend_texts(figs[3].axes[0]) == ["0", "1", "2", "3"]


def test_bars_groups_series_and_reference():
    from cookbook_lib import plots

    fig = plots.bars({"a": {"shape": 0.5, "colour": 0.9}, "b": {"shape": 0.8, "colour": float("nan")}},
                     title="factors", reference={"shape": 1 / 6, "colour": 1 / 8})
    ax = fig.axes[0]
    assert len(ax.patches) == 4
    assert [t.get_text() for t in ax.get_xticklabels()] == ["shape", "colour"]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[:2] == ["a", "b"] or set(labels) >= {"a", "b", "chance"}
    assert any(t.get_text() == "NaN" for t in ax.texts)
    assert ax.get_title() == "factors"


def test_compare_names_metrics_for_the_reader_and_keeps_the_reference():
    runs = {name: SimpleNamespace(name=name, metrics={"linear_acc": acc, "knn_acc": acc - 0.1, "my_metric": 2.0})
            for name, acc in (("simclr", 0.6), ("random init", 0.3))}
    fig = plots.compare(runs, metrics=("linear_acc", "knn_acc", "my_metric"), reference={"linear_acc": 0.3},
                        reference_label="random init")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["linear probe", "kNN (k = 20)", "my_metric"]
    assert sorted(round(p.get_height(), 6) for p in ax.patches) == [0.2, 0.3, 0.5, 0.6, 2.0, 2.0]
    assert ax.get_title() == "linear probe, kNN (k = 20), my_metric"
    assert [list(c.get_segments()[0][:, 1]) for c in ax.collections] == [[0.3, 0.3]]  # over its own group only
    assert "random init" in legend_texts(ax)


def test_seeds_draws_the_mean_as_a_bar_and_every_seed_as_a_dot():
    fig = plots.seeds({"a": [0.2, 0.4, 0.6], "b": [1.0, 3.0]}, reference=0.1)
    ax = fig.axes[0]
    heights = sorted(round(p.get_height(), 6) for p in ax.patches)
    assert heights == [0.4, 2.0]  # the means of the seeds
    dots = sorted(float(y) for line in ax.lines if line.get_marker() == "." for y in line.get_ydata())
    assert dots == [0.2, 0.4, 0.6, 1.0, 3.0]
    assert any(line.get_linestyle() == "--" and list(line.get_ydata()) == [0.1, 0.1] for line in ax.lines)
