"""Tests of rbm_helpers.data: loading, verification, download, formats, synthetic data, splits, matrices.

All offline. The real MovieLens 100K is copied from ``<repo>/../shared/data/ml-100k``
(CI always has it; elsewhere those tests skip). Every test runs with an empty
temporary cache and with downloads pointed at a closed port on 127.0.0.1, so
nothing can reach the internet or write into the repository's ``data/``.
"""
from __future__ import annotations

import dataclasses
import hashlib
import http.server
import io
import shutil
import socket
import threading
import time
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from rbm_helpers import MISSING
from rbm_helpers.data import (
    DataUnavailableError,
    RatingsIndex,
    UnverifiedDataWarning,
    cache_dir,
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
from rbm_helpers.data.synthetic import GENRES

SHARED_ML100K = Path(__file__).resolve().parents[2] / "shared" / "data" / "ml-100k"
ML100K_RATING_COUNTS = {1: 6110, 2: 11370, 3: 27145, 4: 34174, 5: 21201}  # ../shared/data/README.md


def copy_real_ml100k(cache: Path) -> Path:
    """Copy the real ml-100k folder into ``cache`` (skip the test if this machine has none); return the cache."""
    if not (SHARED_ML100K / "u.data").is_file():
        pytest.skip(f"the real MovieLens 100K is not at {SHARED_ML100K} (CI always has it)")
    shutil.copytree(SHARED_ML100K, cache / "ml-100k")
    return cache


def closed_local_url() -> str:
    """A URL on 127.0.0.1 where nothing listens: a download attempt fails at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


def files_in(folder: Path) -> list[str]:
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*") if path.is_file())


@pytest.fixture(autouse=True)
def offline_and_isolated(tmp_path, monkeypatch):
    """Every test: an empty cache in tmp_path via $RBM_HELPERS_DATA, and downloads to a closed local port."""
    cache = tmp_path / "cache"
    cache.mkdir()
    monkeypatch.setenv("RBM_HELPERS_DATA", str(cache))
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setattr(sources, "BASE_URL", closed_local_url())
    return cache


@pytest.fixture(scope="session")
def real_cache(tmp_path_factory) -> Path:
    """A cache holding a copy of the real ml-100k folder, shared by the tests that only read it."""
    return copy_real_ml100k(tmp_path_factory.mktemp("real-cache"))


@pytest.fixture
def ml100k(real_cache, monkeypatch) -> Path:
    monkeypatch.setenv("RBM_HELPERS_DATA", str(real_cache))
    return real_cache


# --- the real ml-100k, from a ready cache -----------------------------------------------


def test_ml100k_loads_with_the_published_counts(ml100k):
    ratings = load_movielens("ml-100k")
    assert list(ratings.columns) == ["user_id", "item_id", "rating", "timestamp"]
    assert len(ratings) == 100_000
    assert ratings["user_id"].nunique() == 943 and ratings["item_id"].nunique() == 1682
    assert ratings["rating"].value_counts().sort_index().to_dict() == ML100K_RATING_COUNTS
    assert ratings.iloc[0].tolist() == [196, 242, 3, 881250949]  # first line of u.data, original ids


def test_ml100k_movies_have_titles_years_and_genres(ml100k):
    movies = load_movies("ml-100k").set_index("item_id")
    assert len(movies) == 1682
    assert movies.loc[1, "title"] == "Toy Story (1995)" and movies.loc[1, "year"] == 1995
    assert movies.loc[1, "genres"] == "Animation|Children's|Comedy"
    assert movies.loc[543, "title"] == "Misérables, Les (1995)"  # latin-1 decoded
    assert pd.isna(movies.loc[267, "year"])  # the one movie with no title or date
    assert movies["Drama"].sum() == 725 and movies["Comedy"].sum() == 505


def test_official_folds_split_u_data_exactly(ml100k):
    key = ["user_id", "item_id", "rating", "timestamp"]
    everything = load_movielens("ml-100k").sort_values(key).reset_index(drop=True)
    tests = []
    for fold in ("u1", "u2", "u3", "u4", "u5"):
        train, test = load_fold(fold)
        assert (len(train), len(test)) == (80_000, 20_000)
        pd.testing.assert_frame_equal(pd.concat([train, test]).sort_values(key).reset_index(drop=True), everything)
        tests.append(test)
    all_tests = pd.concat(tests).sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(all_tests, everything)  # every rating is tested exactly once
    train, test = load_fold("ua")
    assert (test.groupby("user_id").size() == 10).all() and len(train) + len(test) == 100_000


def test_fold_matrices_share_rows_and_columns(ml100k):
    train, test = load_fold("u1")
    index = RatingsIndex.from_ratings(train, test)
    train_matrix, test_matrix = ratings_matrix(train, index), ratings_matrix(test, index)
    assert train_matrix.shape == test_matrix.shape == (943, 1682)
    both_rated = (train_matrix != MISSING) & (test_matrix != MISSING)
    assert not both_rated.any()
    assert int((train_matrix != MISSING).sum() + (test_matrix != MISSING).sum()) == 100_000


# --- failures: clear, fast, and nothing left behind --------------------------------------


@pytest.mark.parametrize("damage", ["one byte changed", "truncated"])
def test_a_damaged_file_is_refused(tmp_path, damage):
    cache = copy_real_ml100k(tmp_path / "damaged")
    data = cache / "ml-100k" / "u.data"
    content = bytearray(data.read_bytes())
    if damage == "one byte changed":
        content[2] = ord("7")  # the first user id, 196, becomes 197
    else:
        content = content[: len(content) // 2]
    data.write_bytes(bytes(content))
    with pytest.raises(DataUnavailableError) as caught:
        load_movielens("ml-100k", data_dir=cache)
    message = str(caught.value)
    assert f"{data} does not match its SHA-256 checksum" in message
    assert str(cache / "ml-100k.zip") in message and 'load_movielens("synthetic")' in message
    load_movies("ml-100k", data_dir=cache)  # an intact file of the same folder is still fine


def test_empty_cache_fails_within_seconds_and_leaves_nothing(offline_and_isolated):
    cache = offline_and_isolated
    started = time.perf_counter()
    with pytest.raises(DataUnavailableError) as caught:
        load_movielens("ml-100k")
    assert time.perf_counter() - started < 5
    message = str(caught.value)
    assert "could not connect" in message and "are you offline" in message
    assert f"save it as\n    {cache / 'ml-100k.zip'}\n" in message
    assert 'load_movielens("synthetic")' in message
    assert files_in(cache) == []


def test_a_truncated_zip_in_the_cache_is_refused(offline_and_isolated):
    cache = offline_and_isolated
    (cache / "ml-100k.zip").write_bytes(b"PK\x03\x04" + bytes(1000))
    with pytest.raises(DataUnavailableError, match=r"is 1,004 bytes but the official ml-100k.zip is 4,924,029: it is truncated"):
        load_movielens("ml-100k")
    assert files_in(cache) == ["ml-100k.zip"]  # the user's file is reported, not deleted or replaced


def test_a_zip_member_that_fails_its_checksum_is_not_extracted(monkeypatch, offline_and_isolated):
    cache = offline_and_isolated
    archive = write_zip(cache / "ml-100k.zip", {"ml-100k/u.data": b"1\t1\t5\t874965758\n"})  # not the real u.data
    pin_archive(monkeypatch, "ml-100k", archive)
    with pytest.raises(DataUnavailableError, match="ml-100k/u.data in the zip does not match its SHA-256 checksum"):
        load_movielens("ml-100k")
    assert files_in(cache) == ["ml-100k.zip"] and not (cache / "ml-100k").exists()


def test_unknown_name_suggests_the_closest(offline_and_isolated):
    with pytest.raises(ValueError, match='Did you mean "ml-100k"'):
        load_movielens("ml100k")


def test_cache_dir_prefers_the_argument_then_the_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("RBM_HELPERS_DATA", str(tmp_path / "from-env"))
    assert cache_dir(tmp_path / "given") == tmp_path / "given"
    assert cache_dir() == tmp_path / "from-env"
    monkeypatch.delenv("RBM_HELPERS_DATA")
    checkout = Path(__file__).resolve().parents[1]
    if (checkout / "data" / "README.md").is_file():
        assert cache_dir() == checkout / "data"


# --- the download path, against a local server -------------------------------------------


class ZipServer(http.server.ThreadingHTTPServer):
    """Serves ``files`` on 127.0.0.1; ``behaviour`` is "ok", "drop" (half the body, then hang up) or "404"."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), ZipHandler)
        self.files: dict[str, bytes] = {}
        self.behaviour = "ok"
        self.requests = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/"


class ZipHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.server.requests += 1
        body = self.server.files.get(self.path.lstrip("/"))
        if body is None or self.server.behaviour == "404":
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2] if self.server.behaviour == "drop" else body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def zip_server(monkeypatch):
    server = ZipServer()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    monkeypatch.setattr(sources, "BASE_URL", server.base_url)
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def real_ml100k_zip() -> bytes:
    """An ml-100k.zip built from the real u.data and u.item (not byte-identical to the official one)."""
    if not (SHARED_ML100K / "u.data").is_file():
        pytest.skip(f"the real MovieLens 100K is not at {SHARED_ML100K} (CI always has it)")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zipped:
        for name in ("u.data", "u.item"):
            zipped.write(SHARED_ML100K / name, f"ml-100k/{name}")
    return buffer.getvalue()


