"""Checkers for the exercises of notebook 06 (softmax units): visible probabilities, expected rating, exact prediction,
and the held-out RMSE of a model of the learner's own.

Introduced in notebook 06 (Softmax units).
"""
from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F

from ..metrics import mae, rmse
from ..recipes import Recipe
from ..recipes_softmax import predict_softmax
from ..softmax import SoftmaxRBM, expected_category
from ..softmax_conditional import ConditionalSoftmaxRBM
from ..validation import MISSING
from .checking import (
    DTYPE,
    as_number,
    correct,
    diagnose_number,
    function_name,
    mismatch,
    parameters,
    random_biases,
    returned_tensor,
    wrong,
)

__all__ = ["check_exact_prediction", "check_expected_rating", "check_reported_rmse", "check_visible_probabilities"]


def _example_model(n_items: int = 4, n_categories: int = 5, n_hidden: int = 3, seed: int = 0) -> SoftmaxRBM:
    """A seeded float64 softmax RBM with every parameter drawn from N(0, 1) (nonzero biases catch a forgotten bias)."""
    return random_biases(SoftmaxRBM(n_items, n_categories, n_hidden, seed=seed, dtype=DTYPE, init_std=1.0), seed=seed)


# ---------------------------------------------------------------------- exercise 1: softmax visible units
VISIBLE_HINT = (
    "For each movie i and category k, add visible_bias[i, k] and sum_j weight[i, k, j] * h[:, j] "
    "(torch.einsum('bj,ikj->bik', h, weight)), then take the softmax over k, the last axis."
)


def check_visible_probabilities(visible_probabilities: Callable) -> bool:
    """Check ``visible_probabilities(h, weight, visible_bias)``: p(v_i = k | h), shape (batch, n_items, K).

    ``h`` is (batch, n_hidden), ``weight`` (n_items, K, n_hidden),
    ``visible_bias`` (n_items, K). Compared with
    ``SoftmaxRBM.visible_probabilities``. Introduced in notebook 06.
    """
    model = _example_model(seed=1)
    h = (torch.rand(6, 3, generator=torch.Generator().manual_seed(2)) < 0.5).to(DTYPE)
    expected = model.visible_probabilities(h)
    result = returned_tensor(visible_probabilities, (h, model.weight.detach(), model.visible_bias.detach()), VISIBLE_HINT,
                             shape=tuple(expected.shape),
                             shape_hint="One row per hidden vector, one row per movie, one column per category: (batch, n_items, K).")
    if result is None:
        return False
    logits = model.visible_bias + torch.einsum("bj,ikj->bik", h, model.weight)
    mistakes = [
        (torch.softmax(logits, dim=1), "each *movie's* probabilities should sum to one; yours sum to one over the movies.",
         "Take the softmax over the last axis (the K categories), not over the movies."),
        (torch.sigmoid(logits), "these are K independent sigmoids, not one softmax unit.",
         "A softmax unit is in exactly one of its K states: use torch.softmax(..., dim=-1)."),
        (torch.softmax(logits - model.visible_bias, -1), "the visible biases are missing.", "Add visible_bias[i, k] to each logit."),
    ]
    problem = mismatch(result, expected, mistakes, VISIBLE_HINT, differ="largest difference from SoftmaxRBM.visible_probabilities: {:.3g}.", atol=1e-10)
    if problem:
        return wrong(*problem)
    return correct(f"{function_name(visible_probabilities)} gives p(v_i = k | h) for 6 hidden vectors, 4 movies, 5 categories.")


# ---------------------------------------------------------------------- exercise 2: the expected rating
RATING_HINT = "The expected number of stars is sum_k (k + 1) * p_k for categories k = 0..4 (stars 1..5)."


