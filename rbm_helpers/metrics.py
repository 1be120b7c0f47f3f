"""Metrics for recommendations, computed on held-out (user, movie) pairs.

Everything here takes dense ``(n_users, n_movies)`` tensors, the shape the
RBMs work in:

- ``scores``: the model's predicted probability that each user likes each
  movie, p(liked), in [0, 1];
- ``test_matrix``: the held-out answers, 1 (liked: rating >= 3), 0 (disliked)
  and -1 (``MISSING``) for every pair that is not held out;
- ``train_matrix`` (for the top-k ranking only): the training answers in the
  same format, so that movies a user already rated are not recommended again.

Pairs (user ids, movie ids, values) become such a matrix with
``matrix_from_pairs``. Star ratings (1-5, for the softmax model) are scored by
``rmse`` and ``mae``. Binary metrics average *per user* first where the seed
article does (the two MAEs), pool all pairs for ``auc`` (optionally per user),
and average precision@k over users.

Introduced in notebook 05 ("Recommend and evaluate honestly").
"""
from __future__ import annotations

import math

import torch

from .validation import MISSING

__all__ = [
    "per_user_mean",
    "auc",
    "evaluate_binary",
    "mae",
    "mae_sampled",
    "mae_threshold",
    "matrix_from_pairs",
    "precision_at_k",
    "rmse",
]


# ---------------------------------------------------------------------- input checks
def _describe(x: torch.Tensor) -> str:
    finite = x[torch.isfinite(x)]
    if finite.numel() == 0:
        return "no finite values"
    return f"values in [{finite.min().item():g}, {finite.max().item():g}]"


def _check_tensor(x: object, name: str, expected_shape: str) -> torch.Tensor:
    if not isinstance(x, torch.Tensor):
        raise ValueError(
            f"{name} must be a torch.Tensor of shape {expected_shape}; got {type(x).__name__}. "
            f"Convert with torch.as_tensor({name}, dtype=torch.float64)."
        )
    if torch.isnan(x).any() if x.is_floating_point() else False:
        raise ValueError(f"{name} must not contain NaN; got {int(torch.isnan(x).sum())} NaN entries.")
    return x.detach().to(device="cpu", dtype=torch.float64)


def _check_2d(x: torch.Tensor, name: str) -> None:
    if x.dim() != 2:
        raise ValueError(
            f"{name} must be a 2-D tensor of shape (n_users, n_movies); got shape {tuple(x.shape)}."
        )


def _check_same_shape(x: torch.Tensor, name: str, reference: torch.Tensor, reference_name: str) -> None:
    if x.shape != reference.shape:
        raise ValueError(
            f"{name} must have the shape of {reference_name} {tuple(reference.shape)}; got {tuple(x.shape)}."
        )


def check_scores(scores: object, name: str = "scores") -> torch.Tensor:
    """Check that ``scores`` is a 2-D tensor of probabilities in [0, 1] without NaN; return it as float64.

    Raises ValueError naming ``name``. Introduced in notebook 05.
    """
    scores = _check_tensor(scores, name, "(n_users, n_movies)")
    _check_2d(scores, name)
    if scores.numel() and not bool(((scores >= 0) & (scores <= 1)).all()):
        raise ValueError(
            f"{name} must hold probabilities p(liked) in [0, 1]; got {_describe(scores)}. "
            f"Did you pass logits or star ratings? Apply torch.sigmoid, or use rmse/mae for ratings."
        )
    return scores


def check_binary_matrix(matrix: object, name: str) -> torch.Tensor:
    """Check that ``matrix`` is 2-D and holds only 1 (liked), 0 (disliked) and -1 (missing); return it as float64.

    Raises ValueError naming ``name``. Introduced in notebook 05.
    """
    matrix = _check_tensor(matrix, name, "(n_users, n_movies)")
    _check_2d(matrix, name)
    if not bool(((matrix == 0) | (matrix == 1) | (matrix == MISSING)).all()):
        raise ValueError(
            f"{name} must hold 1 (liked), 0 (disliked) or -1 (not rated / not held out); got {_describe(matrix)}. "
            f"Did you pass star ratings? Binarize them: liked = rating >= 3."
        )
    return matrix


