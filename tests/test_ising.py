"""Tests for rbm_helpers.ising: every formula against brute force or an independent formula,
the sampler against exact enumeration and Onsager, with tolerances derived from the sample size."""
import itertools
import math

import numpy as np
import pytest
import torch

from rbm_helpers import ising

T_C = ising.CRITICAL_TEMPERATURE
FAILURE_PROBABILITY = 1e-4  # delta: the chance a correct sampler fails one TV check
STANDARD_ERRORS = 4.5  # a correct sampler's mean lands this far out with probability ~7e-6


def random_spins(n_rows: int, n_sites: int, seed: int) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.randint(2, (n_rows, n_sites), generator=generator).float() * 2 - 1


def energy_by_bonds(config: list[float], L: int) -> float:
    """-sum over the 2 L^2 bonds (each site to its right and lower neighbour, periodic)."""
    total = 0.0
    for i in range(L):
        for j in range(L):
            s = config[i * L + j]
            total -= s * config[i * L + (j + 1) % L] + s * config[((i + 1) % L) * L + j]
    return total


# --------------------------------------------------------------------------- formulas


@pytest.mark.parametrize("L", [2, 3, 4, 5])
def test_energy_matches_a_loop_over_bonds(L):
    spins = random_spins(20, L * L, seed=L)
    expected = [energy_by_bonds(row.tolist(), L) for row in spins]
    assert ising.energy(spins).tolist() == expected
    assert ising.energy(spins, L).tolist() == expected


def test_ground_states_have_energy_minus_two_per_spin_and_magnetisation_one():
    up = torch.ones(1, 36)
    assert ising.energy(up).item() == -72.0 and ising.energy(-up).item() == -72.0
    assert ising.magnetization(torch.cat([up, -up])).tolist() == [1.0, -1.0]


def test_observables_match_numpy_by_hand():
    L, temperature = 5, 2.7
    spins = random_spins(300, L * L, seed=7)
    s = spins.numpy().astype(np.float64).reshape(-1, L, L)
    E = -(s * np.roll(s, -1, axis=2) + s * np.roll(s, -1, axis=1)).sum(axis=(1, 2))
    m = s.mean(axis=(1, 2))
    N = L * L
    result = ising.observables(spins, temperature)
    assert result["energy"] == pytest.approx(E.mean() / N, rel=1e-12)
    assert result["magnetization"] == pytest.approx(np.abs(m).mean(), rel=1e-12)
    assert result["specific_heat"] == pytest.approx(E.var() / (N * temperature**2), rel=1e-10)
    assert result["susceptibility"] == pytest.approx(N * (np.mean(m**2) - np.abs(m).mean() ** 2) / temperature, rel=1e-10)


@pytest.mark.parametrize("L, temperature", [(2, 1.3), (3, T_C), (3, 0.9)])
def test_exact_observables_match_a_python_enumeration(L, temperature):
    N = L * L
    weights, energies, mags = [], [], []
    for config in itertools.product([1.0, -1.0], repeat=N):  # +1 first: the package's order
        E = energy_by_bonds(list(config), L)
        weights.append(math.exp(-E / temperature))
        energies.append(E)
        mags.append(sum(config) / N)
    Z = sum(weights)
    p = [w / Z for w in weights]
    mean = lambda values: sum(pi * v for pi, v in zip(p, values))  # noqa: E731
    abs_m = mean([abs(x) for x in mags])
    expected = {
        "energy": mean(energies) / N,
        "magnetization": abs_m,
        "specific_heat": (mean([E * E for E in energies]) - mean(energies) ** 2) / (N * temperature**2),
        "susceptibility": N * (mean([x * x for x in mags]) - abs_m**2) / temperature,
    }
    result = ising.exact_observables(L, temperature)
    for key, value in expected.items():
        assert result[key] == pytest.approx(value, rel=1e-9, abs=1e-12), key

    states, probabilities = ising.exact_distribution(L, temperature)
    assert states.shape == (2**N, N)
    assert torch.allclose(probabilities, torch.tensor(p, dtype=torch.float64), rtol=1e-9, atol=0)