def pin_archive(monkeypatch, name: str, content: bytes, algorithm: str = "sha256") -> None:
    """Make ``content`` the official zip of ``name`` as far as the checks go."""
    digest = hashlib.new(algorithm, content).hexdigest()
    spec = dataclasses.replace(sources.DATASETS[name], archive_hash=f"{algorithm}:{digest}", archive_size=len(content))
    monkeypatch.setitem(sources.DATASETS, name, spec)


def test_download_with_the_right_checksum_is_kept_and_extracted(zip_server, monkeypatch, offline_and_isolated):
    cache = offline_and_isolated
    zip_server.files["ml-100k.zip"] = archive = real_ml100k_zip()
    pin_archive(monkeypatch, "ml-100k", archive)
    ratings = load_movielens("ml-100k")
    assert len(ratings) == 100_000
    assert files_in(cache) == ["ml-100k.zip", "ml-100k/u.data", "ml-100k/u.item"]  # no temporary files left
    assert len(load_movies("ml-100k")) == 1682
    assert zip_server.requests == 1  # the second call read the cache


def test_download_with_a_wrong_checksum_is_refused(zip_server, monkeypatch, offline_and_isolated):
    cache = offline_and_isolated
    zip_server.files["ml-100k.zip"] = archive = real_ml100k_zip()
    pin_archive(monkeypatch, "ml-100k", archive + b"!")
    with pytest.raises(DataUnavailableError, match="does not match the known checksum"):
        load_movielens("ml-100k")
    assert files_in(cache) == []


