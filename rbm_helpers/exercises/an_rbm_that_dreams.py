"""Checkers for the exercises of notebook 07 (an RBM that dreams): an AIS step, the anomaly score, a tempering swap.

Introduced in notebook 07.
"""
from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F

from ..samplers import swap_log_acceptance
from .checking import (
    DTYPE,
    correct,
    example_rbm,
    function_name,
    mismatch,
    parameters,
    returned_tensor,
    wrong,
)

__all__ = ["check_ais_step", "check_anomaly_score", "check_swap_acceptance"]


def _rows(n_rows: int, n_visible: int, seed: int) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return (torch.rand(n_rows, n_visible, generator=generator, dtype=DTYPE) < 0.4).to(DTYPE)


# ---------------------------------------------------------------------------- 1. one AIS step
AIS_HINT = (
    "log f_k(v) = v . ((1 - b_k) base_bias + b_k visible_bias) + sum_j softplus(b_k (hidden_bias_j + (v W)_j)); "
    "the step adds log f_k(v) - log f_{k-1}(v), one number per row."
)


def _ais_case():
    rbm = example_rbm(6, 4, seed=11)
    v = _rows(9, 6, 11)
    base_bias = torch.linspace(-1.0, 0.5, 6, dtype=DTYPE)
    return rbm, v, base_bias, 0.3, 0.45


def _log_f(v, weight, visible_bias, hidden_bias, base_bias, beta):
    return v @ ((1 - beta) * base_bias + beta * visible_bias) + F.softplus(beta * (v @ weight + hidden_bias)).sum(-1)


def check_ais_step(ais_step_fn: Callable) -> bool:
    """Check ``ais_step(v, weight, visible_bias, hidden_bias, base_bias, beta_previous, beta)``: the log-weight change.

    One value per row: log f_beta(v) - log f_beta_previous(v) for the
    intermediate distributions of ``rbm_helpers.ais``. Introduced in notebook 07.
    """
    rbm, v, base_bias, previous, beta = _ais_case()
    weight, visible_bias, hidden_bias = parameters(rbm)
    args = (v, weight, visible_bias, hidden_bias, base_bias, previous, beta)
    result = returned_tensor(ais_step_fn, args, AIS_HINT, shape=(v.shape[0],),
                             shape_hint="Return one number per row of v: each chain's own change of log-weight.")
    if result is None:
        return False
    expected = _log_f(v, weight, visible_bias, hidden_bias, base_bias, beta) - _log_f(v, weight, visible_bias, hidden_bias, base_bias, previous)
    hidden_only = F.softplus(beta * (v @ weight + hidden_bias)).sum(-1) - F.softplus(previous * (v @ weight + hidden_bias)).sum(-1)
    mistakes = [
        (-expected, "the sign is flipped: the new distribution's log f minus the old one's.", "log f_k(v) - log f_(k-1)(v)."),
        (_log_f(v, weight, visible_bias, hidden_bias, base_bias, beta), "this is log f_k(v), not the change.",
         "Subtract log f_(k-1)(v), the previous distribution's value at the same v."),
        (hidden_only, "the visible-bias term is missing.",
         "The bias moves from base_bias to visible_bias too: add (b_k - b_(k-1)) v . (visible_bias - base_bias)."),
        ((beta - previous) * (v @ (visible_bias - base_bias) + F.softplus(v @ weight + hidden_bias).sum(-1)),
         "beta multiplies the softplus, not its argument.", "Write softplus(b_k * (hidden_bias + v W)), at both betas."),
    ]
    problem = mismatch(result, expected, mistakes, AIS_HINT, differ="the change differs from the right one by up to {:.3g}.")
    if problem:
        return wrong(*problem)
    return correct(f"{function_name(ais_step_fn)} moves each chain's log-weight by log f_k - log f_k-1 "
                   f"(from beta {previous} to {beta}: {result.mean().item():.4f} on average).")


