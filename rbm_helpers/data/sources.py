"""Where the MovieLens files come from: the cache folder, the official zip, or GroupLens.

A data set ``name`` is looked for, in this order, in

1. the extracted folder ``<cache>/<folder>/`` (e.g. ``<cache>/ml-100k/u.data``),
   named as in the zip: ``<name>``, except ``ml-10M100K`` for ml-10m;
2. the official zip ``<cache>/<name>.zip``, checked and extracted;
3. a download of that zip from GroupLens, checked, then extracted.

``<cache>`` is ``data_dir`` if given, else ``$RBM_HELPERS_DATA``, else the
``data/`` folder of the repository when run from a checkout, else a per-user
cache folder. Every zip is checked against the checksum GroupLens publishes
next to it (``<name>.zip.md5``; none for ml-latest-small, which GroupLens
rebuilds), and every file before it is read: against the SHA-256 list shipped
with this package (ml-100k), else against the CRC-32 stored in the zip in the
cache. Of the large zips (ml-10m and later) only the ratings and movies are
extracted: they also hold tags and tag-genome scores, gigabytes unread here.
Anything that fails raises one ``DataUnavailableError`` saying what failed, where to put the file by hand, and that
``load_movielens("synthetic")`` works offline. Nothing half-written is ever
left in the cache under its real name: downloads and extracted files are
written to ``.<file>.XXXXXXXX.partial`` and renamed into place only once
checked; such temporary files left by a killed run are deleted the next time
the cache is used (only ours, and never while another process is writing).
No folder is created unless something is about to be written into it.
Introduced in notebook 03 (Train an RBM on MovieLens).
"""
from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import re
import shutil
import tempfile
import warnings
import zipfile
import zlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Iterator, NamedTuple

import platformdirs

from .checks import check_choice, check_flag, check_folder_argument

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
    zip_folder: str | None = None
    """The folder the zip extracts to, where it is not ``name`` (ml-10m's is ``ml-10M100K``)."""
    extract_only_read: bool = False
    """Extract only ``files`` (large zips also hold tags and genome scores that nothing here reads)."""

    @property
    def folder(self) -> str:
        """The folder of the extracted files, in the zip and in the cache: ``zip_folder`` or ``name``."""
        return self.zip_folder or self.name

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
        """The data files this package reads, in the zip under ``<folder>/``."""
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
    # The MD5s are those GroupLens publishes as <name>.zip.md5 next to each zip; the sizes those it serves.
    "ml-10m": DatasetSpec(
        "ml-10m",
        "ratings.dat",
        "movies.dat",
        archive_hash="md5:ce571fd55effeba0271552578f2648bd",
        archive_size=65_566_137,
        zip_folder="ml-10M100K",
        extract_only_read=True,
    ),
    **{
        name: DatasetSpec(name, "ratings.csv", "movies.csv", archive_hash=f"md5:{md5}", archive_size=size, extract_only_read=True)
        for name, md5, size in (
            ("ml-20m", "cd245b17a1ae2cc31bb14903e1204af3", 198_702_078),
            ("ml-25m", "6b51fb2759a8657d3bfcbfc42b592ada", 261_978_986),
            ("ml-32m", "d472be332d4daa821edc399621853b57", 238_950_008),
        )
    },
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
    fix: str = ""
    """What to do when not ready ("" when ready)."""


def dataset_spec(name: str) -> DatasetSpec:
    """The ``DatasetSpec`` of a downloadable data set, or a ValueError listing the known names.

    Introduced in notebook 03 (training on MovieLens).
    """
    return DATASETS[check_choice(name, "name", tuple(DATASETS), hint=' (or "synthetic", generated offline)')]


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
    given = check_folder_argument(data_dir, "data_dir")
    if given is not None:
        return given.expanduser().absolute(), "the data_dir argument"
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
    filename = check_choice(filename, "filename", spec.files)
    cache = _usable_cache(spec, data_dir)
    _remove_leftovers(spec, cache)
    return _verified_file(spec, cache, filename)


