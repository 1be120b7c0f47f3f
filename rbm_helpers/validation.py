"""Input checks at the package's boundary, with errors a learner can act on.

Every public function that takes a visible or hidden configuration calls one of
these first, so that a wrong shape, a raw rating or a NaN is reported by name
instead of surfacing as a shape error deep inside torch.
Introduced in notebook 02 (building the RBM).
"""
from __future__ import annotations

import torch

MISSING = -1.0
"""The value that marks an unrated movie (a missing visible unit), as in the seed article."""


def _describe_values(x: torch.Tensor) -> str:
    finite = x[torch.isfinite(x)]
    if finite.numel() == 0:
        return "no finite values"
    return f"values in [{finite.min().item():g}, {finite.max().item():g}]"


def check_units(
    x: torch.Tensor,
    name: str,
    n_units: int,
    *,
    allow_missing: bool = False,
    layer: str = "visible",
) -> torch.Tensor:
    """Check that ``x`` is a batch of binary unit states and return it as 2-D.

    ``x`` must be a floating-point tensor of shape ``(batch, n_units)`` (or a
    single row of shape ``(n_units,)``), hold only 0 and 1 (and -1 for a missing
    unit when ``allow_missing``), contain no NaN and have at least one row.
    Raises ``ValueError`` naming ``name``, what was expected and what was given.
    Introduced in notebook 02 (building the RBM).
    """
    if not isinstance(x, torch.Tensor):
        raise ValueError(
            f"{name} must be a torch.Tensor of shape (batch, {n_units}); got {type(x).__name__}. "
            f"Convert with torch.as_tensor({name}, dtype=torch.float32)."
        )
    if not x.is_floating_point():
        raise ValueError(
            f"{name} must be a floating-point tensor (the model's dtype); got dtype {x.dtype}. "
            f"Use {name}.float()."
        )
    if x.dim() == 1:
        x = x.unsqueeze(0)
    if x.dim() != 2 or x.shape[1] != n_units:
        raise ValueError(
            f"{name} must have shape (batch, {n_units}): one row per example, "
            f"one column per {layer} unit; got shape {tuple(x.shape)}."
        )
    if x.shape[0] == 0:
        raise ValueError(f"{name} is an empty batch (shape {tuple(x.shape)}); pass at least one row.")
    if torch.isnan(x).any():
        raise ValueError(
            f"{name} contains NaN; mark a missing rating with -1 (MISSING), not NaN."
            if allow_missing
            else f"{name} contains NaN; {layer} units must be 0 or 1."
        )
    allowed = (x == 0) | (x == 1)
    if allow_missing:
        allowed |= x == MISSING
    if not bool(allowed.all()):
        expected = "0/1 values (or -1 for unrated)" if allow_missing else "0/1 values"
        hint = ""
        if layer == "visible" and x.max().item() > 1:
            hint = " Did you pass raw ratings? Use rbm_helpers.data.ratings_matrix(..., binary=True)."
        elif layer == "visible" and (x == MISSING).any() and not allow_missing:
            hint = " This function needs every unit observed; -1 (unrated) is not allowed here."
        else:
            hint = " Did you pass probabilities? Sample them first (the second output of sample_h / sample_v)."
        raise ValueError(f"{name} must hold {expected}; got {_describe_values(x)}.{hint}")
    return x


def check_positive_int(value: object, name: str, *, minimum: int = 1) -> int:
    """Check that ``value`` is an integer of at least ``minimum`` and return it.

    Introduced in notebook 02 (building the RBM).
    """
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r}.")
    return value


def check_non_negative(value: object, name: str) -> float:
    """Check that ``value`` is a finite number >= 0 and return it as a float.

    Introduced in notebook 02 (building the RBM).
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0 or value == float("inf"):
        raise ValueError(f"{name} must be a finite number >= 0; got {value!r}.")
    return float(value)
