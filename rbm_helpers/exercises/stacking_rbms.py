"""Checkers for the exercises of notebook 08 (stacking RBMs): the up-pass, the layer that makes the bound tight.

Introduced in notebook 08.
"""
from __future__ import annotations

from typing import Callable

import torch

from .. import exact
from ..dbn import DeepBeliefNetwork, variational_bound
from ..model import RBM
from .checking import (
    DTYPE,
    as_tensor,
    call,
    correct,
    example_rbm,
    function_name,
    mismatch,
    returned_tensor,
    shape_problem,
    wrong,
)

__all__ = ["check_transposed_layer", "check_up_pass"]


def _rows(n_rows: int, n_visible: int, seed: int) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return (torch.rand(n_rows, n_visible, generator=generator, dtype=DTYPE) < 0.4).to(DTYPE)


# ---------------------------------------------------------------------------- 1. the up-pass
UP_HINT = (
    "Start from x = v; for each layer, x = sigmoid(x @ weight + hidden_bias): each layer's hidden probabilities, with "
    "the probabilities of the layer below as its input. Return the last x."
)


def check_up_pass(up_pass_fn: Callable) -> bool:
    """Check ``up_pass(v, weights, hidden_biases)``: the top layer's probabilities of a stack, by the mean-field up-pass.

    ``weights`` and ``hidden_biases`` are lists, one entry per layer, bottom up.
    Compared with ``DeepBeliefNetwork.up``. Introduced in notebook 08.
    """
    layers = [example_rbm(7, 5, seed=21), example_rbm(5, 4, seed=22), example_rbm(4, 3, seed=23)]
    network = DeepBeliefNetwork.from_layers(layers)
    v = _rows(8, 7, 21)
    weights = [layer.weight.detach().clone() for layer in layers]
    biases = [layer.hidden_bias.detach().clone() for layer in layers]
    result = returned_tensor(up_pass_fn, (v, weights, biases), UP_HINT, shape=(8, 3),
                             shape_hint="Return the top layer's probabilities: one row per row of v, one column per top unit.")
    if result is None:
        return False
    expected = network.up(v)[-1]
    no_bias = v
    for weight in weights:
        no_bias = torch.sigmoid(no_bias @ weight)
    first_only = torch.sigmoid(torch.sigmoid(v @ weights[0] + biases[0]) @ weights[1] + biases[1])
    mistakes = [
        (no_bias, "the hidden biases are missing.", "Add each layer's hidden_bias before the sigmoid."),
        (torch.sigmoid(first_only @ weights[2]), "the top layer's bias is missing.", "Every layer adds its own hidden_bias."),
    ]
    problem = mismatch(result, expected, mistakes, UP_HINT, differ="the probabilities differ from the up-pass by up to {:.3g}.")
    if problem:
        return wrong(*problem)
    return correct(f"{function_name(up_pass_fn)} passes probabilities up through 3 layers, as DeepBeliefNetwork.up "
                   "and the network from to_sequential() do.")


# ---------------------------------------------------------------------------- 2. the layer that keeps the bound tight
TRANSPOSED_HINT = (
    "The second RBM's visible units are the first one's hidden units: weight.T (n_hidden x n_visible), its visible bias "
    "is the first RBM's hidden bias and its hidden bias the first RBM's visible bias."
)


def check_transposed_layer(transposed_layer_fn: Callable) -> bool:
    """Check ``transposed_layer(weight, visible_bias, hidden_bias)`` -> (weight, visible_bias, hidden_bias) of layer 2.

    The second layer that makes the stack's model equal to the first RBM, so
    that the variational bound equals log p(v) exactly. Checked by exact
    enumeration with ``variational_bound``. Introduced in notebook 08.
    """
    first = example_rbm(6, 4, seed=24)
    params = (first.weight.detach().clone(), first.visible_bias.detach().clone(), first.hidden_bias.detach().clone())
    returned, error = call(transposed_layer_fn, *params)
    if error:
        return wrong(error, TRANSPOSED_HINT)
    if not isinstance(returned, (tuple, list)) or len(returned) != 3:
        what = "None (did you forget `return`?)" if returned is None else f"a {type(returned).__name__}"
        return wrong(f"the result is {what}, not a tuple (weight, visible_bias, hidden_bias).", TRANSPOSED_HINT)
    names = ("weight", "visible_bias", "hidden_bias")
    expected = (params[0].T, params[2], params[1])
    tensors = []
    for name, value, want in zip(names, returned, expected):
        tensor, problem = as_tensor(value, f"the second layer's {name}")
        problem = problem or shape_problem(tensor, tuple(want.shape), f"the second layer's {name}")
        if problem:
            return wrong(problem, TRANSPOSED_HINT)
        tensors.append(tensor)
    second = RBM(4, 6, dtype=DTYPE)
    with torch.no_grad():
        for name, tensor in zip(names, tensors):
            getattr(second, name).copy_(tensor)
    v = _rows(30, 6, 24)
    bound = variational_bound(DeepBeliefNetwork.from_layers([first, second]), v)
    log_p = exact.log_likelihood(first, v)
    if not torch.allclose(bound, log_p, rtol=0, atol=1e-8):
        gap = (log_p - bound).mean().item()
        return wrong(f"with your second layer the bound is {gap:.4f} nats per example below log p(v): the stack is not "
                     "the first RBM.", TRANSPOSED_HINT)
    return correct(f"{function_name(transposed_layer_fn)} makes the stack equal the first RBM: the bound equals log p(v) "
                   f"exactly ({log_p.mean().item():.4f} nats per example), the point from which training layer 2 raises it.")
