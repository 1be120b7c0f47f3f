"""Images of handwritten digits: scikit-learn's 8x8 digits (offline) and MNIST (downloaded once).

    from rbm_helpers.data.images import load_digits, load_mnist, split_images
    digits = load_digits()                      # 1,797 images, 64 pixels each, binarized at 0.5
    train, test = split_images(digits, test_fraction=0.2, seed=0)
    mnist = load_mnist("train")                 # 60,000 images, 784 pixels each (downloaded once)

Every loader returns an ``ImageData``: one image per row of ``images`` (a
float32 tensor, grey levels in [0, 1] or 0/1 pixels), ``labels`` (int64) and
the ``shape`` of one image, for plotting with ``images[i].reshape(shape)``.

``load_digits`` reads the 1,797 real 8x8 images shipped inside scikit-learn:
nothing to download, so it always works offline. ``load_mnist`` reads the
four official MNIST files (gzip-compressed IDX) from ``<cache>/mnist/``, the
same cache folder as MovieLens (``rbm_helpers.data.cache_dir``), downloading
any that are missing with pooch. Every file is checked against its published
size and SHA-256 before it is read; pooch keeps a download only once its
checksum matches, so nothing half-written is left in the cache. When a file
cannot be had, ``DataUnavailableError`` says which, where to put it by hand,
and that ``load_digits()`` works offline: falling back is the caller's choice,
never silent. Introduced in notebook 07 (an RBM that dreams).
"""
from __future__ import annotations

import gzip
import os
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pooch
import torch

from .sources import DOWNLOAD_TIMEOUT, DataUnavailableError, cache_dir, download_problem

__all__ = ["MNIST_FILES", "MNIST_SPLITS", "ImageData", "MnistFile", "fetch_mnist", "load_digits", "load_mnist", "split_images"]

MNIST_BASE_URL = "https://storage.googleapis.com/cvdf-datasets/mnist/"
"""Where the official MNIST files are mirrored (yann.lecun.com no longer serves them reliably); tests point it at a local server."""

MNIST_FOLDER = "mnist"
"""The folder of the cache that holds the four MNIST files."""

OFFLINE_HINT = (
    "To work offline without it, use rbm_helpers.data.images.load_digits(): 1,797 real 8x8 digits "
    "shipped inside scikit-learn."
)


class MnistFile(NamedTuple):
    """One official MNIST file: its published checksum and size in bytes.

    Introduced in notebook 07 (an RBM that dreams).
    """

    known_hash: str
    """``"sha256:..."`` (or ``"md5:..."``), as pooch takes it."""
    size: int


# SHA-256 and sizes from tensorflow/datasets, tensorflow_datasets/url_checksums/mnist.txt
# (commit 31f1255e57e519a6c004f0b097a2f5cfcf0dde7d), recorded from this same mirror. The MD5s that
# torchvision lists (torchvision/datasets/mnist.py) are, in the same order: f68b3c2dcbeaaa9fbdd348bbdeb94873,
# d53e105ee54ea40749a09fcbcd1e9432, 9fb629c4189551a2d022fa330f9573f3, ec29112dd5afa0611ce80d1b7f02629c.
MNIST_FILES: dict[str, MnistFile] = {
    "train-images-idx3-ubyte.gz": MnistFile("sha256:440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609", 9_912_422),
    "train-labels-idx1-ubyte.gz": MnistFile("sha256:3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c", 28_881),
    "t10k-images-idx3-ubyte.gz": MnistFile("sha256:8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6", 1_648_877),
    "t10k-labels-idx1-ubyte.gz": MnistFile("sha256:f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6", 4_542),
}
"""The four official MNIST files and what they must match; tests replace it with files of their own."""

MNIST_SPLITS: dict[str, tuple[str, str]] = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
"""The images file and labels file of each split: 60,000 training and 10,000 test digits."""


class ImageData(NamedTuple):
    """Images as rows of pixels, their labels, and the shape of one image.

    ``images`` is a float32 tensor (n_images, height * width) of grey levels
    in [0, 1] or of 0/1 pixels; ``labels`` an int64 tensor (n_images,);
    ``shape`` is (height, width): ``images[i].reshape(shape)`` is image i.
    Introduced in notebook 07 (an RBM that dreams).
    """

    images: torch.Tensor
    labels: torch.Tensor
    shape: tuple[int, int]


def load_digits(*, binarize: float | None = 0.5) -> ImageData:
    """scikit-learn's 1,797 handwritten 8x8 digits as 64-pixel rows, binarized at ``binarize``.

    The images are real scans (UCI "Optical Recognition of Handwritten
    Digits"), shipped inside scikit-learn, so this works offline. Pixels count
    0-16; they become grey levels in [0, 1] (divided by 16) and, unless
    ``binarize`` is None, 1 where the grey level is at least ``binarize`` and
    0 elsewhere. Introduced in notebook 07 (an RBM that dreams).
    """
    from sklearn import datasets

    threshold = _check_binarize(binarize)
    digits = datasets.load_digits()
    return _image_data(digits.images, 16.0, digits.target, threshold)


