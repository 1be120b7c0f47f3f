"""rbm_helpers.images: grids of pictures, clamped Gibbs sampling (checked against exact conditionals), chains."""
import math

import numpy as np
import pytest
import torch

from rbm_helpers import RBM, exact
from rbm_helpers.images import classes_visited, clamped_gibbs, image_grid, plot_images, record_chains
from rbm_helpers.samplers import ParallelTempering, geometric_betas


def random_rbm(n_visible=5, n_hidden=3, seed=0):
    rbm = RBM(n_visible, n_hidden, seed=seed, init_std=2.5, dtype=torch.float64)
    g = torch.Generator().manual_seed(seed + 7)
    with torch.no_grad():
        rbm.visible_bias.copy_(torch.randn(n_visible, generator=g, dtype=torch.float64))
        rbm.hidden_bias.copy_(torch.randn(n_hidden, generator=g, dtype=torch.float64))
    return rbm


def test_image_grid_puts_each_image_in_its_tile_with_nan_between():
    images = torch.arange(5 * 6, dtype=torch.float64).reshape(5, 6)  # five 2x3 images
    grid = image_grid(images, (2, 3), ncols=2, pad=1)
    assert grid.shape == (3 * 3 - 1, 2 * 4 - 1)
    np.testing.assert_array_equal(grid[0:2, 0:3], images[0].reshape(2, 3).numpy())
    np.testing.assert_array_equal(grid[0:2, 4:7], images[1].reshape(2, 3).numpy())
    np.testing.assert_array_equal(grid[6:8, 0:3], images[4].reshape(2, 3).numpy())
    assert np.isnan(grid[2]).all() and np.isnan(grid[:, 3]).all()  # the padding
    assert np.isnan(grid[6:8, 4:7]).all()  # no sixth image


def test_image_grid_scales_each_tile_to_its_largest_absolute_value():
    images = torch.tensor([[1.0, -4.0, 2.0, 0.0], [0.5, 0.25, 0.0, 0.0]])
    grid = image_grid(images, (2, 2), ncols=2, scale_each=True)
    np.testing.assert_allclose(grid[:, :2], [[0.25, -1.0], [0.5, 0.0]])
    np.testing.assert_allclose(grid[:, 3:], [[1.0, 0.5], [0.0, 0.0]])


def test_image_grid_refuses_rows_of_the_wrong_length():
    with pytest.raises(ValueError, match=r"shape \(n, 64\)"):
        image_grid(torch.zeros(3, 63), (8, 8))


def test_plot_images_draws_one_image(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    ax = plot_images(torch.rand(12, 4), (2, 2), ncols=5, title="t", row_labels=["a", "b", "c"])
    assert len(ax.images) == 1 and ax.get_title() == "t"
    ax = plot_images(torch.randn(3, 4), (2, 2), filters=True)
    assert ax.images[0].get_cmap().name == "RdBu_r"


def exact_conditional_mean(rbm, v_known, known):
    """E[v | the known units] by enumerating every visible state."""
    states, p = exact.visible_distribution(rbm)
    match = (states[:, known] == v_known[known]).all(1)
    p = p * match
    return (p[:, None] * states).sum(0) / p.sum()


@pytest.mark.parametrize("known_units", [[0, 2], [2, 4]])
def test_clamped_gibbs_samples_the_exact_conditional_distribution_of_the_unknown_units(known_units):
    rbm = random_rbm(5, 3, seed=1)
    known = torch.zeros(5, dtype=torch.bool)
    known[known_units] = True
    target = torch.tensor([1.0, 0.0, 1.0, 1.0, 0.0], dtype=torch.float64)
    n_chains, steps, burn_in = 2000, 60, 20
    start = target.repeat(n_chains, 1)
    start[:, ~known] = 0.0  # the chains start from zeros where the value is unknown
    last, mean = clamped_gibbs(rbm, start, known, steps, burn_in=burn_in, generator=torch.Generator().manual_seed(0))
    want = exact_conditional_mean(rbm, target, known)
    assert torch.equal(last[:, known], start[:, known]) and torch.equal(mean[:, known], start[:, known])
    # The chains' averages over 40 correlated steps: standard error at most 0.5 / sqrt(2000 * 40 / 10) ~ 0.006.
    torch.testing.assert_close(mean.mean(0), want, rtol=0, atol=0.03)
    marginal = exact.visible_distribution(rbm)
    marginal_mean = (marginal[1][:, None] * marginal[0]).sum(0)
    assert (want - marginal_mean)[~known].abs().max() > 0.1  # without clamping the test would fail


def test_clamped_gibbs_takes_a_mask_per_row_and_checks_its_arguments():
    rbm = random_rbm(4, 2, seed=2)
    v = torch.tensor([[1.0, 0.0, 1.0, 0.0], [0.0, 1.0, 1.0, 1.0]], dtype=torch.float64)
    known = torch.tensor([[True, True, False, False], [False, False, True, True]])
    last, _ = clamped_gibbs(rbm, v, known, 5, generator=torch.Generator().manual_seed(0))
    assert torch.equal(last[known], v[known])
    with pytest.raises(ValueError, match="known must be a bool mask"):
        clamped_gibbs(rbm, v, torch.ones(3, dtype=torch.bool), 5)
    with pytest.raises(ValueError, match="burn_in must be smaller"):
        clamped_gibbs(rbm, v, known, 5, burn_in=5)


def test_record_chains_keeps_the_gibbs_chain_every_few_steps():
    rbm = random_rbm(6, 3, seed=3)
    start = torch.zeros(4, 6, dtype=torch.float64)
    kept = record_chains(rbm, start, 12, every=4, generator=torch.Generator().manual_seed(5))
    assert kept.shape == (3, 4, 6)
    g = torch.Generator().manual_seed(5)
    values = start
    for index in range(3):
        values, _ = rbm.gibbs_chain(values, 4, generator=g)
        torch.testing.assert_close(kept[index], values, rtol=0, atol=0)


def test_record_chains_uses_a_sampler_when_given_one():
    rbm = random_rbm(6, 3, seed=3)
    start = torch.zeros(4, 6, dtype=torch.float64)
    sampler = ParallelTempering(geometric_betas(3, 0.5), start)
    kept = record_chains(rbm, start, 6, every=2, sampler=sampler, generator=torch.Generator().manual_seed(5))
    assert kept.shape == (3, 4, 6)
    assert sampler.proposed.sum() > 0  # the swaps ran
    torch.testing.assert_close(kept[-1], sampler.states[0], rtol=0, atol=0)


def test_classes_visited_counts_distinct_labels_per_chain():
    labels = np.array([[1, 2, 3], [1, 2, 4], [1, 5, 3]])
    np.testing.assert_array_equal(classes_visited(labels), [1, 2, 2])
    with pytest.raises(ValueError, match="2-D"):
        classes_visited(np.arange(3))
