"""The checkers added for the course tracks of notebooks 06-09: a right report passes, typical wrong ones are named."""
from dataclasses import replace

import pytest
import torch

from rbm_helpers.data import RatingsIndex, holdout_split, make_synthetic, ratings_matrix
from rbm_helpers.exercises.softmax_units import check_reported_rmse
from rbm_helpers.recipes_softmax import MOVIES_K2, MOVIES_K5, PAPER_K5, fit_softmax
from rbm_helpers.softmax import categories_from_ratings

pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py


@pytest.fixture(scope="module")
def split():
    ratings, _ = make_synthetic(n_users=60, n_items=40, n_ratings=1200, seed=2)
    train_part, test_part = holdout_split(ratings, test_fraction=0.2, seed=0)
    index = RatingsIndex.from_ratings(train_part, test_part)
    return ratings_matrix(train_part, index), ratings_matrix(test_part, index)


@pytest.fixture(scope="module")
def trained(split):
    recipe = replace(MOVIES_K5, n_hidden=6, epochs=2, batch_size=20)
    model, _ = fit_softmax(split[0], recipe, seed=0)
    return model, recipe


def held_out_rmse(model, train, test):
    """Written out independently of the checker: one RBM per movie, mean field, expected stars, pooled over test."""
    with torch.no_grad():
        probabilities = model.reconstruct(categories_from_ratings(train, 5).T).transpose(0, 1).double()
    stars = probabilities @ torch.arange(1.0, 6.0, dtype=torch.float64)
    held = test != -1
    return ((stars[held] - test[held].double()) ** 2).mean().sqrt().item(), stars, held


def test_the_right_rmse_passes_and_is_reported(split, trained, capsys):
    train, test = split
    model, recipe = trained
    value, _, _ = held_out_rmse(model, train, test)
    assert check_reported_rmse(value, model, recipe, train, test)
    out = capsys.readouterr().out
    assert out.startswith("Correct!") and f"{value:.4f}" in out and "6 hidden units" in out
    assert check_reported_rmse(torch.tensor(value, dtype=torch.float32), model, recipe, train, test)  # a 0-d tensor is fine


def test_typical_mistakes_are_named(split, trained, capsys):
    train, test = split
    model, recipe = trained
    value, stars, held = held_out_rmse(model, train, test)
    seen = train != -1
    on_training = ((stars[seen] - train[seen].double()) ** 2).mean().sqrt().item()
    categories = ((stars[held] - 1 - test[held].double()) ** 2).mean().sqrt().item()
    absolute = (stars[held] - test[held].double()).abs().mean().item()
    for wrong_value, named in [(on_training, "training ratings"), (categories, "categories 0..4"),
                               (value ** 2, "mean squared error"), (absolute, "mean absolute error"),
                               (value + 0.01, "not the held-out RMSE")]:
        assert not check_reported_rmse(wrong_value, model, recipe, train, test)
        assert named in capsys.readouterr().out


def test_a_model_that_is_not_the_recipes_is_caught(split, trained, capsys):
    train, test = split
    model, recipe = trained
    value, _, _ = held_out_rmse(model, train, test)
    for other, named in [(replace(recipe, n_hidden=7), "7"), (replace(recipe, tied=False), "kind"),
                         (replace(PAPER_K5, n_hidden=6), "visible units")]:
        assert not check_reported_rmse(value, model, other, train, test)
        assert named in capsys.readouterr().out
    assert not check_reported_rmse(value, model, MOVIES_K2, train, test)
    assert "star recipe" in capsys.readouterr().out


def test_an_unfinished_stub_is_reported_not_raised(split, trained, capsys):
    train, test = split
    model, recipe = trained
    assert not check_reported_rmse(..., ..., recipe, train, test)
    assert "my_model is still `...`" in capsys.readouterr().out
    assert not check_reported_rmse(..., model, recipe, train, test)
    assert "my_rmse is still `...`" in capsys.readouterr().out
    assert not check_reported_rmse(0.9, "a model", recipe, train, test)
    assert "not a trained softmax RBM" in capsys.readouterr().out
    assert not check_reported_rmse(None, model, recipe, train, test)
    assert "forget `return`" in capsys.readouterr().out
    assert not check_reported_rmse(0.9, model, recipe, train, test[:3])
    assert "shape" in capsys.readouterr().out