def fetch(name: str, data_dir: str | os.PathLike | None = None, *, progressbar: bool = False) -> Path:
    """Make sure every file of a data set is in the cache and verified; return its folder.

    Downloads the official zip only if neither the extracted folder nor the
    zip is in the cache (``python -m rbm_helpers fetch ml-100k`` calls this).
    Introduced in notebook 03.
    """
    spec = dataset_spec(name)
    check_flag(progressbar, "progressbar")
    cache = _usable_cache(spec, data_dir)
    _remove_leftovers(spec, cache)
    _refuse_blocked(spec, cache, spec.files)
    folder = cache / spec.folder
    missing = [folder / filename for filename in spec.files if not (folder / filename).is_file()]
    if missing:
        _extract(spec, _verified_archive(spec, cache, missing=missing[0], progressbar=progressbar), cache)
    for filename in spec.files:
        _verified_file(spec, cache, filename)
    return folder


def _verified_file(spec: DatasetSpec, cache: Path, filename: str) -> Path:
    """``<cache>/<folder>/<filename>``, extracted first if missing, and checked."""
    path = cache / spec.folder / filename
    _refuse_blocked(spec, cache, (filename,))
    if not path.is_file():
        archive = _verified_archive(spec, cache, missing=path)
        _extract(spec, archive, cache)
        if not path.is_file():
            raise unavailable_error(spec, cache, f"{archive} holds no file {spec.folder}/{filename}")
    unverified = _verify_file(spec, path, cache)
    if unverified:
        warnings.warn(f"{path} was used without a checksum check: {unverified}", UnverifiedDataWarning, stacklevel=4)
    return path


def dataset_status(name: str, data_dir: str | os.PathLike | None = None) -> DatasetStatus:
    """Whether ``name`` can be loaded offline from the cache, checked but never downloaded or changed.

    ``detail`` says what is there, or exactly which file is wrong and how;
    ``fix`` says what to do. Used by ``python -m rbm_helpers check``.
    Introduced in notebook 03 (training on MovieLens).
    """
    spec = dataset_spec(name)
    cache, reason = _locate_cache(data_dir)
    with warnings.catch_warnings():  # what was not verified is said in the status itself
        warnings.simplefilter("ignore", UnverifiedDataWarning)
        return _status(spec, cache, reason)


def _status(spec: DatasetSpec, cache: Path, reason: str) -> DatasetStatus:
    fetch_it = f"while online, run: python -m rbm_helpers fetch {spec.name} (or put the official {spec.archive} in {cache})"
    problem = _cache_problem(cache, reason)
    if problem:
        return DatasetStatus(spec.name, False, problem, _cache_fix(reason, cache))
    if not cache.exists():
        return DatasetStatus(spec.name, False, f"not in {cache} (the folder does not exist yet)", fetch_it)
    folder, archive = cache / spec.folder, cache / spec.archive
    wrong, missing, gaps = _folder_problems(spec, cache)
    archive_problem = None
    if archive.exists():
        archive_problem = _problem_of(lambda: _check_archive(spec, archive, cache)) if archive.is_file() else f"{archive} is a directory, not the official zip"
    if wrong or archive_problem:
        damaged = [*wrong, *([archive_problem] if archive_problem else [])]
        restore = f"python -m rbm_helpers fetch {spec.name} (it restores them from {spec.archive}, downloading it if needed)"
        return DatasetStatus(spec.name, False, "; ".join(damaged), f"delete {'these' if len(damaged) > 1 else 'it'}, then run: {restore}")
    if not missing:
        how = f"not verified ({gaps.pop()})" if gaps else "verified"
        return DatasetStatus(spec.name, True, f"{folder} ({how})")
    if archive.is_file():
        how = "verified" if spec.archive_hash else "not verified: GroupLens publishes no checksum for it"
        return DatasetStatus(spec.name, True, f"{archive} ({how}; extracted on first use)")
    if folder.is_dir() and any(True for _ in folder.iterdir()):
        listed = ", ".join(map(str, missing[:4])) + (f" and {len(missing) - 4} more" if len(missing) > 4 else "")
        return DatasetStatus(
            spec.name, False, f"missing file{'s' if len(missing) > 1 else ''} {listed}, and no {archive} to extract from", fetch_it
        )
    return DatasetStatus(spec.name, False, f"not in {cache}", fetch_it)


