"""A catalogue of bad input to rbm_helpers.data and ``python -m rbm_helpers``: each is refused clearly, by us, changing nothing.

For every case: the exception type (or exit status), that the message names
the argument or the file, that the innermost frame of the traceback is inside
rbm_helpers (our own check, not a numpy / pandas / torch / pathlib error), and
that nothing in the test's folder was written, changed or created. Then fault
tests in subprocesses with time limits: a cache that cannot be written, a
process killed mid-extraction, and two processes filling one empty cache at
once. Offline: downloads go to a closed port or a server on 127.0.0.1.
"""
from __future__ import annotations

import hashlib
import http.server
import io
import json
import os
import subprocess
import sys
import threading
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd
import pytest
import torch

import rbm_helpers
from rbm_helpers.cli import main
from rbm_helpers.data import (
    DataUnavailableError,
    RatingsIndex,
    cache_dir,
    dataset_status,
    dense_rows,
    fetch,
    holdout_split,
    load_fold,
    load_movielens,
    load_movies,
    make_synthetic,
    ratings_matrix,
    sparse_ratings_matrix,
)
from rbm_helpers.data import sources
from rbm_helpers.data.movielens import read_ml100k_ratings
from test_data import SHARED_ML100K, closed_local_url

PACKAGE = Path(rbm_helpers.__file__).resolve().parent
REPOSITORY = PACKAGE.parent
RATINGS = make_synthetic(20, 15, 100, seed=0)[0]
SUBPROCESS_LIMIT = 60  # seconds; each run takes about 2


def innermost_file(error: BaseException) -> Path:
    """The source file of the frame that raised ``error`` (the last frame of its traceback)."""
    frame = error.__traceback__
    while frame.tb_next is not None:
        frame = frame.tb_next
    return Path(frame.tb_frame.f_code.co_filename).resolve()


def raised_by_us(error: BaseException) -> bool:
    return innermost_file(error).is_relative_to(PACKAGE)


def snapshot(folder: Path) -> dict[str, tuple]:
    """Every path under ``folder`` with its kind, size, mtime and permissions: any write shows up."""
    entries = {}
    for path in sorted(folder.rglob("*")):
        info = path.lstat()
        entries[str(path.relative_to(folder))] = (path.is_dir(), info.st_size, info.st_mtime_ns, info.st_mode)
    return entries


@pytest.fixture(autouse=True)
def offline(tmp_path, monkeypatch):
    """An empty cache in tmp_path/cache via $RBM_HELPERS_DATA; downloads go to a closed local port."""
    (tmp_path / "cache").mkdir()
    monkeypatch.setenv("RBM_HELPERS_DATA", str(tmp_path / "cache"))
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setattr(sources, "BASE_URL", closed_local_url())


# --- the cache layouts the cases start from ----------------------------------------------------


def real_folder(tmp: Path, *names: str) -> Path:
    """tmp/cache/ml-100k with the real files ``names`` (all of them if none given)."""
    if not (SHARED_ML100K / "u.data").is_file():
        pytest.skip(f"the real MovieLens 100K is not at {SHARED_ML100K}")
    folder = tmp / "cache" / "ml-100k"
    folder.mkdir(parents=True, exist_ok=True)
    for name in names or sources.DATASETS["ml-100k"].files:
        (folder / name).write_bytes((SHARED_ML100K / name).read_bytes())
    return folder


def u_data_is_a_directory(tmp: Path) -> None:
    (tmp / "cache" / "ml-100k" / "u.data").mkdir(parents=True)


def u_item_is_missing(tmp: Path) -> None:
    real_folder(tmp, *[name for name in sources.DATASETS["ml-100k"].files if name != "u.item"])


def u_data_is_truncated(tmp: Path) -> None:
    real_folder(tmp)
    path = tmp / "cache" / "ml-100k" / "u.data"
    path.write_bytes(path.read_bytes()[:1001])  # cut mid-line


