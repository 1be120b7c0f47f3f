"""Unrated movies (-1) are absent from that user's RBM: no leak into p(h|v), fixed in sampling, no gradient."""
import torch

from rbm_helpers import RBM, cd_gradient, pcd_gradient, reconstruction_error, train
from test_exact import tiny_rbm


def with_missing():
    v = torch.tensor([[1.0, -1.0, 0.0, 1.0, -1.0, 1.0], [-1.0, 1.0, 1.0, -1.0, 0.0, 0.0]], dtype=torch.float64)
    return v, v != -1


def test_missing_units_do_not_leak_into_the_hidden_units():
    rbm = tiny_rbm()
    v, observed = with_missing()
    # The same user's RBM without those movies: only the observed units' weights count.
    for row, mask in zip(v, observed):
        expected = torch.sigmoid(row[mask] @ rbm.weight[mask] + rbm.hidden_bias)
        torch.testing.assert_close(rbm.hidden_probabilities(row)[0], expected)
    # The seed's formula (x W^T + a with the -1 in x) gives something else: the leak we avoid.
    leaky = torch.sigmoid(v @ rbm.weight + rbm.hidden_bias)
    assert not torch.allclose(rbm.hidden_probabilities(v), leaky)


def test_free_energy_of_a_row_with_missing_units_is_that_of_the_smaller_rbm():
    rbm = tiny_rbm()
    v, observed = with_missing()
    for row, mask in zip(v, observed):
        small = RBM(int(mask.sum()), 4, dtype=torch.float64)
        small.weight.copy_(rbm.weight[mask])
        small.visible_bias.copy_(rbm.visible_bias[mask])
        small.hidden_bias.copy_(rbm.hidden_bias)
        torch.testing.assert_close(rbm.free_energy(row), small.free_energy(row[mask]))


def test_gibbs_keeps_missing_units_missing_and_samples_the_rest():
    rbm = tiny_rbm()
    v, observed = with_missing()
    out = rbm.gibbs(v.repeat(500, 1), steps=3, generator=torch.Generator().manual_seed(0))
    mask = observed.repeat(500, 1)
    assert (out[~mask] == -1).all()
    assert set(out[mask].unique().tolist()) == {0.0, 1.0}
    # The observed units are sampled from the smaller RBM, not held fixed at the data.
    assert not torch.equal(out[mask], v.repeat(500, 1)[mask])


def test_missing_units_get_zero_gradient():
    rbm = tiny_rbm()
    v, observed = with_missing()
    grad = cd_gradient(rbm, v[:1], k=3)
    assert (grad.weight[~observed[0]] == 0).all() and (grad.visible_bias[~observed[0]] == 0).all()
    assert (grad.weight[observed[0]] != 0).any()
    chains = v[:1].repeat(4, 1)
    grad, advanced = pcd_gradient(rbm, v[:1], chains, k=2)
    assert (grad.weight[~observed[0]] == 0).all() and (advanced[:, ~observed[0]] == -1).all()


def test_training_never_moves_parameters_of_units_missing_in_every_row():
    v, _ = with_missing()
    data = v.clone()
    data[:, 1] = -1  # movie 1 is unrated by everyone
    for method in ("cd", "pcd-per-row"):
        rbm = tiny_rbm()
        before_w, before_b = rbm.weight[1].clone(), rbm.visible_bias[1].clone()
        train(rbm, data, epochs=5, batch_size=1, method=method, progress=False, seed=0)
        torch.testing.assert_close(rbm.weight[1], before_w, rtol=0, atol=0)
        torch.testing.assert_close(rbm.visible_bias[1], before_b, rtol=0, atol=0)
        assert not torch.equal(rbm.weight[0], tiny_rbm().weight[0])


def test_reconstruction_error_counts_observed_entries_only():
    rbm = tiny_rbm()
    v, observed = with_missing()
    prediction = rbm.reconstruct(v)
    expected = (v - prediction).abs()[observed].mean().item()
    assert abs(reconstruction_error(rbm, v) - expected) < 1e-12
    # Held-out targets: only their observed entries count.
    targets = torch.full_like(v, -1.0)
    targets[0, 1] = 1.0
    assert abs(reconstruction_error(rbm, v, targets) - (1 - prediction[0, 1].item())) < 1e-12


def test_init_visible_bias_uses_observed_frequencies():
    rbm = RBM(3, 2, dtype=torch.float64)
    data = torch.tensor([[1.0, 0.0, -1.0], [1.0, 1.0, -1.0], [0.0, 1.0, -1.0], [1.0, 1.0, 1.0]], dtype=torch.float64)
    rbm.init_visible_bias(data)
    p = torch.tensor([(3 + 0.5) / 5, (3 + 0.5) / 5, (1 + 0.5) / 2], dtype=torch.float64)
    torch.testing.assert_close(rbm.visible_bias, torch.log(p / (1 - p)))


def test_gibbs_with_missing_units_samples_the_smaller_rbm_exactly():
    """Chains over a row with two unrated movies sample the 4-unit RBM that row defines."""
    from rbm_helpers import exact
    from test_sampling import N_CHAINS, total_variation, tv_bound

    rbm = tiny_rbm()
    row = torch.tensor([1.0, -1.0, 0.0, 1.0, -1.0, 1.0], dtype=torch.float64)
    mask = row != -1
    small = RBM(4, 4, dtype=torch.float64)
    small.weight.copy_(rbm.weight[mask])
    small.visible_bias.copy_(rbm.visible_bias[mask])
    small.hidden_bias.copy_(rbm.hidden_bias)
    samples = rbm.gibbs(row.repeat(N_CHAINS, 1), steps=50, generator=torch.Generator().manual_seed(5))
    _, p = exact.visible_distribution(small)
    assert total_variation(samples[:, mask], p) < tv_bound(p, N_CHAINS)


def test_sparse_products_over_observed_entries_match_the_dense_ones():
    """The training loop's CSR product over observed entries gives p(h|v) of the zero-filled rows."""
    from rbm_helpers.sparse import ObservedPattern

    rbm = tiny_rbm()
    generator = torch.Generator().manual_seed(0)
    observed = torch.rand(50, 6, generator=generator) < 0.4
    values = (torch.rand(50, 6, generator=generator) < 0.5).double() * observed
    pattern = ObservedPattern.of(observed)
    torch.testing.assert_close(rbm.hidden_field(values, pattern=pattern), rbm.hidden_field(values))
    entries = pattern.entries(values)
    assert entries.shape == (int(observed.sum()),)
    torch.testing.assert_close(pattern.dense(entries), values)


def test_the_history_train_error_is_the_reconstruction_error_of_the_data():
    v, _ = with_missing()
    data = v.repeat(10, 1)
    rbm = tiny_rbm()
    history = train(rbm, data, epochs=2, batch_size=4, progress=False, seed=0)
    assert history["train_error"].iloc[-1] == reconstruction_error(rbm, data)
