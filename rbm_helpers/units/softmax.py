"""Softmax units: each unit takes one of K categories (a rating), and -1 marks a missing one.

Encoded, a unit is a one-hot block of K columns. Given the total input
x_ik, p(v_i = k) = softmax_k(beta x_ik), and the layer's log-partition is
sum_i logsumexp_k(beta x_ik). With K = 2 a softmax unit is a binary unit plus
a constant: the categories 0/1 with the bias difference as the binary bias.
Introduced in notebook 06 (Softmax units).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ..validation import MISSING, check_categories, check_positive_int
from .base import MAX_ENUMERATED_STATES, Units, enumeration_limit_error


def all_categories(n_items: int, n_categories: int, *, device: torch.device | str = "cpu") -> torch.Tensor:
    """Every assignment of categories 0..K-1 to ``n_items`` units, shape (K**n_items, n_items).

    Row ``i`` holds the base-K digits of ``i``, first unit most significant
    (00, 01, 02, 10, ... for K = 3). Introduced in notebook 06.
    """
    if n_categories**n_items > MAX_ENUMERATED_STATES:
        raise enumeration_limit_error(f"{n_items} softmax units of {n_categories} categories", n_categories**n_items)
    index = torch.arange(n_categories**n_items, device=device)
    powers = n_categories ** torch.arange(n_items - 1, -1, -1, device=device)
    return (index.unsqueeze(1) // powers) % n_categories


class Softmax(Units):
    """``n`` K-way softmax units: values are categories 0..K-1 per unit (-1 = missing).

    Introduced in notebook 06 (Softmax units).
    """

    missing_allowed = True

    def __init__(self, n: int, n_categories: int) -> None:
        super().__init__(n)
        self.n_categories = check_positive_int(n_categories, "n_categories", minimum=2)
        self.width = self.n_categories

    def __repr__(self) -> str:
        return f"Softmax({self.n}, {self.n_categories})"

    def spec(self) -> dict:
        return {"n": self.n, "n_categories": self.n_categories}

    @property
    def bias_shape(self) -> tuple[int, ...]:
        return (self.n, self.n_categories)

    @property
    def n_states(self) -> float:
        return self.n_categories**self.n

    def check(self, x: object, name: str, *, allow_missing: bool = True) -> torch.Tensor:
        return check_categories(x, name, self.n, self.n_categories, allow_missing=allow_missing)  # type: ignore[arg-type]

    def one_hot(self, categories: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
        """Categories (batch, n) as flat one-hot rows (batch, n * K), all-zero blocks where -1."""
        observed = (categories != MISSING).unsqueeze(-1)
        one_hot = F.one_hot(categories.clamp_min(0), self.n_categories).to(dtype) * observed
        return one_hot.view(categories.shape[0], -1)

    def encode(self, x: torch.Tensor, dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor | None]:
        values = self.one_hot(x, dtype)
        observed = x != MISSING
        if bool(observed.all()):
            return values, None
        mask = observed.unsqueeze(-1).expand(-1, -1, self.n_categories)
        return values, mask.reshape(x.shape[0], -1).to(dtype)

    def decode(self, values: torch.Tensor, observed: torch.Tensor | None) -> torch.Tensor:
        categories = self.unit_values(values)
        if observed is None:
            return categories
        return torch.where(self.observed_units(observed), categories, torch.full_like(categories, int(MISSING)))

    def _blocks(self, x: torch.Tensor) -> torch.Tensor:
        return x.reshape(*x.shape[:-1], -1, self.n_categories)

    def log_partition(self, x: torch.Tensor, beta: float = 1.0) -> torch.Tensor:
        return torch.logsumexp(self._blocks(beta * x), -1).sum(-1)

    def mean(self, x: torch.Tensor, beta: float = 1.0) -> torch.Tensor:
        return torch.softmax(self._blocks(beta * x), -1).reshape(x.shape)

    def sample(self, x: torch.Tensor, beta: float = 1.0, generator: torch.Generator | None = None) -> torch.Tensor:
        """One-hot samples, by inverting each unit's cumulative distribution with one uniform number."""
        p = self._blocks(self.mean(x, beta))
        uniform = torch.rand(p.shape[:-1] + (1,), generator=generator, device=p.device, dtype=p.dtype)
        category = (p.cumsum(-1) < uniform).sum(-1, keepdim=True).clamp_max_(self.n_categories - 1)
        return torch.zeros_like(p).scatter_(-1, category, 1.0).reshape(x.shape)

    def states(self, *, dtype: torch.dtype = torch.float32, device: torch.device | str = "cpu") -> torch.Tensor:
        return self.one_hot(all_categories(self.n, self.n_categories, device=device), dtype)

    def unflatten(self, mean: torch.Tensor) -> torch.Tensor:
        """Means as (..., n, K): each unit's distribution over its categories."""
        return self._blocks(mean)

    def expected_value(self, mean: torch.Tensor) -> torch.Tensor:
        """sum_k k p_k per unit (for K = 5 add 1 to get stars)."""
        categories = torch.arange(self.n_categories, device=mean.device, dtype=mean.dtype)
        return self._blocks(mean) @ categories

    def unit_values(self, values: torch.Tensor) -> torch.Tensor:
        return self._blocks(values).argmax(-1)

    def initial_bias(self, values: torch.Tensor, observed: torch.Tensor | None) -> torch.Tensor:
        """log p_ik, with p_ik = (count_ik + 1/2) / (count_i + K/2): a never-rated unit starts uniform.

        For K = 2 the difference of the two is the binary unit's initial bias.
        """
        counts = values.sum(0).view(self.n, self.n_categories)
        return torch.log((counts + 0.5) / (counts.sum(-1, keepdim=True) + 0.5 * self.n_categories))
