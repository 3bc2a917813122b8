"""load_or_train: a stored run comes back identical (without loading its dataset); a damaged
file is retrained with a warning."""
import pytest
import torch

from cookbook_lib import RunConfig, load_or_train
from cookbook_lib import cache

TINY = dict(image_size=16, batch_size=32, steps=6, log_every=3, representation_dim=32, projector_width=64,
            embedding_dim=16)


def test_round_trip(runs_dir, monkeypatch):
    cfg = RunConfig(**TINY)
    first = load_or_train(cfg, progress=False)
    files = list(runs_dir.glob("simclr-*.pt"))
    assert len(files) == 1 and not list(runs_dir.glob("*.tmp"))

    def boom(*a, **k):
        raise AssertionError("must not train again")

    monkeypatch.setattr(cache, "train", boom)
    again = load_or_train(cfg, progress=False)
    assert again.metrics == first.metrics and again.history == first.history
    assert again.config == cfg.resolved()
    x = torch.rand(4, 3, 16, 16)
    first.model.eval()
    torch.testing.assert_close(again.model.embed(x)[1], first.model.embed(x)[1])


def test_damaged_file_is_retrained_with_a_warning(runs_dir):
    cfg = RunConfig(**TINY)
    path = cache.run_path(cfg)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"not a torch file")
    with pytest.warns(RuntimeWarning, match="could not be read"):
        run = load_or_train(cfg, progress=False)
    assert run.status == "ok"
    assert cache.load_run(path).metrics == run.metrics  # the good run replaced the damaged file


def test_failed_save_leaves_the_old_file_and_no_temporary(runs_dir, monkeypatch):
    cfg = RunConfig(**TINY)
    run = load_or_train(cfg, progress=False)
    path = cache.run_path(cfg)
    before = path.read_bytes()

    def broken_save(obj, f):
        f.write(b"half")
        raise OSError("disk full")

    monkeypatch.setattr(cache.torch, "save", broken_save)
    with pytest.raises(OSError):
        cache.save_run(run, path)
    assert path.read_bytes() == before and not list(runs_dir.glob("*.tmp"))


def test_runs_on_a_chapters_own_data_are_keyed_by_data_key(runs_dir, monkeypatch, digits16):
    import dataclasses

    cfg = RunConfig(dataset="digits", **TINY)
    data = digits16
    small = dataclasses.replace(data, train_images=data.train_images[:64], train_labels=data.train_labels[:64])
    with pytest.raises(ValueError, match="data_key"):
        load_or_train(cfg, progress=False, data=small)
    with pytest.raises(ValueError, match="letters, digits"):
        load_or_train(cfg, progress=False, data=small, data_key="first 64")
    first = load_or_train(cfg, progress=False, data=small, data_key="first64")
    assert [p.name.endswith("-first64.pt") for p in runs_dir.glob("*.pt")] == [True]
    monkeypatch.setattr(cache, "train", lambda *a, **k: (_ for _ in ()).throw(AssertionError("trained again")))
    again = load_or_train(cfg, progress=False, data=small, data_key="first64")
    assert again.history == first.history and again.model is not None
    with pytest.raises(AssertionError, match="trained again"):  # other data: another file, so it trains
        load_or_train(cfg, progress=False, data=small, data_key="other")


def test_load_run_rebuilds_the_model_without_loading_the_dataset(runs_dir, monkeypatch):
    """A stored run carries its number of classes: reading it back loads no dataset (the
    data may be large, or not on this machine)."""
    import cookbook_lib.data as data

    cfg = RunConfig(method="supervised", dataset="digits", **{**TINY, "projector_width": 512, "embedding_dim": None})
    first = load_or_train(cfg, progress=False)
    path = cache.run_path(cfg)

    def no_data(*a, **k):
        raise AssertionError("load_run loaded a dataset")

    for name in ("load_dataset", "_load"):
        monkeypatch.setattr(data, name, no_data)
    monkeypatch.setattr(cache, "load_dataset", no_data, raising=False)
    back = cache.load_run(path)
    assert back.num_classes == 10 and back.model.classifier.out_features == 10
    x = torch.rand(4, 3, 16, 16)
    torch.testing.assert_close(back.model.eval().embed(x)[0], first.model.eval().embed(x)[0])
    again = load_or_train(cfg, progress=False)  # the cached path reads it the same way
    assert again.metrics == first.metrics and again.model is not None
    assert cache.load_run(path, model=False).model is None


def test_a_cached_run_without_the_requested_log_fns_is_trained_again(runs_dir):
    from cookbook_lib import RunConfig, load_or_train
    cfg = RunConfig(dataset="digits", image_size=16, batch_size=32, steps=4, log_every=2, device="cpu")
    plain = load_or_train(cfg, progress=False)
    assert "z_mean" not in plain.history[-1]
    fns = {"z_mean": lambda model, z: float(z.mean())}
    with pytest.warns(RuntimeWarning, match="has no z_mean"):
        again = load_or_train(cfg, progress=False, log_fns=fns)
    assert all("z_mean" in r for r in again.history)
    loaded = load_or_train(cfg, progress=False, log_fns=fns)  # now stored with them: loaded, not trained
    assert [r["z_mean"] for r in loaded.history] == [r["z_mean"] for r in again.history]


def test_loading_a_run_warns_about_knobs_its_method_ignores(runs_dir):
    from cookbook_lib import RunConfig, load_or_train
    cfg = RunConfig(dataset="digits", image_size=16, batch_size=32, steps=2, log_every=2, device="cpu")
    load_or_train(cfg, progress=False)
    with pytest.warns(UserWarning, match="simclr does not read num_small_crops=2"):
        load_or_train(cfg.replace(num_small_crops=2), progress=False)  # the same run, loaded
