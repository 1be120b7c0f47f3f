"""Checkers for the exercises of notebooks 03-05 (MovieLens): run your function, compare, explain.

Like ``rbm_helpers.exercises``: each ``check_*`` calls your function on small
seeded cases, compares with ``rbm_helpers``, prints "Correct!" or what is
wrong with a hint, and returns ``True`` or ``False``; it never raises because
of your function. Tensors handed to your function are copies.

Notebook 03 introduces ``check_liked_matrix`` and ``check_batch_starts``;
notebook 04 ``check_pseudo_log_likelihood`` and ``check_free_energy_gap``;
notebook 05 ``check_top_k`` and ``check_mae_threshold``.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
import torch

from .checking import as_tensor as _as_tensor
from .checking import call as _call
from .checking import correct as _correct
from .checking import function_name as _name
from .checking import shape_problem as _shape_problem
from .checking import wrong as _wrong
from . import metrics
from .data import RatingsIndex, make_synthetic, ratings_matrix
from .model import RBM
from .monitoring import pseudo_log_likelihood
from .recommend import top_k
from .training import free_energy_gap

DTYPE = torch.float64

__all__ = [
    "check_batch_starts",
    "check_free_energy_gap",
    "check_liked_matrix",
    "check_mae_threshold",
    "check_pseudo_log_likelihood",
    "check_top_k",
]


# ---------------------------------------------------------------------- reporting (rbm_helpers.checking)
def _diagnose(result: torch.Tensor, mistakes: list) -> tuple[str, str] | None:
    """The (problem, hint) of the first known mistake whose output equals ``result``."""
    for output, problem, hint in mistakes:
        if output.shape == result.shape and torch.allclose(result, output.to(DTYPE), rtol=1e-8, atol=1e-8):
            return problem, hint
    return None


def _example_rbm(n_visible: int, n_hidden: int, seed: int) -> RBM:
    """A seeded float64 RBM with every parameter drawn from N(0, 1) (nonzero biases catch a forgotten bias)."""
    rbm = RBM(n_visible, n_hidden, seed=seed, dtype=DTYPE, init_std=1.0)
    generator = torch.Generator().manual_seed(seed + 1000)
    with torch.no_grad():
        rbm.visible_bias.copy_(torch.randn(n_visible, generator=generator, dtype=DTYPE))
        rbm.hidden_bias.copy_(torch.randn(n_hidden, generator=generator, dtype=DTYPE))
    return rbm


def _number(value: Any, what: str) -> tuple[float | None, str | None]:
    """``value`` as a float, or a description of why it is not one number."""
    if value is None:
        return None, f"{what} is None (did you forget `return`?)"
    if isinstance(value, torch.Tensor):
        if value.numel() != 1:
            return None, f"{what} is a tensor of shape {tuple(value.shape)}, not one number"
        return float(value.item()), None
    try:
        return float(value), None
    except (TypeError, ValueError):
        return None, f"{what} is a {type(value).__name__}, not a number"


# ---------------------------------------------------------------------- notebook 03
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
    returned, error = _call(liked_matrix, ratings.copy(), n_users, n_items)
    if error:
        return _wrong(error, LIKED_MATRIX_HINT)
    result, problem = _as_tensor(returned, "the result")
    if problem:
        return _wrong(problem, LIKED_MATRIX_HINT)
    problem = _shape_problem(result, tuple(expected.shape), "the result")
    if problem:
        return _wrong(problem, "One row per user, one column per movie: shape (n_users, n_items).")
    stars = ratings_matrix(ratings, index, dtype=DTYPE)
    diagnosis = _diagnose(result, [
        (stars, "the matrix holds the star ratings themselves.", "Binarize: liked = rating >= 3 -> 1, else 0."),
        (torch.where(expected == -1, torch.zeros_like(expected), expected),
         "unrated movies are 0, the same as disliked ones.", "Mark unrated entries -1, so the RBM can leave them out."),
        (ratings_matrix(ratings, index, binary=True, threshold=4, dtype=DTYPE),
         "a rating of 3 counts as disliked.", "The seed's rule is liked = rating >= 3 (3, 4 and 5 are liked)."),
    ])
    if diagnosis:
        return _wrong(*diagnosis)
    if not torch.equal(result, expected):
        wrong = int((result != expected).sum())
        return _wrong(f"{wrong} of {expected.numel()} entries differ from ratings_matrix(..., binary=True).", LIKED_MATRIX_HINT)
    return _correct(f"{_name(liked_matrix)} builds the liked / disliked / unrated matrix (30 users x 40 movies, 400 ratings).")


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
        returned, error = _call(batch_starts, n_users, batch_size)
        if error:
            return _wrong(error, BATCH_HINT)
        try:
            starts = [int(s) for s in returned]
        except (TypeError, ValueError):
            return _wrong(f"batch_starts({n_users}, {batch_size}) returned a {type(returned).__name__}, not a list of ints.", BATCH_HINT)
        covered = np.zeros(n_users, dtype=int)
        for start in starts:
            covered[max(start, 0) : start + batch_size] += 1
        seed_loop = list(range(0, n_users - batch_size, batch_size))
        if starts == seed_loop and (covered == 0).any():
            return _wrong(f"for {n_users} users in batches of {batch_size}, this is the seed's loop: the last "
                          f"{int((covered == 0).sum())} users are never trained on.", SEED_LOOP_HINT)
        if (covered == 0).any():
            return _wrong(f"for {n_users} users in batches of {batch_size}, {int((covered == 0).sum())} users are in no batch "
                          f"(the first is row {int(np.flatnonzero(covered == 0)[0])}).", BATCH_HINT)
        if (covered > 1).any() or any(s < 0 or s >= n_users for s in starts):
            return _wrong(f"for {n_users} users in batches of {batch_size}, some batches overlap or start outside "
                          f"0..{n_users - 1}: {starts[:8]}.", BATCH_HINT)
    return _correct(f"{_name(batch_starts)} puts every user in exactly one batch ({len(cases)} cases, including 943 users in batches of 100).")


# ---------------------------------------------------------------------- notebook 04
PLL_HINT = (
    "For each observed entry v_i of a row: flip it (d = 1 - 2 v_i), compute F(v flipped) - F(v) = "
    "-d b_i - sum_j [softplus(a_j + d W_ij) - softplus(a_j)] with a = c + v W (missing units as 0), "
    "then log p(v_i | rest) = logsigmoid(F(v flipped) - F(v)). Average over observed entries only."
)


def _pll_case() -> tuple[torch.Tensor, ...]:
    rbm = _example_rbm(6, 3, seed=7)
    generator = torch.Generator().manual_seed(7)
    v = (torch.rand(40, 6, generator=generator, dtype=DTYPE) < 0.5).to(DTYPE)
    v[torch.rand(40, 6, generator=generator, dtype=DTYPE) < 0.3] = -1.0
    v[0] = 1.0
    return rbm, v


def check_pseudo_log_likelihood(pseudo_log_likelihood_fn: Callable) -> bool:
    """Check ``pll(v, weight, visible_bias, hidden_bias)``: mean log p(v_i | rest) over the observed entries of ``v``.

    ``v`` holds 0/1 and -1 for missing units (left out of the row's RBM).
    Compared with ``monitoring.pseudo_log_likelihood``. Introduced in notebook 04.
    """
    rbm, v = _pll_case()
    expected = pseudo_log_likelihood(rbm, v)
    returned, error = _call(pseudo_log_likelihood_fn, v, rbm.weight.detach().clone(),
                            rbm.visible_bias.detach().clone(), rbm.hidden_bias.detach().clone())
    if error:
        return _wrong(error, PLL_HINT)
    value, problem = _number(returned, "the result")
    if problem:
        return _wrong(problem, "Return one number: the mean over every observed entry of every row.")
    observed = v != -1
    n_observed = int(observed.sum())
    filled = torch.where(observed, v, torch.zeros_like(v))
    full = pseudo_log_likelihood(rbm, filled)
    candidates = [
        (expected * n_observed, "you return the sum over entries, not the mean.", "Divide by the number of observed entries."),
        (full, "the missing entries are scored as if they were 0s.", "Score only observed entries (v != -1); missing ones are not part of the row's RBM."),
        (float(np.exp(expected)), "this is a probability, not a log-probability.", "Average log p(v_i | rest), not p."),
        (-expected, "the sign is flipped.", "log-probabilities are <= 0."),
    ]
    for candidate, message, hint in candidates:
        if abs(value - candidate) < 1e-6 and abs(value - expected) > 1e-6:
            return _wrong(message, hint)
    if abs(value - expected) > 1e-6:
        return _wrong(f"got {value:.6f}; expected {expected:.6f}.", PLL_HINT)
    return _correct(f"{_name(pseudo_log_likelihood_fn)} = {value:.4f} nats per rated entry, as monitoring.pseudo_log_likelihood "
                    f"(40 rows, {n_observed} observed entries).")


GAP_HINT = (
    "The free energy of a row is F(v) = -v.b - sum_j softplus(c_j + (v W)_j), missing units counted as 0; the gap is "
    "the mean of F over the held-out rows minus the mean over the training rows."
)


def check_free_energy_gap(free_energy_gap_fn: Callable) -> bool:
    """Check ``gap(rbm, train_rows, held_out_rows)``: mean free energy of held-out rows minus that of training rows.

    Compared with ``rbm_helpers.free_energy_gap``. Introduced in notebook 04.
    """
    rbm, v = _pll_case()
    train_rows, held_rows = v[:25], v[25:]
    expected = free_energy_gap(rbm, train_rows, held_rows)
    returned, error = _call(free_energy_gap_fn, rbm, train_rows, held_rows)
    if error:
        return _wrong(error, GAP_HINT)
    value, problem = _number(returned, "the result")
    if problem:
        return _wrong(problem, "Return one number: a difference of two means.")
    if abs(value + expected) < 1e-6 and abs(expected) > 1e-6:
        return _wrong("the sign is flipped: training minus held-out.", "held-out minus training: it grows when the model overfits.")
    if abs(value - expected) > 1e-6:
        return _wrong(f"got {value:.6f}; expected {expected:.6f}.", GAP_HINT)
    return _correct(f"{_name(free_energy_gap_fn)} = {value:.4f}, as rbm_helpers.free_energy_gap.")


# ---------------------------------------------------------------------- notebook 05
TOP_K_HINT = (
    "Set the scores of movies the user already rated (train_matrix != -1) to -inf, then take the k largest per row: "
    "torch.topk(masked, k, dim=1).indices, or torch.sort(..., descending=True) and keep the first k columns."
)


def _top_k_case() -> tuple[torch.Tensor, torch.Tensor]:
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
    returned, error = _call(top_k_fn, scores, train, k)
    if error:
        return _wrong(error, TOP_K_HINT)
    result, problem = _as_tensor(returned, "the result")
    if problem:
        return _wrong(problem, TOP_K_HINT)
    problem = _shape_problem(result, tuple(expected.shape), "the result")
    if problem:
        return _wrong(problem, f"One row per user and k = {k} columns of movie indices.")
    result = result.long()
    if result.min() < 0 or result.max() >= scores.shape[1]:
        return _wrong(f"the result holds {int(result.min())}..{int(result.max())}; movie indices are 0..{scores.shape[1] - 1}.", TOP_K_HINT)
    already_rated = int((train.gather(1, result) != -1).sum())
    if already_rated:
        return _wrong(f"{already_rated} recommendations are movies the user already rated in training.", TOP_K_HINT)
    worst = torch.sort(torch.where(train == -1, scores, torch.full_like(scores, torch.inf)), dim=1, stable=True).indices[:, :k]
    if torch.equal(result, worst):
        return _wrong("these are the k *lowest* scores.", "Sort in descending order (largest p(liked) first).")
    if torch.equal(result.sort(1).values, expected.sort(1).values) and not torch.equal(result, expected):
        return _wrong("the right movies, in the wrong order.", "Best first: the highest score in column 0.")
    if not torch.equal(result, expected):
        return _wrong(f"{int((result != expected).any(1).sum())} of 12 users get different movies than recommend.top_k.", TOP_K_HINT)
    return _correct(f"{_name(top_k_fn)} recommends the best unrated movies, best first (12 users, k = {k}).")


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
    returned, error = _call(mae_threshold_fn, scores, test)
    if error:
        return _wrong(error, MAE_HINT)
    value, problem = _number(returned, "the result")
    if problem:
        return _wrong(problem, "Return one number: for each user with held-out pairs, the share of them that "
                              "the 0/1 answer (score >= 0.5) gets wrong; then the mean of those shares over the users.")
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
    for candidate, message, hint in candidates:
        if abs(value - candidate) < 1e-9 and abs(value - expected) > 1e-9:
            return _wrong(message, hint)
    if abs(value - expected) > 1e-9:
        return _wrong(f"got {value:.6f}; expected {expected:.6f}.", MAE_HINT)
    return _correct(f"{_name(mae_threshold_fn)} = {value:.4f}, as metrics.mae_threshold (20 users, one without held-out pairs).")
