"""Where the MovieLens files come from: the cache folder, the official zip, or GroupLens.

A data set ``name`` is looked for, in this order, in

1. the extracted folder ``<cache>/<name>/`` (e.g. ``<cache>/ml-100k/u.data``);
2. the official zip ``<cache>/<name>.zip``, checked and extracted;
3. a download of that zip from GroupLens (with pooch), checked, then extracted.

``<cache>`` is ``data_dir`` if given, else ``$RBM_HELPERS_DATA``, else the
``data/`` folder of the repository when run from a checkout, else a per-user
cache folder. Every file is checked before it is read: against the SHA-256
list shipped with this package (ml-100k), else against the CRC-32 stored in
the zip in the cache. Anything that fails raises one ``DataUnavailableError``
saying what failed, where to put the file by hand, and that
``load_movielens("synthetic")`` works offline. Nothing half-written is ever
left in the cache: pooch downloads to a temporary file and moves it into place
only once its checksum matches, and extraction does the same per file.
Introduced in notebook 03 (Train an RBM on MovieLens).
"""
from __future__ import annotations

import functools
import hashlib
import os
import shutil
import tempfile
import warnings
import zipfile
import zlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import NamedTuple

import platformdirs
import pooch

BASE_URL = "https://files.grouplens.org/datasets/movielens/"
"""Where the official zips live; tests point it at a local server."""

DATA_DIR_VARIABLE = "RBM_HELPERS_DATA"
"""The environment variable that names the cache folder."""

DOWNLOAD_TIMEOUT = (5.0, 30.0)
"""Seconds to wait for a connection, and for each chunk of data, before giving up."""

SYNTHETIC_HINT = 'To work offline without it, use load_movielens("synthetic"), a MovieLens-style data set generated from a seed.'


class DataUnavailableError(RuntimeError):
    """A MovieLens file could not be found, downloaded, verified or read.

    The message says what failed, the exact path where the file can be put by
    hand, and that ``load_movielens("synthetic")`` works offline.
    Introduced in notebook 03.
    """


class UnverifiedDataWarning(UserWarning):
    """A file was used without a checksum to compare it with (ml-latest-small, hand-extracted folders).

    Introduced in notebook 03 (training on MovieLens).
    """


@dataclass(frozen=True)
class DatasetSpec:
    """One downloadable MovieLens data set: its zip, its checksums and the files we read.

    Introduced in notebook 03 (training on MovieLens).
    """

    name: str
    ratings_file: str
    movies_file: str
    extra_files: tuple[str, ...] = ()
    archive_hash: str | None = None
    """``"sha256:..."`` or ``"md5:..."`` of the zip; None where GroupLens updates the zip."""
    archive_size: int | None = None
    """Size of the zip in bytes, when known: tells a truncated zip from a wrong one."""

    @property
    def archive(self) -> str:
        """The official zip's file name."""
        return f"{self.name}.zip"

    @property
    def url(self) -> str:
        """Where GroupLens serves the zip (BASE_URL, which tests point at a local server)."""
        return BASE_URL + self.archive

    @property
    def files(self) -> tuple[str, ...]:
        """The data files this package reads, in the zip under ``<name>/``."""
        return (self.ratings_file, self.movies_file, *self.extra_files)


ML100K_FOLDS = ("u1", "u2", "u3", "u4", "u5", "ua", "ub")
"""The official ml-100k splits: five 80/20 folds, and ua/ub with 10 test ratings per user."""

DATASETS: dict[str, DatasetSpec] = {
    "ml-100k": DatasetSpec(
        "ml-100k",
        "u.data",
        "u.item",
        tuple(f"{fold}.{part}" for fold in ML100K_FOLDS for part in ("base", "test")),
        archive_hash="sha256:50d2a982c66986937beb9ffb3aa76efe955bf3d5c6b761f4e3a7cd717c6a3229",
        archive_size=4_924_029,
    ),
    "ml-1m": DatasetSpec("ml-1m", "ratings.dat", "movies.dat", archive_hash="md5:c4d9eecfca2ab87c1945afe126590906"),
    # GroupLens rebuilds ml-latest-small from time to time, so no checksum can be pinned.
    "ml-latest-small": DatasetSpec("ml-latest-small", "ratings.csv", "movies.csv"),
}


class DatasetStatus(NamedTuple):
    """Whether a data set can be loaded without the network, and how it was checked.

    Introduced in notebook 03 (training on MovieLens).
    """

    name: str
    ready: bool
    detail: str