def u_data_is_edited(tmp: Path) -> None:
    real_folder(tmp)
    path = tmp / "cache" / "ml-100k" / "u.data"
    path.write_bytes(path.read_bytes().replace(b"196\t242\t3", b"196\t242\t5", 1))


def dataset_folder_is_a_file(tmp: Path) -> None:
    (tmp / "cache" / "ml-100k").write_text("not a folder")


def zip_is_a_directory(tmp: Path) -> None:
    (tmp / "cache" / "ml-100k.zip").mkdir()


def zip_is_truncated(tmp: Path) -> None:
    (tmp / "cache" / "ml-100k.zip").write_bytes(b"PK\x03\x04" + bytes(1000))


def cache_is_a_file(tmp: Path) -> None:
    (tmp / "a-file").write_text("not a folder")


def environment_is_a_file(tmp: Path) -> None:
    (tmp / "a-file").write_text("not a folder")
    os.environ["RBM_HELPERS_DATA"] = str(tmp / "a-file")  # monkeypatch's setenv in `offline` restores it


# --- the catalogue ---------------------------------------------------------------------------------


@dataclass
class Case:
    call: Callable[[Path], Any]
    names: tuple[str, ...]
    """What the message must contain: the argument, or the file, and the fix."""
    error: type[BaseException] = ValueError
    setup: Callable[[Path], None] | None = None
    marks: tuple = field(default_factory=tuple)


def synthetic_ratings(**changes) -> pd.DataFrame:
    return RATINGS.assign(**changes)


