"""A MovieLens-style data set generated from a seed, for working offline and for tests.

Same columns as the real thing, a realistic shape (by default 943 users, 1,682
movies, 100,000 ratings 1-5 in MovieLens 100K's proportions, long-tailed movie
popularity and user activity, at least 20 ratings per user) and a structure an
RBM can learn: each user's ratings come from a planted low-rank taste model
over genres. Every user has a taste for each genre (a rank-``n_tastes``
mixture of a few "taste profiles"); every movie has one to three genres and a
quality; a user's score for a movie is their leniency plus the movie's quality
plus their taste for its genres, plus noise; the scores are cut into 1-5 stars
at the quantiles that reproduce MovieLens 100K's rating counts.
Introduced in notebook 03 (Train an RBM on MovieLens) as the offline stand-in.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .checks import check_int, check_number, check_seed

GENRES = (
    "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary", "Drama", "Fantasy",
    "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western",
)  # fmt: skip
"""The 18 MovieLens 100K genres (without its "unknown")."""

_GENRE_FREQUENCY = (251, 135, 42, 122, 505, 109, 50, 725, 22, 24, 92, 56, 61, 247, 101, 251, 71, 27)
"""How many ml-100k movies have each genre: synthetic movies get genres in these proportions."""

RATING_SHARES = (0.0611, 0.1137, 0.27145, 0.34174, 0.21201)
"""The share of 1..5 stars in MovieLens 100K (6,110 / 11,370 / 27,145 / 34,174 / 21,201 of 100,000)."""

TIME_RANGE = (874_724_710, 893_286_638)
"""First and last timestamps of MovieLens 100K (Sept 1997 to April 1998)."""

_ADJECTIVES = (
    "Silent", "Crimson", "Last", "Hidden", "Golden", "Broken", "Midnight", "Lonely", "Electric", "Secret", "Wild",
    "Frozen", "Burning", "Lost", "Velvet", "Distant", "Savage", "Quiet", "Restless", "Paper", "Iron", "Painted",
    "Endless", "Hollow", "Bright", "Northern", "Forgotten", "Little", "Dangerous", "Glass",
)  # fmt: skip
_NOUNS = (
    "River", "Summer", "Horizon", "Stranger", "Garden", "Empire", "Letter", "Harbor", "Kingdom", "Shadow", "Road",
    "Promise", "Island", "Machine", "Orchard", "Detective", "Storm", "Mirror", "Station", "Heart", "Frontier",
    "Circus", "Voyage", "Witness", "Dragon", "Canyon", "Symphony", "Planet", "Bandit", "Lighthouse",
)  # fmt: skip


def make_synthetic(
    n_users: int = 943,
    n_items: int = 1682,
    n_ratings: int = 100_000,
    *,
    seed: int = 0,
    n_tastes: int = 4,
    noise: float = 0.8,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A deterministic MovieLens-like data set: ``(ratings, movies)``.

    ``ratings`` has the columns of ``load_movielens`` (``user_id`` 1..n_users,
    ``item_id`` 1..n_items, integer ``rating`` 1-5, ``timestamp``) and exactly
    ``n_ratings`` rows, no (user, movie) pair twice; ``movies`` has the columns
    of ``load_movies`` with made-up titles. The same arguments always give the
    same data. ``n_tastes`` is the rank of the planted user-by-genre taste
    matrix and ``noise`` the standard deviation of the per-rating noise
    (relative to a taste of standard deviation 1): with ``noise=0`` ratings
    follow the planted model exactly.
    Introduced in notebook 03 as the offline stand-in for MovieLens.
    """
    n_users, n_items, n_ratings, n_tastes = _check_sizes(n_users, n_items, n_ratings, n_tastes)
    seed = check_seed(seed)
    noise = check_number(noise, "noise", low=0, example="noise=0.8")
    rng = np.random.default_rng(seed)
    genre_flags = _movie_genres(rng, n_items)
    quality = rng.standard_normal(n_items)
    popularity = np.exp(1.6 * rng.standard_normal(n_items) + 0.5 * quality)
    users, items = _rated_pairs(rng, _ratings_per_user(rng, n_users, n_items, n_ratings), popularity)

    taste_profiles = rng.standard_normal((n_tastes, len(GENRES)))
    user_taste = rng.standard_normal((n_users, n_tastes)) / np.sqrt(n_tastes) @ taste_profiles
    leniency = 0.5 * rng.standard_normal(n_users)
    genre_mix = genre_flags / genre_flags.sum(axis=1, keepdims=True)
    taste = np.einsum("pg,pg->p", user_taste[users], genre_mix[items])
    score = leniency[users] + 0.6 * quality[items] + taste / max(taste.std(), 1e-12) + noise * rng.standard_normal(users.size)
    cuts = np.quantile(score, np.cumsum(RATING_SHARES)[:-1])
    ratings = pd.DataFrame(
        {
            "user_id": users + 1,
            "item_id": items + 1,
            "rating": (np.searchsorted(cuts, score) + 1).astype(np.int64),
            "timestamp": rng.integers(TIME_RANGE[0], TIME_RANGE[1] + 1, users.size),
        }
    )
    return ratings, _movies_table(rng, genre_flags)


