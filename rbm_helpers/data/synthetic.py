"""A MovieLens-style data set generated from a seed, for working offline and for tests.

Same columns as the real thing, a realistic shape (by default 943 users, 1,682
movies, 100,000 ratings 1-5 in MovieLens 100K's proportions, long-tailed movie
popularity and user activity, at least 20 ratings per user) and a structure an
RBM can learn: each user's ratings come from a planted low-rank taste model
over genres. Every user has a taste for each genre (a rank-``n_tastes``
mixture of a few "taste profiles"); every movie has one to three genres and a
quality; a user's score for a movie is their leniency plus the movie's quality
plus their taste for its genres, plus noise; the scores are cut into 1-5 stars
at the quantiles that reproduce MovieLens 100K's rating counts (or, with
``half_stars=True``, into 0.5-5.0 in MovieLens 25M's proportions).

Who rates which movies is drawn in one of two ways, chosen by size. Up to
``DENSE_USERS`` users and ``DENSE_PAIRS`` possible (user, movie) pairs, each
user in turn ranks every movie by a random key (time in proportion to
n_users * n_items): the original draw, kept so that small data sets stay the
same numbers. Above (MovieLens 1M has 22 million pairs, 25M 9.6 billion) the
sparse draw takes time and memory in proportion to ``n_ratings``: movies are
drawn with replacement and repeats drawn again, genres and tastes are
computed for all movies at once. Both give each user distinct movies drawn
one after another in proportion to popularity: the numbers differ, not the
distribution.
Introduced in notebook 03 (Train an RBM on MovieLens) as the offline stand-in.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .checks import check_flag, check_int, check_number, check_seed

GENRES = (
    "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary", "Drama", "Fantasy",
    "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western",
)  # fmt: skip
"""The 18 MovieLens 100K genres (without its "unknown")."""

_GENRE_FREQUENCY = (251, 135, 42, 122, 505, 109, 50, 725, 22, 24, 92, 56, 61, 247, 101, 251, 71, 27)
"""How many ml-100k movies have each genre: synthetic movies get genres in these proportions."""

RATING_SHARES = (0.0611, 0.1137, 0.27145, 0.34174, 0.21201)
"""The share of 1..5 stars in MovieLens 100K (6,110 / 11,370 / 27,145 / 34,174 / 21,201 of 100,000)."""

HALF_STAR_COUNTS = (393_068, 776_815, 399_490, 1_640_868, 1_262_797, 4_896_928, 3_177_318, 6_639_798, 2_200_539, 3_612_474)
"""How many of MovieLens 25M's 25,000,095 ratings are 0.5, 1.0, ..., 5.0 stars: ``half_stars=True`` follows them."""

TIME_RANGE = (874_724_710, 893_286_638)
"""First and last timestamps of MovieLens 100K (Sept 1997 to April 1998)."""

HALF_STAR_TIME_RANGE = (789_652_009, 1_574_327_703)
"""First and last timestamps of MovieLens 25M (Jan 1995 to Nov 2019), for ``half_stars=True``."""

DENSE_USERS, DENSE_PAIRS = 10_000, 4_000_000
"""Up to this many users and (user, movie) pairs, the original per-user draw; above, the sparse draw (see the module docstring)."""

MAX_USERS, MAX_ITEMS, MAX_RATINGS = 2_000_000, 1_000_000, 50_000_000
"""Size limits: the peak memory is about 60 bytes per rating and 300 per user or movie (25 million ratings: 1.5 GiB)."""

