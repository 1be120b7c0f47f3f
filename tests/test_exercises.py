"""The exercise checkers: a right answer passes, each typical wrong answer fails with its hint.

A checker that accepted a wrong answer would teach the wrong thing, so every
checker is tried here on the mistakes it claims to recognise.
"""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from rbm_helpers import RBM, exact, exercises
from rbm_helpers.exercises.build_an_rbm import expected_cd_gradient
from rbm_helpers.exercises import (
    check_cd_gradient,
    check_energy,
    check_free_energy,
    check_gibbs_step,
    check_log_partition,
    check_sample_h,
)


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tiny tensors: one thread is fastest, and many times faster on a busy 2-core machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def run(checker, fn, capsys) -> tuple[bool, str]:
    verdict = checker(fn)
    return verdict, capsys.readouterr().out


def assert_correct(checker, fn, capsys) -> None:
    verdict, out = run(checker, fn, capsys)
    assert verdict is True, out
    assert out.startswith("Correct!"), out


def assert_wrong(checker, fn, capsys, *phrases: str) -> None:
    verdict, out = run(checker, fn, capsys)
    assert verdict is False, out
    assert out.startswith("Not yet:") and "\nHint: " in out, out
    for phrase in phrases:
        assert phrase in out, f"expected {phrase!r} in:\n{out}"


# ---------------------------------------------------------------------------- energy
def energy(v, h, weight, visible_bias, hidden_bias):
    return -(v @ visible_bias) - (h @ hidden_bias) - ((v @ weight) * h).sum(-1)


def test_energy_right_answer(capsys):
    assert_correct(check_energy, energy, capsys)


@pytest.mark.parametrize(
    "wrong, phrase",
    [
        (lambda v, h, W, b, c: -energy(v, h, W, b, c), "sign is flipped"),
        (lambda v, h, W, b, c: -(h @ c) - ((v @ W) * h).sum(-1), "visible-bias term is missing"),
        (lambda v, h, W, b, c: -(v @ b) - ((v @ W) * h).sum(-1), "hidden-bias term is missing"),
        (lambda v, h, W, b, c: -(v @ b) - (h @ c), "interaction term -v^T weight h is missing"),
        (lambda v, h, W, b, c: -(v @ b) - (h @ c) + ((v @ W) * h).sum(-1), "interaction term has the wrong sign"),
        (lambda v, h, W, b, c: energy(v, h, W, b, c).sum(), "one number for a batch"),
        (lambda v, h, W, b, c: energy(v, h, W, b, c)[:, None], "has shape (128, 1)"),
        (lambda v, h, W, b, c: -(v @ b) - (h @ c) - v @ W @ h.T, "has shape (128, 128)"),
        (lambda v, h, W, b, c: None, "forget `return`"),
        (lambda v, h, W, b, c: -(v @ b) - (h @ c) - ((v @ W.T) * h).sum(-1), "raised RuntimeError"),
    ],
)
def test_energy_wrong_answers(wrong, phrase, capsys):
    assert_wrong(check_energy, wrong, capsys, phrase)


def test_a_learners_exception_is_reported_not_raised(capsys):
    def unfinished(v, h, weight, visible_bias, hidden_bias):
        raise NotImplementedError("write your code here")

    assert_wrong(check_energy, unfinished, capsys, "raised NotImplementedError: write your code here")


def test_in_place_changes_do_not_leak_into_the_check(capsys):
    def destructive(v, h, weight, visible_bias, hidden_bias):
        result = energy(v, h, weight, visible_bias, hidden_bias)
        weight.zero_()
        return result

    assert_correct(check_energy, destructive, capsys)


# ---------------------------------------------------------------------------- free energy
def free_energy(v, weight, visible_bias, hidden_bias):
    return -(v @ visible_bias) - F.softplus(v @ weight + hidden_bias).sum(-1)


