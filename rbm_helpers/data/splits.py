"""Seeded train/test splits of a ratings table, for any data set.

For ml-100k the official folds are in ``movielens.load_fold``; ``holdout_split``
works on any ratings table (ml-1m, ml-latest-small, synthetic) and hides part
of each user's ratings, which is what a recommender is scored on: predict the
hidden ratings of users it has seen.
Introduced in notebook 05 (Recommend and evaluate).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .checks import check_number, check_seed
from .matrices import check_ratings


def holdout_split(ratings: pd.DataFrame, *, test_fraction: float = 0.2, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split ``ratings`` into (train, test) by hiding ``test_fraction`` of each user's ratings.

    Each user with n ratings gets round(test_fraction * n) of them, chosen at
    random, in ``test`` -- but at most n - 1, so every user keeps at least
    one training rating (a user with a single rating stays in train only).
    The same ``seed`` and table give the same split. Both parts keep the rows'
    original index and order. Introduced in notebook 05 (Recommend and evaluate).
    """
    check_ratings(ratings)
    test_fraction = check_number(test_fraction, "test_fraction", low=0, high=1, high_open=True, example="test_fraction=0.2")
    seed = check_seed(seed)
    users = pd.factorize(ratings["user_id"])[0]
    rng = np.random.default_rng(seed)
    order = np.lexsort((rng.random(len(ratings)), users))  # rows grouped by user, shuffled within each user
    per_user = np.bincount(users)
    first_of_user = np.cumsum(per_user) - per_user
    rank = np.empty(len(ratings), dtype=np.int64)
    rank[order] = np.arange(len(ratings)) - np.repeat(first_of_user, per_user)
    n_test = np.minimum(np.floor(test_fraction * per_user + 0.5).astype(np.int64), per_user - 1)
    in_test = rank < n_test[users]
    return ratings[~in_test], ratings[in_test]
