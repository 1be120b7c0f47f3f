"""The softmax entries of rbm_helpers.evaluation and its star-rating registry (notebook 06), on a small synthetic fold."""
import pytest
import torch

from rbm_helpers import baselines, evaluation, metrics
from rbm_helpers.data import holdout_split, make_synthetic


@pytest.fixture(scope="module")
def fold():
    ratings, _ = make_synthetic(n_users=100, n_items=50, n_ratings=2000, seed=2)
    train, test = holdout_split(ratings, test_fraction=0.2, seed=0)
    return evaluation.fold_from_ratings("small", train, test)


def test_rating_models_are_scored_on_the_held_out_stars(fold):
    kept = {}
    results = evaluation.evaluate_ratings(folds=[fold], keep_predictions=kept)
    assert list(results.columns) == ["model", "kind", "fold", "rmse", "mae", "seconds"]
    assert list(results["model"]) == list(evaluation.RATING_MODELS) and set(results["kind"]) == {"baseline", "rbm", "blend"}
    train, test = evaluation.star_matrices(fold)
    truth = test.double()
    mean = train[train != -1].double().mean()
    row = results.set_index("model").loc["global mean"]
    assert row["rmse"] == pytest.approx(((truth[truth != -1] - mean) ** 2).mean().sqrt().item())
    assert row["mae"] == pytest.approx((truth[truth != -1] - mean).abs().mean().item())
    assert results.set_index("model").loc["BaselineOnly", "rmse"] == pytest.approx(
        metrics.rmse(baselines.baseline_only(train), truth)
    )
    blend = next(name for name in evaluation.RATING_MODELS if name.startswith("blend"))
    expected = evaluation.BLEND_WEIGHT * kept[("softmax RBM K=5 (users as rows)", "small")] + (1 - evaluation.BLEND_WEIGHT) * kept[("BaselineOnly", "small")]
    torch.testing.assert_close(kept[(blend, "small")], expected)
    for name in evaluation.RATING_MODELS:
        stars = kept[(name, "small")][test != -1]
        assert stars.min() >= 1 and stars.max() <= 5, name
    summary = evaluation.summarize(results)
    assert "| BaselineOnly | baseline | 1 |" in evaluation.markdown_table(summary)


def test_the_same_seed_gives_the_same_numbers_and_the_conditional_model_is_told_the_asked_pairs(fold):
    name = "conditional softmax RBM K=5 (knows asked pairs)"
    first = evaluation.evaluate_ratings_model(name, fold, seed=3)
    evaluation._SOFTMAX_CACHE.clear()
    evaluation._SOFTMAX_CACHE['fold'] = None  # train again
    second = evaluation.evaluate_ratings_model(name, fold, seed=3)
    assert (first["rmse"], first["mae"]) == (second["rmse"], second["mae"])
    # shuffling which pairs are "asked" changes the conditional model's predictions, not the others'
    other = evaluation.fold_from_ratings("small", fold.train_ratings, fold.test_ratings.sample(frac=0.5, random_state=0))
    assert evaluation.evaluate_ratings_model(name, other, seed=3)["rmse"] != first["rmse"]


def test_the_liked_disliked_softmax_models_are_in_the_binary_registry(fold):
    names = [name for name in evaluation.MODELS if "softmax" in name]
    assert len(names) == 3
    results = evaluation.evaluate(names, [fold])
    assert results[["mae_threshold", "auc"]].notna().all().all()
    assert (results["auc"] > 0.5).all()


def test_bad_input_raises_a_value_error_naming_the_argument(fold):
    with pytest.raises(ValueError, match="model must be one of .*'BaselineOnly'"):
        evaluation.evaluate_ratings(["SVD"], [fold])
    with pytest.raises(ValueError, match="fold must be a Fold"):
        evaluation.evaluate_ratings_model("BaselineOnly", "u1")
    with pytest.raises(ValueError, match="kind must be one of"):
        evaluation.register_rating_model("x", kind="oracle", description="")
