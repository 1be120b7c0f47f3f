"""The softmax-visible RBM (notebook 06) against brute force on tiny models.

The brute force shares no code with the package: it lists every joint state
(every category of every movie, every 0/1 hidden vector) with itertools and
evaluates the energy from its definition, in numpy,

    E(V, h) = -sum_{rated i} b[i, k_i] - c . h - sum_{rated i} W[i, k_i] . h,

leaving unrated movies (-1) out of the sum. Statistical tests derive their
tolerance from the sample size (Hoeffding / McDiarmid with failure
probability 1e-6) and use fixed seeds.
"""
import itertools
import math

import numpy as np
import pytest
import torch

from rbm_helpers import RBM, cd_gradient, pcd_gradient, reconstruction_error, train
from rbm_helpers import softmax_exact as exact
from rbm_helpers.softmax import SoftmaxRBM, categories_from_ratings, expected_category

TOL = 1e-6  # float64 throughout; the sums below have at most a few thousand terms
DELTA = 1e-6  # failure probability of each statistical bound


pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py


def tiny_model(n_items=3, n_categories=3, n_hidden=3, seed=0, scale=1.0):
    """A float64 softmax RBM with weights and biases of order ``scale``."""
    model = SoftmaxRBM(n_items, n_categories, n_hidden, seed=seed, dtype=torch.float64, init_std=scale)
    g = torch.Generator().manual_seed(seed + 100)
    model.visible_bias.copy_(torch.randn(n_items, n_categories, generator=g, dtype=torch.float64) * scale)
    model.hidden_bias.copy_(torch.randn(n_hidden, generator=g, dtype=torch.float64) * scale)
    return model


def parameters(model):
    return model.weight.numpy(), model.visible_bias.numpy(), model.hidden_bias.numpy()


def energy(W, b, c, v, h):
    """E(V, h) by its definition; movies with category -1 are not in the user's RBM."""
    h = np.asarray(h, dtype=float)
    e = -(c @ h)
    for i, k in enumerate(v):
        if k >= 0:
            e -= b[i, k] + W[i, k] @ h
    return e


def visible_states(model):
    return list(itertools.product(range(model.n_categories), repeat=model.n_items))


def hidden_states(model):
    return np.array(list(itertools.product([0.0, 1.0], repeat=model.n_hidden)))


def joint_energies(model, V=None):
    """Energies E[a, b] of visible rows V[a] (default: all states) and every hidden state H[b]."""
    W, b, c = parameters(model)
    V = visible_states(model) if V is None else V
    H = hidden_states(model)
    return V, H, np.array([[energy(W, b, c, v, h) for h in H] for v in V])


def logsumexp(x, axis=None):
    m = np.max(x, axis=axis, keepdims=True)
    return np.squeeze(m, axis=axis) + np.log(np.sum(np.exp(x - m), axis=axis))


def hoeffding(n_samples, n_statistics=1):
    """Half-width t with P(any of n_statistics means of [0, 1] values off by > t) <= DELTA."""
    return math.sqrt(math.log(2 * n_statistics / DELTA) / (2 * n_samples))


def total_variation_bound(n_samples, n_states):
    """E[TV] <= 1/2 sqrt(S / N) (Cauchy-Schwarz), plus McDiarmid's deviation (one sample moves TV by 1/N)."""
    return 0.5 * math.sqrt(n_states / n_samples) + math.sqrt(math.log(1 / DELTA) / (2 * n_samples))


def histogram(rows, n_categories):
    """Frequencies of each row of categories, in the order of ``all_categories``."""
    powers = n_categories ** np.arange(rows.shape[1] - 1, -1, -1)
    return np.bincount(rows.numpy() @ powers, minlength=n_categories ** rows.shape[1]) / rows.shape[0]


