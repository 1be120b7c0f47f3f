"""Checkers for the notebooks' exercises: run your function, compare, explain.

Each ``check_*`` calls your function on small seeded cases, compares what it
returns with ``rbm_helpers`` (or with exact enumeration), prints "Correct" or
what is wrong with a hint, and returns ``True`` or ``False``. A checker never
raises because of your function: if it raises, the error is reported with a
hint. Every tensor handed to your function is a float64 copy, so changing it
in place does no harm.

Notebook 01 introduces ``check_energy``, ``check_free_energy`` and
``check_log_partition``; notebook 02 ``check_sample_h``,
``check_gibbs_step`` and ``check_cd_gradient``.
"""
from __future__ import annotations

import math
from typing import Callable

import torch
import torch.nn.functional as F

from . import exact
from .checking import as_tensor as _as_tensor
from .checking import call as _call
from .checking import correct as _correct
from .checking import function_name as _name
from .checking import shape_problem as _shape_problem
from .checking import wrong as _wrong
from .contrastive import Gradients
from .model import RBM

DTYPE = torch.float64
_PARAMETERS = ("weight", "visible_bias", "hidden_bias")


# ---------------------------------------------------------------------------- reporting
DTYPE_HINT = (
    "Your tensors have different dtypes. The checker passes float64 tensors, and PyTorch's @ will not mix "
    "float32 and float64: make new tensors in the inputs' dtype, e.g. exact.all_states(n, dtype=weight.dtype) "
    "or torch.zeros(..., dtype=v.dtype)."
)


def _raised(error: str, hint: str) -> bool:
    """Report an exception of the learner's function; a dtype mismatch gets its own hint."""
    lowered = error.lower()
    mismatch = "dtype" in lowered or ("float" in lowered and "double" in lowered)
    return _wrong(error, DTYPE_HINT if mismatch else hint)


def _close(a: torch.Tensor, b: torch.Tensor, tolerance: float = 1e-8) -> bool:
    return a.shape == b.shape and bool(torch.allclose(a, b, rtol=tolerance, atol=tolerance, equal_nan=False))


# ---------------------------------------------------------------------------- example models
def example_rbm(n_visible: int = 4, n_hidden: int = 3, *, seed: int = 0, scale: float = 1.0) -> RBM:
    """A seeded float64 RBM with weights and biases all drawn from N(0, scale^2).

    Nonzero biases matter: a checker on zero biases could not tell a forgotten
    bias from a correct answer. Used by every checker; introduced in notebook 01.
    """
    rbm = RBM(n_visible, n_hidden, seed=seed, dtype=DTYPE, init_std=scale)
    generator = torch.Generator().manual_seed(seed + 1_000)
    with torch.no_grad():
        rbm.visible_bias.copy_(torch.randn(n_visible, generator=generator, dtype=DTYPE) * scale)
        rbm.hidden_bias.copy_(torch.randn(n_hidden, generator=generator, dtype=DTYPE) * scale)
    return rbm


def _parameters(rbm: RBM) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    return tuple(getattr(rbm, name).detach().clone() for name in _PARAMETERS)


def _joint_states(rbm: RBM) -> tuple[torch.Tensor, torch.Tensor]:
    """Every (v, h) pair as two aligned batches of 2**(n_visible + n_hidden) rows."""
    v = exact.all_states(rbm.n_visible, dtype=DTYPE)
    h = exact.all_states(rbm.n_hidden, dtype=DTYPE)
    return v.repeat_interleave(len(h), 0), h.repeat(len(v), 1)


def _diagnose(result: torch.Tensor, mistakes: list[tuple[torch.Tensor, str, str]]) -> tuple[str, str] | None:
    """The (problem, hint) of the first known mistake whose output equals ``result``."""
    for output, problem, hint in mistakes:
        if _close(result, output):
            return problem, hint
    return None


