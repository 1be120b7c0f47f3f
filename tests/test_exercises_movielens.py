"""Each checker of notebooks 03-05 accepts a right answer and rejects typical wrong ones."""
import torch
import torch.nn.functional as F

from rbm_helpers import exercises as ex


def liked_matrix(ratings, n_users, n_items):
    matrix = torch.full((n_users, n_items), -1.0)
    liked = torch.tensor((ratings["rating"].to_numpy() >= 3).astype("float32"))
    matrix[ratings["user_id"].to_numpy() - 1, ratings["item_id"].to_numpy() - 1] = liked
    return matrix


def pll(v, weight, visible_bias, hidden_bias):
    observed = v != -1
    x = v.clamp(min=0)
    a = x @ weight + hidden_bias
    flip = 1 - 2 * x
    change = (F.softplus(a[:, None, :] + flip[:, :, None] * weight[None]) - F.softplus(a)[:, None, :]).sum(-1)
    return F.logsigmoid(-flip * visible_bias - change)[observed].mean()


def top_k(scores, train, k):
    return torch.where(train == -1, scores, torch.tensor(-torch.inf, dtype=scores.dtype)).topk(k, dim=1).indices


def mae_threshold(scores, test):
    held = test != -1
    errors = (((scores >= 0.5).double() - test).abs() * held).sum(1)
    users = held.sum(1) > 0
    return (errors[users] / held.sum(1)[users]).mean()


def test_right_answers_pass(capsys):
    assert ex.check_liked_matrix(liked_matrix)
    assert ex.check_batch_starts(lambda n, b: list(range(0, n, b)))
    assert ex.check_pseudo_log_likelihood(pll)
    assert ex.check_free_energy_gap(lambda rbm, t, h: rbm.free_energy(h).mean() - rbm.free_energy(t).mean())
    assert ex.check_top_k(top_k)
    assert ex.check_mae_threshold(mae_threshold)
    assert capsys.readouterr().out.count("Correct!") == 6


def test_typical_mistakes_are_named(capsys):
    assert not ex.check_liked_matrix(lambda r, u, i: liked_matrix(r, u, i).clamp(min=0))
    assert "unrated movies are 0" in capsys.readouterr().out
    assert not ex.check_batch_starts(lambda n, b: list(range(0, n - b, b)))
    assert "seed's loop" in capsys.readouterr().out
    assert not ex.check_pseudo_log_likelihood(lambda v, w, b, c: pll(v.clamp(min=0), w, b, c))
    assert "missing entries" in capsys.readouterr().out
    assert not ex.check_free_energy_gap(lambda rbm, t, h: rbm.free_energy(t).mean() - rbm.free_energy(h).mean())
    assert "sign is flipped" in capsys.readouterr().out
    assert not ex.check_top_k(lambda s, t, k: s.topk(k, dim=1).indices)
    assert "already rated" in capsys.readouterr().out
    assert not ex.check_mae_threshold(lambda s, t: ((s >= 0.5).double() - t).abs()[t != -1].mean())
    assert "pooled" in capsys.readouterr().out


def test_a_function_that_raises_is_reported_not_raised(capsys):
    def broken(*args):
        raise KeyError("oops")

    for check in (ex.check_liked_matrix, ex.check_batch_starts, ex.check_pseudo_log_likelihood,
                  ex.check_free_energy_gap, ex.check_top_k, ex.check_mae_threshold):
        assert not check(broken)
    assert capsys.readouterr().out.count("raised KeyError") == 6
