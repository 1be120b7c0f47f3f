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
prediction); the tests check exactly that. Train it with ``train_conditional``
(``rbm_helpers.train`` knows only the three parameters of ``SoftmaxRBM``).

Introduced in notebook 06 (Softmax units).
"""
from __future__ import annotations

import math
import time
from typing import Callable, Iterable, Mapping, NamedTuple

import pandas as pd
import torch
from torch import nn
from tqdm.auto import tqdm

from .model import bernoulli
from .softmax import SoftmaxRBM
from .validation import MISSING, check_non_negative, check_positive_int

__all__ = ["ConditionalGradients", "ConditionalSoftmaxRBM", "cd_gradient", "train_conditional"]

_FORMAT = "rbm_helpers.ConditionalSoftmaxRBM/1"


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
    ``rated``: the 0/1 matrix r, one row per row of ``v``, which must be 1
    wherever ``v`` holds a rating; by default r is just the rated entries of
    ``v``. Introduced in notebook 06 (Softmax units).
    """

    _format = _FORMAT

    def __init__(
        self,
        n_items: int,
        n_categories: int,
        n_hidden: int,
        *,
        tied: bool = True,
        conditional: bool = True,
        seed: int | None = None,
        device: str | torch.device | None = None,
        dtype: torch.dtype = torch.float32,
        init_std: float = 0.01,
    ) -> None:
        super().__init__(n_items, n_categories, n_hidden, seed=seed, device=device, dtype=dtype, init_std=init_std)
        for value, name in ((tied, "tied"), (conditional, "conditional")):
            if not isinstance(value, bool):
                raise ValueError(f"{name} must be True or False; got {value!r}.")
        self.tied = tied
        self.conditional = conditional
        zeros = dict(device=self.device, dtype=self.dtype)
        self.tied_weight = nn.Parameter(torch.zeros(n_categories, n_hidden, **zeros), requires_grad=False)
        self.conditional_weight = nn.Parameter(torch.zeros(n_items, n_hidden, **zeros), requires_grad=False)

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, tied={self.tied}, conditional={self.conditional}"

    def _options(self) -> dict:
        return {"tied": self.tied, "conditional": self.conditional}

    def _weights(self) -> torch.Tensor:
        """weight[i, k, j] + tied_weight[k, j], shape (n_items, K, n_hidden)."""
        return self.weight + self.tied_weight

    # ------------------------------------------------------------------ the conditional input
    def _rated(self, rated: torch.Tensor | None, categories: torch.Tensor) -> torch.Tensor:
        """The checked 0/1 matrix r as the model's dtype; the rated entries of ``categories`` when ``None``."""
        observed = categories != MISSING
        if rated is None:
            return observed.to(self.dtype)
        if not self.conditional:
            raise ValueError("rated is only used by a conditional model (conditional=True); leave it out here.")
        if not isinstance(rated, torch.Tensor):
            raise ValueError(f"rated must be a torch.Tensor of 0/1, shape {tuple(categories.shape)}; got {type(rated).__name__}.")
        if rated.dim() == 1:
            rated = rated.unsqueeze(0)
        if rated.shape != categories.shape:
            raise ValueError(
                f"rated must have the shape of v, {tuple(categories.shape)} (one 0/1 per row and movie); "
                f"got shape {tuple(rated.shape)}."
            )
        rated = rated.to(self.device)
        if not bool(((rated == 0) | (rated == 1)).all()):
            raise ValueError("rated must hold only 0 and 1 (or False / True): 1 where the row has rated the movie.")
        if bool((observed & (rated == 0)).any()):
            raise ValueError("rated must be 1 wherever v holds a rating (r marks every rated movie, held-out ones included).")
        return rated.to(self.dtype)

    def _context(self, rated: torch.Tensor) -> torch.Tensor | None:
        """r @ conditional_weight, the extra input to the hidden units (``None`` for an unconditional model)."""
        return rated @ self.conditional_weight if self.conditional else None

    def _inputs(self, v: torch.Tensor, rated: torch.Tensor | None, name: str = "v") -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """Validated categories, their flat one-hot values and the context."""
        categories = self._visible(v, name)
        return categories, self._one_hot(categories), self._context(self._rated(rated, categories))

    # ------------------------------------------------------------------ energies and conditionals
    def energy(self, v: torch.Tensor, h: torch.Tensor, rated: torch.Tensor | None = None) -> torch.Tensor:
        """E(V, h; r), one value per row (see the module docstring). Introduced in notebook 06."""
        _, values, context = self._inputs(v, rated)
        h = self._hidden(h)
        if values.shape[0] != h.shape[0]:
            raise ValueError(f"v and h must have the same number of rows; got {values.shape[0]} and {h.shape[0]}.")
        inputs = self._hidden_inputs(values, context) - self.hidden_bias
        return -(values @ self.visible_bias.view(-1)) - (h @ self.hidden_bias) - (inputs * h).sum(-1)

    def free_energy(self, v: torch.Tensor, rated: torch.Tensor | None = None) -> torch.Tensor:
        """F(V; r) = -sum_{rated i} visible_bias[i, k_i] - sum_j softplus(input_j), one value per row.

        input_j = hidden_bias_j + sum_{rated i} (weight + tied_weight)[i, k_i, j] + (r @ conditional_weight)_j.
        Introduced in notebook 06 (Softmax units).
        """
        _, values, context = self._inputs(v, rated)
        return self._free_energy(values, context)

    def hidden_probabilities(self, v: torch.Tensor, rated: torch.Tensor | None = None) -> torch.Tensor:
        """p(h_j = 1 | V, r) = sigmoid(input_j), shape (batch, n_hidden). Introduced in notebook 06."""
        _, values, context = self._inputs(v, rated)
        return torch.sigmoid(self._hidden_inputs(values, context))

    def sample_h(
        self,
        v: torch.Tensor,
        generator: torch.Generator | None = None,
        *,
        rated: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Probabilities p(h = 1 | V, r) and a Bernoulli sample of the hidden layer. Introduced in notebook 06."""
        p_h = self.hidden_probabilities(v, rated)
        return p_h, bernoulli(p_h, generator or self.generator)

    def gibbs(
        self,
        v: torch.Tensor,
        steps: int = 1,
        *,
        rated: torch.Tensor | None = None,
        generator: torch.Generator | None = None,
        return_hidden: bool = False,
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """``steps`` rounds of block Gibbs sampling V -> h -> V given r; unrated movies stay -1.

        r is held fixed: it is what the model is conditioned on, not sampled.
        Introduced in notebook 06 (Softmax units).
        """
        check_positive_int(steps, "steps", minimum=0)
        categories, _, context = self._inputs(v, rated)
        values, observed = self._split_missing(categories)
        values, hidden = self._gibbs_chain(values, observed, steps, generator or self.generator, context)
        categories = self._categories(values, observed)
        return (categories, hidden) if return_hidden else categories

    # ------------------------------------------------------------------ predictions
    def reconstruct(self, v: torch.Tensor, rated: torch.Tensor | None = None) -> torch.Tensor:
        """Mean-field p(v_i = k | h = p(h | V, r)) for every movie, shape (batch, n_items, K).

        As ``SoftmaxRBM.reconstruct``, with r among the hidden units' inputs.
        Introduced in notebook 06 (Softmax units).
        """
        _, values, context = self._inputs(v, rated)
        return self._visible_probabilities(torch.sigmoid(self._hidden_inputs(values, context)))

    def exact_conditional(self, v: torch.Tensor, rated: torch.Tensor | None = None) -> torch.Tensor:
        """The paper's exact p(v_q = k | V, r) for every movie q, shape (batch, n_items, K).

        As ``SoftmaxRBM.exact_conditional``, with r among the hidden units'
        inputs (a rated q's own rating is left out of V, not out of r).
        Introduced in notebook 06 (Softmax units).
        """
        _, values, context = self._inputs(v, rated)
        n_rows = values.shape[0]
        users = torch.arange(n_rows, device=self.device).repeat_interleave(self.n_items)
        items = torch.arange(self.n_items, device=self.device).repeat(n_rows)
        probabilities = self._pair_probabilities(values, users, items, exact=True, context=context)
        return probabilities.view(n_rows, self.n_items, self.n_categories)

    def predict(
        self,
        v: torch.Tensor,
        users: torch.Tensor,
        items: torch.Tensor,
        *,
        rated: torch.Tensor | None = None,
        method: str = "mean_field",
    ) -> torch.Tensor:
        """Distributions over the K categories for (row, movie) pairs, shape (n_pairs, K).

        As ``SoftmaxRBM.predict``; ``rated`` is r for the rows of ``v``.
        Introduced in notebook 06 (Softmax units).
        """
        if method not in ("mean_field", "exact"):
            raise ValueError(f"method must be one of ('mean_field', 'exact'); got {method!r}.")
        _, values, context = self._inputs(v, rated)
        users = self._index(users, "users", values.shape[0])
        items = self._index(items, "items", self.n_items)
        if users.shape != items.shape:
            raise ValueError(f"users and items must have the same length; got {users.numel()} and {items.numel()}.")
        return self._pair_probabilities(values, users, items, exact=method == "exact", context=context)

    # ------------------------------------------------------------------ contrastive divergence
    def _cd_statistics(self, *args, **kwargs):
        raise ValueError(
            "rbm_helpers.train updates only weight, visible_bias and hidden_bias; train a ConditionalSoftmaxRBM "
            "with rbm_helpers.softmax_conditional.train_conditional, which also updates tied_weight and conditional_weight."
        )

    _pcd_statistics = _cd_statistics

    def _conditional_statistics(
        self,
        values: torch.Tensor,
        observed: torch.Tensor | None,
        rated: torch.Tensor,
        k: int,
        generator: torch.Generator | None,
    ) -> ConditionalGradients:
        """CD-k on flat one-hot ``values`` given r = ``rated``; no validation (the training hot path)."""
        context = self._context(rated)
        p_h = torch.sigmoid(self._hidden_inputs(values, context))
        negative, _ = self._gibbs_chain(values, observed, k, generator, context, p_h)
        p_h_negative = torch.sigmoid(self._hidden_inputs(negative, context))
        n = values.shape[0]
        weight = torch.addmm(values.T @ p_h, negative.T, p_h_negative, beta=1 / n, alpha=-1 / n)
        weight = weight.view(self.weight.shape)
        difference = p_h - p_h_negative
        tied = weight.sum(0) if self.tied else torch.zeros_like(self.tied_weight)
        conditional = rated.T @ difference / n if self.conditional else torch.zeros_like(self.conditional_weight)
        return ConditionalGradients(
            weight,
            (values.mean(0) - negative.mean(0)).view(self.visible_bias.shape),
            difference.mean(0),
            tied,
            conditional,
        )

    def _mean_error(self, values: torch.Tensor, observed: torch.Tensor | None, rated: torch.Tensor) -> float:
        """Mean |category - expected category| of the mean-field reconstruction over the rated entries."""
        p_h = torch.sigmoid(self._hidden_inputs(values, self._context(rated)))
        return self._mean_absolute_error(p_h, self._categories(values, observed))


def cd_gradient(
    model: ConditionalSoftmaxRBM,
    v: torch.Tensor,
    k: int = 1,
    *,
    rated: torch.Tensor | None = None,
    generator: torch.Generator | None = None,
) -> ConditionalGradients:
    """CD-k estimate of the mean log-likelihood gradient of p(V | r) over the rows of ``v``.

    For ``weight``, ``visible_bias`` and ``hidden_bias`` it is the
    ``SoftmaxRBM`` gradient of the equivalent model (weight + tied_weight,
    hidden bias + r @ conditional_weight); the tied part's gradient is the
    sum of ``weight``'s over all units, and the conditional part's is
    r^T (p(h | data) - p(h | chain)) / batch. Introduced in notebook 06.
    """
    check_positive_int(k, "k")
    if not isinstance(model, ConditionalSoftmaxRBM):
        raise ValueError(f"model must be a ConditionalSoftmaxRBM; got {type(model).__name__}.")
    categories = model._visible(v)
    r = model._rated(rated, categories)
    values, observed = model._split_missing(categories)
    return model._conditional_statistics(values, observed, r, k, generator or model.generator)


Callback = Callable[[ConditionalSoftmaxRBM, dict], "Mapping[str, float] | None"]


def train_conditional(
    model: ConditionalSoftmaxRBM,
    data: torch.Tensor,
    *,
    rated: torch.Tensor | None = None,
    epochs: int = 10,
    batch_size: int = 100,
    learning_rate: float = 0.1,
    tied_learning_rate: float = 0.01,
    momentum: float = 0.5,
    weight_decay: float = 0.0,
    k: int = 1,
    seed: int | None = None,
    callbacks: Iterable[Callback] = (),
    progress: bool = True,
    monitor: bool = True,
) -> pd.DataFrame:
    """Train a ``ConditionalSoftmaxRBM`` on the rows of ``data`` (categories, -1 unrated) in place.

    The loop of ``rbm_helpers.train``: every epoch visits every row once in
    shuffled mini-batches; each parameter moves by
    ``velocity <- momentum * velocity + gradient (- weight_decay * parameter)``,
    ``parameter <- parameter + rate * velocity``, with CD-k gradients given r
    (``rated``, the rows' 0/1 matrix of rated movies including any to be
    predicted; default: the rated entries of ``data``). Weight decay applies to
    ``weight`` and ``conditional_weight``. ``tied_learning_rate`` is the rate
    of ``tied_weight``, whose gradient sums that of every unit and so is about
    as many times larger as a row has ratings; every other parameter uses
    ``learning_rate``. ``seed`` fixes shuffling and sampling.
    Returns one row per epoch: ``train_error`` (mean |category - expected
    category| of the reconstruction over the rated entries; NaN with
    ``monitor=False``, which saves a pass over the data per epoch),
    ``seconds``, and whatever the callbacks return (each is called as
    ``callback(model, record)``).
    Introduced in notebook 06 (Softmax units).
    """
    if not isinstance(model, ConditionalSoftmaxRBM):
        raise ValueError(f"model must be a ConditionalSoftmaxRBM; got {type(model).__name__}. Train a SoftmaxRBM with rbm_helpers.train.")
    categories = model._visible(data, "data")
    r = model._rated(rated, categories)
    check_positive_int(epochs, "epochs", minimum=0)
    check_positive_int(batch_size, "batch_size")
    check_positive_int(k, "k")
    rates = (check_non_negative(learning_rate, "learning_rate"), check_non_negative(tied_learning_rate, "tied_learning_rate"))
    weight_decay = check_non_negative(weight_decay, "weight_decay")
    momentum = check_non_negative(momentum, "momentum")
    if momentum >= 1:
        raise ValueError(f"momentum must be in [0, 1); got {momentum!r}.")
    callbacks = list(callbacks)
    if seed is not None:
        shuffler = torch.Generator().manual_seed(seed)
        sampler = torch.Generator(device=model.device).manual_seed(seed + 1)
    else:
        shuffler, sampler = None, model.generator

    values, observed = model._split_missing(categories)
    parameters = ConditionalGradients(
        model.weight, model.visible_bias, model.hidden_bias, model.tied_weight, model.conditional_weight
    )
    velocity = [torch.zeros_like(p) for p in parameters]
    decayed = {0, 4}  # weight and conditional_weight
    history: list[dict] = []
    bar = tqdm(range(1, epochs + 1), desc="epochs", unit="epoch", disable=not progress, leave=False)
    with torch.no_grad():
        for epoch in bar:
            started = time.perf_counter()
            order = torch.randperm(values.shape[0], generator=shuffler).to(values.device)
            for first in range(0, values.shape[0], batch_size):
                rows = order[first : first + batch_size]
                mask = observed[rows] if observed is not None else None
                gradients = model._conditional_statistics(values[rows], mask, r[rows], k, sampler)
                for index, (parameter, speed, gradient) in enumerate(zip(parameters, velocity, gradients)):
                    speed.mul_(momentum).add_(gradient)
                    if index in decayed and weight_decay:
                        speed.add_(parameter, alpha=-weight_decay)
                    parameter.add_(speed, alpha=rates[1] if index == 3 else rates[0])
            seconds = time.perf_counter() - started
            train_error = model._mean_error(values, observed, r) if monitor else math.nan
            record = {"epoch": epoch, "train_error": train_error, "seconds": seconds}
            for callback in callbacks:
                extra = callback(model, record)
                if extra:
                    record.update(extra)
            history.append(record)
            bar.set_postfix(train_error=f"{record['train_error']:.4f}")
    columns = ["epoch", "train_error", "seconds"]
    frame = pd.DataFrame(history, columns=columns + [c for c in (history[0] if history else {}) if c not in columns])
    return frame.set_index("epoch")
