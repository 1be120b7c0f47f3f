"""Tests for rbm_helpers.metrics: hand-computed examples, brute force, and sklearn where installed."""
from __future__ import annotations

import itertools
import math

import pytest
import torch

from rbm_helpers.metrics import (
    auc,
    evaluate_binary,
    mae,
    mae_sampled,
    mae_threshold,
    matrix_from_pairs,
    precision_at_k,
    rmse,
)

M = -1.0  # not held out / not rated


def random_problem(n_users=40, n_items=30, seed=0, held=0.3, decimals=1):
    """Scores with many ties (rounded) and a test matrix with both classes."""
    g = torch.Generator().manual_seed(seed)
    scores = torch.rand(n_users, n_items, generator=g, dtype=torch.float64).round(decimals=decimals)
    truth = (torch.rand(n_users, n_items, generator=g, dtype=torch.float64) < 0.3 + 0.5 * scores).double()
    mask = torch.rand(n_users, n_items, generator=g) < held
    test = torch.where(mask, truth, torch.full_like(truth, M))
    return scores, test


# ---------------------------------------------------------------------- MAE
def test_mae_threshold_averages_per_user_then_over_users():
    scores = torch.tensor([[0.9, 0.2, 0.6, 0.5], [0.1, 0.7, 0.3, 0.0], [0.5, 0.5, 0.5, 0.5]])
    test = torch.tensor([[1.0, 1.0, 0.0, M], [0.0, M, M, M], [M, M, M, M]])
    # user 0: predictions 1, 0, 1 against 1, 1, 0 -> 2 wrong of 3; user 1: 0 vs 0 -> 0 of 1; user 2: none held out
    assert mae_threshold(scores, test) == pytest.approx((2 / 3 + 0) / 2)
    # a pooled mean would give 2/4: the per-user average must differ from it
    assert mae_threshold(scores, test) != pytest.approx(0.5)


def test_mae_threshold_counts_exactly_one_half_as_liked():
    scores = torch.tensor([[0.5, 0.4999]])
    test = torch.tensor([[1.0, 1.0]])
    assert mae_threshold(scores, test) == pytest.approx(0.5)


def test_mae_sampled_equals_threshold_mae_for_certain_predictions_and_is_seeded():
    scores, test = random_problem(seed=1)
    certain = (scores >= 0.5).double()
    assert mae_sampled(certain, test, seed=3) == pytest.approx(mae_threshold(certain, test))
    assert mae_sampled(scores, test, seed=7) == mae_sampled(scores, test, seed=7)
    assert mae_sampled(scores, test, seed=7) != mae_sampled(scores, test, seed=8)


def test_mae_sampled_is_unbiased_for_the_per_user_expected_error():
    scores, test = random_problem(n_users=300, n_items=60, seed=1234, decimals=3)  # not a seed used below
    held = test != M
    n = held.sum(1)
    users = n > 0
    p_error = torch.where(test == 1, 1 - scores, scores)  # probability the sample disagrees with the truth
    expected = ((p_error * held).sum(1)[users] / n[users]).mean().item()
    variance = ((p_error * (1 - p_error) * held).sum(1)[users] / n[users] ** 2).sum().item() / int(users.sum()) ** 2
    for seed in range(3):
        assert abs(mae_sampled(scores, test, seed=seed) - expected) < 5 * math.sqrt(variance)


# ---------------------------------------------------------------------- AUC
def brute_force_auc(scores, labels):
    pos = [s for s, y in zip(scores, labels) if y == 1]
    neg = [s for s, y in zip(scores, labels) if y == 0]
    wins = sum(1.0 if p > q else 0.5 if p == q else 0.0 for p in pos for q in neg)
    return wins / (len(pos) * len(neg))


def test_auc_hand_example_with_a_tie():
    scores = torch.tensor([[0.9, 0.4, 0.4], [0.1, 0.8, 0.3]])
    test = torch.tensor([[1.0, 1.0, 0.0], [0.0, M, 0.0]])
    # liked: 0.9, 0.4; disliked: 0.4, 0.1, 0.3 -> 0.9 beats 3, 0.4 ties one and beats two: (3 + 2.5) / 6
    assert auc(scores, test) == pytest.approx(5.5 / 6)