# ---------------------------------------------------------------------- energy, free energy, log Z
@pytest.mark.parametrize("shape", [(3, 3, 3), (2, 3, 5)])  # hidden layer enumerated; visible layer enumerated
def test_energy_free_energy_partition_and_likelihood_match_brute_force(shape):
    model = tiny_model(*shape)
    V, H, E = joint_energies(model)
    v, h = torch.tensor(V), torch.from_numpy(H)
    pairs_v, pairs_h = v.repeat_interleave(len(H), 0), h.repeat(len(V), 1)
    np.testing.assert_allclose(model.energy(pairs_v, pairs_h).numpy(), E.reshape(-1), atol=TOL, rtol=0)
    free_energy = -logsumexp(-E, axis=1)
    np.testing.assert_allclose(model.free_energy(v).numpy(), free_energy, atol=TOL, rtol=0)
    log_z = logsumexp(-E)
    assert abs(exact.log_partition(model).item() - log_z) < TOL
    np.testing.assert_allclose(exact.log_likelihood(model, v).numpy(), -free_energy - log_z, atol=TOL, rtol=0)
    states, p_v = exact.visible_distribution(model)
    assert states.tolist() == [list(s) for s in V]
    np.testing.assert_allclose(p_v.numpy(), np.exp(-free_energy - log_z), atol=TOL, rtol=0)
    states_h, p_h = exact.hidden_distribution(model)
    np.testing.assert_array_equal(states_h.numpy(), H)
    np.testing.assert_allclose(p_h.numpy(), np.exp(logsumexp(-E, axis=0) - log_z), atol=TOL, rtol=0)


def test_unrated_movies_are_left_out_of_energy_and_free_energy():
    model = tiny_model()
    rows = [(0, -1, 2), (-1, -1, 1), (-1, -1, -1), (2, 1, -1)]
    _, H, E = joint_energies(model, rows)
    v, h = torch.tensor(rows), torch.from_numpy(H)
    np.testing.assert_allclose(
        model.energy(v.repeat_interleave(len(H), 0), h.repeat(len(rows), 1)).numpy(), E.reshape(-1), atol=TOL, rtol=0
    )
    np.testing.assert_allclose(model.free_energy(v).numpy(), -logsumexp(-E, axis=1), atol=TOL, rtol=0)


# ---------------------------------------------------------------------- conditionals
def test_conditionals_match_brute_force_ratios_and_sum_to_one():
    """p(h_j = 1 | V) and p(v_i = k | h) from ratios of joint probabilities, not from the formulas."""
    model = tiny_model()
    V, H, E = joint_energies(model)
    joint = np.exp(-E)
    p_h_given_v = (joint / joint.sum(1, keepdims=True)) @ H
    np.testing.assert_allclose(model.hidden_probabilities(torch.tensor(V)).numpy(), p_h_given_v, atol=TOL, rtol=0)
    p_v_given_h = model.visible_probabilities(torch.from_numpy(H)).numpy()  # (hidden states, items, K)
    np.testing.assert_allclose(p_v_given_h.sum(-1), 1.0, atol=TOL, rtol=0)
    columns = joint / joint.sum(0, keepdims=True)  # p(V | h) for each hidden state
    for i in range(model.n_items):
        for k in range(model.n_categories):
            is_k = np.array([v[i] == k for v in V], dtype=float)
            np.testing.assert_allclose(p_v_given_h[:, i, k], is_k @ columns, atol=TOL, rtol=0)
    # with unrated movies: p(h | V) of the user's smaller RBM
    rows = [(0, -1, 2), (-1, -1, 1), (-1, -1, -1)]
    _, _, E_rows = joint_energies(model, rows)
    joint_rows = np.exp(-E_rows)
    expected = (joint_rows / joint_rows.sum(1, keepdims=True)) @ H
    np.testing.assert_allclose(model.hidden_probabilities(torch.tensor(rows)).numpy(), expected, atol=TOL, rtol=0)


def test_two_categories_with_category_zero_at_zero_reduce_to_the_binary_rbm():
    """K = 2 with W[:, 0] = 0 and b[:, 0] = 0 is the binary RBM with W[:, 1] and b[:, 1]."""
    model = tiny_model(n_items=5, n_categories=2, n_hidden=4, seed=3)
    model.weight[:, 0].zero_()
    model.visible_bias[:, 0].zero_()
    rbm = RBM(5, 4, dtype=torch.float64)
    rbm.weight.copy_(model.weight[:, 1])
    rbm.visible_bias.copy_(model.visible_bias[:, 1])
    rbm.hidden_bias.copy_(model.hidden_bias)
    g = torch.Generator().manual_seed(0)
    categories = torch.randint(-1, 2, (20, 5), generator=g)
    binary = categories.double()  # 0/1 and -1 for unrated: the binary RBM's own encoding
    h = (torch.rand(20, 4, generator=g) < 0.5).double()
    torch.testing.assert_close(model.hidden_probabilities(categories), rbm.hidden_probabilities(binary), atol=TOL, rtol=0)
    torch.testing.assert_close(model.visible_probabilities(h)[..., 1], rbm.visible_probabilities(h), atol=TOL, rtol=0)
    torch.testing.assert_close(model.free_energy(categories), rbm.free_energy(binary), atol=TOL, rtol=0)
    torch.testing.assert_close(model.reconstruct(categories)[..., 1], rbm.reconstruct(binary), atol=TOL, rtol=0)
    assert abs(reconstruction_error(model, categories) - reconstruction_error(rbm, binary)) < TOL


