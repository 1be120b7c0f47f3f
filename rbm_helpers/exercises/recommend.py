"""Checkers for the exercises of notebook 05 (recommend and evaluate): personal top-10 lists, the thresholded MAE.

``check_personal_lists`` judges scores the learner changed by what their
top-10 lists do (more distinct movies, the same taste); ``check_mae_threshold``
and ``check_top_k`` compare the learner's function with the package's.
Introduced in notebook 05.
"""
from __future__ import annotations

from typing import Callable

import torch

from .. import metrics
from ..recommend import diversity, top_k
from .checking import (
    DTYPE,
    as_tensor,
    correct,
    diagnose_number,
    function_name,
    returned_number,
    returned_tensor,
    wrong,
)

__all__ = ["check_mae_threshold", "check_personal_lists", "check_top_k"]

PERSONAL_HINT = (
    "Rank each movie by how much more the model likes it for this user than for the average user: subtract a "
    "share w of each movie's mean score over all users, scores.mean(0), and try a few w between 0 and 1."
)
MAX_TASTE_LOSS = 0.05
"""How far the within-user AUC may fall below the RBM's before the lists no longer follow each user's taste."""


def _as_ranks(scores: torch.Tensor) -> torch.Tensor:
    """``scores`` mapped into [0, 1] by their rank over the whole matrix (ties kept): rankings unchanged, any scale accepted."""
    values, inverse = torch.unique(scores, return_inverse=True)
    return inverse.to(DTYPE) / max(values.numel() - 1, 1)


def check_personal_lists(my_scores: object, scores: torch.Tensor, fold: object) -> bool:
    """Check scores changed to make top-10 lists more personal while still following each user's taste.

    ``my_scores`` has one score per (user, movie) like ``scores`` (the RBM's
    p(liked)); any scale will do, only the order counts. Its top-10 lists
    (``top_k`` on ``fold.train``) must hold at least twice as many distinct
    movies as the RBM's, and its AUC within each user on ``fold.test`` must
    stay within 0.05 of the RBM's. Introduced in notebook 05 (exercise 1).
    """
    if my_scores is None or my_scores is Ellipsis:
        return wrong("my_scores is not a matrix of scores yet.", PERSONAL_HINT)
    mine, problem = as_tensor(my_scores, "my_scores")
    if problem:
        return wrong(problem, PERSONAL_HINT)
    if tuple(mine.shape) != tuple(scores.shape):
        return wrong(f"my_scores has shape {tuple(mine.shape)}; expected one score per (user, movie), {tuple(scores.shape)}.",
                     PERSONAL_HINT)
    if not bool(torch.isfinite(mine).all()):
        return wrong("my_scores holds NaN or infinite values.", "Keep every score a finite number; only their order counts.")
    lists, reference = top_k(mine, fold.train, 10), top_k(scores.to(DTYPE), fold.train, 10)
    ours, theirs = diversity(lists), diversity(reference)
    if torch.equal(lists, reference):
        return wrong(f"these are the RBM's own lists ({theirs['distinct_movies']} distinct movies over "
                     f"{theirs['lists']} users).", PERSONAL_HINT)
    if ours["distinct_movies"] < 2 * theirs["distinct_movies"]:
        return wrong(f"your lists use {ours['distinct_movies']} distinct movies, the RBM's {theirs['distinct_movies']}: "
                     "not yet twice as many.", PERSONAL_HINT)
    taste, rbm_taste = (metrics.auc(_as_ranks(s), fold.test, per_user=True) for s in (mine, scores.to(DTYPE)))
    if taste < rbm_taste - MAX_TASTE_LOSS:
        return wrong(f"your lists use {ours['distinct_movies']} distinct movies (the RBM's {theirs['distinct_movies']}), "
                     f"but the AUC within each user fell from {rbm_taste:.3f} to {taste:.3f}: they no longer follow each "
                     "user's taste.", "Change the scores less: subtract a smaller part of the average user's scores.")
    precision, rbm_precision = (metrics.precision_at_k(_as_ranks(s), fold.test, fold.train, k=10) for s in (mine, scores.to(DTYPE)))
    return correct(f"Your lists use {ours['distinct_movies']} distinct movies (the RBM's {theirs['distinct_movies']}); the "
                   f"most common one is in {ours['most_common_share']:.0%} of them (the RBM's {theirs['most_common_share']:.0%}). "
                   f"AUC within each user {taste:.3f} (the RBM's {rbm_taste:.3f}); precision@10 {precision:.3f} "
                   f"(the RBM's {rbm_precision:.3f}).")


TOP_K_HINT = (
    "Set the scores of movies the user already rated (train_matrix != -1) to -inf, then take the k largest per row: "
    "torch.topk(masked, k, dim=1).indices, or torch.sort(..., descending=True) and keep the first k columns."
)


