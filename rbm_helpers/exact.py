"""Exact computations for tiny RBMs, by enumerating every state of one layer.

The partition function Z = sum_{v,h} exp(-E(v, h)) has 2^(n_visible + n_hidden)
terms, but one layer can always be summed analytically (each of its units is
independent given the other layer), so only 2^min(n_visible, n_hidden) states
need enumerating. Up to 20 units on the smaller layer (about a million
states) this is exact and quick; it is the ground truth every estimate in the
series is checked against.

Introduced in notebook 01 (the partition function).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from .contrastive import Gradients
from .model import RBM

MAX_ENUMERATED_UNITS = 20


def all_states(n_units: int, *, dtype: torch.dtype = torch.float32, device: torch.device | str = "cpu") -> torch.Tensor:
    """Every 0/1 state of ``n_units`` units, shape (2**n_units, n_units).

    Row ``i`` holds the binary digits of ``i``, first unit most significant,
    so that the rows read 000, 001, 010, ... Introduced in notebook 01.
    """
    if not 0 <= n_units <= MAX_ENUMERATED_UNITS:
        raise ValueError(
            f"exact enumeration handles at most {MAX_ENUMERATED_UNITS} units "
            f"(2**{MAX_ENUMERATED_UNITS} states); got {n_units}. Use a smaller model."
        )
    index = torch.arange(2**n_units, device=device)
    powers = 2 ** torch.arange(n_units - 1, -1, -1, device=device)
    return ((index.unsqueeze(1) // powers) % 2).to(dtype)


def _check_tiny(rbm: RBM, layer: str | None = None) -> None:
    sizes = {"visible": rbm.n_visible, "hidden": rbm.n_hidden}
    smallest = sizes[layer] if layer else min(sizes.values())
    if smallest > MAX_ENUMERATED_UNITS:
        which = f"the {layer} layer" if layer else "the smaller layer"
        raise ValueError(
            f"exact computations need {which} to have at most {MAX_ENUMERATED_UNITS} units; "
            f"this RBM has n_visible={rbm.n_visible}, n_hidden={rbm.n_hidden}. "
            "Use estimates (e.g. reconstruction error) for models this large."
        )


def _hidden_free_energy(rbm: RBM, h: torch.Tensor) -> torch.Tensor:
    """-log sum_v exp(-E(v, h)) for each row of ``h`` (the visible layer summed out)."""
    return -(h @ rbm.hidden_bias) - F.softplus(h @ rbm.weight.T + rbm.visible_bias).sum(-1)


def log_partition(rbm: RBM) -> torch.Tensor:
    """log Z, exactly: log-sum-exp of minus the free energy over the smaller layer's states.

    Returned as a 0-d tensor in the model's dtype. Introduced in notebook 01.
    """
    _check_tiny(rbm)
    with torch.no_grad():
        if rbm.n_visible <= rbm.n_hidden:
            v = all_states(rbm.n_visible, dtype=rbm.dtype, device=rbm.device)
            return torch.logsumexp(-rbm._free_energy(v), 0)
        h = all_states(rbm.n_hidden, dtype=rbm.dtype, device=rbm.device)
        return torch.logsumexp(-_hidden_free_energy(rbm, h), 0)


def log_likelihood(rbm: RBM, v: torch.Tensor) -> torch.Tensor:
    """log p(v) = -F(v) - log Z for each row of ``v`` (0/1, nothing missing).

    Introduced in notebook 01; used to watch training in notebook 02.
    """
    v = rbm._visible(v, allow_missing=False)
    with torch.no_grad():
        return -rbm._free_energy(v) - log_partition(rbm)


def visible_distribution(rbm: RBM) -> tuple[torch.Tensor, torch.Tensor]:
    """Every visible state and its probability p(v): ``(states, probabilities)``.

    ``states`` has shape (2**n_visible, n_visible) in the order of
    ``all_states``; the probabilities sum to one. Needs n_visible <= 20.
    Introduced in notebook 01 (a tiny RBM enumerated).
    """
    _check_tiny(rbm, "visible")
    with torch.no_grad():
        states = all_states(rbm.n_visible, dtype=rbm.dtype, device=rbm.device)
        return states, torch.softmax(-rbm._free_energy(states), 0)


def hidden_distribution(rbm: RBM) -> tuple[torch.Tensor, torch.Tensor]:
    """Every hidden state and its marginal probability p(h), like ``visible_distribution``.

    Introduced in notebook 01.
    """
    _check_tiny(rbm, "hidden")
    with torch.no_grad():
        states = all_states(rbm.n_hidden, dtype=rbm.dtype, device=rbm.device)
        return states, torch.softmax(-_hidden_free_energy(rbm, states), 0)


def model_statistics(rbm: RBM) -> Gradients:
    """The model's expectations E[v h^T], E[v], E[h], exactly (the negative phase).

    Enumerates the smaller layer and uses the other layer's conditional
    means. Introduced in notebook 02 (CD-k against the exact gradient).
    """
    _check_tiny(rbm)
    with torch.no_grad():
        if rbm.n_visible <= rbm.n_hidden:
            v, p = visible_distribution(rbm)
            p_h = torch.sigmoid(v @ rbm.weight + rbm.hidden_bias)
            return Gradients((v * p[:, None]).T @ p_h, p @ v, p @ p_h)
        h, p = hidden_distribution(rbm)
        p_v = torch.sigmoid(h @ rbm.weight.T + rbm.visible_bias)
        return Gradients((p_v * p[:, None]).T @ h, p @ p_v, p @ h)


def log_likelihood_gradient(rbm: RBM, v: torch.Tensor) -> Gradients:
    """The exact gradient of the mean log-likelihood of the rows of ``v``.

    E_data[v p(h|v)^T] - E_model[v h^T] for the weights, and likewise for the
    biases: the quantity CD-k and PCD-k estimate.
    Introduced in notebook 02 (CD-k against the exact gradient).
    """
    v = rbm._visible(v, allow_missing=False)
    with torch.no_grad():
        p_h = torch.sigmoid(v @ rbm.weight + rbm.hidden_bias)
        data = Gradients(v.T @ p_h / v.shape[0], v.mean(0), p_h.mean(0))
        model = model_statistics(rbm)
        return Gradients(*(d - m for d, m in zip(data, model)))