def brute_force_free_energy(v, weight, visible_bias, hidden_bias):
    """-log sum_h exp(-E(v, h)), every h enumerated: an independent formula."""
    h = exact.all_states(weight.shape[1], dtype=v.dtype)
    energies = torch.stack([energy(row.expand(len(h), -1), h, weight, visible_bias, hidden_bias) for row in v])
    return -torch.logsumexp(-energies, dim=1)


def test_free_energy_right_answers(capsys):
    assert_correct(check_free_energy, free_energy, capsys)
    assert_correct(check_free_energy, brute_force_free_energy, capsys)


@pytest.mark.parametrize(
    "wrong, phrase",
    [
        (lambda v, W, b, c: -free_energy(v, W, b, c), "sign is flipped"),
        (lambda v, W, b, c: -F.softplus(v @ W + c).sum(-1), "visible-bias term"),
        (lambda v, W, b, c: -(v @ b) - F.softplus(v @ W).sum(-1), "hidden bias is missing inside softplus"),
        (lambda v, W, b, c: -(v @ b) - F.softplus(v @ W + c).mean(-1), "averaged over the hidden units"),
        (lambda v, W, b, c: -(v @ b) - torch.sigmoid(v @ W + c).sum(-1), "sigmoid where softplus belongs"),
        (lambda v, W, b, c: -(v @ b) - torch.log(1 + torch.exp(v @ W + c)).sum(-1), "overflows"),
    ],
)
def test_free_energy_wrong_answers(wrong, phrase, capsys):
    assert_wrong(check_free_energy, wrong, capsys, phrase)


# ---------------------------------------------------------------------------- log Z
def log_partition(weight, visible_bias, hidden_bias):
    v = exact.all_states(weight.shape[0], dtype=weight.dtype)
    return torch.logsumexp(-free_energy(v, weight, visible_bias, hidden_bias), 0)


def test_log_partition_right_answer(capsys):
    assert_correct(check_log_partition, log_partition, capsys)
    assert_correct(check_log_partition, lambda W, b, c: log_partition(W, b, c).item(), capsys)  # a float is fine


def naive_log_partition(weight, visible_bias, hidden_bias):
    v = exact.all_states(weight.shape[0], dtype=weight.dtype)
    return torch.log(torch.exp(-free_energy(v, weight, visible_bias, hidden_bias)).sum())


@pytest.mark.parametrize(
    "wrong, phrase",
    [
        (lambda W, b, c: log_partition(W, b, c).exp(), "returned Z, not log Z"),
        (lambda W, b, c: -log_partition(W, b, c), "sign is flipped"),
        (lambda W, b, c: torch.logsumexp(exact.all_states(W.shape[0], dtype=W.dtype) @ b, 0), "h = 0 only"),
        (lambda W, b, c: -free_energy(exact.all_states(W.shape[0], dtype=W.dtype), W, b, c), "expected one number"),
        (naive_log_partition, "Z overflows"),
        (lambda W, b, c: torch.logsumexp(-free_energy(exact.all_states(W.shape[0]), W, b, c), 0),
         "exact.all_states(n, dtype=weight.dtype)"),
    ],
)
def test_log_partition_wrong_answers(wrong, phrase, capsys):
    assert_wrong(check_log_partition, wrong, capsys, phrase)


# ---------------------------------------------------------------------------- sample_h
def sample_h(v, weight, hidden_bias):
    p = torch.sigmoid(v @ weight + hidden_bias)
    return p, (torch.rand_like(p) < p).to(p.dtype)


def test_sample_h_right_answers(capsys):
    assert_correct(check_sample_h, sample_h, capsys)

    def with_bernoulli(v, weight, hidden_bias):  # another random stream, same distribution
        p = torch.sigmoid(v @ weight + hidden_bias)
        return p, torch.bernoulli(p)

    assert_correct(check_sample_h, with_bernoulli, capsys)


def _p(v, W, c):
    return torch.sigmoid(v @ W + c)