def _top_k_case() -> tuple[torch.Tensor, torch.Tensor]:
    """Seeded scores and a training matrix for 12 users x 30 movies; user 0's best-scored movies are rated."""
    generator = torch.Generator().manual_seed(5)
    scores = torch.rand(12, 30, generator=generator, dtype=DTYPE)  # continuous: no ties
    train = torch.full((12, 30), -1.0, dtype=DTYPE)
    rated = torch.rand(12, 30, generator=generator) < 0.3
    train[rated] = (torch.rand(int(rated.sum()), generator=generator) < 0.8).to(DTYPE)
    train[0, :5] = 1.0
    scores[0, :5] = 0.99  # the best-scored movies of user 0 are already rated
    return scores, train


def check_top_k(top_k_fn: Callable) -> bool:
    """Check ``top_k(scores, train_matrix, k)``: each user's k best-scored movies among those not rated in training.

    Returns column indices, shape (n_users, k), best first. Compared with
    ``recommend.top_k``. Introduced in notebook 05.
    """
    scores, train = _top_k_case()
    k = 4
    expected = top_k(scores, train, k)
    result = returned_tensor(top_k_fn, (scores, train, k), TOP_K_HINT, shape=tuple(expected.shape),
                             shape_hint=f"One row per user and k = {k} columns of movie indices.")
    if result is None:
        return False
    result = result.long()
    if result.min() < 0 or result.max() >= scores.shape[1]:
        return wrong(f"the result holds {int(result.min())}..{int(result.max())}; movie indices are 0..{scores.shape[1] - 1}.", TOP_K_HINT)
    already_rated = int((train.gather(1, result) != -1).sum())
    if already_rated:
        return wrong(f"{already_rated} recommendations are movies the user already rated in training.", TOP_K_HINT)
    worst = torch.sort(torch.where(train == -1, scores, torch.full_like(scores, torch.inf)), dim=1, stable=True).indices[:, :k]
    if torch.equal(result, worst):
        return wrong("these are the k *lowest* scores.", "Sort in descending order (largest p(liked) first).")
    if torch.equal(result.sort(1).values, expected.sort(1).values) and not torch.equal(result, expected):
        return wrong("the right movies, in the wrong order.", "Best first: the highest score in column 0.")
    if not torch.equal(result, expected):
        return wrong(f"{int((result != expected).any(1).sum())} of 12 users get different movies than recommend.top_k.", TOP_K_HINT)
    return correct(f"{function_name(top_k_fn)} recommends the best unrated movies, best first (12 users, k = {k}).")


MAE_HINT = (
    "Predict 1 where score >= 0.5, else 0. For each user, average |prediction - truth| over that user's held-out "
    "pairs (test_matrix != -1), then average over the users who have any."
)


def check_mae_threshold(mae_threshold_fn: Callable) -> bool:
    """Check ``mae_threshold(scores, test_matrix)``: the thresholded MAE, averaged per user and then over users.

    Compared with ``metrics.mae_threshold``. Introduced in notebook 05.
    """
    generator = torch.Generator().manual_seed(8)
    scores = torch.rand(20, 15, generator=generator, dtype=DTYPE)
    scores[0, :3] = 0.5  # exactly on the threshold
    test = torch.full((20, 15), -1.0, dtype=DTYPE)
    counts = torch.randint(0, 12, (20,), generator=generator)
    counts[1] = 0  # a user without held-out ratings
    for user, count in enumerate(counts.tolist()):
        test[user, :count] = (torch.rand(count, generator=generator) < 0.7).to(DTYPE)
    test[0, :3] = torch.tensor([1.0, 1.0, 0.0], dtype=DTYPE)
    expected = metrics.mae_threshold(scores, test)
    value = returned_number(mae_threshold_fn, (scores, test), MAE_HINT, number_hint=(
        "Return one number: for each user with held-out pairs, the share of them that "
        "the 0/1 answer (score >= 0.5) gets wrong; then the mean of those shares over the users."))
    if value is None:
        return False
    held = test != -1
    predicted = (scores >= 0.5).to(DTYPE)
    pooled = ((predicted - test).abs()[held]).mean().item()
    strict = metrics.mae_threshold(torch.where(scores == 0.5, torch.zeros_like(scores), scores), test)
    all_users = ((predicted - test).abs() * held).sum(1).div(held.sum(1).clamp(min=1)).mean().item()
    unthresholded = metrics.per_user_mean((scores - test).abs(), held)
    candidates = [
        (pooled, "this is pooled over all pairs, not averaged per user first.", "Average within each user, then over users (as the seed does)."),
        (strict, "a score of exactly 0.5 is predicted as 0.", "The rule is score >= 0.5 -> liked."),
        (all_users, "users without held-out pairs count as 0 in the mean.", "Average only over users who have held-out pairs."),
        (unthresholded, "the scores are not thresholded.", "Turn each score into 0 or 1 first: (scores >= 0.5)."),
    ]
    diagnosis = diagnose_number(value, expected, candidates, tolerance=1e-9)
    if diagnosis:
        return wrong(*diagnosis)
    if abs(value - expected) > 1e-9:
        return wrong(f"got {value:.6f}; expected {expected:.6f}.", MAE_HINT)
    return correct(f"{function_name(mae_threshold_fn)} = {value:.4f}, as metrics.mae_threshold (20 users, one without held-out pairs).")
