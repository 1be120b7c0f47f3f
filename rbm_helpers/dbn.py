"""Deep belief networks: RBMs stacked and trained greedily, one layer at a time.

Hinton, Osindero & Teh (2006): train an RBM on the data; then treat its
hidden activity as data for a second RBM, and so on. The result is a
generative model whose top two layers are an RBM and whose lower layers are
directed: to generate, run Gibbs sampling in the top RBM, then pass down
through each lower layer's p(v | h). Each added layer cannot lower a
variational bound on log p(v) when it starts as the transpose of the layer
below (``variational_bound`` computes that bound exactly on tiny stacks).

Each layer is trained on *samples* of the hidden units of the layer below
(``train_greedy``): the theorem is about the aggregated posterior of those
binary units, and the package's binary units take 0/1 values (probabilities
would be a mean-field stand-in). ``to_sequential`` turns the stack into a
``torch.nn.Sequential`` of linear + sigmoid layers for fine-tuning with
autograd and ``torch.optim``.

Introduced in notebook 08 (stacking RBMs).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

import pandas as pd
import torch
from torch import nn

from . import checkpoints, exact
from .model import RBM
from .training import train
from .units import Bernoulli, Units, bernoulli
from .validation import check_positive_int

__all__ = ["DeepBeliefNetwork", "train_greedy", "variational_bound"]

_FORMAT = f"{checkpoints.FORMAT}:DeepBeliefNetwork"


class DeepBeliefNetwork(nn.Module):
    """A stack of RBMs: ``layers[0]`` sees the data, each next one the hidden units of the one below.

    Build it from sizes, ``DeepBeliefNetwork(64, [32, 16], seed=0)`` (the
    first entry may be a unit layer such as ``Gaussian(64)``), or from RBMs
    with ``DeepBeliefNetwork.from_layers([...])``. Introduced in notebook 08.
    """

    def __init__(self, visible: int | Units, hidden_sizes: Iterable[int], *, seed: int | None = None, **options: Any) -> None:
        super().__init__()
        sizes = [check_positive_int(size, "hidden_sizes") for size in hidden_sizes]
        if not sizes:
            raise ValueError("hidden_sizes must name at least one hidden layer, e.g. [32, 16].")
        layers, below = [], visible
        for index, size in enumerate(sizes):
            layers.append(RBM(below, size, seed=None if seed is None else seed + index, **options))
            below = size
        self.layers = nn.ModuleList(layers)

    @classmethod
    def from_layers(cls, layers: Iterable[RBM]) -> "DeepBeliefNetwork":
        """A stack of existing RBMs; each layer's visible units must be the hidden units of the one below."""
        layers = list(layers)
        if not layers or not all(isinstance(layer, RBM) for layer in layers):
            raise ValueError("layers must be a non-empty list of rbm_helpers RBMs.")
        for lower, upper in zip(layers, layers[1:]):
            if upper.visible != Bernoulli(lower.n_hidden):
                raise ValueError(
                    f"each layer's visible units must be the {lower.n_hidden} binary hidden units of the layer below; "
                    f"got {upper.visible!r}."
                )
        network = cls.__new__(cls)
        nn.Module.__init__(network)
        network.layers = nn.ModuleList(layers)
        return network

    @property
    def sizes(self) -> list[int]:
        """The number of units of each layer, from the visible one up."""
        return [self.layers[0].n_visible] + [layer.n_hidden for layer in self.layers]

    # ------------------------------------------------------------------ passes
    @torch.no_grad()
    def up(self, v: torch.Tensor) -> list[torch.Tensor]:
        """Each layer's hidden probabilities p(h_l | h_{l-1}), with the probabilities of the layer below as input.

        The mean-field up-pass: what ``to_sequential`` computes, and the
        features of each layer. Introduced in notebook 08.
        """
        values, _ = self.layers[0].encode(v, allow_missing=False)
        activities = []
        for layer in self.layers:
            values = layer.hidden.mean(layer.hidden_field(values))
            activities.append(values)
        return activities

    @torch.no_grad()
    def down(self, top: torch.Tensor, *, sample: bool = False, generator: torch.Generator | None = None) -> torch.Tensor:
        """From states of the top RBM's visible units (the second-highest layer) down through each p(v | h).

        Returns the data layer's means (probabilities for binary units);
        ``sample=True`` samples each intermediate layer instead of passing
        probabilities. Introduced in notebook 08.
        """
        values = top
        for index, layer in enumerate(reversed(self.layers[:-1])):
            mean = layer.visible.mean(layer.visible_field(values))
            last = index == len(self.layers) - 2
            values = mean if (last or not sample) else bernoulli(mean, generator)
        return self.layers[0].visible.unflatten(values)

    @torch.no_grad()
    def sample(self, n_samples: int, *, steps: int = 200, seed: int | None = None) -> torch.Tensor:
        """Generate: Gibbs sampling in the top RBM from random states, then a sampled down-pass to the data layer.

        Introduced in notebook 08 (samples from the top).
        """
        check_positive_int(n_samples, "n_samples")
        generator = torch.Generator(device=self.layers[0].device).manual_seed(seed) if seed is not None else None
        top = self.layers[-1]
        start = top.visible.sample(torch.zeros(n_samples, top.visible.size, device=top.device, dtype=top.dtype), 1.0, generator)
        values, _ = top.gibbs_chain(start, steps, generator=generator)
        if len(self.layers) == 1:
            return top.visible.unflatten(top.visible.mean(top.visible_field(bernoulli(top.hidden.mean(top.hidden_field(values)), generator))))
        return self.down(values, sample=True, generator=generator)

    def to_sequential(self) -> nn.Sequential:
        """The up-pass as a ``torch.nn.Sequential`` of ``Linear`` + ``Sigmoid`` layers, initialised from the stack.

        ``net(v)`` equals ``up(v)[-1]``; train it further with autograd and
        ``torch.optim`` (add a classifier on top). Introduced in notebook 08 (fine-tuning).
        """
        modules: list[nn.Module] = []
        for layer in self.layers:
            linear = nn.Linear(layer.visible.size, layer.n_hidden, device=layer.device, dtype=layer.dtype)
            with torch.no_grad():
                linear.weight.copy_(layer.coupling().T)
                linear.bias.copy_(layer.hidden_bias)
            modules += [linear, nn.Sigmoid()]
        return nn.Sequential(*modules)

    # ------------------------------------------------------------------ saving
    def save(self, path: str | Path) -> Path:
        """Save every layer to one file, atomically. Introduced in notebook 08."""
        state = {"format": _FORMAT, "layers": [checkpoints.model_state(layer) for layer in self.layers]}
        return checkpoints.write_atomically(state, path, "the network")

    @classmethod
    def load(cls, path: str | Path, *, device: str | torch.device | None = None) -> "DeepBeliefNetwork":
        """Load a network saved with ``save``, checking each layer. Introduced in notebook 08."""
        state = checkpoints.read_checkpoint(path, cls.__name__)
        if state.get("format") != _FORMAT or not isinstance(state.get("layers"), list) or not state["layers"]:
            raise ValueError(f"{path} is not a file written by {cls.__name__}.save (no '{_FORMAT}' marker with layers).")
        return cls.from_layers(checkpoints.model_from_state(RBM, layer, Path(path), device=device) for layer in state["layers"])


