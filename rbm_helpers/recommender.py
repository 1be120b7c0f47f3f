"""The series' recommender at any size: a ratings table to entries, a trained RBM, held-out scores, top-k lists.

Notebooks 03-06 train on dense (users x movies) matrices, which is fastest
at MovieLens 100K. From a million ratings on, this module keeps only the
rated entries (``rbm_helpers.sparse_rows.SparseRows``): training, predicting
the asked (user, movie) pairs and top-k lists all cost in proportion to the
ratings and the parameters, never to users x movies. The recipes are the
series' own, by name (``RECIPES``); ``python -m rbm_helpers train`` and
``benchmarks/scale.py`` use this module.
Introduced with the command line's training at scale (README, "Training at scale").
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import torch
from sklearn.metrics import roc_auc_score

from .data.matrices import RatingsIndex, check_ratings
from .model import RBM
from .rating_scale import LIKED_THRESHOLD, RatingScale
from .recipes import SANE_RECIPE, Recipe
from .recipes_softmax import MOVIES_K2, MOVIES_K5, PAPER_K2, PAPER_K5
from .softmax import SoftmaxRBM
from .softmax_conditional import ConditionalSoftmaxRBM, train_conditional
from .sparse_rows import EntryBatch, SparseRows, entry_hidden_field, entry_visible_field
from .training import Callback, train

__all__ = ["RECIPES", "Recommender", "fit_entries", "fit_recommender", "layout_entries", "recipe_for"]

RECIPES: dict[str, Recipe] = {
    "movies-k5": MOVIES_K5,
    "movies-k10": replace(MOVIES_K5, n_categories=10),
    "movies-k2": MOVIES_K2,
    "users-k5": PAPER_K5,
    "users-k10": replace(PAPER_K5, n_categories=10),
    "users-k2": PAPER_K2,
    "sane-binary": SANE_RECIPE,
}
"""The series' recipes by name: movies-as-rows with tied weights (notebook 06's best), users as rows (the
paper's layout), K = 5 whole stars, 10 half stars or 2 liked/disliked, and notebook 03's 0/1 RBM."""

STAR_ALIASES = {"movies-stars": "movies", "users-stars": "users"}
"""Names whose K comes from the data: ``movies-stars`` is ``movies-k5`` on whole stars, ``movies-k10`` on half stars."""


def recipe_for(name: str, scale: RatingScale) -> Recipe:
    """The recipe called ``name`` (a key of ``RECIPES`` or ``movies-stars`` / ``users-stars``), checked against the data's scale."""
    names = sorted(RECIPES) + sorted(STAR_ALIASES)
    if name in STAR_ALIASES:
        name = f"{STAR_ALIASES[name]}-k{scale.n_categories}"
        if name not in RECIPES:
            raise ValueError(f"no recipe for a scale of {scale.n_categories} values {list(scale.values)}; use a -k2 recipe.")
    if name not in RECIPES:
        raise ValueError(f"model must be one of {', '.join(names)}; got {name!r}.")
    recipe = RECIPES[name]
    if recipe.n_categories not in (None, 2) and recipe.n_categories != scale.n_categories:
        stars = "movies-stars" if recipe.rows == "movies" else "users-stars"
        raise ValueError(
            f"{name} has K = {recipe.n_categories} categories but the data's ratings take {scale.n_categories} values "
            f"{list(scale.values)}; use {stars}, which takes K from the data."
        )
    return recipe


@dataclass
class Recommender:
    """A trained RBM with what it needs to answer: the index of ids, the layout, the scale and the known ratings.

    ``rows`` holds the training ratings as entries in the model's layout (a
    row per user, or per movie for ``recipe.rows == "movies"``).
    Introduced with the command line's training at scale (README).
    """

    model: RBM
    recipe: Recipe
    index: RatingsIndex
    scale: RatingScale
    rows: SparseRows

    @torch.no_grad()
    def predict(self, users: np.ndarray, items: np.ndarray, *, chunk_rows: int = 4096) -> torch.Tensor:
        """Mean-field distributions for (user, movie) pairs given by original ids: (pairs, K), or p(liked) for 0/1 units."""
        user_rows, item_columns = self.index.rows(users), self.index.columns(items)
        rows, units = (user_rows, item_columns) if self.recipe.rows == "users" else (item_columns, user_rows)
        rows, units = torch.from_numpy(rows.astype(np.int64)), torch.from_numpy(units.astype(np.int64))
        order = torch.argsort(rows, stable=True)
        out = torch.empty((rows.numel(), self.model.visible.width), dtype=self.model.dtype)
        sorted_rows, wanted = rows[order], torch.unique(rows)
        for first in range(0, wanted.numel(), chunk_rows):
            chunk = wanted[first : first + chunk_rows]
            hidden = self.model.hidden.mean(entry_hidden_field(self.model, self.rows.batch(chunk.to(self.model.device))))
            pairs = order[torch.searchsorted(sorted_rows, chunk[0]) : torch.searchsorted(sorted_rows, chunk[-1], right=True)]
            position = torch.searchsorted(chunk, rows[pairs])
            batch = EntryBatch(position.to(self.model.device), units[pairs].to(self.model.device), torch.zeros_like(position), chunk.numel())
            field = entry_visible_field(self.model, batch, hidden)
            out[pairs] = self.model.visible.mean(field.reshape(-1)).view(field.shape).cpu()
        return out

    def expected_rating(self, probabilities: torch.Tensor) -> torch.Tensor:
        """The expected rating of each pair from ``predict`` (star recipes only)."""
        return self.scale.expected_rating(probabilities)

    def liked_probability(self, probabilities: torch.Tensor) -> torch.Tensor:
        """p(liked) of each pair: the 0/1 unit's mean, category 1 of K = 2, or the scale's mass at >= 3."""
        if probabilities.shape[-1] == 1:
            return probabilities[:, 0]
        if self.recipe.n_categories == 2:
            return probabilities[:, 1]
        liked = torch.tensor([value >= LIKED_THRESHOLD for value in self.scale.values], dtype=probabilities.dtype)
        return probabilities @ liked

    def scores(self, test: pd.DataFrame) -> dict[str, float]:
        """Held-out RMSE (star recipes) and AUC of p(liked) against liked = rating >= 3, on ``test``'s pairs."""
        probabilities = self.predict(test["user_id"].to_numpy(), test["item_id"].to_numpy())
        truth = test["rating"].to_numpy(dtype=np.float64)
        liked = truth >= LIKED_THRESHOLD
        result = {}
        if self.recipe.n_categories not in (None, 2):
            error = self.expected_rating(probabilities).double().numpy() - truth
            result["held_out_rmse"] = float(np.sqrt(np.mean(error**2)))
        if liked.all() or not liked.any():
            result["held_out_auc"] = float("nan")
        else:
            result["held_out_auc"] = float(roc_auc_score(liked, self.liked_probability(probabilities).double().numpy()))
        return result

    @torch.no_grad()
    def top_k(self, user_ids: np.ndarray, k: int = 10, *, chunk_users: int = 256) -> pd.DataFrame:
        """The ``k`` unrated movies with the highest expected rating (or p(liked)) for each user, in chunks of users."""
        n_items = self.index.n_items
        picks = []
        for first in range(0, len(user_ids), chunk_users):
            users = np.asarray(user_ids[first : first + chunk_users])
            pairs_user = np.repeat(users, n_items)
            pairs_item = np.tile(self.index.item_ids, len(users))
            probabilities = self.predict(pairs_user, pairs_item)
            score = (self.expected_rating(probabilities) if self.recipe.n_categories not in (None, 2) else self.liked_probability(probabilities))
            score = score.view(len(users), n_items).clone()
            score[self._rated_mask(users)] = -torch.inf
            best = torch.topk(score, min(k, n_items), dim=1)
            for user, items, values in zip(users, best.indices.numpy(), best.values.numpy()):
                picks.append(pd.DataFrame({"user_id": user, "rank": np.arange(1, len(items) + 1),
                                           "item_id": self.index.item_ids[items], "score": values}))
        return pd.concat(picks, ignore_index=True) if picks else pd.DataFrame(columns=["user_id", "rank", "item_id", "score"])

    def _rated_mask(self, users: np.ndarray) -> torch.Tensor:
        """(users, items) True where a user rated a movie in training."""
        user_rows = torch.from_numpy(self.index.rows(users).astype(np.int64))
        by_user = self.rows if self.recipe.rows == "users" else self._rows_by_user()
        batch = by_user.batch(user_rows.to(by_user.row_starts.device))
        mask = torch.zeros(len(users), self.index.n_items, dtype=torch.bool)
        mask[batch.row.cpu(), batch.unit.cpu()] = True
        return mask

    def _rows_by_user(self) -> SparseRows:
        """The training entries with a row per user (the transpose of a movies-as-rows store), built once."""
        if getattr(self, "_by_user", None) is None:
            batch = self.rows.batch(torch.arange(self.rows.n_rows, device=self.rows.row_starts.device))
            self._by_user = SparseRows.from_entries(batch.unit.cpu().numpy(), batch.row.cpu().numpy(), batch.category.cpu().numpy(),
                                                    self.rows.n_units, self.rows.n_rows)
        return self._by_user


def layout_entries(ratings: pd.DataFrame, index: RatingsIndex, recipe: Recipe, scale: RatingScale) -> SparseRows:
    """The ratings as entries in the recipe's layout, with the recipe's categories (liked 0/1, or the scale's)."""
    check_ratings(ratings)
    users, items = index.rows(ratings["user_id"].to_numpy()), index.columns(ratings["item_id"].to_numpy())
    values = ratings["rating"].to_numpy(dtype=np.float64)
    if recipe.n_categories in (None, 2):
        categories = (values >= LIKED_THRESHOLD).astype(np.int8)
    else:
        categories = scale.categories(values)
    if recipe.rows == "users":
        return SparseRows.from_entries(users, items, categories, index.n_users, index.n_items)
    return SparseRows.from_entries(items, users, categories, index.n_items, index.n_users)


def new_model(recipe: Recipe, n_units: int, *, seed: int, device: torch.device) -> RBM:
    """The recipe's untrained model for ``n_units`` visible units (0/1, plain softmax or tied softmax)."""
    if recipe.conditional:
        raise ValueError("conditional recipes need the asked pairs at training time; train them with recipes_softmax.fit_softmax.")
    options = dict(seed=seed, device=device, init_std=recipe.init_std)
    if recipe.n_categories is None:
        return RBM(n_units, recipe.n_hidden, **options)
    if recipe.plain:
        return SoftmaxRBM(n_units, recipe.n_categories, recipe.n_hidden, **options)
    return ConditionalSoftmaxRBM(n_units, recipe.n_categories, recipe.n_hidden, tied=recipe.tied, conditional=False, **options)


def fit_recommender(
    train_ratings: pd.DataFrame,
    recipe: Recipe,
    *,
    index: RatingsIndex | None = None,
    scale: RatingScale | None = None,
    seed: int = 0,
    device: torch.device | str = "cpu",
    epochs: int | None = None,
    progress: bool = False,
    callbacks: "list[Callback] | tuple[Callback, ...]" = (),
) -> tuple[Recommender, pd.DataFrame]:
    """Train ``recipe`` on a ratings table, kept as entries; return the recommender and the per-epoch history.

    ``index`` fixes the ids (build it from train and test so both fit);
    ``scale`` defaults to the training ratings' own values. Visible biases
    start at the smoothed category frequencies, as in the notebooks. The
    same as ``layout_entries`` then ``fit_entries``, which a caller short of
    memory runs separately to drop the table in between.
    Introduced with the command line's training at scale (README).
    """
    index = index or RatingsIndex.from_ratings(train_ratings)
    scale = scale or RatingScale.of(train_ratings["rating"].to_numpy())
    rows = layout_entries(train_ratings, index, recipe, scale)
    return fit_entries(rows, recipe, index=index, scale=scale, seed=seed, device=device, epochs=epochs, progress=progress,
                       callbacks=callbacks)


def fit_entries(
    rows: SparseRows,
    recipe: Recipe,
    *,
    index: RatingsIndex,
    scale: RatingScale,
    seed: int = 0,
    device: torch.device | str = "cpu",
    epochs: int | None = None,
    progress: bool = False,
    callbacks: "list[Callback] | tuple[Callback, ...]" = (),
) -> tuple[Recommender, pd.DataFrame]:
    """Train ``recipe`` on training entries in its layout (``layout_entries``); return the recommender and its history."""
    model = new_model(recipe, rows.n_units, seed=seed, device=torch.device(device))
    set_initial_bias(model, rows)
    rows = rows.to(model.device)
    settings = dict(epochs=recipe.epochs if epochs is None else epochs, batch_size=recipe.batch_size,
                    learning_rate=recipe.learning_rate, momentum=recipe.momentum, weight_decay=recipe.weight_decay,
                    k=recipe.k, seed=seed, progress=progress, monitor=False, callbacks=callbacks)
    if isinstance(model, ConditionalSoftmaxRBM):
        history = train_conditional(model, rows, tied_learning_rate=recipe.tied_learning_rate, **settings)
    else:
        history = train(model, rows, **settings)
    return Recommender(model, recipe, index, scale, rows), history


@torch.no_grad()
def set_initial_bias(model: RBM, rows: SparseRows) -> None:
    """Visible biases from the entries' category counts, as ``RBM.init_visible_bias`` does from a dense matrix."""
    width = model.visible.width
    n_slots = max(width, 2)
    units, categories = rows.units.long().cpu(), rows.categories.long().cpu()
    counts = torch.bincount(units * n_slots + categories, minlength=model.visible.n * n_slots).view(model.visible.n, n_slots)
    counts = counts.to(model.dtype)
    if width == 1:  # binary units: the 1s, and how often each unit is observed
        bias = model.visible.initial_bias(counts[:, 1].unsqueeze(0), counts.sum(1).unsqueeze(0))
    else:
        bias = model.visible.initial_bias(counts.reshape(1, -1), None)
    model.visible_bias.copy_(bias.view(model.visible_bias.shape).to(model.device))