SPARSE = sparse_ratings_matrix(RATINGS)
ARGUMENTS = {
    # load_movielens / load_movies / load_fold
    "load seed -1": Case(lambda t: load_movielens("synthetic", seed=-1), ("seed", "-1", ">= 0")),
    "load seed str": Case(lambda t: load_movielens("synthetic", seed="x"), ("seed", "'x' (a str)")),
    "load seed bool": Case(lambda t: load_movielens("synthetic", seed=True), ("seed", "(a bool)")),
    "load seed float": Case(lambda t: load_movielens("synthetic", seed=1.5), ("seed", "1.5")),
    "load seed ignored but checked": Case(lambda t: load_movielens("ml-100k", seed=None), ("seed", "None")),
    "movies seed nan": Case(lambda t: load_movies("synthetic", seed=float("nan")), ("seed", "NaN")),
    "load name typo": Case(lambda t: load_movielens("ml100k"), ("name", 'Did you mean "ml-100k"')),
    "load name None": Case(lambda t: load_movielens(None), ("name", "None")),
    "load name list": Case(lambda t: load_movielens(["ml-100k"]), ("name", "(a list)")),
    "load data_dir empty": Case(lambda t: load_movielens("ml-100k", data_dir=""), ("data_dir", "empty path")),
    "load data_dir int": Case(lambda t: load_movielens("ml-100k", data_dir=123), ("data_dir", "123")),
    "load data_dir bytes": Case(lambda t: load_movielens("ml-100k", data_dir=b"/tmp"), ("data_dir", "(a bytes)")),
    "load data_dir NUL": Case(lambda t: load_movielens("ml-100k", data_dir="a\0b"), ("data_dir", "NUL")),
    "fold unknown": Case(lambda t: load_fold("u6"), ("fold", '"u1"')),
    "fold int": Case(lambda t: load_fold(1), ("fold", "1")),
    # holdout_split
    "split seed str": Case(lambda t: holdout_split(RATINGS, seed="x"), ("seed", "'x'")),
    "split seed negative": Case(lambda t: holdout_split(RATINGS, seed=-3), ("seed", "-3")),
    "split fraction nan": Case(lambda t: holdout_split(RATINGS, test_fraction=float("nan")), ("test_fraction", "NaN")),
    "split fraction inf": Case(lambda t: holdout_split(RATINGS, test_fraction=float("inf")), ("test_fraction", "infinite")),
    "split fraction 1": Case(lambda t: holdout_split(RATINGS, test_fraction=1.0), ("test_fraction", "[0, 1)")),
    "split fraction str": Case(lambda t: holdout_split(RATINGS, test_fraction="0.2"), ("test_fraction", "(a str)")),
    "split fraction bool": Case(lambda t: holdout_split(RATINGS, test_fraction=True), ("test_fraction", "(a bool)")),
    "split ratings list": Case(lambda t: holdout_split([[1, 2, 3]]), ("ratings", "DataFrame")),
    "split ids with NaN": Case(lambda t: holdout_split(synthetic_ratings(user_id=np.nan)), ("ratings['user_id']", "astype")),
    # ratings_matrix, sparse_ratings_matrix, dense_rows, RatingsIndex
    "matrix max bytes None": Case(lambda t: ratings_matrix(RATINGS, max_dense_bytes=None), ("max_dense_bytes", "None")),
    "matrix max bytes negative": Case(lambda t: ratings_matrix(RATINGS, max_dense_bytes=-1), ("max_dense_bytes", "-1")),
    "matrix max bytes float": Case(lambda t: ratings_matrix(RATINGS, max_dense_bytes=1.5e9), ("max_dense_bytes", "1500000000.0")),
    "matrix threshold str": Case(lambda t: ratings_matrix(RATINGS, binary=True, threshold="3"), ("threshold", "'3' (a str)")),
    "matrix threshold nan": Case(lambda t: ratings_matrix(RATINGS, binary=True, threshold=float("nan")), ("threshold", "NaN")),
    "matrix threshold inf": Case(lambda t: ratings_matrix(RATINGS, binary=True, threshold=float("-inf")), ("threshold", "infinite")),
    "matrix binary str": Case(lambda t: ratings_matrix(RATINGS, binary="yes"), ("binary", "True or False")),
    "matrix binary int": Case(lambda t: ratings_matrix(RATINGS, binary=1), ("binary", "True or False")),
    "matrix dtype int": Case(lambda t: ratings_matrix(RATINGS, dtype=torch.int64), ("dtype", "torch.int64")),
    "matrix dtype str": Case(lambda t: ratings_matrix(RATINGS, dtype="float32"), ("dtype", "'float32'")),
    "matrix device unknown": Case(lambda t: ratings_matrix(RATINGS, device="gpu0"), ("device", "'gpu0'")),
    "matrix device absent": Case(lambda t: ratings_matrix(RATINGS, device="xla"), ("'xla'", "not available on this machine")),
    "matrix index str": Case(lambda t: ratings_matrix(RATINGS, index="abc"), ("index", "RatingsIndex")),
    "matrix rating str": Case(lambda t: ratings_matrix(synthetic_ratings(rating="4")), ("ratings['rating']", "to_numeric")),
    "matrix rating inf": Case(lambda t: ratings_matrix(synthetic_ratings(rating=np.inf)), ("ratings['rating']", "inf")),
    "matrix item ids float": Case(lambda t: ratings_matrix(synthetic_ratings(item_id=1.5)), ("ratings['item_id']", "float64")),
    "sparse threshold None": Case(lambda t: sparse_ratings_matrix(RATINGS, threshold=None), ("threshold", "None")),
    "sparse dtype bool": Case(lambda t: sparse_ratings_matrix(RATINGS, dtype=torch.bool), ("dtype", "torch.bool")),
    "dense rows float": Case(lambda t: dense_rows(SPARSE, [1.5]), ("rows", "whole numbers")),
    "dense rows str": Case(lambda t: dense_rows(SPARSE, "abc"), ("rows", "'abc'")),
    "dense rows 2-D": Case(lambda t: dense_rows(SPARSE, [[0, 1], [2, 3]]), ("rows", "1-D")),
    "index str ids": Case(lambda t: RatingsIndex(["a", "b"], [1]), ("user_ids", "whole numbers")),
    "index rows float": Case(lambda t: RatingsIndex([1, 2], [1]).rows([1.5]), ("user_ids", "1.5")),
    "index columns None": Case(lambda t: RatingsIndex([1, 2], [1]).columns(None), ("item_ids", "None")),
    # make_synthetic
    "synthetic users 0": Case(lambda t: make_synthetic(n_users=0), ("n_users", ">= 1")),
    "synthetic users bool": Case(lambda t: make_synthetic(n_users=True), ("n_users", "(a bool)")),
    "synthetic ratings str": Case(lambda t: make_synthetic(n_ratings="100"), ("n_ratings", "'100'")),
    "synthetic ratings too many": Case(lambda t: make_synthetic(10, 10, 101), ("n_ratings", "every pair rated once")),
    "synthetic too large": Case(lambda t: make_synthetic(100_000, 10_000, 60_000_000), ("n_ratings", "at most 50,000,000", "fewer")),
    "synthetic tastes float": Case(lambda t: make_synthetic(n_tastes=2.0), ("n_tastes", "2.0")),
    "synthetic noise nan": Case(lambda t: make_synthetic(noise=float("nan")), ("noise", "NaN")),
    "synthetic noise negative": Case(lambda t: make_synthetic(noise=-1), ("noise", ">= 0")),
    "synthetic seed str": Case(lambda t: make_synthetic(seed="0"), ("seed", "'0'")),
    # sources
    "fetch progressbar str": Case(lambda t: fetch("ml-100k", progressbar="yes"), ("progressbar", "True or False")),
    "fetch name unknown": Case(lambda t: fetch("ml-50m"), ("name", '"ml-100k"')),
    "status name typo": Case(lambda t: dataset_status("ml-1M"), ("name", 'Did you mean "ml-1m"')),
    "status data_dir empty": Case(lambda t: dataset_status("ml-100k", data_dir="  "), ("data_dir", "empty path")),
    "cache_dir list": Case(lambda t: cache_dir(["a"]), ("data_dir", "(a list)")),
    "reader missing path": Case(lambda t: read_ml100k_ratings(t / "nowhere" / "u.data"), ("path", "nowhere/u.data", "not there")),
    "reader directory": Case(lambda t: read_ml100k_ratings(t), ("path", "is a directory")),
}