@pytest.mark.parametrize(
    "wrong, phrase",
    [
        (lambda v, W, c: sample_h(v, W, torch.zeros_like(c)), "ignores the hidden bias"),
        (lambda v, W, c: sample_h(v, -W, -c), "p(h = 0 | v)"),
        (lambda v, W, c: (_p(v, W, c), _p(v, W, c)), "the sample is the probabilities themselves"),
        (lambda v, W, c: sample_h(v, W, c)[::-1], "swapped"),
        (lambda v, W, c: (_p(v, W, c), (_p(v, W, c) > 0.5).double()), "rounded"),
        (lambda v, W, c: (_p(v, W, c), (torch.rand_like(_p(v, W, c)) > _p(v, W, c)).double()), "wrong way round"),
        (lambda v, W, c: (_p(v, W, c), (torch.rand(len(v), 1, dtype=v.dtype) < _p(v, W, c)).double()),
         "not sampled independently"),
        (lambda v, W, c: (_p(v, W, c), (torch.rand(W.shape[1], dtype=v.dtype) < _p(v, W, c)).double()),
         "too often or too rarely"),
        (lambda v, W, c: _p(v, W, c), "should return two things"),
        (lambda v, W, c: sample_h(v, W.T, c), "raised RuntimeError"),
    ],
)
def test_sample_h_wrong_answers(wrong, phrase, capsys):
    assert_wrong(check_sample_h, wrong, capsys, phrase)


# ---------------------------------------------------------------------------- a Gibbs step with -1
def gibbs_step(v, weight, visible_bias, hidden_bias, *, clamp=True, restore=True, sample_hidden=True):
    p_h = _p(v.clamp(min=0) if clamp else v, weight, hidden_bias)
    h = (torch.rand_like(p_h) < p_h).to(p_h.dtype) if sample_hidden else p_h
    p_v = torch.sigmoid(h @ weight.T + visible_bias)
    v_new = (torch.rand_like(p_v) < p_v).to(p_v.dtype)
    return torch.where(v == -1, v, v_new) if restore else v_new


def test_gibbs_step_right_answers(capsys):
    assert_correct(check_gibbs_step, gibbs_step, capsys)

    def with_the_package(v, weight, visible_bias, hidden_bias):  # another random stream, same distribution
        rbm = RBM(weight.shape[0], weight.shape[1], dtype=weight.dtype)
        with torch.no_grad():
            rbm.weight.copy_(weight)
            rbm.visible_bias.copy_(visible_bias)
            rbm.hidden_bias.copy_(hidden_bias)
        return rbm.gibbs(v, steps=1)

    assert_correct(check_gibbs_step, with_the_package, capsys)


@pytest.mark.parametrize(
    "wrong, phrase",
    [
        (lambda v, W, b, c: gibbs_step(v, W, b, c, clamp=False), "the -1s leak into p(h | v)"),
        (lambda v, W, b, c: gibbs_step(v, W, b, c, restore=False), "do not stay -1"),
        (lambda v, W, b, c: gibbs_step(v, W, b, c, sample_hidden=False), "h was never sampled"),
        (lambda v, W, b, c: torch.where(v == -1, v, _p(v.clamp(min=0), W, c) @ W.T), "other than 0 and 1"),
        (lambda v, W, b, c: gibbs_step(v, W, torch.zeros_like(b), c), "standard errors from the exact ones"),
        (lambda v, W, b, c: v, "v' is v unchanged"),
        (lambda v, W, b, c: (gibbs_step(v, W, b, c), None), "return only the new visible state"),
        (lambda v, W, b, c: gibbs_step(v, W, b, c)[:, :3], "has shape (16000, 3)"),
        (lambda v, W, b, c: gibbs_step(v.float(), W, b, c), "checker passes float64"),
    ],
)
def test_gibbs_step_wrong_answers(wrong, phrase, capsys):
    assert_wrong(check_gibbs_step, wrong, capsys, phrase)


