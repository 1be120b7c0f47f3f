"""Annealed importance sampling (AIS): log Z of an RBM too big to enumerate.

Neal (2001); for RBMs Salakhutdinov & Murray (2008). Start from a *base*
model A whose partition function is known -- no weights, visible biases
``base_bias`` (by default the data's base rates), so that
log Z_A = visible.log_partition(base_bias) -- and move to the target B
through the intermediate distributions

    f_k(v) = exp(-base(v) + v . ((1 - b_k) base_bias + b_k visible_bias))
             * prod_j (1 + exp(b_k (hidden_bias_j + (v^T W)_j))),

with 0 = b_0 < b_1 < ... < b_K = 1: an RBM with weights b_k W, itself easy to
Gibbs-sample. Each chain starts with an exact sample of A, and at every step
adds log f_k(v) - log f_{k-1}(v) to its log-weight, then takes one Gibbs
step that leaves f_k invariant. The mean of the weights estimates Z_B / Z_A
without bias; its logarithm is a slight underestimate of log Z_B on average.

Introduced in notebook 07 (an RBM that dreams: how good is the model?).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from .model import RBM
from .units.bernoulli import bernoulli
from .validation import check_positive_int

__all__ = ["AISResult", "log_partition", "log_likelihood"]


@dataclass(frozen=True)
class AISResult:
    """An AIS estimate of log Z: ``log_z``, and ``low`` / ``high``, log(mean weight -+ 3 standard errors).

    ``log_weights`` are the chains' final log-weights (log Z_B/Z_A estimates
    one by one), ``base_log_z`` is log Z_A. Introduced in notebook 07.
    """

    log_z: float
    low: float
    high: float
    log_weights: torch.Tensor
    base_log_z: float

    @property
    def effective_sample_size(self) -> float:
        """(sum w)^2 / sum w^2 of the chains' weights: how many chains the estimate is worth."""
        w = torch.exp(self.log_weights - self.log_weights.max())
        return (w.sum() ** 2 / (w * w).sum()).item()


def _base_bias(model: RBM, data: torch.Tensor | None, base_bias: torch.Tensor | None) -> torch.Tensor:
    if base_bias is not None:
        if not isinstance(base_bias, torch.Tensor) or tuple(base_bias.shape) != tuple(model.visible_bias.shape):
            raise ValueError(f"base_bias must be a tensor of the visible bias's shape {tuple(model.visible_bias.shape)}.")
        return base_bias.to(device=model.device, dtype=model.dtype).reshape(-1)
    if data is None:
        return torch.zeros(model.visible.size, device=model.device, dtype=model.dtype)
    values, observed = model.encode(data, "data")
    return model.visible.initial_bias(values, observed).reshape(-1)


def log_partition(
    model: RBM,
    *,
    chains: int = 100,
    steps: int = 1000,
    seed: int | None = None,
    data: torch.Tensor | None = None,
    base_bias: torch.Tensor | None = None,
) -> AISResult:
    """Estimate log Z of ``model`` by annealed importance sampling (see the module docstring).

    ``chains`` independent runs of ``steps`` intermediate distributions,
    spaced evenly in the weight scale b_k. The base model's visible biases are
    ``base_bias`` if given, else the base rates of ``data`` if given (the
    better the base model fits, the fewer steps are needed), else zero.
    ``seed`` fixes the random numbers. Introduced in notebook 07.
    """
    check_positive_int(chains, "chains")
    check_positive_int(steps, "steps")
    generator = torch.Generator(device=model.device).manual_seed(seed) if seed is not None else model.generator
    with torch.no_grad():
        start = _base_bias(model, data, base_bias)
        target = model.visible_bias.reshape(-1)
        # At b_0 = 0 every hidden unit is a free coin: a factor 2 each on top of Z_A.
        base_log_z = model.visible.log_partition(start.unsqueeze(0)).item() + model.n_hidden * math.log(2.0)
        values = model.visible.sample(start.expand(chains, -1).contiguous(), 1.0, generator)
        log_weights = torch.zeros(chains, device=model.device, dtype=torch.float64)
        betas = torch.linspace(0.0, 1.0, steps + 1, dtype=torch.float64).tolist()
        for previous, beta in zip(betas[:-1], betas[1:]):
            field = model.hidden_field(values)
            # log f_k(v) - log f_{k-1}(v): the base energy cancels, one hidden field serves both terms.
            change = (beta - previous) * (values @ (target - start))
            change += model.hidden.log_partition(field, beta) - model.hidden.log_partition(field, previous)
            log_weights += change.double()
            values = _gibbs_step(model, field, start, beta, generator)
    return _result(log_weights, base_log_z)


def _gibbs_step(model: RBM, hidden_field: torch.Tensor, start: torch.Tensor, beta: float, generator) -> torch.Tensor:
    """One Gibbs step h -> v of the intermediate RBM with weights beta W, from v's hidden field."""
    hidden = bernoulli(model.hidden.mean(hidden_field, beta), generator)
    field = (1.0 - beta) * start + beta * model.visible_field(hidden)
    return model.visible.sample(field, 1.0, generator)


def _result(log_weights: torch.Tensor, base_log_z: float) -> AISResult:
    top = log_weights.max()
    weights = torch.exp(log_weights - top)
    mean = weights.mean().item()
    error = 3 * weights.std(unbiased=True).item() / math.sqrt(weights.numel()) if weights.numel() > 1 else math.inf
    offset = base_log_z + top.item()
    low = offset + math.log(mean - error) if mean > error else -math.inf
    return AISResult(offset + math.log(mean), low, offset + math.log(mean + error), log_weights.cpu(), base_log_z)


def log_likelihood(model: RBM, v: torch.Tensor, estimate: AISResult) -> torch.Tensor:
    """log p(v) = -F(v) - log Z for each row of ``v``, with log Z from an AIS ``estimate``.

    Introduced in notebook 07 (test log-likelihood of CD-1, CD-10 and PCD models).
    """
    if not isinstance(estimate, AISResult):
        raise ValueError(f"estimate must be an AISResult from rbm_helpers.ais.log_partition; got {type(estimate).__name__}.")
    values, _ = model.encode(v, allow_missing=False)
    with torch.no_grad():
        return -model.encoded_free_energy(values) - estimate.log_z
