"""One place that trains and scores every named model on a fold: notebook 05 and the benchmark share it.

A *model* here is anything that, given a fold's training data and a seed,
returns a prediction for every (user, movie): for the task ``"liked"`` a
score p(liked) (notebook 05), for the task ``"stars"`` predicted stars
(notebook 06). One registry, ``REGISTRY``, holds both; ``MODELS`` and
``RATING_MODELS`` are its read-only views by task. ``MODELS`` holds the simple baselines of ``rbm_helpers.baselines`` and the series'
RBMs: the seed article's recipe exactly as its code trains it, the sane
Bernoulli RBM of ``rbm_helpers.recipes``, and that RBM averaged with the
user's liked-rate (notebook 05 shows why: a disliked movie encoded as 0 sends
nothing to the hidden units, so the 0/1 RBM cannot see a user's dislikes);
``evaluate_model`` fits one on one fold and scores it on the fold's
held-out ratings with ``rbm_helpers.metrics``; ``evaluate`` does every
(model, fold) pair and returns one row each; ``summarize`` gives mean and
standard deviation over folds. Notebook 05 and ``benchmarks/quality.py`` both
call ``evaluate``, so their numbers agree for the same folds and seed.

Adding a model is one registration, e.g. for notebook 06's softmax RBM::

    @register_model("softmax RBM (K=2)", kind="rbm", description="...")
    def softmax_k2(fold: Fold, seed: int) -> torch.Tensor:
        ...                     # train on fold.train_ratings / fold.train, return p(liked)

Every metric is computed on the held-out pairs only: ``mae_sampled`` (the
seed article's test loss: one Bernoulli sample per pair) and
``mae_threshold`` (score >= 0.5 counts as "liked") averaged per user first,
``auc`` pooled over all held-out pairs, ``precision_at_10`` averaged over
users. Introduced in notebook 05 (Recommend and evaluate).

Notebook 06 (Softmax units) adds its softmax RBMs with K = 2 to ``MODELS``,
and the models of *star ratings*, registered with ``task="stars"``
(``register_rating_model``): ``RATING_MODELS`` (the rating baselines --
global mean, BaselineOnly -- the softmax RBMs with K = 5 and a labelled
blend) returns predicted stars for every pair, and ``evaluate_ratings``
(``evaluate(..., task="stars")``) scores them with ``metrics.rmse`` and
``metrics.mae`` (pooled over the held-out ratings, as scikit-surprise does);
``summarize`` and ``markdown_table`` work on its results too. The
conditional softmax RBMs are told which (user, movie) pairs are held out, as
the paper's conditional RBM and the Netflix-prize rules allow and the other
models are not; their names say so ("knows asked pairs"), and their
``precision_at_10`` is not comparable (knowing which movies a user rated is
most of what it rewards).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator, Mapping, Sequence

import pandas as pd
import torch

from . import baselines, metrics
from .data import RatingsIndex, holdout_split, load_fold, make_synthetic, ratings_matrix
from .data.sources import ML100K_FOLDS
from .recipes import SANE_RECIPE, Recipe, train_sane_rbm
from .recipes_softmax import (
    CONDITIONAL_K2,
    CONDITIONAL_K5,
    MOVIES_K2,
    MOVIES_K5,
    PAPER_K2,
    PAPER_K5,
    fit_softmax,
    predict_softmax,
)
from .seed_recipe import seed_predict, train_seed_recipe
from .softmax import SoftmaxRBM, expected_category
from .device import single_thread
from .validation import MISSING

__all__ = [
    "BLEND_WEIGHT",
    "FIVE_FOLDS",
    "METRICS",
    "MODELS",
    "RATING_METRICS",
    "RATING_MODELS",
    "REGISTRY",
    "TASKS",
    "Fold",
    "ModelEntry",
    "RatingModelEntry",
    "TaskView",
    "evaluate",
    "evaluate_model",
    "evaluate_ratings",
    "evaluate_ratings_model",
    "fold_from_ratings",
    "load_binary_fold",
    "markdown_table",
    "register_model",
    "register_rating_model",
    "single_thread",
    "star_matrices",
    "summarize",
    "trained_softmax",
]

FIVE_FOLDS = ("u1", "u2", "u3", "u4", "u5")
"""The five official 80/20 folds of ml-100k; their test sets cover every rating once."""

METRICS = ("mae_sampled", "mae_threshold", "auc", "precision_at_10")
"""The metrics ``evaluate`` reports for p(liked), in the order of its columns."""

RATING_METRICS = ("rmse", "mae")
"""The metrics ``evaluate_ratings`` reports for predicted stars, in the order of its columns."""

SYNTHETIC = "synthetic"
"""The fold name of the offline stand-in: ``make_synthetic(seed=0)`` with 20% of each user's ratings held out."""

