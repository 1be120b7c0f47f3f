"""MovieLens as pandas tables: the ratings, the movies, and the official ml-100k folds.

Every loader returns ratings with the columns ``user_id, item_id, rating,
timestamp`` and the original MovieLens ids, whatever the file format:

- ml-100k: tab-separated ``u.data``; ``u.item`` in latin-1 with 19 genre flags;
- ml-1m: ``::``-separated ``ratings.dat`` and ``movies.dat`` in latin-1;
- ml-10m: the same layout (in the zip's folder ``ml-10M100K/``) with
  half-star ratings 0.5-5.0, movies in UTF-8;
- ml-20m, ml-25m, ml-32m and ml-latest-small: CSV with a header, half-star
  ratings 0.5-5.0, non-contiguous movie ids, quoted titles, LF or CRLF line
  endings, UTF-8.

Ratings are integers (int64) for ml-100k and ml-1m, and float64 where the
scale has half stars. The large files are parsed by pandas' C parser with
fixed column types, in memory about twice the table's (25 million ratings:
0.75 GiB of table, 1.5 GiB at the peak). Files come from ``sources``
(cached, checked, downloaded if needed).
Introduced in notebook 03 (Train an RBM on MovieLens); folds in notebook 05.
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from .checks import check_choice, check_folder_argument, check_seed, describe
from .sources import ML100K_FOLDS, cache_dir, dataset_file, dataset_spec, unavailable_error
from .synthetic import make_synthetic

DATASET_NAMES = ("ml-100k", "ml-1m", "ml-10m", "ml-20m", "ml-25m", "ml-32m", "ml-latest-small", "synthetic")
"""The names ``load_movielens`` accepts."""

RATING_COLUMNS = ["user_id", "item_id", "rating", "timestamp"]

ML100K_GENRES = (
    "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary", "Drama",
    "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western",
)  # fmt: skip
"""The 19 genre flags of ``u.item``, in file order (as listed in ``u.genre``)."""

NO_GENRES = "(no genres listed)"
_YEAR_IN_TITLE = re.compile(r"\((\d{4})\)\s*$")


def load_movielens(name: str = "ml-100k", data_dir: str | os.PathLike | None = None, *, seed: int = 0) -> pd.DataFrame:
    """The ratings of a MovieLens data set: one row per (user, movie) rating.

    Columns ``user_id, item_id, rating, timestamp`` with the original ids
    (``RatingsIndex`` maps them to matrix rows and columns). ``name`` is one
    of ``DATASET_NAMES``: ``"ml-100k"``, ``"ml-1m"``, ``"ml-10m"``,
    ``"ml-20m"``, ``"ml-25m"``, ``"ml-32m"``, ``"ml-latest-small"`` or
    ``"synthetic"`` (generated offline from ``seed``; ``seed`` is ignored
    otherwise; ``make_synthetic`` makes any size). Ratings are int64 1-5 for
    ml-100k, ml-1m and synthetic, float64 0.5-5.0 for the others. Files
    come from ``cache_dir(data_dir)``, downloaded on first use; any failure
    raises ``DataUnavailableError`` saying what to do.
    Introduced in notebook 03 (Train an RBM on MovieLens).
    """
    name, seed = _check_arguments(name, data_dir, seed)
    if name == "synthetic":
        return make_synthetic(seed=seed)[0]
    spec = dataset_spec(name)
    path = dataset_file(name, spec.ratings_file, data_dir)
    return _read(_RATINGS_READERS[name], path, name, data_dir)


def load_movies(name: str = "ml-100k", data_dir: str | os.PathLike | None = None, *, seed: int = 0) -> pd.DataFrame:
    """The movies of a data set: ``item_id, title, year, genres`` then one 0/1 column per genre.

    ``title`` is as MovieLens writes it (with the year, e.g. "Toy Story
    (1995)"); ``year`` is a nullable integer (``<NA>`` where unknown);
    ``genres`` is a "|"-joined string ("" for none); each later column is
    named after a genre and holds 0/1. Introduced in notebook 03.
    """
    name, seed = _check_arguments(name, data_dir, seed)
    if name == "synthetic":
        return make_synthetic(seed=seed)[1]
    spec = dataset_spec(name)
    path = dataset_file(name, spec.movies_file, data_dir)
    return _read(_MOVIES_READERS[name], path, name, data_dir)


def load_fold(fold: str = "u1", data_dir: str | os.PathLike | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One official ml-100k split as (train, test) ratings: ``"u1"``..``"u5"``, ``"ua"`` or ``"ub"``.

    u1..u5 are five disjoint 80/20 splits whose test sets cover ``u.data``
    once; ua and ub hold out exactly 10 ratings per user. Same columns as
    ``load_movielens``. Introduced in notebook 05 (Recommend and evaluate).
    """
    check_choice(fold, "fold", ML100K_FOLDS, hint=" (the official ml-100k splits)")
    check_folder_argument(data_dir, "data_dir")
    train, test = (dataset_file("ml-100k", f"{fold}.{part}", data_dir) for part in ("base", "test"))
    return _read(read_ml100k_ratings, train, "ml-100k", data_dir), _read(read_ml100k_ratings, test, "ml-100k", data_dir)


def _check_arguments(name: object, data_dir: object, seed: object) -> tuple[str, int]:
    """The checked ``name`` and ``seed`` (``seed`` is checked even where it is ignored, so a typo never hides)."""
    check_folder_argument(data_dir, "data_dir")
    return check_choice(name, "name", DATASET_NAMES), check_seed(seed)


def _check_path(path: object) -> Path:
    """``path`` as a Path, if it names an existing file; else a ValueError naming it."""
    if not isinstance(path, (str, os.PathLike)) or not os.fspath(path) or "\0" in os.fspath(path):
        raise ValueError(f"path must be the path of a MovieLens file (a str or pathlib.Path); got {describe(path)}.")
    if not Path(path).is_file():
        what = "a directory" if Path(path).is_dir() else "not there"
        raise ValueError(f"path {os.fspath(path)!r} is {what}; pass the path of a MovieLens file, e.g. <cache>/ml-100k/u.data.")
    return Path(path)


def _read(reader: Callable[[Path], pd.DataFrame], path: Path, name: str, data_dir: str | os.PathLike | None) -> pd.DataFrame:
    """Run a parser; a file it cannot read becomes a ``DataUnavailableError`` naming the file."""
    try:
        return reader(path)
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError, OSError) as error:
        problem = f"{path} could not be read ({str(error).splitlines()[0]}), so it is not in the {name} format or is truncated; delete it"
        raise unavailable_error(dataset_spec(name), cache_dir(data_dir), problem) from error


