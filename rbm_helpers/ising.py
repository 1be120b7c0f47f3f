"""The 2-D Ising model, sampled and solved exactly, and Ising energies for search by annealing.

Part one, the physics: the ferromagnetic Ising model on an ``L x L`` square lattice with
coupling J = 1, periodic boundaries, no field and k_B = 1.  A configuration is a row of
``L * L`` spins, each +1 or -1, sites in row-major order (site ``i * L + j`` is row ``i``,
column ``j``).  Its energy is E(s) = -sum over nearest-neighbour bonds of s_a s_b, each of the
``2 L^2`` bonds counted once (for ``L = 2`` the two bonds that join a pair both count).
``sample`` draws configurations by Markov chain Monte Carlo; ``exact_distribution`` enumerates
every state of a tiny lattice; ``onsager_energy`` and ``onsager_magnetization`` are the exact
results for the infinite lattice.

Part two, search: a Boltzmann machine's energy -1/2 s^T J s - h.s with arbitrary couplings, whose
ground state solves a combinatorial problem (a spin glass, a maximum cut), found exactly by
enumeration or approximately by simulated annealing.

Introduced in notebook 09 (RBMs in physics).
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import torch

from .device import single_thread
from .exact import all_states

CRITICAL_TEMPERATURE = 2.0 / math.log(1.0 + math.sqrt(2.0))
"""Onsager's critical temperature T_c = 2 / ln(1 + sqrt 2) = 2.2692 (J = k_B = 1).

Introduced in notebook 09 (RBMs in physics)."""

WOLFF_RANGE = (1.8, 3.2)
"""Temperatures at which ``sample(method="auto")`` adds Wolff cluster flips to Gibbs sweeps.

Introduced in notebook 09 (RBMs in physics)."""

DEFAULT_BURN_IN = 100
"""Steps each chain runs before its first sample (see ``sample`` for how this was chosen).

Introduced in notebook 09 (RBMs in physics)."""

DEFAULT_THINNING = 10
"""Steps between two samples of one chain (see ``sample`` for how this was chosen).

Introduced in notebook 09 (RBMs in physics)."""

MAX_EXACT_SIDE = 4
"""The largest lattice side ``exact_distribution`` enumerates: 2^16 = 65,536 states.

Introduced in notebook 09 (RBMs in physics)."""

MAX_BRUTE_FORCE_SPINS = 20
"""The most spins ``brute_force_ground_state`` enumerates: 2^20 (about a million) states.

