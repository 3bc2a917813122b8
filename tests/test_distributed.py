"""Two processes (torchrun, gloo on CPU) follow the same trajectory as one process on the whole
batch; a checkpointed run resumes exactly; an uneven global batch is refused."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from cookbook_lib import RunConfig, distributed
from cookbook_lib.train import train

WORKER = str(Path(__file__).with_name("dist_worker.py"))
# SGD with a small lr, not AdamW: a parameter whose true gradient is 0 (VICReg's last projector
# bias: the loss ignores a shift shared by all embeddings) gets float-noise gradients, which
# AdamW's m/√v turns into full-size steps of random sign; and large steps let VICReg's hinge
# and Barlow Twins' per-dimension standardisation amplify float noise from step to step.
TINY = dict(dataset="shapes", image_size=16, batch_size=32, steps=4, log_every=1, representation_dim=32,
            projector_width=64, embedding_dim=16, device="cpu", optimizer="sgd", lr=0.002, lr_scaling="none",
            warmup=0.0)


# LeJEPA: every process draws the same SIGReg directions and the statistic is the global
# batch's; MoCo v3: keys gathered over the processes, an EMA teacher and a predictor
METHODS = ["simclr", "vicreg", "barlow_twins", "lejepa", "mocov3"]


def _launch(configs, out, nproc, **extra_env):
    env = {**os.environ, "OMP_NUM_THREADS": "1", **extra_env}
    env.pop("WORLD_SIZE", None)
    cmd = [sys.executable, WORKER, json.dumps(configs), str(out)]
    if nproc > 1:
        cmd[1:1] = ["-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}"]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return torch.load(out, weights_only=True)


@pytest.fixture(scope="module")
def one_and_two(tmp_path_factory):
    d = tmp_path_factory.mktemp("dist")
    configs = [dict(TINY, method=m) for m in METHODS]
    return configs, _launch(configs, d / "one.pt", 1), _launch(configs, d / "two.pt", 2)


@pytest.mark.parametrize("i", range(len(METHODS)), ids=METHODS)
def test_two_processes_follow_the_one_process_trajectory(one_and_two, i):
    configs, one, two = one_and_two
    a, b = one[i], two[i]
    assert len(a["loss"]) == len(b["loss"]) == configs[i]["steps"]
    # losses: observed to agree to ~1e-7 relative; a gradient scaled by 1/2 or a dropped
    # cross-process term changes the loss from the second step on by far more
    assert torch.allclose(torch.tensor(a["loss"]), torch.tensor(b["loss"]), rtol=1e-5, atol=0), (a["loss"], b["loss"])
    assert a["state"].keys() == b["state"].keys()
    worst = max(float((a["state"][k] - b["state"][k]).abs().max()) for k in a["state"])
    moved = max(float((a["state"][k] - a["init"][k]).abs().max()) for k in a["state"])
    assert worst < 1e-4, f"{configs[i]['method']}: parameters differ by {worst:.2e}"
    assert moved > 10 * 1e-4, f"training moved the parameters by only {moved:.2e}: the check could not fail"


def test_a_gather_without_gradient_makes_two_processes_drift_from_one(one_and_two, tmp_path):
    """The negative control of the test above: the same two processes with a plain all_gather,
    in which the rows from the other process carry no gradient, leave the one-process
    trajectory (SimCLR's loss couples every row to every other)."""
    configs, one, two = one_and_two
    i = METHODS.index("simclr")
    a = one[i]
    b = _launch([configs[i]], tmp_path / "nograd.pt", 2, COOKBOOK_TEST_GATHER="nograd")[0]
    assert a["loss"][0] == pytest.approx(b["loss"][0], rel=1e-5)  # same start: only the gradient differs
    assert not torch.allclose(torch.tensor(a["loss"]), torch.tensor(b["loss"]), rtol=1e-5, atol=0)

    def differ(x, y):
        return max(float((x["state"][k] - y["state"][k]).abs().max()) for k in x["state"])

    drift, exact = differ(a, b), differ(a, two[i])
    print(f"parameters after {configs[i]['steps']} steps differ from one process by {drift:.1e} without "
          f"gradient through the gather, {exact:.1e} with it")  # observed 1.6e-02 against 2.3e-06
    assert drift > 10 * 1e-4 and drift > 100 * exact, (drift, exact)


def test_gather_sums_gradients_across_processes_is_identity_alone():
    x = torch.randn(4, 3, requires_grad=True)
    assert distributed.gather(x) is x
    assert distributed.all_reduce_sum(x) is x
    assert distributed.world_size() == 1 and distributed.rank() == 0


def test_uneven_global_batch_is_refused_before_any_work(monkeypatch):
    monkeypatch.setattr(distributed, "world_size", lambda: 3)
    with pytest.raises(ValueError, match=r"batch_size=16 .* 3 processes.*multiple of 3"):
        distributed.check_batch(16)
    assert distributed.check_batch(18) == 6


def test_sharded_augmentation_equals_the_whole_batch():
    from cookbook_lib import augment

    cfg = RunConfig(blur_prob=0.5, solarize_prob=0.3)
    images = torch.randint(0, 256, (8, 3, 16, 16), dtype=torch.uint8)
    whole = augment.augment(images, cfg, torch.Generator().manual_seed(1), size=16)
    parts = []
    for r in range(2):
        with augment.sharded(r, 2):
            parts.append(augment.augment(images[r * 4:(r + 1) * 4], cfg, torch.Generator().manual_seed(1), size=16))
    assert torch.allclose(torch.cat(parts), whole, atol=1e-6)


@pytest.mark.parametrize("method", ["moco", "rotation"])  # a queue and its position; rotations from the run's generator
def test_interrupted_run_resumes_to_the_same_result(tmp_path, method):
    cfg = RunConfig(method=method, queue_size=32, **dict(TINY, steps=6, optimizer="adamw", lr=2e-3))
    full = train(cfg, progress=False)

    def stop(run, record):
        if record["step"] == 5:
            raise KeyboardInterrupt  # as a reader pressing stop

    ckpt = tmp_path / "run.ckpt"
    partial = train(cfg, progress=False, callback=stop, checkpoint=ckpt, checkpoint_every=2)
    assert partial.status == "interrupted" and partial.history[-1]["step"] == 5 == len(partial.history)
    assert ckpt.exists()
    assert torch.load(ckpt, weights_only=True)["step"] == 4
    resumed = train(cfg, progress=False, checkpoint=ckpt, callback=None)
    assert [r["step"] for r in resumed.history] == [r["step"] for r in full.history]
    assert [r["loss"] for r in resumed.history] == pytest.approx([r["loss"] for r in full.history], rel=1e-5)
    for k, v in full.model.state_dict().items():
        assert torch.allclose(v.float(), resumed.model.state_dict()[k].float(), atol=1e-6), k
    with pytest.raises(ValueError, match="another run.*steps"):
        train(cfg.replace(steps=7), progress=False, checkpoint=ckpt)


def test_torchrun_command_line(tmp_path):
    """The documented launch: torchrun ... -m cookbook_lib train; process 0 writes the JSON."""
    out = tmp_path / "run.json"
    flags = ["--method", "vicreg", "--dataset", "digits", "--image-size", "16", "--batch-size", "32", "--steps", "3",
             "--representation-dim", "32", "--projector-width", "64", "--embedding-dim", "16", "--device", "cpu"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", "-m", "cookbook_lib",
           "train", *flags, "--quiet", "--json", str(out)]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(out.read_text())
    assert result["status"] == "ok" and result["config"]["batch_size"] == 32
    assert len(result["history"]) == 1 and result["history"][0]["step"] == 3
    assert done.stdout.count('"status"') == 1  # one report, from process 0
    uneven = subprocess.run(cmd[:-2] + ["--batch-size", "33"], env=env, capture_output=True, text=True, timeout=600)
    assert uneven.returncode != 0 and "must split evenly over the 2 processes" in uneven.stderr + uneven.stdout
