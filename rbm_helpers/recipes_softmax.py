"""Named recipes for the softmax RBMs of notebook 06, and how their settings were chosen.

A recipe fixes everything about training and predicting except the data and
the seed. Input is always a star-rating matrix (n_users, n_movies) with -1
where unrated, as ``rbm_helpers.data.ratings_matrix`` returns; output is a
distribution over the K categories for every (user, movie).

Two layouts of the same ``SoftmaxRBM``:

- ``rows="users"``: one RBM per user, one softmax unit per movie -- the paper's
  layout (Salakhutdinov, Mnih & Hinton, 2007). Each *movie* has its own
  visible biases; a user's generosity has no parameter of its own and must be
  inferred by the hidden units.
- ``rows="movies"``: the transposed matrix, one RBM per movie, one softmax
  unit per user. Now each *user* has visible biases (their own rating
  histogram, what the user bias of BaselineOnly captures) and the hidden
  units describe the movie. With ``tied=True`` the movie's overall appeal
  gets a channel of its own (``ConditionalSoftmaxRBM``'s tied weights), and
  with ``conditional=True`` the hidden units also see which users rated the
  movie, held-out pairs included (the paper's conditional RBM).

How the settings were chosen: on a validation split of ``u1.base``
(``holdout_split(u1.base, test_fraction=0.1, seed=0)``: 10% of each user's
``u1.base`` ratings hidden; ``u1.test`` never looked at), each idea was given
a few minutes of CPU, scored by the RMSE of the expected rating (K=5) and by
the pooled AUC and thresholded MAE (K=2). The baselines on that split:
BaselineOnly RMSE 0.937; blend AUC 0.792; user majority MAE 0.154.

Exploration (one seed each; CD-1, momentum 0.5, batch 100, weight decay 0.01,
initial weights N(0, 0.1^2) unless said):

- users as rows, 100 hidden: lr 1.0 for 15-20 epochs 0.958-0.960; lr 0.5 for
  25 epochs 0.954; 50-400 hidden with weight decay 0.003-0.03: 0.956-0.983;
  plus the conditional input 0.957 (K=2: AUC 0.781); plus tied weights 0.935;
  the mean of 4 seeds' predictions 0.947.
- movies as rows (the transposed matrix), 100 hidden, lr 0.5, 25 epochs:
  0.922. With 200 hidden, lr 0.25, 40 epochs: 0.914 (K=2: AUC 0.809, MAE 0.144);
  plus the conditional input 0.906; plus tied weights 0.900 (AUC 0.821);
  plus both 0.892-0.896 (AUC 0.829, MAE 0.141); 300 hidden for 50 epochs 0.894;
  a linearly decaying rate 0.895 (no gain); weight decay 0.003 overfits after
  15 epochs, 0.03 underfits (0.96); a tied-weight rate of 0.003-0.01 beats 0.03.
- exact and mean-field predictions agree within 0.0003 in RMSE and AUC, so
  predictions use the cheaper mean-field pass.

The recipes below, as this package trains them, on the same split:

==================  ===============================  ==========================
recipe              K=5 RMSE / MAE                   K=2 AUC / thresholded MAE
==================  ===============================  ==========================
``PAPER_*``         0.9591 / 0.7576                  0.7765 / 0.1604
``MOVIES_*``        0.9020 / 0.7045                  0.8125 / 0.1426
``CONDITIONAL_*``   0.8956 / 0.6964                  0.8238 / 0.1392
==================  ===============================  ==========================

The mean of three seeds' ``CONDITIONAL_K5`` predictions scores 0.8915: a
gain of 0.004 for three times the training, left out of the recipes. The
same recipes on the split of ``u3.base`` (checked once, in the exploration
code): ``CONDITIONAL_K5`` 0.910 against BaselineOnly's 0.949, ``CONDITIONAL_K2``
AUC 0.809 against the blend's 0.779.
Introduced in notebook 06 (Softmax units).
"""
from __future__ import annotations

from dataclasses import replace

import pandas as pd
import torch