def train_greedy(
    network: DeepBeliefNetwork,
    data: torch.Tensor,
    *,
    seed: int = 0,
    layers: Iterable[int] | None = None,
    **settings: Any,
) -> list[pd.DataFrame]:
    """Train the layers one after the other, each on samples of the hidden units of the trained layer below.

    ``settings`` go to ``rbm_helpers.train`` for every layer (``epochs``,
    ``learning_rate``, ``k``, ...); ``layers`` picks which to train (default
    all, bottom up; the ones below are only used to make the data).
    Returns one history per trained layer. Introduced in notebook 08.
    """
    wanted = set(range(len(network.layers)) if layers is None else layers)
    generator = torch.Generator().manual_seed(seed)
    values = data
    histories = []
    for index, layer in enumerate(network.layers):
        if index in wanted:
            histories.append(train(layer, values, seed=seed + index, progress=settings.pop("progress", False), **settings))
        if index + 1 < len(network.layers):
            with torch.no_grad():
                encoded, _ = layer.encode(values, allow_missing=False)
                values = bernoulli(layer.hidden.mean(layer.hidden_field(encoded)), generator.manual_seed(seed + 100 + index))
    return histories


def variational_bound(network: DeepBeliefNetwork, v: torch.Tensor) -> torch.Tensor:
    """The exact variational lower bound on log p(v) of a two-layer stack, one value per row of ``v``.

    bound(v) = sum_h1 q(h1 | v) [log p_2(h1) + log p_1(v | h1) - log q(h1 | v)],
    q = the first layer's p(h1 | v), p_2 = the second RBM's marginal over its
    visible units (h1), p_1(v | h1) = the first layer's conditional. Every h1
    is enumerated, so the first hidden layer must be tiny (<= 20 units).
    With the second layer the transpose of the first, the bound equals the
    first RBM's log p(v). Introduced in notebook 08 (why stacking helps).
    """
    if len(network.layers) != 2:
        raise ValueError(f"variational_bound is for a stack of exactly two RBMs; this one has {len(network.layers)}.")
    first, second = network.layers
    values, _ = first.encode(v, allow_missing=False)
    with torch.no_grad():
        states, prior = exact.visible_distribution(second)  # every h1 and p_2(h1)
        q_on = first.hidden.mean(first.hidden_field(values))  # (rows, n_h1)
        log_q = states @ torch.log(q_on).T + (1 - states) @ torch.log1p(-q_on).T  # (states, rows)
        field = first.visible_field(states)  # (states, size): log p_1(v | h1) for each h1
        log_likelihood = (
            values @ field.T - first.visible.log_partition(field).unsqueeze(0) - first.visible.base_energy(values).unsqueeze(1)
        )  # (rows, states)
        log_p = torch.log(prior).unsqueeze(1) + log_likelihood.T - log_q  # (states, rows)
        return (torch.exp(log_q) * log_p).sum(0)
