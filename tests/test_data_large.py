"""Tests of the large MovieLens sets (ml-10m, ml-20m, ml-25m, ml-32m) and of synthetic data at any size.

All offline and fast. The MovieLens tests write small files in the exact
formats of the official zips (a few hundred lines, in the zips' folder names)
and serve them from the cache or from a server on 127.0.0.1, pinned as the
official zip by their MD5 and size, as ``test_data`` does for ml-1m. The
synthetic tests check exact properties on small sizes through both draws
(the original per-user one and the sparse one used above ``DENSE_PAIRS``),
the sparse draw's probabilities against a brute-force formula, and a medium
size (a million ratings) for time and shape; the 25-million-rating size is
measured by a benchmark, not here.
"""
from __future__ import annotations

import itertools
import time
import zipfile

import numpy as np
import pandas as pd
import pytest

from rbm_helpers.data import (
    DATASET_NAMES,
    DataUnavailableError,
    UnverifiedDataWarning,
    dataset_status,
    fetch,
    load_movielens,
    load_movies,
    make_synthetic,
)
from rbm_helpers.data import sources, synthetic
from rbm_helpers.data.movielens import read_ml10m_ratings
from test_data import files_in, offline_and_isolated, pin_archive, zip_server  # noqa: F401 (fixtures)

LARGE = ("ml-10m", "ml-20m", "ml-25m", "ml-32m")
ZIP_FOLDER = {"ml-10m": "ml-10M100K", "ml-20m": "ml-20m", "ml-25m": "ml-25m", "ml-32m": "ml-32m"}  # as in GroupLens's zips
SPECIAL_MOVIES = [  # (movieId, title, genres): a comma and quotes, non-ASCII, no genres
    (1_000_001, 'Dinner Game, The (Dîner de cons, Le) (1998)', "Comedy"),
    (1_000_002, 'Bad "Quoted", Title (2001)', "Drama|Thriller"),
    (1_000_003, "Pull My Daisy (1958)", "(no genres listed)"),
]


def source_tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    """400 half-star ratings and 83 movies with MovieLens-like sparse movie ids (the content of every small zip here)."""
    ratings, movies = make_synthetic(60, 80, 400, seed=1, half_stars=True)
    ratings["item_id"] = ratings["item_id"] * 1009  # non-contiguous ids, as in the real files
    movies = pd.DataFrame({"item_id": movies["item_id"] * 1009, "title": movies["title"], "genres": movies["genres"]})
    extra = pd.DataFrame(SPECIAL_MOVIES, columns=["item_id", "title", "genres"])
    return ratings, pd.concat([movies, extra], ignore_index=True)


def official_files(name: str) -> dict[str, bytes]:
    """The members of a small ``<name>.zip`` in the official layout, with the files nothing here reads."""
    ratings, movies = source_tables()
    folder = ZIP_FOLDER[name]
    if name == "ml-10m":  # UserID::MovieID::Rating::Timestamp, whole stars written "5", half stars "4.5"
        rating_lines = [f"{u}::{i}::{r:g}::{t}\n" for u, i, r, t in ratings.itertuples(index=False)]
        movie_lines = [f"{i}::{title}::{genres}\n" for i, title, genres in movies.itertuples(index=False)]
        return {
            f"{folder}/": b"",
            f"{folder}/ratings.dat": "".join(rating_lines).encode(),
            f"{folder}/movies.dat": "".join(movie_lines).encode("utf-8"),
            f"{folder}/tags.dat": b"15::4973::excellent!::1215184630\n",
            f"{folder}/README.html": b"<html></html>\n",
        }
    csv_ratings = "userId,movieId,rating,timestamp\n" + "".join(f"{u},{i},{r:.1f},{t}\n" for u, i, r, t in ratings.itertuples(index=False))
    csv_movies = movies.rename(columns={"item_id": "movieId"}).to_csv(index=False, lineterminator="\n")
    return {
        f"{folder}/": b"",
        f"{folder}/ratings.csv": csv_ratings.encode(),
        f"{folder}/movies.csv": csv_movies.encode("utf-8"),
        f"{folder}/tags.csv": b"userId,movieId,tag,timestamp\n3,260,classic,1439472355\n",
        f"{folder}/genome-scores.csv": b"movieId,tagId,relevance\n1,1,0.02875\n",
        f"{folder}/README.txt": b"Summary\n",
    }


