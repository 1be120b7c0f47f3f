"""The exploratory exercises of notebooks 04 and 05: their checkers judge a property of the learner's result."""
from dataclasses import replace

import pandas as pd
import torch

from rbm_helpers import metrics
from rbm_helpers.exercises.loss_curves import check_overfitting, judge_overfitting
from rbm_helpers.exercises.recommend import check_personal_lists
from rbm_helpers.monitoring import monitors
from rbm_helpers.recipes import SANE_RECIPE, train_sane_rbm
from rbm_helpers.recommend import diversity, top_k


# ---------------------------------------------------------------- notebook 04: make it overfit sooner
def history(validation_auc, train_error):
    return pd.DataFrame({"train_error": train_error, "validation_auc": validation_auc},
                        index=pd.Index(range(1, len(validation_auc) + 1), name="epoch"))


def test_judge_overfitting_wants_a_peak_a_real_fall_and_a_training_error_that_keeps_falling():
    falling_error = [0.30, 0.28, 0.26, 0.24, 0.22, 0.20]
    overfits, story, _ = judge_overfitting(history([0.70, 0.72, 0.74, 0.73, 0.72, 0.71], falling_error))
    assert overfits and "peaked at 0.7400 after 3 epochs" in story and "keep epoch 3" in story
    still_rising = judge_overfitting(history([0.70, 0.71, 0.72, 0.73, 0.74, 0.75], falling_error))
    assert not still_rising[0] and "still at its best at the last epoch" in still_rising[1]
    wobble = judge_overfitting(history([0.70, 0.72, 0.74, 0.738, 0.737, 0.736], falling_error))
    assert not wobble[0] and "wobble" in wobble[1]
    unstable = judge_overfitting(history([0.70, 0.72, 0.74, 0.73, 0.72, 0.71], [0.30, 0.28, 0.26, 0.27, 0.28, 0.29]))
    assert not unstable[0] and "unstable training" in unstable[1]


def tiny_split(seed=0, users=80, movies=40):
    """A small users x movies 0/1 matrix with two hidden tastes; a quarter of the rated entries hidden as validation."""
    generator = torch.Generator().manual_seed(seed)
    taste, kind = torch.randn(users, 2, generator=generator), torch.randn(2, movies, generator=generator)
    liked = (torch.rand(users, movies, generator=generator) < torch.sigmoid(1.0 + 2 * taste @ kind)).float()
    rated = torch.rand(users, movies, generator=generator) < 0.5
    hidden = rated & (torch.rand(users, movies, generator=generator) < 0.25)
    return torch.where(rated & ~hidden, liked, torch.tensor(-1.0)), torch.where(hidden, liked, torch.tensor(-1.0))


def test_check_overfitting_trains_the_recipe_and_judges_its_history(one_thread, capsys):
    rows, validation = tiny_split()
    recipe = replace(SANE_RECIPE, n_hidden=200, learning_rate=1.0, weight_decay=0.0, batch_size=10)
    _, expected = train_sane_rbm(rows, recipe, seed=0, callbacks=[monitors(validation=(rows, validation))])
    overfits, story, _ = judge_overfitting(expected)
    assert check_overfitting(recipe, rows, validation) == overfits
    out = capsys.readouterr().out
    assert out.startswith("Correct!" if overfits else "Not yet:") and story in out
    assert "With n_hidden=200, batch_size=10, learning_rate=1.0, weight_decay=0.0," in out


def test_check_overfitting_names_what_is_wrong_without_training_when_it_can(capsys):
    rows, validation = tiny_split()
    assert not check_overfitting(SANE_RECIPE, rows, validation)
    assert "the sane recipe unchanged" in capsys.readouterr().out
    assert not check_overfitting(replace(SANE_RECIPE, epochs=40), rows, validation)
    assert "keep it to 20 or fewer" in capsys.readouterr().out
    assert not check_overfitting({"learning_rate": 1.0}, rows, validation)
    assert "not a Recipe" in capsys.readouterr().out
    assert not check_overfitting(replace(SANE_RECIPE, learning_rate=1e30), rows, validation)
    assert "training your recipe failed: TrainingDivergedError" in capsys.readouterr().out


# ---------------------------------------------------------------- notebook 05: more personal top-10 lists
def popular_fold(seed=0, users=200, movies=150):
    """Scores dominated by each movie's appeal (the same top-10 for everyone) plus a little taste, and a fold to match."""
    generator = torch.Generator().manual_seed(seed)
    appeal = 1.5 * torch.randn(movies, generator=generator, dtype=torch.float64)
    taste = torch.randn(users, 3, generator=generator, dtype=torch.float64) @ torch.randn(3, movies, generator=generator, dtype=torch.float64)
    truth = (torch.rand(users, movies, generator=generator, dtype=torch.float64) < torch.sigmoid(appeal + taste)).double()
    rated = torch.rand(users, movies, generator=generator) < 0.3
    held = rated & (torch.rand(users, movies, generator=generator) < 0.3)
    fold = type("Fold", (), {"train": torch.where(rated & ~held, truth, torch.tensor(-1.0, dtype=torch.float64)),
                             "test": torch.where(held, truth, torch.tensor(-1.0, dtype=torch.float64))})
    return torch.sigmoid(appeal + 0.3 * taste), fold


def test_personal_lists_pass_when_more_distinct_and_still_about_taste(capsys):
    scores, fold = popular_fold()
    personal = scores - 0.5 * scores.mean(0)
    assert check_personal_lists(personal, scores, fold)
    out = capsys.readouterr().out
    distinct = diversity(top_k(personal, fold.train, 10))["distinct_movies"]
    assert out.startswith("Correct!") and f"use {distinct} distinct movies" in out
    taste = metrics.auc(torch.sigmoid(personal), fold.test, per_user=True)  # any order-keeping map gives the same AUC
    assert f"AUC within each user {taste:.3f}" in out
    assert distinct >= 2 * diversity(top_k(scores, fold.train, 10))["distinct_movies"]
    # any scale will do: only the order of the scores counts
    assert check_personal_lists(1000 * personal - 7, scores, fold)


def test_personal_lists_fail_when_unchanged_too_alike_or_no_longer_about_taste(capsys):
    scores, fold = popular_fold()
    assert not check_personal_lists(scores, scores, fold)
    assert "the RBM's own lists" in capsys.readouterr().out
    assert not check_personal_lists(scores - 0.01 * scores.mean(0), scores, fold)
    assert "not yet twice as many" in capsys.readouterr().out
    noise = torch.rand(scores.shape, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    assert metrics.auc(noise, fold.test, per_user=True) < metrics.auc(scores, fold.test, per_user=True) - 0.05
    assert not check_personal_lists(noise, scores, fold)
    assert "no longer follow each user's taste" in capsys.readouterr().out
    assert not check_personal_lists(scores[:5], scores, fold)
    assert "expected one score per (user, movie)" in capsys.readouterr().out
    assert not check_personal_lists(torch.full_like(scores, torch.nan), scores, fold)
    assert "NaN" in capsys.readouterr().out
    assert not check_personal_lists(..., scores, fold)
    assert "not a matrix of scores yet" in capsys.readouterr().out