# ---------------------------------------------------------------------------- CD-k
def gibbs(v, weight, visible_bias, hidden_bias, k):
    for _ in range(k):
        _, h = sample_h(v, weight, hidden_bias)
        p_v = torch.sigmoid(h @ weight.T + visible_bias)
        v = (torch.rand_like(p_v) < p_v).to(v.dtype)
    return v


def cd_gradient(v, weight, visible_bias, hidden_bias, k, *, start_at_data=True, reduce=torch.mean):
    v_k = gibbs(v if start_at_data else torch.randint_like(v, 2), weight, visible_bias, hidden_bias, k)
    p_data, p_model = _p(v, weight, hidden_bias), _p(v_k, weight, hidden_bias)
    weight_gradient = reduce(v[:, :, None] * p_data[:, None, :] - v_k[:, :, None] * p_model[:, None, :], 0)
    return weight_gradient, reduce(v - v_k, 0), reduce(p_data - p_model, 0)


def test_cd_gradient_right_answers(capsys):
    assert_correct(check_cd_gradient, cd_gradient, capsys)

    def with_hidden_samples(v, weight, visible_bias, hidden_bias, k):  # noisier, same expectation
        v_k = gibbs(v, weight, visible_bias, hidden_bias, k)
        _, h_data = sample_h(v, weight, hidden_bias)
        _, h_model = sample_h(v_k, weight, hidden_bias)
        n = len(v)
        return (v.T @ h_data - v_k.T @ h_model) / n, (v - v_k).mean(0), (h_data - h_model).mean(0)

    assert_correct(check_cd_gradient, with_hidden_samples, capsys)


@pytest.mark.parametrize(
    "wrong, phrase",
    [
        (lambda v, W, b, c, k: tuple(-g for g in cd_gradient(v, W, b, c, k)), "sign is flipped"),
        (lambda v, W, b, c, k: cd_gradient(v, W, b, c, k, reduce=torch.sum), "summed over the rows"),
        (lambda v, W, b, c, k: cd_gradient(v, W, b, c, 1), "one step whatever k"),
        (lambda v, W, b, c, k: cd_gradient(v, W, b, c, k, start_at_data=False), "off by up to"),
        (lambda v, W, b, c, k: (cd_gradient(v, W, b, c, k)[0].T,) + cd_gradient(v, W, b, c, k)[1:],
         "has shape (3, 4)"),
        (lambda v, W, b, c, k: cd_gradient(v, W, b, c, k)[:2], "return three tensors"),
    ],
)
def test_cd_gradient_wrong_answers(wrong, phrase, capsys):
    assert_wrong(check_cd_gradient, wrong, capsys, phrase)


def test_expected_cd_gradient_tends_to_the_exact_gradient():
    """The checker's reference, CD-k's exact expectation, is the exact gradient for large k and not for k = 1."""
    rbm = exercises.example_rbm(4, 3, seed=4, scale=3.0)
    data = exact.all_states(4, dtype=torch.float64)[[12, 12, 3, 8, 14]]
    def flatten(gradients):
        return torch.cat([g.reshape(-1) for g in gradients])

    exact_gradient = flatten(exact.log_likelihood_gradient(rbm, data))
    far = flatten(expected_cd_gradient(rbm, data, 200))
    one = flatten(expected_cd_gradient(rbm, data, 1))
    assert torch.allclose(far, exact_gradient, atol=1e-10)
    assert (one - exact_gradient).abs().max() > 0.05


def test_checkers_print_the_same_thing_every_run(capsys):
    """Notebook outputs are compared by nbval: a checker's message must not depend on the run."""
    for _ in range(2):
        check_sample_h(sample_h)
        check_cd_gradient(lambda v, W, b, c, k: tuple(-g for g in cd_gradient(v, W, b, c, k)))
    out = capsys.readouterr().out.splitlines()
    assert out[:3] == out[3:]