CACHE = {
    "u.data is a directory": Case(
        lambda t: load_movielens("ml-100k"), ("ml-100k/u.data is a directory", "delete it"), DataUnavailableError, u_data_is_a_directory
    ),
    "u.item missing, offline": Case(
        lambda t: load_movies("ml-100k"), ("ml-100k/u.item is missing", "no ml-100k.zip", "could not connect"), DataUnavailableError, u_item_is_missing
    ),
    "u.data truncated": Case(
        lambda t: load_movielens("ml-100k"), ("ml-100k/u.data does not match its SHA-256", "is truncated", "Delete it"), DataUnavailableError, u_data_is_truncated
    ),
    "u.data edited": Case(
        lambda t: load_movielens("ml-100k"), ("ml-100k/u.data does not match its SHA-256", "was edited"), DataUnavailableError, u_data_is_edited
    ),
    "fold file edited": Case(lambda t: load_fold("u1"), ("ml-100k/u1.base does not match",), DataUnavailableError, lambda t: (real_folder(t), (t / "cache/ml-100k/u1.base").write_text("1\t1\t1\t1\n"))),
    "dataset folder is a file": Case(
        lambda t: load_movielens("ml-100k"), ("cache/ml-100k is a file", "move it away"), DataUnavailableError, dataset_folder_is_a_file
    ),
    "zip is a directory": Case(lambda t: load_movielens("ml-100k"), ("ml-100k.zip is a directory",), DataUnavailableError, zip_is_a_directory),
    "zip truncated": Case(lambda t: fetch("ml-100k"), ("ml-100k.zip is 1,004 bytes", "truncated"), DataUnavailableError, zip_is_truncated),
    "data_dir is a file": Case(
        lambda t: load_movielens("ml-100k", data_dir=t / "a-file"), ("a-file (from the data_dir argument) is a file", "pass a folder as data_dir"), DataUnavailableError, cache_is_a_file
    ),
    "data_dir below a file": Case(
        lambda t: load_movielens("ml-100k", data_dir=t / "a-file" / "cache"), ("a-file is a file", "cannot be created"), DataUnavailableError, cache_is_a_file
    ),
    "data_dir name too long": Case(lambda t: load_movielens("ml-100k", data_dir=t / ("x" * 300)), ("cannot be used", "too long"), DataUnavailableError),
    "data_dir does not exist, offline": Case(
        lambda t: load_movielens("ml-100k", data_dir=t / "new" / "cache"), ("new/cache/ml-100k.zip", "could not connect"), DataUnavailableError
    ),
    "$RBM_HELPERS_DATA is a file": Case(
        lambda t: fetch("ml-1m"), ("a-file (from $RBM_HELPERS_DATA) is a file", "set $RBM_HELPERS_DATA to a folder"), DataUnavailableError, environment_is_a_file
    ),
}


