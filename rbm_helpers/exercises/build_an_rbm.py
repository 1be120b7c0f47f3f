"""Checkers for the exercises of notebook 02 (build an RBM): sample_h, a Gibbs step, the CD-k gradient.

Sampling is random, so each checker feeds thousands of copies of a few rows
and compares frequencies with exact probabilities, within a few standard
errors. Introduced in notebook 02.
"""
from __future__ import annotations

import math
from typing import Callable

import torch

from .. import exact
from ..contrastive import Gradients
from ..model import RBM
from .checking import (
    DTYPE,
    as_tensor,
    call,
    close,
    correct,
    example_rbm,
    function_name,
    mismatch,
    parameters,
    raised,
    shape_problem,
    wrong,
)

__all__ = ["check_cd_gradient", "check_gibbs_step", "check_sample_h", "expected_cd_gradient"]


SAMPLE_H_HINT = (
    "p(h_j = 1 | v) = sigmoid(hidden_bias_j + (v @ weight)_j). For the sample, draw one uniform random "
    "number per entry (torch.rand_like(p)): the unit is 1 where its number is below p. Return (p, h)."
)


def _z_scores(frequency: torch.Tensor, probability: torch.Tensor, n: int) -> torch.Tensor:
    """How many standard errors each frequency is from its probability (0 where p is 0 or 1)."""
    standard_error = torch.sqrt(probability * (1 - probability) / n)
    return torch.where(standard_error > 0, (frequency - probability).abs() / standard_error.clamp_min(1e-300),
                       (frequency - probability).abs() * math.inf)


def check_sample_h(sample_h: Callable) -> bool:
    """Check ``sample_h(v, weight, hidden_bias)``: returns (p(h = 1 | v), a 0/1 sample of h).

    The probabilities are compared with sigmoid(v @ weight + hidden_bias);
    the sample's frequencies over 4,000 copies of each visible state must lie
    within 5 standard errors of them, and pairs of hidden units must be
    sampled independently. Introduced in notebook 02 (sample_h).
    """
    rbm = example_rbm()
    weight, visible_bias, hidden_bias = parameters(rbm)
    repeats = 4_000
    states = exact.all_states(rbm.n_visible, dtype=DTYPE)
    v = states.repeat(repeats, 1)
    expected = torch.sigmoid(v @ weight + hidden_bias)
    torch.manual_seed(0)
    returned, error = call(sample_h, v, weight, hidden_bias)
    if error:
        return raised(error, SAMPLE_H_HINT)
    if not isinstance(returned, (tuple, list)) or len(returned) != 2:
        return wrong(f"{function_name(sample_h)} should return two things, (probabilities, sample); "
                     f"got {type(returned).__name__}.", SAMPLE_H_HINT)
    (p, problem_p), (h, problem_h) = (as_tensor(x, what) for x, what in zip(returned, ("p", "the sample")))
    if problem_p or problem_h:
        return wrong(problem_p or problem_h, SAMPLE_H_HINT)
    for value, what in ((p, "the probabilities"), (h, "the sample")):
        problem = shape_problem(value, expected.shape, what)
        if problem:
            return wrong(problem, "One row per row of v, one column per hidden unit: v @ weight has that shape.")
    binary = bool(((h == 0) | (h == 1)).all())
    probabilities_binary = bool(((p == 0) | (p == 1)).all())
    if probabilities_binary and not binary and close(h, expected):
        return wrong("the outputs are swapped: (sample, probabilities).", "Return (p, h): probabilities first.")
    problem = mismatch(p, expected, [
        (torch.sigmoid(v @ weight), "p ignores the hidden bias.", "p(h_j = 1 | v) = sigmoid(hidden_bias_j + (v @ weight)_j)."),
        (torch.sigmoid(-(v @ weight + hidden_bias)), "p is sigmoid of minus the input: that is p(h = 0 | v).",
         "p(h_j = 1 | v) = sigmoid(+(hidden_bias_j + (v @ weight)_j))."),
    ], SAMPLE_H_HINT, differ="the probabilities differ from sigmoid(v @ weight + hidden_bias) (largest difference {:.3g}).")
    if problem:
        return wrong(*problem)
    if not binary:
        if close(h, expected):
            return wrong("the sample is the probabilities themselves.",
                         "A sample is 0 or 1: h = (torch.rand_like(p) < p).to(p.dtype).")
        return wrong("the sample holds values other than 0 and 1.", SAMPLE_H_HINT)
    if close(h, (expected > 0.5).to(DTYPE)):
        return wrong("the sample is p rounded to 0 or 1: the same h every time.",
                     "Compare with a fresh uniform random number per entry: (torch.rand_like(p) < p).")
    frequency = h.reshape(repeats, len(states), -1).mean(0)
    z = _z_scores(frequency, expected[: len(states)], repeats)
    if z.max() > 5:
        inverted = _z_scores(frequency, 1 - expected[: len(states)], repeats).max() <= 5
        problem = ("h is 1 with probability 1 - p: the comparison is the wrong way round." if inverted else
                   f"h is 1 too often or too rarely (up to {z.max().item():.0f} standard errors from p).")
        return wrong(problem, SAMPLE_H_HINT)
    both_on = (h[:, 0] * h[:, 1]).reshape(repeats, len(states)).mean(0)
    independent = expected[: len(states), 0] * expected[: len(states), 1]
    if _z_scores(both_on, independent, repeats).max() > 5:
        return wrong("the hidden units are not sampled independently of each other.",
                     "Draw one random number per entry (torch.rand_like(p)), not one per row.")
    return correct(f"{function_name(sample_h)} gives the right p(h | v), and its samples have the right frequencies "
                   f"(16 visible states x {repeats:,} samples each).")


