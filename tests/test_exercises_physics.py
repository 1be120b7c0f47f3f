"""Each checker of notebook 09 accepts a right answer and names typical wrong ones; the ising_rbm helpers work."""
import math

import torch

from rbm_helpers import RBM, exact, ising, ising_rbm
from rbm_helpers import exercises as ex


def lattice_energy(spins, L):
    lattice = spins.reshape(-1, L, L)
    return -(lattice * (torch.roll(lattice, -1, 1) + torch.roll(lattice, -1, 2))).sum((1, 2))


def metropolis_acceptance(delta_energy, temperature):
    return torch.clamp(torch.exp(-delta_energy / temperature), max=1.0)


def specific_heat(energies, n_spins, temperature):
    return ((energies**2).mean() - energies.mean() ** 2) / (n_spins * temperature**2)


def test_right_answers_pass(capsys):
    assert ex.check_lattice_energy(lattice_energy)
    assert ex.check_metropolis_acceptance(metropolis_acceptance)
    assert ex.check_specific_heat(specific_heat)
    assert ex.check_specific_heat(lambda e, n, t: e.var() / (n * t**2))  # the unbiased variance is accepted
    assert capsys.readouterr().out.count("Correct!") == 4


def test_stubs_and_errors_are_reported(capsys):
    assert not ex.check_lattice_energy(lambda s, L: None)
    assert "forget `return`" in capsys.readouterr().out
    assert not ex.check_metropolis_acceptance(lambda d, t: 1 / 0)
    assert "ZeroDivisionError" in capsys.readouterr().out
    assert not ex.check_specific_heat(lambda e, n, t: e)
    assert "one number" in capsys.readouterr().out


def test_typical_mistakes_are_named(capsys):
    assert not ex.check_lattice_energy(lambda s, L: 2 * lattice_energy(s, L))
    assert "counted twice" in capsys.readouterr().out
    assert not ex.check_lattice_energy(lambda s, L: -lattice_energy(s, L))
    assert "sign is wrong" in capsys.readouterr().out

    def open_boundary(spins, L):
        x = spins.reshape(-1, L, L)
        return -((x[:, :, :-1] * x[:, :, 1:]).sum((1, 2)) + (x[:, :-1] * x[:, 1:]).sum((1, 2)))

    assert not ex.check_lattice_energy(open_boundary)
    assert "periodic" in capsys.readouterr().out
    assert not ex.check_metropolis_acceptance(lambda d, t: torch.exp(-d / t))
    assert "above 1" in capsys.readouterr().out
    assert not ex.check_metropolis_acceptance(lambda d, t: torch.sigmoid(-d / t))
    assert "heat-bath" in capsys.readouterr().out
    assert not ex.check_metropolis_acceptance(lambda d, t: torch.clamp(torch.exp(-d * t), max=1.0))
    assert "multiplied" in capsys.readouterr().out
    assert not ex.check_specific_heat(lambda e, n, t: specific_heat(e, n, t) * t**2)
    assert "T^2" in capsys.readouterr().out
    assert not ex.check_specific_heat(lambda e, n, t: specific_heat(e, n, t) * n)
    assert "per spin" in capsys.readouterr().out


def test_kl_divergence_against_a_hand_computation():
    p = torch.tensor([0.5, 0.5, 0.0])
    q = torch.tensor([0.25, 0.25, 0.5])
    assert math.isclose(ising_rbm.kl_divergence(p, q), math.log(2), rel_tol=1e-12)
    assert ising_rbm.kl_divergence(q, q) == 0.0


def test_distribution_observables_match_exact_enumeration():
    states, probabilities = ising.exact_distribution(3, 2.0)
    got = ising_rbm.distribution_observables(states, probabilities, 2.0)
    expected = ising.exact_observables(3, 2.0)
    for key in expected:
        assert math.isclose(got[key], expected[key], rel_tol=1e-10)


def test_sample_spins_draws_from_the_rbm():
    """Gibbs samples of a random 6-visible RBM: each state's frequency within 5 standard errors of exact p(v)."""
    rbm = ex.example_rbm(6, 3, seed=4)
    spins = ising_rbm.sample_spins(rbm, 20000, burn_in=50, thinning=3, n_chains=500, seed=1)
    assert spins.shape == (20000, 6) and set(spins.unique().tolist()) == {-1.0, 1.0}
    states, p = exact.visible_distribution(rbm)
    index = (ising.to_binary(spins).long() * 2 ** torch.arange(5, -1, -1)).sum(1)
    frequency = torch.bincount(index, minlength=64).double() / 20000
    assert bool(((frequency - p).abs() <= 5 * (p * (1 - p) / 20000).sqrt() + 1e-3).all())


def test_fit_keeps_the_best_held_out_checkpoint():
    spins = ising.sample(3, 2.0, 600, seed=0)
    validation = ising.sample(3, 2.0, 200, seed=1)
    rbm, history = ising_rbm.fit(spins, 4, validation=validation, epochs=20, check_every=5, learning_rate=0.05, seed=0)
    assert list(history.epoch) == [5, 10, 15, 20]
    score = exact.log_likelihood(rbm, ising.to_binary(validation)).mean().item()
    assert math.isclose(score, history.validation_log_likelihood.max(), rel_tol=1e-6)
    assert score > -9 * math.log(2)  # better than uniform over the 2^9 states


def test_fit_exact_climbs_the_exact_log_likelihood():
    """fit_exact's reported log-likelihood is exact.log_likelihood's, and it rises; both ways of summing log Z agree."""
    spins = ising.sample(3, 2.5, 500, seed=2)
    for n_hidden in (3, 12):  # log Z over the hidden states (3 < 9) and over the visible states (12 > 9)
        rbm, history = ising_rbm.fit_exact(spins, n_hidden, steps=40, learning_rate=0.05, seed=0)
        assert history[-1] > history[0]
        _, longer = ising_rbm.fit_exact(spins, n_hidden, steps=41, learning_rate=0.05, seed=0)  # its last entry: after 40 steps
        score = exact.log_likelihood(rbm, ising.to_binary(spins).double()).mean().item()
        assert math.isclose(score, longer[-1], rel_tol=1e-9)