def test_elliptic_integral_matches_gamma_closed_form_and_quadrature():
    # K(1/sqrt 2) = Gamma(1/4)^2 / (4 sqrt(pi)), a classical closed form
    assert ising.complete_elliptic_k(1 / math.sqrt(2)) == pytest.approx(math.gamma(0.25) ** 2 / (4 * math.sqrt(math.pi)), rel=1e-14)
    theta = (np.arange(200_000) + 0.5) * (np.pi / 2) / 200_000  # midpoint rule
    for k in (0.0, 0.3, 0.9, 0.99):
        quadrature = np.sum(1 / np.sqrt(1 - k**2 * np.sin(theta) ** 2)) * (np.pi / 2) / 200_000
        assert ising.complete_elliptic_k(k) == pytest.approx(quadrature, rel=1e-9)


def onsager_energy_from_free_energy(temperature: float) -> float:
    """u = d(beta f)/d beta from Onsager's double integral, by central differences (independent of K)."""
    grid = 2 * np.pi * np.arange(256) / 256
    cos_sum = np.cos(grid)[:, None] + np.cos(grid)[None, :]

    def beta_f(beta):
        integrand = np.log(np.cosh(2 * beta) ** 2 - np.sinh(2 * beta) * cos_sum)
        return -(np.log(2) + integrand.mean() / 2)  # (1/(8 pi^2)) * integral over [0, 2pi]^2

    beta, h = 1 / temperature, 1e-5
    return (beta_f(beta + h) - beta_f(beta - h)) / (2 * h)


@pytest.mark.parametrize("temperature", [1.0, 1.5, 3.0, 4.0])
def test_onsager_energy_matches_the_derivative_of_onsagers_free_energy(temperature):
    assert ising.onsager_energy(temperature) == pytest.approx(onsager_energy_from_free_energy(temperature), abs=1e-7)


def test_onsager_energy_limits_and_array_input():
    assert ising.onsager_energy(T_C) == pytest.approx(-math.sqrt(2), abs=1e-12)
    assert ising.onsager_energy(0.2) == pytest.approx(-2.0, abs=1e-10)
    assert ising.onsager_energy(100.0) == pytest.approx(-2 * math.tanh(0.01), rel=1e-3)  # high-T expansion
    values = ising.onsager_energy(torch.tensor([1.5, T_C, 4.0]))
    assert values.shape == (3,) and values[1].item() == pytest.approx(-math.sqrt(2))


def test_onsager_magnetization_matches_yangs_tanh_form():
    for temperature in (0.5, 1.5, 2.0, 2.25):
        t = math.tanh(1 / temperature)  # sinh(2b) = 2t / (1 - t^2), rewritten
        expected = (1 - (1 - t * t) ** 4 / (16 * t**4)) ** 0.125
        assert ising.onsager_magnetization(temperature) == pytest.approx(expected, rel=1e-12)
    assert ising.onsager_magnetization(T_C * 1.0001) == 0.0
    assert ising.onsager_magnetization(T_C * 0.999999) < 0.3  # m ~ (T_c - T)^(1/8) -> 0
    assert ising.onsager_magnetization([3.0, 1.0]).tolist()[0] == 0.0


def test_binary_round_trip():
    spins = random_spins(10, 9, seed=1)
    v = ising.to_binary(spins)
    assert set(v.unique().tolist()) == {0.0, 1.0} and torch.equal(v, (spins + 1) / 2)
    assert torch.equal(ising.from_binary(v), spins)


# --------------------------------------------------------------------------- the sampler


def histogram_tv(sampled_labels: torch.Tensor, exact_labels: torch.Tensor, probabilities: torch.Tensor) -> tuple[float, float]:
    """Total variation distance between sampled and exact histograms over labels, and its bound.

    n is the number of kept samples (after thinning; the sampler's docstring gives the measured
    autocorrelation times, well below the thinning, so they count as independent).
    E[TV] <= sum_i sqrt(p_i (1 - p_i) / n) / 2 <= sum_i sqrt(p_i / n) / 2, and TV moves by at most
    1/n when one sample changes, so McDiarmid adds sqrt(log(1/delta) / (2n)) at failure chance delta.
    """
    levels = exact_labels.unique()
    assert bool(torch.isin(sampled_labels, levels).all())
    p = torch.stack([probabilities[exact_labels == level].sum() for level in levels])
    q = torch.stack([(sampled_labels == level).double().mean() for level in levels])
    n = sampled_labels.shape[0]
    bound = (p.sqrt().sum().item() / 2) / math.sqrt(n) + math.sqrt(math.log(1 / FAILURE_PROBABILITY) / (2 * n))
    return 0.5 * (q - p).abs().sum().item(), bound