@pytest.mark.parametrize("case", [pytest.param(case, id=name) for name, case in {**ARGUMENTS, **CACHE}.items()])
def test_bad_input_is_refused_by_our_check_and_changes_nothing(case: Case, tmp_path):
    if case.setup:
        case.setup(tmp_path)
    before = snapshot(tmp_path)
    started = time.perf_counter()
    with pytest.raises(BaseException) as caught:
        case.call(tmp_path)
    assert time.perf_counter() - started < 1  # offline failures are fast too
    assert type(caught.value) is case.error, f"{type(caught.value).__name__}: {caught.value}"
    message = str(caught.value)
    for expected in case.names:
        assert expected in message, f"{expected!r} not in {message!r}"
    assert raised_by_us(caught.value), f"raised in {innermost_file(caught.value)}: {message}"
    assert snapshot(tmp_path) == before


# --- the command line ------------------------------------------------------------------------------

CLI = {
    "fetch name typo": (["fetch", "ml100k"], None, 2, ("argument NAME", 'Did you mean "ml-100k"')),
    "fetch without a name": (["fetch"], None, 2, ("NAME",)),
    "unknown command": (["download", "ml-100k"], None, 2, ("invalid choice: 'download'",)),
    "fetch --data-dir empty": (["fetch", "ml-100k", "--data-dir", ""], None, 2, ("--data-dir must name a folder", "leave --data-dir out")),
    "fetch u.data is a directory": (["fetch", "ml-100k"], u_data_is_a_directory, 1, ("ml-100k/u.data is a directory",)),
    "fetch u.data truncated": (["fetch", "ml-100k"], u_data_is_truncated, 1, ("ml-100k/u.data does not match", "truncated")),
    "fetch data_dir is a file": (["fetch", "ml-100k", "--data-dir", "{tmp}/a-file"], cache_is_a_file, 1, ("a-file (from the data_dir argument) is a file",)),
    "fetch data_dir new, offline": (["fetch", "ml-100k", "--data-dir", "{tmp}/new"], None, 1, ("could not connect", "new/ml-100k.zip")),
    "check u.data is a directory": (["check"], u_data_is_a_directory, 1, ("ml-100k/u.data is a directory, not a file", "Fix: delete it")),
    "check u.item missing": (["check"], u_item_is_missing, 1, ("missing file", "ml-100k/u.item,", "fetch ml-100k")),
    "check u.data truncated": (["check"], u_data_is_truncated, 1, ("ml-100k/u.data does not match", "is truncated", "Fix: delete it")),
    "check data_dir is a file": (["check", "--data-dir", "{tmp}/a-file"], cache_is_a_file, 1, ("a-file (from the data_dir argument) is a file",)),
    "check dataset folder is a file": (["check"], dataset_folder_is_a_file, 1, ("cache/ml-100k is a file",)),
    "check --data-dir empty": (["check", "--data-dir", ""], None, 2, ("--data-dir must name a folder",)),
}


