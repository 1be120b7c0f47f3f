"""Each checker of notebook 08 accepts a right answer and names typical wrong ones."""
import torch

from rbm_helpers import exercises as ex


def up_pass(v, weights, hidden_biases):
    x = v
    for weight, bias in zip(weights, hidden_biases):
        x = torch.sigmoid(x @ weight + bias)
    return x


def transposed_layer(weight, visible_bias, hidden_bias):
    return weight.T, hidden_bias, visible_bias


def test_right_answers_pass(capsys):
    assert ex.check_up_pass(up_pass)
    assert ex.check_transposed_layer(transposed_layer)
    assert capsys.readouterr().out.count("Correct!") == 2


def test_an_empty_stub_is_told_to_return(capsys):
    assert not ex.check_up_pass(lambda *args: None)
    assert not ex.check_transposed_layer(lambda *args: None)
    assert capsys.readouterr().out.count("forget `return`") == 2


def test_typical_mistakes_are_named(capsys):
    def no_bias(v, weights, biases):
        x = v
        for weight in weights:
            x = torch.sigmoid(x @ weight)
        return x

    assert not ex.check_up_pass(no_bias)
    assert "biases are missing" in capsys.readouterr().out
    assert not ex.check_up_pass(lambda v, w, b: torch.sigmoid(v @ w[0] + b[0]))
    assert "shape" in capsys.readouterr().out
    assert not ex.check_up_pass(lambda v, w, b: torch.bernoulli(up_pass(v, w, b), generator=torch.Generator().manual_seed(0)))
    assert "differ from the up-pass" in capsys.readouterr().out

    assert not ex.check_transposed_layer(lambda w, b, c: (w.T, b, c))
    assert "visible_bias has shape" in capsys.readouterr().out
    assert not ex.check_transposed_layer(lambda w, b, c: (w, c, b))
    assert "weight has shape" in capsys.readouterr().out
    assert not ex.check_transposed_layer(lambda w, b, c: (w.T, c * 0, b))
    assert "below log p(v)" in capsys.readouterr().out


def test_a_function_that_raises_is_reported_not_raised(capsys):
    def broken(*args):
        raise KeyError("oops")

    for check in (ex.check_up_pass, ex.check_transposed_layer):
        assert not check(broken)
    assert capsys.readouterr().out.count("raised KeyError") == 2