def check_expected_rating(expected_rating: Callable) -> bool:
    """Check ``expected_rating(probabilities)``: expected stars 1..5 from (..., 5) distributions.

    Compared with ``expected_category(...) + 1``. Introduced in notebook 06.
    """
    generator = torch.Generator().manual_seed(3)
    probabilities = torch.softmax(2 * torch.randn(7, 9, 5, generator=generator, dtype=DTYPE), -1)
    expected = expected_category(probabilities) + 1
    result = returned_tensor(expected_rating, (probabilities,), RATING_HINT, shape=tuple(expected.shape),
                             shape_hint="One number per distribution: sum over the last axis.")
    if result is None:
        return False
    mistakes = [
        (expected - 1, "these are categories 0..4, not stars 1..5.", "Category k means k + 1 stars: add 1."),
        (probabilities.argmax(-1).to(DTYPE) + 1, "this is the most likely rating, not the expected one.",
         "RMSE rewards the mean of the distribution: sum_k (k + 1) p_k."),
        (probabilities.mean(-1), "this averages the probabilities, which always gives 0.2.", RATING_HINT),
    ]
    problem = mismatch(result, expected, mistakes, RATING_HINT, differ="largest difference: {:.3g} stars.", atol=1e-10)
    if problem:
        return wrong(*problem)
    return correct(f"{function_name(expected_rating)} gives the expected stars of 63 distributions.")


# ---------------------------------------------------------------------- exercise 3: the paper's exact prediction
EXACT_HINT = (
    "x_j = hidden_bias_j + sum over the rated movies i of weight[i, v_i, j]. Then "
    "log p(v_q = k | V) = visible_bias[q, k] + sum_j softplus(x_j + weight[q, k, j]) + constant: "
    "take the softmax over k."
)


def check_exact_prediction(exact_prediction: Callable) -> bool:
    """Check ``exact_prediction(v, q, weight, visible_bias, hidden_bias)``: p(v_q = k | V) for one user, shape (K,).

    ``v`` holds one user's categories (-1 unrated) and movie ``q`` is
    unrated; the answer integrates the hidden units out exactly (the paper's
    prediction). Compared with ``SoftmaxRBM.exact_conditional``.
    Introduced in notebook 06.
    """
    model = _example_model(n_items=6, seed=4)
    v = torch.tensor([3, -1, 0, 4, -1, 2])
    q = 1
    expected = model.exact_conditional(v)[0, q]
    result = returned_tensor(exact_prediction, (v, q, *parameters(model)), EXACT_HINT, shape=(model.n_categories,),
                             shape_hint="Return one probability per category of movie q.")
    if result is None:
        return False
    rated = [(i, int(k)) for i, k in enumerate(v.tolist()) if k >= 0]
    x = model.hidden_bias + sum(model.weight[i, k] for i, k in rated)
    mean_field = torch.softmax(model.visible_bias[q] + model.weight[q] @ torch.sigmoid(x), -1)
    every_movie = model.hidden_bias + sum(model.weight[i, max(k, 0)] for i, k in enumerate(v.tolist()))
    mistakes = [
        (mean_field, "this is the mean-field prediction (h replaced by p(h | V)), not the exact one.",
         "Sum the hidden units out: softplus(x_j + weight[q, k, j]) for each k, not weight[q, k] @ sigmoid(x)."),
        (torch.softmax(F.softplus(x + model.weight[q]).sum(-1), -1), "the visible bias of movie q is missing.",
         "Add visible_bias[q, k] to each category's log-weight."),
        (torch.softmax(model.visible_bias[q] + F.softplus(every_movie + model.weight[q]).sum(-1), -1),
         "the unrated movies were counted as category 0.", "Sum weight[i, v_i] over the rated movies only (v_i >= 0)."),
    ]
    problem = mismatch(result, expected, mistakes, EXACT_HINT, differ="largest difference from SoftmaxRBM.exact_conditional: {:.3g}.", atol=1e-10)
    if problem:
        return wrong(*problem)
    return correct(f"{function_name(exact_prediction)} integrates the hidden units out exactly: {result.numpy().round(3).tolist()}.")


# ---------------------------------------------------------------------- exercise 4: a model of your own
REPORTED_HINT = (
    "Predict with predict_softmax(my_model, train_stars, my_recipe), take the expected stars "
    "(expected_category(...) + 1), and score them with metrics.rmse(stars, test_stars): the held-out ratings only."
)
RMSE_TOLERANCE = 1e-4
"""How far a reported RMSE may be from the checker's own (float32 sums in another order differ by about 1e-6)."""