@pytest.mark.parametrize(
    ("behaviour", "expected"),
    [("drop", "the connection dropped before the file was complete"), ("404", "the server answered HTTP 404")],
)
def test_a_failed_download_leaves_no_partial_file(zip_server, monkeypatch, offline_and_isolated, behaviour, expected):
    cache = offline_and_isolated
    zip_server.files["ml-100k.zip"] = archive = bytes(range(256)) * 4096  # 1 MB, the content does not matter
    pin_archive(monkeypatch, "ml-100k", archive)
    zip_server.behaviour = behaviour
    with pytest.raises(DataUnavailableError, match=expected):
        fetch("ml-100k")
    assert files_in(cache) == []


# --- the other formats, on small files written here ---------------------------------------

ML1M_RATINGS = "1::1193::5::978300760\n1::661::3::978302109\n2::1193::4::978298413\n6040::3952::1::956715518\n"
ML1M_MOVIES = "1193::One Flew Over the Cuckoo's Nest (1975)::Drama\n661::James and the Giant Peach (1996)::Animation|Children's|Musical\n3952::Contender, The (2000)::Drama|Thriller\n1::Misérables, Les (1995)::Drama|Musical\n"


def write_zip(path: Path, files: dict[str, bytes]) -> bytes:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zipped:
        for name, content in files.items():
            zipped.writestr(name, content)
    return path.read_bytes()


