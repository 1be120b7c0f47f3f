"""Exact computations for tiny RBMs of any unit type, by enumerating every state of one layer.

The partition function Z = sum_{v,h} exp(-beta E(v, h)) has a term for every
joint state, but one layer can always be summed (or, for Gaussian units,
integrated) analytically given the other, so only the states of the smaller
layer need enumerating: 2^n_hidden hidden states, or the visible layer's
2^n (binary) or K^n (softmax) states. Up to about a million states
(``MAX_ENUMERATED_STATES``) this is exact and quick; it is the ground truth
every estimate in the series is checked against.

Introduced in notebook 01 (the partition function); softmax units in
notebook 06, Gaussian units in notebook 07.
"""
from __future__ import annotations

import math

import torch

from .model import RBM, Gradients
from .units import MAX_ENUMERATED_STATES, all_categories, all_states, check_beta
from .units.base import enumeration_limit_error
from . import validation
from .validation import check_memory

__all__ = [
    "MAX_ENUMERATED_STATES",
    "MAX_ENUMERATED_UNITS",
    "all_categories",
    "all_states",
    "hidden_distribution",
    "log_likelihood",
    "log_likelihood_gradient",
    "log_partition",
    "model_statistics",
    "visible_distribution",
]

MAX_ENUMERATED_UNITS = 20
"""The most binary units a layer may have for exact enumeration (2**20 states)."""


def _check_model(model: object) -> RBM:
    if not isinstance(model, RBM):
        raise ValueError(f"exact computations take an rbm_helpers RBM (RBM, SoftmaxRBM, ...); got {type(model).__name__}.")
    return model


def _layer_states(model: RBM) -> dict[str, float]:
    return {"visible": model.visible.n_states, "hidden": model.hidden.n_states}


def _enumerated_layer(model: RBM, layer: str | None = None) -> str:
    """Which layer to enumerate (``layer`` if given, else the one with fewer states); refuse one too big."""
    states = _layer_states(_check_model(model))
    which = layer or ("visible" if states["visible"] <= states["hidden"] else "hidden")
    if states[which] > MAX_ENUMERATED_STATES:
        side = f"the {which} layer" if layer else f"the smaller layer ({which})"
        raise enumeration_limit_error(
            f"{side} of this model (n_visible={model.n_visible} {type(model.visible).__name__} units, "
            f"n_hidden={model.n_hidden})",
            states[which],
        )
    check_memory(
        f"enumerating the {int(states[which]):,} states of the {which} layer of this model "
        f"(n_visible={model.n_visible}, n_hidden={model.n_hidden})",
        2 * int(states[which]) * (model.visible.size + model.n_hidden) * model.dtype.itemsize,
        limit=validation.ENUMERATION_LIMIT_BYTES,
        limit_name="ENUMERATION_LIMIT_BYTES",
    )
    return which


def log_partition(model: RBM, *, beta: float = 1.0, condition: torch.Tensor | None = None) -> torch.Tensor:
    """log Z(beta) exactly: log-sum-exp of minus the free energy over the smaller layer's states (0-d tensor).

    Introduced in notebook 01 (the partition function).
    """
    beta = check_beta(beta)
    layer = _enumerated_layer(model)
    with torch.no_grad():
        if layer == "visible":
            states = model.visible.states(dtype=model.dtype, device=model.device)
            return torch.logsumexp(-model.encoded_free_energy(states, beta=beta, condition=condition), 0)
        hidden = model.hidden.states(dtype=model.dtype, device=model.device)
        return torch.logsumexp(-model.hidden_free_energy(hidden, beta=beta, condition=condition), 0)


def log_likelihood(model: RBM, v: torch.Tensor, *, beta: float = 1.0) -> torch.Tensor:
    """log p(v) = -F(v) - log Z for each row of ``v`` (every unit observed; a log-density for Gaussian units).

    Introduced in notebook 01; used to watch training in notebook 02.
    """
    beta = check_beta(beta)
    values, _ = _check_model(model).encode(v, allow_missing=False)
    with torch.no_grad():
        return -model.encoded_free_energy(values, beta=beta) - log_partition(model, beta=beta)


def visible_distribution(model: RBM, *, beta: float = 1.0) -> tuple[torch.Tensor, torch.Tensor]:
    """Every visible state and its probability p(v): ``(states, probabilities)``.

    ``states`` are in the layer's own values (0/1 rows in the order of
    ``all_states``; categories in the order of ``all_categories``); the
    probabilities sum to one. Introduced in notebook 01 (a tiny RBM enumerated).
    """
    beta = check_beta(beta)
    _enumerated_layer(model, "visible")
    with torch.no_grad():
        states = model.visible.states(dtype=model.dtype, device=model.device)
        return model.decode(states), torch.softmax(-model.encoded_free_energy(states, beta=beta), 0)


def hidden_distribution(model: RBM, *, beta: float = 1.0) -> tuple[torch.Tensor, torch.Tensor]:
    """Every hidden state and its marginal probability p(h), like ``visible_distribution``.

    Introduced in notebook 01.
    """
    beta = check_beta(beta)
    _enumerated_layer(model, "hidden")
    with torch.no_grad():
        states = model.hidden.states(dtype=model.dtype, device=model.device)
        return states, torch.softmax(-model.hidden_free_energy(states, beta=beta), 0)


def model_statistics(model: RBM) -> Gradients:
    """The model's expectations E[v h^T], E[v], E[h] (the negative phase), exactly, in the parameters' shapes.

    Enumerates the smaller layer and uses the other layer's conditional
    means. Introduced in notebook 02 (CD-k against the exact gradient).
    """
    layer = _enumerated_layer(model)
    with torch.no_grad():
        if layer == "visible":
            states = model.visible.states(dtype=model.dtype, device=model.device)
            p = torch.softmax(-model.encoded_free_energy(states), 0)
            return model.statistics(states, model.hidden.mean(model.hidden_field(states)), weights=p)
        hidden, p = hidden_distribution(model)
        return model.statistics(model.visible.mean(model.visible_field(hidden)), hidden, weights=p)


def log_likelihood_gradient(model: RBM, v: torch.Tensor) -> Gradients:
    """The exact gradient of the mean log-likelihood of the rows of ``v`` (every unit observed).

    E_data[v p(h|v)^T] - E_model[v h^T] for the weights, and likewise for the
    other parameters: the quantity CD-k and PCD-k estimate.
    Introduced in notebook 02 (CD-k against the exact gradient).
    """
    values, _ = _check_model(model).encode(v, allow_missing=False)
    with torch.no_grad():
        data = model.statistics(values, model.hidden.mean(model.hidden_field(values)))
        return model.gradient_type(*(d - m for d, m in zip(data, model_statistics(model))))


def enumerable(model: RBM) -> bool:
    """Whether exact computations can handle ``model`` (its smaller layer has at most a million states)."""
    return min(_layer_states(_check_model(model)).values()) <= MAX_ENUMERATED_STATES and not math.isinf(
        min(_layer_states(model).values())
    )