from .recipes import Recipe
from .softmax import SoftmaxRBM, categories_from_ratings
from .softmax_conditional import ConditionalSoftmaxRBM, Callback, train_conditional
from .training import train
from .validation import MISSING

__all__ = [
    "CONDITIONAL_K2",
    "CONDITIONAL_K5",
    "MOVIES_K2",
    "MOVIES_K5",
    "PAPER_K2",
    "PAPER_K5",
    "SoftmaxRecipe",
    "fit_softmax",
    "predict_softmax",
    "rated_matrix",
]

SoftmaxRecipe = Recipe
"""The old name of ``rbm_helpers.recipes.Recipe``, kept so that existing code keeps working."""

PAPER_K5 = Recipe(n_categories=5, rows="users", n_hidden=100, epochs=25, learning_rate=0.5, weight_decay=0.01, init_std=0.1)
"""The paper's layout, stars 1-5: one RBM per user, 100 hidden units, CD-1, lr 0.5, weight decay 0.01, 25 epochs."""

PAPER_K2 = replace(PAPER_K5, n_categories=2, epochs=20)
"""The paper's layout with liked / disliked: as ``PAPER_K5`` with K = 2 and 20 epochs."""

MOVIES_K5 = Recipe(n_categories=5, rows="movies", tied=True, n_hidden=200, epochs=40, learning_rate=0.25,
                   weight_decay=0.01, init_std=0.1)
"""One RBM per movie with tied weights, stars: 200 hidden, CD-1, lr 0.25 (tied 0.01), weight decay 0.01, 40 epochs."""

MOVIES_K2 = replace(MOVIES_K5, n_categories=2)
"""As ``MOVIES_K5`` with liked / disliked."""

CONDITIONAL_K5 = replace(MOVIES_K5, conditional=True)
"""``MOVIES_K5`` plus the conditional input: which users rated the movie, held-out pairs included."""

CONDITIONAL_K2 = replace(MOVIES_K2, conditional=True)
"""``MOVIES_K2`` plus the conditional input."""


def _check_ratings(ratings: object, name: str) -> torch.Tensor:
    if not isinstance(ratings, torch.Tensor) or ratings.dim() != 2:
        raise ValueError(
            f"{name} must be a 2-D tensor (n_users, n_movies) of stars 1-5 and -1 where unrated, as "
            f"ratings_matrix(ratings, index) returns; got {getattr(ratings, 'shape', type(ratings).__name__)}."
        )
    return ratings


def rated_matrix(train_ratings: torch.Tensor, asked: torch.Tensor | None = None) -> torch.Tensor:
    """r for a conditional model: 1 where a pair is rated in training or ``asked`` (to be predicted), else 0.

    ``asked`` is a boolean (n_users, n_movies) matrix, e.g. ``test_ratings != -1``.
    Introduced in notebook 06 (Softmax units).
    """
    train_ratings = _check_ratings(train_ratings, "train_ratings")
    rated = train_ratings != MISSING
    if asked is not None:
        if not isinstance(asked, torch.Tensor) or asked.shape != train_ratings.shape:
            raise ValueError(
                f"asked must be a boolean tensor of shape {tuple(train_ratings.shape)} (the pairs to predict); "
                f"got {getattr(asked, 'shape', type(asked).__name__)}."
            )
        rated = rated | asked.bool()
    return rated.float()


def _layout(matrix: torch.Tensor, recipe: Recipe) -> torch.Tensor:
    """The matrix as the model's rows: as is for ``rows="users"``, transposed for ``rows="movies"``."""
    return matrix if recipe.rows == "users" else matrix.T.contiguous()


