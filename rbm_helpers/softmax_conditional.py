"""The softmax RBM with tied weights and the paper's conditional input: what notebook 06 adds to beat the baselines.

Two terms join the energy of ``SoftmaxRBM``; each can be switched off.

**Tied weights** (``tied``). The weight from visible unit i in category k to
hidden unit j becomes the unit's own weight plus a part shared by every unit:

    weight[i, k, j] + tied_weight[k, j].

Through the shared part a hidden unit reads the row's histogram of categories
(how many 1-star, 2-star, ... entries the row holds) with K weights, and it
shifts every unit's category the same way. With one RBM per movie (movies as
rows, users as visible units) that is the movie's overall appeal, learnt from
all of its ratings at once instead of from a separate weight for each user.

**The conditional input** (``conditional``), the paper's section 3
(Salakhutdinov, Mnih & Hinton, 2007): a 0/1 vector r, with r_i = 1 for every
unit the row has rated -- *including the ones we will be asked to predict* --
feeds the hidden units through ``conditional_weight`` D (n_items x n_hidden).
Which movies a user rated says something about their taste even without the
ratings. Using the identity of the held-out pairs is what the paper does and
what the Netflix-prize evaluation allowed (which movie is asked about is
known at prediction time), but it is information the baselines do not use:
notebook 06 reports the model with and without it.

The energy, for a row with categories k_i on its rated units and indicator r:

    E(V, h; r) = -sum_{rated i} visible_bias[i, k_i] - h . hidden_bias
                 - sum_{rated i} sum_j (weight[i, k_i, j] + tied_weight[k_i, j]) h_j
                 - sum_j h_j sum_i r_i conditional_weight[i, j].

For a fixed r this is a ``SoftmaxRBM`` with weight ``weight + tied_weight``
and hidden bias ``hidden_bias + r @ conditional_weight``, so every formula of
``SoftmaxRBM`` holds unchanged (conditionals, free energy, the exact
prediction); the tests check exactly that. The class changes only the hidden
units' input (``coupling`` and ``hidden_bias_term``) and its parameter
groups; ``rbm_helpers.train`` trains it like any RBM, with r passed as
``condition`` (by default the rated entries of the data).

Introduced in notebook 06 (Softmax units).
"""
from __future__ import annotations

from typing import Any, Iterable, NamedTuple

import pandas as pd
import torch
from torch import nn

from .softmax import SoftmaxRBM
from .training import Callback, train
from .validation import check_non_negative

__all__ = ["ConditionalGradients", "ConditionalSoftmaxRBM", "train_conditional"]


class ConditionalGradients(NamedTuple):
    """The mean log-likelihood gradient of a ``ConditionalSoftmaxRBM``, one tensor per parameter.

    ``tied_weight`` and ``conditional_weight`` are zero when the model does
    not use them. Introduced in notebook 06 (Softmax units).
    """

    weight: torch.Tensor
    visible_bias: torch.Tensor
    hidden_bias: torch.Tensor
    tied_weight: torch.Tensor
    conditional_weight: torch.Tensor


