"""RunConfig: validation names the knob, the value and what is allowed; hashing; defaults."""
import dataclasses

import pytest

from cookbook_lib import RunConfig
from cookbook_lib.config import METHOD_DEFAULTS, knob_info, knob_names


def test_defaults_are_valid_and_resolve_to_method_defaults():
    cfg = RunConfig()
    assert cfg.lr is None and cfg.optimizer is None
    r = cfg.resolved()
    for k, v in METHOD_DEFAULTS[cfg.method].items():
        assert getattr(r, k) == v
    assert RunConfig(lr=0.5).resolved().lr == 0.5  # an explicit value wins


def test_unknown_knob_suggests_the_close_name():
    with pytest.raises(ValueError, match=r"unknown knob 'projektor_depth'.*Did you mean 'projector_depth'"):
        RunConfig(projektor_depth=2)


def test_positional_arguments_are_refused():
    with pytest.raises(TypeError, match="keywords"):
        RunConfig("simclr")


@pytest.mark.parametrize("knob,value,words", [
    ("steps", 1.5, ["steps=1.5", "wrong type", "int"]),
    ("steps", True, ["steps=True", "wrong type"]),
    ("batch_size", 1, ["batch_size=1", "out of range", "2 to 8192"]),
    ("temperature", 0.0, ["temperature=0.0", "out of range", "0.01"]),
    ("lr", float("nan"), ["lr=nan", "out of range"]),
    ("method", "simclrr", ["method='simclrr'", "Did you mean 'simclr'", "Choose one of"]),
    ("dataset", "imagenet", ["dataset='imagenet'", "shapes"]),
    ("device", "gpu", ["device='gpu'", "cuda:N"]),
    ("projector_depth", -1, ["projector_depth=-1", "0 to 6"]),
    ("crop_min_scale", 1.5, ["crop_min_scale=1.5", "0.01 to 1.0"]),
])
def test_bad_values_are_named(knob, value, words):
    with pytest.raises(ValueError) as e:
        RunConfig(**{knob: value})
    for w in words:
        assert w in str(e.value), (w, str(e.value))


def test_int_is_accepted_for_float_knobs():
    assert RunConfig(lr=1).lr == 1


def test_replace_validates_and_picks_up_new_method_defaults():
    cfg = RunConfig(method="simclr")
    sup = cfg.replace(method="supervised").resolved()
    assert sup.lr == METHOD_DEFAULTS["supervised"]["lr"]
    with pytest.raises(ValueError, match="steps"):
        cfg.replace(steps=-3)


def test_hashable_and_cache_key_stable():
    a, b = RunConfig(steps=10), RunConfig(steps=10)
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1
    assert a.cache_key() == b.cache_key()
    assert a.cache_key() != RunConfig(steps=11).cache_key()
    # auto and the explicit default value are the same run
    assert RunConfig().cache_key() == RunConfig(**METHOD_DEFAULTS["simclr"]).cache_key()
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.steps = 3


def test_round_trip_dict():
    cfg = RunConfig(method="supervised", steps=7, lr=0.01)
    assert RunConfig.from_dict(cfg.to_dict()) == cfg


def test_lr_scaling():
    base = dict(lr=0.4, batch_size=1024)
    assert RunConfig(lr_scaling="linear", **base).lr_at_batch() == pytest.approx(1.6)
    assert RunConfig(lr_scaling="sqrt", **base).lr_at_batch() == pytest.approx(0.8)
    assert RunConfig(lr_scaling="none", **base).lr_at_batch() == pytest.approx(0.4)


def test_every_knob_has_help_and_a_type():
    for name in knob_names():
        info = knob_info(name)
        assert info["help"], name
        assert info["type"] in (bool, int, float, str)


def test_new_knobs_at_their_default_keep_the_cache_keys_of_runs_stored_before_them():
    import hashlib
    import json

    from cookbook_lib.config import CACHE_VERSION, NEW_KNOB_DEFAULTS
    for cfg in (RunConfig(), RunConfig(method="byol", steps=100), RunConfig(method="vicreg", batch_size=64)):
        before = {k: v for k, v in cfg.resolved().to_dict().items() if k not in NEW_KNOB_DEFAULTS}
        old_key = hashlib.sha1(json.dumps({"v": CACHE_VERSION, **before}, sort_keys=True).encode()).hexdigest()[:16]
        assert cfg.cache_key() == old_key
        for knob, default in NEW_KNOB_DEFAULTS.items():
            assert cfg.replace(**{knob: not default}).cache_key() != old_key
    assert RunConfig().cache_key() == "9cd87a74f4f114a3"  # the key the library gave before these knobs existed
