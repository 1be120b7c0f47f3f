"""RBMs trained on Ising samples: fit with a held-out score, sample back, compare distributions.

Torlai & Melko (2016), "Learning thermodynamics with Boltzmann machines": train an RBM on Monte
Carlo configurations of the Ising model at one temperature, draw new configurations from it by
block Gibbs sampling, and compare their observables with the Monte Carlo ones.  ``fit`` trains
with CD-k or PCD-k and keeps the checkpoint with the best *held-out log-likelihood* (exact when a
layer can be enumerated, else annealed importance sampling), never the observables the model is
scored on afterwards; ``sample_spins`` draws configurations; ``kl_divergence`` compares two
enumerated distributions.
Introduced in notebook 09 (RBMs in physics); used by benchmarks/ising.py.
"""
from __future__ import annotations

import copy
import math

import pandas as pd
import torch

from . import ais, exact
from .ising import check_spins, energy, from_binary, magnetization, to_binary
from .model import RBM
from .training import train

__all__ = ["distribution_observables", "fit", "fit_exact", "held_out_log_likelihood", "kl_divergence", "relative_error", "sample_spins"]


def held_out_log_likelihood(rbm: RBM, v: torch.Tensor, *, seed: int = 0, ais_chains: int = 200,
                            ais_steps: int = 1000) -> float:
    """Mean log p(v) over the rows of ``v`` (0/1 units): exact if a layer has at most 20 units, else AIS.

    With AIS, ``ais_chains`` runs of ``ais_steps`` steps from the data's base rates (seeded).
    Introduced in notebook 09 (RBMs in physics).
    """
    if min(rbm.n_visible, rbm.n_hidden) <= 20:
        return float(exact.log_likelihood(rbm, v.to(rbm.dtype)).mean())
    estimate = ais.log_partition(rbm, chains=ais_chains, steps=ais_steps, seed=seed, data=v)
    return float(ais.log_likelihood(rbm, v.to(rbm.dtype), estimate).mean())


def fit(
    spins: torch.Tensor,
    n_hidden: int,
    *,
    validation: torch.Tensor,
    epochs: int = 100,
    check_every: int = 10,
    method: str = "pcd",
    k: int = 1,
    learning_rate: float = 0.01,
    batch_size: int = 100,
    momentum: float = 0.5,
    optimizer: str = "sgd",
    init_std: float = 0.01,
    seed: int = 0,
    dtype: torch.dtype = torch.float32,
    device: str | None = None,
) -> tuple[RBM, pd.DataFrame]:
    """Train an RBM on ``spins`` (+-1 rows, as 0/1 visible units) and keep its best held-out checkpoint.

    Every ``check_every`` epochs the mean log-likelihood of ``validation`` (+-1 rows not trained
    on) is measured by ``held_out_log_likelihood``; the parameters with the highest value are
    returned, with a history of ``epoch`` and ``validation_log_likelihood`` per check.  Visible
    biases start at the data's base rates; ``method``, ``k``, ``learning_rate``, ``momentum`` and
    ``batch_size`` go to ``train``; ``optimizer`` is ``"sgd"`` (with momentum) or ``"adam"`` (one
    optimizer, and its state, for the whole run); weights start from N(0, ``init_std``^2).
    Introduced in notebook 09 (RBMs in physics).
    """
    if not isinstance(check_every, int) or check_every < 1 or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs and check_every must be integers >= 1; got {epochs!r} and {check_every!r}.")
    data = to_binary(spins).to(dtype)
    held_out = to_binary(check_spins(validation, "validation", n_spins=data.shape[1])).to(dtype)
    rbm = RBM(data.shape[1], n_hidden, seed=seed, dtype=dtype, device=device, init_std=init_std)
    data, held_out = data.to(rbm.device), held_out.to(rbm.device)
    rbm.init_visible_bias(data)
    if optimizer not in ("sgd", "adam"):
        raise ValueError(f"optimizer must be 'sgd' or 'adam'; got {optimizer!r}.")
    groups = rbm.parameter_groups(0.0)
    step_rule = (torch.optim.Adam(groups, lr=learning_rate) if optimizer == "adam"
                 else torch.optim.SGD(groups, lr=learning_rate, momentum=momentum))
    torch.manual_seed(seed)  # train's shuffling
    best, best_score, records, done = copy.deepcopy(rbm.state_dict()), -math.inf, [], 0
    while done < epochs:
        step = min(check_every, epochs - done)
        train(rbm, data, epochs=step, batch_size=batch_size, learning_rate=learning_rate, momentum=momentum,
              k=k, method=method, seed=seed + done, progress=False, monitor=False, optimizer=step_rule)
        done += step
        score = held_out_log_likelihood(rbm, held_out, seed=seed)
        records.append({"epoch": done, "validation_log_likelihood": score})
        if score > best_score:
            best, best_score = copy.deepcopy(rbm.state_dict()), score
    rbm.load_state_dict(best)
    return rbm, pd.DataFrame(records)


