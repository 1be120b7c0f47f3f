"""The softmax recipes of notebook 06 on a small synthetic data set: layouts, the conditional input, learning."""
from dataclasses import replace

import pytest
import torch

from rbm_helpers import baselines, expected_category, metrics
from rbm_helpers.data import RatingsIndex, holdout_split, make_synthetic, ratings_matrix
from rbm_helpers.recipes_softmax import (
    CONDITIONAL_K2,
    CONDITIONAL_K5,
    MOVIES_K5,
    PAPER_K2,
    PAPER_K5,
    SoftmaxRecipe,
    fit_softmax,
    predict_softmax,
    rated_matrix,
)
from rbm_helpers.softmax import SoftmaxRBM, categories_from_ratings
from rbm_helpers.softmax_conditional import ConditionalSoftmaxRBM


pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py


@pytest.fixture(scope="module")
def split():
    ratings, _ = make_synthetic(n_users=120, n_items=60, n_ratings=3000, seed=1)
    train_part, test_part = holdout_split(ratings, test_fraction=0.2, seed=0)
    index = RatingsIndex.from_ratings(train_part, test_part)
    return ratings_matrix(train_part, index), ratings_matrix(test_part, index)


def small(recipe, **changes):
    return replace(recipe, n_hidden=8, epochs=3, batch_size=20, **changes)


@pytest.mark.parametrize("recipe", [PAPER_K2, PAPER_K5, MOVIES_K5, CONDITIONAL_K2])
def test_every_layout_predicts_a_distribution_for_every_pair(split, recipe):
    train, test = split
    asked = test != -1 if recipe.conditional else None
    model, history = fit_softmax(train, small(recipe), seed=0, asked=asked)
    p = predict_softmax(model, train, small(recipe), asked=asked)
    assert p.shape == (*train.shape, recipe.n_categories)
    torch.testing.assert_close(p.sum(-1), torch.ones(train.shape))
    assert isinstance(model, SoftmaxRBM if recipe.plain else ConditionalSoftmaxRBM)
    assert model.n_items == (train.shape[1] if recipe.rows == "users" else train.shape[0])
    assert len(history) == 3


def test_movies_as_rows_is_the_same_model_on_the_transposed_matrix(split):
    train, _ = split
    recipe = small(MOVIES_K5, tied=False)
    model, _ = fit_softmax(train, recipe, seed=1)
    transposed = model.reconstruct(categories_from_ratings(train, 5).T)
    torch.testing.assert_close(predict_softmax(model, train, recipe), transposed.transpose(0, 1))
    again, _ = fit_softmax(train, recipe, seed=1)
    assert torch.equal(again.weight, model.weight)  # the same seed gives the same model


@pytest.mark.parametrize("recipe", [PAPER_K5, MOVIES_K5])
def test_monitor_only_adds_the_training_error_and_follows_the_callbacks_by_default(split, recipe):
    train, _ = split
    seen = []
    callback = lambda model, record: seen.append(record["epoch"])
    plain, quiet = fit_softmax(train, small(recipe), seed=0)
    watched, monitored = fit_softmax(train, small(recipe), seed=0, callbacks=[callback])
    fast, unmonitored = fit_softmax(train, small(recipe), seed=0, callbacks=[callback], monitor=False)
    assert seen == [1, 2, 3, 1, 2, 3]
    assert quiet["train_error"].isna().all() and unmonitored["train_error"].isna().all()
    assert monitored["train_error"].notna().all()
    for other in (watched, fast):
        assert torch.equal(other.weight, plain.weight), "monitoring changes nothing in the model"


def test_the_conditional_recipe_sees_the_asked_pairs_and_the_others_refuse_them(split):
    train, test = split
    asked = test != -1
    r = rated_matrix(train, asked)
    assert torch.equal(r.bool(), (train != -1) | asked)
    recipe = small(CONDITIONAL_K5)
    model, _ = fit_softmax(train, recipe, seed=0, asked=asked)
    p = predict_softmax(model, train, recipe, asked=asked)
    torch.testing.assert_close(p.transpose(0, 1), model.reconstruct(categories_from_ratings(train, 5).T, condition=r.T))
    with pytest.raises(ValueError, match="asked is required by a conditional recipe"):
        fit_softmax(train, recipe, seed=0)
    with pytest.raises(ValueError, match="asked is only used by a conditional recipe"):
        fit_softmax(train, small(MOVIES_K5), seed=0, asked=asked)


def test_the_tied_movie_recipe_learns_more_than_its_visible_biases(split):
    """Planted user leniency, movie quality and tastes: training beats the untrained model (users' rating histograms)."""
    train, test = split

    def rmse(learning_rate):
        recipe = replace(MOVIES_K5, n_hidden=20, epochs=15, batch_size=10, learning_rate=learning_rate)
        model, _ = fit_softmax(train, replace(recipe, tied_learning_rate=0.01 if learning_rate else 0.0), seed=0)
        return metrics.rmse(expected_category(predict_softmax(model, train, recipe)).double() + 1, test.double())

    constant = metrics.rmse(baselines.global_mean_rating(train.double()), test.double())
    trained, untrained = rmse(0.25), rmse(0.0)
    assert trained < untrained - 0.04 and untrained < constant  # about 1.05, 1.11 and 1.17


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: SoftmaxRecipe(n_categories=3), r"n_categories must be 2 .*, 5 .* or 10 .*; got 3"),
        (lambda: SoftmaxRecipe(rows="items"), r"rows must be one of \('users', 'movies'\); got 'items'"),
        (lambda: fit_softmax(torch.ones(3, 4), "MOVIES_K5"), r"recipe must be a softmax Recipe"),
        (lambda: fit_softmax(torch.ones(3), MOVIES_K5), r"train_ratings must be a 2-D tensor"),
        (lambda: rated_matrix(torch.ones(3, 4), torch.ones(4, 3)), r"asked must be a boolean tensor of shape \(3, 4\)"),
    ],
)
def test_bad_input_raises_a_value_error_naming_the_argument(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_one_recipe_type_serves_the_bernoulli_and_the_softmax_rbms():
    from rbm_helpers.recipes import SANE_RECIPE, Recipe, train_sane_rbm

    assert SoftmaxRecipe is Recipe and isinstance(MOVIES_K5, Recipe)
    assert SANE_RECIPE.n_categories is None and SANE_RECIPE.rows == "users" and SANE_RECIPE.plain
    with pytest.raises(ValueError, match="a Bernoulli recipe"):
        Recipe(rows="movies")
    with pytest.raises(ValueError, match="fit_softmax"):
        train_sane_rbm(torch.zeros(3, 4), MOVIES_K5)
    with pytest.raises(ValueError, match="got a Bernoulli Recipe"):
        fit_softmax(torch.ones(3, 4), SANE_RECIPE)