def load_mnist(
    split: str = "train", *, binarize: float | None = 0.5, data_dir: str | os.PathLike | None = None, progressbar: bool = False
) -> ImageData:
    """MNIST's 60,000 training or 10,000 test digits as 784-pixel rows, binarized at ``binarize``.

    The files are read from ``<cache>/mnist/`` (see ``cache_dir``) and
    downloaded there first if missing; each is checked against its published
    SHA-256. Pixels count 0-255; they become grey levels in [0, 1] and, unless
    ``binarize`` is None, 1 where the grey level is at least ``binarize``.
    Raises ``DataUnavailableError`` naming the file, where to put it by hand,
    and ``load_digits()`` as the offline alternative.
    Introduced in notebook 07 (an RBM that dreams).
    """
    if split not in MNIST_SPLITS:
        raise ValueError(f'split must be "train" (60,000 digits) or "test" (10,000 digits); got {split!r}.')
    threshold = _check_binarize(binarize)
    folder = fetch_mnist(data_dir, splits=(split,), progressbar=progressbar)
    images_file, labels_file = MNIST_SPLITS[split]
    images = _read_idx(folder / images_file, ndim=3)
    labels = _read_idx(folder / labels_file, ndim=1)
    if len(images) != len(labels):
        raise _unavailable(
            labels_file, folder, f"{images_file} holds {len(images):,} images but {labels_file} {len(labels):,} labels; delete both"
        )
    return _image_data(images, 255.0, labels, threshold)


def fetch_mnist(
    data_dir: str | os.PathLike | None = None, *, splits: tuple[str, ...] = ("train", "test"), progressbar: bool = False
) -> Path:
    """Make sure the MNIST files of ``splits`` are in the cache, verified; return their folder.

    Files already there are checked (size and SHA-256), missing ones are
    downloaded. Run it once before a workshop; after that ``load_mnist``
    works offline. Introduced in notebook 07 (an RBM that dreams).
    """
    unknown = [split for split in splits if split not in MNIST_SPLITS]
    if isinstance(splits, str) or unknown:
        raise ValueError(f'splits must be a tuple of "train" and/or "test"; got {splits!r}.')
    folder = cache_dir(data_dir) / MNIST_FOLDER
    for split in splits:
        for name in MNIST_SPLITS[split]:
            _verified_file(name, folder, progressbar=progressbar)
    return folder


def split_images(data: ImageData, *, test_fraction: float = 0.2, seed: int = 0) -> tuple[ImageData, ImageData]:
    """A seeded, stratified split of ``data`` into (train, test): every label keeps its share in both.

    ``test_fraction`` of the images (rounded up, as scikit-learn's
    ``train_test_split`` does) go to the test part. The same ``seed`` gives
    the same split. Introduced in notebook 07 (an RBM that dreams).
    """
    from sklearn.model_selection import train_test_split

    if not isinstance(data, ImageData):
        raise ValueError(f"data must be an ImageData (from load_digits or load_mnist); got {type(data).__name__}.")
    if isinstance(test_fraction, bool) or not isinstance(test_fraction, (int, float)) or not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be a number strictly between 0 and 1, such as 0.2; got {test_fraction!r}.")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueError(f"seed must be an integer; got {seed!r}.")
    labels = data.labels.numpy()
    _check_stratifiable(labels, test_fraction)
    train, test = train_test_split(np.arange(len(labels)), test_size=test_fraction, stratify=labels, random_state=seed)
    return _subset(data, train), _subset(data, test)


def _subset(data: ImageData, rows: np.ndarray) -> ImageData:
    rows = torch.as_tensor(rows)
    return ImageData(data.images[rows], data.labels[rows], data.shape)


def _check_stratifiable(labels: np.ndarray, test_fraction: float) -> None:
    """Raise a ValueError unless every label can appear in both parts of the split."""
    classes, counts = np.unique(labels, return_counts=True)
    n_test = int(np.ceil(test_fraction * len(labels)))
    if len(labels) == 0:
        raise ValueError("data holds no images: there is nothing to split.")
    if counts.min() < 2:
        rare = classes[counts.argmin()]
        raise ValueError(f"label {rare} has a single image: a stratified split needs at least 2 images of every label.")
    if not len(classes) <= n_test <= len(labels) - len(classes):
        raise ValueError(
            f"a stratified split of {len(labels)} images with {len(classes)} labels needs at least one image of each "
            f"label in both parts; test_fraction={test_fraction:g} gives {n_test} test images. Choose a fraction "
            "nearer 0.5."
        )