_CHUNK = 1 << 20
"""Ratings handled at a time where a step needs a few floats per rating and genre."""

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
    half_stars: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A deterministic MovieLens-like data set: ``(ratings, movies)``.

    ``ratings`` has the columns of ``load_movielens`` (``user_id`` 1..n_users,
    ``item_id`` 1..n_items, integer ``rating`` 1-5, ``timestamp``) and exactly
    ``n_ratings`` rows, no (user, movie) pair twice, sorted by user then movie;
    ``movies`` has the columns of ``load_movies`` with made-up titles. The same
    arguments always give the same data. ``n_tastes`` is the rank of the
    planted user-by-genre taste matrix and ``noise`` the standard deviation of
    the per-rating noise (relative to a taste of standard deviation 1): with
    ``noise=0`` ratings follow the planted model exactly. ``half_stars=True``
    gives float ratings 0.5, 1.0, ..., 5.0 in MovieLens 25M's proportions
    (and its time span), like ml-10m and later. Any size up to MovieLens 32M's
    takes seconds: ``make_synthetic(162_541, 59_047, 25_000_095)`` is shaped
    like MovieLens 25M.
    Introduced in notebook 03 as the offline stand-in for MovieLens.
    """
    n_users, n_items, n_ratings, n_tastes = _check_sizes(n_users, n_items, n_ratings, n_tastes)
    seed = check_seed(seed)
    noise = check_number(noise, "noise", low=0, example="noise=0.8")
    half_stars = check_flag(half_stars, "half_stars")
    rng = np.random.default_rng(seed)
    dense = n_users <= DENSE_USERS and n_users * n_items <= DENSE_PAIRS
    genre_flags = (_movie_genres if dense else _movie_genres_at_once)(rng, n_items)
    quality = rng.standard_normal(n_items)
    popularity = np.exp(1.6 * rng.standard_normal(n_items) + 0.5 * quality)
    counts = _ratings_per_user(rng, n_users, n_items, n_ratings)
    users, items = (_rated_pairs if dense else _sparse_pairs)(rng, counts, popularity)

    taste_profiles = rng.standard_normal((n_tastes, len(GENRES)))
    user_taste = rng.standard_normal((n_users, n_tastes)) / np.sqrt(n_tastes) @ taste_profiles
    leniency = 0.5 * rng.standard_normal(n_users)
    taste = (_genre_taste if dense else _genre_taste_by_slots)(users, items, user_taste, genre_flags)
    stars = _stars(_scores(rng, users, items, leniency, quality, taste, noise), half_stars)
    del taste
    first, last = HALF_STAR_TIME_RANGE if half_stars else TIME_RANGE
    users += 1  # in place: at 25 million ratings every copy costs 200 MB
    items += 1
    ratings = pd.DataFrame(
        {"user_id": users, "item_id": items, "rating": stars, "timestamp": rng.integers(first, last + 1, users.size)}, copy=False
    )
    return ratings, _movies_table(rng, genre_flags)


def _check_sizes(n_users: object, n_items: object, n_ratings: object, n_tastes: object) -> tuple[int, int, int, int]:
    """Whole numbers >= 1 within the size limits, with ``n_users <= n_ratings <= n_users * n_items``."""
    n_users = check_int(n_users, "n_users", minimum=1, example="n_users=943")
    n_items = check_int(n_items, "n_items", minimum=1, example="n_items=1682")
    n_ratings = check_int(n_ratings, "n_ratings", minimum=1, example="n_ratings=100_000")
    n_tastes = check_int(n_tastes, "n_tastes", minimum=1, example="n_tastes=4")
    for name, value, limit in (("n_users", n_users, MAX_USERS), ("n_items", n_items, MAX_ITEMS), ("n_ratings", n_ratings, MAX_RATINGS)):
        if value > limit:
            raise ValueError(
                f"{name} must be at most {limit:,} (memory grows with it; MovieLens 32M has 200,948 users, "
                f"87,585 movies and 32,000,204 ratings); got {value:,}. Use fewer."
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


# --- the sparse draw: time and memory in proportion to n_ratings ---------------------------------


def _sparse_pairs(rng: np.random.Generator, counts: np.ndarray, popularity: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``_rated_pairs`` for large sizes: the same distribution, drawn block by block of users.

    A user who rates more than an eighth of all movies ranks them all by a
    random key, as ``_rated_pairs`` does (``_draw_ranked``); the others draw
    movies with replacement until they have enough distinct ones
    (``_draw_distinct``).
    """
    n_items = popularity.size
    weights = popularity / popularity.sum()
    alias = _alias_table(weights)
    ends = np.searchsorted(np.cumsum(counts), np.arange(_CHUNK, counts.sum(), _CHUNK), side="right")
    keys = []
    for start, stop in zip(np.r_[0, ends], np.r_[ends, counts.size]):
        if start < stop:
            keys.append(start * n_items + _draw_block(rng, counts[start:stop], weights, alias))
    keys = np.concatenate(keys)
    users, items = np.divmod(keys, n_items)
    del keys
    _rate_every_movie_at_once(rng, users, items, n_items)
    return users, items