TASKS = {"liked": ("baseline", "rbm"), "stars": ("baseline", "rbm", "blend")}
"""What a model can predict, with the kinds of model each task has: p(liked) (notebook 05) or stars (notebook 06)."""


# ---------------------------------------------------------------------- folds
@dataclass(frozen=True)
class Fold:
    """One train/test split as the models see it.

    ``train`` and ``test`` are (n_users, n_movies) float32 matrices of 1
    (liked: rating >= 3), 0 (disliked) and -1 (not in that part); they never
    share a rated pair. ``train_ratings`` and ``test_ratings`` are the rating
    tables they come from (for models that need the stars), and ``index``
    maps rows and columns to MovieLens user and movie ids.
    Introduced in notebook 05.
    """

    name: str
    train: torch.Tensor
    test: torch.Tensor
    train_ratings: pd.DataFrame
    test_ratings: pd.DataFrame
    index: RatingsIndex

    @property
    def synthetic(self) -> bool:
        """True for the offline stand-in, whose numbers say nothing about MovieLens."""
        return self.name == SYNTHETIC


def load_binary_fold(name: str = "u1", *, data_dir=None, threshold: float = 3) -> Fold:
    """The fold ``name`` as liked / disliked / unrated matrices: an official ml-100k fold or ``"synthetic"``.

    ``"u1"``..``"u5"``, ``"ua"`` and ``"ub"`` are the official splits (rows
    and columns cover all 943 users and 1,682 movies); ``"synthetic"`` is
    ``make_synthetic(seed=0)`` split by ``holdout_split(test_fraction=0.2,
    seed=0)``, for working offline. Raises ``DataUnavailableError`` when
    MovieLens cannot be had. Introduced in notebook 05.
    """
    if name == SYNTHETIC:
        ratings, _ = make_synthetic(seed=0)
        train_ratings, test_ratings = holdout_split(ratings, test_fraction=0.2, seed=0)
    elif name in ML100K_FOLDS:
        train_ratings, test_ratings = load_fold(name, data_dir)
    else:
        known = ", ".join(repr(fold) for fold in (*ML100K_FOLDS, SYNTHETIC))
        raise ValueError(f"name must be one of {known}; got {name!r}.")
    return fold_from_ratings(name, train_ratings, test_ratings, threshold=threshold)


def fold_from_ratings(name: str, train_ratings: pd.DataFrame, test_ratings: pd.DataFrame, *, threshold: float = 3) -> Fold:
    """A ``Fold`` from any pair of rating tables (e.g. ``holdout_split`` of ml-1m or a small synthetic set).

    Rows and columns cover every user and movie of either table. A (user,
    movie) pair in both tables would make the evaluation dishonest: ValueError.
    Introduced in notebook 05.
    """
    index = RatingsIndex.from_ratings(train_ratings, test_ratings)
    train = ratings_matrix(train_ratings, index, binary=True, threshold=threshold)
    test = ratings_matrix(test_ratings, index, binary=True, threshold=threshold)
    shared = int(((train != MISSING) & (test != MISSING)).sum())
    if shared:
        raise ValueError(f"train_ratings and test_ratings must not share a (user, movie) pair; got {shared} shared pairs.")
    return Fold(name, train, test, train_ratings, test_ratings, index)


# ---------------------------------------------------------------------- the registry
FitPredict = Callable[[Fold, int], torch.Tensor]