def energy_histogram_tv(samples: torch.Tensor, L: int, temperature: float) -> tuple[float, float]:
    """TV distance between the sampled and exact distributions of the energy levels, and its bound."""
    states, probabilities = ising.exact_distribution(L, temperature)
    return histogram_tv(ising.energy(samples, L), ising.energy(states, L), probabilities)


def state_histogram_tv(samples: torch.Tensor, L: int, temperature: float) -> tuple[float, float]:
    """TV distance between the sampled and exact distributions of whole configurations, and its bound."""
    states, probabilities = ising.exact_distribution(L, temperature)
    powers = 2.0 ** torch.arange(L * L - 1, -1, -1)
    index = lambda spins: ((spins + 1) / 2) @ powers  # noqa: E731 - row number in exact_distribution
    return histogram_tv(index(samples), index(states), probabilities)


def batch_means(values: torch.Tensor, n_chains: int) -> tuple[float, float]:
    """Mean and its standard error, one batch per chain (rows come chain by chain)."""
    per_chain = values.reshape(n_chains, -1).mean(dim=1)
    return per_chain.mean().item(), per_chain.std().item() / math.sqrt(n_chains)


def mean_errors_in_standard_errors(samples: torch.Tensor, L: int, temperature: float, n_chains: int) -> dict:
    exact = ising.exact_observables(L, temperature)
    sampled = {
        "energy": ising.energy(samples, L) / (L * L),
        "magnetization": ising.magnetization(samples).abs(),
    }
    out = {}
    for key, values in sampled.items():
        mean, standard_error = batch_means(values, n_chains)
        out[key] = abs(mean - exact[key]) / standard_error
    return out


L4_CASES = [(1.5, "gibbs"), (T_C, "wolff"), (3.5, "gibbs")]


@pytest.mark.parametrize("temperature, method", L4_CASES)
def test_sampler_matches_exact_enumeration_at_L4(temperature, method):
    n_samples, n_chains = 10_000, 500
    samples = ising.sample(4, temperature, n_samples, seed=0, n_chains=n_chains)
    assert ising._choose_method("auto", temperature) == method
    tv, bound = energy_histogram_tv(samples, 4, temperature)
    assert tv < bound, f"TV {tv:.4f} >= bound {bound:.4f}"
    for key, deviation in mean_errors_in_standard_errors(samples, 4, temperature, n_chains).items():
        assert deviation < STANDARD_ERRORS, f"{key} off by {deviation:.1f} standard errors"


@pytest.mark.parametrize("temperature, method", L4_CASES)
def test_the_exact_comparison_has_power_against_a_wrong_temperature(temperature, method):
    """The same checks fail for samples drawn at 1.15 T: they can tell a wrong sampler apart."""
    n_samples, n_chains = 5_000, 500
    samples = ising.sample(4, temperature * 1.15, n_samples, seed=1, n_chains=n_chains, method=method)
    tv, bound = energy_histogram_tv(samples, 4, temperature)
    assert tv > 2 * bound, f"TV {tv:.4f} not clearly above bound {bound:.4f}"
    assert mean_errors_in_standard_errors(samples, 4, temperature, n_chains)["energy"] > 2 * STANDARD_ERRORS


@pytest.mark.parametrize("L, temperature, method", [(2, 2.0, "gibbs"), (2, 2.0, "wolff"),
                                                    (3, 2.0, "gibbs"), (3, T_C, "wolff"), (5, 2.5, "gibbs")])
