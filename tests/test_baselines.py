"""Tests for rbm_helpers.baselines: hand-computed rates, a surprise-style loop, and the least-squares optimum."""
from __future__ import annotations

import pytest
import torch

from rbm_helpers.baselines import (
    always_liked,
    baseline_only,
    fit_rating_biases,
    global_mean_rating,
    movie_liked_rate,
    movie_popularity,
    user_liked_rate,
    user_majority,
    user_movie_blend,
)
from rbm_helpers.metrics import mae_threshold

M = -1.0

# 4 users x 4 movies; 6 liked of 8 rated -> global liked-rate 3/4; movie 3 has no rating, user 2 none
TRAIN = torch.tensor(
    [
        [1.0, 0.0, 1.0, M],
        [1.0, 1.0, 0.0, M],
        [M, M, M, M],
        [1.0, M, 1.0, M],
    ]
)
GLOBAL = 6 / 8


def random_binary(seed, shape=(30, 20), rated=0.4):
    g = torch.Generator().manual_seed(seed)
    liked = (torch.rand(shape, generator=g) < 0.7).double()
    return torch.where(torch.rand(shape, generator=g) < rated, liked, torch.full(shape, M, dtype=torch.float64))


def random_ratings(seed, shape=(25, 15), rated=0.5):
    g = torch.Generator().manual_seed(seed)
    stars = torch.randint(1, 6, shape, generator=g).double()
    return torch.where(torch.rand(shape, generator=g) < rated, stars, torch.full(shape, M, dtype=torch.float64))


# ---------------------------------------------------------------------- binary
def test_always_liked_scores_one_everywhere():
    assert torch.equal(always_liked(TRAIN), torch.ones(4, 4, dtype=torch.float64))


def test_user_liked_rate_is_the_users_fraction_liked_and_the_global_rate_without_ratings():
    rates = user_liked_rate(TRAIN)
    assert rates.shape == TRAIN.shape
    expected = torch.tensor([2 / 3, 2 / 3, GLOBAL, 1.0], dtype=torch.float64)
    assert torch.allclose(rates, expected.unsqueeze(1).expand(4, 4))


def test_user_majority_is_the_thresholded_user_rate_with_one_half_counting_as_liked():
    train = torch.tensor([[1.0, 0.0, M], [0.0, 0.0, 1.0], [1.0, 1.0, 0.0]])
    assert torch.equal(user_majority(train)[:, 0], torch.tensor([1.0, 0.0, 1.0], dtype=torch.float64))
    train, test = random_binary(1), random_binary(2)
    assert mae_threshold(user_majority(train), test) == mae_threshold(user_liked_rate(train), test)


def test_movie_liked_rate_is_smoothed_towards_the_global_rate():
    rates = movie_liked_rate(TRAIN)[0]  # prior_strength 2: (liked + 2 g) / (rated + 2)
    expected = torch.tensor([(3 + 2 * GLOBAL) / 5, (1 + 2 * GLOBAL) / 4, (2 + 2 * GLOBAL) / 5, GLOBAL])
    assert torch.allclose(rates, expected.double())
    plain = movie_liked_rate(TRAIN, prior_strength=0)[0]
    assert torch.allclose(plain, torch.tensor([1.0, 0.5, 2 / 3, GLOBAL], dtype=torch.float64))
    assert torch.equal(movie_liked_rate(TRAIN)[1], movie_liked_rate(TRAIN)[3])  # the same score for every user


def test_blend_is_the_mean_of_user_and_movie_rates():
    train = random_binary(3)
    expected = (user_liked_rate(train) + movie_liked_rate(train, prior_strength=5)) / 2
    assert torch.allclose(user_movie_blend(train, prior_strength=5), expected)


def test_movie_popularity_is_the_fraction_of_users_who_rated_the_movie():
    assert torch.equal(movie_popularity(TRAIN)[2], torch.tensor([3 / 4, 2 / 4, 3 / 4, 0.0], dtype=torch.float64))


@pytest.mark.parametrize(
    "baseline", [always_liked, user_liked_rate, user_majority, movie_liked_rate, user_movie_blend, movie_popularity]
)
def test_binary_baselines_reject_star_ratings_by_name(baseline):
    with pytest.raises(ValueError, match=r"train_matrix must hold 1 \(liked\), 0 \(disliked\) or -1 .* got values in \[-1, 5\]"):
        baseline(torch.tensor([[5.0, 1.0, M]]))