def test_pooled_auc_matches_brute_force_pair_count():
    scores, test = random_problem(seed=4)
    held = test != M
    assert auc(scores, test) == pytest.approx(brute_force_auc(scores[held].tolist(), test[held].tolist()), abs=1e-12)


def test_pooled_auc_matches_sklearn_with_ties():
    metrics = pytest.importorskip("sklearn.metrics")
    for seed in range(3):
        scores, test = random_problem(n_users=100, seed=seed, decimals=1)
        held = test != M
        expected = metrics.roc_auc_score(test[held].numpy(), scores[held].numpy())
        assert auc(scores, test) == pytest.approx(expected, abs=1e-12)


def test_per_user_auc_averages_users_with_both_classes():
    scores, test = random_problem(n_users=25, n_items=12, seed=5)
    values = []
    for u in range(scores.shape[0]):
        held = test[u] != M
        labels = test[u][held].tolist()
        if 0 < sum(labels) < len(labels):
            values.append(brute_force_auc(scores[u][held].tolist(), labels))
    assert 0 < len(values) < scores.shape[0]  # some users are skipped
    assert auc(scores, test, per_user=True) == pytest.approx(sum(values) / len(values), abs=1e-12)


def test_auc_needs_both_classes():
    with pytest.raises(ValueError, match="both liked"):
        auc(torch.tensor([[0.2, 0.9]]), torch.tensor([[1.0, 1.0]]))


# ---------------------------------------------------------------------- precision@k
def brute_force_precision(scores, test, train, k):
    """Average over every ordering of the candidates (uniform tie-breaking), stable-sorted by score."""
    values = []
    for u in range(scores.shape[0]):
        candidates = [i for i in range(scores.shape[1]) if train is None or train[u, i] == M]
        relevant = {i for i in candidates if test[u, i] == 1}
        if not relevant:
            continue
        top = min(k, len(candidates))
        orders = list(itertools.permutations(candidates))
        hits = 0.0
        for order in orders:
            ranked = sorted(order, key=lambda i: -scores[u, i].item())  # stable: ties keep the permuted order
            hits += len(relevant.intersection(ranked[:top]))
        values.append(hits / len(orders) / top)
    return sum(values) / len(values)


def test_precision_at_k_hand_example():
    scores = torch.tensor([[0.9, 0.8, 0.7, 0.6, 0.1], [0.5, 0.5, 0.5, 0.9, 0.2]])
    train = torch.tensor([[1.0, M, M, M, M], [M, M, M, 0.0, M]])
    test = torch.tensor([[M, 1.0, 0.0, M, 1.0], [1.0, M, 0.0, M, M]])
    # user 0: candidates 1..4, top 2 = movies 1 (liked) and 2 (disliked) -> 1/2
    # user 1: candidates 0, 1, 2, 4; top 2 from the tie {0, 1, 2} at 0.5, one of three liked -> 2 * 1/3 / 2
    assert precision_at_k(scores, test, train, k=2) == pytest.approx((1 / 2 + 1 / 3) / 2)


def test_precision_at_k_matches_brute_force_over_tie_orders():
    scores, test = random_problem(n_users=12, n_items=6, seed=6, held=0.5)
    g = torch.Generator().manual_seed(9)
    rated = (torch.rand(scores.shape, generator=g) < 0.25) & (test == M)
    train = torch.where(rated, torch.ones_like(scores), torch.full_like(scores, M))
    for k in (1, 2, 3, 5):
        expected = brute_force_precision(scores, test, train, k)
        assert precision_at_k(scores, test, train, k=k) == pytest.approx(expected, abs=1e-12)
    assert precision_at_k(scores, test, None, k=2) == pytest.approx(brute_force_precision(scores, test, None, 2))


def test_constant_scores_give_the_base_rate_not_the_id_order():
    test = torch.tensor([[1.0, M, M, M], [M, M, M, 1.0]])
    assert precision_at_k(torch.full((2, 4), 0.7), test, k=1) == pytest.approx(1 / 4)


def test_precision_at_k_rejects_a_held_out_pair_that_is_also_in_training():
    test = torch.tensor([[1.0, M]])
    with pytest.raises(ValueError, match="must not share"):
        precision_at_k(torch.tensor([[0.5, 0.5]]), test, torch.tensor([[1.0, M]]), k=1)


