"""The evidence store: seeded runs computed once, stored as numbers, read by chapters and
re-checked against the code that made them."""
import json
import sys

import pytest
import torch

from cookbook_lib import __main__ as cli
from cookbook_lib import RunConfig, evidence
from cookbook_lib.evidence import Grid, grids

TINY = dict(method="simclr", dataset="digits", image_size=16, batch_size=16, steps=4, log_every=2, device="cpu",
            representation_dim=32, projector_width=64, embedding_dim=16)


@pytest.fixture
def tiny_grid(tmp_path, monkeypatch):
    """A 2-point × 2-seed grid on 64 digits, stored in a temporary folder."""
    monkeypatch.setattr(evidence, "STORE", tmp_path)
    g = Grid("99_test.temperature", TINY, {"temperature": [0.1, 0.5]}, seeds=(0, 1), head=(64, 32),
             measures=("linear_acc_z",))
    monkeypatch.setitem(grids.GRIDS, g.name, g)
    return g


def test_compute_stores_every_seed_and_the_chapter_reads_mean_and_spread(tiny_grid):
    ev = evidence.compute(tiny_grid.name, progress=False, log=lambda *_: None)
    assert len(ev.records) == 4 and not ev.missing()
    stored = json.loads(tiny_grid.path().read_text())
    assert stored["axes"] == {"temperature": [0.1, 0.5]} and len(stored["runs"]) == 4
    again = evidence.load(tiny_grid.name)
    accs = again.values("linear_acc", temperature=0.5)
    assert len(accs) == 2 and all(0 <= a <= 1 for a in accs)
    assert again.mean("linear_acc", temperature=0.5) == pytest.approx(sum(accs) / 2)
    assert again.std("rankme", temperature=0.1) >= 0
    assert len(again.values("final_loss")) == 4  # every point when none is given
    assert again.values("final_online_probe_acc", temperature=0.1) == [
        r["history"][-1]["online_probe_acc"] for r in sorted(again.runs_at(temperature=0.1), key=lambda r: r["seed"])]
    assert all(0 <= a <= 1 for a in again.values("linear_acc_z"))  # the grid's own measure
    assert [r["temperature"] for r in again.table(["linear_acc"])] == [0.1, 0.5]
    assert "±" in again.table(["linear_acc"])[0]["linear_acc"]


def test_a_stored_run_is_never_trained_again(tiny_grid, monkeypatch):
    evidence.compute(tiny_grid.name, progress=False, log=lambda *_: None)
    train_module = sys.modules["cookbook_lib.train"]  # the module (the package exports the function)

    def no_training(*a, **k):
        raise AssertionError("trained a stored run")

    monkeypatch.setattr(train_module, "train", no_training)
    assert len(evidence.compute(tiny_grid.name, progress=False, log=lambda *_: None).records) == 4


def test_an_interrupted_computation_keeps_the_runs_so_far_and_goes_on(tiny_grid):
    def stop():  # as if Ctrl-C came once the first run was stored
        return len(evidence.load(tiny_grid.name).records) >= 1

    evidence.compute(tiny_grid.name, progress=False, log=lambda *_: None, stop=stop)
    assert len(evidence.load(tiny_grid.name).records) == 1
    assert len(evidence.compute(tiny_grid.name, progress=False, log=lambda *_: None).records) == 4


def test_changing_a_grid_leaves_its_stale_runs_out(tiny_grid, monkeypatch):
    evidence.compute(tiny_grid.name, progress=False, log=lambda *_: None)
    changed = Grid(tiny_grid.name, TINY, {"temperature": [0.5, 1.0]}, seeds=(0, 1), head=(64, 32))
    monkeypatch.setitem(grids.GRIDS, changed.name, changed)
    ev = evidence.load(changed.name)
    assert len(ev.records) == 2 and len(ev.missing()) == 2  # 0.5 kept, 1.0 to train, 0.1 left out
    with pytest.raises(LookupError, match="evidence --grid 99_test.temperature"):
        ev.values("linear_acc", temperature=1.0)