# ---------------------------------------------------------------------- predictions
def exact_conditional_by_brute_force(model, row, q):
    """p(v_q = k | the row's other rated movies): put k in place q, sum exp(-E) over every h, normalise."""
    W, b, c = parameters(model)
    H = hidden_states(model)
    log_weights = []
    for k in range(model.n_categories):
        v = list(row)
        v[q] = k
        log_weights.append(logsumexp(np.array([-energy(W, b, c, v, h) for h in H])))
    log_weights = np.array(log_weights)
    return np.exp(log_weights - logsumexp(log_weights))


def test_exact_conditional_matches_brute_force_and_the_joint():
    model = tiny_model(n_items=3, n_categories=3, n_hidden=4, seed=1, scale=1.5)
    rows = [(0, -1, 2), (-1, -1, 1), (-1, -1, -1), (2, 1, 0), (1, 1, 1)]
    result = model.exact_conditional(torch.tensor(rows)).numpy()
    np.testing.assert_allclose(result.sum(-1), 1.0, atol=TOL, rtol=0)
    for r, row in enumerate(rows):
        for q in range(model.n_items):  # unrated q: the paper's formula; rated q: its own rating left out
            np.testing.assert_allclose(result[r, q], exact_conditional_by_brute_force(model, row, q), atol=TOL, rtol=0)
    # against the joint p(V) of the full model, for users who rated every movie
    states, p = exact.visible_distribution(model)
    joint = p.numpy().reshape((model.n_categories,) * model.n_items)
    for r, row in enumerate(rows[3:], start=3):
        for q in range(model.n_items):
            index = list(row)
            index[q] = slice(None)
            column = joint[tuple(index)]
            np.testing.assert_allclose(result[r, q], column / column.sum(), atol=TOL, rtol=0)


def test_mean_field_prediction_is_one_up_down_pass_and_differs_from_exact():
    model = tiny_model(n_items=4, n_categories=5, n_hidden=3, seed=2, scale=1.5)
    W, b, c = parameters(model)
    row = (4, -1, 0, -1)
    rated = [(i, k) for i, k in enumerate(row) if k >= 0]
    p_h = 1 / (1 + np.exp(-(c + sum(W[i, k] for i, k in rated))))
    logits = b + np.einsum("ikj,j->ik", W, p_h)
    expected = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    mean_field = model.reconstruct(torch.tensor(row)).numpy()[0]
    np.testing.assert_allclose(mean_field, expected, atol=TOL, rtol=0)
    exact_q = model.exact_conditional(torch.tensor(row)).numpy()[0]
    assert np.abs(mean_field[1] - exact_q[1]).max() > 1e-3  # two different predictions, not one by accident


def test_predict_on_pairs_equals_the_full_predictions():
    model = tiny_model(n_items=6, n_categories=5, n_hidden=4, seed=4)
    g = torch.Generator().manual_seed(1)
    v = torch.randint(-1, 5, (7, 6), generator=g)
    users = torch.randint(0, 7, (30,), generator=g)
    items = torch.randint(0, 6, (30,), generator=g)
    torch.testing.assert_close(model.predict(v, users, items), model.reconstruct(v)[users, items], atol=TOL, rtol=0)
    torch.testing.assert_close(
        model.predict(v, users, items, method="exact"), model.exact_conditional(v)[users, items], atol=TOL, rtol=0
    )


