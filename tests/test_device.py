"""Where tensors live: nothing in float64 ever touches the training device.

Apple's MPS device has no float64: a float64 tensor on it, or a copy that converts between
it and float64 in one step (`x.to("cpu", torch.float64)`, `cpu64.copy_(x)`), raises (torch
≤ 2.13) or silently yields zeros (torch 2.14.0, pytorch/pytorch#197715). On a Mac, `train()`
crashed at its first log step because a metric cast the device's embeddings to float64.
There is no Mac here, so `NoFloat64OnDevice` simulates one on the CPU: it tells "host"
tensors from "device" tensors and raises when an operation makes a float64 tensor from a
device tensor or on the device. The metrics may compute in float64 on a host copy
(`x.cpu()` then `.double()`), which is what they do.

Host tensors: results of `Tensor.cpu()` (also when the tensor is already on the CPU: the
mode sees the call), tensors from factory functions without a `device=` argument, and
results of operations whose tensor inputs are all host. Everything else is a device
tensor: the training data, tensors made with `device=...`, results of `.to(<a device>)`
(`.to(torch.device("cpu"))` and `.to("cpu")` included: on the CPU they cannot be told from a
Mac user's `.to("mps")`, so only `.cpu()` counts as a move to the host), module parameters
after `module.to(device)`, gradients, and any tensor the mode did not see being made.
"""
import math

import pytest
import torch
from torch.overrides import TorchFunctionMode, resolve_name

from cookbook_lib import RunConfig, metrics, train

WIDE = (torch.float64, torch.complex128)
_HOST = "_cookbook_test_host"  # True on tensors the mode knows to be on the host


class Float64OnDevice(AssertionError):
    """An operation made a float64 tensor on, or from, the training device."""


def _tensors(obj):
    if isinstance(obj, torch.Tensor):
        yield obj
    elif isinstance(obj, (list, tuple)):
        for o in obj:
            yield from _tensors(o)
    elif isinstance(obj, dict):
        for o in obj.values():
            yield from _tensors(o)


def is_host(t: torch.Tensor) -> bool:
    return getattr(t, _HOST, False)


def _mark(t: torch.Tensor, host: bool) -> None:
    try:
        setattr(t, _HOST, host)
    except (AttributeError, TypeError):  # a tensor type that takes no attributes
        pass


class NoFloat64OnDevice(TorchFunctionMode):
    """A TorchFunctionMode that raises `Float64OnDevice` where an MPS device would fail."""

    MOVES = {"torch.Tensor.cpu": True, "torch.Tensor.cuda": False, "torch.Tensor.mps": False}

    def __init__(self):
        super().__init__()
        self.calls = 0

    def _placement(self, name, args, kwargs, inputs) -> bool:
        """True if the result is a host tensor."""
        if name in self.MOVES:
            return self.MOVES[name]
        if name == "torch.Tensor.to":
            others = [t for t in _tensors((args[1:], kwargs))]
            if others:  # .to(other): where `other` is
                return is_host(others[0])
            device = torch._C._nn._parse_to(*args[1:], **kwargs)[0]
            return is_host(args[0]) if device is None else False  # a move to the (training) device
        if kwargs.get("device") is not None:
            return False
        return all(is_host(t) for t in inputs)  # a factory without device= (no inputs) is host

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        self.calls += 1
        name = resolve_name(func) or repr(func)
        out = func(*args, **kwargs)
        if name == "torch.Tensor.data.__set__":  # param.data = t: the parameter is now where t is
            _mark(args[0], is_host(args[1]))
            return out
        inputs = list(_tensors((args, kwargs)))
        host = self._placement(name, args, kwargs, inputs)
        in_place = name not in self.MOVES and name != "torch.Tensor.to" and bool(args) \
            and isinstance(args[0], torch.Tensor) and (out is args[0] or name == "torch.Tensor.__setitem__")
        results = [args[0]] if in_place else list(_tensors(out))
        if in_place:
            host = is_host(args[0])
        for r in results:
            if r.dtype in WIDE and (not host or not all(is_host(t) for t in inputs)):
                where = "on the device" if not host else "from a device tensor"
                raise Float64OnDevice(f"{name} made a {r.dtype} tensor {where} (shape {tuple(r.shape)}); "
                                      f"MPS has no float64: copy to the host first (x.cpu().double())")
        if in_place:
            return out
        if host and isinstance(out, torch.Tensor) and any(out is t and not is_host(t) for t in inputs):
            out = out.view_as(out)  # x.cpu() of a CPU tensor returns x: keep x itself a device tensor
        for r in _tensors(out):
            _mark(r, host)
        return out