@dataclass(frozen=True)
class ModelEntry:
    """A named model: ``fit_predict(fold, seed)`` returns a prediction for every (user, movie) of the fold.

    For ``task="liked"`` the prediction is p(liked), scored by ``evaluate``;
    for ``task="stars"`` it is predicted stars, scored by ``evaluate_ratings``.
    ``kind`` is one of ``TASKS[task]``: ``"baseline"``, ``"rbm"`` or (stars
    only) ``"blend"``. Introduced in notebook 05; notebook 06 adds the task "stars".
    """

    name: str
    kind: str
    fit_predict: FitPredict
    description: str
    task: str = "liked"


REGISTRY: dict[str, ModelEntry] = {}
"""Every model ``evaluate`` and ``evaluate_ratings`` know, by name, in the order they were registered."""


class TaskView(Mapping):
    """The entries of ``REGISTRY`` for one task, by name, in registration order: a live, read-only dict.

    Introduced in notebook 05 (``MODELS``); notebook 06 adds ``RATING_MODELS``.
    """

    def __init__(self, task: str) -> None:
        self.task = task

    def __getitem__(self, name: str) -> ModelEntry:
        entry = REGISTRY[name]
        if entry.task != self.task:
            raise KeyError(name)
        return entry

    def __iter__(self) -> Iterator[str]:
        return iter([name for name, entry in REGISTRY.items() if entry.task == self.task])

    def __len__(self) -> int:
        return sum(entry.task == self.task for entry in REGISTRY.values())

    def __repr__(self) -> str:
        return f"TaskView({self.task!r}: {list(self)})"


MODELS = TaskView("liked")
"""The models of liked / disliked that ``evaluate`` knows, by name, in the order they were registered."""

RATING_MODELS = TaskView("stars")
"""The models of star ratings that ``evaluate_ratings`` knows, by name, in the order they were registered."""


def register_model(name: str, *, kind: str, description: str, task: str = "liked") -> Callable[[FitPredict], FitPredict]:
    """Decorator: add ``fit_predict(fold, seed)`` to ``REGISTRY`` under ``name``, for ``task``.

    Registering a name twice replaces the old entry (handy in a notebook); a
    name belongs to one task. Introduced in notebook 05; notebook 06 adds ``task``.
    """
    if task not in TASKS:
        raise ValueError(f"task must be one of {tuple(TASKS)}; got {task!r}.")
    if kind not in TASKS[task]:
        raise ValueError(f"kind must be one of {TASKS[task]}; got {kind!r}.")
    if not isinstance(name, str) or not name:
        raise ValueError(f"name must be a non-empty string; got {name!r}.")
    if name in REGISTRY and REGISTRY[name].task != task:
        raise ValueError(f"name {name!r} is already a model of task {REGISTRY[name].task!r}; choose another name.")

    def add(fit_predict: FitPredict) -> FitPredict:
        REGISTRY[name] = ModelEntry(name, kind, fit_predict, description, task)
        return fit_predict

    return add


def register_rating_model(name: str, *, kind: str, description: str) -> Callable[[FitPredict], FitPredict]:
    """Decorator: ``register_model(..., task="stars")``, for a model that predicts stars.

    Introduced in notebook 06 (Softmax units).
    """
    return register_model(name, kind=kind, description=description, task="stars")


BASELINES = (
    ("always liked", baselines.always_liked, "p(liked) = 1 for every pair"),
    ("user majority", baselines.user_majority, "1 if the user likes at least half of what they rated, else 0"),
    ("user liked-rate", baselines.user_liked_rate, "the user's fraction of liked ratings (user majority before the threshold)"),
    ("movie liked-rate", baselines.movie_liked_rate, "the movie's liked-rate, smoothed with 2 pseudo-ratings at the global rate"),
    ("blend user+movie", baselines.user_movie_blend, "the mean of the user's and the movie's liked-rates"),
    ("movie popularity", baselines.movie_popularity,
     "the share of users who rated the movie: p(rated), not p(liked); shows what precision@10 rewards"),
)
"""The baselines of liked / disliked (notebook 05): (name, function of the training matrix, description)."""