def fit_exact(spins: torch.Tensor, n_hidden: int, *, steps: int = 300, learning_rate: float = 0.05,
              seed: int = 0) -> tuple[RBM, list[float]]:
    """Fit a float64 RBM to ``spins`` (+-1 rows, at most 20 sites) by the exact log-likelihood gradient.

    Small lattices only: log Z is summed over every state of the smaller layer, so the gradient has no sampling
    noise and no CD bias; ``steps`` full-batch Adam steps of ``learning_rate`` on
    -mean log p(v) = mean F(v) + log Z, weights started from N(0, 0.01^2) (``seed``), visible biases
    at the data's base rates.  Returns the RBM and the training log-likelihood per step.
    Introduced in notebook 09 (RBMs in physics).
    """
    data = to_binary(spins).to(torch.float64)
    n_visible = data.shape[1]
    if n_visible > 20:
        raise ValueError(f"fit_exact enumerates 2^n_visible states; got n_visible = {n_visible} > 20. Use fit().")
    rbm = RBM(n_visible, n_hidden, seed=seed, dtype=torch.float64)
    rbm.init_visible_bias(data)
    weight, visible_bias, hidden_bias = (p.detach().clone().requires_grad_(True)
                                         for p in (rbm.weight, rbm.visible_bias, rbm.hidden_bias))
    states = exact.all_states(n_visible, dtype=torch.float64)
    hidden_states = exact.all_states(n_hidden, dtype=torch.float64) if n_hidden < n_visible else None
    counts = torch.zeros(2**n_visible, dtype=torch.float64)
    index = (data.long() * 2 ** torch.arange(n_visible - 1, -1, -1)).sum(1)  # row of each sample in ``states``
    counts.index_add_(0, index, torch.ones(len(index), dtype=torch.float64))
    seen = counts > 0
    optimizer = torch.optim.Adam([weight, visible_bias, hidden_bias], lr=learning_rate)
    history = []
    for _ in range(steps):
        free = -states[seen] @ visible_bias - torch.nn.functional.softplus(states[seen] @ weight + hidden_bias).sum(1)
        if hidden_states is None:  # log Z summed over the visible states
            all_free = -states @ visible_bias - torch.nn.functional.softplus(states @ weight + hidden_bias).sum(1)
            log_z = torch.logsumexp(-all_free, 0)
        else:  # or over the hidden states, the smaller layer: -F(h) = h.c + sum_i softplus(b_i + (W h)_i)
            log_z = torch.logsumexp(hidden_states @ hidden_bias
                                    + torch.nn.functional.softplus(hidden_states @ weight.T + visible_bias).sum(1), 0)
        log_likelihood = -(counts[seen] * free).sum() / counts.sum() - log_z
        optimizer.zero_grad()
        (-log_likelihood).backward()
        optimizer.step()
        history.append(log_likelihood.item())
    with torch.no_grad():
        rbm.weight.copy_(weight)
        rbm.visible_bias.copy_(visible_bias)
        rbm.hidden_bias.copy_(hidden_bias)
    return rbm, history


