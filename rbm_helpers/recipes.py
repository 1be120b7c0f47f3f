"""Named training recipes for the MovieLens RBM: the sane one, and the seed article's.

A *recipe* is everything that decides how a model is trained, apart from the
data and the seed. Two are named here, because notebooks 03-05 and
``benchmarks/quality.py`` all train them and must train them the same way:

- ``SANE_RECIPE``: a Bernoulli RBM trained as Hinton's practical guide
  suggests (small initial weights, visible biases from the data, a learning
  rate, momentum, weight decay, CD-1, mini-batches that cover every user);
  ``train_sane_rbm`` trains it.
- the seed article's recipe, reproduced quirk for quirk in
  ``rbm_helpers.seed_recipe`` (N(0, 1) weights, no learning rate, CD-10, the
  last batch skipped); ``SEED_RECIPE`` records its settings.

How the sane recipe's numbers were chosen (notebook 04 shows the sweeps):
on a validation split carved from u1.base (20% of each user's u1.base
ratings hidden with ``holdout_split(seed=0)``; u1.test never looked at),
with learning rates 0.05-1.0, momentum 0.5 and 0.9, weight decay 1e-4 and
1e-3, 50-200 hidden units and up to 40 epochs. Every run that finished
learning peaked at a pooled validation AUC of 0.73-0.74 (rate 0.05 was still
climbing after 30 epochs). Learning rate 0.5 gets to the plateau in about 20
epochs; after 25-30 epochs, or with rate 1.0, the model starts to overfit
(the validation AUC falls and the thresholded MAE rises). Weight decay 1e-3
and 1e-4 gave the same numbers; 1e-3 keeps the weights smaller. Predicting
with the exact conditional p(v_i | the user's other ratings) instead of the
mean-field reconstruction changed the AUC by less than 0.001.
Introduced in notebook 03 (Train an RBM on MovieLens).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import pandas as pd
import torch

from .model import RBM
from .training import Callback, train

__all__ = ["ROWS", "Recipe", "SANE_RECIPE", "SEED_RECIPE", "train_sane_rbm"]

ROWS = ("users", "movies")
"""What a recipe's model takes as rows: one RBM per user (the paper's layout) or per movie (the transpose)."""

CATEGORIES = (None, 2, 5, 10)


@dataclass(frozen=True)
class Recipe:
    """The settings of one way of training an RBM recommender: units, layout, model and training.

    The defaults are the sane Bernoulli RBM of notebook 03: 0/1 visible units
    (``n_categories=None``), users as rows, no extra terms.
    ``n_categories`` 2, 5 or 10 (half stars) makes one softmax unit per movie (notebook 06,
    ``recipes_softmax.fit_softmax``); ``rows`` is ``"users"`` or ``"movies"``
    (the transposed matrix); ``tied`` and ``conditional`` switch on the two
    terms of ``ConditionalSoftmaxRBM``, whose tied weights learn at
    ``tied_learning_rate``. Change one with ``dataclasses.replace(SANE_RECIPE, epochs=40)``.
    Introduced in notebook 03 (Train an RBM on MovieLens); notebook 06 adds the softmax fields.
    """

    n_hidden: int = 100
    epochs: int = 20
    batch_size: int = 100
    learning_rate: float = 0.5
    momentum: float = 0.5
    weight_decay: float = 1e-3
    k: int = 1
    method: str = "cd"
    init_std: float = 0.01
    n_categories: int | None = None
    rows: str = "users"
    tied: bool = False
    conditional: bool = False
    tied_learning_rate: float = 0.01

    def __post_init__(self) -> None:
        if self.n_categories not in CATEGORIES:
            raise ValueError(
                "n_categories must be 2 (disliked/liked), 5 (stars) or 10 (half stars) for softmax units, or None for 0/1 "
                f"Bernoulli units; got {self.n_categories!r}."
            )
        if self.rows not in ROWS:
            raise ValueError(f"rows must be one of {ROWS}; got {self.rows!r}.")
        if self.n_categories is None and (self.rows != "users" or not self.plain):
            raise ValueError("a Bernoulli recipe (n_categories=None) has users as rows and neither tied nor "
                             "conditional terms; set n_categories=2, 5 or 10 for a softmax recipe.")

    @property
    def plain(self) -> bool:
        """True when the model has neither tied weights nor the conditional input.

        Introduced in notebook 06 (Softmax units).
        """
        return not (self.tied or self.conditional)

    def as_dict(self) -> dict:
        """The settings as a plain dict (for printing as a table).

        Introduced in notebook 03 (Train an RBM on MovieLens).
        """
        return asdict(self)


SANE_RECIPE = Recipe()
"""The series' sane Bernoulli RBM recipe: 100 hidden units, CD-1, 20 epochs, lr 0.5, momentum 0.5, weight decay 1e-3."""