def _on_train(baseline: Callable[[torch.Tensor], torch.Tensor]) -> FitPredict:
    """The fit-and-predict function of a baseline: ``baseline`` applied to the fold's training matrix."""
    return lambda fold, seed: baseline(fold.train)


for _name, _baseline, _description in BASELINES:
    register_model(_name, kind="baseline", description=_description)(_on_train(_baseline))


@register_model("seed recipe RBM", kind="rbm", description="the seed article's RBM and training loop, its one-sample up-down prediction")
def _seed_rbm(fold: Fold, seed: int) -> torch.Tensor:
    rbm, _ = train_seed_recipe(fold.train, seed=seed)
    probabilities, _ = seed_predict(rbm, fold.train, seed=seed)
    return probabilities.double()


@register_model("sane RBM (0/1)", kind="rbm", description="rbm_helpers.recipes.SANE_RECIPE, mean-field prediction rbm.reconstruct")
def _sane_rbm(fold: Fold, seed: int) -> torch.Tensor:
    rbm, _ = train_sane_rbm(fold.train, SANE_RECIPE, seed=seed)
    with torch.no_grad():
        return rbm.reconstruct(fold.train).double()


@register_model(
    "sane RBM + user liked-rate",
    kind="rbm",
    description="the mean of the sane RBM's p(liked) and the user's liked-rate: gives back what a 0 cannot carry",
)
def _sane_rbm_plus_user_rate(fold: Fold, seed: int) -> torch.Tensor:
    # A 0 (disliked) sends nothing to the hidden units, so the 0/1 RBM cannot see how generous a user is
    # (notebook 05). Weight 1/2, as in the blend baseline, not tuned on any test file; on the u1.base
    # validation split it is the best of 0.3-0.7 for AUC.
    return 0.5 * _sane_rbm(fold, seed) + 0.5 * baselines.user_liked_rate(fold.train)


# ---------------------------------------------------------------------- softmax RBMs (notebook 06)
_SOFTMAX_CACHE: dict = {"fold": None}


def _softmax_cache(fold: Fold) -> dict:
    """What was computed for ``fold``: only the last fold is kept, with a reference to it (ids get reused)."""
    if _SOFTMAX_CACHE["fold"] is not fold:
        _SOFTMAX_CACHE.clear()
        _SOFTMAX_CACHE["fold"] = fold
    return _SOFTMAX_CACHE


def star_matrices(fold: Fold) -> tuple[torch.Tensor, torch.Tensor]:
    """The fold's training and held-out ratings as (n_users, n_movies) float32 stars, -1 where absent.

    Rows and columns are those of ``fold.train`` (``fold.index``).
    Introduced in notebook 06 (Softmax units).
    """
    if not isinstance(fold, Fold):
        raise ValueError(f"fold must be a Fold from load_binary_fold(...); got {type(fold).__name__}.")
    cache = _softmax_cache(fold)
    if "stars" not in cache:
        cache["stars"] = (ratings_matrix(fold.train_ratings, fold.index), ratings_matrix(fold.test_ratings, fold.index))
    return cache["stars"]


def trained_softmax(fold: Fold, recipe: Recipe, seed: int = 0) -> tuple[SoftmaxRBM, torch.Tensor]:
    """Train ``recipe`` on the fold's training stars: the model and its distributions for every (user, movie).

    The distributions have shape (n_users, n_movies, K) (``predict_softmax``);
    a conditional recipe is told the fold's held-out pairs (``asked``). The
    last fold's models are kept: a blend reuses the RBM it blends, and
    notebook 06 looks inside the models the evaluation trained.
    Introduced in notebook 06 (Softmax units).
    """
    train, test = star_matrices(fold)
    cache = _softmax_cache(fold)
    if (recipe, seed) not in cache:
        asked = test != MISSING if recipe.conditional else None
        model, _ = fit_softmax(train, recipe, seed=seed, asked=asked)
        cache[(recipe, seed)] = model, predict_softmax(model, train, recipe, asked=asked).double()
    return cache[(recipe, seed)]