def _check_k(k: object) -> int:
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be an integer >= 1; got {k!r}.")
    return k


def _held_out(test_matrix: torch.Tensor) -> torch.Tensor:
    held = test_matrix != MISSING
    if not bool(held.any()):
        raise ValueError("test_matrix holds no held-out pair (every entry is -1); nothing to evaluate.")
    return held


def per_user_mean(errors: torch.Tensor, held: torch.Tensor) -> float:
    """Mean error per user over that user's held-out pairs, then the mean over users who have any.

    Introduced in notebook 05 (per-user averaging).
    """
    counts = held.sum(1)
    users = counts > 0
    per_user = (errors * held).sum(1)[users] / counts[users]
    return per_user.mean().item()


# ---------------------------------------------------------------------- binary metrics
def mae_threshold(scores: torch.Tensor, test_matrix: torch.Tensor) -> float:
    """Mean absolute error of the thresholded prediction (1 if score >= 0.5, else 0) on held-out pairs.

    The error is averaged over each user's held-out pairs first, then over the
    users who have any, as the seed article averages its test loss. With 0/1
    predictions this is the fraction of a user's held-out movies predicted
    wrongly. Introduced in notebook 05.
    """
    scores = check_scores(scores)
    test_matrix = check_binary_matrix(test_matrix, "test_matrix")
    _check_same_shape(test_matrix, "test_matrix", scores, "scores")
    held = _held_out(test_matrix)
    predicted = (scores >= 0.5).to(torch.float64)
    return per_user_mean((predicted - test_matrix).abs(), held)


def mae_sampled(scores: torch.Tensor, test_matrix: torch.Tensor, *, seed: int = 0) -> float:
    """The seed article's test loss: one Bernoulli sample of each prediction against the held-out truth.

    Each entry is drawn as 1 with probability ``scores`` (``torch.bernoulli``
    with a generator seeded by ``seed``); the absolute error is averaged per
    user, then over users. Its expected value is the per-user mean of
    |truth - score|; the sample adds noise. Introduced in notebook 05.
    """
    scores = check_scores(scores)
    test_matrix = check_binary_matrix(test_matrix, "test_matrix")
    _check_same_shape(test_matrix, "test_matrix", scores, "scores")
    held = _held_out(test_matrix)
    generator = torch.Generator().manual_seed(seed)
    sample = torch.bernoulli(scores, generator=generator)
    return per_user_mean((sample - test_matrix).abs(), held)


def _average_ranks(values: torch.Tensor) -> torch.Tensor:
    """Ranks 1..n of ``values`` (1-D), tied values sharing the mean of their ranks."""
    _, inverse, counts = torch.unique(values, return_inverse=True, return_counts=True)
    last = counts.cumsum(0).to(torch.float64)
    return (last - (counts.to(torch.float64) - 1) / 2)[inverse]