SEED_RECIPE = {
    "n_hidden": 100,
    "epochs": 10,
    "batch_size": 100,
    "k": 10,
    "learning_rate": "none (plain sum over the batch)",
    "initial weights": "N(0, 1)",
    "last batch": "skipped",
}
"""The seed article's settings, as ``rbm_helpers.seed_recipe.train_seed_recipe`` uses them (notebook 04)."""


def train_sane_rbm(
    train_matrix: torch.Tensor,
    recipe: Recipe = SANE_RECIPE,
    *,
    seed: int = 0,
    held_out: "torch.Tensor | tuple[torch.Tensor, torch.Tensor] | None" = None,
    callbacks: "list[Callback] | tuple[Callback, ...]" = (),
) -> tuple[RBM, pd.DataFrame]:
    """Train a Bernoulli RBM on ``train_matrix`` (1 liked, 0 disliked, -1 unrated) with ``recipe``.

    The model has one visible unit per column, ``recipe.n_hidden`` hidden
    units and N(0, ``recipe.init_std``^2) initial weights drawn from ``seed``;
    its visible biases start at the log-odds of each movie's liked-rate
    (``RBM.init_visible_bias``). Training is ``rbm_helpers.train`` with the
    recipe's settings and ``seed``, without a progress bar; ``held_out`` and
    ``callbacks`` are passed on. Returns the model and its per-epoch history.
    The same arguments give the same model, bit for bit, on one machine.
    Introduced in notebook 03 (Train an RBM on MovieLens).
    """
    if not isinstance(recipe, Recipe):
        raise ValueError(f"recipe must be a rbm_helpers.recipes.Recipe such as SANE_RECIPE; got {type(recipe).__name__}.")
    if recipe.n_categories is not None:
        raise ValueError(f"recipe has softmax units (n_categories={recipe.n_categories}); train it with "
                         "recipes_softmax.fit_softmax, or use a Bernoulli recipe such as SANE_RECIPE.")
    if not isinstance(train_matrix, torch.Tensor) or train_matrix.dim() != 2:
        raise ValueError(
            "train_matrix must be a 2-D tensor (n_users, n_movies) of 1/0/-1, as "
            f"ratings_matrix(..., binary=True) returns; got {getattr(train_matrix, 'shape', type(train_matrix).__name__)}."
        )
    rbm = RBM(train_matrix.shape[1], recipe.n_hidden, seed=seed, init_std=recipe.init_std)
    rbm.init_visible_bias(train_matrix.to(rbm.dtype))
    history = train(
        rbm,
        train_matrix.to(rbm.dtype),
        epochs=recipe.epochs,
        batch_size=recipe.batch_size,
        learning_rate=recipe.learning_rate,
        momentum=recipe.momentum,
        weight_decay=recipe.weight_decay,
        k=recipe.k,
        method=recipe.method,
        seed=seed,
        held_out=held_out,
        callbacks=callbacks,
        progress=False,
    )
    return rbm, history
