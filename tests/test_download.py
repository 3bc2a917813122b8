"""`python -m cookbook_lib download`: a tiny archive in CIFAR-10's real format, served from
127.0.0.1 (the address and checksum are redirected to it), lands where the loader finds it;
a damaged or cut-off download raises a clear error and leaves nothing behind."""
import hashlib
import http.server
import io
import pickle
import tarfile
import threading
from functools import partial
from pathlib import Path

import numpy as np
import pytest

from cookbook_lib.__main__ import main
from cookbook_lib.data import download as dl
from cookbook_lib.data import files, load_dataset

PER_BATCH, CLASSES = 4, ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


def _pickled(obj) -> bytes:
    return pickle.dumps(obj)


def tiny_cifar10_archive() -> bytes:
    """cifar-10-python.tar.gz as the CIFAR website lays it out, with 4 images per batch."""
    rng = np.random.default_rng(0)
    members = {f"data_batch_{i}": {b"data": rng.integers(0, 256, (PER_BATCH, 3072), dtype=np.uint8),
                                   b"labels": list(range(i, i + PER_BATCH))} for i in range(1, 6)}
    members["test_batch"] = {b"data": rng.integers(0, 256, (PER_BATCH, 3072), dtype=np.uint8), b"labels": [0, 1, 2, 3]}
    members["batches.meta"] = {b"label_names": [c.encode() for c in CLASSES]}
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, obj in members.items():
            data = _pickled(obj)
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


class CutOff(http.server.SimpleHTTPRequestHandler):
    """Serves the files of its folder; `cut.tar.gz` announces the whole archive's length but
    sends half of it and hangs up (a dropped connection)."""

    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path.endswith("/cut.tar.gz"):
            data = (Path(self.directory) / "full.tar.gz").read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        super().do_GET()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("www")
    archive = tiny_cifar10_archive()
    (folder / "full.tar.gz").write_bytes(archive)
    (folder / "half.tar.gz").write_bytes(archive[: len(archive) // 2])  # a truncated file, served whole
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(CutOff, directory=str(folder)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", hashlib.md5(archive).hexdigest()
    httpd.shutdown()


def serve_as_cifar10(monkeypatch, url, md5):
    monkeypatch.setattr(dl, "sources", lambda: {"cifar10": dl.Source(url, md5, "cifar-10-batches-py", "a few kB")})


def leftovers(root: Path) -> list:
    return sorted(p.name for p in root.iterdir()) if root.exists() else []


def test_download_lands_where_the_loader_reads_it(server, monkeypatch, tmp_path):
    base, md5 = server
    serve_as_cifar10(monkeypatch, f"{base}/full.tar.gz", md5)
    said = []
    folder = dl.download("cifar10", tmp_path, progress=said.append)
    assert folder == tmp_path / "cifar-10-batches-py" and leftovers(tmp_path) == ["cifar-10-batches-py"]
    xtr, ytr, xte, yte, names = files.load_cifar10(tmp_path, 32)
    assert xtr.shape == (5 * PER_BATCH, 3, 32, 32) and len(yte) == PER_BATCH and names == CLASSES
    data = load_dataset("cifar10", 32, "cpu", data_path=str(tmp_path))
    assert data.num_classes == 10 and len(data.train_images) == 5 * PER_BATCH
    assert any("ready" in s for s in said)
    # a second call finds it and fetches nothing (the address is now unreachable)
    serve_as_cifar10(monkeypatch, "http://127.0.0.1:9/none.tar.gz", md5)
    assert dl.download("cifar10", tmp_path, progress=said.append) == folder and "already" in said[-1]


@pytest.mark.parametrize("name", ["half.tar.gz", "cut.tar.gz"], ids=["truncated file", "dropped connection"])
def test_a_damaged_download_is_refused_and_leaves_nothing(server, monkeypatch, tmp_path, name):
    base, md5 = server
    serve_as_cifar10(monkeypatch, f"{base}/{name}", md5)
    with pytest.raises(RuntimeError, match="nothing was kept") as e:
        dl.download("cifar10", tmp_path, progress=lambda s: None)
    assert "cifar10" in str(e.value) and base in str(e.value)
    assert leftovers(tmp_path) == []  # no archive, no half-unpacked folder, no temporary folder
    with pytest.raises(FileNotFoundError, match="cifar-10-batches-py"):
        files.load_cifar10(tmp_path, 32)


def test_the_command_line_refuses_an_unknown_dataset_before_any_work(tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        main(["download", "cifar1O", "--root", str(tmp_path / "new")])
    assert "cifar10" in str(e.value) and "did you mean" in str(e.value).lower()
    assert not (tmp_path / "new").exists()
    with pytest.raises(SystemExit):
        main(["download", "shapes", "--root", str(tmp_path)])
