"""The softmax RBM with tied weights and the conditional input (notebook 06), against brute force.

The brute force shares no code with the package: it evaluates the energy
from its definition,

    E(V, h; r) = -sum_{rated i} b[i, k_i] - c . h - sum_{rated i} (W[i, k_i] + U[k_i]) . h - (r @ D) . h,

and sums exp(-E) over every state of a tiny model with itertools. The CD
test derives its tolerance from the sample size (Hoeffding, failure
probability 1e-6) and uses fixed seeds.
"""
import itertools
import math

import numpy as np
import pytest
import torch

from rbm_helpers import SoftmaxRBM
from rbm_helpers import softmax_exact as exact
from rbm_helpers import cd_gradient
from rbm_helpers.softmax_conditional import ConditionalSoftmaxRBM, train_conditional

TOL = 1e-6
DELTA = 1e-6


pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py


def tiny_model(n_items=3, n_categories=3, n_hidden=3, seed=0, scale=1.0, **flags):
    """A float64 conditional softmax RBM with every parameter (tied and conditional ones too) of order ``scale``."""
    model = ConditionalSoftmaxRBM(n_items, n_categories, n_hidden, seed=seed, dtype=torch.float64, init_std=scale, **flags)
    g = torch.Generator().manual_seed(seed + 100)
    for parameter in (model.visible_bias, model.hidden_bias, model.tied_weight, model.conditional_weight):
        parameter.copy_(torch.randn(parameter.shape, generator=g, dtype=torch.float64) * scale)
    return model


def parameters(model):
    return tuple(p.detach().numpy() for p in (model.weight, model.visible_bias, model.hidden_bias, model.tied_weight, model.conditional_weight))


def energy(W, b, c, U, D, v, h, r):
    """E(V, h; r) from its definition; movies with category -1 are not in the row's RBM."""
    h = np.asarray(h, dtype=float)
    e = -(c @ h) - (np.asarray(r, dtype=float) @ D) @ h
    for i, k in enumerate(v):
        if k >= 0:
            e -= b[i, k] + (W[i, k] + U[k]) @ h
    return e


def hidden_states(n_hidden):
    return np.array(list(itertools.product([0.0, 1.0], repeat=n_hidden)))


def logsumexp(x):
    m = np.max(x)
    return m + np.log(np.sum(np.exp(x - m)))


def hoeffding(n_samples, n_statistics=1):
    return math.sqrt(math.log(2 * n_statistics / DELTA) / (2 * n_samples))


def equivalent_plain_model(model, r_row):
    """The SoftmaxRBM with weight W + U and hidden bias c + r D: the conditional model for a fixed r."""
    plain = SoftmaxRBM(model.n_items, model.n_categories, model.n_hidden, dtype=torch.float64)
    plain.weight.copy_(model.weight + model.tied_weight)
    plain.visible_bias.copy_(model.visible_bias)
    plain.hidden_bias.copy_(model.hidden_bias + torch.as_tensor(r_row, dtype=torch.float64) @ model.conditional_weight)
    return plain


ROWS = [(0, -1, 2), (-1, -1, 1), (2, 1, 0), (1, -1, -1)]
RATED = [(1, 1, 1), (0, 1, 1), (1, 1, 1), (1, 0, 1)]  # rated movies, plus some "asked" ones


# ---------------------------------------------------------------------- the energy and what follows from it
def test_energy_and_free_energy_match_the_definition():
    model = tiny_model(seed=1, scale=1.5)
    W, b, c, U, D = parameters(model)
    H = hidden_states(model.n_hidden)
    v, r = torch.tensor(ROWS), torch.tensor(RATED)
    h = torch.tensor(H[[1, 6, 7, 3]])
    expected = [energy(W, b, c, U, D, row, hh, rr) for row, hh, rr in zip(ROWS, H[[1, 6, 7, 3]], RATED)]
    np.testing.assert_allclose(model.energy(v, h, condition=r).numpy(), expected, atol=TOL, rtol=0)
    free = [-logsumexp(np.array([-energy(W, b, c, U, D, row, hh, rr) for hh in H])) for row, rr in zip(ROWS, RATED)]
    np.testing.assert_allclose(model.free_energy(v, condition=r).numpy(), free, atol=TOL, rtol=0)
    # by default r is just the rated movies of v
    default = [tuple(int(k >= 0) for k in row) for row in ROWS]
    torch.testing.assert_close(model.free_energy(v), model.free_energy(v, condition=torch.tensor(default)), atol=TOL, rtol=0)