def _folder_problems(spec: DatasetSpec, cache: Path) -> tuple[list[str], list[Path], set[str]]:
    """(what is wrong with each file, the missing files, why some files could not be verified)."""
    folder = cache / spec.folder
    if folder.exists() and not folder.is_dir():
        return [f"{folder} is a file, not the folder of extracted {spec.name} files"], [], set()
    wrong, missing, gaps = [], [], set()
    for filename in spec.files:
        path = folder / filename
        if not path.exists():
            missing.append(path)
        elif not path.is_file():
            wrong.append(f"{path} is {_kind(path)}, not a file")
        else:
            problem = _problem_of(lambda: gaps.add(_verify_file(spec, path, cache)))
            wrong += [problem] if problem else []
    return wrong, missing, gaps - {None}


def _problem_of(check) -> str | None:
    """The first line of the ``DataUnavailableError`` that ``check()`` raises, without its preamble; None if none."""
    try:
        check()
    except DataUnavailableError as error:
        return str(error).splitlines()[0].split(" is not available: ", 1)[-1].rstrip(".")
    return None


def unavailable_error(spec: DatasetSpec, cache: Path, problem: str, *, by_hand: bool = True) -> DataUnavailableError:
    """The one error for every failure: what failed, where to put the file by hand, and the offline way out.

    Introduced in notebook 03 (training on MovieLens).
    """
    hand = (
        f"To add it by hand, download {spec.url} and save it as\n"
        f"    {cache / spec.archive}\n"
        f"(or extract it there, so that {cache / spec.folder / spec.ratings_file} exists).\n"
    )
    return DataUnavailableError(f"MovieLens {spec.name} is not available: {problem}.\n{hand if by_hand else ''}{SYNTHETIC_HINT}")


# --- the cache folder and what is in it ----------------------------------------------------


def _usable_cache(spec: DatasetSpec, data_dir: str | os.PathLike | None) -> Path:
    """The cache folder, or a ``DataUnavailableError`` if it is a file (or cannot be made); nothing is created."""
    cache, reason = _locate_cache(data_dir)
    problem = _cache_problem(cache, reason)
    if problem:
        raise unavailable_error(spec, cache, f"{problem}; {_cache_fix(reason, cache)}", by_hand=False)
    return cache


def _cache_problem(cache: Path, reason: str) -> str | None:
    """Why ``cache`` cannot be the cache folder (a file, or below a file), or None."""
    try:
        if cache.exists():
            return None if cache.is_dir() else f"the cache folder {cache} (from {reason}) is a file, not a folder"
        for parent in cache.parents:
            if parent.exists():
                return None if parent.is_dir() else f"the cache folder {cache} (from {reason}) cannot be created: {parent} is a file, not a folder"
    except OSError as error:
        return f"the cache folder {cache} (from {reason}) cannot be used ({error.strerror or error})"
    return None


def _cache_fix(reason: str, cache: Path) -> str:
    if reason == "the data_dir argument":
        return "pass a folder as data_dir (--data-dir on the command line)"
    if reason == f"${DATA_DIR_VARIABLE}":
        return f"set ${DATA_DIR_VARIABLE} to a folder"
    return f"move the file in the way of {cache} elsewhere, or set ${DATA_DIR_VARIABLE} to a folder"


def _kind(path: Path) -> str:
    return "a directory" if path.is_dir() else "not a regular file"


def _refuse_blocked(spec: DatasetSpec, cache: Path, filenames) -> None:
    """Raise if the data set's folder is a file, or one of ``filenames`` in it is a directory (never deleted for you)."""
    folder = cache / spec.folder
    if folder.exists() and not folder.is_dir():
        raise unavailable_error(
            spec, cache, f"{folder} is a file, but it should be the folder of the extracted {spec.name} files; move it away or delete it, then run again"
        )
    for filename in filenames:
        path = folder / filename
        if path.exists() and not path.is_file():
            raise unavailable_error(
                spec,
                cache,
                f"{path} is {_kind(path)}, not a file; delete it (or move it away) and run again: "
                f"{filename} is then restored from {spec.archive} (downloaded if needed)",
            )


# --- temporary files: ours only, cleaned up after a killed run -------------------------------

