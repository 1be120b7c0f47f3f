"""The recommender at any size: rating scales, entries in both layouts, predictions, top-k, the train command."""
import json
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import torch

from rbm_helpers.cli import main
from rbm_helpers.data import RatingsIndex, holdout_split, make_synthetic
from rbm_helpers.rating_scale import HALF_STARS, STARS, RatingScale
from rbm_helpers.recipes_softmax import MOVIES_K5, predict_softmax
from rbm_helpers.recommender import RECIPES, fit_recommender, layout_entries, recipe_for
from rbm_helpers.softmax import categories_from_ratings
from rbm_helpers.softmax_conditional import ConditionalSoftmaxRBM
from rbm_helpers.data.matrices import ratings_matrix

pytestmark = pytest.mark.filterwarnings("ignore:Sparse")


def _ratings(n_users=60, n_items=40, n_ratings=900, seed=0, half_stars=False) -> pd.DataFrame:
    ratings = make_synthetic(n_users, n_items, n_ratings, seed=seed)[0]
    if half_stars:  # the same pairs on a half-star scale: a tenth of the ratings half a star lower
        generator = np.random.default_rng(seed)
        ratings = ratings.assign(rating=ratings["rating"] - 0.5 * (generator.random(len(ratings)) < 0.3))
    return ratings


def test_rating_scale_round_trip_and_expected_rating():
    assert RatingScale.of([3, 1, 5, 2, 4, 4]) == STARS
    assert HALF_STARS.n_categories == 10 and HALF_STARS.values[0] == 0.5
    assert HALF_STARS.categories(np.array([0.5, 3.0, 5.0])).tolist() == [0, 5, 9]
    one_hot = torch.eye(10, dtype=torch.float64)
    torch.testing.assert_close(HALF_STARS.expected_rating(one_hot), torch.tensor(HALF_STARS.values, dtype=torch.float64))
    with pytest.raises(ValueError, match=r"not on the scale"):
        STARS.categories(np.array([2.5]))
    with pytest.raises(ValueError, match="increasing order"):
        RatingScale((1, 1, 2))


def test_categories_from_ratings_takes_half_stars():
    ratings = torch.tensor([[0.5, 3.5, -1.0], [5.0, 0.0, 1.0]])
    assert categories_from_ratings(ratings, 10).tolist() == [[0, 6, -1], [9, -1, 1]]
    assert categories_from_ratings(ratings, 2).tolist() == [[0, 1, -1], [1, -1, 0]]
    with pytest.raises(ValueError, match="whole stars 1..5"):
        categories_from_ratings(ratings, 5)


@pytest.mark.parametrize("name", ["movies-k5", "users-k2", "sane-binary"])
def test_entries_hold_the_dense_matrix(name):
    ratings = _ratings()
    index = RatingsIndex.from_ratings(ratings)
    recipe = recipe_for(name, STARS)
    rows = layout_entries(ratings, index, recipe, STARS)
    dense = ratings_matrix(ratings, index, binary=recipe.n_categories in (None, 2))
    expected = dense.long() if recipe.n_categories is None else categories_from_ratings(ratings_matrix(ratings, index), recipe.n_categories)
    expected = expected if recipe.rows == "users" else expected.T
    assert torch.equal(rows.to_dense(), expected)


def test_predictions_equal_the_dense_recipe():
    """The entry path trains the same model as notebook 06's fit_softmax and predicts the same distributions."""
    ratings = _ratings(seed=1)
    train, test = holdout_split(ratings, test_fraction=0.2, seed=0)
    index = RatingsIndex.from_ratings(ratings)
    recipe = RECIPES["movies-k5"]
    recommender, _ = fit_recommender(train, recipe, index=index, scale=STARS, seed=0, epochs=3)
    from dataclasses import replace

    from rbm_helpers.recipes_softmax import fit_softmax
    train_matrix = ratings_matrix(train, index)
    dense_model, _ = fit_softmax(train_matrix, replace(recipe, epochs=3), seed=0)
    for name, parameter in dense_model.named_parameters():
        torch.testing.assert_close(dict(recommender.model.named_parameters())[name], parameter, rtol=1e-4, atol=1e-5, msg=name)
    dense = predict_softmax(dense_model, train_matrix, replace(recipe, epochs=3))
    users, items = index.rows(test["user_id"]), index.columns(test["item_id"])
    torch.testing.assert_close(recommender.predict(test["user_id"].to_numpy(), test["item_id"].to_numpy()),
                               dense[torch.from_numpy(users), torch.from_numpy(items)], rtol=1e-4, atol=1e-5)