MAX_PAIRS = 100_000_000
"""At most this many (user, movie) pairs: generating takes time in proportion to n_users * n_items (about 10 s here)."""


def _check_sizes(n_users: object, n_items: object, n_ratings: object, n_tastes: object) -> tuple[int, int, int, int]:
    """Whole numbers >= 1, ``n_users <= n_ratings <= n_users * n_items``, and not so large that generating takes minutes."""
    n_users = check_int(n_users, "n_users", minimum=1, example="n_users=943")
    n_items = check_int(n_items, "n_items", minimum=1, example="n_items=1682")
    n_ratings = check_int(n_ratings, "n_ratings", minimum=1, example="n_ratings=100_000")
    n_tastes = check_int(n_tastes, "n_tastes", minimum=1, example="n_tastes=4")
    if n_users * n_items > MAX_PAIRS:
        raise ValueError(
            f"n_users * n_items must be at most {MAX_PAIRS:,} (generating takes time in proportion to it); "
            f"got {n_users:,} * {n_items:,} = {n_users * n_items:,}. Use fewer users or movies."
        )
    if not n_users <= n_ratings <= n_users * n_items:
        raise ValueError(
            f"n_ratings must be between n_users ({n_users:,}: every user rates something) and "
            f"n_users * n_items ({n_users * n_items:,}: every pair rated once); got {n_ratings!r}."
        )
    return n_users, n_items, n_ratings, n_tastes


def _ratings_per_user(rng: np.random.Generator, n_users: int, n_items: int, n_ratings: int) -> np.ndarray:
    """How many movies each user rates: at least 20 (as in MovieLens) where possible, long-tailed, summing to ``n_ratings``."""
    least = min(20, n_ratings // n_users, n_items)
    activity = rng.lognormal(0.0, 1.0, n_users)
    counts = least + rng.multinomial(n_ratings - least * n_users, activity / activity.sum())
    while (excess := np.clip(counts - n_items, 0, None).sum()) > 0:  # nobody rates a movie twice
        counts = np.minimum(counts, n_items)
        room = activity * (counts < n_items)
        counts += rng.multinomial(excess, room / room.sum())
    return counts


def _rated_pairs(rng: np.random.Generator, counts: np.ndarray, popularity: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each user, ``counts[u]`` distinct movies drawn in proportion to ``popularity`` (0-based indices)."""
    log_popularity = np.log(popularity)
    items = []
    for count in counts:
        keys = log_popularity + rng.gumbel(size=popularity.size)  # top-k of Gumbel keys: sampling without replacement
        items.append(np.argpartition(-keys, count - 1)[:count])
    _rate_every_movie(rng, items, popularity.size)
    return np.repeat(np.arange(counts.size), counts), np.concatenate([np.sort(chosen) for chosen in items])


def _rate_every_movie(rng: np.random.Generator, items: list[np.ndarray], n_items: int) -> None:
    """Give each unrated movie one rating, taken from a movie rated more than once (as in MovieLens, every movie is rated)."""
    counts = np.bincount(np.concatenate(items), minlength=n_items)
    for movie in np.flatnonzero(counts == 0):
        for user in rng.permutation(len(items)):
            spare = np.flatnonzero(counts[items[user]] > 1)
            if spare.size and movie not in items[user]:
                position = spare[rng.integers(spare.size)]
                counts[items[user][position]] -= 1
                items[user][position], counts[movie] = movie, 1
                break


def _movie_genres(rng: np.random.Generator, n_items: int) -> np.ndarray:
    """A (n_items, 18) 0/1 matrix: one to three genres per movie, common genres more often."""
    weights = np.asarray(_GENRE_FREQUENCY, dtype=float)
    flags = np.zeros((n_items, len(GENRES)), dtype=np.int8)
    for item, how_many in enumerate(rng.choice([1, 2, 3], size=n_items, p=[0.5, 0.35, 0.15])):
        flags[item, rng.choice(len(GENRES), size=how_many, replace=False, p=weights / weights.sum())] = 1
    return flags


def _movies_table(rng: np.random.Generator, genre_flags: np.ndarray) -> pd.DataFrame:
    """Made-up titles and years for the movies, in the ``load_movies`` layout."""
    n_items = genre_flags.shape[0]
    years = 1998 - np.minimum(rng.exponential(8.0, n_items).astype(int), 78)
    titles, seen = [], {}
    for adjective, noun, year in zip(rng.choice(_ADJECTIVES, n_items), rng.choice(_NOUNS, n_items), years):
        name = f"The {adjective} {noun}"
        seen[name] = seen.get(name, 0) + 1
        titles.append(f"{name}{'' if seen[name] == 1 else f' {seen[name]}'} ({year})")
    movies = pd.DataFrame(
        {
            "item_id": np.arange(1, n_items + 1, dtype=np.int64),
            "title": pd.Series(titles, dtype=str),
            "year": pd.Series(years, dtype="Int64"),
            "genres": pd.Series(["|".join(g for g, flag in zip(GENRES, row) if flag) for row in genre_flags], dtype=str),
        }
    )
    return pd.concat([movies, pd.DataFrame(genre_flags, columns=list(GENRES))], axis=1)
