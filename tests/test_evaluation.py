"""Tests of rbm_helpers.evaluation: the shared path of notebook 05 and benchmarks/quality.py."""
import math

import pandas as pd
import pytest
import torch

from rbm_helpers import baselines, evaluation, metrics
from rbm_helpers.data import DataUnavailableError, holdout_split, make_synthetic
from rbm_helpers.recipes import SANE_RECIPE, Recipe, train_sane_rbm


@pytest.fixture(scope="module")
def small_fold():
    ratings, _ = make_synthetic(n_users=120, n_items=90, n_ratings=3000, seed=1)
    train, test = holdout_split(ratings, test_fraction=0.2, seed=0)
    return evaluation.fold_from_ratings("small", train, test)


def _numbers(results: pd.DataFrame) -> pd.DataFrame:
    return results.drop(columns="seconds")


def test_evaluate_gives_identical_numbers_when_run_twice(small_fold):
    first = evaluation.evaluate(folds=[small_fold], seed=3)
    second = evaluation.evaluate(folds=[small_fold], seed=3)
    pd.testing.assert_frame_equal(_numbers(first), _numbers(second), check_exact=True)
    assert list(first["model"]) == list(evaluation.MODELS)


def test_models_run_on_one_thread_and_the_callers_setting_is_restored(small_fold):
    # One thread makes the numbers independent of the caller's setting (the order of float sums).
    seen = []

    @evaluation.register_model("thread probe", kind="baseline", description="test only")
    def probe(fold, seed):
        seen.append(torch.get_num_threads())
        return torch.full(fold.train.shape, 0.5, dtype=torch.float64)

    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        evaluation.evaluate(["thread probe"], [small_fold])
        assert seen == [1]
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(threads)
        del evaluation.REGISTRY["thread probe"]


def test_kept_scores_are_the_scores_behind_each_row(small_fold):
    kept = {}
    results = evaluation.evaluate(["movie liked-rate", "sane RBM (0/1)"], [small_fold], keep_scores=kept)
    assert set(kept) == {("movie liked-rate", "small"), ("sane RBM (0/1)", "small")}
    for row in results.to_dict("records"):
        assert metrics.auc(kept[(row["model"], row["fold"])], small_fold.test) == row["auc"]
    torch.testing.assert_close(kept[("movie liked-rate", "small")], baselines.movie_liked_rate(small_fold.train))


def test_a_different_seed_gives_a_different_rbm(small_fold):
    a = evaluation.evaluate_model("sane RBM (0/1)", small_fold, seed=0)
    b = evaluation.evaluate_model("sane RBM (0/1)", small_fold, seed=1)
    assert a["auc"] != b["auc"]


def test_baseline_rows_are_the_metrics_of_the_baseline_scores(small_fold):
    row = evaluation.evaluate_model("blend user+movie", small_fold, seed=0)
    expected = metrics.evaluate_binary(baselines.user_movie_blend(small_fold.train), small_fold.test, small_fold.train, k=10, seed=0)
    for name, value in expected.items():
        assert row[name] == value
    assert row["kind"] == "baseline" and row["fold"] == "small" and row["seconds"] >= 0


def test_sane_rbm_row_is_the_recipe_trained_directly(small_fold):
    rbm, _ = train_sane_rbm(small_fold.train, SANE_RECIPE, seed=0)
    scores = rbm.reconstruct(small_fold.train).double()
    row = evaluation.evaluate_model("sane RBM (0/1)", small_fold, seed=0)
    assert row["auc"] == metrics.auc(scores, small_fold.test)
    assert row["mae_threshold"] == metrics.mae_threshold(scores, small_fold.test)


def test_registering_a_model_adds_one_row_per_fold(small_fold):
    @evaluation.register_model("constant 0.7", kind="baseline", description="test only")
    def constant(fold, seed):
        return torch.full(fold.train.shape, 0.7, dtype=torch.float64)

    try:
        results = evaluation.evaluate(["constant 0.7"], [small_fold, small_fold])
        assert list(results["model"]) == ["constant 0.7"] * 2
        assert results["auc"].tolist() == [0.5, 0.5]
    finally:
        del evaluation.REGISTRY["constant 0.7"]


def test_bad_arguments_are_named(small_fold):
    with pytest.raises(ValueError, match="model must be one of"):
        evaluation.evaluate(["no such model"], [small_fold])
    with pytest.raises(ValueError, match="kind must be one of"):
        evaluation.register_model("x", kind="magic", description="")
    with pytest.raises(ValueError, match="name must be one of"):
        evaluation.load_binary_fold("u9")
    with pytest.raises(ValueError, match="recipe must be"):
        train_sane_rbm(small_fold.train, {"epochs": 3})