def _model_problem(model: object, recipe: Recipe, n_users: int, n_movies: int) -> str | None:
    """Why ``model`` cannot be the model ``recipe`` trains on an (n_users, n_movies) matrix; None if it can be."""
    if not isinstance(model, SoftmaxRBM):
        return (f"my_model is a {type(model).__name__}, not a trained softmax RBM: "
                "my_model, history = fit_softmax(train_stars, my_recipe, seed=SEED) returns one.")
    n_items = n_movies if recipe.rows == "users" else n_users
    built = (model.n_items, model.n_categories, model.n_hidden)
    if built != (n_items, recipe.n_categories, recipe.n_hidden):
        return (f"my_model has {model.n_items} visible units, K = {model.n_categories} and {model.n_hidden} hidden units; "
                f"my_recipe gives {n_items}, {recipe.n_categories} and {recipe.n_hidden}. Train my_model with my_recipe.")
    if isinstance(model, ConditionalSoftmaxRBM) == recipe.plain:
        return "my_model's kind (tied or conditional terms) is not the one my_recipe trains. Train my_model with my_recipe."
    return None


def check_reported_rmse(
    reported: object, model: object, recipe: object, train_ratings: torch.Tensor, test_ratings: torch.Tensor
) -> bool:
    """Check that ``reported`` is ``model``'s held-out RMSE: its expected stars scored on ``test_ratings``.

    ``model`` must be what ``fit_softmax(train_ratings, recipe, ...)``
    returns for a star recipe (K = 5, not conditional); the checker predicts
    with ``predict_softmax`` from ``train_ratings`` and computes the RMSE of
    the expected rating over the stars of ``test_ratings`` (-1 where none).
    Any recipe is right: the exercise is to explore and report honestly.
    Introduced in notebook 06.
    """
    if not isinstance(recipe, Recipe) or recipe.n_categories != 5 or recipe.conditional:
        return wrong(f"my_recipe must be a star recipe such as MOVIES_K5 (K = 5, not conditional); got {recipe!r}.",
                     "Start from MOVIES_K5 and change what you like: replace(MOVIES_K5, n_hidden=50, epochs=20).")
    for ratings, name in ((train_ratings, "train_stars"), (test_ratings, "test_stars")):
        if not isinstance(ratings, torch.Tensor) or ratings.dim() != 2:
            return wrong(f"{name} must be the (users x movies) matrix of stars from evaluation.star_matrices(fold).",
                         "Pass train_stars and test_stars as the notebook defines them.")
    if train_ratings.shape != test_ratings.shape:
        return wrong(f"train_stars has shape {tuple(train_ratings.shape)} and test_stars {tuple(test_ratings.shape)}.",
                     "Both come from evaluation.star_matrices(fold), for the same fold.")
    if model is ... or reported is ...:
        return wrong(f"{'my_model' if model is ... else 'my_rmse'} is still `...`.", "Train my_model with fit_softmax, then score it. "
                     + REPORTED_HINT)
    problem = _model_problem(model, recipe, *train_ratings.shape)
    if problem:
        return wrong(problem, "Train the model first, then score it.")
    value, problem = as_number(reported, "my_rmse")
    if problem:
        return wrong(problem, REPORTED_HINT)
    probabilities = predict_softmax(model, train_ratings, recipe).double()
    stars = expected_category(probabilities) + 1
    truth, seen = test_ratings.double(), train_ratings.double()
    expected = rmse(stars, truth)
    most_likely = probabilities.argmax(-1).double() + 1
    mistakes = [
        (rmse(stars, seen), "this is the RMSE on the training ratings, which the model has seen.",
         "Score the predictions on test_stars, the held-out ratings."),
        (rmse(stars - 1, truth), "these predictions are categories 0..4, not stars 1..5.", "Category k means k + 1 stars: add 1."),
        (expected ** 2, "this is the mean squared error; RMSE is its square root.", "Take the square root."),
        (mae(stars, truth), "this is the mean absolute error, not the root mean squared error.", REPORTED_HINT),
        (rmse(most_likely, truth), "this scores the most likely rating, not the expected one.",
         "RMSE rewards the mean of the distribution: expected_category(...) + 1."),
    ]
    diagnosis = diagnose_number(value, expected, mistakes, tolerance=RMSE_TOLERANCE)
    if diagnosis:
        return wrong(*diagnosis)
    if abs(value - expected) > RMSE_TOLERANCE:
        return wrong(f"my_rmse is {value:.4f}, which is not the held-out RMSE of my_model's expected rating.", REPORTED_HINT)
    n_held = int((test_ratings != MISSING).sum())
    return correct(f"with {recipe.n_hidden} hidden units and {recipe.epochs} epochs ({recipe.rows} as rows), the held-out "
                   f"RMSE over {n_held:,} ratings is {expected:.4f}.")
