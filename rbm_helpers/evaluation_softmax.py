"""The softmax RBMs and the rating baselines, trained and scored on a fold: notebook 06 and the benchmark share it.

Two kinds of entries, with the shape of ``rbm_helpers.evaluation``:

- **liked / disliked (K = 2)**: the softmax RBMs are registered in
  ``evaluation.MODELS`` (importing this module does it), so
  ``evaluation.evaluate`` scores them with the binary metrics against the
  baselines of notebook 05, exactly as it scores those.
- **star ratings (K = 5)**: ``RATING_MODELS`` holds the rating baselines
  (global mean; BaselineOnly's user and movie biases) and the softmax RBMs;
  ``evaluate_ratings`` fits each on a fold's training ratings and scores the
  expected rating on the held-out ones with ``metrics.rmse`` and
  ``metrics.mae`` (pooled over held-out ratings, as scikit-surprise does).
  ``evaluation.summarize`` and ``evaluation.markdown_table`` work on its results.

The conditional models (``recipes_softmax.CONDITIONAL_K2`` / ``_K5``) are told
which (user, movie) pairs will be asked about, as the paper's conditional RBM
and the Netflix-prize rules allow; the baselines and the other RBMs are not.
For the same reason their ``precision_at_10`` is not comparable with the
others': knowing which movies a user rated is most of what that metric
rewards. Blends are labelled as blends, of kind ``"blend"``.
Introduced in notebook 06 (Softmax units).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

import pandas as pd
import torch

from . import baselines, metrics
from .data import ratings_matrix
from .evaluation import Fold, load_binary_fold, register_model, single_thread
from .recipes_softmax import (
    CONDITIONAL_K2,
    CONDITIONAL_K5,
    MOVIES_K2,
    MOVIES_K5,
    PAPER_K2,
    PAPER_K5,
    SoftmaxRecipe,
    fit_softmax,
    predict_softmax,
)
from .softmax import SoftmaxRBM, expected_category
from .validation import MISSING

__all__ = [
    "BLEND_WEIGHT",
    "RATING_METRICS",
    "RATING_MODELS",
    "RatingModelEntry",
    "evaluate_ratings",
    "evaluate_ratings_model",
    "register_rating_model",
    "softmax_distributions",
    "star_matrices",
    "trained_softmax",
]

RATING_METRICS = ("rmse", "mae")
"""The metrics ``evaluate_ratings`` reports, in the order of its columns."""

RATING_KINDS = ("baseline", "rbm", "blend")

BLEND_WEIGHT = 0.3
"""The RBM's share in the labelled blend of the users-as-rows RBM with BaselineOnly.

