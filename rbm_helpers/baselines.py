"""Simple baselines that any recommender must beat, fitted on the training matrix only.

Binary baselines (introduced in notebook 05, "Recommend and evaluate
honestly") take ``train_matrix`` of shape (n_users, n_movies) holding 1
(liked: rating >= 3), 0 (disliked) and -1 (not rated), and return a score
p(liked) for every (user, movie), ready for ``rbm_helpers.metrics``:

- ``always_liked``: 1 everywhere (most ratings are >= 3);
- ``user_liked_rate`` / ``user_majority``: how often the user likes what they rate;
- ``movie_liked_rate``: how often the movie is liked, smoothed towards the global rate;
- ``user_movie_blend``: the mean of the two rates;
- ``movie_popularity``: how many users rated the movie (a ranking baseline for precision@k).

Rating baselines (introduced in notebook 06, "Softmax units") take star
ratings 1-5 with -1 where unrated and predict a rating for every pair:
``global_mean_rating`` and ``baseline_only``, the user and movie biases of
scikit-surprise's ``BaselineOnly`` with its default ALS settings.
"""
from __future__ import annotations

from typing import NamedTuple

import torch

from .metrics import check_binary_matrix
from .validation import MISSING

__all__ = [
    "RatingBiases",
    "always_liked",
    "baseline_only",
    "fit_rating_biases",
    "global_mean_rating",
    "movie_liked_rate",
    "movie_popularity",
    "user_liked_rate",
    "user_majority",
    "user_movie_blend",
]


# ---------------------------------------------------------------------- binary baselines
def _check_prior_strength(prior_strength: object) -> float:
    if isinstance(prior_strength, bool) or not isinstance(prior_strength, (int, float)) or not prior_strength >= 0:
        raise ValueError(f"prior_strength must be a number >= 0 (pseudo-ratings); got {prior_strength!r}.")
    return float(prior_strength)


def _global_liked_rate(train_matrix: torch.Tensor) -> float:
    rated = int((train_matrix != MISSING).sum())
    if rated == 0:
        raise ValueError("train_matrix holds no rating (every entry is -1); a baseline needs training data.")
    return (train_matrix == 1).sum().item() / rated


def _liked_rate(train_matrix: torch.Tensor, dim: int, prior_strength: float) -> torch.Tensor:
    """(liked + m * global) / (rated + m) along ``dim``; the global rate where nothing is rated."""
    global_rate = _global_liked_rate(train_matrix)
    liked = (train_matrix == 1).sum(dim).to(torch.float64)
    rated = (train_matrix != MISSING).sum(dim).to(torch.float64)
    rate = (liked + prior_strength * global_rate) / (rated + prior_strength).clamp(min=1e-300)
    return torch.where(rated + prior_strength > 0, rate, torch.full_like(rate, global_rate))


def always_liked(train_matrix: torch.Tensor) -> torch.Tensor:
    """Score 1 for every (user, movie): predict that everyone likes everything.

    About 84% of MovieLens 100K ratings are >= 3, so this constant is hard to
    beat on a per-pair error; its AUC is 0.5 (no ranking at all).
    Introduced in notebook 05.
    """
    train_matrix = check_binary_matrix(train_matrix, "train_matrix")
    return torch.ones_like(train_matrix)


def user_liked_rate(train_matrix: torch.Tensor, *, prior_strength: float = 0.0) -> torch.Tensor:
    """Score every movie of a user by the fraction of the user's training ratings that are liked.

    With ``prior_strength`` m > 0 the rate is (liked + m * global rate) / (rated + m);
    the default m = 0 is the plain fraction. A user with no training rating
    gets the global liked-rate. Use this as the user-majority baseline's score
    for AUC: thresholded at 0.5 it *is* ``user_majority``.
    Introduced in notebook 05.
    """
    train_matrix = check_binary_matrix(train_matrix, "train_matrix")
    rate = _liked_rate(train_matrix, 1, _check_prior_strength(prior_strength))
    return rate.unsqueeze(1).expand_as(train_matrix).clone()