SOFTMAX_K2_MODELS = (
    ("softmax RBM K=2 (users as rows)", PAPER_K2,
     "recipes_softmax.PAPER_K2: the paper's layout, one RBM per user, liked / disliked softmax units"),
    ("softmax RBM K=2 (movies as rows, tied)", MOVIES_K2,
     "recipes_softmax.MOVIES_K2: one RBM per movie, one softmax unit per user, tied weights"),
    ("conditional softmax RBM K=2 (knows asked pairs)", CONDITIONAL_K2,
     "recipes_softmax.CONDITIONAL_K2: MOVIES_K2 plus which users rated each movie, held-out pairs included "
     "(its precision@10 is not comparable: it knows which movies are held out)"),
)
"""The K = 2 softmax RBMs of notebook 06: (name, recipe, description); p(liked) is the category-1 probability."""


def _liked_probability(recipe: Recipe) -> FitPredict:
    """The fit-and-predict function of a K = 2 softmax recipe: p(liked) for every (user, movie)."""
    return lambda fold, seed: trained_softmax(fold, recipe, seed)[1][..., 1]


for _name, _recipe, _description in SOFTMAX_K2_MODELS:
    register_model(_name, kind="rbm", description=_description)(_liked_probability(_recipe))


# ---------------------------------------------------------------------- evaluating
def _entry(name: str, models: Mapping[str, ModelEntry] = REGISTRY) -> ModelEntry:
    if name not in models:
        known = ", ".join(repr(known) for known in models)
        raise ValueError(f"model must be one of {known}; got {name!r}.")
    return models[name]


def _score(entry: ModelEntry, predictions: torch.Tensor, fold: Fold, seed: int, k: int) -> tuple[dict, torch.Tensor]:
    """The task's metrics of ``predictions`` on the fold's held-out pairs, and the predictions as scored."""
    if entry.task == "liked":
        scores = metrics.check_scores(predictions)
        if scores.shape != fold.test.shape:
            raise ValueError(f"model {entry.name!r} returned scores of shape {tuple(scores.shape)}; expected {tuple(fold.test.shape)}.")
        return metrics.evaluate_binary(scores, fold.test, fold.train, k=k, seed=seed), scores
    _, test = star_matrices(fold)
    if not isinstance(predictions, torch.Tensor) or predictions.shape != test.shape:
        raise ValueError(f"model {entry.name!r} returned predictions of shape {getattr(predictions, 'shape', None)}; expected {tuple(test.shape)}.")
    truth = test.double()
    return {"rmse": metrics.rmse(predictions.double(), truth), "mae": metrics.mae(predictions.double(), truth)}, predictions


def _fit_and_score(name: str, fold: Fold, seed: int, k: int, models: Mapping[str, ModelEntry] = REGISTRY) -> tuple[dict, torch.Tensor]:
    """The result row of ``evaluate_model`` and the predictions it was computed from."""
    entry = _entry(name, models)
    if not isinstance(fold, Fold):
        raise ValueError(f"fold must be a Fold from load_binary_fold(...); got {type(fold).__name__}.")
    if entry.task == "stars":
        star_matrices(fold)  # data, not the model's work: made before the clock starts
    with single_thread():
        started = time.perf_counter()
        predictions = entry.fit_predict(fold, seed)
        seconds = time.perf_counter() - started
        values, predictions = _score(entry, predictions, fold, seed, k)
    return {"model": name, "kind": entry.kind, "fold": fold.name, **values, "seconds": seconds}, predictions


def evaluate_model(name: str, fold: Fold, *, seed: int = 0, k: int = 10) -> dict:
    """Fit model ``name`` on the fold's training part and score it on the held-out part; one result row as a dict.

    The row holds ``model``, ``kind``, ``fold``, the metrics of the model's
    task (``METRICS``, with ``precision_at_{k}``, for p(liked);
    ``RATING_METRICS`` for stars) and ``seconds`` (the wall time of fitting
    and predicting on one thread; the only entry that changes from run to
    run; a blend reuses an RBM trained just before on the same fold, and then
    counts only its own work). ``seed`` fixes the model's initial weights and
    samples and the sample of ``mae_sampled``.
    Introduced in notebook 05; notebook 06 adds the models of stars.
    """
    return _fit_and_score(name, fold, seed, k)[0]