# ---------------------------------------------------------------------------- 2. the anomaly score
ANOMALY_HINT = (
    "The score is the free energy F(v) = -v . visible_bias - sum_j softplus(hidden_bias_j + (v W)_j): high means "
    "the model finds v unlikely."
)


def check_anomaly_score(anomaly_score_fn: Callable) -> bool:
    """Check ``anomaly_score(v, weight, visible_bias, hidden_bias)``: the free energy of each row (higher = stranger).

    Introduced in notebook 07 (anomaly detection).
    """
    rbm = example_rbm(7, 3, seed=12)
    v = _rows(10, 7, 12)
    weight, visible_bias, hidden_bias = parameters(rbm)
    result = returned_tensor(anomaly_score_fn, (v, weight, visible_bias, hidden_bias), ANOMALY_HINT, shape=(10,),
                             shape_hint="Return one score per row of v.")
    if result is None:
        return False
    expected = rbm.free_energy(v)
    field = v @ weight + hidden_bias
    mistakes = [
        (-expected, "the sign is flipped: that is -F(v), which is high for typical images.",
         "Anomalies are the *unlikely* rows: return F(v), large when p(v) is small."),
        (-F.softplus(field).sum(-1), "the visible-bias term -v . visible_bias is missing.", ANOMALY_HINT),
        (-v @ visible_bias - torch.sigmoid(field).sum(-1), "sigmoid in place of softplus.",
         "Summing out h_j gives log(1 + e^x) = softplus(x), not the probability sigmoid(x)."),
    ]
    problem = mismatch(result, expected, mistakes, ANOMALY_HINT, differ="the scores differ from the free energy by up to {:.3g}.")
    if problem:
        return wrong(*problem)
    return correct(f"{function_name(anomaly_score_fn)} is the free energy: the rarer the image under the model, the higher.")


# ---------------------------------------------------------------------------- 3. a tempering swap
SWAP_HINT = (
    "The Metropolis probability is min(1, exp(F_b1(v1) + F_b2(v2) - F_b1(v2) - F_b2(v1))), with "
    "F_b(v) = rbm.free_energy(v, beta=b)."
)


def check_swap_acceptance(swap_acceptance_fn: Callable) -> bool:
    """Check ``swap_acceptance(rbm, v1, v2, beta1, beta2)``: the probability of accepting each row's swap.

    Compared with ``exp(samplers.swap_log_acceptance)``. Introduced in notebook 07 (parallel tempering).
    """
    rbm = example_rbm(6, 4, seed=13, scale=1.5)
    v1, v2 = _rows(12, 6, 13), _rows(12, 6, 14)
    beta1, beta2 = 1.0, 0.4
    result = returned_tensor(swap_acceptance_fn, (rbm, v1, v2, beta1, beta2), SWAP_HINT, shape=(12,),
                             shape_hint="Return one probability per pair of rows.")
    if result is None:
        return False
    log_accept = swap_log_acceptance(rbm, v1, v2, beta1, beta2)
    expected = log_accept.exp()
    with torch.no_grad():
        raw = (rbm.free_energy(v1, beta=beta1) + rbm.free_energy(v2, beta=beta2)
               - rbm.free_energy(v2, beta=beta1) - rbm.free_energy(v1, beta=beta2))
    mistakes = [
        (log_accept, "this is the log of the probability.", "Take exp of it."),
        (raw.exp(), "some values are above 1: the min(1, ...) is missing.", "A probability is at most 1: clamp with min(1, .)."),
        ((-raw).clamp(max=0).exp(), "the sign inside the exponential is flipped.",
         "Accept easily when the swap lowers the total free energy: exp(stay - swapped), stay = F_b1(v1) + F_b2(v2)."),
    ]
    problem = mismatch(result, expected, mistakes, SWAP_HINT, differ="the probabilities differ by up to {:.3g}.")
    if problem:
        return wrong(*problem)
    return correct(f"{function_name(swap_acceptance_fn)} gives the Metropolis probability of each swap "
                   f"(mean {result.mean().item():.3f} between beta {beta1} and {beta2}).")