def test_check_passes_when_the_history_reproduces_and_fails_when_it_does_not(tiny_grid):
    evidence.compute(tiny_grid.name, progress=False, log=lambda *_: None)
    assert evidence.check([tiny_grid.name], sample=1, log=lambda *_: None) == []
    body = json.loads(tiny_grid.path().read_text())
    for r in body["runs"]:
        r["history"][0]["loss"] *= 1.01  # as if the code had changed since the evidence was made
    tiny_grid.path().write_text(json.dumps(body))
    failures = evidence.check([tiny_grid.name], sample=1, log=lambda *_: None)
    assert len(failures) == 1 and "loss at step 2" in failures[0]


def test_bad_names_are_refused_with_the_valid_ones(tiny_grid):
    with pytest.raises(ValueError, match="Did you mean '99_test.temperature'"):
        evidence.grid("99_test.temprature")
    evidence.compute(tiny_grid.name, progress=False, log=lambda *_: None)
    ev = evidence.load(tiny_grid.name)
    with pytest.raises(ValueError, match="not an axis.*temperature"):
        ev.values("linear_acc", temp=0.1)
    with pytest.raises(ValueError, match="not a stored metric"):
        ev.values("linear_accuracy", temperature=0.1)


def test_command_line_lists_computes_and_checks(tiny_grid, capsys):
    assert cli.main(["evidence", "--list", "--grid", tiny_grid.name]) == 0
    assert f"{tiny_grid.name}: 0/4 runs stored" in capsys.readouterr().out
    assert cli.main(["evidence", "--chapter", "99", "--quiet"]) == 0
    assert cli.main(["evidence", "--check", "--grid", tiny_grid.name, "--sample", "1"]) == 0
    with pytest.raises(SystemExit, match="--chapter 42: no evidence grid"):
        cli.main(["evidence", "--chapter", "42"])


def test_every_shipped_grid_builds_its_configs_and_has_three_seeds():
    for name, g in grids.GRIDS.items():
        assert name == g.name and name.split(".")[0][:2].isdigit(), name
        assert len(g.seeds) >= 3, name
        assert g.claim, name
        assert set(g.measures) <= set(evidence.MEASURES), name
        jobs = g.jobs()
        assert len({g.key(p, s) for p, s, _ in jobs}) == len(jobs), f"{name}: two jobs are the same run"


def test_two_shards_share_a_grid_and_neither_overwrites_the_other(tiny_grid, monkeypatch):
    train_module = sys.modules["cookbook_lib.train"]
    real_train, other_done = train_module.train, []

    def train_while_the_other_shard_stores(*a, **k):
        if not other_done:  # the other process finishes its whole shard while this one trains
            other_done.append(1)
            evidence.compute(tiny_grid.name, progress=False, log=lambda *_: None, shard=(1, 2))
        return real_train(*a, **k)

    monkeypatch.setattr(train_module, "train", train_while_the_other_shard_stores)
    ev = evidence.compute(tiny_grid.name, progress=False, log=lambda *_: None, shard=(0, 2))
    stored = evidence.load(tiny_grid.name)
    assert len(stored.records) == 4 and not stored.missing(), [r["point"] for r in stored.records]
    assert len(ev.records) == 4
    with pytest.raises(ValueError, match="0 <= k < n"):
        evidence.compute(tiny_grid.name, shard=(2, 2))
    with pytest.raises(SystemExit, match="--shard '1-2'"):
        cli.main(["evidence", "--grid", tiny_grid.name, "--shard", "1-2"])


def test_shards_started_at_different_times_leave_no_run_out(tiny_grid):
    # one process finishes its share before the other starts: the other's share must not move
    evidence.compute(tiny_grid.name, progress=False, log=lambda *_: None, shard=(1, 2))
    assert len(evidence.load(tiny_grid.name).records) == 2
    evidence.compute(tiny_grid.name, progress=False, log=lambda *_: None, shard=(0, 2))
    assert not evidence.load(tiny_grid.name).missing()


