"""Tests of rbm_helpers.data.images: scikit-learn's digits, the stratified split, and MNIST's download path.

All offline. MNIST is never downloaded: the tests write tiny IDX files of their own,
serve them from 127.0.0.1 and pin their checksums in place of the official ones.
Every test runs with an empty temporary cache and downloads pointed at a closed local port.
"""
from __future__ import annotations

import gzip
import hashlib
import http.server
import threading
import time

import numpy as np
import pytest
import torch

from rbm_helpers.data import DataUnavailableError
from rbm_helpers.data import images
from rbm_helpers.data.images import ImageData, MnistFile, fetch_mnist, load_digits, load_mnist, split_images

from test_data import closed_local_url, files_in  # noqa: E402  (the shared offline helpers)

DIGITS_PER_LABEL = [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]  # sklearn's documentation: 1,797 in all


@pytest.fixture(autouse=True)
def offline_and_isolated(tmp_path, monkeypatch):
    """Every test: an empty cache in tmp_path via $RBM_HELPERS_DATA, and downloads to a closed local port."""
    cache = tmp_path / "cache"
    cache.mkdir()
    monkeypatch.setenv("RBM_HELPERS_DATA", str(cache))
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setattr(images, "MNIST_BASE_URL", closed_local_url())
    return cache


# --- scikit-learn's digits ------------------------------------------------------------------


def test_digits_are_the_1797_real_images_with_their_published_counts():
    digits = load_digits(binarize=None)
    assert digits.images.shape == (1797, 64) and digits.images.dtype == torch.float32
    assert digits.labels.dtype == torch.int64 and digits.shape == (8, 8)
    assert digits.labels.bincount().tolist() == DIGITS_PER_LABEL
    from sklearn.datasets import load_digits as sklearn_digits

    counts = sklearn_digits().images  # 0..16
    torch.testing.assert_close(digits.images.reshape(-1, 8, 8), torch.as_tensor(counts / 16, dtype=torch.float32))


@pytest.mark.parametrize("threshold", [0.5, 0.25, 1.0])
def test_binarized_digits_are_one_where_the_grey_level_reaches_the_threshold(threshold):
    grey = load_digits(binarize=None).images
    binary = load_digits(binarize=threshold).images
    assert set(binary.unique().tolist()) <= {0.0, 1.0}
    assert torch.equal(binary, (grey >= threshold).float())
    assert torch.equal(load_digits().images, (grey >= 0.5).float())  # the default


@pytest.mark.parametrize("bad", [0, 1.5, -0.1, True, "0.5"])
def test_a_threshold_outside_0_1_is_refused_by_name(bad):
    with pytest.raises(ValueError, match="binarize must be a grey level in"):
        load_digits(binarize=bad)


# --- the stratified split -----------------------------------------------------------------


def test_split_is_stratified_disjoint_complete_and_seeded():
    digits = load_digits()
    train, test = split_images(digits, test_fraction=0.2, seed=0)
    assert len(test.labels) == 360 and len(train.labels) == 1437  # ceil(0.2 * 1797)
    # every label keeps its share: 20 % of each label's count, give or take the rounding of one image
    expected = 0.2 * torch.tensor(DIGITS_PER_LABEL, dtype=torch.float64)
    assert (test.labels.bincount().double() - expected).abs().max() <= 1
    rows = lambda part: {tuple(row) for row in torch.cat([part.images, part.labels[:, None].float()], 1).tolist()}  # noqa: E731
    assert sorted(train.labels.tolist() + test.labels.tolist()) == sorted(digits.labels.tolist())
    again_train, again_test = split_images(digits, test_fraction=0.2, seed=0)
    assert torch.equal(again_test.images, test.images) and torch.equal(again_train.labels, train.labels)
    _, other_test = split_images(digits, test_fraction=0.2, seed=1)
    assert not torch.equal(other_test.images, test.images)
    assert train.shape == test.shape == (8, 8)
    assert rows(train) | rows(test) == rows(digits)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"test_fraction": 0}, "test_fraction must be a number strictly between 0 and 1"),
        ({"test_fraction": 1.0}, "test_fraction must be a number strictly between 0 and 1"),
        ({"test_fraction": 0.001}, "needs at least one image of each label in both parts"),
        ({"seed": 1.5}, "seed must be an integer"),
    ],
)
def test_split_refuses_what_cannot_work_by_name(kwargs, message):
    with pytest.raises(ValueError, match=message):
        split_images(load_digits(), **kwargs)