Introduced in notebook 09 (RBMs in physics)."""

_METHODS = ("auto", "gibbs", "wolff")


# ---------------------------------------------------------------------------------------------
# Checks at the boundary
# ---------------------------------------------------------------------------------------------


def _check_int(value: object, name: str, minimum: int, maximum: int | None = None) -> int:
    bad = isinstance(value, bool) or not isinstance(value, int) or value < minimum
    if not bad and maximum is not None and value > maximum:
        bad = True
    if bad:
        allowed = f">= {minimum}" if maximum is None else f"between {minimum} and {maximum}"
        raise ValueError(f"{name} must be an integer {allowed}; got {value!r}.")
    return value


def _check_temperature(value: object, name: str = "temperature") -> float:
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.item()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite number > 0 (k_B = J = 1); got {value!r}.")
    return float(value)


def _check_seed(seed: object) -> int | None:
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise ValueError(f"seed must be an integer or None; got {seed!r}.")
    return seed


def _generator(seed: int | None) -> torch.Generator:
    generator = torch.Generator()
    if seed is None:
        generator.seed()
    else:
        generator.manual_seed(seed)
    return generator


def check_spins(spins: object, name: str = "spins", n_spins: int | None = None) -> torch.Tensor:
    """Check that ``spins`` holds +-1 configurations and return them as a 2-D float64 tensor.

    One configuration per row (a single 1-D configuration becomes one row); ``n_spins``, if
    given, is the required number of columns.  Raises ``ValueError`` naming ``name``.
    Introduced in notebook 09 (RBMs in physics).
    """
    if not isinstance(spins, torch.Tensor):
        raise ValueError(
            f"{name} must be a torch.Tensor of +-1 spins, one configuration per row; "
            f"got {type(spins).__name__}. Convert with torch.as_tensor({name}, dtype=torch.float32)."
        )
    if spins.dtype == torch.bool:
        raise ValueError(f"{name} must hold +-1 spins; got a bool tensor. Use from_binary({name}.float()).")
    if spins.dim() == 1:
        spins = spins.unsqueeze(0)
    if spins.dim() != 2 or spins.shape[0] == 0 or (n_spins is not None and spins.shape[1] != n_spins):
        expected = "(batch, n_spins)" if n_spins is None else f"(batch, {n_spins})"
        raise ValueError(f"{name} must have shape {expected} with at least one row; got shape {tuple(spins.shape)}.")
    spins = spins.to(torch.float64)
    if not bool(((spins == 1) | (spins == -1)).all()):
        hint = " Did you pass 0/1 visible units? Use from_binary(v)." if bool(((spins == 0) | (spins == 1)).all()) else ""
        raise ValueError(f"{name} must hold only +1 and -1 spins; got other values.{hint}")
    return spins


def _lattice_side(spins: torch.Tensor, L: int | None, name: str = "spins") -> int:
    n_sites = spins.shape[1]
    if L is None:
        L = math.isqrt(n_sites)
        if L * L != n_sites or L < 2:
            raise ValueError(
                f"{name} has {n_sites} columns, which is not L*L for a lattice side L >= 2; "
                f"pass L or reshape to (batch, L*L)."
            )
        return L
    L = _check_int(L, "L", 2)
    if L * L != n_sites:
        raise ValueError(f"{name} must have L*L = {L * L} columns for L = {L}; got {n_sites}.")
    return L


# ---------------------------------------------------------------------------------------------
# The 2-D Ising model: energy, magnetisation, observables
# ---------------------------------------------------------------------------------------------


def energy(spins: torch.Tensor, L: int | None = None) -> torch.Tensor:
    """Total energy E(s) = -sum over nearest-neighbour bonds of s_a s_b, one value per row.

    ``spins`` has shape ``(batch, L*L)`` (row-major sites; ``L`` is inferred when omitted);
    periodic boundaries, J = 1, each of the 2 L^2 bonds counted once.  Returns float64.
    Introduced in notebook 09 (RBMs in physics).
    """
    spins = check_spins(spins)
    L = _lattice_side(spins, L)
    lattice = spins.reshape(-1, L, L)
    right = torch.roll(lattice, shifts=-1, dims=2)
    down = torch.roll(lattice, shifts=-1, dims=1)
    return -(lattice * (right + down)).sum(dim=(1, 2))


def magnetization(spins: torch.Tensor) -> torch.Tensor:
    """Magnetisation per spin m(s) = (1/N) sum_i s_i, signed, one value per row (float64).

    Introduced in notebook 09 (RBMs in physics).
    """
    return check_spins(spins).mean(dim=1)


def _observables_from(energies: torch.Tensor, magnetizations: torch.Tensor, weights: torch.Tensor,
                      n_sites: int, temperature: float) -> dict[str, float]:
    mean = lambda x: float((weights * x).sum())  # noqa: E731 - weighted average, weights sum to 1
    mean_energy = mean(energies)
    mean_abs_m = mean(magnetizations.abs())
    return {
        "energy": mean_energy / n_sites,
        "magnetization": mean_abs_m,
        "specific_heat": (mean(energies**2) - mean_energy**2) / (n_sites * temperature**2),
        "susceptibility": n_sites * (mean(magnetizations**2) - mean_abs_m**2) / temperature,
    }


def observables(spins: torch.Tensor, temperature: float) -> dict[str, float]:
    """Sample averages of the four thermodynamic observables of configurations ``spins``.

    With E the total energy of a configuration, m its magnetisation per spin and N = L^2:
    ``energy`` <E>/N, ``magnetization`` <|m|>, ``specific_heat`` C = (<E^2> - <E>^2) / (N T^2)
    and ``susceptibility`` chi = N (<m^2> - <|m|>^2) / T; the convention of Torlai & Melko (2016)
    and GTorlai's CDL_RBM_Tutorial (chi uses <|m|>, which a finite lattice needs because <m> = 0).
    Introduced in notebook 09 (RBMs in physics).
    """
    temperature = _check_temperature(temperature)
    spins = check_spins(spins)
    n_rows, n_sites = spins.shape
    weights = torch.full((n_rows,), 1.0 / n_rows, dtype=torch.float64)
    return _observables_from(energy(spins), magnetization(spins), weights, n_sites, temperature)


# ---------------------------------------------------------------------------------------------
# Exact results: enumeration of tiny lattices, Onsager's infinite lattice
# ---------------------------------------------------------------------------------------------


def _check_exact_side(L: object) -> int:
    if isinstance(L, int) and not isinstance(L, bool) and L > MAX_EXACT_SIDE:
        raise ValueError(
            f"L must be at most {MAX_EXACT_SIDE} for exact enumeration (2^(L*L) states); got {L}. "
            f"Use sample(L, temperature, n_samples) for larger lattices."
        )
    return _check_int(L, "L", 2, MAX_EXACT_SIDE)


def exact_distribution(L: int, temperature: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Every configuration of the L x L lattice and its Boltzmann probability exp(-E/T) / Z.

    Returns ``(states, probabilities)``: ``states`` of shape ``(2^(L*L), L*L)`` holds +-1 spins
    (float32), row k being the binary expansion of k with site 0 the most significant bit and
    1 -> +1, 0 -> -1; ``probabilities`` (float64) sums to 1.  Only for ``L <= 4``.
    Introduced in notebook 09 (RBMs in physics).
    """
    L = _check_exact_side(L)
    temperature = _check_temperature(temperature)
    with single_thread():  # 6x faster than two threads on a busy 2-core machine
        states = all_states(L * L) * 2 - 1
        probabilities = torch.softmax(-energy(states, L) / temperature, dim=0)
    return states, probabilities