# ---------------------------------------------------------------------------- notebook 01
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
    weight, visible_bias, hidden_bias = _parameters(rbm)
    v, h = _joint_states(rbm)
    expected = rbm.energy(v, h).detach()
    returned, error = _call(energy, v, h, weight, visible_bias, hidden_bias)
    if error:
        return _raised(error, ENERGY_HINT)
    result, problem = _as_tensor(returned, "the result")
    if problem:
        return _wrong(problem, ENERGY_HINT)
    if result.numel() == 1 and len(v) > 1:
        return _wrong("you returned one number for a batch of rows.",
                      "Give one energy per row: sum over units with .sum(-1), not over the whole batch.")
    problem = _shape_problem(result, expected.shape, "the result")
    if problem:
        return _wrong(problem, "One energy per row: a tensor of shape (batch,). " + ENERGY_HINT)
    visible_term, hidden_term = v @ visible_bias, h @ hidden_bias
    interaction = ((v @ weight) * h).sum(-1)
    diagnosis = _diagnose(result, [
        (-expected, "every sign is flipped: you returned -E(v, h).",
         "The energy has a minus sign in front of each term, so that likely states have LOW energy."),
        (expected + visible_term, "the visible-bias term is missing.", "Add -v . visible_bias (v @ visible_bias)."),
        (expected + hidden_term, "the hidden-bias term is missing.", "Add -h . hidden_bias (h @ hidden_bias)."),
        (expected + interaction, "the interaction term -v^T weight h is missing.",
         "Add -((v @ weight) * h).sum(-1): each row's v^T W h."),
        (expected + 2 * interaction, "the interaction term has the wrong sign.",
         "It is MINUS v^T weight h: a positive weight makes (v_i = 1, h_j = 1) less costly."),
    ])
    if diagnosis:
        return _wrong(*diagnosis)
    if not _close(result, expected):
        return _wrong("the energies differ from rbm_helpers' (largest difference "
                      f"{(result - expected).abs().max().item():.3g}).", ENERGY_HINT)
    return _correct(f"{_name(energy)} matches RBM.energy on all {len(v)} joint states of a 4 x 3 RBM.")


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
    weight, visible_bias, hidden_bias = _parameters(rbm)
    v = exact.all_states(rbm.n_visible, dtype=DTYPE)
    expected = rbm.free_energy(v).detach()
    returned, error = _call(free_energy, v, weight, visible_bias, hidden_bias)
    if error:
        return _raised(error, FREE_ENERGY_HINT)
    result, problem = _as_tensor(returned, "the result")
    if problem:
        return _wrong(problem, FREE_ENERGY_HINT)
    problem = _shape_problem(result, expected.shape, "the result")
    if problem:
        return _wrong(problem, "One free energy per row of v: shape (batch,). " + FREE_ENERGY_HINT)
    pre_activation = v @ weight + hidden_bias
    diagnosis = _diagnose(result, [
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
    ])
    if diagnosis:
        return _wrong(*diagnosis)
    if not _close(result, expected):
        return _wrong("the free energies differ from rbm_helpers' (largest difference "
                      f"{(result - expected).abs().max().item():.3g}).", FREE_ENERGY_HINT)
    big = example_rbm(scale=300.0)
    big_expected = big.free_energy(v).detach()
    returned, error = _call(free_energy, v, *_parameters(big))
    big_result, problem = _as_tensor(returned, "the result") if not error else (None, error)
    if problem or not _close(big_result, big_expected):
        what = problem or ("it returns inf or nan" if not torch.isfinite(big_result).all() else "the values differ")
        return _wrong(f"right for moderate weights, but not for large ones: {what}.",
                      "log(1 + exp(x)) overflows once exp(x) does (x > 709 in float64); "
                      "torch.nn.functional.softplus(x) computes the same thing safely.")
    return _correct(f"{_name(free_energy)} matches RBM.free_energy on all 16 visible states, "
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
        parameters = _parameters(rbm)
        expected = exact.log_partition(rbm).detach()
        returned, error = _call(log_partition, *parameters)
        if error:
            return _raised(f"{error} (for a {n_visible} x {n_hidden} RBM)", LOG_PARTITION_HINT)
        result, problem = _as_tensor(returned, "the result")
        if problem:
            return _wrong(problem, LOG_PARTITION_HINT)
        if result.numel() != 1:
            return _wrong(f"the result has shape {tuple(result.shape)}; expected one number.",
                          "Z sums over ALL states: reduce over the batch, e.g. torch.logsumexp(-F, 0).")
        result = result.reshape(())
        visible_only = torch.logsumexp(exact.all_states(n_visible, dtype=DTYPE) @ parameters[1], 0)
        diagnosis = _diagnose(result, [
            (expected.exp(), "you returned Z, not log Z.", "Return its log; better, never form Z: torch.logsumexp."),
            (-expected, "the sign is flipped: you returned -log Z.", LOG_PARTITION_HINT),
            (visible_only, "you summed over v with h = 0 only.",
             "Z sums over every (v, h) pair; summing out h gives exp(-F(v)) per v."),
        ])
        if diagnosis:
            return _wrong(*diagnosis)
        if not _close(result, expected):
            return _wrong(f"log Z differs for a {n_visible} x {n_hidden} RBM: got {result.item():.6g}, "
                          f"expected {expected.item():.6g}.", LOG_PARTITION_HINT)
    big = example_rbm(seed=3, scale=300.0)
    returned, error = _call(log_partition, *_parameters(big))
    big_result, problem = _as_tensor(returned, "the result") if not error else (None, error)
    if problem or big_result.numel() != 1 or not _close(big_result.reshape(()), exact.log_partition(big)):
        return _wrong("right for moderate weights, but not for large ones (Z overflows float64).",
                      "Work with logs throughout: torch.logsumexp(-F, 0) never forms exp(-F).")
    return _correct(f"{_name(log_partition)} matches exact.log_partition for 4 x 3, 3 x 5 and 6 x 2 RBMs, "
                    "with moderate and with large weights.")


# ---------------------------------------------------------------------------- notebook 02
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
    weight, visible_bias, hidden_bias = _parameters(rbm)
    repeats = 4_000
    states = exact.all_states(rbm.n_visible, dtype=DTYPE)
    v = states.repeat(repeats, 1)
    expected = torch.sigmoid(v @ weight + hidden_bias)
    torch.manual_seed(0)
    returned, error = _call(sample_h, v, weight, hidden_bias)
    if error:
        return _raised(error, SAMPLE_H_HINT)
    if not isinstance(returned, (tuple, list)) or len(returned) != 2:
        return _wrong(f"{_name(sample_h)} should return two things, (probabilities, sample); "
                      f"got {type(returned).__name__}.", SAMPLE_H_HINT)
    (p, problem_p), (h, problem_h) = (_as_tensor(x, what) for x, what in zip(returned, ("p", "the sample")))
    if problem_p or problem_h:
        return _wrong(problem_p or problem_h, SAMPLE_H_HINT)
    for value, what in ((p, "the probabilities"), (h, "the sample")):
        problem = _shape_problem(value, expected.shape, what)
        if problem:
            return _wrong(problem, "One row per row of v, one column per hidden unit: v @ weight has that shape.")
    binary = bool(((h == 0) | (h == 1)).all())
    probabilities_binary = bool(((p == 0) | (p == 1)).all())
    if probabilities_binary and not binary and _close(h, expected):
        return _wrong("the outputs are swapped: (sample, probabilities).", "Return (p, h): probabilities first.")
    diagnosis = _diagnose(p, [
        (torch.sigmoid(v @ weight), "p ignores the hidden bias.", "p(h_j = 1 | v) = sigmoid(hidden_bias_j + (v @ weight)_j)."),
        (torch.sigmoid(-(v @ weight + hidden_bias)), "p is sigmoid of minus the input: that is p(h = 0 | v).",
         "p(h_j = 1 | v) = sigmoid(+(hidden_bias_j + (v @ weight)_j))."),
    ])
    if diagnosis:
        return _wrong(*diagnosis)
    if not _close(p, expected):
        return _wrong("the probabilities differ from sigmoid(v @ weight + hidden_bias) (largest difference "
                      f"{(p - expected).abs().max().item():.3g}).", SAMPLE_H_HINT)
    if not binary:
        if _close(h, expected):
            return _wrong("the sample is the probabilities themselves.",
                          "A sample is 0 or 1: h = (torch.rand_like(p) < p).to(p.dtype).")
        return _wrong("the sample holds values other than 0 and 1.", SAMPLE_H_HINT)
    if _close(h, (expected > 0.5).to(DTYPE)):
        return _wrong("the sample is p rounded to 0 or 1: the same h every time.",
                      "Compare with a fresh uniform random number per entry: (torch.rand_like(p) < p).")
    frequency = h.reshape(repeats, len(states), -1).mean(0)
    z = _z_scores(frequency, expected[: len(states)], repeats)
    if z.max() > 5:
        inverted = _z_scores(frequency, 1 - expected[: len(states)], repeats).max() <= 5
        problem = ("h is 1 with probability 1 - p: the comparison is the wrong way round." if inverted else
                   f"h is 1 too often or too rarely (up to {z.max().item():.0f} standard errors from p).")
        return _wrong(problem, SAMPLE_H_HINT)
    both_on = (h[:, 0] * h[:, 1]).reshape(repeats, len(states)).mean(0)
    independent = expected[: len(states), 0] * expected[: len(states), 1]
    if _z_scores(both_on, independent, repeats).max() > 5:
        return _wrong("the hidden units are not sampled independently of each other.",
                      "Draw one random number per entry (torch.rand_like(p)), not one per row.")
    return _correct(f"{_name(sample_h)} gives the right p(h | v), and its samples have the right frequencies "
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
    weight, visible_bias, hidden_bias = _parameters(rbm)
    rows = torch.tensor([[1, 1, -1, -1, 0, 1], [-1, 0, 1, -1, 1, -1], [1, 0, 1, 0, 1, 0], [-1, -1, -1, 1, 1, 1]],
                        dtype=DTYPE)
    repeats = 4_000
    v = rows.repeat(repeats, 1)
    missing = v == -1
    torch.manual_seed(0)
    returned, error = _call(gibbs_step, v, weight, visible_bias, hidden_bias)
    if error:
        return _raised(error, GIBBS_STEP_HINT)
    if isinstance(returned, (tuple, list)):
        return _wrong("you returned several things; return only the new visible state v'.", GIBBS_STEP_HINT)
    result, problem = _as_tensor(returned, "v'")
    if problem:
        return _wrong(problem, GIBBS_STEP_HINT)
    problem = _shape_problem(result, tuple(v.shape), "v'")
    if problem:
        return _wrong(problem, "v' has one row per row of v and one column per visible unit. " + GIBBS_STEP_HINT)
    if torch.equal(result, v):
        return _wrong("v' is v unchanged.", GIBBS_STEP_HINT)
    if not bool((result[missing] == -1).all()):
        return _wrong("the unrated units (-1) do not stay -1 in v'.",
                      "An unrated movie is not part of that user's RBM, so it is never sampled: "
                      "torch.where(v == -1, v, v_new) puts -1 back.")
    observed = result[~missing]
    if not bool(((observed == 0) | (observed == 1)).all()):
        return _wrong("v' holds values other than 0 and 1 where v was observed (probabilities, not a sample?).",
                      "Sample: (torch.rand_like(p_v) < p_v).to(p_v.dtype) is 1 with probability p_v.")
    frequency = result.reshape(repeats, len(rows), -1).mean(0)
    mask = ~missing[: len(rows)]

    def fits(means: torch.Tensor) -> bool:
        return bool((_z_scores(frequency, means, repeats)[mask] <= 5).all())

    expected = _gibbs_step_means(rows.clamp(min=0), weight, visible_bias, hidden_bias)
    if fits(expected):
        return _correct(f"{_name(gibbs_step)} keeps -1 out of p(h | v) and at -1 in v', and its samples have the "
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
        return _wrong(*diagnosis)
    worst = _z_scores(frequency, expected, repeats)[mask].max().item()
    return _wrong(f"the frequencies of v' are off (up to {worst:.0f} standard errors from the exact ones).",
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


def _expected_cd_gradient(rbm: RBM, v: torch.Tensor, k: int) -> Gradients:
    """The expectation of the CD-k estimate, exactly, for a tiny RBM.

    One Gibbs step v -> h -> v' is a Markov chain on the visible states with
    transition matrix T = P(h | v) P(v' | h); the chains that start at the data
    rows are, after k steps, distributed as (data histogram) T^k.
    """
    weight, visible_bias, hidden_bias = _parameters(rbm)
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
    parameters = _parameters(rbm)
    data = torch.tensor([[1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 1, 1], [1, 0, 0, 0], [1, 1, 1, 0]], dtype=DTYPE)
    v = data.repeat(10_000, 1)
    # Per row, the data term and the model term each lie in [0, 1] (variance <= 1/4 each, independent,
    # so <= 1/2 in all, even with sampled hidden states); 6 standard errors of the mean over the rows:
    tolerance = 6 * math.sqrt(0.5 / len(v))
    shapes = [tuple(p.shape) for p in parameters]
    for k in (1, 5):
        torch.manual_seed(k)
        returned, error = _call(cd_gradient, v, *parameters, k)
        if error:
            return _raised(error, CD_HINT)
        if not isinstance(returned, (tuple, list)) or len(returned) != 3:
            return _wrong("return three tensors: (weight gradient, visible-bias gradient, hidden-bias gradient).",
                          CD_HINT)
        result = []
        for value, what, shape in zip(returned, ("the weight gradient", "the visible-bias gradient",
                                                 "the hidden-bias gradient"), shapes):
            tensor, problem = _as_tensor(value, what)
            if problem:
                return _wrong(problem, CD_HINT)
            if tuple(tensor.shape) != shape and tensor.numel() == math.prod(shape) and len(shape) == 2:
                return _wrong(f"{what} has shape {tuple(tensor.shape)}; expected {shape} (the weight's shape).",
                              "With weight of shape (n_visible, n_hidden), use v.T @ p_h, not p_h.T @ v.")
            problem = _shape_problem(tensor, shape, what)
            if problem:
                return _wrong(problem, CD_HINT)
            result.append(tensor)
        result = _flatten(result)
        expected = _flatten(_expected_cd_gradient(rbm, data, k))
        if (result - expected).abs().max() <= tolerance:
            continue
        diagnosis = None
        if (result + expected).abs().max() <= tolerance:
            diagnosis = ("the sign is flipped: you returned model minus data.",
                         "The log-likelihood gradient is data statistics MINUS model statistics.")
        elif (result / len(v) - expected).abs().max() <= tolerance:
            diagnosis = ("you summed over the rows instead of averaging (as the seed article does).",
                         "Divide by the number of rows; a sum makes the step size grow with the batch size.")
        elif k > 1 and (result - _flatten(_expected_cd_gradient(rbm, data, 1))).abs().max() <= tolerance:
            diagnosis = (f"with k = {k} you return what CD-1 gives: the chain takes one step whatever k is.",
                         "Loop k times: h ~ p(h | v), then v ~ p(v | h).")
        if diagnosis:
            return _wrong(*diagnosis)
        return _wrong(f"for k = {k}, the average of your estimate is off by up to "
                      f"{(result - expected).abs().max().item():.3f} (noise allows {tolerance:.3f}).", CD_HINT)
    return _correct(f"{_name(cd_gradient)} averages to the exact expectation of CD-1 and CD-5 "
                    f"({len(v):,} rows, within {tolerance:.3f}).")
