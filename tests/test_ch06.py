"""Chapter 06 helpers: MAE reconstructions (`MAE.reconstruct`) and `evaluate.fine_tune`."""
import torch

from cookbook_lib import RunConfig
from cookbook_lib.evaluate import fine_tune
from cookbook_lib.methods import build
from cookbook_lib.nets import convnet


def tiny_mae(mask_ratio=0.75):
    cfg = RunConfig(method="mae", image_size=16, patch_size=4, representation_dim=16,
                    mask_ratio=mask_ratio, device="cpu").resolved()
    torch.manual_seed(0)
    return build(cfg, 6).eval()


def images(n=6, seed=0):
    return torch.rand(n, 3, 16, 16, generator=torch.Generator().manual_seed(seed))


def test_reconstruct_shapes_mask_and_visible_patches():
    model, x = tiny_mae(), images()
    out = model.reconstruct(x, mask_ratio=0.5, seed=3)
    assert out["original"].shape == out["masked"].shape == out["reconstruction"].shape == x.shape
    assert out["mask"].shape == (6, 16) and out["mask"].dtype == torch.bool
    assert (out["mask"].sum(1) == 8).all()  # exactly round(0.5 · 16) hidden per image
    pix = model.patchify(x)
    vis = ~out["mask"]
    assert torch.allclose(model.patchify(out["reconstruction"])[vis], pix[vis])  # visible copied
    assert torch.allclose(model.patchify(out["masked"])[vis], pix[vis])
    assert (model.patchify(out["masked"])[out["mask"]] == 0.5).all()  # hidden shown grey
    flat = model.patchify(out["baseline"])
    assert torch.allclose(flat[vis], pix[vis])
    assert torch.allclose(flat[out["mask"]], pix.mean(-1, keepdim=True).expand_as(pix)[out["mask"]])
    assert torch.equal(model.unpatchify(pix), x)
    assert out["error"].shape == out["baseline_error"].shape == (6,)


def test_reconstruct_default_ratio_seed_and_uint8():
    model, x = tiny_mae(mask_ratio=0.75), images()
    a, b = model.reconstruct(x, seed=1), model.reconstruct(x, seed=1)
    assert (a["mask"].sum(1) == 12).all()  # the run's own mask_ratio by default
    assert torch.equal(a["mask"], b["mask"]) and torch.equal(a["error"], b["error"])
    assert not torch.equal(a["mask"], model.reconstruct(x, seed=2)["mask"])
    u8 = (x * 255).round().to(torch.uint8)
    assert torch.allclose(model.reconstruct(u8, seed=1)["original"], u8.float() / 255)


def test_reconstruct_error_is_the_training_loss_and_baseline_is_flat_patches():
    model, x = tiny_mae(), images()
    torch.manual_seed(7)  # the loss draws its mask from the global generator: same draw as seed=7
    loss = model.loss([x], None)[0]
    out = model.reconstruct(x, seed=7)
    assert torch.allclose(out["error"].mean(), loss, atol=1e-6)
    # images made of flat grey patches: predicting each patch's own mean value is exact
    flat = torch.rand(4, 1, 4, 4).expand(-1, 3, -1, -1).repeat_interleave(4, 2).repeat_interleave(4, 3)
    assert torch.allclose(model.reconstruct(flat)["baseline_error"], torch.zeros(4), atol=1e-6)
    # for a patch with pixel variety, the normalised target has mean square (P-1)/P ≈ 1
    assert (out["baseline_error"] > 0.9).all() and (out["baseline_error"] < 1.0).all()


def coloured(n, seed):
    """Images whose class (0, 1, 2) is the channel that is bright, plus noise."""
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(3, (n,), generator=g)
    x = 0.3 * torch.rand(n, 3, 8, 8, generator=g)
    x[torch.arange(n), y] += 0.6
    return x, y


def test_fine_tune_learns_leaves_backbone_alone_and_is_deterministic():
    xtr, ytr = coloured(256, 0)
    xte, yte = coloured(128, 1)
    torch.manual_seed(0)
    net = convnet(16)
    before = {k: v.clone() for k, v in net.state_dict().items()}
    acc = fine_tune(net, xtr, ytr, xte, yte, steps=40, batch_size=32, lr=3e-3)
    assert acc > 0.9, acc
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())  # a copy was trained
    assert fine_tune(net, xtr, ytr, xte, yte, steps=40, batch_size=32, lr=3e-3) == acc