def test_evaluate_binary_bundles_the_metrics():
    scores, test = random_problem(seed=10)
    train = torch.where(test == M, (scores > 0.5).double(), torch.full_like(scores, M))
    result = evaluate_binary(scores, test, train, k=5, seed=2)
    assert result == {
        "mae_sampled": mae_sampled(scores, test, seed=2),
        "mae_threshold": mae_threshold(scores, test),
        "auc": auc(scores, test),
        "precision_at_5": precision_at_k(scores, test, train, k=5),
    }


# ---------------------------------------------------------------------- validation
@pytest.mark.parametrize(
    "scores, test, pattern",
    [
        (torch.rand(2, 3), torch.zeros(2, 4), r"test_matrix must have the shape of scores \(2, 3\); got \(2, 4\)"),
        (torch.full((2, 3), 1.5), torch.zeros(2, 3), r"scores must hold probabilities .* got values in \[1.5, 1.5\]"),
        (torch.full((2, 3), math.nan), torch.zeros(2, 3), "scores must not contain NaN"),
        (torch.rand(2, 3), torch.full((2, 3), 4.0), r"test_matrix must hold 1 \(liked\), 0 .* got values in \[4, 4\]"),
        (torch.rand(6), torch.zeros(6), r"scores must be a 2-D tensor .* got shape \(6,\)"),
        ([[0.5]], torch.zeros(1, 1), "scores must be a torch.Tensor"),
        (torch.rand(2, 3), torch.full((2, 3), M), "holds no held-out pair"),
    ],
)
def test_binary_metrics_reject_bad_input_by_name(scores, test, pattern):
    with pytest.raises(ValueError, match=pattern):
        evaluate_binary(scores, test)


def test_train_matrix_is_validated_by_name():
    with pytest.raises(ValueError, match=r"train_matrix must have the shape of scores"):
        precision_at_k(torch.rand(2, 3), torch.zeros(2, 3), torch.zeros(3, 2))


# ---------------------------------------------------------------------- ratings
def test_rmse_and_mae_pool_the_rated_entries():
    predictions = torch.tensor([[3.0, 4.0, 2.0], [5.0, 1.0, 3.5]])
    ratings = torch.tensor([[4.0, M, 2.0], [3.0, M, 5.0]])
    errors = [-1.0, 0.0, 2.0, -1.5]
    assert rmse(predictions, ratings) == pytest.approx(math.sqrt(sum(e * e for e in errors) / 4))
    assert mae(predictions, ratings) == pytest.approx(sum(abs(e) for e in errors) / 4)
    assert rmse(predictions, torch.where(ratings == M, torch.zeros_like(ratings), ratings), missing=0) == rmse(
        predictions, ratings
    )


def test_rmse_takes_one_value_per_pair_too():
    assert rmse(torch.tensor([3.0, 4.0]), torch.tensor([4.0, 4.0])) == pytest.approx(math.sqrt(0.5))
    with pytest.raises(ValueError, match=r"predictions must have the shape of ratings \(3,\); got \(2,\)"):
        rmse(torch.tensor([3.0, 4.0]), torch.tensor([4.0, 4.0, 1.0]))


# ---------------------------------------------------------------------- pairs
def test_matrix_from_pairs_places_values_and_checks_ids():
    matrix = matrix_from_pairs(torch.tensor([0, 2]), torch.tensor([1, 0]), torch.tensor([1.0, 0.0]), n_users=3, n_movies=2)
    assert torch.equal(matrix, torch.tensor([[M, 1.0], [M, M], [0.0, M]], dtype=torch.float64))
    with pytest.raises(ValueError, match=r"movies must hold 0-based ids in \[0, 1\]; got ids in \[1, 2\]"):
        matrix_from_pairs(torch.tensor([0, 1]), torch.tensor([1, 2]), torch.tensor([1.0, 1.0]), n_users=3, n_movies=2)
    with pytest.raises(ValueError, match="repeated"):
        matrix_from_pairs(torch.tensor([0, 0]), torch.tensor([1, 1]), torch.tensor([1.0, 0.0]), n_users=3, n_movies=2)