_TEMPORARY = re.compile(r"^\.(?P<target>.+)\.[a-z0-9_]{8}\.partial$")
"""The names ``tempfile.mkstemp(prefix=".<target>.", suffix=".partial")`` gives our half-written files."""


def _our_temporaries(spec: DatasetSpec, cache: Path) -> list[Path]:
    """Our half-written files: ``.<zip>.XXXXXXXX.partial`` in the cache, ``.<file>.XXXXXXXX.partial`` in ``<folder>/``."""
    archives = {known.archive for known in DATASETS.values()}
    found = []
    for folder, targets in ((cache, archives), (cache / spec.folder, None)):
        try:
            names = os.listdir(folder)
        except OSError:  # not there (yet), or not a folder: nothing of ours in it
            continue
        for name in names:
            match = _TEMPORARY.match(name)
            if match and (targets is None or match["target"] in targets) and (folder / name).is_file():
                found.append(folder / name)
    return found


def _remove_leftovers(spec: DatasetSpec, cache: Path) -> None:
    """Delete our half-written files left by a killed run, unless another process is writing right now."""
    leftovers = _our_temporaries(spec, cache)
    if not leftovers:
        return
    with _cache_lock(cache, exclusive=True) as alone:
        if alone:  # no writer holds the cache: every temporary file of ours is a leftover
            for path in leftovers:
                with contextlib.suppress(OSError):
                    path.unlink()


@contextlib.contextmanager
def _cache_lock(cache: Path, *, exclusive: bool) -> Iterator[bool]:
    """Writers hold a shared lock on the cache folder while their temporary files exist; cleanup tries an exclusive one.

    Yields whether the lock is held. Locks die with their process, so a killed
    writer's files are cleaned by the next run. Without ``fcntl`` (Windows) no
    lock is taken: a file still open by its writer cannot be deleted there anyway.
    """
    try:
        import fcntl
    except ImportError:
        fcntl = None
    handle = None
    if fcntl is not None:
        with contextlib.suppress(OSError):
            handle = os.open(cache, os.O_RDONLY)
    try:
        if handle is None:
            yield fcntl is None
            return
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB if exclusive else fcntl.LOCK_SH)
        except OSError:
            yield False
            return
        yield True
    finally:
        if handle is not None:
            os.close(handle)


# --- checks -------------------------------------------------------------------------------------


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


def _how_damaged(path: Path) -> str:
    """Empty, truncated (ends mid-line: every MovieLens file ends with a newline) or edited."""
    size = path.stat().st_size
    if size == 0:
        return "is empty"
    with open(path, "rb") as file:
        file.seek(size - 1)
        ends_a_line = file.read(1) == b"\n"
    return "was edited (or cut off at the end of a line)" if ends_a_line else "is truncated (it ends mid-line)"


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
                f"{path} does not match its SHA-256 checksum (expected {expected[:16]}..., got {actual[:16]}...): "
                f"it {_how_damaged(path)}. Delete it and run again: it will be restored "
                f"from {spec.archive} (downloaded if needed)",
            )
        return None
    archive = cache / spec.archive
    if not archive.is_file():
        return f"GroupLens publishes no checksum for {spec.folder}/{path.name}, and {archive} is not there to compare with"
    try:
        with zipfile.ZipFile(archive) as zipped:
            expected_crc = zipped.getinfo(f"{spec.folder}/{path.name}").CRC
    except (zipfile.BadZipFile, KeyError, OSError) as error:
        raise unavailable_error(spec, cache, f"{archive} is damaged or is not the official zip ({error}); delete it") from error
    if _crc32(path) != expected_crc:
        raise unavailable_error(
            spec,
            cache,
            f"{path} differs from the copy in {archive} (CRC-32 mismatch): it {_how_damaged(path)}. "
            f"Delete it and run again: it will be extracted again",
        )
    return None if spec.archive_hash else f"{archive} itself has no published checksum (GroupLens updates {spec.name})"