def test_half_star_data_trains_with_k10_and_scores():
    ratings = _ratings(half_stars=True)
    scale = RatingScale.of(ratings["rating"])
    assert scale == HALF_STARS
    with pytest.raises(ValueError, match="use movies-stars"):
        recipe_for("movies-k5", scale)
    recipe = recipe_for("movies-stars", scale)
    assert recipe.n_categories == 10
    train, test = holdout_split(ratings, test_fraction=0.2, seed=0)
    recommender, history = fit_recommender(train, recipe, index=RatingsIndex.from_ratings(ratings), scale=scale, epochs=2)
    scores = recommender.scores(test)
    assert len(history) == 2 and 0 < scores["held_out_rmse"] < 2 and 0 < scores["held_out_auc"] < 1
    assert isinstance(recommender.model, ConditionalSoftmaxRBM) and recommender.model.n_categories == 10


def test_top_k_leaves_out_rated_movies():
    ratings = _ratings(seed=2)
    for name in ("movies-k5", "users-k5"):
        recommender, _ = fit_recommender(ratings, recipe_for(name, STARS), seed=0, epochs=1)
        users = recommender.index.user_ids[:5]
        picks = recommender.top_k(users, k=7, chunk_users=2)
        assert len(picks) == 35 and picks.groupby("user_id").size().eq(7).all()
        rated = set(zip(ratings["user_id"], ratings["item_id"]))
        assert not any((u, i) in rated for u, i in zip(picks["user_id"], picks["item_id"]))
        scores = picks.groupby("user_id")["score"].apply(lambda s: s.is_monotonic_decreasing)
        assert scores.all()


def test_train_command_prints_json_and_saves_a_loadable_model(tmp_path):
    out = tmp_path / "model.pt"
    run = subprocess.run([sys.executable, "-m", "rbm_helpers", "train", "--data", "synthetic", "--users", "200", "--items", "150",
                          "--ratings", "5000", "--model", "movies-k2", "--epochs", "2", "--test-fraction", "0.1", "--out", str(out)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    for key in ("data", "n_users", "n_items", "n_ratings", "model", "epochs", "seconds_per_epoch", "peak_memory_mib", "device",
                "world_size", "held_out_auc"):
        assert key in result
    assert (result["n_users"], result["n_items"], result["n_ratings"], result["epochs"]) == (200, 150, 5000, 2)
    model = ConditionalSoftmaxRBM.load(out)
    assert model.n_categories == 2 and model.n_items == 200  # movies as rows: a softmax unit per user
    assert "epoch 2/2" in run.stderr  # a progress bar per epoch


@pytest.mark.parametrize("flags, message", [
    (["--data", "ml-100k", "--users", "5"], "for --data synthetic only"),
    (["--data", "synthetic", "--model", "movies-k9"], 'Did you mean "movies-k5"'),
    (["--data", "synthetc"], "--data must be one of"),
    (["--data", "synthetic", "--test-fraction", "1.5"], r"--test-fraction must be in \[0, 1\)"),
    (["--data", "synthetic", "--ratings", "0"], "--ratings must be a whole number >= 1"),
    (["--data", "synthetic", "--device", "cuda:7"], "cuda"),
])
def test_train_command_refuses_bad_flags(tmp_path, capsys, flags, message):
    arguments = {"--model": "movies-k5", "--out": str(tmp_path / "m.pt")}
    for flag, value in zip(flags[::2], flags[1::2]):
        arguments[flag] = value
    status = main(["train"] + [part for item in arguments.items() for part in item])
    error = capsys.readouterr().err
    assert status == 2 and re.search(message, error), error
    assert not (tmp_path / "m.pt").exists()


def test_out_must_be_a_file_in_an_existing_folder(tmp_path, capsys):
    for out, message in ((tmp_path, "is a folder"), (tmp_path / "missing" / "m.pt", "does not exist")):
        status = main(["train", "--data", "synthetic", "--model", "movies-k5", "--out", str(out)])
        assert status == 2 and message in capsys.readouterr().err