def test_scores_of_the_wrong_shape_are_refused(small_fold):
    @evaluation.register_model("wrong shape", kind="baseline", description="test only")
    def wrong(fold, seed):
        return torch.full((3, 3), 0.5, dtype=torch.float64)

    try:
        with pytest.raises(ValueError, match="shape"):
            evaluation.evaluate_model("wrong shape", small_fold)
    finally:
        del evaluation.REGISTRY["wrong shape"]


def test_fold_train_and_test_never_share_a_pair(small_fold):
    both = (small_fold.train != -1) & (small_fold.test != -1)
    assert not bool(both.any())
    train, _ = holdout_split(make_synthetic(n_users=30, n_items=20, n_ratings=200, seed=2)[0], seed=0)
    with pytest.raises(ValueError, match="must not share"):
        evaluation.fold_from_ratings("leaky", train, train)


def test_summarize_gives_mean_and_sample_std_per_model():
    results = pd.DataFrame(
        {
            "model": ["a", "b", "a", "b"],
            "kind": ["baseline", "rbm"] * 2,
            "fold": ["u1", "u1", "u2", "u2"],
            "auc": [0.7, 0.6, 0.8, 0.6],
            "seconds": [1.0, 2.0, 3.0, 4.0],
        }
    )
    summary = evaluation.summarize(results)
    assert list(summary.index) == ["a", "b"]
    assert summary.loc["a", ("auc", "mean")] == pytest.approx(0.75)
    assert summary.loc["a", ("auc", "std")] == pytest.approx(math.sqrt(0.005))
    assert summary.loc["b", ("folds", "")] == 2
    table = evaluation.markdown_table(summary)
    assert "| a | baseline | 2 | 0.7500 ± 0.0707 | 2.0 ± 1.4 |" in table
    one_fold = evaluation.markdown_table(evaluation.summarize(results[results["fold"] == "u1"]))
    assert "| a | baseline | 1 | 0.7000 | 1.0 |" in one_fold


def test_recipe_can_be_changed_with_replace():
    from dataclasses import replace

    recipe = replace(SANE_RECIPE, epochs=2, n_hidden=5)
    assert isinstance(recipe, Recipe) and recipe.epochs == 2 and SANE_RECIPE.epochs == 20
    ratings, _ = make_synthetic(n_users=40, n_items=30, n_ratings=600, seed=0)
    fold = evaluation.fold_from_ratings("tiny", *holdout_split(ratings, seed=0))
    rbm, history = train_sane_rbm(fold.train, recipe, seed=0)
    assert rbm.n_hidden == 5 and len(history) == 2


def _real_fold(name):
    try:
        return evaluation.load_binary_fold(name)
    except DataUnavailableError:
        pytest.skip("MovieLens 100K is not available offline here (set RBM_HELPERS_DATA to a folder holding ml-100k).")


def test_reference_numbers_of_the_baselines_on_u1():
    fold = _real_fold("u1")
    assert fold.train.shape == (943, 1682)
    rows = {r["model"]: r for r in evaluation.evaluate(["always liked", "user majority", "blend user+movie"], [fold]).to_dict("records")}
    assert rows["always liked"]["mae_threshold"] == pytest.approx(0.1589, abs=5e-5)
    assert rows["user majority"]["mae_threshold"] == pytest.approx(0.1551, abs=5e-5)
    assert rows["blend user+movie"]["auc"] == pytest.approx(0.794, abs=5e-4)


def test_one_registry_holds_both_tasks_and_the_views_are_read_only():
    assert set(evaluation.REGISTRY) == {*evaluation.MODELS, *evaluation.RATING_MODELS}
    assert {entry.task for entry in evaluation.MODELS.values()} == {"liked"}
    assert {entry.task for entry in evaluation.RATING_MODELS.values()} == {"stars"}
    assert "BaselineOnly" in evaluation.RATING_MODELS and "BaselineOnly" not in evaluation.MODELS
    with pytest.raises(TypeError):
        evaluation.MODELS["x"] = evaluation.MODELS["always liked"]
    with pytest.raises(ValueError, match="already a model of task 'liked'"):
        evaluation.register_rating_model("always liked", kind="baseline", description="")
    with pytest.raises(ValueError, match="task must be one of"):
        evaluation.register_model("x", kind="baseline", description="", task="votes")
    with pytest.raises(ValueError, match="model must be one of"):
        evaluation.evaluate(["BaselineOnly"], [])  # a model of stars is not a model of p(liked)