GIBBS_STEP_HINT = (
    "p_h = sigmoid(v.clamp(min=0) @ weight + hidden_bias), so that a -1 sends nothing; sample h from p_h; "
    "p_v = sigmoid(h @ weight.T + visible_bias) and sample v_new from p_v; then put -1 back where v had it: "
    "torch.where(v == -1, v, v_new)."
)


def _gibbs_step_means(v: torch.Tensor, weight: torch.Tensor, visible_bias: torch.Tensor,
                      hidden_bias: torch.Tensor) -> torch.Tensor:
    """E[v'] after one step v -> h -> v' from each row of ``v`` as given, exactly: a sum over every h."""
    hidden = exact.all_states(weight.shape[1], dtype=DTYPE)
    p_hidden_states = _state_table(torch.sigmoid(v @ weight + hidden_bias), hidden)  # (rows, 2**n_hidden)
    return p_hidden_states @ torch.sigmoid(hidden @ weight.T + visible_bias)


def check_gibbs_step(gibbs_step: Callable) -> bool:
    """Check ``gibbs_step(v, weight, visible_bias, hidden_bias)``: one Gibbs step v -> h -> v' with -1 for missing.

    A missing unit (-1, an unrated movie) must send nothing to the hidden
    units (the seed article lets it in, as if "anti-liked") and must still be
    -1 in v'; every other unit is resampled to 0 or 1. Four rows, 4,000 copies
    each: the frequencies of v' must lie within 5 standard errors of the
    exact ones. Introduced in notebook 02 (the -1 leak).
    """
    rbm = example_rbm(6, 3, seed=4, scale=2.0)
    weight, visible_bias, hidden_bias = parameters(rbm)
    rows = torch.tensor([[1, 1, -1, -1, 0, 1], [-1, 0, 1, -1, 1, -1], [1, 0, 1, 0, 1, 0], [-1, -1, -1, 1, 1, 1]],
                        dtype=DTYPE)
    repeats = 4_000
    v = rows.repeat(repeats, 1)
    missing = v == -1
    torch.manual_seed(0)
    returned, error = call(gibbs_step, v, weight, visible_bias, hidden_bias)
    if error:
        return raised(error, GIBBS_STEP_HINT)
    if isinstance(returned, (tuple, list)):
        return wrong("you returned several things; return only the new visible state v'.", GIBBS_STEP_HINT)
    result, problem = as_tensor(returned, "v'")
    if problem:
        return wrong(problem, GIBBS_STEP_HINT)
    problem = shape_problem(result, tuple(v.shape), "v'")
    if problem:
        return wrong(problem, "v' has one row per row of v and one column per visible unit. " + GIBBS_STEP_HINT)
    if torch.equal(result, v):
        return wrong("v' is v unchanged.", GIBBS_STEP_HINT)
    if not bool((result[missing] == -1).all()):
        return wrong("the unrated units (-1) do not stay -1 in v'.",
                     "An unrated movie is not part of that user's RBM, so it is never sampled: "
                     "torch.where(v == -1, v, v_new) puts -1 back.")
    observed = result[~missing]
    if not bool(((observed == 0) | (observed == 1)).all()):
        return wrong("v' holds values other than 0 and 1 where v was observed (probabilities, not a sample?).",
                     "Sample: (torch.rand_like(p_v) < p_v).to(p_v.dtype) is 1 with probability p_v.")
    frequency = result.reshape(repeats, len(rows), -1).mean(0)
    mask = ~missing[: len(rows)]

    def fits(means: torch.Tensor) -> bool:
        return bool((_z_scores(frequency, means, repeats)[mask] <= 5).all())

    expected = _gibbs_step_means(rows.clamp(min=0), weight, visible_bias, hidden_bias)
    if fits(expected):
        return correct(f"{function_name(gibbs_step)} keeps -1 out of p(h | v) and at -1 in v', and its samples have the "
                       f"right frequencies ({len(rows)} rows x {repeats:,} steps each).")
    p_h = torch.sigmoid(rows.clamp(min=0) @ weight + hidden_bias)
    diagnosis = None
    if fits(_gibbs_step_means(rows, weight, visible_bias, hidden_bias)):
        diagnosis = ("the -1s leak into p(h | v), as in the seed article.",
                     "A -1 times a weight pushes the hidden unit the opposite way from a like, harder than a "
                     "dislike (0), which sends nothing. Use v.clamp(min=0) in the product.")
    elif fits(torch.sigmoid(p_h @ weight.T + visible_bias)):
        diagnosis = ("v' is sampled from sigmoid(p_h @ weight.T + visible_bias): h was never sampled.",
                     "Sample h first, h = (torch.rand_like(p_h) < p_h), then compute p_v from h.")
    if diagnosis:
        return wrong(*diagnosis)
    worst = _z_scores(frequency, expected, repeats)[mask].max().item()
    return wrong(f"the frequencies of v' are off (up to {worst:.0f} standard errors from the exact ones).",
                 GIBBS_STEP_HINT)