def read_ml100k_ratings(path: str | os.PathLike) -> pd.DataFrame:
    """Ratings from ml-100k's ``u.data`` or a fold file (``u1.base`` ...): tab-separated, no header.

    Introduced in notebook 03 (training on MovieLens).
    """
    path = _check_path(path)
    return pd.read_csv(path, sep="\t", header=None, names=RATING_COLUMNS, dtype="int64")


def read_ml100k_movies(path: str | os.PathLike) -> pd.DataFrame:
    """Movies from ml-100k's ``u.item``: "|"-separated latin-1, five fields then 19 genre flags.

    Introduced in notebook 03 (training on MovieLens).
    """
    path = _check_path(path)
    fields = ["item_id", "title", "release_date", "video_release_date", "imdb_url", *ML100K_GENRES]
    types = {"item_id": "int64", "title": str, "release_date": str, **{genre: "int8" for genre in ML100K_GENRES}}
    table = pd.read_csv(
        path, sep="|", header=None, names=fields, dtype=types, encoding="latin-1", keep_default_na=False, usecols=list(types)
    )
    flags = table[list(ML100K_GENRES)].to_numpy()
    if not np.isin(flags, (0, 1)).all():
        raise ValueError("genre flags must be 0 or 1")
    genres = ["|".join(g for g, flag in zip(ML100K_GENRES, row) if flag) for row in flags]
    release_years = pd.to_numeric(table["release_date"].str[-4:], errors="coerce")
    movies = _movies_frame(table["item_id"], table["title"], genres, fallback_years=release_years)
    return pd.concat([movies, table[list(ML100K_GENRES)]], axis=1)


def read_ml1m_ratings(path: str | os.PathLike) -> pd.DataFrame:
    """Ratings from ml-1m's ``ratings.dat``: ``UserID::MovieID::Rating::Timestamp``, whole stars.

    Introduced in notebook 03 (training on MovieLens).
    """
    return _read_double_colon_ratings(_check_path(path), "int64")


def read_ml10m_ratings(path: str | os.PathLike) -> pd.DataFrame:
    """Ratings from ml-10m's ``ratings.dat``: ``UserID::MovieID::Rating::Timestamp``, half stars 0.5-5.0.

    Introduced in notebook 03 (training on MovieLens).
    """
    ratings = _read_double_colon_ratings(_check_path(path), "float64")
    _check_half_stars(ratings)
    return ratings


def _read_double_colon_ratings(path: Path, rating_type: str) -> pd.DataFrame:
    """``a::b::c::d`` lines, read with pandas' fast C parser as ``:``-separated fields 0, 2, 4 and 6.

    A ``"::"`` separator would need pandas' Python parser: on ml-10m's 10
    million lines two minutes and 4 GiB, against 6 s and 0.4 GiB here.
    """
    fields = ["user_id", "colon_1", "item_id", "colon_2", "rating", "colon_3", "timestamp"]
    types = {"user_id": "int64", "item_id": "int64", "rating": rating_type, "timestamp": "int64"}
    return pd.read_csv(path, sep=":", header=None, names=fields, usecols=RATING_COLUMNS, dtype=types, engine="c")[RATING_COLUMNS]