def dataset_spec(name: str) -> DatasetSpec:
    """The ``DatasetSpec`` of a downloadable data set, or a ValueError listing the known names.

    Introduced in notebook 03 (training on MovieLens).
    """
    if name not in DATASETS:
        known = ", ".join(f'"{known}"' for known in DATASETS)
        raise ValueError(f"there is no MovieLens download called {name!r}; known: {known} (and \"synthetic\", generated).")
    return DATASETS[name]


def cache_dir(data_dir: str | os.PathLike | None = None) -> Path:
    """The folder that holds the downloaded zips and their extracted folders.

    ``data_dir`` if given, else ``$RBM_HELPERS_DATA``, else the repository's
    ``data/`` folder when run from a checkout, else a per-user cache folder.
    The folder need not exist yet. Introduced in notebook 03.
    """
    return _locate_cache(data_dir)[0]


def cache_dir_reason(data_dir: str | os.PathLike | None = None) -> str:
    """Why ``cache_dir(data_dir)`` is where it is, in words (for ``python -m rbm_helpers check``).

    Introduced in notebook 03 (training on MovieLens).
    """
    return _locate_cache(data_dir)[1]


def _locate_cache(data_dir: str | os.PathLike | None) -> tuple[Path, str]:
    if data_dir is not None:
        return Path(data_dir).expanduser().absolute(), "the data_dir argument"
    from_environment = os.environ.get(DATA_DIR_VARIABLE, "").strip()
    if from_environment:
        return Path(from_environment).expanduser().absolute(), f"${DATA_DIR_VARIABLE}"
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / "pyproject.toml").is_file() and (checkout / "data" / "README.md").is_file():
        return checkout / "data", "the data/ folder of this checkout"
    return Path(platformdirs.user_cache_dir("rbm-helpers")), "the per-user cache folder"


def dataset_file(name: str, filename: str, data_dir: str | os.PathLike | None = None) -> Path:
    """The path of one verified file of a data set, fetching it if needed.

    Raises ``DataUnavailableError`` if it is neither cached nor downloadable,
    or if the cached copy fails its checksum. Introduced in notebook 03.
    """
    spec = dataset_spec(name)
    cache = cache_dir(data_dir)
    path = cache / spec.name / filename
    if not path.is_file():
        archive = _verified_archive(spec, cache)
        _extract(spec, archive, cache)
        if not path.is_file():
            raise unavailable_error(spec, cache, f"{archive} holds no file {spec.name}/{filename}")
    unverified = _verify_file(spec, path, cache)
    if unverified:
        warnings.warn(f"{path} was used without a checksum check: {unverified}", UnverifiedDataWarning, stacklevel=3)
    return path


def fetch(name: str, data_dir: str | os.PathLike | None = None, *, progressbar: bool = False) -> Path:
    """Make sure every file of a data set is in the cache and verified; return its folder.

    Downloads the official zip only if neither the extracted folder nor the
    zip is in the cache (``python -m rbm_helpers fetch ml-100k`` calls this).
    Introduced in notebook 03.
    """
    spec = dataset_spec(name)
    cache = cache_dir(data_dir)
    folder = cache / spec.name
    if not all((folder / filename).is_file() for filename in spec.files):
        _extract(spec, _verified_archive(spec, cache, progressbar=progressbar), cache)
    for filename in spec.files:
        dataset_file(spec.name, filename, cache)
    return folder


def dataset_status(name: str, data_dir: str | os.PathLike | None = None) -> DatasetStatus:
    """Whether ``name`` can be loaded offline from the cache, checked but never downloaded.

    Used by ``python -m rbm_helpers check``.
    Introduced in notebook 03 (training on MovieLens).
    """
    spec = dataset_spec(name)
    cache = cache_dir(data_dir)
    folder, archive = cache / spec.name, cache / spec.archive
    with warnings.catch_warnings():  # what was not verified is said in the status itself
        warnings.simplefilter("ignore", UnverifiedDataWarning)
        return _status(spec, cache, folder, archive)