def user_majority(train_matrix: torch.Tensor) -> torch.Tensor:
    """Score 1 for every movie of a user whose training liked-rate is >= 0.5, else 0.

    The user's majority answer, repeated for every movie. Its 0/1 scores tie
    almost everything, so for AUC use ``user_liked_rate`` (the same
    predictions once thresholded at 0.5, with a ranking between users).
    Introduced in notebook 05.
    """
    return (user_liked_rate(train_matrix) >= 0.5).to(torch.float64)


def movie_liked_rate(train_matrix: torch.Tensor, *, prior_strength: float = 2.0) -> torch.Tensor:
    """Score every user's p(liked) of a movie by the movie's smoothed training liked-rate.

    Additive smoothing towards the global liked-rate g:
    rate = (liked + m * g) / (rated + m), as if each movie had m extra
    ratings at the global rate; ``prior_strength`` m = 2 by default. A movie
    nobody rated in training gets g; a movie with one liked rating gets
    (1 + 2g) / 3 instead of a certain 1. On MovieLens 100K the pooled AUC
    barely moves for m from 1 to 5; precision@10 rises with m, because rare
    movies with a few liked ratings stop crowding the top of the ranking.
    Introduced in notebook 05.
    """
    train_matrix = check_binary_matrix(train_matrix, "train_matrix")
    rate = _liked_rate(train_matrix, 0, _check_prior_strength(prior_strength))
    return rate.unsqueeze(0).expand_as(train_matrix).clone()


def user_movie_blend(train_matrix: torch.Tensor, *, prior_strength: float = 2.0) -> torch.Tensor:
    """Score = (user liked-rate + movie liked-rate) / 2: a generous user meets a well-liked movie.

    The user rate is ``user_liked_rate`` (no smoothing), the movie rate
    ``movie_liked_rate`` with ``prior_strength``. The strongest of these
    baselines on AUC. Introduced in notebook 05.
    """
    return 0.5 * user_liked_rate(train_matrix) + 0.5 * movie_liked_rate(train_matrix, prior_strength=prior_strength)


def movie_popularity(train_matrix: torch.Tensor) -> torch.Tensor:
    """Score every user's movie by the fraction of users who rated it in training, liked or not.

    Not a guess of p(liked) but of p(rated): held-out movies are the ones a
    user chose to watch, so this baseline is hard to beat on precision@k (on
    MovieLens 100K u1 it scores about 0.27 against the blend's 0.04), while its
    AUC for liked against disliked is low. It shows what precision@k on
    held-out ratings rewards. Introduced in notebook 05.
    """
    train_matrix = check_binary_matrix(train_matrix, "train_matrix")
    rated = (train_matrix != MISSING).sum(0).to(torch.float64) / train_matrix.shape[0]
    return rated.unsqueeze(0).expand_as(train_matrix).clone()