@pytest.mark.parametrize(("argv", "setup", "status", "names"), list(CLI.values()), ids=list(CLI))
def test_command_line_refuses_bad_input_with_advice_and_changes_nothing(argv, setup, status, names, tmp_path, capsys):
    if setup:
        setup(tmp_path)
    before = snapshot(tmp_path)
    argv = [argument.format(tmp=tmp_path) for argument in argv]
    try:
        code = main(argv)
    except SystemExit as exit:  # argparse's usage errors
        code = exit.code
    captured = capsys.readouterr()
    assert code == status
    for expected in names:
        assert expected in captured.err, f"{expected!r} not in {captured.err!r}"
    assert "Traceback" not in captured.out + captured.err
    assert snapshot(tmp_path) == before


def run_python(code: str, *arguments: str, environment: dict | None = None, timeout: float = SUBPROCESS_LIMIT) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PYTHONPATH": f"{REPOSITORY}{os.pathsep}{Path(__file__).parent}", "NO_PROXY": "127.0.0.1,localhost", **(environment or {})}
    return subprocess.run([sys.executable, *(("-c", code) if code else ()), *arguments], capture_output=True, text=True, env=environment, timeout=timeout)


def test_python_m_check_names_the_missing_file(tmp_path):
    u_item_is_missing(tmp_path)
    before = snapshot(tmp_path)
    result = run_python("", "-m", "rbm_helpers", "check", environment={"RBM_HELPERS_DATA": str(tmp_path / "cache")})
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"missing file {tmp_path / 'cache' / 'ml-100k' / 'u.item'}" in result.stdout + result.stderr
    assert snapshot(tmp_path) == before


def test_python_m_fetch_refuses_a_data_dir_that_is_a_file(tmp_path):
    cache_is_a_file(tmp_path)
    before = snapshot(tmp_path)
    result = run_python("", "-m", "rbm_helpers", "fetch", "ml-100k", "--data-dir", str(tmp_path / "a-file"))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"{tmp_path / 'a-file'} (from the data_dir argument) is a file, not a folder" in result.stderr
    assert snapshot(tmp_path) == before


# --- faults, in subprocesses ---------------------------------------------------------------------

ML1M = {"ml-1m/ratings.dat": b"1::1193::5::978300760\n1::661::3::978302109\n" * 2000, "ml-1m/movies.dat": b"1193::Cuckoo (1975)::Drama\n661::Peach (1996)::Musical\n"}
EXPECTED_RATINGS = 4000


def ml1m_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zipped:
        for name, content in ML1M.items():
            zipped.writestr(name, content)
    return buffer.getvalue()


def child(body: str, archive: bytes, base_url: str) -> str:
    """A script that pins ``archive`` as the official ml-1m.zip, points downloads at ``base_url``, then runs ``body``."""
    return (
        "import dataclasses, hashlib, json, os, shutil, sys, time\n"
        "from rbm_helpers.data import sources, load_movielens\n"
        f"sources.BASE_URL = {base_url!r}\n"
        f"sources.DATASETS['ml-1m'] = dataclasses.replace(sources.DATASETS['ml-1m'], archive_hash='md5:{hashlib.md5(archive).hexdigest()}', archive_size={len(archive)})\n"
        + body
    )


LOAD = "print(json.dumps(len(load_movielens('ml-1m', sys.argv[1]))))\n"


def partials(folder: Path) -> list[str]:
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*.partial"))