def zip_bytes(tmp_path, files: dict[str, bytes]) -> bytes:
    path = tmp_path / "built.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zipped:
        for member, content in files.items():
            zipped.writestr(member, content)
    return path.read_bytes()


@pytest.fixture(params=LARGE)
def large_zip(request, tmp_path, monkeypatch) -> tuple[str, bytes]:
    """(name, the bytes of a small zip in that set's layout), pinned as the official zip by MD5 and size."""
    name = request.param
    archive = zip_bytes(tmp_path, official_files(name))
    pin_archive(monkeypatch, name, archive, algorithm="md5")
    return name, archive


# --- the four large sets: formats, checks, downloads ---------------------------------------


def test_every_large_set_is_a_name_and_has_the_published_checksum_and_size():
    for name in LARGE:
        spec = sources.DATASETS[name]
        assert name in DATASET_NAMES
        algorithm, digest = spec.archive_hash.split(":")
        assert algorithm == "md5" and len(digest) == 32 and int(digest, 16) >= 0
        assert spec.archive_size > 50_000_000 and spec.url.endswith(f"/{name}.zip") and spec.folder == ZIP_FOLDER[name]


def test_a_large_zip_in_the_cache_is_checked_extracted_in_part_and_parsed(large_zip, offline_and_isolated):
    name, archive = large_zip
    cache = offline_and_isolated
    (cache / f"{name}.zip").write_bytes(archive)
    expected_ratings, expected_movies = source_tables()
    ratings = load_movielens(name)
    pd.testing.assert_frame_equal(ratings, expected_ratings, check_dtype=True)  # float64 half stars, int64 ids, file order
    assert ratings["rating"].dtype == np.float64 and set(ratings["rating"]) <= set(np.arange(1, 11) / 2)
    movies = load_movies(name).set_index("item_id")
    assert movies.index.tolist() == expected_movies["item_id"].tolist()
    assert movies["title"].tolist() == expected_movies["title"].tolist()  # quoted commas, quotes and accents intact
    assert movies.loc[1_000_001, "year"] == 1998 and movies.loc[1_000_002, "Thriller"] == 1
    assert movies.loc[1_000_003, "genres"] == "" and "(no genres listed)" not in movies.columns
    folder = ZIP_FOLDER[name]
    ratings_file = "ratings.dat" if name == "ml-10m" else "ratings.csv"
    movies_file = "movies.dat" if name == "ml-10m" else "movies.csv"
    assert files_in(cache) == sorted([f"{name}.zip", f"{folder}/{movies_file}", f"{folder}/{ratings_file}"])  # no tags, no genome
    status = dataset_status(name)
    assert status.ready and str(cache / folder) in status.detail and "verified" in status.detail


def test_a_large_set_downloads_once_through_the_local_server(large_zip, zip_server, offline_and_isolated):
    name, archive = large_zip
    zip_server.files[f"{name}.zip"] = archive
    folder = fetch(name)
    assert folder == offline_and_isolated / ZIP_FOLDER[name]
    assert len(load_movielens(name)) == 400 and len(load_movies(name)) == 83
    assert zip_server.requests == 1


def test_a_download_that_fails_its_checksum_is_deleted(zip_server, monkeypatch, offline_and_isolated, tmp_path):
    archive = zip_bytes(tmp_path, official_files("ml-25m"))
    zip_server.files["ml-25m.zip"] = archive
    pin_archive(monkeypatch, "ml-25m", archive + b"!", algorithm="md5")  # the published MD5 is of another file
    with pytest.raises(DataUnavailableError, match="does not match the known checksum md5:"):
        load_movielens("ml-25m")
    assert files_in(offline_and_isolated) == []


