"""What every kind of unit layer does: the seam between a unit type and the one RBM.

A layer of units is described by a ``Units`` object: how many units it has,
how its values are written (0/1, categories, real numbers), and how, given
the *total input* ``x`` each unit receives from its bias and the other layer,
its conditional distribution looks: the mean, a sample and the log-partition
log sum_v exp(beta (v . x - base(v))). Everything else -- the energy, the free
energy, Gibbs sampling, exact enumeration, training -- is written once in
``rbm_helpers.model``, ``exact`` and ``training`` in terms of these methods.

Inside the model a batch of visible values is *encoded*: a float matrix of
shape ``(batch, size)`` with ``width`` columns per unit (1 for a 0/1 or real
unit, K for a K-way softmax unit, one-hot), zero where a unit is missing, and a
0/1 mask of the observed columns (``None`` when nothing is missing).

Adding a unit type is one new file: a subclass of ``Units`` with these
methods, and its name in the contract tests. Introduced in notebook 02
(building the RBM) and used for softmax units in notebook 06 and Gaussian
units in notebook 07.
"""
from __future__ import annotations

import math
import numbers
from abc import ABC, abstractmethod

import torch

from ..validation import check_positive_int

MAX_ENUMERATED_STATES = 2**20
"""The most states a layer may have for exact enumeration (about a million)."""


class Units(ABC):
    """A layer of ``n`` units of one type (see the module docstring).

    Subclasses set ``width`` (encoded columns per unit) and ``missing_allowed``
    and implement the abstract methods. Introduced in notebook 02.
    """

    width: int = 1
    missing_allowed: bool = False

    def __init__(self, n: int) -> None:
        self.n = check_positive_int(n, "n")

    # ------------------------------------------------------------------ shapes
    @property
    def size(self) -> int:
        """Encoded columns of the layer: ``n * width``."""
        return self.n * self.width

    @property
    def bias_shape(self) -> tuple[int, ...]:
        """Shape of the layer's bias (and of its weight without the other layer's axis)."""
        return (self.n,)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.n})"

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self.spec() == other.spec()  # type: ignore[union-attr]

    def __hash__(self) -> int:
        return hash((type(self).__name__, tuple(self.spec().items())))

    def spec(self) -> dict:
        """The constructor's arguments, for saving a model (``Units.from_spec`` reverses it)."""
        return {"n": self.n}

    @property
    def n_states(self) -> float:
        """How many joint states the layer has (``math.inf`` for real-valued units)."""
        return math.inf

    # ------------------------------------------------------------------ input
    @abstractmethod
    def check(self, x: object, name: str, *, allow_missing: bool = True) -> torch.Tensor:
        """``x`` checked as a batch of this layer's values, 2-D; ``ValueError`` naming ``name`` if not."""

    @abstractmethod
    def encode(self, x: torch.Tensor, dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Checked values as encoded rows (zero where missing) and the observed mask (``None`` if complete)."""

    @abstractmethod
    def decode(self, values: torch.Tensor, observed: torch.Tensor | None) -> torch.Tensor:
        """Encoded rows back to the layer's own values, with missing units marked again."""

    def observed_units(self, observed: torch.Tensor) -> torch.Tensor:
        """An encoded observed mask (batch, size) as one bool per unit (batch, n)."""
        return observed.reshape(observed.shape[0], self.n, self.width)[..., 0].bool()

    # ------------------------------------------------------------------ the conditional distribution
    def base_energy(self, values: torch.Tensor) -> torch.Tensor:
        """The part of the energy that depends on the layer alone, beyond the bias term (zero here)."""
        return values.new_zeros(values.shape[0])

    @abstractmethod
    def log_partition(self, x: torch.Tensor, beta: float = 1.0) -> torch.Tensor:
        """log sum_v exp(beta (v . x - base(v))) per row of total inputs ``x`` (batch, size)."""

    @abstractmethod
    def mean(self, x: torch.Tensor, beta: float = 1.0) -> torch.Tensor:
        """E[v | total input x] at inverse temperature ``beta``, encoded, same shape as ``x``."""

    @abstractmethod
    def sample(self, x: torch.Tensor, beta: float = 1.0, generator: torch.Generator | None = None) -> torch.Tensor:
        """A sample of v given the total input ``x`` (any shape whose last axis is a multiple of ``width``)."""

    def states(self, *, dtype: torch.dtype = torch.float32, device: torch.device | str = "cpu") -> torch.Tensor:
        """Every joint state of the layer, encoded, shape (n_states, size); only for discrete units."""
        raise ValueError(f"{self!r} has real-valued units: its states cannot be enumerated (integrate them instead).")

    # ------------------------------------------------------------------ readings
    def unflatten(self, mean: torch.Tensor) -> torch.Tensor:
        """Encoded means as the layer shows them to a user (the same tensor here)."""
        return mean

    def expected_value(self, mean: torch.Tensor) -> torch.Tensor:
        """The expected value of each unit from encoded means, shape (..., n)."""
        return mean

    def unit_values(self, values: torch.Tensor) -> torch.Tensor:
        """Each unit's value from encoded rows, shape (..., n) (a category for softmax units)."""
        return values

    @abstractmethod
    def initial_bias(self, values: torch.Tensor, observed: torch.Tensor | None) -> torch.Tensor:
        """A bias that makes the layer's units match the data's per-unit statistics when the other layer is off."""


def check_beta(beta: object) -> float:
    """Check an inverse temperature: a finite number > 0. Introduced in notebook 01 (temperature)."""
    if isinstance(beta, bool) or not isinstance(beta, numbers.Real) or not (0 < float(beta) < math.inf):
        raise ValueError(f"beta (the inverse temperature 1/T) must be a finite number > 0; got {beta!r}.")
    return float(beta)


def enumeration_limit_error(what: str, n_states: float) -> ValueError:
    """The error for a layer too big to enumerate exactly. Introduced in notebook 01."""
    count = "infinitely many (real-valued)" if n_states == math.inf else f"{int(n_states):,}"
    return ValueError(
        f"exact computations enumerate {what}, which has {count} states; at most "
        f"{MAX_ENUMERATED_STATES:,} are allowed. Use a smaller model, or estimates for models this large."
    )