CD_HINT = (
    "Start the chain AT the data and take k steps (sample h from p(h | v), then v from p(v | h)) to get v_k. "
    "The estimate is the data's statistics minus the chain's, averaged over rows, with hidden probabilities: "
    "v.T @ p(h | v) / n minus the same for v_k; the mean of v - v_k; the mean of p(h | v) - p(h | v_k)."
)


def _state_table(on_probabilities: torch.Tensor, states: torch.Tensor) -> torch.Tensor:
    """P[r, s]: probability of state ``states[s]`` under independent units with ``on_probabilities[r]``."""
    on = states.bool().unsqueeze(0)
    p = on_probabilities.unsqueeze(1)
    return torch.where(on, p, 1 - p).prod(-1)


def expected_cd_gradient(rbm: RBM, v: torch.Tensor, k: int) -> Gradients:
    """The expectation of the CD-k estimate from the rows ``v``, exactly, for a tiny RBM.

    One Gibbs step v -> h -> v' is a Markov chain on the visible states with
    transition matrix T = P(h | v) P(v' | h); the chains that start at the data
    rows are, after k steps, distributed as (data histogram) T^k. The
    reference of ``check_cd_gradient``; introduced in notebook 02 (the CD-k update).
    """
    weight, visible_bias, hidden_bias = parameters(rbm)
    visible = exact.all_states(rbm.n_visible, dtype=DTYPE)
    hidden = exact.all_states(rbm.n_hidden, dtype=DTYPE)
    p_h = torch.sigmoid(visible @ weight + hidden_bias)
    transition = _state_table(p_h, hidden) @ _state_table(torch.sigmoid(hidden @ weight.T + visible_bias), visible)
    index = (v @ 2.0 ** torch.arange(rbm.n_visible - 1, -1, -1, dtype=DTYPE)).long()
    start = torch.bincount(index, minlength=len(visible)).to(DTYPE) / len(v)
    after_k = start @ torch.linalg.matrix_power(transition, k)
    p_data = torch.sigmoid(v @ weight + hidden_bias)
    return Gradients(
        v.T @ p_data / len(v) - (visible * after_k[:, None]).T @ p_h,
        v.mean(0) - after_k @ visible,
        p_data.mean(0) - after_k @ p_h,
    )


