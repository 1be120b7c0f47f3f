"""Binary units: each unit is 0 or 1, and -1 marks a missing one (an unrated movie).

Given the total input x_i (bias plus the other layer's weighted sum), a unit
is on with probability sigmoid(beta x_i); the layer's log-partition is
sum_i softplus(beta x_i). Missing units are absent from that row's RBM (the
convention of Salakhutdinov, Mnih & Hinton, 2007): they send nothing to the
other layer and are never sampled, scored or trained.
Introduced in notebook 01 (the energy model); missing units in notebook 02.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ..validation import MISSING, check_units
from .base import MAX_ENUMERATED_STATES, Units, enumeration_limit_error


def bernoulli(p: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """A 0/1 sample of the same shape as ``p``, each entry 1 with probability ``p``.

    Drawn as ``uniform < p``: several times faster on the CPU than
    ``torch.bernoulli``, which the seed article uses.
    Introduced in notebook 02 (building the RBM).
    """
    return torch.rand(p.shape, generator=generator, device=p.device, dtype=p.dtype).lt_(p)


def all_states(n_units: int, *, dtype: torch.dtype = torch.float32, device: torch.device | str = "cpu") -> torch.Tensor:
    """Every 0/1 state of ``n_units`` units, shape (2**n_units, n_units).

    Row ``i`` holds the binary digits of ``i``, first unit most significant,
    so that the rows read 000, 001, 010, ... Introduced in notebook 01.
    """
    if isinstance(n_units, bool) or not isinstance(n_units, int) or n_units < 0:
        raise ValueError(f"n_units must be an integer >= 0; got {n_units!r}.")
    if 2**n_units > MAX_ENUMERATED_STATES:
        raise enumeration_limit_error(f"{n_units} binary units", 2**n_units)
    index = torch.arange(2**n_units, device=device)
    powers = 2 ** torch.arange(n_units - 1, -1, -1, device=device)
    return ((index.unsqueeze(1) // powers) % 2).to(dtype)


def split_missing(v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Split ``v`` into values with missing units (-1) set to 0, and the observed mask.

    The mask is ``None`` when nothing is missing, so the common case costs nothing.
    Introduced in notebook 02 (why -1 must not leak into p(h|v)).
    """
    observed = v != MISSING
    if bool(observed.all()):
        return v, None
    return v * observed, observed.to(v.dtype)


def join_missing(v: torch.Tensor, observed: torch.Tensor | None) -> torch.Tensor:
    """Put -1 back where a unit is missing (the inverse of ``split_missing``).

    Introduced in notebook 02 (building the RBM).
    """
    if observed is None:
        return v
    return torch.where(observed.bool(), v, torch.full_like(v, MISSING))


class Bernoulli(Units):
    """``n`` binary units (0/1; -1 = missing where a function allows it).

    ``RBM(6, 4)`` is ``RBM(Bernoulli(6), 4)``. Introduced in notebook 01.
    """

    missing_allowed = True

    @property
    def n_states(self) -> float:
        return 2**self.n

    def check(self, x: object, name: str, *, allow_missing: bool = True) -> torch.Tensor:
        return check_units(x, name, self.n, allow_missing=allow_missing, layer="visible")  # type: ignore[arg-type]

    def encode(self, x: torch.Tensor, dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor | None]:
        return split_missing(x.to(dtype))

    def decode(self, values: torch.Tensor, observed: torch.Tensor | None) -> torch.Tensor:
        return join_missing(values, observed)

    def log_partition(self, x: torch.Tensor, beta: float = 1.0) -> torch.Tensor:
        return F.softplus(x if beta == 1.0 else beta * x).sum(-1)

    def mean(self, x: torch.Tensor, beta: float = 1.0) -> torch.Tensor:
        return torch.sigmoid(x if beta == 1.0 else beta * x)

    def sample(self, x: torch.Tensor, beta: float = 1.0, generator: torch.Generator | None = None) -> torch.Tensor:
        return bernoulli(self.mean(x, beta), generator)

    def states(self, *, dtype: torch.dtype = torch.float32, device: torch.device | str = "cpu") -> torch.Tensor:
        return all_states(self.n, dtype=dtype, device=device)

    def initial_bias(self, values: torch.Tensor, observed: torch.Tensor | None, *, eps: float = 1e-3) -> torch.Tensor:
        """log(p_i / (1 - p_i)) with p_i the add-half-smoothed fraction of 1s among observed v_i.

        Hinton's practical guide: with this start the hidden units need not
        learn each unit's base rate first. Introduced in notebook 03.
        """
        counts = observed.sum(0) if observed is not None else torch.full_like(values[0], values.shape[0])
        p = ((values.sum(0) + 0.5) / (counts + 1.0)).clamp(eps, 1 - eps)
        return torch.log(p) - torch.log1p(-p)