def _verified_archive(spec: DatasetSpec, cache: Path, *, missing: Path | None = None, progressbar: bool = False) -> Path:
    """The checked zip from the cache, downloaded first if it is not there (``missing`` is the file it is wanted for)."""
    archive = cache / spec.archive
    if archive.exists():
        if not archive.is_file():
            raise unavailable_error(spec, cache, f"{archive} is {_kind(archive)}, not the official zip; delete it (or move it away) and run again")
        _check_archive(spec, archive, cache)
        return archive
    archive = _download(spec, cache, missing=missing, progressbar=progressbar)
    if spec.archive_hash is None:  # no checksum to compare with: at least check the zip is whole
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
        actual = _file_hash(archive, algorithm)
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
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise unavailable_error(spec, cache, f"{archive} is not a readable zip ({error}), perhaps truncated; delete it") from error
    if damaged is not None:
        raise unavailable_error(spec, cache, f"{archive} is damaged (bad CRC-32 for {damaged}); delete it")
    warnings.warn(
        f"{archive} was checked for damage only: GroupLens updates {spec.name}, so there is no published checksum to compare with.",
        UnverifiedDataWarning,
        stacklevel=5,
    )


def _file_hash(path: Path, algorithm: str) -> str:
    digest = hashlib.new(algorithm)
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# --- download -----------------------------------------------------------------------------------


def _download(spec: DatasetSpec, cache: Path, *, missing: Path | None = None, progressbar: bool = False) -> Path:
    """Download the zip into the cache; it is kept only if complete and its checksum (if known) matches.

    Nothing is created before the server has answered: the cache folder is
    made only when there is something to write into it, and removed again
    (if it was made here and is still empty) when the download fails.
    """
    import requests  # imported here to keep `import rbm_helpers` fast

    try:
        response = requests.get(spec.url, stream=True, timeout=DOWNLOAD_TIMEOUT)
        response.raise_for_status()
    except requests.exceptions.RequestException as error:
        raise _download_error(spec, cache, download_problem(error), missing) from error
    with response:
        created = _make_folders(spec, cache)
        try:
            with _cache_lock(cache, exclusive=False):
                _save_download(spec, response, cache, missing, progressbar)
        except BaseException:
            _remove_if_empty(created)
            raise
    return cache / spec.archive


def _make_folders(spec: DatasetSpec, cache: Path) -> list[Path]:
    """Create ``cache`` and its missing parents; return those created, outermost first."""
    created = [folder for folder in (cache, *cache.parents) if not folder.exists()][::-1]
    try:
        cache.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        _remove_if_empty(created)
        raise unavailable_error(spec, cache, f"cannot create the cache folder {cache} ({error.strerror or error})", by_hand=False) from error
    return created


def _remove_if_empty(folders: list[Path]) -> None:
    for folder in reversed(folders):
        with contextlib.suppress(OSError):
            folder.rmdir()  # only succeeds if empty: never removes anything else


def _save_download(spec: DatasetSpec, response, cache: Path, missing: Path | None, progressbar: bool) -> None:
    """Stream ``response`` into a temporary file in ``cache``, check it, then rename it into place."""
    import requests

    target = cache / spec.archive
    algorithm = spec.archive_hash.split(":")[0] if spec.archive_hash else "sha256"
    digest, received = hashlib.new(algorithm), 0
    expected_size = int(response.headers.get("Content-Length", 0) or 0) if "Content-Encoding" not in response.headers else 0
    try:
        handle, temporary = tempfile.mkstemp(dir=cache, prefix=f".{spec.archive}.", suffix=".partial")
    except OSError as error:
        raise unavailable_error(spec, cache, _cannot_write(cache, error)) from error
    try:
        with os.fdopen(handle, "wb") as out, _progress(progressbar, expected_size) as bar:
            for chunk in response.iter_content(1 << 20):
                out.write(chunk)
                digest.update(chunk)
                received += len(chunk)
                bar.update(len(chunk))
        if expected_size and received < expected_size:
            raise requests.exceptions.ChunkedEncodingError(f"{received} of {expected_size} bytes")
        if spec.archive_hash and digest.hexdigest() != spec.archive_hash.split(":")[1]:
            raise _download_error(
                spec,
                cache,
                f"the file received does not match the known checksum {spec.archive_hash}, so it was deleted "
                "(a proxy's error page, or a file changed on the server?)",
                missing,
            )
        os.replace(temporary, target)
    except requests.exceptions.RequestException as error:
        raise _download_error(spec, cache, download_problem(error), missing) from error
    except OSError as error:
        raise unavailable_error(spec, cache, _cannot_write(cache, error)) from error
    finally:
        Path(temporary).unlink(missing_ok=True)


