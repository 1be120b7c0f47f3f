"""Parallel tempering and persistent chains against exact distributions.

Chains at each temperature must sample that temperature's exact
distribution (total variation below a bound from the sample size), and a swap
must be accepted with the Metropolis probability computed from exact
probabilities.
"""
import math

import pytest
import torch

from rbm_helpers import RBM, exact, train
from rbm_helpers.samplers import ParallelTempering, PersistentChains, geometric_betas, swap_log_acceptance

DELTA = 1e-4


def bimodal_model(seed=0):
    """Strong weights: two well separated modes that plain Gibbs sampling rarely crosses."""
    model = RBM(6, 2, seed=seed, init_std=0.0, dtype=torch.float64)
    with torch.no_grad():
        model.weight.copy_(torch.tensor([[4.0, -4.0]] * 3 + [[-4.0, 4.0]] * 3, dtype=torch.float64))
        model.hidden_bias.fill_(0.0)
    return model


def total_variation(samples, states, p):
    codes = (samples * (2 ** torch.arange(samples.shape[1] - 1, -1, -1, dtype=samples.dtype))).sum(1).long()
    counts = torch.bincount(codes, minlength=states.shape[0]).double()
    return 0.5 * (counts / counts.sum() - p).abs().sum().item()


def tv_bound(p, n):
    """E[TV] <= sum sqrt(p(1-p)/n) / 2, plus McDiarmid's deviation term at failure probability DELTA."""
    return 0.5 * torch.sqrt(p * (1 - p) / n).sum().item() + math.sqrt(math.log(1 / DELTA) / (2 * n))


def test_every_temperature_samples_its_exact_distribution():
    model = bimodal_model()
    betas = geometric_betas(4, 0.2)
    n = 4000
    sampler = ParallelTempering(betas, torch.zeros(n, 6, dtype=torch.float64))
    sampler.advance(model, 60, torch.Generator().manual_seed(0))
    for beta, state in zip(sampler.betas, sampler.states):
        states, p = exact.visible_distribution(model, beta=beta)
        assert total_variation(state, states, p) < tv_bound(p, n), beta
    assert bool((sampler.acceptance_rates > 0.1).all())


def test_the_test_has_power_a_wrong_temperature_fails():
    model = bimodal_model()
    n = 4000
    sampler = ParallelTempering(geometric_betas(4, 0.2), torch.zeros(n, 6, dtype=torch.float64))
    sampler.advance(model, 60, torch.Generator().manual_seed(0))
    states, p_wrong = exact.visible_distribution(model, beta=0.5)
    assert total_variation(sampler.states[0], states, p_wrong) > 2 * tv_bound(p_wrong, n)


def test_plain_gibbs_stays_in_one_mode_where_tempering_visits_both():
    model = bimodal_model()
    start = torch.tensor([[1.0, 1, 1, 0, 0, 0]], dtype=torch.float64).repeat(500, 1)
    plain = model.gibbs(start, steps=60, generator=torch.Generator().manual_seed(1))
    tempered = ParallelTempering(geometric_betas(4, 0.2), start).advance(model, 60, torch.Generator().manual_seed(1))
    share = lambda v: (v[:, 3:].sum(1) > v[:, :3].sum(1)).double().mean().item()  # noqa: E731: chains in the other mode
    assert share(plain) < 0.05 and 0.3 < share(tempered) < 0.7


def test_swap_acceptance_is_the_metropolis_rule_from_exact_probabilities():
    model = bimodal_model()
    states, _ = exact.visible_distribution(model)
    first, second = states[[7, 56]], states[[56, 7]]
    for b1, b2 in ((1.0, 0.5), (0.5, 0.2)):
        p1 = exact.log_likelihood(model, torch.cat([first, second]), beta=b1)
        p2 = exact.log_likelihood(model, torch.cat([first, second]), beta=b2)
        # log [p_b1(v2) p_b2(v1) / (p_b1(v1) p_b2(v2))]; the partition functions cancel
        ratio = (p1[2:] + p2[:2]) - (p1[:2] + p2[2:])
        torch.testing.assert_close(swap_log_acceptance(model, first, second, b1, b2), ratio.clamp(max=0))


def test_train_accepts_a_sampler_and_its_chains_persist():
    data = exact.all_states(6, dtype=torch.float64)[[3, 12, 48, 60, 7]].repeat(20, 1)
    for sampler in (PersistentChains(data[:10]), ParallelTempering([1.0, 0.5], data[:10])):
        model = RBM(6, 3, seed=0, dtype=torch.float64)
        before = exact.log_likelihood(model, data).mean()
        history = train(model, data, epochs=5, batch_size=10, learning_rate=0.5, seed=0, progress=False, method=sampler)
        state = sampler.chains if isinstance(sampler, PersistentChains) else sampler.states[0]
        assert state.shape == (10, 6) and not torch.equal(state, data[:10])
        assert exact.log_likelihood(model, data).mean() > before + 0.2 and history["train_error"].notna().all()


@pytest.mark.parametrize("betas", [[0.5, 0.2], [1.0, 1.0], [1.0, 0.0], []])
def test_betas_must_start_at_one_and_decrease(betas):
    with pytest.raises(ValueError, match="betas must start at 1 and decrease"):
        ParallelTempering(betas, torch.zeros(2, 6))