def _auc_of(scores: torch.Tensor, labels: torch.Tensor) -> float:
    """Mann-Whitney AUC of 1-D ``scores`` for 0/1 ``labels``; NaN without both classes."""
    n_pos = int(labels.sum())
    n_neg = labels.numel() - n_pos
    if n_pos == 0 or n_neg == 0:
        return math.nan
    rank_sum = _average_ranks(scores)[labels == 1].sum().item()
    return (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def auc(scores: torch.Tensor, test_matrix: torch.Tensor, *, per_user: bool = False) -> float:
    """ROC AUC of ``scores`` for the held-out liked (1) against disliked (0) pairs.

    The probability that a random liked pair scores higher than a random
    disliked one, ties counting one half (the Mann-Whitney statistic from
    average ranks; equal to ``sklearn.metrics.roc_auc_score``).
    ``per_user=False`` pools all held-out pairs (how well the scores rank
    pairs across users); ``per_user=True`` computes it within each user who has
    both liked and disliked held-out movies and averages over those users (how
    well it ranks one user's movies; usually lower). 0.5 is chance.
    Introduced in notebook 05.
    """
    scores = check_scores(scores)
    test_matrix = check_binary_matrix(test_matrix, "test_matrix")
    _check_same_shape(test_matrix, "test_matrix", scores, "scores")
    held = _held_out(test_matrix)
    if not per_user:
        value = _auc_of(scores[held], test_matrix[held])
        if math.isnan(value):
            raise ValueError(
                "test_matrix must hold both liked (1) and disliked (0) held-out pairs for an AUC; "
                f"got only {'liked' if bool((test_matrix[held] == 1).all()) else 'disliked'} ones."
            )
        return value
    values = [_auc_of(scores[u][held[u]], test_matrix[u][held[u]]) for u in range(scores.shape[0])]
    values = [v for v in values if not math.isnan(v)]
    if not values:
        raise ValueError("no user has both liked (1) and disliked (0) held-out pairs; a per-user AUC is undefined.")
    return sum(values) / len(values)


def precision_at_k(
    scores: torch.Tensor,
    test_matrix: torch.Tensor,
    train_matrix: torch.Tensor | None = None,
    *,
    k: int = 10,
) -> float:
    """Precision@k of each user's top-k recommendations, averaged over users.

    For every user, the candidates are the movies the user did *not* rate in
    training (``train_matrix == -1``; every movie if ``train_matrix`` is None).
    They are ranked by ``scores`` and the top k are recommended. A hit is a
    recommended movie that is held out for that user and liked
    (``test_matrix == 1``); unrated and held-out-disliked movies count as misses.
    Precision = hits / k (k = the number of candidates if fewer). The mean is
    over users with at least one liked held-out movie among their candidates.

    Ties are broken fairly: when tied scores straddle the k-th place, each of
    the tied movies is taken with equal probability and the *expected* number
    of hits is used. So a constant score gives the base rate rather than
    whatever the movie ids' order happens to favour.
    A held-out pair must not also be a training pair (a leak): ValueError.
    Introduced in notebook 05.
    """
    scores = check_scores(scores)
    test_matrix = check_binary_matrix(test_matrix, "test_matrix")
    _check_same_shape(test_matrix, "test_matrix", scores, "scores")
    k = _check_k(k)
    held = _held_out(test_matrix)
    if train_matrix is None:
        candidate = torch.ones_like(held)
    else:
        train_matrix = check_binary_matrix(train_matrix, "train_matrix")
        _check_same_shape(train_matrix, "train_matrix", scores, "scores")
        candidate = train_matrix == MISSING
        leaks = int((held & ~candidate).sum())
        if leaks:
            raise ValueError(
                f"train_matrix and test_matrix must not share a (user, movie) pair; got {leaks} pairs "
                f"in both. A held-out rating that is also in training makes the evaluation dishonest."
            )
    relevant = candidate & (test_matrix == 1)
    users = relevant.any(1)
    if not bool(users.any()):
        raise ValueError("test_matrix holds no liked (1) held-out pair among the candidates; precision@k is undefined.")
    scores, candidate, relevant = scores[users], candidate[users], relevant[users]

    ranked = torch.where(candidate, scores, torch.full_like(scores, -math.inf)).sort(1, descending=True).values
    k_user = candidate.sum(1).clamp(max=k)
    kth_score = ranked.gather(1, (k_user - 1).unsqueeze(1))
    above = candidate & (scores > kth_score)
    tied = candidate & (scores == kth_score)
    free_places = (k_user - above.sum(1)).to(torch.float64)
    hits = (relevant & above).sum(1) + free_places * (relevant & tied).sum(1) / tied.sum(1)
    return (hits / k_user).mean().item()


def evaluate_binary(
    scores: torch.Tensor,
    test_matrix: torch.Tensor,
    train_matrix: torch.Tensor | None = None,
    *,
    k: int = 10,
    seed: int = 0,
) -> dict[str, float]:
    """All binary metrics at once: ``mae_sampled``, ``mae_threshold``, ``auc`` (pooled) and ``precision_at_{k}``.

    ``scores`` are p(liked) for every (user, movie), ``test_matrix`` the
    held-out 0/1 answers (-1 elsewhere), ``train_matrix`` the training answers
    (excluded from the top-k ranking). ``seed`` fixes the sample of
    ``mae_sampled``. Introduced in notebook 05.
    """
    return {
        "mae_sampled": mae_sampled(scores, test_matrix, seed=seed),
        "mae_threshold": mae_threshold(scores, test_matrix),
        "auc": auc(scores, test_matrix),
        f"precision_at_{k}": precision_at_k(scores, test_matrix, train_matrix, k=k),
    }


# ---------------------------------------------------------------------- rating metrics
def _rating_errors(predictions: object, ratings: object, missing: float) -> torch.Tensor:
    predictions = _check_tensor(predictions, "predictions", "(n_users, n_movies) or (n_pairs,)")
    ratings = _check_tensor(ratings, "ratings", "(n_users, n_movies) or (n_pairs,)")
    _check_same_shape(predictions, "predictions", ratings, "ratings")
    if not bool(torch.isfinite(predictions).all()):
        raise ValueError(f"predictions must be finite; got {_describe(predictions)} and some inf.")
    held = ratings != missing
    if not bool(held.any()):
        raise ValueError(f"ratings holds no rating (every entry is the missing value {missing:g}); nothing to evaluate.")
    return predictions[held] - ratings[held]


def rmse(predictions: torch.Tensor, ratings: torch.Tensor, *, missing: float = MISSING) -> float:
    """Root mean squared error of predicted star ratings over every held-out rating (pooled, not per user).

    ``ratings`` holds the held-out stars and ``missing`` (default -1) where
    there is none; ``predictions`` has the same shape (a dense matrix, or one
    value per pair). Pooled as scikit-surprise's ``accuracy.rmse``.
    Introduced in notebook 06 ("Softmax units").
    """
    errors = _rating_errors(predictions, ratings, missing)
    return errors.pow(2).mean().sqrt().item()


def mae(predictions: torch.Tensor, ratings: torch.Tensor, *, missing: float = MISSING) -> float:
    """Mean absolute error of predicted star ratings over every held-out rating (pooled, not per user).

    Same inputs as ``rmse``. Introduced in notebook 06 ("Softmax units").
    """
    errors = _rating_errors(predictions, ratings, missing)
    return errors.abs().mean().item()


# ---------------------------------------------------------------------- pairs
def matrix_from_pairs(
    users: torch.Tensor,
    movies: torch.Tensor,
    values: torch.Tensor,
    *,
    n_users: int,
    n_movies: int,
    fill: float = MISSING,
) -> torch.Tensor:
    """A dense (n_users, n_movies) float64 matrix with ``values`` at (users, movies) and ``fill`` elsewhere.

    ``users`` and ``movies`` are 0-based integer ids (subtract 1 from
    MovieLens ids). Turns held-out pairs, or a model's per-pair predictions,
    into the matrices the metrics take. Introduced in notebook 05.
    """
    users = torch.as_tensor(users)
    movies = torch.as_tensor(movies)
    values = torch.as_tensor(values, dtype=torch.float64)
    if not (users.dim() == movies.dim() == values.dim() == 1 and len(users) == len(movies) == len(values)):
        raise ValueError(
            "users, movies and values must be 1-D and of equal length; got shapes "
            f"{tuple(users.shape)}, {tuple(movies.shape)} and {tuple(values.shape)}."
        )
    for ids, name, size in ((users, "users", n_users), (movies, "movies", n_movies)):
        if ids.is_floating_point() or ids.dtype == torch.bool:
            raise ValueError(f"{name} must hold integer ids; got dtype {ids.dtype}.")
        if len(ids) and (int(ids.min()) < 0 or int(ids.max()) >= size):
            raise ValueError(
                f"{name} must hold 0-based ids in [0, {size - 1}]; got ids in [{int(ids.min())}, {int(ids.max())}]. "
                f"MovieLens ids start at 1: subtract 1."
            )
    flat = users.long() * n_movies + movies.long()
    if len(flat) != len(torch.unique(flat)):
        raise ValueError(
            f"(users, movies) pairs must be unique; got {len(flat) - len(torch.unique(flat))} repeated pairs."
        )
    matrix = torch.full((n_users, n_movies), float(fill), dtype=torch.float64)
    matrix[users.long(), movies.long()] = values
    return matrix
