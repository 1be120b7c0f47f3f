"""Tests for rbm_helpers.seed_recipe: the seed article's recipe, checked against loop-by-loop references."""
from __future__ import annotations

import math

import pytest
import torch

from rbm_helpers.seed_recipe import SeedRBM, seed_predict, seed_test_loss, train_seed_recipe

M = -1.0


def random_binary(seed, shape, rated=0.5):
    g = torch.Generator().manual_seed(seed)
    liked = (torch.rand(shape, generator=g) < 0.7).float()
    return torch.where(torch.rand(shape, generator=g) < rated, liked, torch.full(shape, M))


def sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def reference_epoch(data, n_hidden, batch_size, k, seed):
    """One epoch of the seed's recipe with every sum written as a loop; draws in the seed's order."""
    n_users, n_movies = data.shape
    g = torch.Generator().manual_seed(seed)
    W = torch.randn(n_hidden, n_movies, generator=g)
    a = torch.randn(1, n_hidden, generator=g)
    b = torch.randn(1, n_movies, generator=g)

    def p_hidden(v):  # sigmoid(sum_i v_i W_ji + a_j), the -1 of unrated movies included
        return torch.tensor(
            [[sigmoid(sum(v[n, i].item() * W[j, i].item() for i in range(n_movies)) + a[0, j].item())
              for j in range(n_hidden)] for n in range(v.shape[0])]
        )

    def p_visible(h):
        return torch.tensor(
            [[sigmoid(sum(h[n, j].item() * W[j, i].item() for j in range(n_hidden)) + b[0, i].item())
              for i in range(n_movies)] for n in range(h.shape[0])]
        )

    losses = []
    for start in range(0, n_users - batch_size, batch_size):
        v0 = data[start : start + batch_size]
        ph0 = p_hidden(v0)
        torch.bernoulli(ph0, generator=g)  # the seed draws this sample and throws it away
        vk = v0.clone()
        for _ in range(k):
            hk = torch.bernoulli(p_hidden(vk), generator=g)
            vk = torch.bernoulli(p_visible(hk), generator=g)
            vk = torch.where(v0 < 0, v0, vk)
        phk = p_hidden(vk)
        torch.bernoulli(phk, generator=g)
        for j in range(n_hidden):
            for i in range(n_movies):
                W[j, i] += sum(v0[n, i] * ph0[n, j] - vk[n, i] * phk[n, j] for n in range(v0.shape[0]))
            a[0, j] += sum(ph0[n, j] - phk[n, j] for n in range(v0.shape[0]))
        for i in range(n_movies):
            b[0, i] += sum(v0[n, i] - vk[n, i] for n in range(v0.shape[0]))
        rated = [(n, i) for n in range(v0.shape[0]) for i in range(n_movies) if v0[n, i] >= 0]
        losses.append(sum(abs(v0[n, i] - vk[n, i]).item() for n, i in rated) / len(rated))
    return W, a, b, sum(losses) / len(losses)


def test_one_epoch_matches_a_loop_by_loop_reference():
    data = random_binary(1, (7, 5))
    rbm, history = train_seed_recipe(data, n_hidden=3, batch_size=2, epochs=1, k=3, seed=4)
    W, a, b, loss = reference_epoch(data, n_hidden=3, batch_size=2, k=3, seed=4)
    assert torch.allclose(rbm.W, W, atol=1e-4)
    assert torch.allclose(rbm.a, a, atol=1e-4)
    assert torch.allclose(rbm.b, b, atol=1e-4)
    assert history.loc[1, "train_loss"] == pytest.approx(loss, abs=1e-6)


def test_parameters_have_the_seeds_shapes_and_standard_normal_start():
    rbm = SeedRBM(400, 50, generator=torch.Generator().manual_seed(0))
    assert rbm.W.shape == (50, 400) and rbm.a.shape == (1, 50) and rbm.b.shape == (1, 400)
    n = rbm.W.numel()
    assert abs(rbm.W.mean().item()) < 5 / math.sqrt(n)
    assert abs(rbm.W.std().item() - 1) < 5 / math.sqrt(2 * n)


def test_sample_h_lets_the_minus_one_of_unrated_movies_into_the_sum():
    rbm = SeedRBM(3, 2, generator=torch.Generator().manual_seed(0))
    x = torch.tensor([[1.0, M, 0.0]])
    p, h = rbm.sample_h(x)
    expected = [sigmoid(rbm.W[j, 0].item() - rbm.W[j, 1].item() + rbm.a[0, j].item()) for j in range(2)]
    assert torch.allclose(p[0], torch.tensor(expected), atol=1e-6)
    assert set(h.unique().tolist()) <= {0.0, 1.0}