def _draw_block(rng: np.random.Generator, counts: np.ndarray, weights: np.ndarray, alias: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Sorted keys ``user * n_items + item`` (users 0-based within the block) of ``counts[user]`` distinct movies each."""
    heavy = counts * 8 > weights.size
    light = np.where(heavy, 0, counts)
    return np.sort(np.concatenate([_draw_distinct(rng, light, weights, alias), _draw_ranked(rng, np.flatnonzero(heavy), counts, weights)]))


def _draw_ranked(rng: np.random.Generator, users: np.ndarray, counts: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Keys of ``counts[user]`` distinct movies for each of ``users``: the top of a random key per movie, as ``_rated_pairs`` draws.

    Time in proportion to ``users.size * n_items``: for users who rate more than an eighth of all movies.
    """
    n_items = weights.size
    log_weights = np.log(weights)
    keys = []
    rows = max(1, _CHUNK // n_items)
    for start in range(0, users.size, rows):
        chunk = users[start : start + rows]
        wanted = counts[chunk]
        score = log_weights + rng.gumbel(size=(chunk.size, n_items))
        top = np.argpartition(-score, wanted.max() - 1, axis=1)[:, : wanted.max()]
        top = np.take_along_axis(top, np.argsort(-np.take_along_axis(score, top, axis=1), axis=1), axis=1)
        keys.append(np.repeat(chunk * n_items, wanted) + top[np.arange(top.shape[1]) < wanted[:, None]])
    return np.concatenate(keys) if keys else np.empty(0, dtype=np.int64)


def _draw_distinct(rng: np.random.Generator, need: np.ndarray, weights: np.ndarray, alias: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Sorted keys of ``need[user]`` distinct movies per user: draws with replacement, each repeat drawn again.

    Keeping the first ``need[user]`` distinct movies of a stream of draws in
    proportion to ``weights`` is exactly sampling without replacement one
    movie after another. Each round draws a little more than a user still
    needs (scaled by the weight not yet taken) and keeps the first new ones.
    """
    n_items = weights.size
    need = need.copy()
    taken_weight = np.zeros(need.size)
    chosen = np.empty(0, dtype=np.int64)
    while (active := np.flatnonzero(need)).size:
        draws = np.ceil(need[active] * 1.25 / np.maximum(1.0 - taken_weight[active], 0.05)).astype(np.int64) + 1
        drawn = np.repeat(active * n_items, draws)
        drawn += _alias_draw(rng, alias, drawn.size)
        fresh, first_seen = np.unique(drawn, return_index=True)
        del drawn
        new = ~_sorted_contains(chosen, fresh)
        fresh = fresh[new][np.argsort(first_seen[new], kind="stable")]  # in order of drawing, user by user
        user = fresh // n_items
        fresh = fresh[_rank_within_runs(user) < need[user]]  # each user's first new movies, as many as needed
        user = fresh // n_items
        need -= np.bincount(user, minlength=need.size)
        taken_weight += np.bincount(user, weights=weights[fresh - user * n_items], minlength=need.size)
        chosen = np.sort(np.concatenate([chosen, fresh]))
    return chosen


def _rank_within_runs(values: np.ndarray) -> np.ndarray:
    """0, 1, 2, ... within each run of equal neighbours: [7, 7, 7, 9, 9] -> [0, 1, 2, 0, 1]."""
    if not values.size:
        return values
    starts = np.flatnonzero(np.r_[True, values[1:] != values[:-1]])
    return np.arange(values.size) - np.repeat(starts, np.diff(np.r_[starts, values.size]))


def _sorted_contains(sorted_keys: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Whether each of ``keys`` is in ``sorted_keys`` (sorted ascending)."""
    if not sorted_keys.size:
        return np.zeros(keys.size, dtype=bool)
    at = np.minimum(np.searchsorted(sorted_keys, keys), sorted_keys.size - 1)
    return sorted_keys[at] == keys


def _alias_table(weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Walker's alias table for drawing index i with probability ``weights[i]`` (summing to 1) in constant time.

    Column j keeps j with probability ``keep[j]`` and otherwise gives ``other[j]``.
    """
    n = weights.size
    scaled = (weights * n).tolist()
    keep, other = [1.0] * n, list(range(n))
    small = [j for j, w in enumerate(scaled) if w < 1.0]
    large = [j for j, w in enumerate(scaled) if w >= 1.0]
    while small and large:
        j, k = small.pop(), large[-1]
        keep[j], other[j] = scaled[j], k
        scaled[k] -= 1.0 - scaled[j]
        if scaled[k] < 1.0:
            small.append(large.pop())
    return np.asarray(keep), np.asarray(other, dtype=np.int64)


def _alias_draw(rng: np.random.Generator, alias: tuple[np.ndarray, np.ndarray], size: int) -> np.ndarray:
    """``size`` independent indices drawn with the alias table's probabilities."""
    keep, other = alias
    column = rng.integers(0, keep.size, size)
    return np.where(rng.random(size) < keep[column], column, other[column])


def _rate_every_movie_at_once(rng: np.random.Generator, users: np.ndarray, items: np.ndarray, n_items: int) -> None:
    """``_rate_every_movie`` for large sizes: random ratings of movies rated more than once go to the unrated movies.

    Changes ``items`` in place and keeps each user's movies sorted.
    """
    unrated = np.flatnonzero(np.bincount(items, minlength=n_items) == 0)
    if not unrated.size:
        return
    first = np.full(n_items, items.size)
    np.minimum.at(first, items, np.arange(items.size))
    spare = np.flatnonzero(first[items] != np.arange(items.size))  # every rating but each movie's first
    moved = spare[rng.choice(spare.size, size=min(unrated.size, spare.size), replace=False)]
    items[moved] = unrated[: moved.size]
    touched = np.zeros(users[-1] + 1, dtype=bool)
    touched[users[moved]] = True
    rows = np.flatnonzero(touched[users])  # the touched users' ratings: re-sort their movies
    items[rows] = np.sort(users[rows] * n_items + items[rows]) % n_items


def _movie_genres_at_once(rng: np.random.Generator, n_items: int) -> np.ndarray:
    """``_movie_genres`` for large sizes: the same distribution, all movies in one draw."""
    weights = np.asarray(_GENRE_FREQUENCY, dtype=float)
    how_many = rng.choice([1, 2, 3], size=n_items, p=[0.5, 0.35, 0.15])
    keys = np.log(weights / weights.sum()) + rng.gumbel(size=(n_items, len(GENRES)))
    first = np.argsort(-keys, axis=1)[np.arange(len(GENRES)) < how_many[:, None]]  # each movie's top how_many genres
    flags = np.zeros((n_items, len(GENRES)), dtype=np.int8)
    flags[np.repeat(np.arange(n_items), how_many), first] = 1
    return flags


# --- ratings from the planted model ----------------------------------------------------------------


def _genre_taste(users: np.ndarray, items: np.ndarray, user_taste: np.ndarray, genre_flags: np.ndarray) -> np.ndarray:
    """Each rating's user taste for the movie's genres, averaged over its genres (the original sum over all 18)."""
    genre_mix = genre_flags / genre_flags.sum(axis=1, keepdims=True)
    taste = np.empty(users.size)
    for start in range(0, users.size, _CHUNK):  # 2 x 18 floats per rating at a time
        part = slice(start, start + _CHUNK)
        taste[part] = np.einsum("pg,pg->p", user_taste[users[part]], genre_mix[items[part]])
    return taste


def _genre_taste_by_slots(users: np.ndarray, items: np.ndarray, user_taste: np.ndarray, genre_flags: np.ndarray) -> np.ndarray:
    """``_genre_taste`` for large sizes: the same numbers up to rounding, from each movie's (at most 3) genres only."""
    n_genres = genre_flags.shape[1]
    how_many = genre_flags.sum(axis=1)
    slots = np.argsort(-genre_flags, axis=1, kind="stable")[:, :3]  # the movie's genres first
    slots = np.where(np.arange(3) < how_many[:, None], slots, n_genres)  # a missing genre points at a column of zeros
    padded = np.concatenate([user_taste, np.zeros((user_taste.shape[0], 1))], axis=1).ravel()
    share = 1.0 / how_many
    taste = np.empty(users.size)
    for start in range(0, users.size, _CHUNK):
        part = slice(start, start + _CHUNK)
        row, movie = users[part] * (n_genres + 1), items[part]
        taste[part] = (padded[row + slots[movie, 0]] + padded[row + slots[movie, 1]] + padded[row + slots[movie, 2]]) * share[movie]
    return taste


def _scores(
    rng: np.random.Generator, users: np.ndarray, items: np.ndarray, leniency: np.ndarray, quality: np.ndarray, taste: np.ndarray, noise: float
) -> np.ndarray:
    """Leniency + 0.6 quality + standardised genre taste + noise: one score per rating, computed in place."""
    score = leniency[users]
    score += 0.6 * quality[items]
    taste /= max(taste.std(), 1e-12)
    score += taste
    jitter = rng.standard_normal(users.size)
    jitter *= noise
    score += jitter
    return score


def _stars(score: np.ndarray, half_stars: bool) -> np.ndarray:
    """Scores cut into 1..5 stars (int64) at MovieLens 100K's shares, or 0.5..5.0 (float64) at MovieLens 25M's."""
    shares = np.asarray(HALF_STAR_COUNTS) / sum(HALF_STAR_COUNTS) if half_stars else RATING_SHARES
    cuts = np.quantile(score, np.cumsum(shares)[:-1])
    level = (np.searchsorted(cuts, score) + 1).astype(np.int64)
    return level / 2 if half_stars else level


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