def _status(spec: DatasetSpec, cache: Path, folder: Path, archive: Path) -> DatasetStatus:
    try:
        if all((folder / filename).is_file() for filename in spec.files):
            gaps = {_verify_file(spec, folder / filename, cache) for filename in spec.files} - {None}
            how = f"not verified ({gaps.pop()})" if gaps else "verified"
            return DatasetStatus(spec.name, True, f"{folder} ({how})")
        if archive.is_file():
            _check_archive(spec, archive, cache)
            how = "verified" if spec.archive_hash else "not verified: GroupLens publishes no checksum for it"
            return DatasetStatus(spec.name, True, f"{archive} ({how}; extracted on first use)")
    except DataUnavailableError as error:
        return DatasetStatus(spec.name, False, str(error).splitlines()[0])
    return DatasetStatus(spec.name, False, f"not in {cache}")


def unavailable_error(spec: DatasetSpec, cache: Path, problem: str) -> DataUnavailableError:
    """The one error for every failure: what failed, where to put the file by hand, and the offline way out.

    Introduced in notebook 03 (training on MovieLens).
    """
    return DataUnavailableError(
        f"MovieLens {spec.name} is not available: {problem}.\n"
        f"To add it by hand, download {spec.url} and save it as\n"
        f"    {cache / spec.archive}\n"
        f"(or extract it there, so that {cache / spec.name / spec.ratings_file} exists).\n"
        f"{SYNTHETIC_HINT}"
    )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _crc32(path: Path) -> int:
    crc = 0
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            crc = zlib.crc32(chunk, crc)
    return crc


@functools.cache
def _registry(name: str) -> dict[str, str]:
    """SHA-256 of each extracted file, from ``<name>.sha256`` shipped with the package ({} if none)."""
    registry = resources.files(__package__).joinpath(f"{name}.sha256")
    if not registry.is_file():
        return {}
    lines = (line.split() for line in registry.read_text(encoding="ascii").splitlines() if line.strip())
    return {path.split("/", 1)[-1]: digest for digest, path in lines}


def _verify_file(spec: DatasetSpec, path: Path, cache: Path) -> str | None:
    """Raise if ``path`` is damaged; return None if verified, else why it could not be."""
    expected = _registry(spec.name).get(path.name)
    if expected is not None:
        actual = _sha256(path)
        if actual != expected:
            raise unavailable_error(
                spec,
                cache,
                f"{path} does not match its SHA-256 checksum (expected {expected[:16]}..., got {actual[:16]}...), "
                f"so the file was edited or is truncated. Delete it and run again: it will be restored "
                f"from {spec.archive} (downloaded if needed)",
            )
        return None
    archive = cache / spec.archive
    if not archive.is_file():
        return f"GroupLens publishes no checksum for {spec.name}/{path.name}, and {archive} is not there to compare with"
    try:
        with zipfile.ZipFile(archive) as zipped:
            expected_crc = zipped.getinfo(f"{spec.name}/{path.name}").CRC
    except (zipfile.BadZipFile, KeyError, OSError) as error:
        raise unavailable_error(spec, cache, f"{archive} is damaged or is not the official zip ({error}); delete it") from error
    if _crc32(path) != expected_crc:
        raise unavailable_error(
            spec,
            cache,
            f"{path} differs from the copy in {archive} (CRC-32 mismatch), so the file was edited or is "
            f"truncated. Delete it and run again: it will be extracted again",
        )
    return None if spec.archive_hash else f"{archive} itself has no published checksum (GroupLens updates {spec.name})"


def _verified_archive(spec: DatasetSpec, cache: Path, *, progressbar: bool = False) -> Path:
    """The checked zip from the cache, downloaded first if it is not there."""
    archive = cache / spec.archive
    if archive.is_file():
        _check_archive(spec, archive, cache)
        return archive
    archive = _download(spec, cache, progressbar=progressbar)
    if spec.archive_hash is None:  # pooch had no checksum to compare with: at least check the zip is whole
        try:
            _check_archive(spec, archive, cache)
        except DataUnavailableError:
            archive.unlink(missing_ok=True)
            raise
    return archive


