"""Each checker of notebook 07 accepts a right answer and names typical wrong ones."""
import torch
import torch.nn.functional as F

from rbm_helpers import exercises as ex


def ais_step(v, weight, visible_bias, hidden_bias, base_bias, beta_previous, beta):
    field = v @ weight + hidden_bias
    bias_term = (beta - beta_previous) * (v @ (visible_bias - base_bias))
    return bias_term + F.softplus(beta * field).sum(-1) - F.softplus(beta_previous * field).sum(-1)


def anomaly_score(v, weight, visible_bias, hidden_bias):
    return -v @ visible_bias - F.softplus(v @ weight + hidden_bias).sum(-1)


def swap_acceptance(rbm, v1, v2, beta1, beta2):
    stay = rbm.free_energy(v1, beta=beta1) + rbm.free_energy(v2, beta=beta2)
    swapped = rbm.free_energy(v2, beta=beta1) + rbm.free_energy(v1, beta=beta2)
    return torch.exp(stay - swapped).clamp(max=1.0)


def test_right_answers_pass(capsys):
    assert ex.check_ais_step(ais_step)
    assert ex.check_anomaly_score(anomaly_score)
    assert ex.check_swap_acceptance(swap_acceptance)
    assert capsys.readouterr().out.count("Correct!") == 3


def test_an_empty_stub_is_told_to_return(capsys):
    assert not ex.check_ais_step(lambda *args: None)
    assert not ex.check_anomaly_score(lambda *args: None)
    assert not ex.check_swap_acceptance(lambda *args: None)
    assert capsys.readouterr().out.count("forget `return`") == 3


def test_typical_mistakes_are_named(capsys):
    assert not ex.check_ais_step(lambda *a: -ais_step(*a))
    assert "sign is flipped" in capsys.readouterr().out

    def hidden_only(v, w, b, c, base, previous, beta):
        return F.softplus(beta * (v @ w + c)).sum(-1) - F.softplus(previous * (v @ w + c)).sum(-1)

    assert not ex.check_ais_step(hidden_only)
    assert "visible-bias term is missing" in capsys.readouterr().out
    assert not ex.check_ais_step(lambda v, w, b, c, base, previous, beta: ais_step(v, w, b, c, base, previous, beta).sum())
    assert "shape" in capsys.readouterr().out

    assert not ex.check_anomaly_score(lambda *a: -anomaly_score(*a))
    assert "sign is flipped" in capsys.readouterr().out
    assert not ex.check_anomaly_score(lambda v, w, b, c: -v @ b - torch.sigmoid(v @ w + c).sum(-1))
    assert "softplus" in capsys.readouterr().out

    assert not ex.check_swap_acceptance(lambda *a: swap_acceptance(*a).log())
    assert "log of the probability" in capsys.readouterr().out

    def no_min(rbm, v1, v2, b1, b2):
        stay = rbm.free_energy(v1, beta=b1) + rbm.free_energy(v2, beta=b2)
        return torch.exp(stay - rbm.free_energy(v2, beta=b1) - rbm.free_energy(v1, beta=b2))

    assert not ex.check_swap_acceptance(no_min)
    assert "min(1, ...)" in capsys.readouterr().out


def test_a_function_that_raises_is_reported_not_raised(capsys):
    def broken(*args):
        raise KeyError("oops")

    for check in (ex.check_ais_step, ex.check_anomaly_score, ex.check_swap_acceptance):
        assert not check(broken)
    assert capsys.readouterr().out.count("raised KeyError") == 3
