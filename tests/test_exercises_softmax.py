"""Each checker of notebook 06 accepts a right answer and names typical wrong ones."""
import torch
import torch.nn.functional as F

from rbm_helpers import exercises as ex


def visible_probabilities(h, weight, visible_bias):
    return torch.softmax(visible_bias + torch.einsum("bj,ikj->bik", h, weight), dim=-1)


def expected_rating(probabilities):
    return probabilities @ torch.arange(1, 6, dtype=probabilities.dtype)


def exact_prediction(v, q, weight, visible_bias, hidden_bias):
    rated = (v >= 0).nonzero().flatten()
    x = hidden_bias + weight[rated, v[rated]].sum(0)
    return torch.softmax(visible_bias[q] + F.softplus(x + weight[q]).sum(-1), dim=-1)


def test_right_answers_pass(capsys):
    assert ex.check_visible_probabilities(visible_probabilities)
    assert ex.check_expected_rating(expected_rating)
    assert ex.check_exact_prediction(exact_prediction)
    assert capsys.readouterr().out.count("Correct!") == 3


def test_typical_mistakes_are_named(capsys):
    assert not ex.check_visible_probabilities(lambda h, w, b: torch.softmax(b + torch.einsum("bj,ikj->bik", h, w), dim=1))
    assert "over the movies" in capsys.readouterr().out
    assert not ex.check_visible_probabilities(lambda h, w, b: torch.sigmoid(b + torch.einsum("bj,ikj->bik", h, w)))
    assert "independent sigmoids" in capsys.readouterr().out
    assert not ex.check_expected_rating(lambda p: p.argmax(-1).double() + 1)
    assert "most likely rating" in capsys.readouterr().out
    assert not ex.check_expected_rating(lambda p: expected_rating(p) - 1)
    assert "categories 0..4" in capsys.readouterr().out

    def mean_field(v, q, weight, visible_bias, hidden_bias):
        rated = (v >= 0).nonzero().flatten()
        x = hidden_bias + weight[rated, v[rated]].sum(0)
        return torch.softmax(visible_bias[q] + weight[q] @ torch.sigmoid(x), dim=-1)

    assert not ex.check_exact_prediction(mean_field)
    assert "mean-field" in capsys.readouterr().out
    assert not ex.check_exact_prediction(lambda v, q, w, b, c: exact_prediction(v.clamp(min=0), q, w, b, c))
    assert "category 0" in capsys.readouterr().out
    assert not ex.check_exact_prediction(lambda v, q, w, b, c: exact_prediction(v, q, w, b * 0, c))
    assert "visible bias" in capsys.readouterr().out


def test_a_function_that_raises_is_reported_not_raised(capsys):
    def broken(*args):
        raise KeyError("oops")

    for check in (ex.check_visible_probabilities, ex.check_expected_rating, ex.check_exact_prediction):
        assert not check(broken)
    assert capsys.readouterr().out.count("raised KeyError") == 3