def test_small_and_odd_lattices_match_exact_enumeration(L, temperature, method):
    """L = 2 (doubled bonds) and odd L (three sublattices) for both methods; L = 5 by mean only."""
    n_samples, n_chains = 4_000, 200
    samples = ising.sample(L, temperature, n_samples, seed=2, n_chains=n_chains, method=method)
    if L <= ising.MAX_EXACT_SIDE:
        tv, bound = energy_histogram_tv(samples, L, temperature)
        assert tv < bound
        tv, bound = state_histogram_tv(samples, L, temperature)  # every state, both signs of m
        assert tv < bound, f"state TV {tv:.4f} >= bound {bound:.4f}"
        for key, deviation in mean_errors_in_standard_errors(samples, L, temperature, n_chains).items():
            assert deviation < STANDARD_ERRORS, key
    else:  # L = 5, 2^25 states: compare the two methods with each other instead
        other = ising.sample(L, temperature, n_samples, seed=3, n_chains=n_chains, method="wolff")
        a, se_a = batch_means(ising.energy(samples) / 25, n_chains)
        b, se_b = batch_means(ising.energy(other) / 25, n_chains)
        assert abs(a - b) < STANDARD_ERRORS * math.hypot(se_a, se_b)


FINITE_SIZE_ALLOWANCE = 0.002  # |finite-L - infinite-L| at L = 16 far from T_c: corrections ~ exp(-L / xi), xi ~ 1


@pytest.mark.parametrize("temperature", [1.5, 4.0])
def test_large_lattice_matches_onsager_far_from_critical_temperature(temperature):
    L, n_samples, n_chains = 16, 2_000, 500
    samples = ising.sample(L, temperature, n_samples, seed=0, n_chains=n_chains)
    mean, standard_error = batch_means(ising.energy(samples) / (L * L), n_chains)
    assert abs(mean - ising.onsager_energy(temperature)) < STANDARD_ERRORS * standard_error + FINITE_SIZE_ALLOWANCE
    signs = ising.magnetization(samples).sign()  # <m> = 0 by symmetry: chains must visit both signs
    mean, standard_error = batch_means(signs, n_chains)
    assert abs(mean) < STANDARD_ERRORS * standard_error
    if temperature < T_C:
        mean, standard_error = batch_means(ising.magnetization(samples).abs(), n_chains)
        assert abs(mean - ising.onsager_magnetization(temperature)) < STANDARD_ERRORS * standard_error + FINITE_SIZE_ALLOWANCE


def test_sample_shape_values_and_seeding():
    a = ising.sample(3, 2.0, 7, seed=5, burn_in=3, thinning=2)
    assert a.shape == (7, 9) and a.dtype == torch.float32
    assert set(a.unique().tolist()) <= {-1.0, 1.0}
    assert torch.equal(a, ising.sample(3, 2.0, 7, seed=5, burn_in=3, thinning=2))
    assert not torch.equal(ising.sample(6, 3.0, 50, seed=5), ising.sample(6, 3.0, 50, seed=6))


# --------------------------------------------------------------------------- search


def test_ising_energy_matches_a_double_loop():
    n = 7
    couplings = ising.random_spin_glass(n, seed=3, distribution="gaussian")
    fields = torch.linspace(-1, 1, n, dtype=torch.float64)
    spins = random_spins(12, n, seed=4)
    for row, value in zip(spins.tolist(), ising.ising_energy(spins, couplings, fields).tolist()):
        expected = -sum(couplings[i, j].item() * row[i] * row[j] for i in range(n) for j in range(i + 1, n))
        expected -= sum(fields[i].item() * row[i] for i in range(n))
        assert value == pytest.approx(expected, rel=1e-12)


def test_random_spin_glass_is_symmetric_seeded_and_plus_minus_one():
    J = ising.random_spin_glass(10, seed=0)
    assert torch.equal(J, J.T) and bool((J.diagonal() == 0).all())
    off_diagonal = J[~torch.eye(10, dtype=torch.bool)]
    assert set(off_diagonal.unique().tolist()) == {-1.0, 1.0}
    assert torch.equal(J, ising.random_spin_glass(10, seed=0))
    assert not torch.equal(J, ising.random_spin_glass(10, seed=1))