def test_the_last_batch_is_never_trained_on():
    data = random_binary(2, (250, 12))  # batches start at 0 and 100; users 200..249 are skipped
    changed = data.clone()
    changed[200:] = random_binary(3, (50, 12))
    model, history = train_seed_recipe(data, n_hidden=4, batch_size=100, epochs=2, seed=1)
    same, same_history = train_seed_recipe(changed, n_hidden=4, batch_size=100, epochs=2, seed=1)
    assert torch.equal(model.W, same.W) and history.train_loss.equals(same_history.train_loss)
    every, _ = train_seed_recipe(data, n_hidden=4, batch_size=100, epochs=2, seed=1, skip_last_batch=False)
    every_changed, _ = train_seed_recipe(changed, n_hidden=4, batch_size=100, epochs=2, seed=1, skip_last_batch=False)
    assert not torch.equal(every.W, every_changed.W)


def test_unrated_units_are_put_back_so_a_movie_nobody_rated_keeps_its_visible_bias():
    data = random_binary(4, (30, 6))
    data[:, 2] = M
    rbm, _ = train_seed_recipe(data, n_hidden=5, batch_size=10, epochs=3, seed=2)
    start = SeedRBM(6, 5, generator=torch.Generator().manual_seed(2))
    assert rbm.b[0, 2] == start.b[0, 2]
    assert not torch.equal(rbm.b, start.b)


def test_training_is_reproducible_from_the_seed_and_reports_each_epoch():
    data = random_binary(5, (45, 8))
    first, history = train_seed_recipe(data, n_hidden=4, batch_size=10, epochs=3, seed=7)
    again, history_again = train_seed_recipe(data, n_hidden=4, batch_size=10, epochs=3, seed=7)
    other, _ = train_seed_recipe(data, n_hidden=4, batch_size=10, epochs=3, seed=8)
    assert torch.equal(first.W, again.W) and history.train_loss.equals(history_again.train_loss)
    assert not torch.equal(first.W, other.W)
    assert list(history.index) == [1, 2, 3] and list(history.columns) == ["train_loss", "seconds"]
    assert history.train_loss.between(0, 1).all() and (history.seconds > 0).all()


def deterministic_rbm(visible_bias):
    """Hidden units always off, so p(v = 1) = sigmoid(visible_bias): 0 or 1 for biases of -+100."""
    rbm = SeedRBM(len(visible_bias), 2)
    rbm.W.zero_()
    rbm.a.fill_(-100.0)
    rbm.b = torch.tensor([visible_bias])
    return rbm


def test_seed_predict_gives_the_probabilities_and_their_sample():
    rbm = deterministic_rbm([100.0, -100.0, 0.0])
    probabilities, sample = seed_predict(rbm, torch.tensor([[1.0, M, 0.0], [M, M, M]]), seed=0)
    assert torch.allclose(probabilities, torch.tensor([[1.0, 0.0, 0.5]] * 2))
    assert torch.equal(sample[:, :2], torch.tensor([[1.0, 0.0]] * 2))
    rbm = SeedRBM(6, 3, generator=torch.Generator().manual_seed(1))
    train = random_binary(6, (4, 6))
    probabilities, sample = seed_predict(rbm, train, seed=3)
    g = torch.Generator().manual_seed(3)
    h = torch.bernoulli(torch.sigmoid(train @ rbm.W.T + rbm.a), generator=g)  # the hidden sample, redrawn
    assert torch.allclose(probabilities, torch.sigmoid(h @ rbm.W + rbm.b))
    assert torch.equal(sample, torch.bernoulli(probabilities, generator=g))


def test_seed_test_loss_averages_per_user_over_users_with_test_ratings():
    rbm = deterministic_rbm([100.0, 100.0, -100.0, -100.0])  # predicts 1, 1, 0, 0 for everyone
    train = torch.tensor([[1.0, M, M, M], [M, M, M, 0.0], [M, 1.0, M, M]])
    test = torch.tensor([[M, 1.0, 1.0, 0.0], [0.0, M, M, M], [M, M, M, M]])
    # user 0: errors 0, 1, 0 -> 1/3; user 1: error 1 -> 1; user 2 has no test rating
    assert seed_test_loss(rbm, train, test) == pytest.approx((1 / 3 + 1) / 2)


def test_inputs_are_checked_by_name():
    with pytest.raises(ValueError, match=r"more than batch_size = 100 users .* got 100 users"):
        train_seed_recipe(random_binary(7, (100, 5)))
    with pytest.raises(ValueError, match=r"train_matrix must hold 1 \(liked\), 0 .* got values in \[-1, 5\]"):
        train_seed_recipe(torch.tensor([[5.0, M]] * 3), batch_size=1)
    with pytest.raises(ValueError, match=r"k must be an integer >= 1; got 0"):
        train_seed_recipe(random_binary(7, (30, 5)), batch_size=10, k=0)
    with pytest.raises(ValueError, match=r"train_matrix must have 3 columns .* got shape \(2, 4\)"):
        seed_predict(deterministic_rbm([0.0, 0.0, 0.0]), torch.zeros(2, 4))
