"""Checkers for the exercises of notebook 03 (train on MovieLens): the liked matrix and the mini-batches.

Introduced in notebook 03.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import torch

from ..data import RatingsIndex, make_synthetic, ratings_matrix
from .checking import (
    DTYPE,
    call,
    correct,
    diagnose,
    function_name,
    returned_tensor,
    wrong,
)

__all__ = ["check_batch_starts", "check_liked_matrix"]


LIKED_MATRIX_HINT = (
    "Start from torch.full((n_users, n_items), -1.0); user u is row u - 1 and movie i column i - 1 "
    "(MovieLens ids start at 1); put 1.0 where rating >= 3 and 0.0 where rating < 3."
)


def check_liked_matrix(liked_matrix: Callable) -> bool:
    """Check ``liked_matrix(ratings, n_users, n_items)``: the seed's 1 / 0 / -1 matrix of a ratings table.

    ``ratings`` has columns ``user_id, item_id, rating`` with ids from 1; the
    result is a float tensor (n_users, n_items): 1 where rating >= 3, 0 where
    rating is 1 or 2, -1 where unrated. Compared with
    ``ratings_matrix(..., binary=True)``. Introduced in notebook 03.
    """
    ratings, _ = make_synthetic(n_users=30, n_items=40, n_ratings=400, seed=3)
    n_users, n_items = 30, 40
    index = RatingsIndex(np.arange(1, n_users + 1), np.arange(1, n_items + 1))
    expected = ratings_matrix(ratings, index, binary=True, dtype=DTYPE)
    result = returned_tensor(liked_matrix, (ratings, n_users, n_items), LIKED_MATRIX_HINT, shape=tuple(expected.shape),
                             shape_hint="One row per user, one column per movie: shape (n_users, n_items).")
    if result is None:
        return False
    stars = ratings_matrix(ratings, index, dtype=DTYPE)
    diagnosis = diagnose(result, expected, [
        (stars, "the matrix holds the star ratings themselves.", "Binarize: liked = rating >= 3 -> 1, else 0."),
        (torch.where(expected == -1, torch.zeros_like(expected), expected),
         "unrated movies are 0, the same as disliked ones.", "Mark unrated entries -1, so the RBM can leave them out."),
        (ratings_matrix(ratings, index, binary=True, threshold=4, dtype=DTYPE),
         "a rating of 3 counts as disliked.", "The seed's rule is liked = rating >= 3 (3, 4 and 5 are liked)."),
    ])
    if diagnosis:
        return wrong(*diagnosis)
    if not torch.equal(result, expected):
        differing = int((result != expected).sum())
        return wrong(f"{differing} of {expected.numel()} entries differ from ratings_matrix(..., binary=True).", LIKED_MATRIX_HINT)
    return correct(f"{function_name(liked_matrix)} builds the liked / disliked / unrated matrix (30 users x 40 movies, 400 ratings).")


BATCH_HINT = (
    "A batch that starts at row s holds rows s .. s + batch_size - 1. Step the starts by batch_size from row 0, "
    "and keep going while the start is still a row of the data: the last batch may hold fewer than batch_size users."
)
SEED_LOOP_HINT = (
    "The seed's loop stops where a *full* batch no longer fits (its stop is n_users - batch_size), so the last, "
    "smaller batch never starts. Where must the starts stop so that it does?"
)


def check_batch_starts(batch_starts: Callable) -> bool:
    """Check ``batch_starts(n_users, batch_size)``: the first row of each mini-batch, so every user is in exactly one.

    The batches are rows ``start : start + batch_size``; the seed's loop,
    ``range(0, n_users - batch_size, batch_size)``, leaves the last users out
    (43 of ml-100k's 943 with batches of 100). Introduced in notebook 03.
    """
    cases = [(943, 100), (900, 100), (10, 3), (5, 10), (1, 1), (101, 100)]
    for n_users, batch_size in cases:
        returned, error = call(batch_starts, n_users, batch_size)
        if error:
            return wrong(error, BATCH_HINT)
        try:
            starts = [int(s) for s in returned]
        except (TypeError, ValueError):
            return wrong(f"batch_starts({n_users}, {batch_size}) returned a {type(returned).__name__}, not a list of ints.", BATCH_HINT)
        covered = np.zeros(n_users, dtype=int)
        for start in starts:
            covered[max(start, 0) : start + batch_size] += 1
        seed_loop = list(range(0, n_users - batch_size, batch_size))
        if starts == seed_loop and (covered == 0).any():
            return wrong(f"for {n_users} users in batches of {batch_size}, this is the seed's loop: the last "
                         f"{int((covered == 0).sum())} users are never trained on.", SEED_LOOP_HINT)
        if (covered == 0).any():
            return wrong(f"for {n_users} users in batches of {batch_size}, {int((covered == 0).sum())} users are in no batch "
                         f"(the first is row {int(np.flatnonzero(covered == 0)[0])}).", BATCH_HINT)
        if (covered > 1).any() or any(s < 0 or s >= n_users for s in starts):
            return wrong(f"for {n_users} users in batches of {batch_size}, some batches overlap or start outside "
                         f"0..{n_users - 1}: {starts[:8]}.", BATCH_HINT)
    return correct(f"{function_name(batch_starts)} puts every user in exactly one batch ({len(cases)} cases, including 943 users in batches of 100).")