Chosen on the u1.base validation split of ``recipes_softmax`` among 0.2-0.9:
RMSE 0.930 at 0.3 (0.931 at 0.2 and 0.4; the RBM alone 0.959, BaselineOnly
0.937). Blending the movies-as-rows RBM gains nothing there (0.902 at
weights 0.9-1.0, worse below), so it is not blended.
"""


# ---------------------------------------------------------------------- a fold's stars and the RBMs' predictions
_CACHE: dict = {"fold": None}


def _cached(fold: Fold) -> dict:
    """What was computed for ``fold``: the cache keeps the last fold only, and a reference to it (ids get reused)."""
    if _CACHE["fold"] is not fold:
        _CACHE.clear()
        _CACHE["fold"] = fold
    return _CACHE


def star_matrices(fold: Fold) -> tuple[torch.Tensor, torch.Tensor]:
    """The fold's training and held-out ratings as (n_users, n_movies) float32 stars, -1 where absent.

    Rows and columns are those of ``fold.train`` (``fold.index``).
    Introduced in notebook 06 (Softmax units).
    """
    if not isinstance(fold, Fold):
        raise ValueError(f"fold must be a Fold from evaluation.load_binary_fold(...); got {type(fold).__name__}.")
    cache = _cached(fold)
    if "stars" not in cache:
        cache["stars"] = (ratings_matrix(fold.train_ratings, fold.index), ratings_matrix(fold.test_ratings, fold.index))
    return cache["stars"]


def trained_softmax(fold: Fold, recipe: SoftmaxRecipe, seed: int = 0) -> tuple[SoftmaxRBM, torch.Tensor]:
    """Train ``recipe`` on the fold's training stars: the model and its distributions for every (user, movie).

    The distributions have shape (n_users, n_movies, K) (``predict_softmax``);
    a conditional recipe is told the fold's held-out pairs (``asked``). The
    last fold's models are kept: a blend reuses the RBM it blends, and
    notebook 06 looks inside the models the evaluation trained.
    Introduced in notebook 06 (Softmax units).
    """
    train, test = star_matrices(fold)
    cache = _cached(fold)
    if (recipe, seed) not in cache:
        asked = test != MISSING if recipe.conditional else None
        model, _ = fit_softmax(train, recipe, seed=seed, asked=asked)
        cache[(recipe, seed)] = model, predict_softmax(model, train, recipe, asked=asked).double()
    return cache[(recipe, seed)]


def softmax_distributions(fold: Fold, recipe: SoftmaxRecipe, seed: int = 0) -> torch.Tensor:
    """The distributions of ``trained_softmax(fold, recipe, seed)``, shape (n_users, n_movies, K).

    Introduced in notebook 06 (Softmax units).
    """
    return trained_softmax(fold, recipe, seed)[1]


def _expected_stars(fold: Fold, recipe: SoftmaxRecipe, seed: int) -> torch.Tensor:
    return expected_category(softmax_distributions(fold, recipe, seed)) + 1


# ---------------------------------------------------------------------- liked / disliked: entries of evaluation.MODELS
@register_model(
    "softmax RBM K=2 (users as rows)",
    kind="rbm",
    description="recipes_softmax.PAPER_K2: the paper's layout, one RBM per user, liked / disliked softmax units",
)
def _paper_k2(fold: Fold, seed: int) -> torch.Tensor:
    return softmax_distributions(fold, PAPER_K2, seed)[..., 1]


@register_model(
    "softmax RBM K=2 (movies as rows, tied)",
    kind="rbm",
    description="recipes_softmax.MOVIES_K2: one RBM per movie, one softmax unit per user, tied weights",
)
def _movies_k2(fold: Fold, seed: int) -> torch.Tensor:
    return softmax_distributions(fold, MOVIES_K2, seed)[..., 1]


@register_model(
    "conditional softmax RBM K=2 (knows asked pairs)",
    kind="rbm",
    description="recipes_softmax.CONDITIONAL_K2: MOVIES_K2 plus which users rated each movie, held-out pairs included "
    "(its precision@10 is not comparable: it knows which movies are held out)",
)
def _conditional_k2(fold: Fold, seed: int) -> torch.Tensor:
    return softmax_distributions(fold, CONDITIONAL_K2, seed)[..., 1]


# ---------------------------------------------------------------------- star ratings: the registry
RatingFitPredict = Callable[[Fold, int], torch.Tensor]


@dataclass(frozen=True)
class RatingModelEntry:
    """A named rating model: ``fit_predict(fold, seed)`` returns predicted stars for every (user, movie).

    ``kind`` is ``"baseline"``, ``"rbm"`` or ``"blend"``. Introduced in notebook 06.
    """

    name: str
    kind: str
    fit_predict: RatingFitPredict
    description: str


RATING_MODELS: dict[str, RatingModelEntry] = {}
"""Every rating model ``evaluate_ratings`` knows, by name, in the order they were registered."""


def register_rating_model(name: str, *, kind: str, description: str) -> Callable[[RatingFitPredict], RatingFitPredict]:
    """Decorator: add ``fit_predict(fold, seed) -> stars`` to ``RATING_MODELS`` under ``name``.

    Registering a name twice replaces the old entry. Introduced in notebook 06.
    """
    if kind not in RATING_KINDS:
        raise ValueError(f"kind must be one of {RATING_KINDS}; got {kind!r}.")
    if not isinstance(name, str) or not name:
        raise ValueError(f"name must be a non-empty string; got {name!r}.")

    def add(fit_predict: RatingFitPredict) -> RatingFitPredict:
        RATING_MODELS[name] = RatingModelEntry(name, kind, fit_predict, description)
        return fit_predict

    return add


@register_rating_model("global mean", kind="baseline", description="the mean training rating for every pair")
def _global_mean(fold: Fold, seed: int) -> torch.Tensor:
    return baselines.global_mean_rating(star_matrices(fold)[0])


@register_rating_model(
    "BaselineOnly",
    kind="baseline",
    description="mean + user bias + movie bias, fitted by ALS as scikit-surprise's BaselineOnly with its defaults",
)
def _baseline_only(fold: Fold, seed: int) -> torch.Tensor:
    return baselines.baseline_only(star_matrices(fold)[0])


@register_rating_model(
    "softmax RBM K=5 (users as rows)",
    kind="rbm",
    description="recipes_softmax.PAPER_K5: the paper's layout, one RBM per user; the expected rating",
)
def _paper_k5(fold: Fold, seed: int) -> torch.Tensor:
    return _expected_stars(fold, PAPER_K5, seed)


@register_rating_model(
    "softmax RBM K=5 (movies as rows, tied)",
    kind="rbm",
    description="recipes_softmax.MOVIES_K5: one RBM per movie, one softmax unit per user, tied weights; the expected rating",
)
def _movies_k5(fold: Fold, seed: int) -> torch.Tensor:
    return _expected_stars(fold, MOVIES_K5, seed)


@register_rating_model(
    "conditional softmax RBM K=5 (knows asked pairs)",
    kind="rbm",
    description="recipes_softmax.CONDITIONAL_K5: MOVIES_K5 plus which users rated each movie, held-out pairs included",
)
def _conditional_k5(fold: Fold, seed: int) -> torch.Tensor:
    return _expected_stars(fold, CONDITIONAL_K5, seed)


@register_rating_model(
    f"blend: {BLEND_WEIGHT:g} RBM K=5 (users as rows) + {1 - BLEND_WEIGHT:g} BaselineOnly",
    kind="blend",
    description="a weighted mean of the users-as-rows RBM's and BaselineOnly's predicted ratings (weight chosen on validation)",
)
def _blend(fold: Fold, seed: int) -> torch.Tensor:
    return BLEND_WEIGHT * _paper_k5(fold, seed) + (1 - BLEND_WEIGHT) * _baseline_only(fold, seed)


# ---------------------------------------------------------------------- evaluating
def _rating_entry(name: str) -> RatingModelEntry:
    if name not in RATING_MODELS:
        known = ", ".join(repr(known) for known in RATING_MODELS)
        raise ValueError(f"model must be one of {known}; got {name!r}.")
    return RATING_MODELS[name]


def _fit_and_score(name: str, fold: Fold, seed: int) -> tuple[dict, torch.Tensor]:
    entry = _rating_entry(name)
    _, test = star_matrices(fold)
    with single_thread():
        started = time.perf_counter()
        predictions = entry.fit_predict(fold, seed)
        seconds = time.perf_counter() - started
    if not isinstance(predictions, torch.Tensor) or predictions.shape != test.shape:
        raise ValueError(f"model {name!r} returned predictions of shape {getattr(predictions, 'shape', None)}; expected {tuple(test.shape)}.")
    truth = test.double()
    values = {"rmse": metrics.rmse(predictions.double(), truth), "mae": metrics.mae(predictions.double(), truth)}
    return {"model": name, "kind": entry.kind, "fold": fold.name, **values, "seconds": seconds}, predictions


def evaluate_ratings_model(name: str, fold: Fold, *, seed: int = 0) -> dict:
    """Fit rating model ``name`` on the fold's training stars; score it on the held-out stars.

    One row as a dict: ``model, kind, fold, rmse, mae, seconds`` (``seconds``:
    fitting and predicting on one thread; a blend reuses an RBM trained just
    before on the same fold, and then counts only its own work).
    Introduced in notebook 06 (Softmax units).
    """
    if not isinstance(fold, Fold):
        raise ValueError(f"fold must be a Fold from evaluation.load_binary_fold(...); got {type(fold).__name__}.")
    return _fit_and_score(name, fold, seed)[0]


def evaluate_ratings(
    models: Sequence[str] | None = None,
    folds: Iterable[str | Fold] = ("u1",),
    *,
    seed: int = 0,
    data_dir=None,
    on_result: Callable[[dict], None] | None = None,
    keep_predictions: dict | None = None,
) -> pd.DataFrame:
    """Evaluate every rating model on every fold: one row per (model, fold), folds in the outer loop.

    ``models`` are names from ``RATING_MODELS`` (default: all, in order);
    ``folds`` are fold names for ``evaluation.load_binary_fold`` or ready
    ``Fold``s. ``on_result`` is called with each row as soon as it is ready;
    with a dict as ``keep_predictions``, each row's predicted stars are stored
    under ``(model, fold name)``. Columns: ``model, kind, fold, rmse, mae, seconds``.
    Introduced in notebook 06; ``benchmarks/quality.py`` runs the same function.
    """
    names = list(RATING_MODELS) if models is None else list(models)
    for name in names:
        _rating_entry(name)
    rows = []
    for fold in folds:
        fold = fold if isinstance(fold, Fold) else load_binary_fold(fold, data_dir=data_dir)
        for name in names:
            row, predictions = _fit_and_score(name, fold, seed)
            rows.append(row)
            if keep_predictions is not None:
                keep_predictions[(name, fold.name)] = predictions
            if on_result is not None:
                on_result(row)
    return pd.DataFrame(rows, columns=["model", "kind", "fold", *RATING_METRICS, "seconds"])