# ---------------------------------------------------------------- the guard itself
def test_the_guard_tells_host_from_device_and_catches_float64_there():
    with NoFloat64OnDevice():
        dev = torch.randn(4, 3, device="cpu")  # device=: a device tensor
        host = torch.randn(4, 3)  # no device=: host
        assert not is_host(dev) and is_host(host)
        assert is_host(dev.cpu()) and not is_host(dev)  # a host copy; the device tensor stays one
        assert is_host(dev.cpu().double()) and is_host(host.double() @ host.double().T)
        assert not is_host(host.to(torch.device("cpu"))) and not is_host(dev * host)
        assert float(dev.detach().cpu().double().sum()) == pytest.approx(float(dev.sum()), abs=1e-5)
        for bad in (lambda: dev.double(), lambda: dev.to(torch.float64), lambda: dev.sum(dtype=torch.float64),
                    lambda: dev.to("cpu", torch.float64),  # one-step device → float64 copy: fails on MPS
                    lambda: host.double().to(torch.device("cpu")),  # float64 moved to the device
                    lambda: torch.zeros(3, dtype=torch.float64, device=dev.device),
                    lambda: torch.zeros(4, 3, dtype=torch.float64).copy_(dev),
                    lambda: dev.detach().double()):
            with pytest.raises(Float64OnDevice):
                bad()


# ---------------------------------------------------------------- the metrics
def test_metrics_never_make_float64_on_the_device():
    g = torch.Generator().manual_seed(0)
    z1 = torch.randn(64, 16, generator=g)
    z2 = z1 + 0.1 * torch.randn(64, 16, generator=g)
    expected = dict(rankme=metrics.rankme(z1), embedding_std=metrics.embedding_std(z1),
                    alpha_req=metrics.alpha_req(z1), alignment=metrics.alignment(z1, z2),
                    uniformity=metrics.uniformity(z1), sv=metrics.singular_values(z1))
    with NoFloat64OnDevice() as guard:
        z1, z2 = z1.to(torch.device("cpu")), z2.to(torch.device("cpu"))  # now device tensors
        assert not is_host(z1) and not is_host(z2)
        got = dict(rankme=metrics.rankme(z1), embedding_std=metrics.embedding_std(z1),
                   alpha_req=metrics.alpha_req(z1), alignment=metrics.alignment(z1, z2),
                   uniformity=metrics.uniformity(z1), sv=metrics.singular_values(z1))
        nan = z1.clone()
        nan[0, 0] = float("nan")
        assert math.isnan(metrics.rankme(nan)) and torch.isnan(metrics.singular_values(nan)).all()
        assert metrics.embedding_std(torch.zeros(8, 4, device="cpu")) == 0.0
    assert guard.calls > 0
    assert torch.equal(got.pop("sv"), expected.pop("sv")) and got == expected


def test_the_guard_catches_the_old_metrics(monkeypatch):
    """Before the fix `_clean` cast on the tensor's own device (z.detach().double()): the
    guard must fail on that, or it proves nothing."""
    monkeypatch.setattr(metrics, "_clean", lambda z: z.detach().double().flatten(1))
    z = torch.randn(32, 8)
    assert metrics.rankme(z) > 1  # fine on a real CPU ...
    with NoFloat64OnDevice(), pytest.raises(Float64OnDevice, match="torch.Tensor.double"):
        metrics.rankme(z.to(torch.device("cpu")))  # ... not on a device without float64


# ---------------------------------------------------------------- a short train() on the "device"
def tiny(method, **kw):
    return RunConfig(method=method, dataset="digits", image_size=16, batch_size=32, steps=4, log_every=2,
                     device="cpu", representation_dim=32, projector_width=32, embedding_dim=16, **kw)


@pytest.mark.parametrize("method,knobs", [
    ("simclr", {}),
    ("byol", dict(direct_predictor=True, predictor_width=32)),
])
def test_train_never_makes_float64_on_the_device(method, knobs):
    cfg = tiny(method, **knobs)
    with NoFloat64OnDevice() as guard:
        run = train(cfg, progress=False)
    assert guard.calls > 1000  # the guard saw the run
    assert run.status == "ok" and [r["step"] for r in run.history] == [2, 4]
    assert all(math.isfinite(run.metrics[k]) for k in ("linear_acc", "rankme", "embedding_std", "alpha_req",
                                                      "alignment", "uniformity"))
    plain = train(cfg, progress=False)  # the guard changes nothing in the run itself
    assert plain.metrics == run.metrics and plain.history[-1]["loss"] == run.history[-1]["loss"]


def test_the_guard_catches_train_with_the_old_metrics(monkeypatch):
    monkeypatch.setattr(metrics, "_clean", lambda z: z.detach().double().flatten(1))
    with NoFloat64OnDevice(), pytest.raises(Float64OnDevice, match="torch.Tensor.double"):
        train(tiny("simclr"), progress=False)
