"""Checkers for the exercises of notebook 01 (the energy model): energy, free energy, log Z.

Each is compared with ``rbm_helpers`` on every state of a tiny seeded RBM,
where exact enumeration is cheap. Introduced in notebook 01.
"""
from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F

from .. import exact
from ..model import RBM
from .checking import (
    DTYPE,
    as_tensor,
    call,
    close,
    correct,
    diagnose,
    mismatch,
    example_rbm,
    function_name,
    parameters,
    raised,
    returned_tensor,
    shape_problem,
    wrong,
)

__all__ = ["check_energy", "check_free_energy", "check_log_partition"]


def joint_states(rbm: RBM) -> tuple[torch.Tensor, torch.Tensor]:
    """Every (v, h) pair of ``rbm`` as two aligned float64 batches of 2**(n_visible + n_hidden) rows.

    Introduced in notebook 01 (its exercises).
    """
    v = exact.all_states(rbm.n_visible, dtype=DTYPE)
    h = exact.all_states(rbm.n_hidden, dtype=DTYPE)
    return v.repeat_interleave(len(h), 0), h.repeat(len(v), 1)


ENERGY_HINT = (
    "E(v, h) = -v.visible_bias - h.hidden_bias - v^T weight h, one number per row. "
    "v @ visible_bias already gives one number per row; for the last term, multiply v @ weight "
    "by h entry by entry and sum each row."
)


def check_energy(energy: Callable) -> bool:
    """Check ``energy(v, h, weight, visible_bias, hidden_bias)``: E(v, h) for each row of v and h.

    Compared with ``RBM.energy`` on every joint state of a 4 x 3 RBM.
    Introduced in notebook 01 (the energy of a joint state).
    """
    rbm = example_rbm()
    weight, visible_bias, hidden_bias = parameters(rbm)
    v, h = joint_states(rbm)
    expected = rbm.energy(v, h).detach()
    result = returned_tensor(energy, (v, h, weight, visible_bias, hidden_bias), ENERGY_HINT, on_error=raised)
    if result is None:
        return False
    if result.numel() == 1 and len(v) > 1:
        return wrong("you returned one number for a batch of rows.",
                     "Give one energy per row: sum over units with .sum(-1), not over the whole batch.")
    problem = shape_problem(result, expected.shape, "the result")
    if problem:
        return wrong(problem, "One energy per row: a tensor of shape (batch,). " + ENERGY_HINT)
    visible_term, hidden_term = v @ visible_bias, h @ hidden_bias
    interaction = ((v @ weight) * h).sum(-1)
    problem = mismatch(result, expected, [
        (-expected, "every sign is flipped: you returned -E(v, h).",
         "The energy has a minus sign in front of each term, so that likely states have LOW energy."),
        (expected + visible_term, "the visible-bias term is missing.", "Add -v . visible_bias (v @ visible_bias)."),
        (expected + hidden_term, "the hidden-bias term is missing.", "Add -h . hidden_bias (h @ hidden_bias)."),
        (expected + interaction, "the interaction term -v^T weight h is missing.",
         "Add -((v @ weight) * h).sum(-1): each row's v^T W h."),
        (expected + 2 * interaction, "the interaction term has the wrong sign.",
         "It is MINUS v^T weight h: a positive weight makes (v_i = 1, h_j = 1) less costly."),
    ], ENERGY_HINT, differ="the energies differ from rbm_helpers' (largest difference {:.3g}).")
    if problem:
        return wrong(*problem)
    return correct(f"{function_name(energy)} matches RBM.energy on all {len(v)} joint states of a 4 x 3 RBM.")


FREE_ENERGY_HINT = (
    "Sum out each hidden unit: F(v) = -v.visible_bias - sum_j softplus(hidden_bias_j + (v @ weight)_j); "
    "torch.nn.functional.softplus(x) is log(1 + exp(x)), computed safely."
)