def test_ml1m_zip_in_the_cache_is_checked_extracted_and_parsed(monkeypatch, offline_and_isolated):
    cache = offline_and_isolated
    archive = write_zip(
        cache / "ml-1m.zip",
        {"ml-1m/ratings.dat": ML1M_RATINGS.encode("latin-1"), "ml-1m/movies.dat": ML1M_MOVIES.encode("latin-1")},
    )
    pin_archive(monkeypatch, "ml-1m", archive, algorithm="md5")
    ratings = load_movielens("ml-1m")
    assert ratings.values.tolist() == [[1, 1193, 5, 978300760], [1, 661, 3, 978302109], [2, 1193, 4, 978298413], [6040, 3952, 1, 956715518]]
    movies = load_movies("ml-1m").set_index("item_id")
    assert movies.loc[1, "title"] == "Misérables, Les (1995)" and movies.loc[3952, "year"] == 2000
    assert movies.loc[661, "genres"] == "Animation|Children's|Musical" and movies.loc[661, "Musical"] == 1
    assert movies["Drama"].tolist() == [1, 0, 1, 1]
    index = RatingsIndex.from_ratings(ratings)
    assert index.user_ids.tolist() == [1, 2, 6040] and index.rows([6040]).tolist() == [2]

    extracted = cache / "ml-1m" / "ratings.dat"
    extracted.write_bytes(extracted.read_bytes().replace(b"::1::", b"::5::"))  # edited after extraction
    with pytest.raises(DataUnavailableError, match=r"ratings.dat differs from the copy in .*ml-1m.zip \(CRC-32 mismatch\)"):
        load_movielens("ml-1m")


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_ml_latest_small_csv_is_parsed_with_half_stars(offline_and_isolated, newline):
    folder = offline_and_isolated / "ml-latest-small"
    folder.mkdir()
    ratings_lines = ["userId,movieId,rating,timestamp", "1,1,4.0,964982703", "1,193609,0.5,964981247", "610,1,3.5,1493845360"]
    movie_lines = [
        "movieId,title,genres",
        "1,Toy Story (1995),Adventure|Animation|Children|Comedy|Fantasy",
        '193609,"Dinner Game, The (Dîner de cons, Le) (1998)",Comedy',
        "208,Untitled Project,(no genres listed)",
    ]
    (folder / "ratings.csv").write_bytes((newline.join(ratings_lines) + newline).encode("utf-8"))
    (folder / "movies.csv").write_bytes((newline.join(movie_lines) + newline).encode("utf-8"))
    with pytest.warns(UnverifiedDataWarning, match="no checksum"):
        ratings = load_movielens("ml-latest-small")
    assert ratings["rating"].tolist() == [4.0, 0.5, 3.5] and ratings["timestamp"].dtype == np.int64
    assert RatingsIndex.from_ratings(ratings).columns([1, 193609]).tolist() == [0, 1]  # ids 1 and 193609 -> columns 0 and 1
    with pytest.warns(UnverifiedDataWarning):
        movies = load_movies("ml-latest-small").set_index("item_id")
    assert movies.loc[193609, "title"] == "Dinner Game, The (Dîner de cons, Le) (1998)"
    assert movies.loc[193609, "year"] == 1998 and pd.isna(movies.loc[208, "year"])
    assert movies.loc[208, "genres"] == "" and "(no genres listed)" not in movies.columns
    assert movies.loc[1, "Fantasy"] == 1


def test_a_download_without_a_published_checksum_says_so(zip_server, offline_and_isolated, tmp_path):
    zip_server.files["ml-latest-small.zip"] = write_zip(
        tmp_path / "served.zip", {"ml-latest-small/ratings.csv": b"userId,movieId,rating,timestamp\n1,1,4.5,964982703\n"}
    )
    with pytest.warns(UnverifiedDataWarning, match="no published checksum"):
        ratings = load_movielens("ml-latest-small")
    assert ratings["rating"].tolist() == [4.5]
    assert files_in(offline_and_isolated) == ["ml-latest-small.zip", "ml-latest-small/ratings.csv"]


def test_a_damaged_zip_without_a_published_checksum_is_refused(offline_and_isolated):
    archive = offline_and_isolated / "ml-latest-small.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as zipped:
        zipped.writestr("ml-latest-small/ratings.csv", "userId,movieId,rating,timestamp\n1,1,4.0,964982703\n")
    archive.write_bytes(archive.read_bytes().replace(b"4.0", b"5.0"))  # same size, wrong CRC-32
    with pytest.raises(DataUnavailableError, match=r"ml-latest-small.zip is damaged \(bad CRC-32 for ml-latest-small/ratings.csv\)"):
        load_movielens("ml-latest-small")
    assert files_in(offline_and_isolated) == ["ml-latest-small.zip"]