def test_for_a_fixed_r_it_is_a_softmax_rbm_with_weight_w_plus_u_and_hidden_bias_c_plus_rd():
    model = tiny_model(n_items=4, n_categories=5, n_hidden=3, seed=2, scale=1.5)
    g = torch.Generator().manual_seed(0)
    v = torch.randint(-1, 5, (6, 4), generator=g)
    r = ((v != -1) | (torch.rand(6, 4, generator=g) < 0.5)).long()
    h = (torch.rand(6, 3, generator=g) < 0.5).double()
    for row in range(6):
        plain, one = equivalent_plain_model(model, r[row]), slice(row, row + 1)
        torch.testing.assert_close(model.energy(v[one], h[one], condition=r[one]), plain.energy(v[one], h[one]), atol=TOL, rtol=0)
        torch.testing.assert_close(model.hidden_probabilities(v[one], condition=r[one]), plain.hidden_probabilities(v[one]), atol=TOL, rtol=0)
        torch.testing.assert_close(model.reconstruct(v[one], condition=r[one]), plain.reconstruct(v[one]), atol=TOL, rtol=0)
        torch.testing.assert_close(model.exact_conditional(v[one], condition=r[one]), plain.exact_conditional(v[one]), atol=TOL, rtol=0)
        items = torch.tensor([0, 3, 1])
        users = torch.zeros(3, dtype=torch.long)
        torch.testing.assert_close(
            model.predict(v[one], users, items, condition=r[one], method="exact"), plain.predict(v[one], users, items, method="exact"),
            atol=TOL, rtol=0,
        )
        same = model.gibbs(v[one].repeat(50, 1), 3, condition=r[one].repeat(50, 1), generator=torch.Generator().manual_seed(row))
        assert torch.equal(same, plain.gibbs(v[one].repeat(50, 1), 3, generator=torch.Generator().manual_seed(row)))
    torch.testing.assert_close(model.visible_probabilities(h), equivalent_plain_model(model, r[0]).visible_probabilities(h))


def test_exact_conditional_matches_brute_force_with_the_asked_movie_in_r():
    """p(v_q = k | V, r) by putting k in place q and summing exp(-E) over h; r keeps q (it is asked about)."""
    model = tiny_model(n_items=3, n_categories=3, n_hidden=4, seed=3, scale=1.5)
    W, b, c, U, D = parameters(model)
    H = hidden_states(model.n_hidden)
    result = model.exact_conditional(torch.tensor(ROWS), condition=torch.tensor(RATED)).numpy()
    for row, rr, got in zip(ROWS, RATED, result):
        for q in range(3):
            log_weights = []
            for k in range(3):
                v = list(row)
                v[q] = k
                log_weights.append(logsumexp(np.array([-energy(W, b, c, U, D, v, hh, rr) for hh in H])))
            log_weights = np.array(log_weights)
            np.testing.assert_allclose(got[q], np.exp(log_weights - logsumexp(log_weights)), atol=TOL, rtol=0)


def test_an_untrained_model_predicts_as_the_softmax_rbm_with_the_same_seed():
    """Tied and conditional weights start at zero: the additions change nothing until training moves them."""
    v = torch.randint(-1, 5, (5, 7), generator=torch.Generator().manual_seed(1))
    plain = SoftmaxRBM(7, 5, 4, seed=3, init_std=0.5)
    model = ConditionalSoftmaxRBM(7, 5, 4, seed=3, init_std=0.5)
    assert torch.equal(model.weight, plain.weight)
    torch.testing.assert_close(model.reconstruct(v, condition=torch.ones(5, 7)), plain.reconstruct(v))


