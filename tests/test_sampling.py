"""Sampling and gradient estimates checked statistically against exact enumeration.

Tolerances come from the sample size: an average of n independent terms in
[0, 1] has standard deviation at most 0.5 / sqrt(n), and the bounds below are
several of those, so that a correct sampler fails with negligible probability
(and every test is seeded, so it never flakes).
"""
import math

import pytest
import torch

from rbm_helpers import RBM, cd_gradient, exact, pcd_gradient
from test_exact import tiny_rbm

N_CHAINS = 20_000
SIGMAS = 4.5  # per-entry bound; with a few dozen entries the chance of a false failure is < 1e-4


def total_variation(samples: torch.Tensor, probabilities: torch.Tensor) -> float:
    n_units = samples.shape[1]
    powers = 2 ** torch.arange(n_units - 1, -1, -1)
    index = (samples.long() * powers).sum(1)
    frequencies = torch.bincount(index, minlength=2**n_units).double() / samples.shape[0]
    return 0.5 * (frequencies - probabilities).abs().sum().item()


def tv_bound(probabilities: torch.Tensor, n: int, failure_probability: float = 1e-4) -> float:
    """A bound the TV of n independent draws exceeds with probability below ``failure_probability``.

    E[TV] <= 0.5 * sum sqrt(p (1 - p) / n), and one draw moves TV by at most 1/n, so by
    McDiarmid's inequality P(TV > E[TV] + t) <= exp(-2 n t^2).
    """
    expected = 0.5 * (probabilities * (1 - probabilities) / n).sqrt().sum().item()
    return expected + math.sqrt(math.log(1 / failure_probability) / (2 * n))


def test_gibbs_chains_sample_the_exact_visible_distribution():
    rbm = tiny_rbm()
    generator = torch.Generator().manual_seed(1)
    start = (torch.rand(N_CHAINS, 6, generator=generator) < 0.5).double()
    samples = rbm.gibbs(start, steps=50, generator=generator)  # one independent sample per chain
    _, p = exact.visible_distribution(rbm)
    bound = tv_bound(p, N_CHAINS)
    assert total_variation(samples, p) < bound, (total_variation(samples, p), bound)
    # The test has power: the same samples are far from a slightly different model's distribution.
    other = tiny_rbm()
    other.weight.mul_(1.5)
    assert total_variation(samples, exact.visible_distribution(other)[1]) > 2 * bound


def test_sample_h_and_sample_v_are_bernoulli_draws_of_their_probabilities():
    rbm = tiny_rbm()
    v = exact.all_states(6, dtype=torch.float64)[[5, 42]].repeat(N_CHAINS // 2, 1)
    generator = torch.Generator().manual_seed(2)
    p_h, h = rbm.sample_h(v, generator=generator)
    assert set(h.unique().tolist()) <= {0.0, 1.0}
    bound = SIGMAS * 0.5 / math.sqrt(N_CHAINS // 2)
    assert (h[0::2].mean(0) - p_h[0]).abs().max() < bound
    assert (h[1::2].mean(0) - p_h[1]).abs().max() < bound
    p_v, v_sample = rbm.sample_v(h, generator=generator)
    torch.testing.assert_close(p_v, rbm.visible_probabilities(h))
    assert (v_sample.mean(0) - p_v.mean(0)).abs().max() < SIGMAS * 0.5 / math.sqrt(N_CHAINS)


def cd_error(rbm, data, k, repeats=4000, seed=0):
    estimate = cd_gradient(rbm, data.repeat(repeats, 1), k=k, generator=torch.Generator().manual_seed(seed))
    truth = exact.log_likelihood_gradient(rbm, data)
    return max((a - b).abs().max().item() for a, b in zip(estimate, truth))


def test_cd_k_approaches_the_exact_gradient_and_cd1_is_biased():
    rbm = tiny_rbm()
    data = exact.all_states(6, dtype=torch.float64)[[3, 17, 40, 63, 12, 5]]
    noise = SIGMAS * 0.5 / math.sqrt(4000 * len(data))
    errors = {k: cd_error(rbm, data, k) for k in (1, 2, 25)}
    assert errors[1] > 4 * noise, errors  # CD-1's bias stands well above the sampling noise
    assert errors[1] > errors[2] > errors[25], errors
    assert errors[25] < noise, errors  # after 25 steps the chains have mixed: no bias left to see


def test_pcd_with_mixed_chains_estimates_the_exact_gradient():
    rbm = tiny_rbm()
    data = exact.all_states(6, dtype=torch.float64)[[3, 17, 40]]
    generator = torch.Generator().manual_seed(3)
    chains = rbm.gibbs(torch.zeros(N_CHAINS, 6, dtype=torch.float64), steps=50, generator=generator)
    estimate, advanced = pcd_gradient(rbm, data, chains, k=1, generator=generator)
    truth = exact.log_likelihood_gradient(rbm, data)
    noise = SIGMAS * 0.5 / math.sqrt(N_CHAINS)
    for a, b in zip(estimate, truth):
        assert (a - b).abs().max() < noise
    assert advanced.shape == chains.shape and not torch.equal(advanced, chains)


def test_cd_gradient_is_the_difference_of_data_and_reconstruction_statistics():
    """With k=1 and a fixed generator, CD equals the hand-written formula of the seed article (with probabilities)."""
    rbm = tiny_rbm()
    v0 = exact.all_states(6, dtype=torch.float64)[[1, 2, 3, 60]]
    grad = cd_gradient(rbm, v0, k=1, generator=torch.Generator().manual_seed(4))
    g = torch.Generator().manual_seed(4)
    p_h0 = rbm.hidden_probabilities(v0)
    h0 = (torch.rand(p_h0.shape, generator=g, dtype=torch.float64) < p_h0).double()
    p_v1 = rbm.visible_probabilities(h0)
    v1 = (torch.rand(p_v1.shape, generator=g, dtype=torch.float64) < p_v1).double()
    p_h1 = rbm.hidden_probabilities(v1)
    n = len(v0)
    torch.testing.assert_close(grad.weight, (v0.T @ p_h0 - v1.T @ p_h1) / n)
    torch.testing.assert_close(grad.visible_bias, (v0 - v1).mean(0))
    torch.testing.assert_close(grad.hidden_bias, (p_h0 - p_h1).mean(0))


def test_reconstruct_is_the_mean_field_up_down_pass():
    rbm = tiny_rbm()
    v = exact.all_states(6, dtype=torch.float64)[[7, 9]]
    expected = torch.sigmoid(torch.sigmoid(v @ rbm.weight + rbm.hidden_bias) @ rbm.weight.T + rbm.visible_bias)
    torch.testing.assert_close(rbm.reconstruct(v), expected)


def test_same_seed_gives_the_same_samples_and_different_seeds_differ():
    v = torch.ones(50, 6)
    a = RBM(6, 4, seed=7, init_std=1.0).gibbs(v, steps=3)
    b = RBM(6, 4, seed=7, init_std=1.0).gibbs(v, steps=3)
    c = RBM(6, 4, seed=8, init_std=1.0).gibbs(v, steps=3)
    assert torch.equal(a, b) and not torch.equal(a, c)


@pytest.mark.parametrize("device", ["auto", None, "cpu"])
def test_device_argument(device):
    rbm = RBM(3, 2, device=device)
    if device == "auto":
        expected = "cuda" if torch.cuda.is_available() else ("mps" if torch.backends.mps.is_available() else "cpu")
    else:
        expected = "cpu"
    assert rbm.device.type == expected
    assert rbm.free_energy(torch.zeros(1, 3)).device.type == expected
