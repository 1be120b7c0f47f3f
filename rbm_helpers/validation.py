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
    check_dense(x, name)
    if not x.is_floating_point():
        raise ValueError(
            f"{name} must be a floating-point tensor (the model's dtype); got dtype {x.dtype}. "
            f"Use {name}.float()."
        )
    x = check_batch_shape(x, name, n_units, f"one row per example, one column per {layer} unit")
    if torch.isnan(x).any():
        raise ValueError(
            f"{name} contains NaN; mark a missing rating with -1 (MISSING), not NaN."
            if allow_missing
            else f"{name} contains NaN; {layer} units must be 0 or 1."
        )
    if torch.isinf(x).any():
        raise ValueError(f"{name} contains inf; {layer} units must be 0 or 1" + (" (or -1 for unrated)." if allow_missing else "."))
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


def check_dense(x: torch.Tensor, name: str) -> None:
    """Refuse a sparse tensor (COO, CSR, ...) with a pointer to its dense form.

    Introduced in notebook 03 (rating matrices, dense and sparse).
    """
    if x.layout != torch.strided:
        raise ValueError(
            f"{name} is a sparse tensor ({x.layout}); the model takes dense rows. Convert a batch with "
            f"{name}.to_dense(), or take rows of a sparse ratings matrix with rbm_helpers.data.dense_rows."
        )


def check_batch_shape(x: torch.Tensor, name: str, n_units: int, columns: str, hint: str = "") -> torch.Tensor:
    """``x`` as a 2-D batch of at least one row with ``n_units`` columns (one row may be given as 1-D).

    ``columns`` says what a row and a column are, for the error message.
    Introduced in notebook 02 (building the RBM).
    """
    if x.dim() == 1:
        x = x.unsqueeze(0)
    if x.dim() != 2 or x.shape[1] != n_units:
        raise ValueError(f"{name} must have shape (batch, {n_units}): {columns}; got shape {tuple(x.shape)}.{hint}")
    if x.shape[0] == 0:
        raise ValueError(f"{name} is an empty batch (shape {tuple(x.shape)}); pass at least one row.")
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


def check_categories(
    x: torch.Tensor,
    name: str,
    n_items: int,
    n_categories: int,
    *,
    allow_missing: bool = True,
) -> torch.Tensor:
    """Check that ``x`` is a batch of rating categories and return it as a 2-D integer tensor.

    ``x`` must be a tensor of shape ``(batch, n_items)`` (or one row
    ``(n_items,)``) with whole numbers 0..n_categories-1, and -1 for an
    unrated movie when ``allow_missing``; no NaN, at least one row.
    Raises ``ValueError`` naming ``name``, what was expected and what was given.
    Introduced in notebook 06 (Softmax units).
    """
    expected = f"categories 0..{n_categories - 1}" + (" (or -1 for unrated)" if allow_missing else "")
    if not isinstance(x, torch.Tensor) or x.dtype == torch.bool or x.is_complex():
        given = type(x).__name__ if not isinstance(x, torch.Tensor) else f"dtype {x.dtype}"
        raise ValueError(
            f"{name} must be a torch.Tensor of {expected}, shape (batch, {n_items}); got {given}. "
            f"Convert with torch.as_tensor({name}, dtype=torch.long)."
        )
    check_dense(x, name)
    one_hot = x.dim() == 3 and x.shape[1:] == (n_items, n_categories)
    hint = f" This looks one-hot; pass categories instead: {name}.argmax(-1), with -1 where a row is all zero." if one_hot else ""
    x = check_batch_shape(x, name, n_items, f"one row per user, one column per movie, each entry one of {expected}", hint)
    if x.is_floating_point():
        if torch.isnan(x).any():
            raise ValueError(f"{name} contains NaN; mark an unrated movie with -1 (MISSING), not NaN.")
        if not bool((x == x.round()).all()):
            raise ValueError(
                f"{name} must hold whole numbers ({expected}); got non-integer values. "
                "Did you pass probabilities? Take the most likely category with .argmax(-1)."
            )
    allowed = (x >= 0) & (x < n_categories)
    if allow_missing:
        allowed |= x == MISSING
    if not bool(allowed.all()):
        if not allow_missing and (x == MISSING).any():
            hint = " This function needs every movie rated; -1 (unrated) is not allowed here."
        elif x.max().item() >= n_categories:
            hint = f" Did you pass raw ratings? Use categories_from_ratings(ratings, n_categories={n_categories})."
        else:
            hint = ""
        raise ValueError(f"{name} must hold {expected}; got values in [{x.min().item():g}, {x.max().item():g}].{hint}")
    return x.long()


def check_hidden(h: object, name: str, n_hidden: int, *, allow_probabilities: bool = False) -> torch.Tensor:
    """Check a batch of hidden states (0/1), or of hidden probabilities in [0, 1] when ``allow_probabilities``.

    Probabilities stand in for a sample in mean-field use (``reconstruct``).
    Introduced in notebook 02 (building the RBM).
    """
    if allow_probabilities and isinstance(h, torch.Tensor) and h.is_floating_point() and h.dim() in (1, 2):
        h2 = h.unsqueeze(0) if h.dim() == 1 else h
        if h2.shape[-1] == n_hidden and h2.shape[0] > 0 and not torch.isnan(h2).any():
            if not bool(((h2 >= 0) & (h2 <= 1)).all()):
                raise ValueError(
                    f"{name} must hold hidden states or probabilities in [0, 1]; got {_describe_values(h2)}."
                )
            return h2
    return check_units(h, name, n_hidden, layer="hidden")


MEMORY_LIMIT_BYTES = 8 * 2**30
"""The most memory (8 GiB) one model, matrix or enumeration may ask for before the package refuses it.

Change it with ``rbm_helpers.validation.MEMORY_LIMIT_BYTES = ...`` on a bigger machine."""


def check_memory(what: str, n_bytes: int, *, limit: int | None = None, limit_name: str = "MEMORY_LIMIT_BYTES") -> None:
    """Refuse, before allocating, something that would need more than ``limit`` bytes (``MEMORY_LIMIT_BYTES``).

    Introduced in notebook 03 (rating matrices at scale).
    """
    limit = MEMORY_LIMIT_BYTES if limit is None else limit
    if n_bytes > limit:
        raise ValueError(
            f"{what} would need {n_bytes / 2**30:,.1f} GiB of memory, more than the limit of "
            f"{limit / 2**30:g} GiB (rbm_helpers.validation.{limit_name}). "
            "Use a smaller model, or raise the limit if this machine really has the memory."
        )


ENUMERATION_LIMIT_BYTES = 2**30
"""The most memory (1 GiB) an exact enumeration may take: exact computations are for tiny models."""