# ---------------------------------------------------------------------- sampling
def gibbs_transition(model):
    """The exact V -> h -> V transition matrix over all visible states, from joint ratios."""
    V, H, E = joint_energies(model)
    joint = np.exp(-E)
    p_h_given_v = joint / joint.sum(1, keepdims=True)
    p_v_given_h = joint / joint.sum(0, keepdims=True)
    return p_h_given_v @ p_v_given_h.T, joint.sum(1) / joint.sum()


def test_gibbs_frequencies_match_the_exact_distribution():
    model = tiny_model(seed=5)
    n_chains, steps = 20000, 30
    transition, p = gibbs_transition(model)
    start = np.full(len(p), 1 / len(p))
    after = start @ np.linalg.matrix_power(transition, steps)
    assert 0.5 * np.abs(after - p).sum() < 1e-4  # the chains have mixed: what remains is sampling noise
    g = torch.Generator().manual_seed(0)
    v = torch.randint(0, 3, (n_chains, 3), generator=g)
    samples = model.gibbs(v, steps, generator=g)
    tv = 0.5 * np.abs(histogram(samples, 3) - p).sum()
    assert tv < total_variation_bound(n_chains, len(p)) + 1e-4


def test_gibbs_with_an_unrated_movie_samples_the_users_smaller_rbm():
    """Movie 2 unrated: it stays -1, and movies 0 and 1 follow the two-movie RBM (not a marginal of the three-movie one)."""
    model = tiny_model(seed=6)
    n_chains = 20000
    W, b, c = parameters(model)
    H = hidden_states(model)
    pairs = list(itertools.product(range(3), repeat=2))
    log_p = np.array([logsumexp(np.array([-energy(W, b, c, (i, k, -1), h) for h in H])) for i, k in pairs])
    p = np.exp(log_p - logsumexp(log_p))
    g = torch.Generator().manual_seed(1)
    v = torch.randint(0, 3, (n_chains, 3), generator=g)
    v[:, 2] = -1
    samples, hidden = model.gibbs(v, 30, generator=g, return_hidden=True)
    assert (samples[:, 2] == -1).all() and hidden.shape == (n_chains, 3)
    tv = 0.5 * np.abs(histogram(samples[:, :2], 3) - p).sum()
    assert tv < total_variation_bound(n_chains, len(p))


def test_sample_v_draws_each_category_with_its_probability():
    model = tiny_model(n_items=2, n_categories=4, n_hidden=3, seed=7)
    n = 20000
    h = torch.tensor([[1.0, 0.0, 1.0]]).repeat(n, 1)
    p_v, v = model.sample_v(h, generator=torch.Generator().manual_seed(2))
    assert v.shape == (n, 2) and v.dtype == torch.long
    frequencies = torch.nn.functional.one_hot(v, 4).double().mean(0)
    assert (frequencies - p_v[0]).abs().max() < hoeffding(n, 8)
    p_h, sample = model.sample_h(torch.tensor([[0, 3]]).repeat(n, 1), generator=torch.Generator().manual_seed(3))
    assert (sample.mean(0) - p_h[0]).abs().max() < hoeffding(n, 3)


# ---------------------------------------------------------------------- gradients
def brute_force_log_likelihood(W, b, c, rows, n_items, n_categories, n_hidden):
    """Mean log p(V) of ``rows`` by logsumexp over every joint state, differentiable in W, b, c."""
    V = torch.tensor(list(itertools.product(range(n_categories), repeat=n_items)))
    H = torch.tensor(list(itertools.product([0.0, 1.0], repeat=n_hidden)), dtype=torch.float64)
    one_hot = torch.nn.functional.one_hot(V, n_categories).double()  # (states, items, K)
    minus_energy = (
        torch.einsum("sik,ik->s", one_hot, b)[:, None] + (H @ c)[None, :] + torch.einsum("sik,ikj,tj->st", one_hot, W, H)
    )
    log_z = torch.logsumexp(minus_energy.reshape(-1), 0)
    powers = n_categories ** torch.arange(n_items - 1, -1, -1)
    return (torch.logsumexp(minus_energy[rows @ powers], 1) - log_z).mean()


