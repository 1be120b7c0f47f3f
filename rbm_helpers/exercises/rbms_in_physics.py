"""Checkers for the exercises of notebook 09 (RBMs in physics): lattice energy, Metropolis acceptance, specific heat.

Introduced in notebook 09.
"""
from __future__ import annotations

from typing import Callable

import torch

from .. import ising
from .checking import (
    DTYPE,
    correct,
    diagnose_number,
    function_name,
    mismatch,
    returned_number,
    returned_tensor,
    wrong,
)

__all__ = ["check_lattice_energy", "check_metropolis_acceptance", "check_specific_heat"]


# ---------------------------------------------------------------------- exercise 1: the energy of a configuration
ENERGY_HINT = (
    "Reshape each row to an L x L lattice, multiply every spin by its right and its lower neighbour "
    "(torch.roll(lattice, -1, dims=...) wraps around the edges), sum, and put a minus sign in front: "
    "each of the 2 L^2 bonds counted once."
)


def _lattice_case() -> tuple[torch.Tensor, int]:
    """Eight seeded 4 x 4 configurations: all up, all down, a checkerboard, a stripe and four random ones."""
    L = 4
    generator = torch.Generator().manual_seed(9)
    spins = (torch.randint(2, (8, L * L), generator=generator) * 2 - 1).to(DTYPE)
    index = torch.arange(L)
    spins[0], spins[1] = 1.0, -1.0
    spins[2] = ((index[:, None] + index[None, :]) % 2 * 2 - 1).flatten().to(DTYPE)
    spins[3] = (index[:, None].expand(L, L) < 2).flatten().to(DTYPE) * 2 - 1
    return spins, L


def _open_boundary_energy(spins: torch.Tensor, L: int) -> torch.Tensor:
    lattice = spins.reshape(-1, L, L)
    return -((lattice[:, :, :-1] * lattice[:, :, 1:]).sum((1, 2)) + (lattice[:, :-1, :] * lattice[:, 1:, :]).sum((1, 2)))


def check_lattice_energy(lattice_energy: Callable) -> bool:
    """Check ``lattice_energy(spins, L)``: E(s) = -sum over nearest-neighbour bonds of s_a s_b, one per row.

    ``spins`` is (batch, L*L) of +-1, row-major, periodic boundaries. Compared with
    ``ising.energy``. Introduced in notebook 09.
    """
    spins, L = _lattice_case()
    expected = ising.energy(spins, L)
    result = returned_tensor(lattice_energy, (spins, L), ENERGY_HINT, shape=tuple(expected.shape),
                             shape_hint="Return one energy per configuration: shape (batch,).")
    if result is None:
        return False
    mistakes = [
        (2 * expected, "every bond is counted twice (the all-up lattice should have E = -2 L^2 = -32, not -64).",
         "Sum over the right and the lower neighbour only, not all four: each bond has two ends."),
        (-expected, "the sign is wrong: aligned neighbours should *lower* the energy (all up gives -32).",
         "E = -sum s_a s_b, with the minus sign."),
        (_open_boundary_energy(spins, L), "the bonds across the edges are missing (the lattice is periodic).",
         "torch.roll wraps the last column round to the first; slicing [:, 1:] does not."),
    ]
    problem = mismatch(result, expected, mistakes, ENERGY_HINT, differ="largest difference from ising.energy: {:.3g}.")
    if problem:
        return wrong(*problem)
    return correct(f"{function_name(lattice_energy)} gives the energy of 8 configurations of the 4 x 4 lattice "
                   f"(all up: {expected[0]:.0f}, checkerboard: {expected[2]:.0f}, stripes: {expected[3]:.0f}).")


# ---------------------------------------------------------------------- exercise 2: Metropolis acceptance
METROPOLIS_HINT = "Accept a flip that changes the energy by delta_energy with probability min(1, exp(-delta_energy / T))."


