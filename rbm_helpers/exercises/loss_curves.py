"""Checkers for the exercises of notebook 04 (loss curves and monitoring): pseudo-log-likelihood, free-energy gap.

Introduced in notebook 04.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import torch

from ..model import RBM
from ..monitoring import pseudo_log_likelihood
from ..training import free_energy_gap
from .checking import (
    DTYPE,
    correct,
    diagnose_number,
    example_rbm,
    function_name,
    parameters,
    returned_number,
    wrong,
)

__all__ = ["check_free_energy_gap", "check_pseudo_log_likelihood"]


PLL_HINT = (
    "For each observed entry v_i of a row: flip it (d = 1 - 2 v_i), compute F(v flipped) - F(v) = "
    "-d b_i - sum_j [softplus(a_j + d W_ij) - softplus(a_j)] with a = c + v W (missing units as 0), "
    "then log p(v_i | rest) = logsigmoid(F(v flipped) - F(v)). Average over observed entries only."
)


def _pll_case() -> tuple[RBM, torch.Tensor]:
    """A seeded 6 x 3 RBM and 40 rows of 0/1 with about 30% missing (-1); row 0 all ones."""
    rbm = example_rbm(6, 3, seed=7)
    generator = torch.Generator().manual_seed(7)
    v = (torch.rand(40, 6, generator=generator, dtype=DTYPE) < 0.5).to(DTYPE)
    v[torch.rand(40, 6, generator=generator, dtype=DTYPE) < 0.3] = -1.0
    v[0] = 1.0
    return rbm, v


def check_pseudo_log_likelihood(pseudo_log_likelihood_fn: Callable) -> bool:
    """Check ``pll(v, weight, visible_bias, hidden_bias)``: mean log p(v_i | rest) over the observed entries of ``v``.

    ``v`` holds 0/1 and -1 for missing units (left out of the row's RBM).
    Compared with ``monitoring.pseudo_log_likelihood``. Introduced in notebook 04.
    """
    rbm, v = _pll_case()
    expected = pseudo_log_likelihood(rbm, v)
    value = returned_number(pseudo_log_likelihood_fn, (v, *parameters(rbm)), PLL_HINT,
                            number_hint="Return one number: the mean over every observed entry of every row.")
    if value is None:
        return False
    observed = v != -1
    n_observed = int(observed.sum())
    filled = torch.where(observed, v, torch.zeros_like(v))
    full = pseudo_log_likelihood(rbm, filled)
    candidates = [
        (expected * n_observed, "you return the sum over entries, not the mean.", "Divide by the number of observed entries."),
        (full, "the missing entries are scored as if they were 0s.", "Score only observed entries (v != -1); missing ones are not part of the row's RBM."),
        (float(np.exp(expected)), "this is a probability, not a log-probability.", "Average log p(v_i | rest), not p."),
        (-expected, "the sign is flipped.", "log-probabilities are <= 0."),
    ]
    diagnosis = diagnose_number(value, expected, candidates, tolerance=1e-6)
    if diagnosis:
        return wrong(*diagnosis)
    if abs(value - expected) > 1e-6:
        return wrong(f"got {value:.6f}; expected {expected:.6f}.", PLL_HINT)
    return correct(f"{function_name(pseudo_log_likelihood_fn)} = {value:.4f} nats per rated entry, as monitoring.pseudo_log_likelihood "
                   f"(40 rows, {n_observed} observed entries).")


GAP_HINT = (
    "The free energy of a row is F(v) = -v.b - sum_j softplus(c_j + (v W)_j), missing units counted as 0; the gap is "
    "the mean of F over the held-out rows minus the mean over the training rows."
)


def check_free_energy_gap(free_energy_gap_fn: Callable) -> bool:
    """Check ``gap(rbm, train_rows, held_out_rows)``: mean free energy of held-out rows minus that of training rows.

    Compared with ``rbm_helpers.free_energy_gap``. Introduced in notebook 04.
    """
    rbm, v = _pll_case()
    train_rows, held_rows = v[:25], v[25:]
    expected = free_energy_gap(rbm, train_rows, held_rows)
    value = returned_number(free_energy_gap_fn, (rbm, train_rows, held_rows), GAP_HINT,
                            number_hint="Return one number: a difference of two means.")
    if value is None:
        return False
    if abs(value + expected) < 1e-6 and abs(expected) > 1e-6:
        return wrong("the sign is flipped: training minus held-out.", "held-out minus training: it grows when the model overfits.")
    if abs(value - expected) > 1e-6:
        return wrong(f"got {value:.6f}; expected {expected:.6f}.", GAP_HINT)
    return correct(f"{function_name(free_energy_gap_fn)} = {value:.4f}, as rbm_helpers.free_energy_gap.")