def test_a_malformed_csv_is_reported_by_name(offline_and_isolated):
    folder = offline_and_isolated / "ml-latest-small"
    folder.mkdir()
    (folder / "ratings.csv").write_text("userId,movieId,rating,timestamp\n1,1,4.0,964982703\n1,2,3.")  # cut off mid-line
    with pytest.warns(UnverifiedDataWarning), pytest.raises(DataUnavailableError, match=r"ratings.csv could not be read"):
        load_movielens("ml-latest-small")


# --- synthetic ---------------------------------------------------------------------------


def test_synthetic_is_the_same_for_the_same_seed_and_shaped_like_ml100k():
    ratings, movies = make_synthetic(seed=7)
    again, movies_again = make_synthetic(seed=7)
    pd.testing.assert_frame_equal(ratings, again)
    pd.testing.assert_frame_equal(movies, movies_again)
    assert not make_synthetic(seed=8)[0].equals(ratings)
    assert list(ratings.columns) == ["user_id", "item_id", "rating", "timestamp"]
    assert len(ratings) == 100_000 and not ratings.duplicated(["user_id", "item_id"]).any()
    assert ratings["user_id"].nunique() == 943 and ratings["item_id"].nunique() == 1682 == len(movies)
    assert ratings["rating"].value_counts().sort_index().to_dict() == ML100K_RATING_COUNTS
    per_user, per_movie = ratings.groupby("user_id").size(), ratings.groupby("item_id").size()
    assert per_user.min() >= 20 and per_user.max() > 5 * per_user.median()  # long-tailed activity
    assert per_movie.max() > 10 * per_movie.median()  # long-tailed popularity
    pd.testing.assert_frame_equal(load_movielens("synthetic", seed=7), ratings)
    small, small_movies = make_synthetic(50, 30, 600, seed=1)
    assert (len(small), small["user_id"].max(), len(small_movies)) == (600, 50, 30)


def test_synthetic_ratings_follow_the_planted_genre_tastes():
    """Beyond each movie's quality and each user's leniency, a user's taste for genres predicts held-out ratings."""
    ratings, movies = make_synthetic(seed=0)
    train, test = holdout_split(ratings, test_fraction=0.2, seed=0)
    global_mean = train["rating"].mean()

    def shrunk_mean(values, groups):  # a group's mean offset, shrunk towards 0 when it has few ratings
        sums, counts = values.groupby(groups).sum(), values.groupby(groups).size()
        return sums / (counts + 10)

    item_offset = shrunk_mean(train["rating"] - global_mean, train["item_id"])
    user_offset = shrunk_mean(train["rating"] - global_mean - train["item_id"].map(item_offset), train["user_id"])

    def baseline(frame):
        offsets = frame["item_id"].map(item_offset).fillna(0) + frame["user_id"].map(user_offset)
        return global_mean + offsets.to_numpy()

    genres = movies.set_index("item_id")[list(GENRES)].to_numpy(dtype=float)
    genres = genres / genres.sum(axis=1, keepdims=True)  # each movie's genres share a weight of 1
    residual = train["rating"].to_numpy() - baseline(train)
    taste_sum, weight = np.zeros((944, len(GENRES))), np.zeros((944, len(GENRES)))
    np.add.at(taste_sum, train["user_id"].to_numpy(), genres[train["item_id"] - 1] * residual[:, None])
    np.add.at(weight, train["user_id"].to_numpy(), genres[train["item_id"] - 1])
    taste = taste_sum / (weight + 3)  # shrunk towards 0 for genres a user rarely rated
    with_taste = baseline(test) + (taste[test["user_id"]] * genres[test["item_id"] - 1]).sum(axis=1)

    def rmse(prediction):
        return float(np.sqrt(np.mean((test["rating"].to_numpy() - prediction) ** 2)))

    assert rmse(baseline(test)) < rmse(np.full(len(test), global_mean)) - 0.1  # movies and users differ
    assert rmse(with_taste) < rmse(baseline(test)) - 0.1  # and users differ in their taste for genres


# --- splits and matrices -------------------------------------------------------------------