@pytest.mark.parametrize("shape", [(3, 3, 3), (2, 3, 5)])
def test_exact_gradient_matches_autograd_of_brute_force_likelihood(shape):
    model = tiny_model(*shape)
    rows = torch.tensor(visible_states(model))[[0, 4, 4, 7, -1]]
    W, b, c = (p.detach().clone().requires_grad_() for p in (model.weight, model.visible_bias, model.hidden_bias))
    brute_force_log_likelihood(W, b, c, rows, *shape).backward()
    gradient = exact.log_likelihood_gradient(model, rows)
    torch.testing.assert_close(gradient.weight, W.grad, atol=TOL, rtol=0)
    torch.testing.assert_close(gradient.visible_bias, b.grad, atol=TOL, rtol=0)
    torch.testing.assert_close(gradient.hidden_bias, c.grad, atol=TOL, rtol=0)


def test_cd_gradient_approaches_the_exact_gradient_as_k_grows():
    """CD-1 is measurably biased; CD-25 agrees with the exact gradient within sampling noise."""
    model = tiny_model(seed=8, scale=2.0)
    n = 20000
    rows = torch.tensor([[0, 0, 0], [2, 2, 2], [1, 0, 2]]).repeat(n // 3 + 1, 1)[:n]
    exact_gradient = exact.log_likelihood_gradient(model, rows)
    tolerance = hoeffding(n, 27 + 9 + 3)  # only the negative phase is sampled; each statistic lies in [0, 1]

    def error(k):
        estimate = cd_gradient(model, rows, k, generator=torch.Generator().manual_seed(k))
        return max((e - x).abs().max().item() for e, x in zip(estimate, exact_gradient))

    errors = {k: error(k) for k in (1, 3, 25)}
    assert errors[25] < tolerance
    assert errors[1] > 2 * tolerance
    assert errors[1] > errors[3] > errors[25]


def test_pcd_gradient_from_chains_at_the_model_distribution():
    """Chains drawn from p(V): PCD-1's estimate is unbiased, and the chains move as often as one exact Gibbs step says."""
    model = tiny_model(seed=10, scale=2.0)
    n = 20000
    transition, p = gibbs_transition(model)
    states = exact.all_categories(3, 3)
    chains = states[torch.multinomial(torch.from_numpy(p), n, replacement=True, generator=torch.Generator().manual_seed(6))]
    rows = torch.tensor([[0, 1, 2], [2, 2, 0]]).repeat(n // 2, 1)
    gradient, advanced = pcd_gradient(model, rows, chains, 1, generator=torch.Generator().manual_seed(7))
    exact_gradient = exact.log_likelihood_gradient(model, rows)
    tolerance = hoeffding(n, 27 + 9 + 3)
    assert max((e - x).abs().max().item() for e, x in zip(gradient, exact_gradient)) < tolerance
    moved = (advanced != chains).any(1).double().mean().item()
    assert abs(moved - (1 - p @ np.diag(transition))) < hoeffding(n)


def test_unrated_movies_stay_unrated_and_get_zero_gradient():
    model = tiny_model(n_items=4, n_categories=3, n_hidden=3, seed=9)
    g = torch.Generator().manual_seed(4)
    v = torch.randint(-1, 3, (50, 4), generator=g)
    v[:, 1] = -1  # nobody rated movie 1
    gradient = cd_gradient(model, v, 3, generator=g)
    assert (gradient.weight[1] == 0).all() and (gradient.visible_bias[1] == 0).all()
    assert gradient.weight[[0, 2, 3]].abs().sum() > 0
    gradient, chains = pcd_gradient(model, v, v, 2, generator=g)
    assert (gradient.weight[1] == 0).all() and (gradient.visible_bias[1] == 0).all()
    assert torch.equal(chains == -1, v == -1)
    assert torch.equal(model.gibbs(v, 5, generator=g) == -1, v == -1)
    for method in ("cd", "pcd-per-row"):
        before = model.weight[1].clone(), model.visible_bias[1].clone()
        train(model, v, epochs=2, batch_size=16, learning_rate=0.5, momentum=0.5, method=method, seed=0, progress=False)
        assert torch.equal(model.weight[1], before[0]) and torch.equal(model.visible_bias[1], before[1])


# ---------------------------------------------------------------------- training
@pytest.mark.parametrize("method", ["cd", "pcd"])
def test_training_on_samples_of_a_known_model_raises_the_exact_log_likelihood(method):
    true_model = SoftmaxRBM(4, 3, 3, seed=2, dtype=torch.float64, init_std=3.0)
    states, p = exact.visible_distribution(true_model)
    data = states[torch.multinomial(p, 2000, replacement=True, generator=torch.Generator().manual_seed(2))]
    best = exact.log_likelihood(true_model, data).mean().item()
    model = SoftmaxRBM(4, 3, 3, seed=1, dtype=torch.float64)
    model.init_visible_bias(data)
    before = exact.log_likelihood(model, data).mean().item()
    history = train(model, data, epochs=30, batch_size=100, learning_rate=0.1, method=method, seed=0, progress=False)
    after = exact.log_likelihood(model, data).mean().item()
    assert best - before > 0.3  # there is something to learn beyond the movies' base rates
    assert after - before > 0.6 * (best - before)  # most of the gap to the true model is closed
    assert list(history.columns) == ["train_error", "held_out_error", "free_energy_gap", "seconds"]
    assert history["train_error"].iloc[-1] < history["train_error"].iloc[0]


def test_train_is_reproducible_with_a_seed_and_reports_held_out_monitors():
    g = torch.Generator().manual_seed(5)
    data = torch.randint(-1, 5, (60, 8), generator=g)
    runs = []
    for _ in range(2):
        model = SoftmaxRBM(8, 5, 4, seed=3, dtype=torch.float64)
        history = train(model, data[:40], epochs=2, batch_size=16, k=2, seed=1, held_out=data[40:], progress=False)
        runs.append((history.drop(columns="seconds"), model.weight.clone()))
    assert runs[0][0].equals(runs[1][0]) and torch.equal(runs[0][1], runs[1][1])
    assert runs[0][0].notna().all().all()


def test_init_visible_bias_gives_smoothed_category_frequencies():
    v = torch.tensor([[0, 2, -1], [0, 1, -1], [1, 2, -1], [0, 2, 2]])
    model = SoftmaxRBM(3, 3, 2, dtype=torch.float64)
    model.init_visible_bias(v)
    counts = torch.tensor([[3, 1, 0], [0, 1, 3], [0, 0, 1]], dtype=torch.float64)
    expected = (counts + 0.5) / (counts.sum(1, keepdim=True) + 1.5)
    torch.testing.assert_close(torch.softmax(model.visible_bias, -1), expected, atol=TOL, rtol=0)
    # K = 2 gives the binary RBM's initial visible bias (a logit) as a difference of the two categories
    binary = torch.tensor([[1.0, 0.0, -1.0], [1.0, 1.0, -1.0], [0.0, 1.0, 1.0]])
    two, rbm = SoftmaxRBM(3, 2, 2, dtype=torch.float64), RBM(3, 2, dtype=torch.float64)
    two.init_visible_bias(binary.long())
    rbm.init_visible_bias(binary)
    torch.testing.assert_close(two.visible_bias[:, 1] - two.visible_bias[:, 0], rbm.visible_bias, atol=TOL, rtol=0)


# ---------------------------------------------------------------------- ratings, saving, validation
def test_categories_from_ratings_and_expected_category():
    ratings = torch.tensor([[1.0, 2.0, 3.0, 4.0, 5.0, 0.0, float("nan"), -1.0]])
    assert categories_from_ratings(ratings, 5).tolist() == [[0, 1, 2, 3, 4, -1, -1, -1]]
    assert categories_from_ratings(ratings, 2).tolist() == [[0, 0, 1, 1, 1, -1, -1, -1]]
    p = torch.tensor([[0.1, 0.2, 0.3, 0.2, 0.2], [0.0, 0.0, 0.0, 0.0, 1.0]])
    torch.testing.assert_close(expected_category(p) + 1, torch.tensor([3.2, 5.0]))
    assert expected_category(torch.tensor([0.3, 0.7])).item() == pytest.approx(0.7)


def test_save_and_load_round_trip(tmp_path):
    model = tiny_model(n_items=4, n_categories=5, n_hidden=3, seed=11)
    model.gibbs(torch.zeros(2, 4, dtype=torch.long), 1)  # move the generator on
    path = model.save(tmp_path / "softmax.pt")
    loaded = SoftmaxRBM.load(path)
    for name, parameter in model.named_parameters():
        assert torch.equal(parameter, getattr(loaded, name)) and getattr(loaded, name).dtype == torch.float64
    assert (loaded.n_items, loaded.n_categories, loaded.n_hidden) == (4, 5, 3)
    v = torch.zeros(3, 4, dtype=torch.long)
    assert torch.equal(model.gibbs(v, 2), loaded.gibbs(v, 2))  # the sampling state came back too
    with pytest.raises(FileNotFoundError, match="No saved SoftmaxRBM"):
        SoftmaxRBM.load(tmp_path / "nothing.pt")
    RBM(4, 3).save(tmp_path / "binary.pt")
    with pytest.raises(ValueError, match="not a file written by SoftmaxRBM.save"):
        SoftmaxRBM.load(tmp_path / "binary.pt")


model3 = SoftmaxRBM(3, 3, 2, seed=0)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: model3.free_energy(torch.tensor([[0, 3, 1]])), r"v must hold categories 0\.\.2 .*got values in \[0, 3\].*categories_from_ratings"),
        (lambda: model3.free_energy(torch.tensor([[0, -2, 1]])), r"v must hold categories 0\.\.2 \(or -1 for unrated\); got values in \[-2, 1\]"),
        (lambda: model3.free_energy(torch.tensor([[0.0, 0.5, 1.0]])), r"v must hold whole numbers"),
        (lambda: model3.free_energy(torch.tensor([[0.0, float("nan"), 1.0]])), r"v contains NaN; mark an unrated movie with -1"),
        (lambda: model3.free_energy(torch.tensor([[0, 1]])), r"v must have shape \(batch, 3\).*got shape \(1, 2\)"),
        (lambda: model3.free_energy(torch.zeros(2, 3, 3)), r"got shape \(2, 3, 3\)\. This looks one-hot"),
        (lambda: model3.free_energy(torch.zeros(0, 3, dtype=torch.long)), r"v is an empty batch"),
        (lambda: model3.free_energy([[0, 1, 2]]), r"v must be a torch.Tensor .* got list"),
        (lambda: model3.free_energy(torch.ones(1, 3, dtype=torch.bool)), r"v must be a torch.Tensor .* got dtype torch.bool"),
        (lambda: model3.energy(torch.zeros(2, 3, dtype=torch.long), torch.zeros(3, 2)), r"same number of rows; got 2 and 3"),
        (lambda: model3.visible_probabilities(torch.full((1, 2), 1.5)), r"h must hold hidden states or probabilities in \[0, 1\]"),
        (lambda: model3.visible_probabilities(torch.zeros(1, 5)), r"h must have shape \(batch, 2\)"),
        (lambda: exact.log_likelihood(model3, torch.tensor([[0, -1, 1]])), r"needs every movie rated"),
        (lambda: model3.predict(torch.zeros(2, 3, dtype=torch.long), torch.tensor([0, 2]), torch.tensor([0, 1])), r"users must hold indices in 0\.\.1; got values in \[0, 2\]"),
        (lambda: model3.predict(torch.zeros(2, 3, dtype=torch.long), torch.tensor([0]), torch.tensor([0]), method="exactly"), r"method must be one of"),
        (lambda: model3.gibbs(torch.zeros(1, 3, dtype=torch.long), -1), r"steps must be an integer >= 0; got -1"),
        (lambda: train(model3, torch.tensor([[0, 5, 1]]), progress=False), r"data must hold categories 0\.\.2"),
        (lambda: SoftmaxRBM(3, 1, 2), r"n_categories must be an integer >= 2; got 1"),
        (lambda: categories_from_ratings(torch.tensor([4.0, 6.0]), 5), r"ratings must hold whole stars 1\.\.5.*\[4, 6\]"),
        (lambda: categories_from_ratings(torch.tensor([4.0]), 3), r"n_categories must be 2 .*, 5 .*, 10 .*; got 3"),
    ],
)
def test_bad_input_raises_a_value_error_naming_the_argument(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_exact_computations_refuse_models_too_large_to_enumerate():
    with pytest.raises(ValueError, match="n_visible=30 Softmax units, n_hidden=30"):
        exact.log_partition(SoftmaxRBM(30, 5, 30))
    # 100 movies but only 3 hidden units: the hidden layer is enumerated, so this is exact and fine
    assert torch.isfinite(exact.log_partition(SoftmaxRBM(100, 5, 3, seed=0)))