# ---------------------------------------------------------------------- gradients and training
def brute_force_log_likelihood(W, b, c, U, D, rows, rated, n_categories, n_hidden):
    """Mean log p(V | r) over ``rows``: each row's own RBM (its rated movies), every state enumerated, differentiable."""
    H = torch.tensor(hidden_states(n_hidden))
    total = 0.0
    for row, r in zip(rows, rated):
        items = [i for i, k in enumerate(row) if k >= 0]
        hidden_term = H @ (c + torch.tensor(r, dtype=torch.float64) @ D)

        def minus_energy(categories):
            return hidden_term + sum(b[i, k] + H @ (W[i, k] + U[k]) for i, k in zip(items, categories))

        log_z = torch.logsumexp(torch.stack([minus_energy(s) for s in itertools.product(range(n_categories), repeat=len(items))]).reshape(-1), 0)
        total = total + torch.logsumexp(minus_energy([row[i] for i in items]), 0) - log_z
    return total / len(rows)


def test_cd_gradient_approaches_the_exact_gradient_of_log_p_v_given_r():
    """CD-25 agrees with autograd of the brute-force log p(V | r) for every parameter, tied and conditional ones included."""
    model = tiny_model(seed=4, scale=1.0)
    patterns, pattern_r = [(0, -1, 2), (2, 1, -1), (1, 1, 1)], [(1, 1, 1), (1, 1, 0), (1, 1, 1)]
    names = ("weight", "visible_bias", "hidden_bias", "tied_weight", "conditional_weight")
    leaves = [getattr(model, name).detach().clone().requires_grad_() for name in names]
    brute_force_log_likelihood(*leaves, patterns, pattern_r, 3, 3).backward()
    n = 30000
    rows = torch.tensor(patterns).repeat(n // 3, 1)
    rated = torch.tensor(pattern_r).repeat(n // 3, 1)
    estimate = cd_gradient(model, rows, 25, condition=rated, generator=torch.Generator().manual_seed(0))
    tolerance = hoeffding(n, 27 + 9 + 3 + 9 + 9)  # only the negative phase is sampled
    scale = {"tied_weight": model.n_items}  # a sum over the movies of weight-sized statistics
    for name, leaf, got in zip(names, leaves, estimate):
        assert (got - leaf.grad).abs().max().item() < scale.get(name, 1) * tolerance, name
    biased = cd_gradient(model, rows, 1, condition=rated, generator=torch.Generator().manual_seed(1))
    assert max((g - leaf.grad).abs().max().item() for g, leaf in zip(biased, leaves)) > 2 * tolerance  # CD-1 is biased


def test_training_raises_the_exact_log_likelihood_and_is_reproducible():
    true_model = SoftmaxRBM(4, 3, 3, seed=2, dtype=torch.float64, init_std=3.0)
    states, p = exact.visible_distribution(true_model)
    data = states[torch.multinomial(p, 2000, replacement=True, generator=torch.Generator().manual_seed(2))]
    best = exact.log_likelihood(true_model, data).mean().item()
    runs = []
    for _ in range(2):
        model = ConditionalSoftmaxRBM(4, 3, 3, seed=1, dtype=torch.float64)
        model.init_visible_bias(data)
        before = exact.log_likelihood(equivalent_plain_model(model, torch.ones(4)), data).mean().item()
        history = train_conditional(model, data, epochs=30, batch_size=100, learning_rate=0.1, tied_learning_rate=0.02, seed=0, progress=False)
        after = exact.log_likelihood(equivalent_plain_model(model, torch.ones(4)), data).mean().item()
        runs.append((history.drop(columns="seconds"), [p.clone() for p in model.parameters()]))
    assert best - before > 0.3 and after - before > 0.6 * (best - before)
    assert list(history.columns) == ["train_error", "held_out_error", "free_energy_gap", "seconds"] and history["train_error"].iloc[-1] < history["train_error"].iloc[0]
    assert model.tied_weight.abs().sum() > 0 and model.conditional_weight.abs().sum() > 0
    assert runs[0][0].equals(runs[1][0]) and all(torch.equal(a, b) for a, b in zip(runs[0][1], runs[1][1]))
    # without the monitor: the same model (the monitor draws no random numbers), no training error
    model = ConditionalSoftmaxRBM(4, 3, 3, seed=1, dtype=torch.float64)
    model.init_visible_bias(data)
    quiet = train_conditional(model, data, epochs=30, batch_size=100, learning_rate=0.1, tied_learning_rate=0.02, seed=0,
                              progress=False, monitor=False)
    assert quiet["train_error"].isna().all() and all(torch.equal(a, b) for a, b in zip(model.parameters(), runs[0][1]))


@pytest.mark.parametrize("tied, conditional", [(False, True), (True, False), (False, False)])
def test_a_part_switched_off_stays_zero(tied, conditional):
    data = torch.randint(-1, 3, (40, 5), generator=torch.Generator().manual_seed(3))
    model = ConditionalSoftmaxRBM(5, 3, 4, tied=tied, conditional=conditional, seed=0, dtype=torch.float64)
    rated = (data != -1).long() if conditional else None
    train_conditional(model, data, rated=rated, epochs=2, batch_size=16, learning_rate=0.5, weight_decay=0.01, seed=0, progress=False)
    assert (model.tied_weight.abs().sum() > 0) == tied
    assert (model.conditional_weight.abs().sum() > 0) == conditional
    assert model.weight.abs().sum() > 0


def test_unrated_movies_stay_unrated_and_asked_movies_get_only_a_conditional_gradient():
    model = tiny_model(n_items=4, n_categories=3, n_hidden=3, seed=5)
    g = torch.Generator().manual_seed(4)
    v = torch.randint(0, 3, (50, 4), generator=g)
    v[:, 1] = -1  # nobody rated movie 1 ...
    rated = (v != -1).long()
    rated[:, 1] = 1  # ... but everybody is asked about it
    gradient = cd_gradient(model, v, 2, condition=rated, generator=g)
    assert (gradient.weight[1] == 0).all() and (gradient.visible_bias[1] == 0).all()
    assert gradient.conditional_weight[1].abs().sum() > 0
    assert torch.equal(model.gibbs(v, 3, condition=rated, generator=g) == -1, v == -1)


# ---------------------------------------------------------------------- saving and bad input
def test_save_and_load_keep_the_flags_and_every_parameter(tmp_path):
    model = tiny_model(n_items=4, n_categories=5, n_hidden=3, seed=6, tied=False)
    loaded = ConditionalSoftmaxRBM.load(model.save(tmp_path / "conditional.pt"))
    assert (loaded.tied, loaded.conditional) == (False, True)
    for name, parameter in model.named_parameters():
        assert torch.equal(parameter, getattr(loaded, name))
    with pytest.raises(ValueError, match="not a file written by SoftmaxRBM.save"):
        SoftmaxRBM.load(tmp_path / "conditional.pt")


model4 = ConditionalSoftmaxRBM(4, 3, 2, seed=0)
plain4 = ConditionalSoftmaxRBM(4, 3, 2, conditional=False, seed=0)
v4 = torch.tensor([[0, -1, 2, 1]])


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: model4.hidden_probabilities(v4, condition=torch.tensor([[1, 1, 0, 1]])), r"condition must be 1 wherever v holds a rating"),
        (lambda: model4.hidden_probabilities(v4, condition=torch.tensor([[1, 1, 2, 1]])), r"condition must hold only 0 and 1"),
        (lambda: model4.hidden_probabilities(v4, condition=torch.ones(1, 3)), r"condition must have the shape of v, \(1, 4\).*got shape \(1, 3\)"),
        (lambda: model4.hidden_probabilities(v4, condition=[[1, 1, 1, 1]]), r"condition must be a torch.Tensor"),
        (lambda: plain4.hidden_probabilities(v4, condition=torch.ones(1, 4)), r"condition .*is only used by a conditional model"),
        (lambda: train_conditional(SoftmaxRBM(4, 3, 2), v4, progress=False), r"model must be a ConditionalSoftmaxRBM; got SoftmaxRBM"),
        (lambda: train_conditional(model4, v4, tied_learning_rate=-1, progress=False), r"tied_learning_rate must be a finite number >= 0"),
        (lambda: ConditionalSoftmaxRBM(4, 3, 2, tied=1), r"tied must be True or False; got 1"),
    ],
)
def test_bad_input_raises_a_value_error_naming_the_argument(call, message):
    with pytest.raises(ValueError, match=message):
        call()