def evaluate(
    models: Sequence[str] | None = None,
    folds: Iterable[str | Fold] = ("u1",),
    *,
    task: str = "liked",
    seed: int = 0,
    k: int = 10,
    data_dir=None,
    on_result: Callable[[dict], None] | None = None,
    keep_scores: dict | None = None,
) -> pd.DataFrame:
    """Evaluate every model of ``task`` on every fold: one row per (model, fold), folds in the outer loop.

    ``task`` is ``"liked"`` (p(liked), the models of ``MODELS``) or
    ``"stars"`` (the models of ``RATING_MODELS``; ``evaluate_ratings``).
    ``models`` are names of that task (default: all of them, in order);
    ``folds`` are fold names for ``load_binary_fold`` or ready ``Fold``s.
    ``on_result`` is called with each row as soon as it is ready (the
    benchmark prints it). With a dict as ``keep_scores``, the predictions
    behind each row are stored in it under ``(model, fold name)``, for a
    closer look. Columns: ``model, kind, fold``, the task's metrics
    (``mae_sampled, mae_threshold, auc, precision_at_{k}`` or ``rmse, mae``), ``seconds``.
    Introduced in notebook 05; ``benchmarks/quality.py`` runs the same function.
    """
    if task not in TASKS:
        raise ValueError(f"task must be one of {tuple(TASKS)}; got {task!r}.")
    view = TaskView(task)
    names = list(view) if models is None else list(models)
    for name in names:
        _entry(name, view)
    metric_names = [*METRICS[:-1], f"precision_at_{k}"] if task == "liked" else list(RATING_METRICS)
    rows = []
    for fold in folds:
        fold = fold if isinstance(fold, Fold) else load_binary_fold(fold, data_dir=data_dir)
        for name in names:
            row, predictions = _fit_and_score(name, fold, seed, k, view)
            rows.append(row)
            if keep_scores is not None:
                keep_scores[(name, fold.name)] = predictions
            if on_result is not None:
                on_result(row)
    return pd.DataFrame(rows, columns=["model", "kind", "fold", *metric_names, "seconds"])


def summarize(results: pd.DataFrame) -> pd.DataFrame:
    """Mean and standard deviation over folds of every numeric column, one row per model (in first-seen order).

    Columns are a two-level index: (metric, ``"mean"`` / ``"std"``); the std is
    the sample standard deviation (n - 1), NaN for a single fold. The column
    ``folds`` counts the folds behind each row. Introduced in notebook 05.
    """
    if not isinstance(results, pd.DataFrame) or not {"model", "fold"} <= set(results.columns):
        raise ValueError("results must be the DataFrame that evaluate(...) returns (with columns model, fold, ...).")
    numeric = [c for c in results.columns if c not in ("model", "kind", "fold")]
    grouped = results.groupby("model", sort=False)
    summary = grouped[numeric].agg(["mean", "std"])
    summary.insert(0, ("kind", ""), grouped["kind"].first())
    summary.insert(1, ("folds", ""), grouped["fold"].nunique())
    return summary


