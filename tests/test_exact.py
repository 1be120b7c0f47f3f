"""Every formula of a tiny RBM against an explicit sum over all of its joint states.

The brute force here shares no code with the package: it lists all
2**(n_visible + n_hidden) joint states with itertools and sums exp(-E) in numpy.
"""
import itertools

import numpy as np
import pytest
import torch

from rbm_helpers import RBM, exact

TOL = 1e-6  # float64 throughout; sums of at most 1024 terms lose far less than this


def tiny_rbm(n_visible=6, n_hidden=4, seed=0, scale=1.0):
    """A tiny float64 RBM with weights and biases of order one (sigmoids far from linear)."""
    rbm = RBM(n_visible, n_hidden, seed=seed, dtype=torch.float64, init_std=scale)
    g = torch.Generator().manual_seed(seed + 100)
    rbm.visible_bias.copy_(torch.randn(n_visible, generator=g, dtype=torch.float64) * scale)
    rbm.hidden_bias.copy_(torch.randn(n_hidden, generator=g, dtype=torch.float64) * scale)
    return rbm


def states(n):
    return np.array(list(itertools.product([0.0, 1.0], repeat=n)))


def brute_force(rbm):
    """Joint energies E[v, h] of every state, by the definition E = -b.v - c.h - v W h."""
    W = rbm.weight.numpy()
    b = rbm.visible_bias.numpy()
    c = rbm.hidden_bias.numpy()
    V, H = states(rbm.n_visible), states(rbm.n_hidden)
    energy = np.empty((len(V), len(H)))
    for i, v in enumerate(V):
        for j, h in enumerate(H):
            energy[i, j] = -(b @ v) - (c @ h) - v @ W @ h
    return V, H, energy


def logsumexp(x, axis=None):
    m = np.max(x, axis=axis, keepdims=True)
    return np.squeeze(m, axis=axis) + np.log(np.sum(np.exp(x - m), axis=axis))


@pytest.mark.parametrize("shape", [(6, 4), (4, 6), (5, 5)])
def test_energy_free_energy_partition_and_likelihood_match_brute_force(shape):
    rbm = tiny_rbm(*shape)
    V, H, E = brute_force(rbm)
    v, h = torch.from_numpy(V), torch.from_numpy(H)
    pairs_v = v.repeat_interleave(len(H), 0)
    pairs_h = h.repeat(len(V), 1)
    np.testing.assert_allclose(rbm.energy(pairs_v, pairs_h).numpy(), E.reshape(-1), atol=TOL, rtol=0)
    free_energy = -logsumexp(-E, axis=1)
    np.testing.assert_allclose(rbm.free_energy(v).numpy(), free_energy, atol=TOL, rtol=0)
    log_z = logsumexp(-E)
    assert abs(exact.log_partition(rbm).item() - log_z) < TOL
    np.testing.assert_allclose(exact.log_likelihood(rbm, v).numpy(), -free_energy - log_z, atol=TOL, rtol=0)
    states_v, p_v = exact.visible_distribution(rbm)
    np.testing.assert_array_equal(states_v.numpy(), V)
    np.testing.assert_allclose(p_v.numpy(), np.exp(-free_energy - log_z), atol=TOL, rtol=0)
    states_h, p_h = exact.hidden_distribution(rbm)
    np.testing.assert_array_equal(states_h.numpy(), H)
    np.testing.assert_allclose(p_h.numpy(), np.exp(logsumexp(-E, axis=0) - log_z), atol=TOL, rtol=0)


def test_conditionals_match_brute_force_ratios():
    """p(h_j=1|v) and p(v_i=1|h) from ratios of joint probabilities, not from the sigmoid formula."""
    rbm = tiny_rbm()
    V, H, E = brute_force(rbm)
    joint = np.exp(-E)
    p_h_given_v = (joint / joint.sum(1, keepdims=True)) @ H  # (n_v_states, n_hidden)
    p_v_given_h = (joint / joint.sum(0, keepdims=True)).T @ V
    np.testing.assert_allclose(rbm.hidden_probabilities(torch.from_numpy(V)).numpy(), p_h_given_v, atol=TOL)
    np.testing.assert_allclose(rbm.visible_probabilities(torch.from_numpy(H)).numpy(), p_v_given_h, atol=TOL)


def test_exact_gradient_matches_autograd_of_brute_force_likelihood():
    rbm = tiny_rbm()
    data = exact.all_states(6, dtype=torch.float64)[[3, 17, 17, 40, 63]]
    W = rbm.weight.detach().clone().requires_grad_()
    b = rbm.visible_bias.detach().clone().requires_grad_()
    c = rbm.hidden_bias.detach().clone().requires_grad_()
    V = exact.all_states(6, dtype=torch.float64)
    H = exact.all_states(4, dtype=torch.float64)
    joint = (V @ b)[:, None] + (H @ c)[None, :] + V @ W @ H.T  # -E for every joint state
    log_z = torch.logsumexp(joint.reshape(-1), 0)
    rows = [int("".join(str(int(x)) for x in row), 2) for row in data.tolist()]
    log_p = torch.logsumexp(joint[rows], 1) - log_z
    log_p.mean().backward()
    gradient = exact.log_likelihood_gradient(rbm, data)
    torch.testing.assert_close(gradient.weight, W.grad, atol=TOL, rtol=0)
    torch.testing.assert_close(gradient.visible_bias, b.grad, atol=TOL, rtol=0)
    torch.testing.assert_close(gradient.hidden_bias, c.grad, atol=TOL, rtol=0)


@pytest.mark.parametrize("shape", [(6, 4), (4, 6)])
def test_model_statistics_agree_whichever_layer_is_enumerated(shape):
    """The negative phase is computed by enumerating the smaller layer; check both branches by brute force."""
    rbm = tiny_rbm(*shape)
    V, H, E = brute_force(rbm)
    p = np.exp(-E - logsumexp(-E))
    stats = exact.model_statistics(rbm)
    np.testing.assert_allclose(stats.weight.numpy(), V.T @ p @ H, atol=TOL)
    np.testing.assert_allclose(stats.visible_bias.numpy(), p.sum(1) @ V, atol=TOL)
    np.testing.assert_allclose(stats.hidden_bias.numpy(), p.sum(0) @ H, atol=TOL)


def test_all_states_order_and_size_limit():
    assert exact.all_states(3).tolist()[:3] == [[0, 0, 0], [0, 0, 1], [0, 1, 0]]
    with pytest.raises(ValueError, match="enumerate 21 binary units, which has 2,097,152 states"):
        exact.all_states(21)
    with pytest.raises(ValueError, match="n_visible=30 Bernoulli units, n_hidden=25"):
        exact.log_partition(RBM(30, 25))
    # 500 visible units but only 3 hidden: the hidden layer is enumerated, so this is exact and fine.
    assert torch.isfinite(exact.log_partition(RBM(500, 3, seed=0)))