@contextlib.contextmanager
def _progress(enabled: bool, total: int):
    if not enabled:
        yield _NoProgress()
        return
    from tqdm.auto import tqdm

    with tqdm(total=total or None, unit="B", unit_scale=True, leave=False) as bar:
        yield bar


class _NoProgress:
    def update(self, _: int) -> None:
        pass


def _cannot_write(folder: Path, error: OSError) -> str:
    return (
        f"cannot write to {folder} ({error.strerror or error}): make it writable, or use another cache folder "
        f"(data_dir=..., --data-dir, or ${DATA_DIR_VARIABLE})"
    )


def _download_error(spec: DatasetSpec, cache: Path, problem: str, missing: Path | None) -> DataUnavailableError:
    """The download failed: say so, and first which file was missing if the folder was there in part."""
    if missing is not None and missing.parent.is_dir() and any(True for _ in missing.parent.iterdir()):
        return unavailable_error(
            spec,
            cache,
            f"{missing} is missing (the folder holds other {spec.name} files) and there is no {spec.archive} in {cache} "
            f"to extract it from; downloading {spec.url} failed: {problem}",
        )
    return unavailable_error(spec, cache, f"downloading {spec.url} failed: {problem}")


def download_problem(error: Exception) -> str:
    """What went wrong with a download (a ``requests`` error), in words: requests says it at length.

    Introduced in notebook 03 (fetching the data); MNIST downloads use it too (notebook 07).
    """
    from requests import exceptions

    if isinstance(error, exceptions.HTTPError):
        return f"the server answered HTTP {error.response.status_code} {error.response.reason}"
    if isinstance(error, exceptions.ConnectTimeout):
        return f"no connection within {DOWNLOAD_TIMEOUT[0]:g} s (are you offline?)"
    if isinstance(error, exceptions.ReadTimeout):
        return f"the server sent nothing for {DOWNLOAD_TIMEOUT[1]:g} s"
    if isinstance(error, exceptions.ConnectionError):
        return "could not connect (are you offline, or behind a firewall or proxy?)"
    return f"the connection dropped before the file was complete ({type(error).__name__})"


# --- extraction ----------------------------------------------------------------------------------


def _extract(spec: DatasetSpec, archive: Path, cache: Path) -> None:
    """Extract the files of ``<folder>/`` in ``archive`` that are missing from ``<cache>/<folder>/``.

    Each file is written to a temporary name, checked (CRC-32 by zipfile, and
    SHA-256 when the package lists one), and only then renamed into place.
    Members outside ``<folder>/``, in subfolders, or named ``..`` are skipped,
    and so are those this package never reads where ``spec.extract_only_read``.
    """
    folder = cache / spec.folder
    created = not folder.exists()
    prefix = f"{spec.folder}/"
    wanted = set(spec.files) if spec.extract_only_read else None
    try:
        with zipfile.ZipFile(archive) as zipped, _cache_lock(cache, exclusive=False):
            members = [
                member
                for member in zipped.infolist()
                if member.filename.startswith(prefix)
                and _plain_name(name := member.filename[len(prefix) :])
                and (wanted is None or name in wanted)
            ]
            folder.mkdir(exist_ok=True)
            for member in members:
                target = folder / member.filename[len(prefix):]
                if not target.exists():
                    _extract_member(zipped, member, target, _registry(spec.name).get(target.name))
    except ValueError as error:
        raise unavailable_error(spec, cache, f"{error}; delete {archive}") from error
    except (zipfile.BadZipFile, EOFError) as error:
        raise unavailable_error(spec, cache, f"{archive} could not be read ({error}); delete it") from error
    except OSError as error:
        raise unavailable_error(spec, cache, _cannot_write(folder, error)) from error
    finally:
        if created and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()


def _plain_name(name: str) -> bool:
    """A file name with no folder part that cannot point elsewhere ("..", "a/b", "a\\b", "C:x" are not)."""
    return name not in ("", ".", "..") and not any(separator in name for separator in "/\\:\0")


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