def fit_softmax(
    train_ratings: torch.Tensor,
    recipe: Recipe,
    *,
    seed: int = 0,
    asked: torch.Tensor | None = None,
    callbacks: "list[Callback] | tuple[Callback, ...]" = (),
    device: "str | torch.device | None" = None,
    monitor: bool | None = None,
) -> tuple[SoftmaxRBM, pd.DataFrame]:
    """Train the recipe's model on ``train_ratings`` (stars 1-5, -1 unrated); return it and its history.

    Ratings become K categories (``categories_from_ratings``), transposed for
    ``rows="movies"``; visible biases start at the smoothed category
    frequencies (``init_visible_bias``), weights at N(0, init_std^2) from
    ``seed``. A conditional recipe needs ``asked``, the pairs it will be asked
    to predict (its r is ``rated_matrix(train_ratings, asked)``); the others
    must not get it. ``callbacks`` are passed to the training loop. ``monitor``
    says whether to compute the per-epoch training error (a pass over the data
    that changes nothing else); by default only when callbacks are given, which
    may read it. ``device`` is where the
    model lives and trains (``resolve_device``: None the CPU, ``"auto"`` a GPU
    if there is one); the ratings stay where they are and are moved as needed.
    Introduced in notebook 06 (Softmax units).
    """
    if not isinstance(recipe, Recipe) or recipe.n_categories is None:
        what = "a Bernoulli Recipe (n_categories=None)" if isinstance(recipe, Recipe) else type(recipe).__name__
        raise ValueError(f"recipe must be a softmax Recipe (n_categories 2 or 5) such as MOVIES_K5; got {what}.")
    train_ratings = _check_ratings(train_ratings, "train_ratings")
    if recipe.conditional and asked is None:
        raise ValueError("asked is required by a conditional recipe: the (user, movie) pairs it will predict, e.g. test != -1.")
    if asked is not None and not recipe.conditional:
        raise ValueError("asked is only used by a conditional recipe; leave it out, or the model would not be what it says.")
    data = _layout(categories_from_ratings(train_ratings, recipe.n_categories), recipe)
    sizes = (data.shape[1], recipe.n_categories, recipe.n_hidden)
    settings = dict(epochs=recipe.epochs, batch_size=recipe.batch_size, learning_rate=recipe.learning_rate,
                    momentum=recipe.momentum, weight_decay=recipe.weight_decay, k=recipe.k, method=recipe.method, seed=seed,
                    callbacks=callbacks, progress=False)
    monitor = bool(callbacks) if monitor is None else monitor
    if recipe.plain:
        model = SoftmaxRBM(*sizes, seed=seed, init_std=recipe.init_std, device=device)
        model.init_visible_bias(data)
        return model, train(model, data, monitor=monitor, **settings)
    model = ConditionalSoftmaxRBM(*sizes, tied=recipe.tied, conditional=recipe.conditional, seed=seed, init_std=recipe.init_std,
                                  device=device)
    model.init_visible_bias(data)
    rated = _layout(rated_matrix(train_ratings, asked), recipe) if recipe.conditional else None
    return model, train_conditional(
        model, data, rated=rated, tied_learning_rate=recipe.tied_learning_rate, monitor=monitor, **settings
    )


def predict_softmax(
    model: SoftmaxRBM,
    train_ratings: torch.Tensor,
    recipe: Recipe,
    *,
    asked: torch.Tensor | None = None,
) -> torch.Tensor:
    """Mean-field distributions over the K categories for every (user, movie), shape (n_users, n_movies, K).

    The model sees ``train_ratings`` (and, if conditional, r from ``asked``,
    which must be what it was trained with). For K = 2, ``[..., 1]`` is
    p(liked); for K = 5, ``expected_category(...) + 1`` the expected stars.
    Introduced in notebook 06 (Softmax units).
    """
    train_ratings = _check_ratings(train_ratings, "train_ratings")
    data = _layout(categories_from_ratings(train_ratings, recipe.n_categories), recipe)
    with torch.no_grad():
        if recipe.conditional:
            if asked is None:
                raise ValueError("asked is required by a conditional recipe (the pairs it was trained to predict).")
            probabilities = model.reconstruct(data, condition=_layout(rated_matrix(train_ratings, asked), recipe))
        else:
            probabilities = model.reconstruct(data)
    return probabilities if recipe.rows == "users" else probabilities.transpose(0, 1)
