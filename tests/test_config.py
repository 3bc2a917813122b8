"""RunConfig: validation names the knob, the value and what is allowed; hashing; defaults."""
import dataclasses

import pytest

from cookbook_lib import RunConfig
from cookbook_lib.config import knob_info, knob_names
from cookbook_lib.methods.catalog import CATALOG


def test_defaults_are_valid_and_resolve_to_method_defaults():
    cfg = RunConfig()
    assert cfg.lr is None and cfg.optimizer is None
    r = cfg.resolved()
    for k, v in CATALOG[cfg.method].recipe.items():
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
    assert sup.lr == CATALOG["supervised"].recipe["lr"]
    assert cfg.replace(method="mae").resolved().lr == CATALOG["mae"].recipe["lr"] != CATALOG["simclr"].recipe["lr"]
    with pytest.raises(ValueError, match="steps"):
        cfg.replace(steps=-3)


def test_hashable_and_cache_key_stable():
    a, b = RunConfig(steps=10), RunConfig(steps=10)
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1
    assert a.cache_key() == b.cache_key()
    assert a.cache_key() != RunConfig(steps=11).cache_key()
    # auto and the explicit default value are the same run
    assert RunConfig().cache_key() == RunConfig(**CATALOG["simclr"].recipe).cache_key()
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


def test_lr_at_batch_scales_the_methods_own_lr():
    cfg = RunConfig(method="simclr", batch_size=64)  # auto lr: AdamW base lr 2e-3 at batch 256
    assert cfg.replace(lr_scaling="linear").lr_at_batch() == pytest.approx(2e-3 / 4)
    assert cfg.replace(lr_scaling="sqrt").lr_at_batch() == pytest.approx(2e-3 / 2)
    assert cfg.replace(lr_scaling="none").lr_at_batch() == pytest.approx(2e-3)


def test_direct_predictor_with_predictor_depth_zero_is_refused():
    with pytest.raises(ValueError, match="direct_predictor.*predictor_depth"):
        RunConfig(method="byol", direct_predictor=True, predictor_depth=0)


def test_every_knob_has_help_and_a_type():
    for name in knob_names():
        info = knob_info(name)
        assert info["help"], name
        assert info["type"] in (bool, int, float, str)


def test_knobs_a_method_does_not_read_are_left_out_of_its_cache_key():
    # BYOL reads no temperature and DINO no sim_coeff: changing them is the same run
    assert RunConfig(method="byol", temperature=0.7).cache_key() == RunConfig(method="byol").cache_key()
    assert RunConfig(method="dino", sim_coeff=3.0).cache_key() == RunConfig(method="dino").cache_key()
    # supervised and MAE have no projector: its depth is not part of their runs
    for m in ("supervised", "mae"):
        assert RunConfig(method=m, projector_depth=3).cache_key() == RunConfig(method=m).cache_key()
    # ... but a knob the method reads always is
    assert RunConfig(method="simclr", temperature=0.7).cache_key() != RunConfig(method="simclr").cache_key()
    assert RunConfig(method="byol", ema_momentum=0.9).cache_key() != RunConfig(method="byol").cache_key()
    # the tiny ViT reads patch_size, the convnet does not
    assert RunConfig(patch_size=2).cache_key() == RunConfig().cache_key()
    assert (RunConfig(backbone="vit_tiny", patch_size=2).cache_key()
            != RunConfig(backbone="vit_tiny").cache_key())


def test_ignored_knobs_are_listed_and_warned_about():
    cfg = RunConfig(method="byol", temperature=0.5, sim_coeff=3.0, ema_momentum=0.9)
    assert cfg.ignored_knobs() == ["temperature", "sim_coeff"]
    with pytest.warns(UserWarning, match=r"byol does not read temperature=0\.5, sim_coeff=3\.0"):
        cfg.warn_ignored()
    assert RunConfig(method="simclr", temperature=0.5).ignored_knobs() == []
    assert RunConfig(method="mae", backbone="resnet18").ignored_knobs() == ["backbone"]
    for m in ("simclr", "byol", "mae", "wmse"):  # a resolved config is not the user's choice
        assert RunConfig(method=m).resolved().ignored_knobs() == [], m


def test_numbers_are_normalised_so_equal_values_are_one_run():
    import numpy as np
    assert RunConfig(temperature=1).temperature == 1.0 and isinstance(RunConfig(temperature=1).temperature, float)
    assert RunConfig(temperature=1).cache_key() == RunConfig(temperature=1.0).cache_key()
    assert RunConfig(steps=np.int64(7)).steps == 7 and type(RunConfig(steps=np.int64(7)).steps) is int
    assert RunConfig(lr=np.float32(0.5)).lr == 0.5
    with pytest.raises(ValueError, match=r"it must be an int"):
        RunConfig(steps=np.float64(7.0))


def test_a_case_only_typo_gets_a_suggestion():
    with pytest.raises(ValueError, match=r"Did you mean 'simclr'"):
        RunConfig(method="SimCLR")
    with pytest.raises(ValueError, match=r"Did you mean 'barlow_twins'"):
        RunConfig(method="Barlow_Twins")


@pytest.mark.parametrize("knobs,words", [
    (dict(method="wmse", embedding_dim=64, batch_size=32), ["batch_size=32", "embedding_dim=64", "embedding_dim=16"]),
    (dict(method="directclr", embedding_dim=512, representation_dim=256), ["embedding_dim=512", "representation_dim=256"]),
    (dict(method="byol", direct_predictor=True, predictor_depth=0), ["predictor_depth ≥ 1", "predictor_depth=1"]),
    (dict(method="mae", image_size=30), ["patch_size=4", "image_size=30", "patch_size=2"]),
    (dict(backbone="vit_tiny", image_size=20, patch_size=8), ["patch_size=8", "image_size=20"]),
    (dict(method="inpainting", image_size=18, patch_size=4), ["patch_size=4", "image_size=18"]),
    (dict(method="jigsaw", image_size=8), ["jigsaw", "image_size=8"]),
    (dict(backbone="resnet18", image_size=8), ["image_size=8", "resnet18", "16"]),
    (dict(method="dino", num_small_crops=2, small_crop_size=40), ["small_crop_size=40", "image_size=32"]),
])
def test_cross_knob_checks_run_when_the_config_is_built(knobs, words):
    with pytest.raises(ValueError) as e:
        RunConfig(**knobs)
    for w in words:
        assert w in str(e.value), (w, str(e.value))


def test_automatic_values_resolve_to_valid_settings():
    # W-MSE's automatic embedding (64) halves until whitening has more samples than dimensions
    assert RunConfig(method="wmse", batch_size=32).resolved().embedding_dim == 16
    assert RunConfig(method="wmse", batch_size=128).resolved().embedding_dim == 64
    for m in CATALOG:  # every method builds at a small batch with its automatic knobs
        RunConfig(method=m, batch_size=8, image_size=16)