def test_a_dropped_download_leaves_nothing(zip_server, monkeypatch, offline_and_isolated, tmp_path):
    archive = zip_bytes(tmp_path, official_files("ml-10m"))
    zip_server.files["ml-10m.zip"] = archive
    pin_archive(monkeypatch, "ml-10m", archive, algorithm="md5")
    zip_server.behaviour = "drop"
    with pytest.raises(DataUnavailableError, match="the connection dropped before the file was complete"):
        fetch("ml-10m")
    assert files_in(offline_and_isolated) == []


@pytest.mark.parametrize("damage", ["truncated", "one byte changed"])
def test_a_damaged_large_zip_in_the_cache_is_refused_and_kept(large_zip, offline_and_isolated, damage):
    name, archive = large_zip
    cache = offline_and_isolated
    if damage == "truncated":
        damaged = archive[: len(archive) // 2]
        expected = rf"is {len(damaged):,} bytes but the official {name}.zip is {len(archive):,}: it is truncated"
    else:
        damaged = bytearray(archive)
        damaged[len(archive) // 2] ^= 0xFF
        expected = rf"{name}.zip does not match the official MD5 checksum"
    (cache / f"{name}.zip").write_bytes(bytes(damaged))
    with pytest.raises(DataUnavailableError, match=expected):
        load_movielens(name)
    assert files_in(cache) == [f"{name}.zip"]  # the user's file is reported, not deleted or replaced
    assert not dataset_status(name).ready


def test_an_extracted_file_edited_later_is_refused(monkeypatch, offline_and_isolated, tmp_path):
    cache = offline_and_isolated
    archive = zip_bytes(tmp_path, official_files("ml-32m"))
    pin_archive(monkeypatch, "ml-32m", archive, algorithm="md5")
    (cache / "ml-32m.zip").write_bytes(archive)
    load_movielens("ml-32m")
    extracted = cache / "ml-32m" / "ratings.csv"
    extracted.write_bytes(extracted.read_bytes()[:-3])  # cut mid-line
    with pytest.raises(DataUnavailableError, match=r"ratings.csv differs from the copy in .*ml-32m.zip .* it is truncated"):
        load_movielens("ml-32m")


def test_a_truncated_ratings_dat_without_its_zip_cannot_be_read(offline_and_isolated):
    folder = offline_and_isolated / "ml-10M100K"
    folder.mkdir()
    (folder / "ratings.dat").write_bytes(b"1::122::5::838985046\n1::185::4.5::838983525\n1::231::")
    with pytest.warns(UnverifiedDataWarning), pytest.raises(DataUnavailableError, match="ratings.dat could not be read"):
        load_movielens("ml-10m")


def test_the_error_for_a_missing_large_set_names_the_zip_and_its_folder(offline_and_isolated):
    cache = offline_and_isolated
    with pytest.raises(DataUnavailableError) as caught:
        load_movielens("ml-10m")
    message = str(caught.value)
    assert f"save it as\n    {cache / 'ml-10m.zip'}\n" in message
    assert str(cache / "ml-10M100K" / "ratings.dat") in message and 'load_movielens("synthetic")' in message
    assert files_in(cache) == []


def test_the_fast_double_colon_reader_agrees_with_a_line_by_line_parse(tmp_path):
    lines = [f"{u}::{i}::{r:g}::{t}" for u, i, r, t in source_tables()[0].itertuples(index=False)]
    path = tmp_path / "ratings.dat"
    path.write_text("\n".join(lines) + "\n")
    by_hand = pd.DataFrame([line.split("::") for line in lines], columns=["user_id", "item_id", "rating", "timestamp"])
    by_hand = by_hand.astype({"user_id": "int64", "item_id": "int64", "rating": "float64", "timestamp": "int64"})
    pd.testing.assert_frame_equal(read_ml10m_ratings(path), by_hand)
    path.write_text("1::122::5::838985046\n1::185::6::838983525\n")  # 6 stars
    with pytest.raises(ValueError, match="half stars from 0.5 to 5.0"):
        read_ml10m_ratings(path)


# --- synthetic data at any size ----------------------------------------------------------------


@pytest.fixture(params=["original draw", "sparse draw"])
def draw(request, monkeypatch) -> str:
    """Run a test through both draws: the sparse one is forced on small sizes by lowering DENSE_PAIRS."""
    if request.param == "sparse draw":
        monkeypatch.setattr(synthetic, "DENSE_PAIRS", 0)
    return request.param


@pytest.mark.parametrize(("n_users", "n_items", "n_ratings"), [(943, 1682, 100_000), (50, 30, 600), (40, 400, 900), (7, 5, 35)])
def test_synthetic_has_exact_counts_distinct_sorted_pairs_and_every_movie_rated(draw, n_users, n_items, n_ratings):
    ratings, movies = make_synthetic(n_users, n_items, n_ratings, seed=3)
    assert list(ratings.columns) == ["user_id", "item_id", "rating", "timestamp"] and len(ratings) == n_ratings
    assert (ratings.dtypes == np.int64).all()
    keys = ratings["user_id"].to_numpy() * (n_items + 1) + ratings["item_id"].to_numpy()
    assert (np.diff(keys) > 0).all()  # sorted by user then movie, so no pair twice
    assert ratings["user_id"].min() == 1 and ratings["user_id"].nunique() == n_users
    assert ratings["item_id"].between(1, n_items).all() and ratings["item_id"].nunique() == min(n_items, n_ratings)
    per_user = ratings.groupby("user_id").size()
    assert per_user.min() >= min(20, n_ratings // n_users, n_items)
    assert len(movies) == n_items and movies["item_id"].tolist() == list(range(1, n_items + 1))
    assert movies[list(synthetic.GENRES)].sum(axis=1).between(1, 3).all()
    shares = ratings["rating"].value_counts(normalize=True).sort_index()
    assert shares.index.tolist() == [1, 2, 3, 4, 5]
    assert np.allclose(shares.to_numpy(), synthetic.RATING_SHARES, atol=2 / n_ratings + 1e-12)
    assert ratings["timestamp"].between(*synthetic.TIME_RANGE).all()


def test_synthetic_sparse_draw_is_seeded(draw):
    first, movies = make_synthetic(300, 200, 6000, seed=5)
    again, movies_again = make_synthetic(300, 200, 6000, seed=5)
    pd.testing.assert_frame_equal(first, again)
    pd.testing.assert_frame_equal(movies, movies_again)
    assert not make_synthetic(300, 200, 6000, seed=6)[0].equals(first)


def test_small_sizes_take_the_original_draw_and_large_ones_the_sparse_one(monkeypatch):
    default = make_synthetic(seed=2)[0]
    monkeypatch.setattr(synthetic, "DENSE_PAIRS", 0)
    assert not make_synthetic(seed=2)[0].equals(default)  # the sparse draw gives other numbers...
    monkeypatch.setattr(synthetic, "DENSE_PAIRS", 943 * 1682)
    pd.testing.assert_frame_equal(make_synthetic(seed=2)[0], default)  # ...and the default size keeps the original


def test_half_stars_come_from_the_same_scores_in_ml25m_proportions(draw):
    whole = make_synthetic(200, 300, 20_000, seed=4)[0]
    half = make_synthetic(200, 300, 20_000, seed=4, half_stars=True)[0]
    assert half["rating"].dtype == np.float64 and half["timestamp"].between(*synthetic.HALF_STAR_TIME_RANGE).all()
    pd.testing.assert_frame_equal(half[["user_id", "item_id"]], whole[["user_id", "item_id"]])
    shares = half["rating"].value_counts(normalize=True).sort_index()
    assert shares.index.tolist() == (np.arange(1, 11) / 2).tolist()
    expected = np.asarray(synthetic.HALF_STAR_COUNTS) / sum(synthetic.HALF_STAR_COUNTS)
    assert np.allclose(shares.to_numpy(), expected, atol=2 / len(half))
    # both star scales cut the same scores: a higher half-star rating never has a lower whole-star rating
    ranges = whole["rating"].groupby(half["rating"]).agg(["min", "max"])
    assert (ranges["max"].to_numpy()[:-1] <= ranges["min"].to_numpy()[1:]).all()


def successive_inclusion(weights: np.ndarray, k: int) -> np.ndarray:
    """P(item i among k drawn one after another without replacement, in proportion to weights), by enumerating every order."""
    inclusion = np.zeros(weights.size)
    for order in itertools.permutations(range(weights.size), k):
        chosen = weights[list(order)]
        inclusion[list(order)] += np.prod(chosen / (1 - np.r_[0, np.cumsum(chosen)[:-1]]))
    return inclusion


@pytest.mark.parametrize(
    ("n_items", "sizes", "how"), [(24, (1, 3), "drawn with replacement, repeats redrawn"), (12, (2, 4), "top of random keys (heavy users)")]
)
def test_the_sparse_draw_samples_without_replacement_in_proportion_to_popularity(n_items, sizes, how):
    """Each movie's share of users matches the exact inclusion probability of successive sampling, within 5 standard errors."""
    n_users = 20_000
    popularity = np.linspace(1.0, 6.0, n_items) ** 2
    counts = np.where(np.arange(n_users) % 2, sizes[1], sizes[0])  # users of both sizes side by side
    users, items = synthetic._sparse_pairs(np.random.default_rng(0), counts, popularity)
    assert (np.bincount(users) == counts).all() and np.unique(users * n_items + items).size == counts.sum()
    dense_users, dense_items = synthetic._rated_pairs(np.random.default_rng(0), counts[:2000], popularity)
    for k in sizes:
        expected = successive_inclusion(popularity / popularity.sum(), k)
        for drawn_users, drawn_items in ((users, items), (dense_users, dense_items)):  # the sparse draw, and the original one
            group = counts[drawn_users] == k
            n_group = np.count_nonzero(counts[: drawn_users.max() + 1] == k)
            observed = np.bincount(drawn_items[group], minlength=n_items) / n_group
            assert np.all(np.abs(observed - expected) < 5 * np.sqrt(expected * (1 - expected) / n_group)), (how, k)


def test_heavy_users_draw_like_the_original_draw():
    """Users rating a large share of the movies (ranked by random keys) match the original draw, movie by movie, within 5 standard errors."""
    n_users, n_items = 2000, 1000
    popularity = np.exp(np.random.default_rng(2).normal(0.0, 1.0, n_items))
    counts = np.where(np.arange(n_users) % 2, 300, 130)  # both above n_items / 8: every user is heavy
    draws = [draw(np.random.default_rng(0), counts, popularity) for draw in (synthetic._sparse_pairs, synthetic._rated_pairs)]
    for k in (130, 300):
        (sparse, original) = (np.bincount(items[counts[users] == k], minlength=n_items) / (n_users // 2) for users, items in draws)
        pooled = (sparse + original) / 2
        assert np.all(np.abs(sparse - original) <= 5 * np.sqrt(pooled * (1 - pooled) * 2 / (n_users // 2)) + 1e-12), k


def test_the_alias_table_gives_each_movie_exactly_its_weight():
    weights = np.random.default_rng(1).lognormal(0.0, 1.6, 500)
    weights /= weights.sum()
    keep, other = synthetic._alias_table(weights)
    implied = (keep + np.bincount(other, weights=1 - keep, minlength=weights.size)) / weights.size
    assert np.allclose(implied, weights, rtol=0, atol=1e-12)


def test_a_million_ratings_take_seconds_and_have_the_right_shape():
    started = time.perf_counter()
    ratings, movies = make_synthetic(20_000, 10_000, 1_000_000, seed=0)
    seconds = time.perf_counter() - started
    assert seconds < 10, f"took {seconds:.1f} s (about 1 s on 2 cores)"
    assert len(ratings) == 1_000_000 and len(movies) == 10_000
    keys = ratings["user_id"].to_numpy() * 10_001 + ratings["item_id"].to_numpy()
    assert (np.diff(keys) > 0).all()
    assert ratings["item_id"].nunique() == 10_000 and ratings.groupby("user_id").size().min() >= 20


def test_sizes_beyond_the_limits_are_refused_before_any_work():
    started = time.perf_counter()
    for arguments, name in [((3_000_000, 10, 3_000_000), "n_users"), ((10, 2_000_000, 100), "n_items"), ((10**6, 10**4, 10**8), "n_ratings")]:
        with pytest.raises(ValueError, match=rf"{name} must be at most .* Use fewer"):
            make_synthetic(*arguments)
    assert time.perf_counter() - started < 1