def exact_observables(L: int, temperature: float) -> dict[str, float]:
    """The four observables of ``observables`` averaged exactly over the Boltzmann distribution.

    Same keys and definitions as ``observables``; computed from ``exact_distribution``, so only
    for ``L <= 4``.
    Introduced in notebook 09 (RBMs in physics).
    """
    states, probabilities = exact_distribution(L, temperature)
    with single_thread():
        return _observables_from(energy(states, L), magnetization(states), probabilities, L * L, float(temperature))


def complete_elliptic_k(modulus: np.ndarray | float) -> np.ndarray:
    """Complete elliptic integral of the first kind K(k) = int_0^{pi/2} dθ / sqrt(1 - k^2 sin^2 θ).

    Computed as pi / (2 AGM(1, sqrt(1 - k^2))) with the arithmetic-geometric mean, for
    0 <= k < 1 (k is the modulus, not the parameter m = k^2).  Used by ``onsager_energy``.
    Introduced in notebook 09 (RBMs in physics).
    """
    modulus = np.asarray(modulus, dtype=np.float64)
    if np.any(~np.isfinite(modulus)) or np.any(modulus < 0) or np.any(modulus >= 1):
        raise ValueError("modulus must hold finite values in [0, 1); K(k) diverges at k = 1.")
    return np.pi / (2 * _agm(np.ones_like(modulus), np.sqrt((1 - modulus) * (1 + modulus))))