def check_free_energy(free_energy: Callable) -> bool:
    """Check ``free_energy(v, weight, visible_bias, hidden_bias)``: F(v) for each row of ``v``.

    Compared with ``RBM.free_energy`` on every visible state of a 4 x 3 RBM,
    then on one with large weights, where log(1 + exp(x)) overflows and
    softplus does not. Introduced in notebook 01 (free energy).
    """
    rbm = example_rbm()
    weight, visible_bias, hidden_bias = parameters(rbm)
    v = exact.all_states(rbm.n_visible, dtype=DTYPE)
    expected = rbm.free_energy(v).detach()
    result = returned_tensor(free_energy, (v, weight, visible_bias, hidden_bias), FREE_ENERGY_HINT, on_error=raised,
                             shape=expected.shape, shape_hint="One free energy per row of v: shape (batch,). " + FREE_ENERGY_HINT)
    if result is None:
        return False
    pre_activation = v @ weight + hidden_bias
    problem = mismatch(result, expected, [
        (-expected, "the sign is flipped: you returned -F(v).",
         "F(v) = -log sum_h exp(-E(v, h)): low free energy means likely."),
        (expected + v @ visible_bias, "the visible-bias term -v.visible_bias is missing.",
         "The visible bias does not depend on h, so it comes out of the sum over h unchanged."),
        (-(v @ visible_bias) - F.softplus(v @ weight).sum(-1), "the hidden bias is missing inside softplus.",
         "Each hidden unit j contributes softplus(hidden_bias_j + (v @ weight)_j)."),
        (-(v @ visible_bias) - F.softplus(pre_activation).mean(-1), "you averaged over the hidden units.",
         "Summing out independent hidden units multiplies their factors: SUM the softplus terms."),
        (-(v @ visible_bias) - torch.sigmoid(pre_activation).sum(-1), "you used sigmoid where softplus belongs.",
         "sum_{h_j in {0,1}} exp(h_j x_j) = 1 + exp(x_j), and log(1 + exp(x)) is softplus, not sigmoid."),
    ], FREE_ENERGY_HINT, differ="the free energies differ from rbm_helpers' (largest difference {:.3g}).")
    if problem:
        return wrong(*problem)
    big = example_rbm(scale=300.0)
    big_expected = big.free_energy(v).detach()
    returned, error = call(free_energy, v, *parameters(big))
    big_result, problem = as_tensor(returned, "the result") if not error else (None, error)
    if problem or not close(big_result, big_expected):
        what = problem or ("it returns inf or nan" if not torch.isfinite(big_result).all() else "the values differ")
        return wrong(f"right for moderate weights, but not for large ones: {what}.",
                     "log(1 + exp(x)) overflows once exp(x) does (x > 709 in float64); "
                     "torch.nn.functional.softplus(x) computes the same thing safely.")
    return correct(f"{function_name(free_energy)} matches RBM.free_energy on all 16 visible states, "
                   "with moderate and with large weights.")


LOG_PARTITION_HINT = (
    "log Z = log sum_v exp(-F(v)): enumerate every visible state with "
    "rbm_helpers.exact.all_states(n_visible, dtype=weight.dtype), compute F, then torch.logsumexp(-F, 0)."
)


def check_log_partition(log_partition: Callable) -> bool:
    """Check ``log_partition(weight, visible_bias, hidden_bias)``: log Z by enumeration.

    Compared with ``exact.log_partition`` for RBMs of several shapes, then
    with large weights, where Z itself overflows but log Z does not.
    Introduced in notebook 01 (the partition function).
    """
    for n_visible, n_hidden, seed in ((4, 3, 0), (3, 5, 1), (6, 2, 2)):
        rbm = example_rbm(n_visible, n_hidden, seed=seed)
        rbm_parameters = parameters(rbm)
        expected = exact.log_partition(rbm).detach()
        returned, error = call(log_partition, *rbm_parameters)
        if error:
            return raised(f"{error} (for a {n_visible} x {n_hidden} RBM)", LOG_PARTITION_HINT)
        result, problem = as_tensor(returned, "the result")
        if problem:
            return wrong(problem, LOG_PARTITION_HINT)
        if result.numel() != 1:
            return wrong(f"the result has shape {tuple(result.shape)}; expected one number.",
                         "Z sums over ALL states: reduce over the batch, e.g. torch.logsumexp(-F, 0).")
        result = result.reshape(())
        visible_only = torch.logsumexp(exact.all_states(n_visible, dtype=DTYPE) @ rbm_parameters[1], 0)
        diagnosis = diagnose(result, expected, [
            (expected.exp(), "you returned Z, not log Z.", "Return its log; better, never form Z: torch.logsumexp."),
            (-expected, "the sign is flipped: you returned -log Z.", LOG_PARTITION_HINT),
            (visible_only, "you summed over v with h = 0 only.",
             "Z sums over every (v, h) pair; summing out h gives exp(-F(v)) per v."),
        ])
        if diagnosis:
            return wrong(*diagnosis)
        if not close(result, expected):
            return wrong(f"log Z differs for a {n_visible} x {n_hidden} RBM: got {result.item():.6g}, "
                         f"expected {expected.item():.6g}.", LOG_PARTITION_HINT)
    big = example_rbm(seed=3, scale=300.0)
    returned, error = call(log_partition, *parameters(big))
    big_result, problem = as_tensor(returned, "the result") if not error else (None, error)
    if problem or big_result.numel() != 1 or not close(big_result.reshape(()), exact.log_partition(big)):
        return wrong("right for moderate weights, but not for large ones (Z overflows float64).",
                     "Work with logs throughout: torch.logsumexp(-F, 0) never forms exp(-F).")
    return correct(f"{function_name(log_partition)} matches exact.log_partition for 4 x 3, 3 x 5 and 6 x 2 RBMs, "
                   "with moderate and with large weights.")