def test_the_stored_evidence_reproduces_from_this_code():
    """`evidence --check` on the shipped store: the cheapest stored CPU run, retrained to its
    first log step, gives the stored loss. Fails when the code changed what the evidence says
    (then recompute: python -m cookbook_lib evidence --grid NAME, after deleting its file)."""
    assert evidence.check(sample=1, log_steps=1, log=lambda *_: None) == []


def test_a_subset_grid_trains_each_run_on_its_own_draw_and_probes_the_full_data(tmp_path, monkeypatch):
    monkeypatch.setattr(evidence, "STORE", tmp_path)
    g = Grid("99_test.labels", dict(TINY, steps=2), {"per_class": [2, 4]}, seeds=(0, 1), head=(128, 64),
             subset="labelled", measures=("linear_acc_full", "labelled1_linear_acc"))
    monkeypatch.setitem(grids.GRIDS, g.name, g)
    seen = []
    train_module = sys.modules["cookbook_lib.train"]
    real_train = train_module.train
    monkeypatch.setattr(train_module, "train", lambda cfg, **kw: seen.append(kw["data"]) or real_train(cfg, **kw))
    ev = evidence.compute(g.name, progress=False, log=lambda *_: None)
    assert [len(d.train_labels) for d in seen] == [20, 20, 40, 40]  # per_class × 10 digit classes
    assert seen[0].key != seen[1].key and not torch.equal(seen[0].train_labels, seen[1].train_labels)
    assert len(ev.records) == 4 and not evidence.load(g.name).missing()
    assert len({r["key"] for r in ev.records}) == 4  # the same config, told apart by its draw
    assert all("per_class" not in r["config"] for r in ev.records)
    full = g.data()
    run = train_module.train(g.config({"per_class": 2}, 0), progress=False, data=g.run_data(full, {"per_class": 2}, 0))
    assert ev.values("linear_acc_full", per_class=2)[0] == pytest.approx(evidence.MEASURES["linear_acc_full"](run, None, full))
    idx = full.labelled_index(1, seed=3)
    assert torch.equal(full.train_images[idx], full.labelled(1, seed=3).train_images)


def test_an_axis_that_is_not_a_knob_needs_a_subset_and_a_measure_must_exist():
    with pytest.raises(ValueError, match="'ratio' is not a knob"):
        Grid("99_test.bad", TINY, {"ratio": [1, 10]})
    with pytest.raises(ValueError, match="no measure 'linear_acc_ful'.*linear_acc_full"):
        Grid("99_test.bad", TINY, {"temperature": [0.1]}, measures=("linear_acc_ful",))


def test_the_factor_and_transfer_measures_probe_what_they_name(shapes16_small, monkeypatch):
    from cookbook_lib.evaluate import factor_probes, linear_probe
    from cookbook_lib.train import train
    run = train(RunConfig(**{**TINY, "dataset": "shapes"}), progress=False, data=shapes16_small)
    h_tr, z_tr = run.embed(shapes16_small.train_images)
    h_te, z_te = run.embed(shapes16_small.test_images)
    tf, te = shapes16_small.train_factors, shapes16_small.test_factors
    assert evidence.MEASURES["colour_probe_z"](run, None, shapes16_small) == pytest.approx(
        factor_probes(z_tr, {"colour": tf["colour"]}, z_te, {"colour": te["colour"]})["colour"])
    assert evidence.MEASURES["position_probe_h"](run, None, shapes16_small) == pytest.approx(
        factor_probes(h_tr, {"position": tf["position"]}, h_te, {"position": te["position"]})["position"])
    idx = shapes16_small.labelled_index(5, seed=0)
    one_draw = linear_probe(h_tr[idx], shapes16_small.train_labels[idx], h_te, shapes16_small.test_labels)
    assert evidence.measures._few_labels(5, draws=1)(run, None, shapes16_small) == pytest.approx(one_draw)
    d, y_tr, y_te = run.config.embedding_dim, shapes16_small.train_labels, shapes16_small.test_labels
    assert evidence.MEASURES["linear_acc_h_sub"](run, shapes16_small, shapes16_small) == pytest.approx(
        linear_probe(h_tr[:, :d], y_tr, h_te[:, :d], y_te))   # DirectCLR's slice of h
    assert evidence.MEASURES["linear_acc_h_rest"](run, shapes16_small, shapes16_small) == pytest.approx(
        linear_probe(h_tr[:, d:], y_tr, h_te[:, d:], y_te))
    seen = {}
    monkeypatch.setattr(sys.modules["cookbook_lib.evaluate"], "fine_tune", lambda *a, **k: seen.update(k) or 0.5)
    assert evidence.MEASURES["fine_tune300_acc"](run, None, shapes16_small) == 0.5
    assert seen["steps"] == 300 and seen["seed"] == run.config.seed