def read_ml1m_movies(path: str | os.PathLike) -> pd.DataFrame:
    """Movies from ml-1m's ``movies.dat``: ``MovieID::Title::Genres`` in latin-1, genres "|"-joined.

    Introduced in notebook 03 (training on MovieLens).
    """
    return _read_double_colon_movies(_check_path(path).read_text(encoding="latin-1"))


def read_ml10m_movies(path: str | os.PathLike) -> pd.DataFrame:
    """Movies from ml-10m's ``movies.dat``: ``MovieID::Title::Genres`` in UTF-8 (read as latin-1 if it is not UTF-8).

    Introduced in notebook 03 (training on MovieLens).
    """
    content = _check_path(path).read_bytes()
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        text = content.decode("latin-1")
    return _read_double_colon_movies(text)


def _read_double_colon_movies(text: str) -> pd.DataFrame:
    """The ``load_movies`` table from ``MovieID::Title::Genres`` lines (a title may itself hold "::")."""
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.split("::")
        if len(fields) < 3:
            raise ValueError(f"line {number} has {len(fields)} '::'-separated fields, not 3: {line[:60]!r}")
        genres = fields[-1].strip()
        rows.append((int(fields[0]), "::".join(fields[1:-1]), "" if genres == NO_GENRES else genres))
    item_ids, titles, genres = zip(*rows) if rows else ((), (), ())
    return _with_genre_columns(_movies_frame(item_ids, titles, genres))


def _check_half_stars(ratings: pd.DataFrame) -> None:
    """Raise ValueError unless every rating is one of 0.5, 1.0, ..., 5.0."""
    if not ratings["rating"].isin(np.arange(1, 11) / 2).all():
        raise ValueError("ratings must be half stars from 0.5 to 5.0")


def read_latest_ratings(path: str | os.PathLike) -> pd.DataFrame:
    """Ratings from a ``ratings.csv`` (ml-20m, ml-25m, ml-32m, ml-latest-small): header ``userId,movieId,rating,timestamp``, half stars.

    Introduced in notebook 03 (training on MovieLens).
    """
    path = _check_path(path)
    types = {"userId": "int64", "movieId": "int64", "rating": "float64", "timestamp": "int64"}
    table = pd.read_csv(path, dtype=types, encoding="utf-8")
    if list(table.columns) != list(types):
        raise ValueError(f"expected the header userId,movieId,rating,timestamp; got {','.join(map(str, table.columns))}")
    ratings = table.set_axis(RATING_COLUMNS, axis=1)
    _check_half_stars(ratings)
    return ratings


def read_latest_movies(path: str | os.PathLike) -> pd.DataFrame:
    """Movies from a ``movies.csv`` (ml-20m, ml-25m, ml-32m, ml-latest-small): header ``movieId,title,genres``, quoted titles, UTF-8.

    Introduced in notebook 03 (training on MovieLens).
    """
    path = _check_path(path)
    table = pd.read_csv(path, dtype={"movieId": "int64", "title": str, "genres": str}, encoding="utf-8", keep_default_na=False)
    if list(table.columns) != ["movieId", "title", "genres"]:
        raise ValueError(f"expected the header movieId,title,genres; got {','.join(map(str, table.columns))}")
    genres = table["genres"].str.strip().replace(NO_GENRES, "")
    return _with_genre_columns(_movies_frame(table["movieId"], table["title"], genres))


def _movies_frame(item_ids, titles, genres, fallback_years=None) -> pd.DataFrame:
    """The common columns ``item_id, title, year, genres``; the year is read from the title."""
    titles = pd.Series(list(titles), dtype=str)
    years = pd.to_numeric(titles.str.extract(_YEAR_IN_TITLE, expand=False), errors="coerce")
    if fallback_years is not None:
        years = years.fillna(pd.Series(np.asarray(fallback_years, dtype=float)))
    return pd.DataFrame(
        {
            "item_id": np.asarray(item_ids, dtype=np.int64),
            "title": titles,
            "year": years.astype("Int64"),
            "genres": pd.Series(list(genres), dtype=str),
        }
    )


def _with_genre_columns(movies: pd.DataFrame) -> pd.DataFrame:
    """Add one 0/1 column per genre found in ``genres`` (alphabetical)."""
    flags = movies["genres"].str.get_dummies(sep="|").astype("int8")
    return pd.concat([movies, flags], axis=1)


_CSV_SETS = ("ml-20m", "ml-25m", "ml-32m", "ml-latest-small")
_RATINGS_READERS = {
    "ml-100k": read_ml100k_ratings,
    "ml-1m": read_ml1m_ratings,
    "ml-10m": read_ml10m_ratings,
    **dict.fromkeys(_CSV_SETS, read_latest_ratings),
}
_MOVIES_READERS = {
    "ml-100k": read_ml100k_movies,
    "ml-1m": read_ml1m_movies,
    "ml-10m": read_ml10m_movies,
    **dict.fromkeys(_CSV_SETS, read_latest_movies),
}
