"""The command line: every knob is a flag; --json writes config, metrics and history; an
unknown flag gets a "did you mean"; a missing dataset is a message, not a traceback; Ctrl-C
keeps the run so far (status "interrupted", exit 130, nothing cached)."""
import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from cookbook_lib.__main__ import main
from cookbook_lib.config import knob_names


def test_train_writes_json(tmp_path, runs_dir):
    out = tmp_path / "out.json"
    code = main(["train", "--method", "simclr", "--image-size", "16", "--batch-size", "32", "--steps", "6",
                 "--log-every", "3", "--representation-dim", "32", "--embedding-dim", "16", "--lr", "auto",
                 "--json", str(out), "--quiet"])
    assert code == 0
    d = json.loads(out.read_text())
    assert d["config"]["steps"] == 6 and d["config"]["image_size"] == 16
    assert d["config"]["lr"] is not None  # auto resolved to the method default
    assert d["status"] == "ok"
    assert [h["step"] for h in d["history"]] == [3, 6]
    assert {"loss", "rankme", "embedding_std", "online_probe_acc"} <= set(d["history"][0])
    assert 0 <= d["metrics"]["linear_acc"] <= 1


def test_bad_flags_are_clear(capsys):
    with pytest.raises(SystemExit) as e:
        main(["train", "--batch-size", "1"])
    assert "batch_size=1" in str(e.value) and "out of range" in str(e.value)
    with pytest.raises(SystemExit) as e:
        main(["train", "--steps", "many"])
    assert "--steps" in str(e.value) and "int" in str(e.value)


def test_every_knob_is_a_flag():
    text = subprocess.run([sys.executable, "-m", "cookbook_lib", "train", "--help"], capture_output=True,
                          text=True, check=True).stdout
    for name in knob_names():
        assert "--" + name.replace("_", "-") in text, name


def cli_env(**extra):
    return {**os.environ, "OMP_NUM_THREADS": "1", "COOKBOOK_DEVICE": "cpu", **extra}


def test_projector_bn_from_the_command_line(tmp_path, runs_dir):
    out = tmp_path / "run.json"
    subprocess.run([sys.executable, "-m", "cookbook_lib", "train", "--method", "simclr", "--dataset", "digits",
                    "--image-size", "16", "--batch-size", "16", "--steps", "2", "--log-every", "1",
                    "--representation-dim", "32", "--projector-bn", "false", "--json", str(out)], check=True,
                   capture_output=True, env=cli_env())
    assert json.loads(out.read_text())["config"]["projector_bn"] is False


def test_an_unknown_flag_gets_a_suggestion(capsys, runs_dir):
    with pytest.raises(SystemExit) as e:
        main(["train", "--projektor-depth", "2"])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "--projektor-depth" in err and "Did you mean '--projector-depth'" in err
    assert not runs_dir.exists()


def test_a_missing_dataset_is_a_short_message_without_traceback(tmp_path, runs_dir, monkeypatch):
    empty = tmp_path / "data"
    empty.mkdir()
    res = subprocess.run([sys.executable, "-m", "cookbook_lib", "train", "--dataset", "cifar10", "--quiet"],
                         capture_output=True, text=True, env=cli_env(COOKBOOK_DATA=str(empty)), timeout=120)
    assert res.returncode == 1, res.stderr
    assert "Traceback" not in res.stderr and res.stderr.startswith("error: ")
    assert str(empty / "cifar-10-batches-py") in res.stderr  # where the files go
    assert "data_batch_1" in res.stderr and "COOKBOOK_DATA" in res.stderr
    assert len(res.stderr.splitlines()) < 15
    # --data-path: the same message, naming that folder (in-process: SystemExit carries it)
    other = tmp_path / "elsewhere"
    other.mkdir()
    monkeypatch.setenv("COOKBOOK_DATA", str(empty))
    with pytest.raises(SystemExit) as e:
        main(["train", "--dataset", "cifar10", "--data-path", str(other), "--quiet"])
    assert str(e.value).startswith("error: ") and str(other / "cifar-10-batches-py") in str(e.value)
    assert not runs_dir.exists()


def test_ctrl_c_writes_the_run_so_far_and_exits_130(tmp_path):
    """SIGINT (Ctrl-C) once the run has logged: the JSON is written with status
    "interrupted" and the history so far, the exit status is 130, and nothing is cached (the
    run goes through load_or_train, which never stores an interrupted run)."""
    out, runs = tmp_path / "out.json", tmp_path / "runs"
    proc = subprocess.Popen([sys.executable, "-m", "cookbook_lib", "train", "--dataset", "digits", "--image-size", "16",
                             "--batch-size", "32", "--steps", "100000", "--log-every", "5", "--json", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=cli_env(COOKBOOK_RUNS=str(runs)))
    err = []
    reader = threading.Thread(target=lambda: err.extend(iter(lambda: proc.stderr.read(64), "")), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 120
        while "loss=" not in "".join(err):  # the progress bar shows the loss from the first log step on
            assert proc.poll() is None and time.monotonic() < deadline, "".join(err)[-2000:]
            time.sleep(0.2)
        time.sleep(0.5)  # a few more steps, well inside the 100,000
        proc.send_signal(signal.SIGINT)
        stdout, _ = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    reader.join(timeout=10)
    assert proc.returncode == 130, "".join(err)[-2000:]
    d = json.loads(out.read_text())
    assert d["status"] == "interrupted" and "never cached" in d["message"]
    steps = [h["step"] for h in d["history"]]
    assert steps and steps == list(range(5, 5 * len(steps) + 1, 5)) and steps[-1] < 100000
    assert d["metrics"]["rankme"] > 0 and d["metrics"]["embedding_std"] > 0
    assert json.loads(stdout.splitlines()[-1])["status"] == "interrupted"
    assert "Traceback" not in "".join(err)
    assert not (runs.exists() and list(runs.iterdir())), list(runs.iterdir())