def test_holdout_split_is_seeded_per_user_and_keeps_a_training_rating():
    ratings, _ = make_synthetic(200, 100, 5000, seed=3)
    ratings = pd.concat([ratings, pd.DataFrame([[999, 1, 4, 0]], columns=ratings.columns)], ignore_index=True)
    train, test = holdout_split(ratings, test_fraction=0.5, seed=1)
    again = holdout_split(ratings, test_fraction=0.5, seed=1)
    pd.testing.assert_frame_equal(train, again[0])
    assert not holdout_split(ratings, test_fraction=0.5, seed=2)[1].index.equals(test.index)
    assert sorted(train.index.tolist() + test.index.tolist()) == list(range(len(ratings)))
    assert set(train["user_id"]) == set(ratings["user_id"])  # the one-rating user 999 stays in train
    per_user = ratings.groupby("user_id").size()
    expected = np.minimum(np.floor(0.5 * per_user + 0.5), per_user - 1)
    assert test.groupby("user_id").size().reindex(per_user.index, fill_value=0).tolist() == expected.astype(int).tolist()


TINY = pd.DataFrame({"user_id": [10, 10, 30, 20], "item_id": [7, 5, 5, 9], "rating": [5, 2, 3, 1], "timestamp": 0})


def test_ratings_matrix_puts_each_rating_in_its_cell_and_missing_elsewhere():
    index = RatingsIndex.from_ratings(TINY)
    assert index.user_ids.tolist() == [10, 20, 30] and index.item_ids.tolist() == [5, 7, 9]
    m = MISSING
    expected = torch.tensor([[2, 5, m], [m, m, 1], [3, m, m]])
    assert torch.equal(ratings_matrix(TINY, index), expected)
    liked = torch.tensor([[0, 1, m], [m, m, 0], [1, m, m]])  # rating >= 3 is liked
    assert torch.equal(ratings_matrix(TINY, index, binary=True), liked)
    assert torch.equal(ratings_matrix(TINY, binary=True, threshold=4)[2, 0], torch.tensor(0.0))
    sparse = sparse_ratings_matrix(TINY, index, binary=True)
    assert sparse.values().numel() == 4 and torch.equal(dense_rows(sparse, [2, 0]), liked[[2, 0]])


def test_ratings_matrix_refuses_what_it_cannot_do_well():
    with pytest.raises(ValueError, match=r"Use sparse_ratings_matrix\(ratings, index\) and dense_rows"):
        ratings_matrix(TINY, max_dense_bytes=16)
    with pytest.raises(ValueError, match=r"user ids \[40\] are not in this RatingsIndex"):
        ratings_matrix(pd.concat([TINY, TINY.assign(user_id=40)]), RatingsIndex.from_ratings(TINY))
    with pytest.raises(ValueError, match="same \\(user_id, item_id\\) pair more than once"):
        ratings_matrix(pd.concat([TINY, TINY]))
    with pytest.raises(ValueError, match="columns user_id, item_id, rating"):
        ratings_matrix(TINY.rename(columns={"item_id": "movie"}))


def test_sparse_rows_match_the_dense_matrix_on_synthetic_data():
    ratings, _ = make_synthetic(300, 400, 8000, seed=5)
    index = RatingsIndex.from_ratings(ratings)
    dense, sparse = ratings_matrix(ratings, index), sparse_ratings_matrix(ratings, index)
    rows = torch.randperm(index.n_users, generator=torch.Generator().manual_seed(0))[:64]
    assert torch.equal(dense_rows(sparse, rows), dense[rows])


def test_zip_members_outside_the_data_set_folder_are_never_written(monkeypatch, offline_and_isolated):
    cache = offline_and_isolated
    archive = write_zip(
        cache / "ml-1m.zip",
        {
            "ml-1m/ratings.dat": ML1M_RATINGS.encode(),
            "ml-1m/movies.dat": ML1M_MOVIES.encode("latin-1"),
            "ml-1m/../escaped.dat": b"x",
            "../escaped-too.dat": b"x",
            "ml-1m/..\\escaped-windows.dat": b"x",
            "ml-1m/sub/nested.dat": b"x",
        },
    )
    pin_archive(monkeypatch, "ml-1m", archive, algorithm="md5")
    assert len(load_movielens("ml-1m")) == 4
    assert files_in(cache.parent) == ["cache/ml-1m.zip", "cache/ml-1m/movies.dat", "cache/ml-1m/ratings.dat"]
