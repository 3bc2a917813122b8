"""On-disk dataset loaders (cookbook_lib.data.files), each fed tiny files written in the official format."""
import pickle

import numpy as np
import pytest
import torch
from PIL import Image

from cookbook_lib.data import ImageData, files, load_dataset

RED, BLUE = (255, 0, 0), (0, 0, 255)


def red_left_blue_right(size: int) -> np.ndarray:
    """HWC uint8 image: left half red, right half blue, plus a green top row (catches flips / transposes)."""
    img = np.zeros((size, size, 3), np.uint8)
    img[:, : size // 2] = RED
    img[:, size // 2:] = BLUE
    img[0, :] = (0, 255, 0)
    return img


def check_red_left(chw: torch.Tensor, native: bool = False):
    """Left red, right blue, green top row — exact at native size, approximately after a resize."""
    s, m = chw.shape[-1], chw.shape[-1] // 2
    assert chw.dtype == torch.uint8 and chw.shape[0] == 3
    c = chw.int()
    assert c[0, m, 0] > 200 and c[2, m, 0] < 30            # left: red
    assert c[0, m, s - 1] < 30 and c[2, m, s - 1] > 200    # right: blue
    assert c[1, 0, m] > 40 and c[1, s - 1, m] < 10         # top row green, bottom row not
    if native:                                             # native size: exact pixels
        assert c[0, m, 0] == 255 and c[2, m, s - 1] == 255 and c[1, 0, m] == 255


def cifar_rows(n: int, seed: int) -> np.ndarray:
    """n CIFAR rows (3072 values: R plane, G plane, B plane, each row-major); row 0 is the marker image."""
    rows = np.random.default_rng(seed).integers(0, 256, (n, 3072), dtype=np.uint8)
    rows[0] = red_left_blue_right(32).transpose(2, 0, 1).reshape(-1)
    return rows


def dump(path, obj):
    with open(path, "wb") as f:
        pickle.dump(obj, f, protocol=2)


def write_cifar10(root):
    d = root / "cifar-10-batches-py"
    d.mkdir(parents=True)
    batches = []
    for i in range(1, 6):
        rows, labels = cifar_rows(4, i), [(i + j) % 10 for j in range(4)]
        dump(d / f"data_batch_{i}", {b"data": rows, b"labels": labels, b"batch_label": b"x"})
        batches.append((rows, labels))
    test_rows, test_labels = cifar_rows(3, 9), [9, 0, 5]
    dump(d / "test_batch", {b"data": test_rows, b"labels": test_labels})
    names = [b"airplane", b"automobile", b"bird", b"cat", b"deer", b"dog", b"frog", b"horse", b"ship", b"truck"]
    dump(d / "batches.meta", {b"label_names": names, b"num_vis": 3072})
    return batches, (test_rows, test_labels)


def test_cifar10_round_trip(tmp_path):
    batches, (test_rows, test_labels) = write_cifar10(tmp_path)
    xtr, ytr, xte, yte, names = files.load("cifar10", tmp_path, 32)
    assert xtr.shape == (20, 3, 32, 32) and xtr.dtype == torch.uint8
    assert xte.shape == (3, 3, 32, 32) and xte.dtype == torch.uint8
    assert ytr.dtype == torch.long and yte.dtype == torch.long
    assert ytr.tolist() == [y for _, labels in batches for y in labels]
    assert yte.tolist() == test_labels
    assert names[0] == "airplane" and names[9] == "truck" and len(names) == 10
    # the exact bytes come back in batch order
    expect = np.concatenate([rows for rows, _ in batches]).reshape(-1, 3, 32, 32)
    assert np.array_equal(xtr.numpy(), expect)
    assert np.array_equal(xte.numpy(), test_rows.reshape(-1, 3, 32, 32))
    check_red_left(xtr[0], native=True)
    check_red_left(xte[0], native=True)


def test_cifar10_resized(tmp_path):
    write_cifar10(tmp_path)
    xtr, ytr, xte, _, _ = files.load("cifar10", tmp_path, 16)
    assert xtr.shape == (20, 3, 16, 16) and xte.shape == (3, 3, 16, 16) and xtr.dtype == torch.uint8
    assert len(ytr) == 20
    check_red_left(xtr[4])  # first image of data_batch_2


def test_cifar10_missing_folder_and_file(tmp_path):
    with pytest.raises(FileNotFoundError) as e:
        files.load("cifar10", tmp_path, 32)
    msg = str(e.value)
    assert "cifar-10-batches-py" in msg and "data_batch_1" in msg and "COOKBOOK_DATA" in msg
    assert "CIFAR" in msg and "http" not in msg
    write_cifar10(tmp_path)
    (tmp_path / "cifar-10-batches-py" / "data_batch_5").unlink()
    with pytest.raises(FileNotFoundError, match="data_batch_5"):
        files.load("cifar10", tmp_path, 32)


def test_cifar100_round_trip(tmp_path):
    d = tmp_path / "cifar-100-python"
    d.mkdir()
    train_rows, test_rows = cifar_rows(6, 1), cifar_rows(2, 2)
    train_fine, test_fine = [0, 99, 42, 7, 7, 63], [99, 1]
    dump(d / "train", {b"data": train_rows, b"fine_labels": train_fine, b"coarse_labels": [0] * 6})
    dump(d / "test", {b"data": test_rows, b"fine_labels": test_fine, b"coarse_labels": [1] * 2})
    dump(d / "meta", {b"fine_label_names": [f"c{i}".encode() for i in range(100)],
                      b"coarse_label_names": [b"x"] * 20})
    xtr, ytr, xte, yte, names = files.load("cifar100", tmp_path, 32)
    assert xtr.shape == (6, 3, 32, 32) and xte.shape == (2, 3, 32, 32) and xtr.dtype == torch.uint8
    assert ytr.tolist() == train_fine and yte.tolist() == test_fine and ytr.dtype == torch.long
    assert len(names) == 100 and names[42] == "c42"
    assert np.array_equal(xtr.numpy(), train_rows.reshape(-1, 3, 32, 32))
    check_red_left(xtr[0], native=True)
    assert files.load("cifar100", tmp_path, 8)[0].shape == (6, 3, 8, 8)


def test_cifar100_missing(tmp_path):
    with pytest.raises(FileNotFoundError, match="cifar-100-python"):
        files.load("cifar100", tmp_path, 32)


def write_stl10(root, train_labels=(1, 10, 4), test_labels=(2, 3)):
    """Images written as the STL-10 binary does: per image 3 planes of 96×96, each in column order."""
    d = root / "stl10_binary"
    d.mkdir(parents=True)
    rng = np.random.default_rng(0)
    out = {}
    for tag, labels in (("train", train_labels), ("test", test_labels)):
        imgs = rng.integers(0, 256, (len(labels), 3, 96, 96), dtype=np.uint8)  # NCHW, as it should load
        imgs[0] = red_left_blue_right(96).transpose(2, 0, 1)
        imgs.transpose(0, 1, 3, 2).tofile(d / f"{tag}_X.bin")                # column-major per plane
        np.array(labels, np.uint8).tofile(d / f"{tag}_y.bin")
        out[tag] = imgs
    (d / "class_names.txt").write_text("\n".join(
        ["airplane", "bird", "car", "cat", "deer", "dog", "horse", "monkey", "ship", "truck"]) + "\n")
    return out


def test_stl10_round_trip(tmp_path):
    imgs = write_stl10(tmp_path)
    xtr, ytr, xte, yte, names = files.load("stl10", tmp_path, 96)
    assert xtr.shape == (3, 3, 96, 96) and xte.shape == (2, 3, 96, 96) and xtr.dtype == torch.uint8
    assert ytr.tolist() == [0, 9, 3] and yte.tolist() == [1, 2] and ytr.dtype == torch.long
    assert names == ("airplane", "bird", "car", "cat", "deer", "dog", "horse", "monkey", "ship", "truck")
    assert np.array_equal(xtr.numpy(), imgs["train"]) and np.array_equal(xte.numpy(), imgs["test"])
    check_red_left(xtr[0], native=True)
    check_red_left(xte[0], native=True)
    small = files.load("stl10", tmp_path, 32)[0]
    assert small.shape == (3, 3, 32, 32)
    check_red_left(small[0])


def test_stl10_missing(tmp_path):
    with pytest.raises(FileNotFoundError, match="stl10_binary"):
        files.load("stl10", tmp_path, 96)
    write_stl10(tmp_path)
    (tmp_path / "stl10_binary" / "test_y.bin").unlink()
    with pytest.raises(FileNotFoundError, match="test_y.bin"):
        files.load("stl10", tmp_path, 96)


def save_png(path, img):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(img).save(path)


def solid(value, size=20):
    return np.full((size, size, 3), value, np.uint8)


def test_imagefolder_with_train_test(tmp_path):
    root = tmp_path / "pets"
    save_png(root / "train" / "cat" / "a.png", red_left_blue_right(32))
    save_png(root / "train" / "cat" / "b.png", solid(10))
    save_png(root / "train" / "dog" / "c.png", solid(200))
    save_png(root / "val" / "cat" / "d.png", solid(30))
    save_png(root / "val" / "dog" / "e.png", solid(40))
    save_png(root / "val" / "dog" / "f.jpg", solid(50))
    xtr, ytr, xte, yte, names = files.load("imagefolder", root, 32)
    assert names == ("cat", "dog")
    assert xtr.shape == (3, 3, 32, 32) and xte.shape == (3, 3, 32, 32) and xtr.dtype == torch.uint8
    assert ytr.tolist() == [0, 0, 1] and yte.tolist() == [0, 1, 1] and ytr.dtype == torch.long
    check_red_left(xtr[0], native=True)
    assert int(xtr[2].float().mean().round()) == 200      # solid image survives the resize
    small = files.load("imagefolder", root, 16)[0]
    assert small.shape == (3, 3, 16, 16)
    check_red_left(small[0])


def test_imagefolder_flat_split_is_deterministic(tmp_path):
    root = tmp_path / "flat"
    counts = {"ant": 10, "bee": 5, "cow": 6}
    for c, (name, n) in enumerate(counts.items()):
        for i in range(n):
            save_png(root / name / f"{i:02d}.png", solid(c * 100 + i))  # pixel value identifies the file
    xtr, ytr, xte, yte, names = files.load("imagefolder", root, 8)
    assert names == ("ant", "bee", "cow")
    assert xtr.shape[1:] == (3, 8, 8) and xtr.dtype == torch.uint8 and ytr.dtype == torch.long
    assert torch.bincount(yte).tolist() == [2, 1, 1]       # 20% of each class in test
    assert torch.bincount(ytr).tolist() == [8, 4, 5]
    ids_tr, ids_te = set(xtr[:, 0, 4, 4].tolist()), set(xte[:, 0, 4, 4].tolist())
    assert not ids_tr & ids_te and len(ids_tr | ids_te) == 21  # a partition of all the files
    again = files.load("imagefolder", root, 8)
    assert torch.equal(again[0], xtr) and torch.equal(again[2], xte) and torch.equal(again[3], yte)
    # the split depends only on the files, not on the global random state
    torch.manual_seed(123), np.random.seed(123)
    import random
    random.seed(123)
    assert torch.equal(files.load("imagefolder", root, 8)[2], xte)


def test_imagefolder_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere"):
        files.load("imagefolder", tmp_path / "nowhere", 32)
    (tmp_path / "empty" / "cat").mkdir(parents=True)
    with pytest.raises(ValueError, match="no images"):
        files.load("imagefolder", tmp_path / "empty", 32)
    for i in range(5):
        save_png(tmp_path / "one" / "cat" / f"{i}.png", solid(i))
    with pytest.raises(ValueError, match="single class"):
        files.load("imagefolder", tmp_path / "one", 32)


def test_imagefolder_names_every_file_it_cannot_read(tmp_path):
    """A file with an image extension that is not an image, and a PNG cut short (PIL's own
    error for it does not even name the file): one ValueError names both and says what to do."""
    root = tmp_path / "pets"
    for i in range(5):
        save_png(root / "cat" / f"{i}.png", solid(10 * i))
        save_png(root / "dog" / f"{i}.png", red_left_blue_right(20))
    (root / "cat" / "notes.jpg").write_bytes(b"this is a text file, not a JPEG\n" * 20)
    save_png(root / "dog" / "cut.png", np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8))
    whole = (root / "dog" / "cut.png").read_bytes()
    (root / "dog" / "cut.png").write_bytes(whole[: len(whole) // 2])  # a download that stopped half-way
    with pytest.raises(OSError, match="truncated") as plain:  # what PIL says: no file name
        with Image.open(root / "dog" / "cut.png") as im:
            im.convert("RGB")
    assert "cut.png" not in str(plain.value)
    with pytest.raises(ValueError) as e:
        files.load("imagefolder", root, 16)
    msg = str(e.value)
    assert str(root / "cat" / "notes.jpg") in msg and str(root / "dog" / "cut.png") in msg
    assert "2 of 12 image files" in msg and "Delete or replace them" in msg
    assert str(root / "cat" / "0.png") not in msg  # the good files are not blamed
    # with the bad files gone the folder loads
    (root / "cat" / "notes.jpg").unlink()
    (root / "dog" / "cut.png").unlink()
    xtr, ytr, xte, yte, names = files.load("imagefolder", root, 16)
    assert names == ("cat", "dog") and len(xtr) + len(xte) == 10


def test_imagefolder_a_truncated_file_alone(tmp_path):
    root = tmp_path / "split"
    save_png(root / "train" / "a" / "0.png", red_left_blue_right(32))
    save_png(root / "train" / "b" / "0.png", solid(5))
    save_png(root / "test" / "a" / "0.png", solid(9))
    whole = (root / "train" / "a" / "0.png").read_bytes()
    (root / "test" / "b").mkdir(parents=True)
    (root / "test" / "b" / "0.png").write_bytes(whole[:60])  # the signature and a bit of the header
    with pytest.raises(ValueError, match=r"1 of 4 image files .*\n.*test/b/0\.png.*\n.*Delete or replace it"):
        files.load("imagefolder", root, 16)


def test_unknown_name(tmp_path):
    with pytest.raises(ValueError, match="unknown"):
        files.load("imagenet", tmp_path, 32)


def test_load_dataset_entry_point(tmp_path):
    root = tmp_path / "entry"
    write_cifar10(root)
    data = load_dataset("cifar10", 32, "cpu", str(root))
    assert isinstance(data, ImageData)
    assert len(data.train_images) == 20 and len(data.test_images) == 3
    assert data.num_classes == 10 and data.image_size == 32 and data.class_names[3] == "cat"
    assert data.train_labels.dtype == torch.long and data.train_images.dtype == torch.uint8
    with pytest.raises(FileNotFoundError, match="cifar-100-python"):
        load_dataset("cifar100", 32, "cpu", str(tmp_path / "nothing_here"))