def test_the_measures_of_one_run_share_one_embedding_pass(shapes16_small, monkeypatch):
    from cookbook_lib.train import train
    run = train(RunConfig(**{**TINY, "dataset": "shapes"}), progress=False, data=shapes16_small)
    calls = []
    real = run.embed
    monkeypatch.setattr(run, "embed", lambda images: calls.append(len(images)) or real(images))
    for m in ("shape_probe_h", "colour_probe_z", "linear_acc_full", "knn_acc_full", "labelled1_linear_acc"):
        evidence.MEASURES[m](run, shapes16_small, shapes16_small)
    assert calls == [len(shapes16_small.train_images), len(shapes16_small.test_images)]


def test_the_prototype_measures_read_swavs_assignments():
    import torch

    from cookbook_lib import RunConfig, untrained
    from cookbook_lib.data import load_dataset
    from cookbook_lib.evidence.measures import MEASURES

    data = load_dataset("shapes", 16, "cpu").head(240, 60)
    run = untrained(RunConfig(method="swav", num_prototypes=4, image_size=16, device="cpu"), data)
    with torch.no_grad():  # four identical prototypes: every image goes to the first (argmax takes the first tie)
        run.model.prototypes.weight.copy_(run.model.prototypes.weight[:1].expand(4, -1))
    assert MEASURES["prototype_balance"](run, data, data) == 0.0
    assert MEASURES["prototypes_of_majority"](run, data, data) == 0.25  # one prototype of four, the common class's
    z = run.embed(data.train_images[:4])[1]
    with torch.no_grad():  # each prototype the embedding of one image: at least four images, one per prototype
        run.model.prototypes.weight.copy_(z)
    assert 0.0 < MEASURES["prototype_balance"](run, data, data) <= 1.0


def test_the_patch_measures_probe_the_vits_patch_tokens_and_refuse_a_convnet(shapes16_small):
    from cookbook_lib.evaluate import factor_probes
    from cookbook_lib.train import train
    vit = train(RunConfig(method="dino", dataset="shapes", image_size=16, backbone="vit_tiny", representation_dim=32,
                          projector_width=32, embedding_dim=16, num_prototypes=16, batch_size=16, steps=0),
                progress=False, data=shapes16_small)
    backbone = vit.model.backbone
    with torch.no_grad():
        tokens = [backbone.encode(backbone.tokens(x.float() / 255))[:, 1:].flatten(1)
                  for x in (shapes16_small.train_images, shapes16_small.test_images)]
    assert tokens[0].shape[1] == 16 * 32  # 16 patches of 32 features, side by side
    tf, te = shapes16_small.train_factors, shapes16_small.test_factors
    assert evidence.MEASURES["position_probe_patches"](vit, None, shapes16_small) == pytest.approx(
        factor_probes(tokens[0], {"position": tf["position"]}, tokens[1], {"position": te["position"]})["position"])
    convnet = train(RunConfig(**{**TINY, "dataset": "shapes"}), progress=False, data=shapes16_small)
    with pytest.raises(ValueError, match="tiny-ViT"):
        evidence.MEASURES["shape_probe_patches"](convnet, None, shapes16_small)