def _check_binarize(binarize: object) -> float | None:
    if binarize is None:
        return None
    if isinstance(binarize, bool) or not isinstance(binarize, (int, float)) or not 0 < binarize <= 1:
        raise ValueError(
            f"binarize must be a grey level in (0, 1] (pixels at least that bright become 1, the others 0), or None "
            f"for grey levels in [0, 1]; got {binarize!r}."
        )
    return float(binarize)


def _image_data(pixels: np.ndarray, maximum: float, labels: np.ndarray, threshold: float | None) -> ImageData:
    """Rows of grey levels in [0, 1] (or 0/1 at ``threshold``) from an (n, height, width) array of counts."""
    grey = torch.as_tensor(np.asarray(pixels, dtype=np.float32) / np.float32(maximum)).reshape(len(pixels), -1)
    if threshold is not None:
        grey = (grey >= threshold).to(torch.float32)
    return ImageData(grey, torch.as_tensor(np.asarray(labels, dtype=np.int64)), tuple(int(n) for n in pixels.shape[1:]))


# --------------------------------------------------------------------------- files: verify, download, parse


def _unavailable(name: str, folder: Path, problem: str) -> DataUnavailableError:
    """The one error for every MNIST failure: which file, what went wrong, where to put it, the offline way out."""
    return DataUnavailableError(
        f"MNIST file {name} is not available: {problem}.\n"
        f"To add it by hand, download {MNIST_BASE_URL}{name} and save it, still compressed, as\n"
        f"    {folder / name}\n"
        f"{OFFLINE_HINT}"
    )


def _verified_file(name: str, folder: Path, *, progressbar: bool = False) -> Path:
    """``<folder>/<name>``, checked against ``MNIST_FILES``; downloaded first if it is not there."""
    path = folder / name
    if path.is_file():
        _check_file(name, path, folder)
        return path
    return _download(name, folder, progressbar=progressbar)


def _check_file(name: str, path: Path, folder: Path) -> None:
    expected = MNIST_FILES[name]
    size = path.stat().st_size
    if size != expected.size:
        kind = "truncated (an interrupted download?)" if size < expected.size else "not the official file"
        raise _unavailable(name, folder, f"{path} is {size:,} bytes but the official file is {expected.size:,}: it is {kind}; delete it")
    algorithm, digest = expected.known_hash.split(":")
    actual = pooch.file_hash(str(path), alg=algorithm)
    if actual != digest:
        raise _unavailable(
            name, folder, f"{path} does not match its published {algorithm.upper()} checksum (expected {digest[:16]}..., got {actual[:16]}...); delete it"
        )


def _download(name: str, folder: Path, *, progressbar: bool = False) -> Path:
    """Download one file with pooch, which moves it into place only once its checksum matches."""
    import requests  # pooch's own dependency; imported here to keep `import rbm_helpers` fast

    created = not folder.exists()
    downloader = pooch.HTTPDownloader(progressbar=progressbar, timeout=DOWNLOAD_TIMEOUT)
    try:
        path = Path(pooch.retrieve(MNIST_BASE_URL + name, MNIST_FILES[name].known_hash, fname=name, path=folder, downloader=downloader))
    except (requests.exceptions.RequestException, ValueError, OSError) as error:
        if created and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
        raise _unavailable(name, folder, f"downloading {MNIST_BASE_URL}{name} failed: {_download_problem(error, folder)}") from error
    return path


def _download_problem(error: Exception, folder: Path) -> str:
    """What went wrong with an MNIST download: a checksum, a file we could not write, or the connection."""
    from requests import exceptions

    if isinstance(error, exceptions.RequestException):
        return download_problem(error)
    if isinstance(error, ValueError):
        return "the file received does not match its published checksum, so it was deleted (a proxy's error page?)"
    return f"cannot write to {folder} ({getattr(error, 'strerror', None) or error})"


def _read_idx(path: Path, *, ndim: int) -> np.ndarray:
    """The unsigned-byte array in a gzip-compressed IDX file (LeCun's format: a magic number, sizes, then bytes)."""
    try:
        with gzip.open(path, "rb") as file:
            content = file.read()
    except (OSError, EOFError) as error:
        raise _unavailable(path.name, path.parent, f"{path} is not a readable gzip file ({error}); delete it") from error
    header = 4 + 4 * ndim
    if len(content) < header or content[:4] != bytes([0, 0, 0x08, ndim]):
        raise _unavailable(path.name, path.parent, f"{path} is not an IDX file of {ndim}-D unsigned bytes; delete it")
    shape = tuple(int(n) for n in np.frombuffer(content, dtype=">u4", count=ndim, offset=4))
    if len(content) != header + int(np.prod(shape)):
        raise _unavailable(path.name, path.parent, f"{path} should hold {shape} bytes after its header but its length differs; delete it")
    return np.frombuffer(content, dtype=np.uint8, offset=header).reshape(shape)
