"""Samplers that keep chains between updates: persistent fantasy chains and parallel tempering.

Both have the same small interface, ``advance(model, steps, generator)``,
which moves their chains on and returns the encoded visible states of the
chains at inverse temperature 1; ``rbm_helpers.train`` uses them for the
negative phase (``method="pcd"`` is ``PersistentChains``; pass a
``ParallelTempering`` as ``method``), and they draw samples from a trained
model on their own.

Parallel tempering (Swendsen & Wang 1986; for RBMs Desjardins et al. 2010)
runs one chain per inverse temperature beta_1 = 1 > beta_2 > ... > beta_M,
each a Gibbs chain of p_beta(v) proportional to exp(-F_beta(v)); after each
sweep neighbouring temperatures propose to swap their states, accepted with
the Metropolis probability

    min(1, exp(F_bi(v_i) + F_bj(v_j) - F_bi(v_j) - F_bj(v_i))),

which leaves the product of the M distributions invariant. Hot chains move
freely between modes and hand their states down to the cold one.
Introduced in notebook 04 (persistent chains) and notebook 07 (tempering).
"""
from __future__ import annotations

import math

import torch

from .model import RBM
from .units import check_beta
from .validation import check_positive_int

__all__ = ["ParallelTempering", "PersistentChains", "geometric_betas", "swap_log_acceptance"]


class PersistentChains:
    """Tieleman's (2008) persistent fantasy chains: ``n_chains`` Gibbs chains that are never restarted.

    ``initial`` are encoded visible states to start from (e.g. data rows).
    Introduced in notebook 04 (CD against PCD).
    """

    def __init__(self, initial: torch.Tensor) -> None:
        self.chains = initial.clone()

    def advance(self, model: RBM, steps: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """Move every chain ``steps`` Gibbs steps on; return their states (encoded)."""
        self.chains, _ = model.gibbs_chain(self.chains, steps, generator=generator)
        return self.chains


def geometric_betas(n_temperatures: int, smallest: float = 0.1) -> torch.Tensor:
    """``n_temperatures`` inverse temperatures from 1 down to ``smallest``, evenly spaced in log beta.

    Introduced in notebook 07 (parallel tempering).
    """
    check_positive_int(n_temperatures, "n_temperatures")
    check_beta(smallest)
    if n_temperatures == 1:
        return torch.ones(1, dtype=torch.float64)
    return torch.logspace(0.0, math.log10(smallest), n_temperatures, dtype=torch.float64)


def swap_log_acceptance(
    model: RBM, first: torch.Tensor, second: torch.Tensor, beta_first: float, beta_second: float
) -> torch.Tensor:
    """log of the Metropolis acceptance of swapping encoded states ``first`` (at beta_first) and ``second``.

    min(0, F_b1(v1) + F_b2(v2) - F_b1(v2) - F_b2(v1)), one value per row.
    Introduced in notebook 07 (parallel tempering).
    """
    with torch.no_grad():
        stay = model.encoded_free_energy(first, beta=beta_first) + model.encoded_free_energy(second, beta=beta_second)
        swap = model.encoded_free_energy(second, beta=beta_first) + model.encoded_free_energy(first, beta=beta_second)
    return (stay - swap).clamp(max=0.0)


class ParallelTempering:
    """Parallel tempering over ``betas`` (the first must be 1), ``n_chains`` independent ladders.

    ``initial`` are encoded visible states (one row per ladder), copied to
    every temperature. ``swaps`` counts proposed and accepted swaps per pair of
    neighbours (``acceptance_rates``). Introduced in notebook 07 (an RBM that dreams).
    """

    def __init__(self, betas: torch.Tensor | list[float], initial: torch.Tensor) -> None:
        betas = torch.as_tensor(betas, dtype=torch.float64).flatten()
        if betas.numel() < 1 or betas[0].item() != 1.0 or not bool((betas[1:] < betas[:-1]).all()) or betas[-1] <= 0:
            raise ValueError(f"betas must start at 1 and decrease, staying above 0; got {betas.tolist()}.")
        self.betas = betas.tolist()
        self.states = [initial.clone() for _ in self.betas]
        self.proposed = torch.zeros(len(self.betas) - 1)
        self.accepted = torch.zeros(len(self.betas) - 1)
        self._sweeps = 0

    @property
    def acceptance_rates(self) -> torch.Tensor:
        """The fraction of proposed swaps accepted between each pair of neighbouring temperatures."""
        return self.accepted / self.proposed.clamp(min=1)

    def advance(self, model: RBM, steps: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """``steps`` rounds of (one Gibbs step at every temperature, then swaps); the beta = 1 states."""
        for _ in range(steps):
            self.states = [
                model.gibbs_chain(state, 1, beta=beta, generator=generator)[0] for state, beta in zip(self.states, self.betas)
            ]
            self._swap(model, generator)
        return self.states[0]

    def _swap(self, model: RBM, generator: torch.Generator | None) -> None:
        """Propose swaps between neighbours (even pairs, then odd pairs on alternate sweeps)."""
        first_pair = self._sweeps % 2
        self._sweeps += 1
        for i in range(first_pair, len(self.betas) - 1, 2):
            log_accept = swap_log_acceptance(model, self.states[i], self.states[i + 1], self.betas[i], self.betas[i + 1])
            uniform = torch.rand(log_accept.shape, generator=generator, device=log_accept.device, dtype=log_accept.dtype)
            accept = (uniform.log() < log_accept).unsqueeze(1)
            self.states[i], self.states[i + 1] = (
                torch.where(accept, self.states[i + 1], self.states[i]),
                torch.where(accept, self.states[i], self.states[i + 1]),
            )
            self.proposed[i] += accept.numel()
            self.accepted[i] += accept.sum().item()