def test_brute_force_ground_state_matches_itertools_in_chunks():
    n = 9
    couplings = ising.random_spin_glass(n, seed=5, distribution="gaussian")
    fields = torch.linspace(-0.5, 0.7, n, dtype=torch.float64)
    every = torch.tensor(list(itertools.product([1.0, -1.0], repeat=n)))
    energies = ising.ising_energy(every, couplings, fields)
    lowest_row = int(energies.argmin())
    # chunk sizes that put the ground state first, last and inside a chunk
    for chunk_size in (1, 37, lowest_row, lowest_row + 1, 2**n):
        state, lowest = ising.brute_force_ground_state(couplings, fields, chunk_size=chunk_size)
        assert lowest == pytest.approx(energies.min().item(), rel=1e-12), chunk_size
        assert torch.equal(state, every[lowest_row]), chunk_size


def test_max_cut_couplings_ground_state_is_the_largest_cut():
    generator = torch.Generator().manual_seed(0)
    n = 8
    upper = torch.triu((torch.rand(n, n, generator=generator) < 0.5).double() * torch.rand(n, n, generator=generator, dtype=torch.float64), 1)
    weights = upper + upper.T
    best_cut = max(
        sum(weights[i, j].item() for i in range(n) for j in range(i + 1, n) if side[i] != side[j])
        for side in itertools.product([0, 1], repeat=n)
    )
    _, lowest = ising.brute_force_ground_state(ising.max_cut_couplings(weights))
    assert (upper.sum().item() - lowest) / 2 == pytest.approx(best_cut, rel=1e-12)


def test_geometric_schedule():
    schedule = ising.geometric_schedule(4.0, 0.25, 5)
    assert torch.allclose(schedule, torch.tensor([4.0, 2.0, 1.0, 0.5, 0.25], dtype=torch.float64))
    assert ising.geometric_schedule(2.0, 0.1, 1).tolist() == [2.0]


def test_slow_annealing_finds_the_ground_state_and_a_quench_does_worse():
    """Measured on this glass: the slow schedule hits -48 in 64/64 chains; one sweep at T = 0.05
    ends 11.9 above it on average (standard error 1.2) and hits it in 9/64."""
    couplings = ising.random_spin_glass(16, seed=0)
    _, ground_energy = ising.brute_force_ground_state(couplings)
    states, energies, trace = ising.anneal(couplings, schedule=ising.geometric_schedule(3.0, 0.05, 50),
                                           sweeps_per_temperature=4, n_chains=64, seed=0)
    assert trace.shape == (50, 64) and states.shape == (64, 16)
    assert torch.allclose(ising.ising_energy(states, couplings), energies)
    assert bool((energies >= ground_energy - 1e-9).all())
    assert (energies <= ground_energy + 1e-9).double().mean().item() >= 0.75
    _, quenched, _ = ising.anneal(couplings, schedule=[0.05], sweeps_per_temperature=1, n_chains=64, seed=0)
    assert quenched.mean().item() > energies.mean().item() + 5.0


