"""Unit layers: the kinds of units an RBM's visible layer can have.

``Bernoulli`` (0/1), ``Softmax`` (one of K categories) and ``Gaussian``
(real values) share one interface, ``Units`` (see ``units.base``); the one
``RBM`` and every algorithm of the package are written against it.
Introduced in notebook 02 (building the RBM); softmax units in notebook 06,
Gaussian units in notebook 07.
"""
from .base import MAX_ENUMERATED_STATES, Units, check_beta
from .bernoulli import Bernoulli, all_states, bernoulli, join_missing, split_missing
from .gaussian import Gaussian
from .softmax import Softmax, all_categories

UNIT_TYPES = {"Bernoulli": Bernoulli, "Softmax": Softmax, "Gaussian": Gaussian}
"""Every unit type by name (for loading saved models)."""


def units_from_spec(kind: str, spec: dict) -> Units:
    """Rebuild a unit layer from its type name and ``Units.spec()``. Introduced in notebook 03 (saving)."""
    if kind not in UNIT_TYPES:
        raise ValueError(f"unknown unit type {kind!r}; expected one of {sorted(UNIT_TYPES)}.")
    return UNIT_TYPES[kind](**spec)


__all__ = [
    "Bernoulli",
    "Gaussian",
    "MAX_ENUMERATED_STATES",
    "Softmax",
    "UNIT_TYPES",
    "Units",
    "all_categories",
    "all_states",
    "bernoulli",
    "check_beta",
    "join_missing",
    "split_missing",
    "units_from_spec",
]