def _flatten(gradients: Gradients | tuple) -> torch.Tensor:
    return torch.cat([g.reshape(-1) for g in gradients])


def check_cd_gradient(cd_gradient: Callable) -> bool:
    """Check ``cd_gradient(v, weight, visible_bias, hidden_bias, k)``: the CD-k estimate, mean over rows.

    It must return (weight gradient, visible-bias gradient, hidden-bias
    gradient), each the shape of its parameter. Each call is random, so the
    checker feeds 50,000 rows (5 data rows, 10,000 copies each) and compares
    the result with the exact expectation of CD-k (computed from the Gibbs
    chain's transition matrix) for k = 1 and k = 5, within 6 standard errors.
    Introduced in notebook 02 (the CD-k update).
    """
    rbm = example_rbm(4, 3, seed=4, scale=3.0)  # strong weights: slow mixing, so CD-1 and CD-5 differ
    rbm_parameters = parameters(rbm)
    data = torch.tensor([[1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 1, 1], [1, 0, 0, 0], [1, 1, 1, 0]], dtype=DTYPE)
    v = data.repeat(10_000, 1)
    # Per row, the data term and the model term each lie in [0, 1] (variance <= 1/4 each, independent,
    # so <= 1/2 in all, even with sampled hidden states); 6 standard errors of the mean over the rows:
    tolerance = 6 * math.sqrt(0.5 / len(v))
    shapes = [tuple(p.shape) for p in rbm_parameters]
    for k in (1, 5):
        torch.manual_seed(k)
        returned, error = call(cd_gradient, v, *rbm_parameters, k)
        if error:
            return raised(error, CD_HINT)
        if not isinstance(returned, (tuple, list)) or len(returned) != 3:
            return wrong("return three tensors: (weight gradient, visible-bias gradient, hidden-bias gradient).",
                         CD_HINT)
        result = []
        for value, what, shape in zip(returned, ("the weight gradient", "the visible-bias gradient",
                                                 "the hidden-bias gradient"), shapes):
            tensor, problem = as_tensor(value, what)
            if problem:
                return wrong(problem, CD_HINT)
            if tuple(tensor.shape) != shape and tensor.numel() == math.prod(shape) and len(shape) == 2:
                return wrong(f"{what} has shape {tuple(tensor.shape)}; expected {shape} (the weight's shape).",
                             "With weight of shape (n_visible, n_hidden), use v.T @ p_h, not p_h.T @ v.")
            problem = shape_problem(tensor, shape, what)
            if problem:
                return wrong(problem, CD_HINT)
            result.append(tensor)
        result = _flatten(result)
        expected = _flatten(expected_cd_gradient(rbm, data, k))
        if (result - expected).abs().max() <= tolerance:
            continue
        diagnosis = None
        if (result + expected).abs().max() <= tolerance:
            diagnosis = ("the sign is flipped: you returned model minus data.",
                         "The log-likelihood gradient is data statistics MINUS model statistics.")
        elif (result / len(v) - expected).abs().max() <= tolerance:
            diagnosis = ("you summed over the rows instead of averaging (as the seed article does).",
                         "Divide by the number of rows; a sum makes the step size grow with the batch size.")
        elif k > 1 and (result - _flatten(expected_cd_gradient(rbm, data, 1))).abs().max() <= tolerance:
            diagnosis = (f"with k = {k} you return what CD-1 gives: the chain takes one step whatever k is.",
                         "Loop k times: h ~ p(h | v), then v ~ p(v | h).")
        if diagnosis:
            return wrong(*diagnosis)
        return wrong(f"for k = {k}, the average of your estimate is off by up to "
                     f"{(result - expected).abs().max().item():.3f} (noise allows {tolerance:.3f}).", CD_HINT)
    return correct(f"{function_name(cd_gradient)} averages to the exact expectation of CD-1 and CD-5 "
                   f"({len(v):,} rows, within {tolerance:.3f}).")