def test_a_cache_that_cannot_be_written_is_reported_and_left_as_it_was(tmp_path):
    """Extraction into a read-only cache fails clearly. Tests often run as root, where chmod does not stop
    writes: then the cache is a path below a file, which no user can create."""
    archive = ml1m_zip()
    if os.geteuid() != 0:
        cache = tmp_path / "cache"
        (cache / "ml-1m.zip").write_bytes(archive)
        before = snapshot(tmp_path)
        cache.chmod(0o555)
        expected = f"cannot write to {cache / 'ml-1m'}"
    else:
        (tmp_path / "a-file").write_text("")
        cache = tmp_path / "a-file" / "cache"
        expected = f"cannot be created: {tmp_path / 'a-file'} is a file"
        before = snapshot(tmp_path)
    try:
        result = run_python(child(LOAD, archive, closed_local_url()), str(cache))
    finally:
        if cache.is_dir():
            cache.chmod(0o755)
    assert result.returncode == 1 and "DataUnavailableError" in result.stderr and expected in result.stderr
    assert snapshot(tmp_path) == before


def test_a_process_killed_mid_extraction_leaves_no_half_file_and_the_next_run_cleans_up(tmp_path):
    cache = tmp_path / "cache"
    archive = ml1m_zip()
    (cache / "ml-1m.zip").write_bytes(archive)
    stall = (
        "def half_then_wait(source, out, length):\n"
        "    out.write(source.read(1000)); out.flush(); print('half written', flush=True); time.sleep(60)\n"
        "sources.shutil.copyfileobj = half_then_wait\n" + LOAD
    )
    process = subprocess.Popen(
        [sys.executable, "-c", child(stall, archive, closed_local_url()), str(cache)],
        stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(REPOSITORY)},
    )
    try:
        assert process.stdout.readline().strip() == "half written"
    finally:
        process.kill()
        process.wait(timeout=10)
    leftovers = partials(cache)
    assert len(leftovers) == 1 and leftovers[0].startswith("ml-1m/.ratings.dat.")  # a temporary name, never the real one
    assert not (cache / "ml-1m" / "ratings.dat").exists()
    (cache / "ml-1m" / "notes.partial").write_text("the user's own file")  # not ours: kept

    result = run_python(child(LOAD, archive, closed_local_url()), str(cache))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == EXPECTED_RATINGS
    assert partials(cache) == ["ml-1m/notes.partial"]


class SlowZipHandler(http.server.BaseHTTPRequestHandler):
    """Serves the zip in two halves 0.3 s apart, so that two downloads overlap."""

    def do_GET(self) -> None:
        body = self.server.archive
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2])
        self.wfile.flush()
        time.sleep(0.3)
        self.wfile.write(body[len(body) // 2 :])

    def log_message(self, *args) -> None:
        pass


def test_two_processes_filling_one_empty_cache_both_get_correct_data(tmp_path):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), SlowZipHandler)
    server.daemon_threads = True
    server.archive = archive = ml1m_zip()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    cache = tmp_path / "not-yet" / "cache"
    script = child(LOAD, archive, f"http://127.0.0.1:{server.server_address[1]}/")
    environment = {**os.environ, "PYTHONPATH": str(REPOSITORY), "NO_PROXY": "127.0.0.1,localhost"}
    try:
        processes = [subprocess.Popen([sys.executable, "-c", script, str(cache)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment) for _ in range(2)]
        outputs = [process.communicate(timeout=SUBPROCESS_LIMIT) for process in processes]
    finally:
        server.shutdown()
        server.server_close()
    for process, (out, err) in zip(processes, outputs):
        assert process.returncode == 0, err
        assert json.loads(out) == EXPECTED_RATINGS
    assert sorted(str(p.relative_to(cache)) for p in cache.rglob("*")) == ["ml-1m", "ml-1m.zip", "ml-1m/movies.dat", "ml-1m/ratings.dat"]
    assert (cache / "ml-1m.zip").read_bytes() == archive
    assert (cache / "ml-1m" / "ratings.dat").read_bytes() == ML1M["ml-1m/ratings.dat"]