def markdown_table(summary: pd.DataFrame, *, digits: int = 4, seconds_digits: int = 1) -> str:
    """``summarize``'s table as GitHub markdown, each cell "mean ± std" (just the mean for one fold).

    Introduced in notebook 05; the benchmark writes its results with it.
    """
    metric_names = [c for c in dict.fromkeys(name for name, _ in summary.columns) if c not in ("kind", "folds")]
    header = ["model", "kind", "folds", *metric_names]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] * 3 + ["---:"] * len(metric_names)) + "|"]
    for model, row in summary.iterrows():
        cells = [str(model), str(row[("kind", "")]), str(int(row[("folds", "")]))]
        for metric in metric_names:
            places = seconds_digits if metric == "seconds" else digits
            mean, std = row[(metric, "mean")], row[(metric, "std")]
            cells.append(f"{mean:.{places}f}" if math.isnan(std) else f"{mean:.{places}f} ± {std:.{places}f}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


# ---------------------------------------------------------------------- star ratings (notebook 06)
BLEND_WEIGHT = 0.3
"""The RBM's share in the labelled blend of the users-as-rows RBM (K = 5) with BaselineOnly.

Chosen on the u1.base validation split of ``recipes_softmax`` among 0.2-0.9:
RMSE 0.930 at 0.3 (0.931 at 0.2 and 0.4; the RBM alone 0.959, BaselineOnly
0.937). Blending the movies-as-rows RBM gains nothing there (0.902 at
weights 0.9-1.0, worse below), so it is not blended.
"""

RatingModelEntry = ModelEntry
"""The old name of a star-rating model's entry: a ``ModelEntry`` with ``task="stars"``."""


def _expected_stars(fold: Fold, recipe: Recipe, seed: int) -> torch.Tensor:
    return expected_category(trained_softmax(fold, recipe, seed)[1]) + 1


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


SOFTMAX_K5_MODELS = (
    ("softmax RBM K=5 (users as rows)", PAPER_K5,
     "recipes_softmax.PAPER_K5: the paper's layout, one RBM per user; the expected rating"),
    ("softmax RBM K=5 (movies as rows, tied)", MOVIES_K5,
     "recipes_softmax.MOVIES_K5: one RBM per movie, one softmax unit per user, tied weights; the expected rating"),
    ("conditional softmax RBM K=5 (knows asked pairs)", CONDITIONAL_K5,
     "recipes_softmax.CONDITIONAL_K5: MOVIES_K5 plus which users rated each movie, held-out pairs included"),
)
"""The K = 5 softmax RBMs of notebook 06: (name, recipe, description); the prediction is the expected rating."""


def _expected_rating(recipe: Recipe) -> FitPredict:
    """The fit-and-predict function of a K = 5 softmax recipe: the expected stars for every (user, movie)."""
    return lambda fold, seed: _expected_stars(fold, recipe, seed)


for _name, _recipe, _description in SOFTMAX_K5_MODELS:
    register_rating_model(_name, kind="rbm", description=_description)(_expected_rating(_recipe))


@register_rating_model(
    f"blend: {BLEND_WEIGHT:g} RBM K=5 (users as rows) + {1 - BLEND_WEIGHT:g} BaselineOnly",
    kind="blend",
    description="a weighted mean of the users-as-rows RBM's and BaselineOnly's predicted ratings (weight chosen on validation)",
)
def _rating_blend(fold: Fold, seed: int) -> torch.Tensor:
    return BLEND_WEIGHT * _expected_stars(fold, PAPER_K5, seed) + (1 - BLEND_WEIGHT) * _baseline_only(fold, seed)


def evaluate_ratings_model(name: str, fold: Fold, *, seed: int = 0) -> dict:
    """``evaluate_model`` for a model of stars: one row ``model, kind, fold, rmse, mae, seconds``.

    Introduced in notebook 06 (Softmax units).
    """
    return _fit_and_score(name, fold, seed, 10, RATING_MODELS)[0]


def evaluate_ratings(
    models: Sequence[str] | None = None,
    folds: Iterable[str | Fold] = ("u1",),
    *,
    seed: int = 0,
    data_dir=None,
    on_result: Callable[[dict], None] | None = None,
    keep_predictions: dict | None = None,
) -> pd.DataFrame:
    """``evaluate(..., task="stars")``: every model of ``RATING_MODELS`` on every fold, scored by RMSE and MAE.

    RMSE and MAE are pooled over the held-out stars; with a dict as
    ``keep_predictions``, each row's predicted stars are stored under
    ``(model, fold name)``. Columns: ``model, kind, fold, rmse, mae, seconds``.
    Introduced in notebook 06; ``benchmarks/quality.py`` runs the same function.
    """
    return evaluate(models, folds, task="stars", seed=seed, data_dir=data_dir, on_result=on_result,
                    keep_scores=keep_predictions)