class ConditionalSoftmaxRBM(SoftmaxRBM):
    """A ``SoftmaxRBM`` with tied weights and the conditional input r (see the module docstring).

    ``tied_weight`` has shape (n_categories, n_hidden), ``conditional_weight``
    (n_items, n_hidden); both start at zero, so an untrained model predicts as
    the ``SoftmaxRBM`` with the same seed. ``tied=False`` or
    ``conditional=False`` leaves that part out (its parameter stays zero and
    is never trained). Every method that reaches the hidden units takes
    ``condition``: the 0/1 matrix r, one row per row of ``v``, which must be 1
    wherever ``v`` holds a rating; by default r is just the rated entries of
    ``v``. Introduced in notebook 06 (Softmax units).
    """

    gradient_type = ConditionalGradients

    def __init__(
        self, n_items: int, n_categories: int, n_hidden: int, *, tied: bool = True, conditional: bool = True, **options: Any
    ) -> None:
        super().__init__(n_items, n_categories, n_hidden, **options)
        for value, name in ((tied, "tied"), (conditional, "conditional")):
            if not isinstance(value, bool):
                raise ValueError(f"{name} must be True or False; got {value!r}.")
        self.tied, self.conditional = tied, conditional
        zeros = dict(device=self.device, dtype=self.dtype)
        self.tied_weight = nn.Parameter(torch.zeros(n_categories, n_hidden, **zeros), requires_grad=False)
        self.conditional_weight = nn.Parameter(torch.zeros(n_items, n_hidden, **zeros), requires_grad=False)

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, tied={self.tied}, conditional={self.conditional}"

    def constructor_arguments(self) -> dict:
        return {**super().constructor_arguments(), "tied": self.tied, "conditional": self.conditional}

    @classmethod
    def from_arguments(cls, arguments: dict, **common):
        options = {key: arguments[key] for key in ("tied", "conditional")}
        return cls(arguments["n_items"], arguments["n_categories"], arguments["n_hidden"], **options, **common)

    def trainable_parameters(self) -> dict[str, nn.Parameter]:
        """Every parameter but the parts switched off (``tied=False``, ``conditional=False``), which stay zero."""
        parameters = dict(self.named_parameters())
        for name, used in (("tied_weight", self.tied), ("conditional_weight", self.conditional)):
            if not used:
                del parameters[name]
        return parameters

    def decayed_parameters(self) -> tuple[str, ...]:
        return ("weight", "conditional_weight")

    # ------------------------------------------------------------------ what changes: the hidden units' input
    def coupling(self) -> torch.Tensor:
        """weight[i, k, j] + tied_weight[k, j], as one (n_items * K, n_hidden) matrix."""
        weight = self.weight + self.tied_weight if self.tied else self.weight
        return weight.reshape(self.visible.size, self.n_hidden)

    def coupling_parts(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``weight`` (one row per movie) and ``tied_weight`` (shared by every movie; None without ties)."""
        return self.weight, self.tied_weight if self.tied else None

    def _rated_units(self, values: torch.Tensor | None) -> torch.Tensor:
        """r from encoded rows: 1 for every unit with a rating (every unit when ``values`` is None)."""
        if values is None:
            return torch.ones(1, self.n_items, device=self.device, dtype=self.dtype)
        return values.reshape(values.shape[0], self.n_items, self.n_categories).sum(-1)

    def hidden_bias_term(self, values: torch.Tensor | None = None, condition: torch.Tensor | None = None) -> torch.Tensor:
        """hidden_bias + r @ conditional_weight, one row per row (r = ``condition``, or the rated units)."""
        if not self.conditional:
            return super().hidden_bias_term(values, condition)
        rated = self._rated_units(values) if condition is None else condition
        return torch.addmm(self.hidden_bias, rated, self.conditional_weight)

    def check_condition(self, condition: object, values: torch.Tensor) -> torch.Tensor | None:
        """r checked: a 0/1 matrix with the shape of ``v`` that is 1 wherever ``v`` holds a rating."""
        if condition is None:
            return None
        if not self.conditional:
            raise ValueError("condition (the rated matrix r) is only used by a conditional model (conditional=True); leave it out here.")
        shape = (values.shape[0], self.n_items)
        if not isinstance(condition, torch.Tensor):
            raise ValueError(f"condition must be a torch.Tensor of 0/1, shape {shape}; got {type(condition).__name__}.")
        if condition.dim() == 1:
            condition = condition.unsqueeze(0)
        if tuple(condition.shape) != shape:
            raise ValueError(
                f"condition must have the shape of v, {shape} (one 0/1 per row and movie); got shape {tuple(condition.shape)}."
            )
        condition = condition.to(self.device)
        if not bool(((condition == 0) | (condition == 1)).all()):
            raise ValueError("condition must hold only 0 and 1 (or False / True): 1 where the row has rated the movie.")
        if bool(((self._rated_units(values) > 0) & (condition == 0)).any()):
            raise ValueError("condition must be 1 wherever v holds a rating (r marks every rated movie, held-out ones included).")
        return condition.to(self.dtype)

    def statistics(self, values, hidden, *, weights=None, condition=None) -> ConditionalGradients:
        """As ``RBM.statistics``, plus the tied weights' (summed over units) and the conditional weights' (r^T h)."""
        if weights is None:
            weights = torch.full((values.shape[0],), 1.0 / values.shape[0], device=values.device, dtype=values.dtype)
        weighted = values * weights[:, None]
        weight = (weighted.T @ hidden).view(self.weight.shape)
        rated = self._rated_units(values) if condition is None else condition
        return ConditionalGradients(
            weight,
            (weights @ values).view(self.visible_bias.shape),
            weights @ hidden,
            weight.sum(0) if self.tied else torch.zeros_like(self.tied_weight),
            (rated * weights[:, None]).T @ hidden if self.conditional else torch.zeros_like(self.conditional_weight),
        )


def train_conditional(
    model: ConditionalSoftmaxRBM,
    data: torch.Tensor,
    *,
    rated: torch.Tensor | None = None,
    tied_learning_rate: float = 0.01,
    callbacks: Iterable[Callback] = (),
    **settings,
) -> pd.DataFrame:
    """``rbm_helpers.train`` for a ``ConditionalSoftmaxRBM``, with r as ``rated`` and the tied weights' own rate.

    ``tied_weight``'s gradient sums that of every unit, so it is about as many
    times larger as a row has ratings: it gets ``tied_learning_rate``; every
    other parameter ``learning_rate``. Introduced in notebook 06 (Softmax units).
    """
    if not isinstance(model, ConditionalSoftmaxRBM):
        raise ValueError(f"model must be a ConditionalSoftmaxRBM; got {type(model).__name__}. Train other models with rbm_helpers.train.")
    rates = {"tied_weight": check_non_negative(tied_learning_rate, "tied_learning_rate")} if model.tied else {}
    return train(model, data, condition=rated, learning_rates=rates, callbacks=callbacks, **settings)