def _check_archive(spec: DatasetSpec, archive: Path, cache: Path) -> None:
    """Raise ``DataUnavailableError`` unless ``archive`` is the official zip (as far as can be checked)."""
    size = archive.stat().st_size
    if spec.archive_size is not None and size != spec.archive_size:
        kind = "truncated (an interrupted download?)" if size < spec.archive_size else "not the official zip"
        raise unavailable_error(
            spec, cache, f"{archive} is {size:,} bytes but the official {spec.archive} is {spec.archive_size:,}: it is {kind}; delete it"
        )
    if spec.archive_hash is not None:
        algorithm, expected = spec.archive_hash.split(":")
        actual = pooch.file_hash(str(archive), alg=algorithm)
        if actual != expected:
            raise unavailable_error(
                spec,
                cache,
                f"{archive} does not match the official {algorithm.upper()} checksum (expected {expected[:16]}..., "
                f"got {actual[:16]}...); delete it",
            )
        return
    try:
        with zipfile.ZipFile(archive) as zipped:
            damaged = zipped.testzip()
    except (zipfile.BadZipFile, OSError) as error:
        raise unavailable_error(spec, cache, f"{archive} is not a readable zip ({error}), perhaps truncated; delete it") from error
    if damaged is not None:
        raise unavailable_error(spec, cache, f"{archive} is damaged (bad CRC-32 for {damaged}); delete it")
    warnings.warn(
        f"{archive} was checked for damage only: GroupLens updates {spec.name}, so there is no published checksum to compare with.",
        UnverifiedDataWarning,
        stacklevel=4,
    )


def _download(spec: DatasetSpec, cache: Path, *, progressbar: bool = False) -> Path:
    """Download the zip with pooch, which keeps it only if its checksum matches."""
    import requests  # pooch's own dependency; imported here to keep `import rbm_helpers` fast

    try:
        cache.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise unavailable_error(spec, cache, f"cannot create the cache folder {cache} ({error.strerror})") from error
    downloader = pooch.HTTPDownloader(progressbar=progressbar, timeout=DOWNLOAD_TIMEOUT)
    try:
        return Path(pooch.retrieve(spec.url, spec.archive_hash, fname=spec.archive, path=cache, downloader=downloader))
    except (requests.exceptions.RequestException, ValueError, OSError) as error:
        raise unavailable_error(spec, cache, f"downloading {spec.url} failed: {_download_problem(error, spec, cache)}") from error


def _download_problem(error: Exception, spec: DatasetSpec, cache: Path) -> str:
    """What went wrong with a download, in words (pooch and requests say it at length)."""
    from requests import exceptions

    if isinstance(error, exceptions.HTTPError):
        return f"the server answered HTTP {error.response.status_code} {error.response.reason}"
    if isinstance(error, exceptions.ConnectTimeout):
        return f"no connection within {DOWNLOAD_TIMEOUT[0]:g} s (are you offline?)"
    if isinstance(error, exceptions.ReadTimeout):
        return f"the server sent nothing for {DOWNLOAD_TIMEOUT[1]:g} s"
    if isinstance(error, exceptions.ConnectionError):
        return "could not connect (are you offline, or behind a firewall or proxy?)"
    if isinstance(error, exceptions.RequestException):
        return f"the connection dropped before the file was complete ({type(error).__name__})"
    if isinstance(error, ValueError):
        return (
            f"the file received does not match the known checksum {spec.archive_hash}, so it was deleted "
            "(a proxy's error page, or a file changed on the server?)"
        )
    return f"cannot write to {cache} ({getattr(error, 'strerror', None) or error})"


def _extract(spec: DatasetSpec, archive: Path, cache: Path) -> None:
    """Extract the files of ``<name>/`` in ``archive`` that are missing from ``<cache>/<name>/``.

    Each file is written to a temporary name, checked (CRC-32 by zipfile, and
    SHA-256 when the package lists one), and only then renamed into place.
    """
    folder = cache / spec.name
    created = not folder.exists()
    prefix = f"{spec.name}/"
    try:
        with zipfile.ZipFile(archive) as zipped:
            members = [
                member
                for member in zipped.infolist()
                if member.filename.startswith(prefix) and not member.is_dir() and "/" not in member.filename[len(prefix):]
            ]
            folder.mkdir(parents=True, exist_ok=True)
            for member in members:
                target = folder / member.filename[len(prefix):]
                if not target.exists():
                    _extract_member(zipped, member, target, _registry(spec.name).get(target.name))
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
        problem = f"extracting {archive} failed ({error})"
        if isinstance(error, ValueError):
            problem = f"{error}; delete {archive}"
        raise unavailable_error(spec, cache, problem) from error
    finally:
        if created and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()


def _extract_member(zipped: zipfile.ZipFile, member: zipfile.ZipInfo, target: Path, sha256: str | None) -> None:
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".partial")
    try:
        with os.fdopen(handle, "wb") as out, zipped.open(member) as source:
            shutil.copyfileobj(source, out, 1 << 20)
        if sha256 is not None and _sha256(Path(temporary)) != sha256:
            raise ValueError(f"{member.filename} in the zip does not match its SHA-256 checksum")
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