def test_prior_strength_must_be_non_negative():
    with pytest.raises(ValueError, match=r"prior_strength must be a number >= 0 .* got -1"):
        movie_liked_rate(TRAIN, prior_strength=-1)


# ---------------------------------------------------------------------- ratings
def surprise_style_als(ratings, reg_u=15.0, reg_i=10.0, n_epochs=10):
    """scikit-surprise's baseline_als, written as its loops over (user, rating) lists."""
    ur, ir = {}, {}
    for u in range(ratings.shape[0]):
        for i in range(ratings.shape[1]):
            r = ratings[u, i].item()
            if r != M:
                ur.setdefault(u, []).append((i, r))
                ir.setdefault(i, []).append((u, r))
    mu = sum(r for pairs in ur.values() for _, r in pairs) / sum(len(p) for p in ur.values())
    bu, bi = [0.0] * ratings.shape[0], [0.0] * ratings.shape[1]
    for _ in range(n_epochs):
        for i, pairs in ir.items():
            bi[i] = sum(r - mu - bu[u] for u, r in pairs) / (reg_i + len(pairs))
        for u, pairs in ur.items():
            bu[u] = sum(r - mu - bi[i] for i, r in pairs) / (reg_u + len(pairs))
    return mu, bu, bi


def test_rating_biases_match_surprise_style_als_loops():
    ratings = random_ratings(4)
    ratings[3] = M  # a user without ratings
    ratings[:, 5] = M  # a movie without ratings
    mu, bu, bi = surprise_style_als(ratings, reg_u=15, reg_i=10, n_epochs=3)
    biases = fit_rating_biases(ratings, epochs=3)
    assert biases.global_mean == pytest.approx(mu)
    assert torch.allclose(biases.user_bias, torch.tensor(bu, dtype=torch.float64), atol=1e-12)
    assert torch.allclose(biases.movie_bias, torch.tensor(bi, dtype=torch.float64), atol=1e-12)


def test_rating_biases_converge_to_the_regularised_least_squares_optimum():
    ratings = random_ratings(5, shape=(12, 8))
    users, movies = torch.nonzero(ratings != M, as_tuple=True)
    n_users, n_movies = ratings.shape
    design = torch.zeros(len(users), n_users + n_movies, dtype=torch.float64)
    design[torch.arange(len(users)), users] = 1
    design[torch.arange(len(users)), n_users + movies] = 1
    target = ratings[users, movies] - ratings[users, movies].mean()
    penalty = torch.diag(torch.tensor([3.0] * n_users + [2.0] * n_movies, dtype=torch.float64))
    optimum = torch.linalg.solve(design.T @ design + penalty, design.T @ target)
    biases = fit_rating_biases(ratings, reg_user=3, reg_movie=2, epochs=500)
    assert torch.allclose(torch.cat([biases.user_bias, biases.movie_bias]), optimum, atol=1e-8)


def test_baseline_only_predicts_mu_plus_biases_clipped_to_the_star_range():
    ratings = torch.tensor([[5.0, 5.0, M], [5.0, 5.0, 5.0], [1.0, M, 1.0]])
    biases = fit_rating_biases(ratings, reg_user=0, reg_movie=0, epochs=20)
    raw = biases.global_mean + biases.user_bias[:, None] + biases.movie_bias[None, :]
    predicted = baseline_only(ratings, reg_user=0, reg_movie=0, epochs=20)
    assert raw.max() > 5 or raw.min() < 1  # there is something to clip
    assert torch.equal(predicted, raw.clamp(1, 5))


def test_global_mean_rating_and_the_missing_marker():
    ratings = torch.tensor([[4.0, M], [2.0, 3.0]])
    assert torch.equal(global_mean_rating(ratings), torch.full((2, 2), 3.0, dtype=torch.float64))
    zeros_for_missing = torch.where(ratings == M, torch.zeros_like(ratings), ratings)
    assert torch.equal(global_mean_rating(zeros_for_missing, missing=0), global_mean_rating(ratings))
    with pytest.raises(ValueError, match=r"train_ratings must hold star ratings in \[1, 5\] .* got ratings in \[0, 4\]"):
        global_mean_rating(zeros_for_missing)