def check_metropolis_acceptance(metropolis_acceptance: Callable) -> bool:
    """Check ``metropolis_acceptance(delta_energy, temperature)``: min(1, exp(-ΔE / T)), elementwise.

    ``delta_energy`` is a float64 tensor of energy changes of proposed flips. Introduced in notebook 09.
    """
    delta = torch.tensor([-8.0, -4.0, 0.0, 2.0, 4.0, 8.0, 0.5, -0.5], dtype=DTYPE)
    temperature = 2.0
    expected = torch.clamp(torch.exp(-delta / temperature), max=1.0)
    result = returned_tensor(metropolis_acceptance, (delta, temperature), METROPOLIS_HINT, shape=tuple(expected.shape),
                             shape_hint="Return one probability per proposed flip, the shape of delta_energy.")
    if result is None:
        return False
    mistakes = [
        (torch.exp(-delta / temperature), "some probabilities are above 1: a flip that lowers the energy is always taken.",
         "Cap at 1: torch.clamp(..., max=1.0)."),
        (torch.clamp(torch.exp(delta / temperature), max=1.0), "flips that raise the energy are always accepted; the sign is wrong.",
         "exp(-delta_energy / T): going uphill should be unlikely."),
        (torch.clamp(torch.exp(-delta * temperature), max=1.0), "you multiplied by the temperature instead of dividing.",
         "Divide by T: at high temperature uphill moves become likely."),
        (torch.sigmoid(-delta / temperature), "that is the heat-bath (Glauber) probability 1 / (1 + exp(ΔE/T)), a valid rule but not Metropolis.",
         "Metropolis accepts every downhill move: min(1, exp(-ΔE/T))."),
    ]
    problem = mismatch(result, expected, mistakes, METROPOLIS_HINT, differ="largest difference from min(1, exp(-ΔE/T)): {:.3g}.")
    if problem:
        return wrong(*problem)
    return correct(f"{function_name(metropolis_acceptance)} accepts a flip with ΔE = 4 at T = 2 with probability "
                   f"{expected[4]:.4f}, and every downhill flip.")


# ---------------------------------------------------------------------- exercise 3: the specific heat
HEAT_HINT = "C = (mean(E^2) - mean(E)^2) / (N T^2), with E the total energies of the samples and N the number of spins."


def check_specific_heat(specific_heat: Callable) -> bool:
    """Check ``specific_heat(energies, n_spins, temperature)``: C = Var(E) / (N T^2) per spin.

    ``energies`` are total energies of Monte Carlo samples (float64). The population variance is
    expected; the unbiased one (dividing by n - 1) is accepted too. Compared with
    ``ising.observables``. Introduced in notebook 09.
    """
    temperature, L = 2.5, 4
    spins = ising.sample(L, temperature, 400, seed=3).to(DTYPE)
    energies = ising.energy(spins, L)
    expected = ising.observables(spins, temperature)["specific_heat"]
    n = energies.numel()
    value = returned_number(specific_heat, (energies, L * L, temperature), HEAT_HINT,
                            number_hint="Return one number, the specific heat per spin.")
    if value is None:
        return False
    variance = float(energies.var(unbiased=False))
    if abs(value - expected * n / (n - 1)) < 1e-9:
        return correct(f"{function_name(specific_heat)} gives C = {value:.4f} (with the unbiased variance; "
                       f"the population variance gives {expected:.4f}, the same for many samples).")
    mistakes = [
        (variance / (L * L), "you forgot to divide by T^2.", "C = Var(E) / (N T^2): the fluctuations in units of the temperature."),
        (variance / temperature**2, "this is the specific heat of the whole lattice, not per spin.", "Divide by N = L^2 as well."),
        (variance / (L * L * temperature), "you divided by T, not T^2.", "C = Var(E) / (N T^2)."),
        (float(energies.mean()) / (L * L), "this is the mean energy per spin, not its fluctuation.", HEAT_HINT),
        (float((energies / (L * L)).var(unbiased=False)) / temperature**2,
         "you took the variance of the energy per spin, which divides by N twice.", "Var(E) / (N T^2), with E the total energy."),
    ]
    problem = diagnose_number(value, expected, mistakes, tolerance=1e-9)
    if problem:
        return wrong(*problem)
    if abs(value - expected) > 1e-9:
        return wrong(f"you returned {value:.4f}; expected {expected:.4f}.", HEAT_HINT)
    return correct(f"{function_name(specific_heat)} gives C = {value:.4f} from {n} samples of the 4 x 4 lattice at T = {temperature}.")