def _agm(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    for _ in range(60):  # converges quadratically; 60 rounds reach b = 1e-300 from a = 1
        a, b = (a + b) / 2, np.sqrt(a * b)
    return a


def _temperatures(temperature: object) -> tuple[np.ndarray, bool]:
    scalar = isinstance(temperature, (int, float, np.generic)) or (
        isinstance(temperature, torch.Tensor) and temperature.dim() == 0
    )
    if scalar:
        return np.array([_check_temperature(temperature)]), True
    values = np.asarray(temperature.detach().cpu() if isinstance(temperature, torch.Tensor) else temperature,
                        dtype=np.float64)
    if values.size == 0 or not np.all(np.isfinite(values)) or np.any(values <= 0):
        raise ValueError("temperature must be a finite number > 0, or a non-empty array of them.")
    return values, False


def _returned(values: np.ndarray, scalar: bool) -> float | torch.Tensor:
    return float(values[0]) if scalar else torch.from_numpy(values)


def onsager_energy(temperature: float | Sequence[float] | torch.Tensor) -> float | torch.Tensor:
    """Onsager's exact energy per spin of the infinite square lattice, u(T) = <E>/N.

    u = -coth(2β) [1 + (2/π)(2 tanh^2(2β) - 1) K(k)], with β = 1/T, k = 2 sinh(2β) / cosh^2(2β)
    and K the complete elliptic integral of the first kind (``complete_elliptic_k``); u(T_c) = -sqrt 2.
    A number gives a float; an array or tensor gives a float64 tensor of the same shape.
    Introduced in notebook 09 (RBMs in physics).
    """
    temperatures, scalar = _temperatures(temperature)
    beta2 = 2.0 / temperatures
    sinh2, cosh2 = np.sinh(beta2) ** 2, np.cosh(beta2) ** 2
    # 2 tanh^2(2β) - 1 = (sinh^2 - 1) / cosh^2 and sqrt(1 - k^2) = |1 - sinh^2| / cosh^2, exactly;
    # their product with K -> 0 at T_c, where K diverges logarithmically.
    complementary = np.abs(1 - sinh2) / cosh2
    with np.errstate(divide="ignore", invalid="ignore"):
        k_term = np.where(complementary > 0,
                          (sinh2 - 1) / cosh2 * np.pi / (2 * _agm(np.ones_like(complementary), complementary)), 0.0)
    values = -(1 / np.tanh(beta2)) * (1 + (2 / np.pi) * k_term)
    return _returned(values.reshape(np.shape(temperatures)), scalar)


def onsager_magnetization(temperature: float | Sequence[float] | torch.Tensor) -> float | torch.Tensor:
    """Onsager-Yang spontaneous magnetisation per spin, (1 - sinh(2/T)^-4)^(1/8) below T_c, 0 above.

    The infinite-lattice value of <|m|>; a finite lattice has <|m|> > 0 above T_c as well.
    A number gives a float; an array or tensor gives a float64 tensor of the same shape.
    Introduced in notebook 09 (RBMs in physics).
    """
    temperatures, scalar = _temperatures(temperature)
    with np.errstate(over="ignore"):
        inner = 1 - np.sinh(2 / temperatures) ** -4.0
    values = np.where(temperatures < CRITICAL_TEMPERATURE, np.clip(inner, 0, None) ** 0.125, 0.0)
    return _returned(values, scalar)


# ---------------------------------------------------------------------------------------------
# Spins as RBM visible units
# ---------------------------------------------------------------------------------------------


def to_binary(spins: torch.Tensor) -> torch.Tensor:
    """Spins +-1 -> visible units 1/0, v = (s + 1) / 2, as float32 (the RBM's unit states).

    Introduced in notebook 09 (RBMs in physics).
    """
    spins = check_spins(spins)
    return ((spins + 1) / 2).float()


def from_binary(v: torch.Tensor) -> torch.Tensor:
    """Visible units 1/0 -> spins +-1, s = 2 v - 1, as float32; the inverse of ``to_binary``.

    Introduced in notebook 09 (RBMs in physics).
    """
    if not isinstance(v, torch.Tensor) or v.dim() not in (1, 2) or v.numel() == 0:
        raise ValueError("v must be a non-empty torch.Tensor of 0/1 units, shape (batch, n_units).")
    if v.dim() == 1:
        v = v.unsqueeze(0)
    v = v.to(torch.float32)
    if not bool(((v == 0) | (v == 1)).all()):
        raise ValueError("v must hold only 0 and 1; got other values. Did you pass +-1 spins? They need no conversion.")
    return 2 * v - 1


# ---------------------------------------------------------------------------------------------
# Markov chain Monte Carlo: checkerboard Gibbs sweeps and Wolff cluster flips, batched over chains
# ---------------------------------------------------------------------------------------------

_DIRECTIONS = ((1, 1), (-1, 1), (1, 2), (-1, 2))  # (shift, dim) of the four neighbours in (chain, row, column)


def _neighbour_sum(lattice: torch.Tensor) -> torch.Tensor:
    return sum(torch.roll(lattice, shifts=shift, dims=dim) for shift, dim in _DIRECTIONS)


def _sublattices(L: int) -> list[torch.Tensor]:
    """Masks of sites no two of which are neighbours, so each can be updated in one go.

    Even L: the two colours of a checkerboard.  Odd L: the periodic wrap joins two rows of the
    same parity, so row i and column j get labels r = i mod 2 (r = 2 for the last) and the colour
    (r_i + r_j) mod 3 differs between any two neighbours.
    """
    index = torch.arange(L)
    if L % 2 == 0:
        colour = (index[:, None] + index[None, :]) % 2
    else:
        label = index % 2
        label[-1] = 2
        colour = (label[:, None] + label[None, :]) % 3
    return [colour == c for c in colour.unique()]


def _gibbs_sweep(lattice: torch.Tensor, sublattices: list[torch.Tensor], probability_up: torch.Tensor,
                 generator: torch.Generator) -> torch.Tensor:
    """One heat-bath (Gibbs) sweep: each sublattice in turn, every spin drawn from its conditional.

    p(s_i = +1 | neighbours) = sigmoid(2 h_i / T), h_i the sum of the four neighbours: the same
    update as an RBM's block Gibbs step.  Every spin can come out either way, so any configuration
    is reachable in one sweep.  (Metropolis flips with probability 1 when ΔE = 0, which on the
    2 x 2 lattice, where two sites share all their neighbours, locks them together and never
    reaches the striped states.)
    """
    for mask in sublattices:
        field = _neighbour_sum(lattice).long() + 4  # h_i + 4 in 0..8
        up = torch.rand(lattice.shape, generator=generator) < probability_up[field]
        lattice = torch.where(mask, up.float() * 2 - 1, lattice)
    return lattice


def _wolff_flip(lattice: torch.Tensor, bond_probability: float, generator: torch.Generator) -> torch.Tensor:
    """Flip one Wolff cluster in every chain at once.

    Each bond joining two aligned spins is opened with probability p = 1 - exp(-2/T) (one
    random number per bond, drawn up front); the cluster is every site reached from a random
    seed site through open bonds, found breadth-first for all chains together, then flipped.
    Drawing a bond before it is needed changes nothing: each bond is still tested once.
    """
    n_chains, L, _ = lattice.shape
    right_open = (lattice == torch.roll(lattice, -1, 2)) & (torch.rand(lattice.shape, generator=generator) < bond_probability)
    down_open = (lattice == torch.roll(lattice, -1, 1)) & (torch.rand(lattice.shape, generator=generator) < bond_probability)
    seeds = torch.randint(L * L, (n_chains,), generator=generator)
    cluster = torch.zeros(n_chains, L * L, dtype=torch.bool)
    cluster[torch.arange(n_chains), seeds] = True
    cluster = cluster.reshape(n_chains, L, L)
    frontier = cluster
    while bool(frontier.any()):
        reached = (torch.roll(frontier & right_open, 1, 2) | (torch.roll(frontier, -1, 2) & right_open)
                   | torch.roll(frontier & down_open, 1, 1) | (torch.roll(frontier, -1, 1) & down_open))
        frontier = reached & ~cluster
        cluster = cluster | frontier
    return torch.where(cluster, -lattice, lattice)


def _choose_method(method: object, temperature: float) -> str:
    if method not in _METHODS:
        raise ValueError(f"method must be one of {', '.join(map(repr, _METHODS))}; got {method!r}.")
    if method == "auto":
        return "wolff" if WOLFF_RANGE[0] <= temperature <= WOLFF_RANGE[1] else "gibbs"
    return method


def sample(
    L: int,
    temperature: float,
    n_samples: int,
    *,
    seed: int | None = None,
    burn_in: int | None = None,
    thinning: int | None = None,
    method: str = "auto",
    n_chains: int | None = None,
) -> torch.Tensor:
    """Draw ``n_samples`` configurations of the L x L Ising model at ``temperature`` by MCMC.

    Returns a float32 tensor of shape ``(n_samples, L*L)`` of +-1 spins, row-major sites.
    ``n_chains`` independent chains (default ``min(n_samples, 500)``) run side by side as one
    batch; the rows come chain by chain, each chain's samples in time order, so consecutive rows
    are consecutive samples of one chain.  One step of a chain is: (``method="gibbs"``) one
    checkerboard heat-bath sweep, every spin redrawn from p(s_i = +1 | neighbours) =
    sigmoid(2 h_i / T) as in an RBM's Gibbs step, then a flip of every spin with probability 1/2
    (E is unchanged, so this is exact and lets chains visit both signs of m); (``"wolff"``) one
    Wolff cluster flip before the same.  ``"auto"`` uses Wolff for 1.8 <= T <= 3.2, where local
    updates alone slow down near T_c (critical slowing down), else Gibbs.
    Chains start ordered (all +1) below T_c and random above; each runs ``burn_in`` steps, then
    keeps one configuration every ``thinning`` steps.  Defaults: burn_in = 100, thinning = 10,
    measured for L = 4 to 32 and T in [1.5, 4]: the integrated autocorrelation time of E and of
    |m| is at most 3.1 steps (|m| with Gibbs at T = 3.21, L = 32; with Wolff at T_c it is 0.7 at
    L = 4, 1.2 at L = 8 and 2.4 at L = 32; Gibbs alone at T_c, L = 8, would have 7.5), so kept
    samples are close to independent; and the
    mean energy of chains started ordered or random settles within 30 steps.  For L > 32 pass
    larger values.
    The same ``seed`` gives identical samples.
    Introduced in notebook 09 (RBMs in physics).
    """
    L = _check_int(L, "L", 2)
    temperature = _check_temperature(temperature)
    n_samples = _check_int(n_samples, "n_samples", 1)
    seed = _check_seed(seed)
    burn_in = DEFAULT_BURN_IN if burn_in is None else _check_int(burn_in, "burn_in", 0)
    thinning = DEFAULT_THINNING if thinning is None else _check_int(thinning, "thinning", 1)
    method = _choose_method(method, temperature)
    n_chains = min(n_samples, 500) if n_chains is None else _check_int(n_chains, "n_chains", 1)
    per_chain = math.ceil(n_samples / n_chains)
    n_chains = math.ceil(n_samples / per_chain)  # no chain runs only to be thrown away

    generator = _generator(seed)
    if temperature < CRITICAL_TEMPERATURE:
        lattice = torch.ones(n_chains, L, L)
    else:
        lattice = torch.randint(2, (n_chains, L, L), generator=generator).float() * 2 - 1
    sublattices = _sublattices(L)
    probability_up = torch.sigmoid(2 * torch.arange(-4, 5, dtype=torch.float32) / temperature)
    bond_probability = 1 - math.exp(-2 / temperature)

    def step(lattice: torch.Tensor) -> torch.Tensor:
        if method == "wolff":
            lattice = _wolff_flip(lattice, bond_probability, generator)
        lattice = _gibbs_sweep(lattice, sublattices, probability_up, generator)
        sign = torch.randint(2, (n_chains, 1, 1), generator=generator).float() * 2 - 1
        return lattice * sign

    kept = torch.empty(per_chain, n_chains, L * L)
    with single_thread():  # tiny tensors: a second thread only waits, and costs 10x on a busy machine
        for _ in range(burn_in):
            lattice = step(lattice)
        for index in range(per_chain):
            if index > 0:
                for _ in range(thinning):
                    lattice = step(lattice)
            kept[index] = lattice.reshape(n_chains, -1)
    return kept.transpose(0, 1).reshape(-1, L * L)[:n_samples].contiguous()


# ---------------------------------------------------------------------------------------------
# Search: ground states of arbitrary Ising energies, exactly and by simulated annealing
# ---------------------------------------------------------------------------------------------


def check_couplings(couplings: object, fields: object = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Check a coupling matrix J (square, symmetric, zero diagonal, finite) and optional fields h.

    Returns both as float64; ``fields`` defaults to zeros.  Raises ``ValueError`` naming the
    argument.
    Introduced in notebook 09 (RBMs in physics).
    """
    if not isinstance(couplings, torch.Tensor) or couplings.dim() != 2 or couplings.shape[0] != couplings.shape[1] \
            or couplings.shape[0] == 0:
        shape = tuple(couplings.shape) if isinstance(couplings, torch.Tensor) else type(couplings).__name__
        raise ValueError(f"couplings must be a square torch.Tensor of shape (n_spins, n_spins); got {shape}.")
    couplings = couplings.to(torch.float64)
    if not bool(torch.isfinite(couplings).all()):
        raise ValueError("couplings must be finite; got NaN or infinity.")
    if not torch.equal(couplings, couplings.T):
        raise ValueError("couplings must be symmetric, J[i, j] == J[j, i]; symmetrise with (J + J.T) / 2.")
    if bool((couplings.diagonal() != 0).any()):
        raise ValueError("couplings must have a zero diagonal (s_i^2 = 1 makes J[i, i] a constant); "
                         "use J.fill_diagonal_(0).")
    n_spins = couplings.shape[0]
    if fields is None:
        return couplings, torch.zeros(n_spins, dtype=torch.float64)
    if not isinstance(fields, torch.Tensor) or fields.shape != (n_spins,) or not bool(torch.isfinite(fields).all()):
        shape = tuple(fields.shape) if isinstance(fields, torch.Tensor) else type(fields).__name__
        raise ValueError(f"fields must be a finite torch.Tensor of shape ({n_spins},), one per spin; got {shape}.")
    return couplings, fields.to(torch.float64)


def random_spin_glass(n_spins: int, *, seed: int, distribution: str = "pm1") -> torch.Tensor:
    """Couplings of a random fully connected spin glass (Sherrington-Kirkpatrick without scaling).

    Each J[i, j] = J[j, i] for i < j is drawn independently: +1 or -1 with equal probability
    (``distribution="pm1"``, energies are integers) or standard normal (``"gaussian"``, the ground
    state is unique up to flipping every spin).  Zero diagonal; float64; same seed, same couplings.
    Introduced in notebook 09 (RBMs in physics).
    """
    n_spins = _check_int(n_spins, "n_spins", 2)
    if seed is None or isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueError(f"seed must be an integer; got {seed!r}.")
    if distribution not in ("pm1", "gaussian"):
        raise ValueError(f"distribution must be 'pm1' or 'gaussian'; got {distribution!r}.")
    generator = _generator(seed)
    if distribution == "pm1":
        values = torch.randint(2, (n_spins, n_spins), generator=generator).to(torch.float64) * 2 - 1
    else:
        values = torch.randn(n_spins, n_spins, generator=generator, dtype=torch.float64)
    upper = torch.triu(values, diagonal=1)
    return upper + upper.T


def max_cut_couplings(adjacency: torch.Tensor) -> torch.Tensor:
    """Couplings J = -W whose Ising ground state is a maximum cut of the graph with weights W.

    For spins s (the side of the cut each vertex is on), the cut weight is
    sum_{i<j} W_ij (1 - s_i s_j) / 2 = (W_total - E(s)) / 2 with E(s) = -1/2 s^T J s and W_total
    the sum of the edge weights, so the lowest energy is the largest cut.  ``adjacency`` must be
    symmetric with a zero diagonal and non-negative weights.
    Introduced in notebook 09 (RBMs in physics).
    """
    if isinstance(adjacency, torch.Tensor) and bool((adjacency < 0).any()):
        raise ValueError("adjacency must hold non-negative edge weights.")
    weights, _ = check_couplings(adjacency)
    return -weights


def ising_energy(spins: torch.Tensor, couplings: torch.Tensor, fields: torch.Tensor | None = None) -> torch.Tensor:
    """Energy E(s) = -1/2 s^T J s - h.s of +-1 spins, one value per row of ``spins`` (float64).

    The Boltzmann machine's energy with +-1 units; each pair i < j contributes -J_ij s_i s_j once.
    Introduced in notebook 09 (RBMs in physics).
    """
    couplings, fields = check_couplings(couplings, fields)
    spins = check_spins(spins, n_spins=couplings.shape[0])
    return -0.5 * ((spins @ couplings) * spins).sum(dim=1) - spins @ fields


def brute_force_ground_state(couplings: torch.Tensor, fields: torch.Tensor | None = None,
                             *, chunk_size: int = 2**16) -> tuple[torch.Tensor, float]:
    """The lowest-energy configuration by trying all 2^n, and its energy; ``n <= 20`` spins.

    Returns ``(state, energy)``: ``state`` of shape ``(n,)`` (float32, +-1) is the first minimiser
    in the order of ``exact_distribution`` (binary counting, spin 0 most significant, 1 -> +1); with no
    fields its global flip is a ground state too.  Enumerates ``chunk_size`` states at a time.
    Introduced in notebook 09 (RBMs in physics).
    """
    couplings, fields = check_couplings(couplings, fields)
    n_spins = couplings.shape[0]
    if n_spins > MAX_BRUTE_FORCE_SPINS:
        raise ValueError(f"couplings has {n_spins} spins; brute force enumerates at most "
                         f"{MAX_BRUTE_FORCE_SPINS} (2^{n_spins} states). Use anneal() instead.")
    chunk_size = _check_int(chunk_size, "chunk_size", 1)
    powers = 2 ** torch.arange(n_spins - 1, -1, -1)
    best_energy, best_state = math.inf, None
    with single_thread():
        for start in range(0, 2**n_spins, chunk_size):
            index = torch.arange(start, min(start + chunk_size, 2**n_spins))
            states = ((index[:, None] // powers) % 2).to(torch.float64) * 2 - 1
            energies = -0.5 * ((states @ couplings) * states).sum(dim=1) - states @ fields
            lowest = int(torch.argmin(energies))
            if float(energies[lowest]) < best_energy:
                best_energy, best_state = float(energies[lowest]), states[lowest]
    return best_state.float(), best_energy


def geometric_schedule(t_start: float, t_end: float, steps: int) -> torch.Tensor:
    """Temperatures t_start * (t_end / t_start)^(k / (steps - 1)), k = 0 .. steps - 1 (float64).

    Each temperature is a constant factor below the one before: the usual annealing schedule.
    Introduced in notebook 09 (RBMs in physics).
    """
    t_start = _check_temperature(t_start, "t_start")
    t_end = _check_temperature(t_end, "t_end")
    steps = _check_int(steps, "steps", 1)
    if steps == 1:
        return torch.tensor([t_start], dtype=torch.float64)
    return t_start * (t_end / t_start) ** (torch.arange(steps, dtype=torch.float64) / (steps - 1))


def _check_schedule(schedule: object) -> torch.Tensor:
    values = torch.as_tensor(schedule, dtype=torch.float64) if isinstance(schedule, (list, tuple, torch.Tensor)) else None
    if values is None or values.dim() != 1 or values.numel() == 0 or not bool(torch.isfinite(values).all()) \
            or bool((values <= 0).any()):
        raise ValueError("schedule must be a non-empty 1-D sequence of finite temperatures > 0, "
                         "e.g. geometric_schedule(3.0, 0.05, 200).")
    return values


def anneal(
    couplings: torch.Tensor,
    fields: torch.Tensor | None = None,
    *,
    schedule: Sequence[float] | torch.Tensor,
    sweeps_per_temperature: int = 1,
    n_chains: int = 16,
    seed: int | None = None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Simulated annealing of E(s) = -1/2 s^T J s - h.s by single-spin Metropolis, all chains at once.

    Each of ``n_chains`` chains starts from random spins and, at each temperature T of
    ``schedule`` in turn, runs ``sweeps_per_temperature`` sweeps; a sweep visits spins 0 .. n-1 in
    order and flips spin i with probability min(1, exp(-ΔE/T)), ΔE = 2 s_i (sum_j J_ij s_j + h_i).
    Returns ``(best_states, best_energies, trace)``: the lowest-energy state each chain visited at
    the end of any sweep (shape ``(n_chains, n)``, float32 +-1) and its energy (``(n_chains,)``,
    float64), and ``trace`` of shape ``(len(schedule), n_chains)``: each chain's energy after the
    last sweep at each temperature.
    Introduced in notebook 09 (RBMs in physics).
    """
    couplings, fields = check_couplings(couplings, fields)
    temperatures = _check_schedule(schedule)
    sweeps_per_temperature = _check_int(sweeps_per_temperature, "sweeps_per_temperature", 1)
    n_chains = _check_int(n_chains, "n_chains", 1)
    generator = _generator(_check_seed(seed))
    n_spins = couplings.shape[0]

    spins = torch.randint(2, (n_chains, n_spins), generator=generator).to(torch.float64) * 2 - 1
    local_fields = spins @ couplings + fields  # h_i + sum_j J_ij s_j, kept up to date after each flip
    current = -0.5 * ((spins @ couplings) * spins).sum(dim=1) - spins @ fields
    best_states, best_energies = spins.clone(), current.clone()
    trace = torch.empty(len(temperatures), n_chains, dtype=torch.float64)
    with single_thread():  # tiny tensors: see sample()
        for step, temperature in enumerate(temperatures.tolist()):
            for _ in range(sweeps_per_temperature):
                uniforms = torch.rand(n_spins, n_chains, generator=generator, dtype=torch.float64)
                for i in range(n_spins):
                    delta = 2 * spins[:, i] * local_fields[:, i]
                    flip = uniforms[i] < torch.exp(-delta / temperature)
                    change = torch.where(flip, -2 * spins[:, i], 0.0)  # new s_i - old s_i
                    spins[:, i] += change
                    local_fields += change[:, None] * couplings[i]
                    current = current + torch.where(flip, delta, 0.0)
                improved = current < best_energies
                best_states[improved], best_energies[improved] = spins[improved], current[improved]
            trace[step] = current
    return best_states.float(), best_energies, trace
