"""Exact computations for tiny softmax RBMs, by enumerating every state of one layer.

A softmax RBM with n_items movies of K categories has K**n_items visible
states and 2**n_hidden hidden ones. Either layer can be summed analytically
given the other (a softplus per hidden unit, a log-sum-exp per movie), so
only the smaller of the two needs enumerating: exact up to about a million
states. The ground truth the softmax tests and notebook 06 check against.

Introduced in notebook 06 (Softmax units).
"""
from __future__ import annotations

import torch

from .contrastive import Gradients
from .exact import all_states
from .softmax import SoftmaxRBM

MAX_ENUMERATED_STATES = 2**20


def all_categories(n_items: int, n_categories: int, *, device: torch.device | str = "cpu") -> torch.Tensor:
    """Every assignment of categories 0..K-1 to ``n_items`` movies, shape (K**n_items, n_items).

    Row ``i`` holds the base-K digits of ``i``, first movie most significant
    (00, 01, 02, 10, ... for K = 3). Introduced in notebook 06.
    """
    if n_categories**n_items > MAX_ENUMERATED_STATES:
        raise ValueError(
            f"exact enumeration handles at most {MAX_ENUMERATED_STATES} states; "
            f"got {n_categories}**{n_items}. Use a smaller model."
        )
    index = torch.arange(n_categories**n_items, device=device)
    powers = n_categories ** torch.arange(n_items - 1, -1, -1, device=device)
    return (index.unsqueeze(1) // powers) % n_categories


def _sizes(model: SoftmaxRBM) -> dict[str, int]:
    return {"visible": model.n_categories**model.n_items, "hidden": 2**model.n_hidden}


def _check_tiny(model: SoftmaxRBM, layer: str | None = None) -> None:
    sizes = _sizes(model)
    smallest = sizes[layer] if layer else min(sizes.values())
    if smallest > MAX_ENUMERATED_STATES:
        which = f"the {layer} layer" if layer else "the smaller layer"
        raise ValueError(
            f"exact computations need {which} to have at most {MAX_ENUMERATED_STATES} states; this model has "
            f"n_items={model.n_items}, n_categories={model.n_categories}, n_hidden={model.n_hidden}."
        )


def _visible_enumerated(model: SoftmaxRBM) -> bool:
    sizes = _sizes(model)
    return sizes["visible"] <= sizes["hidden"]


def _hidden_free_energy(model: SoftmaxRBM, h: torch.Tensor) -> torch.Tensor:
    """-log sum_V exp(-E(V, h)) for each row of ``h``: a log-sum-exp over K per movie."""
    logits = torch.addmm(model.visible_bias.view(-1), h, model._flat_weight().T)
    logits = logits.view(h.shape[0], model.n_items, model.n_categories)
    return -(h @ model.hidden_bias) - torch.logsumexp(logits, -1).sum(-1)


def log_partition(model: SoftmaxRBM) -> torch.Tensor:
    """log Z of the model with every movie rated, exactly, as a 0-d tensor.

    Enumerates the smaller layer. Introduced in notebook 06.
    """
    _check_tiny(model)
    with torch.no_grad():
        if _visible_enumerated(model):
            states = all_categories(model.n_items, model.n_categories, device=model.device)
            return torch.logsumexp(-model._free_energy(model._one_hot(states)), 0)
        h = all_states(model.n_hidden, dtype=model.dtype, device=model.device)
        return torch.logsumexp(-_hidden_free_energy(model, h), 0)


def log_likelihood(model: SoftmaxRBM, v: torch.Tensor) -> torch.Tensor:
    """log p(V) = -F(V) - log Z for each row of ``v`` (every movie rated).

    Introduced in notebook 06 (Softmax units).
    """
    v = model._visible(v, allow_missing=False)
    with torch.no_grad():
        return -model._free_energy(model._one_hot(v)) - log_partition(model)


def visible_distribution(model: SoftmaxRBM) -> tuple[torch.Tensor, torch.Tensor]:
    """Every visible state (categories) and its probability p(V), in the order of ``all_categories``.

    Introduced in notebook 06 (Softmax units).
    """
    _check_tiny(model, "visible")
    with torch.no_grad():
        states = all_categories(model.n_items, model.n_categories, device=model.device)
        return states, torch.softmax(-model._free_energy(model._one_hot(states)), 0)


def hidden_distribution(model: SoftmaxRBM) -> tuple[torch.Tensor, torch.Tensor]:
    """Every hidden state and its marginal probability p(h). Introduced in notebook 06."""
    _check_tiny(model, "hidden")
    with torch.no_grad():
        states = all_states(model.n_hidden, dtype=model.dtype, device=model.device)
        return states, torch.softmax(-_hidden_free_energy(model, states), 0)


def model_statistics(model: SoftmaxRBM) -> Gradients:
    """The model's expectations E[v h^T], E[v], E[h], exactly, in the parameters' shapes.

    Enumerates the smaller layer and uses the other layer's conditional
    means. Introduced in notebook 06 (Softmax units).
    """
    _check_tiny(model)
    with torch.no_grad():
        if _visible_enumerated(model):
            states, p = visible_distribution(model)
            values = model._one_hot(states)
            hidden = torch.sigmoid(model._hidden_inputs(values))
        else:
            hidden, p = hidden_distribution(model)
            values = model._visible_probabilities(hidden).reshape(hidden.shape[0], -1)
        statistics = ((values * p[:, None]).T @ hidden, p @ values, p @ hidden)
        shapes = (model.weight.shape, model.visible_bias.shape, model.hidden_bias.shape)
        return Gradients(*(s.view(shape) for s, shape in zip(statistics, shapes)))


def log_likelihood_gradient(model: SoftmaxRBM, v: torch.Tensor) -> Gradients:
    """The exact gradient of the mean log-likelihood of the rows of ``v`` (every movie rated).

    E_data[v p(h|V)^T] - E_model[v h^T] and likewise for the biases: what
    CD-k and PCD-k estimate. Introduced in notebook 06 (Softmax units).
    """
    v = model._visible(v, allow_missing=False)
    with torch.no_grad():
        values = model._one_hot(v)
        p_h = torch.sigmoid(model._hidden_inputs(values))
        n = values.shape[0]
        data = (values.T @ p_h / n, values.mean(0), p_h.mean(0))
        return Gradients(*(d.view(m.shape) - m for d, m in zip(data, model_statistics(model))))