# ---------------------------------------------------------------------- rating baselines
def _check_ratings(ratings: object, name: str, missing: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Return ``ratings`` as float64 and the mask of rated entries, after checking shape and values."""
    if not isinstance(ratings, torch.Tensor):
        raise ValueError(f"{name} must be a torch.Tensor of shape (n_users, n_movies); got {type(ratings).__name__}.")
    if ratings.dim() != 2:
        raise ValueError(f"{name} must be a 2-D tensor of shape (n_users, n_movies); got shape {tuple(ratings.shape)}.")
    ratings = ratings.detach().to(device="cpu", dtype=torch.float64)
    rated = ratings != missing
    values = ratings[rated]
    if not bool(torch.isfinite(values).all()):
        raise ValueError(f"{name} must hold finite ratings and {missing:g} where unrated; got NaN or inf.")
    if values.numel() == 0:
        raise ValueError(f"{name} holds no rating (every entry is {missing:g}); a baseline needs training data.")
    if values.min().item() < 1 or values.max().item() > 5:
        raise ValueError(
            f"{name} must hold star ratings in [1, 5] and {missing:g} where unrated; got ratings in "
            f"[{values.min().item():g}, {values.max().item():g}]. Is the missing value right (missing={missing:g})?"
        )
    return ratings, rated


def global_mean_rating(train_ratings: torch.Tensor, *, missing: float = MISSING) -> torch.Tensor:
    """Predict the mean of all training ratings for every (user, movie).

    ``train_ratings`` holds stars 1-5 and ``missing`` (-1) where unrated.
    Introduced in notebook 06 ("Softmax units").
    """
    ratings, rated = _check_ratings(train_ratings, "train_ratings", missing)
    return torch.full_like(ratings, ratings[rated].mean().item())


class RatingBiases(NamedTuple):
    """Rating = global_mean + user_bias[user] + movie_bias[movie]: the baseline predictor of Koren (2010).

    Introduced in notebook 06 ("Softmax units").
    """

    global_mean: float
    user_bias: torch.Tensor
    movie_bias: torch.Tensor

    def predict(self, *, clip: tuple[float, float] = (1.0, 5.0)) -> torch.Tensor:
        """The (n_users, n_movies) matrix of predicted ratings, clipped to ``clip`` as surprise does."""
        prediction = self.global_mean + self.user_bias.unsqueeze(1) + self.movie_bias.unsqueeze(0)
        return prediction.clamp(*clip)


def fit_rating_biases(
    train_ratings: torch.Tensor,
    *,
    reg_user: float = 15.0,
    reg_movie: float = 10.0,
    epochs: int = 10,
    missing: float = MISSING,
) -> RatingBiases:
    """Fit user and movie biases by alternating least squares, as scikit-surprise's ``BaselineOnly``.

    Minimises sum (r_ui - mu - b_u - b_i)^2 + reg_user * sum b_u^2 + reg_movie * sum b_i^2
    over the training ratings, mu being their mean. Starting from zero biases,
    each of ``epochs`` rounds first sets every movie bias, then every user bias,
    to its exact minimiser given the other:
    b_i = sum_u (r_ui - mu - b_u) / (reg_movie + n_i), then
    b_u = sum_i (r_ui - mu - b_i) / (reg_user + n_u).
    The defaults are surprise 1.1's (``method="als"``, ``reg_i=10``,
    ``reg_u=15``, ``n_epochs=10``). A user or movie without training ratings
    keeps bias 0. Introduced in notebook 06 ("Softmax units").
    """
    ratings, rated = _check_ratings(train_ratings, "train_ratings", missing)
    for value, name in ((reg_user, "reg_user"), (reg_movie, "reg_movie")):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
            raise ValueError(f"{name} must be a number >= 0; got {value!r}.")
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be an integer >= 1; got {epochs!r}.")
    mask = rated.to(torch.float64)
    global_mean = ratings[rated].mean().item()
    centred = (ratings - global_mean) * mask
    user_count, movie_count = mask.sum(1), mask.sum(0)
    user_bias = torch.zeros(ratings.shape[0], dtype=torch.float64)
    movie_bias = torch.zeros(ratings.shape[1], dtype=torch.float64)
    for _ in range(epochs):
        movie_bias = (centred - user_bias.unsqueeze(1) * mask).sum(0) / (reg_movie + movie_count).clamp(min=1e-300)
        user_bias = (centred - movie_bias.unsqueeze(0) * mask).sum(1) / (reg_user + user_count).clamp(min=1e-300)
    return RatingBiases(global_mean, user_bias, movie_bias)


def baseline_only(
    train_ratings: torch.Tensor,
    *,
    reg_user: float = 15.0,
    reg_movie: float = 10.0,
    epochs: int = 10,
    missing: float = MISSING,
) -> torch.Tensor:
    """Predicted ratings mu + b_u + b_i for every (user, movie), clipped to [1, 5]: surprise's ``BaselineOnly``.

    See ``fit_rating_biases`` for the fit. Introduced in notebook 06 ("Softmax units").
    """
    biases = fit_rating_biases(train_ratings, reg_user=reg_user, reg_movie=reg_movie, epochs=epochs, missing=missing)
    return biases.predict()