def test_split_refuses_a_label_with_one_image_and_non_image_data():
    digits = load_digits()
    lonely = ImageData(digits.images[:11], torch.tensor([0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5]), (8, 8))
    with pytest.raises(ValueError, match="label 5 has a single image"):
        split_images(lonely, test_fraction=0.5)
    with pytest.raises(ValueError, match="data must be an ImageData"):
        split_images(digits.images)


# --- MNIST: files of our own, served from 127.0.0.1 ------------------------------------------


def idx_gz(array: np.ndarray) -> bytes:
    """``array`` (unsigned bytes) as a gzip-compressed IDX file, the format of the official MNIST files."""
    header = bytes([0, 0, 0x08, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    return gzip.compress(header + array.astype(np.uint8).tobytes(), mtime=0)


def tiny_mnist(n_train: int = 12, n_test: int = 5) -> tuple[dict[str, bytes], dict[str, np.ndarray]]:
    """Four small files with the official names: 28x28 images of random bytes and labels 0..9."""
    rng = np.random.default_rng(0)
    arrays = {
        "train-images-idx3-ubyte.gz": rng.integers(0, 256, (n_train, 28, 28)),
        "train-labels-idx1-ubyte.gz": rng.integers(0, 10, n_train),
        "t10k-images-idx3-ubyte.gz": rng.integers(0, 256, (n_test, 28, 28)),
        "t10k-labels-idx1-ubyte.gz": rng.integers(0, 10, n_test),
    }
    return {name: idx_gz(array) for name, array in arrays.items()}, arrays


def pin(monkeypatch, files: dict[str, bytes], algorithm: str = "sha256") -> None:
    """Make ``files`` the official MNIST files as far as the checks go."""
    registry = {name: MnistFile(f"{algorithm}:{hashlib.new(algorithm, content).hexdigest()}", len(content)) for name, content in files.items()}
    monkeypatch.setattr(images, "MNIST_FILES", registry)


class FileServer(http.server.ThreadingHTTPServer):
    """Serves ``files`` on 127.0.0.1 and counts the requests."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), FileHandler)
        self.files: dict[str, bytes] = {}
        self.requests = 0


class FileHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.server.requests += 1
        body = self.server.files.get(self.path.lstrip("/"))
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def server(monkeypatch):
    server = FileServer()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    monkeypatch.setattr(images, "MNIST_BASE_URL", f"http://127.0.0.1:{server.server_address[1]}/")
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_the_official_registry_lists_four_files_with_sha256_and_sizes():
    assert set(images.MNIST_FILES) == {name for pair in images.MNIST_SPLITS.values() for name in pair}
    for name, expected in images.MNIST_FILES.items():
        algorithm, digest = expected.known_hash.split(":")
        assert algorithm == "sha256" and len(digest) == 64 and int(digest, 16) >= 0, name
    assert images.MNIST_FILES["train-images-idx3-ubyte.gz"].size == 9_912_422


@pytest.mark.parametrize("algorithm", ["sha256", "md5"])
def test_download_with_the_right_checksum_is_kept_parsed_and_read_from_the_cache(server, monkeypatch, offline_and_isolated, algorithm):
    cache = offline_and_isolated
    server.files, arrays = tiny_mnist()
    pin(monkeypatch, server.files, algorithm)
    train = load_mnist("train", binarize=None)
    assert files_in(cache) == ["mnist/train-images-idx3-ubyte.gz", "mnist/train-labels-idx1-ubyte.gz"]  # no temporary files
    assert train.images.shape == (12, 784) and train.shape == (28, 28)
    torch.testing.assert_close(train.images, torch.as_tensor(arrays["train-images-idx3-ubyte.gz"].reshape(12, 784) / 255, dtype=torch.float32))
    assert train.labels.tolist() == arrays["train-labels-idx1-ubyte.gz"].tolist()
    binary = load_mnist("train")
    assert torch.equal(binary.images, (train.images >= 0.5).float())
    assert server.requests == 2  # the second call read the cache
    assert load_mnist("test").images.shape == (5, 784) and server.requests == 4
    assert fetch_mnist() == cache / "mnist" and server.requests == 4


def test_download_with_a_wrong_checksum_is_refused_and_nothing_is_left(server, monkeypatch, offline_and_isolated):
    cache = offline_and_isolated
    server.files, _ = tiny_mnist()
    pin(monkeypatch, {name: content + b"!" for name, content in server.files.items()})
    with pytest.raises(DataUnavailableError, match="train-images-idx3-ubyte.gz is not available: .*does not match its published checksum"):
        load_mnist("train")
    assert files_in(cache) == []


def test_offline_fails_within_seconds_naming_the_file_the_path_and_the_offline_way_out(monkeypatch, offline_and_isolated):
    cache = offline_and_isolated
    files, _ = tiny_mnist()
    pin(monkeypatch, files)
    started = time.perf_counter()
    with pytest.raises(DataUnavailableError) as raised:
        load_mnist("test")
    assert time.perf_counter() - started < 5
    message = str(raised.value)
    assert "MNIST file t10k-images-idx3-ubyte.gz is not available" in message
    assert "could not connect (are you offline" in message
    assert str(cache / "mnist" / "t10k-images-idx3-ubyte.gz") in message
    assert "load_digits()" in message
    assert files_in(cache) == [] and not (cache / "mnist").exists()


@pytest.mark.parametrize(
    ("damage", "expected"),
    [(lambda content: content[:-3], "is truncated"), (lambda content: content[:-3] + b"abc", "does not match its published SHA256 checksum")],
)
def test_a_damaged_file_in_the_cache_is_refused(monkeypatch, offline_and_isolated, damage, expected):
    files, _ = tiny_mnist()
    pin(monkeypatch, files)
    folder = offline_and_isolated / "mnist"
    folder.mkdir()
    for name, content in files.items():
        (folder / name).write_bytes(content)
    assert load_mnist("train").images.shape == (12, 784)  # offline, from the cache
    (folder / "train-labels-idx1-ubyte.gz").write_bytes(damage(files["train-labels-idx1-ubyte.gz"]))
    with pytest.raises(DataUnavailableError, match=f"train-labels-idx1-ubyte.gz.*{expected}.*delete it"):
        load_mnist("train")


def test_files_that_are_not_idx_or_do_not_agree_are_refused(monkeypatch, offline_and_isolated):
    files, _ = tiny_mnist()
    files["train-images-idx3-ubyte.gz"] = gzip.compress(b"not an idx file", mtime=0)
    files["t10k-labels-idx1-ubyte.gz"] = idx_gz(np.zeros(4))  # 5 test images, 4 labels
    pin(monkeypatch, files)
    folder = offline_and_isolated / "mnist"
    folder.mkdir()
    for name, content in files.items():
        (folder / name).write_bytes(content)
    with pytest.raises(DataUnavailableError, match="is not an IDX file of 3-D unsigned bytes"):
        load_mnist("train")
    with pytest.raises(DataUnavailableError, match="holds 5 images but t10k-labels-idx1-ubyte.gz 4 labels"):
        load_mnist("test")


def test_an_unknown_split_is_refused_before_any_download():
    with pytest.raises(ValueError, match='split must be "train"'):
        load_mnist("validation")
    with pytest.raises(ValueError, match="splits must be a tuple"):
        fetch_mnist(splits="train")