def test_annealing_at_a_fixed_temperature_samples_the_boltzmann_distribution():
    """With a constant schedule, the Metropolis chains must reach <E> of exact enumeration."""
    n, temperature = 6, 1.5
    couplings = ising.random_spin_glass(n, seed=4, distribution="gaussian")
    fields = torch.linspace(-1, 1, n, dtype=torch.float64)
    every = torch.tensor(list(itertools.product([1.0, -1.0], repeat=n)))
    energies = ising.ising_energy(every, couplings, fields)
    exact_mean = (torch.softmax(-energies / temperature, dim=0) * energies).sum().item()
    n_chains = 100
    _, _, trace = ising.anneal(couplings, fields, schedule=[temperature] * 120, sweeps_per_temperature=2,
                               n_chains=n_chains, seed=0)
    per_chain = trace[20:].mean(dim=0)  # drop 20 temperatures of burn-in; one batch mean per chain
    standard_error = per_chain.std().item() / math.sqrt(n_chains)
    assert abs(per_chain.mean().item() - exact_mean) < STANDARD_ERRORS * standard_error


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize("call, message", [
    (lambda: ising.sample(1, 2.0, 10), "L must be an integer >= 2"),
    (lambda: ising.sample(4.0, 2.0, 10), "L must be an integer"),
    (lambda: ising.sample(True, 2.0, 10), "L must be an integer"),
    (lambda: ising.sample(4, 0.0, 10), "temperature must be a finite number > 0"),
    (lambda: ising.sample(4, float("inf"), 10), "temperature must be a finite number > 0"),
    (lambda: ising.sample(4, float("nan"), 10), "temperature must be a finite number > 0"),
    (lambda: ising.sample(4, True, 10), "temperature must be a finite number > 0"),
    (lambda: ising.sample(4, 2.0, 0), "n_samples must be an integer >= 1"),
    (lambda: ising.sample(4, 2.0, True), "n_samples must be an integer"),
    (lambda: ising.sample(4, 2.0, 10, seed=1.5), "seed must be an integer or None"),
    (lambda: ising.sample(4, 2.0, 10, seed=True), "seed must be an integer or None"),
    (lambda: ising.sample(4, 2.0, 10, burn_in=-1), "burn_in must be an integer >= 0"),
    (lambda: ising.sample(4, 2.0, 10, thinning=0), "thinning must be an integer >= 1"),
    (lambda: ising.sample(4, 2.0, 10, method="metropolis"), "method must be one of"),
    (lambda: ising.energy(torch.ones(2, 10)), "not L\\*L"),
    (lambda: ising.energy(torch.ones(2, 9), L=4), "must have L\\*L = 16 columns"),
    (lambda: ising.energy(torch.zeros(2, 9)), "only \\+1 and -1.*from_binary"),
    (lambda: ising.energy([[1, -1]]), "must be a torch.Tensor"),
    (lambda: ising.magnetization(torch.ones(2, 3, 3)), "must have shape"),
    (lambda: ising.observables(torch.ones(2, 9), -1.0), "temperature must be"),
    (lambda: ising.exact_distribution(5, 2.0), "at most 4 for exact enumeration"),
    (lambda: ising.exact_observables(1, 2.0), "L must be an integer between 2 and 4"),
    (lambda: ising.onsager_energy(-1.0), "temperature must be a finite number > 0"),
    (lambda: ising.onsager_magnetization([1.0, 0.0]), "temperature must be"),
    (lambda: ising.complete_elliptic_k(1.0), "modulus must hold finite values in \\[0, 1\\)"),
    (lambda: ising.to_binary(torch.tensor([[0.0, 1.0]])), "from_binary"),
    (lambda: ising.from_binary(torch.tensor([[-1.0, 1.0]])), "v must hold only 0 and 1"),
    (lambda: ising.random_spin_glass(1, seed=0), "n_spins must be an integer >= 2"),
    (lambda: ising.random_spin_glass(4, seed=None), "seed must be an integer"),
    (lambda: ising.random_spin_glass(4, seed=0, distribution="cauchy"), "distribution must be"),
    (lambda: ising.ising_energy(torch.ones(3), torch.tensor([[0.0, 1.0], [2.0, 0.0]])), "symmetric"),
    (lambda: ising.ising_energy(torch.ones(2), torch.ones(2, 2)), "zero diagonal"),
    (lambda: ising.ising_energy(torch.ones(3), torch.zeros(2, 2)), "must have shape \\(batch, 2\\)"),
    (lambda: ising.ising_energy(torch.ones(2), torch.zeros(2, 2), torch.zeros(3)), "fields must be"),
    (lambda: ising.brute_force_ground_state(torch.zeros(21, 21)), "at most 20"),
    (lambda: ising.max_cut_couplings(-torch.ones(2, 2).fill_diagonal_(0)), "non-negative"),
    (lambda: ising.geometric_schedule(1.0, 0.0, 5), "t_end must be a finite number > 0"),
    (lambda: ising.anneal(torch.zeros(3, 3), schedule=[]), "schedule must be a non-empty"),
    (lambda: ising.anneal(torch.zeros(3, 3), schedule=[1.0, -1.0]), "schedule must be"),
    (lambda: ising.anneal(torch.zeros(3, 3), schedule=[1.0], n_chains=0), "n_chains must be"),
])
def test_bad_arguments_raise_clear_value_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()