@torch.no_grad()
def sample_spins(rbm: RBM, n_samples: int, *, burn_in: int = 1000, thinning: int = 10, n_chains: int = 500,
                 seed: int = 0) -> torch.Tensor:
    """Configurations drawn from ``rbm`` by block Gibbs sampling, as +-1 spins (float32).

    ``n_chains`` chains start from random visible units, run ``burn_in`` Gibbs steps, then keep one
    configuration every ``thinning`` steps until ``n_samples`` are kept (rows chain by chain).
    Introduced in notebook 09 (RBMs in physics).
    """
    if not isinstance(n_samples, int) or n_samples < 1:
        raise ValueError(f"n_samples must be an integer >= 1; got {n_samples!r}.")
    n_chains = min(n_chains, n_samples)
    per_chain = math.ceil(n_samples / n_chains)
    generator = torch.Generator(device=rbm.device).manual_seed(seed)
    v = (torch.rand(n_chains, rbm.n_visible, generator=generator, device=rbm.device) < 0.5).to(rbm.dtype)
    kept = []
    v, _ = rbm.gibbs_chain(v, burn_in, generator=generator) if burn_in else (v, None)
    for index in range(per_chain):
        if index:
            v, _ = rbm.gibbs_chain(v, thinning, generator=generator)
        kept.append(v)
    rows = torch.stack(kept, 1).reshape(-1, rbm.n_visible)[:n_samples]
    return from_binary(rows.float().cpu())


def kl_divergence(p: torch.Tensor, q: torch.Tensor) -> float:
    """KL(p || q) = sum_x p(x) log(p(x) / q(x)) in nats, for two distributions over the same states.

    Terms with p(x) = 0 count zero.  Introduced in notebook 09 (RBMs in physics).
    """
    p, q = torch.as_tensor(p, dtype=torch.float64), torch.as_tensor(q, dtype=torch.float64)
    if p.shape != q.shape:
        raise ValueError(f"p and q must have the same shape; got {tuple(p.shape)} and {tuple(q.shape)}.")
    support = p > 0
    return float((p[support] * (p[support].log() - q[support].log())).sum())


def relative_error(value: float, reference: float) -> float:
    """|value - reference| / |reference|.  Introduced in notebook 09 (RBMs in physics)."""
    return abs(value - reference) / abs(reference)



def distribution_observables(spins: torch.Tensor, probabilities: torch.Tensor, temperature: float) -> dict[str, float]:
    """The four observables of ``ising.observables`` averaged over a distribution instead of samples.

    ``spins`` holds every configuration (+-1 rows of a square lattice) and ``probabilities`` their
    probabilities, e.g. an RBM's ``exact.visible_distribution`` turned into spins: E per spin, <|m|>,
    C = Var(E) / (N T^2) and chi = N (<m^2> - <|m|>^2) / T.
    Introduced in notebook 09 (RBMs in physics).
    """
    spins = check_spins(spins)
    weights = torch.as_tensor(probabilities, dtype=torch.float64).reshape(-1)
    if weights.numel() != spins.shape[0]:
        raise ValueError(f"probabilities must have one value per row of spins ({spins.shape[0]}); got {weights.numel()}.")
    weights = weights / weights.sum()
    e, m, n = energy(spins), magnetization(spins), spins.shape[1]
    mean = lambda x: float((weights * x).sum())  # noqa: E731
    return {
        "energy": mean(e) / n,
        "magnetization": mean(m.abs()),
        "specific_heat": (mean(e**2) - mean(e) ** 2) / (n * temperature**2),
        "susceptibility": n * (mean(m**2) - mean(m.abs()) ** 2) / temperature,
    }
