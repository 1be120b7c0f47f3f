"""Gaussian units: real values with unit variance, for gray levels and other real-valued data.

With the energy term base(v) = v^2 / 2 per unit, E(v, h) = sum_i v_i^2 / 2
- v . visible_bias - h . hidden_bias - v^T weight h, so that given the total
input x_i = visible_bias_i + (weight h)_i a unit is normal with mean x_i and
variance 1 / beta. The layer's log-partition is an integral in closed form:
sum_i [beta x_i^2 / 2 + log(2 pi / beta) / 2]. (The usual (v - b)^2 / 2 form
differs from this by b^2 / 2, a constant that cancels in every probability.)
Data should be standardised (mean 0, standard deviation 1 per unit), as
Hinton's practical guide advises. No value is missing in a Gaussian layer.
Introduced in notebook 07 (an RBM that dreams).
"""
from __future__ import annotations

import math

import torch

from ..validation import check_batch_shape, check_dense
from .base import Units


class Gaussian(Units):
    """``n`` real-valued units with unit variance. Introduced in notebook 07."""

    def check(self, x: object, name: str, *, allow_missing: bool = True) -> torch.Tensor:
        if not isinstance(x, torch.Tensor) or not x.is_floating_point():
            given = type(x).__name__ if not isinstance(x, torch.Tensor) else f"dtype {x.dtype}"
            raise ValueError(f"{name} must be a floating-point torch.Tensor of shape (batch, {self.n}); got {given}.")
        check_dense(x, name)
        x = check_batch_shape(x, name, self.n, "one row per example, one column per visible unit")
        if not bool(torch.isfinite(x).all()):
            kind = "NaN" if bool(torch.isnan(x).any()) else "inf"
            raise ValueError(f"{name} contains {kind}; Gaussian units take finite real values and none may be missing.")
        return x

    def encode(self, x: torch.Tensor, dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor | None]:
        return x.to(dtype), None

    def decode(self, values: torch.Tensor, observed: torch.Tensor | None) -> torch.Tensor:
        return values

    def base_energy(self, values: torch.Tensor) -> torch.Tensor:
        return 0.5 * (values * values).sum(-1)

    def log_partition(self, x: torch.Tensor, beta: float = 1.0) -> torch.Tensor:
        return 0.5 * beta * (x * x).sum(-1) + 0.5 * x.shape[-1] * math.log(2 * math.pi / beta)

    def mean(self, x: torch.Tensor, beta: float = 1.0) -> torch.Tensor:
        return x

    def sample(self, x: torch.Tensor, beta: float = 1.0, generator: torch.Generator | None = None) -> torch.Tensor:
        noise = torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)
        return x + noise / math.sqrt(beta)

    def initial_bias(self, values: torch.Tensor, observed: torch.Tensor | None) -> torch.Tensor:
        """The data's mean per unit: the mean of v when the hidden units are off."""
        return values.mean(0)
