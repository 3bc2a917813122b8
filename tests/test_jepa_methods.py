"""The methods after the cookbook (LeJEPA, MoCo v3, I-JEPA, MSN, DINOv2's KoLeo and iBOT
terms): they train from the command line, LeJEPA collapses without SIGReg while it does not
with it, and each piece does what its docstring says."""
import json
import subprocess
import sys

import pytest
import torch

from cookbook_lib import RunConfig, train

TINY = dict(dataset="shapes", image_size=16, batch_size=64, steps=120, log_every=40, seed=0,
            representation_dim=64, projector_width=128, embedding_dim=32)
RAW_STD = {"z_std": lambda model, z: float(z.float().std(0).mean())}  # scale, not direction


@pytest.mark.parametrize("method", ["lejepa", "mocov3", "ijepa", "msn", "dino+ibot"])
def test_trains_from_the_command_line_at_batch_32(tmp_path, method):
    out = tmp_path / "run.json"
    extra = {"dino+ibot": ["--backbone=vit_tiny", "--ibot-weight=1"], "ijepa": [], "msn": []}.get(method)
    extra = [] if extra is None else extra + ["--representation-dim=64"]  # the tiny ViT, narrow: quick to evaluate
    cmd = [sys.executable, "-m", "cookbook_lib", "train", f"--method={method.split('+')[0]}", "--dataset=digits",
           "--image-size=16", "--batch-size=32", "--steps=6", "--log-every=3", "--no-cache", "--quiet", "--json", str(out),
           *extra]
    subprocess.run(cmd, check=True, capture_output=True, env={"COOKBOOK_RUNS": str(tmp_path / "runs"),
                                                                "PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "1"})
    run = json.loads(out.read_text())
    assert run["status"] == "ok" and all(r["loss"] is not None for r in run["history"])


def test_lejepa_collapses_without_sigreg_and_not_with_it():
    # measured at step 40 with 256 slices (chapter 16's quick setting), seeds 0/1/2: raw std of z
    # 0.785/0.734/0.734 with λ = 0.05 and 0.096/0.096/0.089 with λ = 0 (the prediction loss alone
    # is minimised by a constant); at step 120, 1024 slices: 0.828/0.831/0.847 against 0.031/0.039/0.036
    short = {**TINY, "steps": 40, "log_every": 20, "sigreg_slices": 256}
    with_reg = train(RunConfig(method="lejepa", **short), progress=False, log_fns=RAW_STD)
    without = train(RunConfig(method="lejepa", sigreg_lambda=0.0, **short), progress=False, log_fns=RAW_STD)
    assert with_reg.history[-1]["z_std"] > 0.5
    assert without.history[-1]["z_std"] < 0.2 * with_reg.history[-1]["z_std"]
    assert without.history[-1]["loss"] < 1e-2  # the loss it minimises is all but zero: the trivial answer


def test_lejepa_directions_come_from_the_run_generator():
    cfg = RunConfig(method="lejepa", **{**TINY, "steps": 4, "log_every": 2})
    a = train(cfg, progress=False)
    torch.manual_seed(123)  # the global RNG does not matter
    torch.rand(100)
    b = train(cfg, progress=False)
    assert [r["loss"] for r in a.history] == pytest.approx([r["loss"] for r in b.history], rel=1e-6)


def test_dino_koleo_weight_adds_the_koleo_term_of_the_large_views():
    from cookbook_lib import losses
    from cookbook_lib.methods import build
    cfg = RunConfig(method="dino", image_size=16, representation_dim=32, projector_width=64, embedding_dim=16,
                    num_prototypes=32, ema_momentum=0.0, stop_gradient=True)
    g = torch.Generator().manual_seed(0)
    views = [torch.rand(16, 3, 16, 16, generator=g) for _ in range(2)]
    labels = torch.zeros(16, dtype=torch.long)
    torch.manual_seed(0)
    plain = build(cfg, 6)
    torch.manual_seed(0)
    spread = build(cfg.replace(koleo_weight=0.5), 6)
    spread.load_state_dict(plain.state_dict())
    base, h, _ = plain.loss(views, labels)
    with_koleo, _, _ = spread.loss(views, labels)
    h1, h2 = plain.backbone(torch.cat(views)).chunk(2)  # one batch, as the method encodes them
    expected = 0.5 * (losses.koleo(h1) + losses.koleo(h2)) / 2
    assert float(with_koleo - base) == pytest.approx(float(expected), rel=1e-4)


def test_ijepa_block_masks_are_blocks_and_the_context_leaves_the_targets_out():
    from cookbook_lib.methods.jepa import block_masks
    g = torch.Generator().manual_seed(0)
    n, grid = 16, 8
    context, targets = block_masks(grid, 4, 0.15, 0.85, lambda *s: torch.rand(n, *s, generator=g),
                                   lambda k: torch.rand(k, generator=g))
    assert context.shape[0] == n and targets.shape[:2] == (n, 4)
    k_t = targets.shape[2]
    assert 0.15 * 64 - 3 <= k_t <= 0.2 * 64 + 3  # about the target scale
    for i in range(n):
        assert not set(context[i].tolist()) & set(targets[i].flatten().tolist())  # the targets are hidden
        assert len(set(context[i].tolist())) == context.shape[1]
        for block in targets[i]:
            r, c = block // grid, block % grid  # a full rectangle of patches
            assert len(set(block.tolist())) == k_t == (r.max() - r.min() + 1) * (c.max() - c.min() + 1)


def test_ijepa_trains_its_predictor_and_context_encoder_but_never_the_teacher():
    from cookbook_lib.methods import build
    cfg = RunConfig(method="ijepa", image_size=16, representation_dim=64).resolved()
    torch.manual_seed(0)
    model = build(cfg, 6)
    model.rng = torch.Generator().manual_seed(0)
    views = [torch.rand(8, 3, 16, 16) for _ in range(2)]
    loss, h, z = model.loss(views, torch.zeros(8, dtype=torch.long))
    loss.backward()
    assert h.shape == (8, 64) and torch.isfinite(loss)
    assert all(p.grad is None for p in model.teacher.parameters())
    assert model.predictor.out.weight.grad.abs().sum() > 0 and model.backbone.patch.weight.grad.abs().sum() > 0


def test_ibot_needs_the_vit_and_dino_without_it_keeps_its_weights_names():
    from cookbook_lib.methods import build
    with pytest.raises(ValueError, match="vit_tiny"):
        RunConfig(method="dino", ibot_weight=1.0)
    base = dict(method="dino", backbone="vit_tiny", image_size=16, representation_dim=64, projector_width=64,
                embedding_dim=16, num_prototypes=32)
    plain = build(RunConfig(**base).resolved(), 6)
    assert not any("patch" in k and "mask" in k for k in plain.state_dict())  # cached DINO runs still load
    ibot = build(RunConfig(**base, ibot_weight=1.0).resolved(), 6)
    ibot.rng = torch.Generator().manual_seed(0)
    views = [torch.rand(16, 3, 16, 16) for _ in range(2)]
    loss, _, _ = ibot.loss(views, torch.zeros(16, dtype=torch.long))
    loss.backward()
    assert ibot.patch_mask_token.grad.abs().sum() > 0  # the masked patches reach the loss
    assert ibot.patch_center.abs().sum() > 0          # the patch centre moved
    assert all(p.grad is None for p in ibot.teacher.parameters())


def test_ibot_takes_the_teachers_cls_and_patch_targets_from_one_pass():
    """With iBOT on, the EMA teacher encodes the two large views once per step (both its [CLS]
    and its patch targets come from that pass), and its [CLS] targets equal a separate pass's."""
    from cookbook_lib.methods import build
    cfg = RunConfig(method="dino", backbone="vit_tiny", image_size=16, representation_dim=64, projector_width=64,
                    embedding_dim=16, num_prototypes=32, ibot_weight=1.0).resolved()
    model = build(cfg, 6)
    model.rng = torch.Generator().manual_seed(0)
    calls = []
    model.teacher["backbone"].blocks.register_forward_hook(lambda m, i, o: calls.append(len(i[0])))
    views = [torch.rand(8, 3, 16, 16) for _ in range(2)]
    _, _, teacher_cls = model.ibot_terms(torch.cat(views))
    assert calls == [16]  # one pass over both large views
    separate = model.targets(model.forward_with, views, None)
    assert torch.allclose(teacher_cls, torch.cat([t[2] for t in separate]), atol=1e-6)


def test_ibot_weight_is_read_only_on_the_vit():
    from cookbook_lib.methods import catalog
    assert catalog.reads("dino", "ibot_weight", "vit_tiny") and not catalog.reads("dino", "ibot_weight", "convnet")
    for method in ("ijepa", "msn", "mae"):
        assert not catalog.reads(method, "backbone") and method in catalog.VIT_METHODS


def test_msn_prototypes_in_use_go_from_k_to_one_when_every_image_lands_on_one_prototype():
    from torch import nn

    from cookbook_lib.evidence.measures import MEASURES
    from cookbook_lib.methods import build
    cfg = RunConfig(method="msn", image_size=16, representation_dim=64, projector_width=64, embedding_dim=16,
                    num_prototypes=8).resolved()
    model = build(cfg, 6).eval()
    x = torch.rand(64, 3, 16, 16, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():  # spread prototypes: eight orthogonal directions
        model.prototypes.copy_(torch.eye(16)[:8])
    spread = model.prototypes_in_use(x)
    assert all(1.0 <= v <= 8.0 + 1e-4 for v in spread.values()), spread

    class Constant(nn.Module):  # every image embedded on prototype 0
        def forward(self, h):
            return torch.eye(16)[:1].expand(len(h), -1)
    model.projector = Constant()
    model.teacher["projector"] = Constant()
    collapsed = model.prototypes_in_use(x)
    assert collapsed["targets"] < 1.01 and collapsed["anchors"] < 1.5, collapsed
    assert spread["targets"] > 1.5, spread  # the measure could tell the two apart

    class NotMSN:
        config = cfg.replace(method="dino")
        model = nn.Linear(1, 1)
    with pytest.raises(ValueError, match="msn run"):
        MEASURES["targets_prototypes_in_use"](NotMSN(), None, None)
