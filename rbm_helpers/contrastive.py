"""Contrastive divergence (CD-k) and persistent CD (PCD-k) gradient estimates.

The log-likelihood gradient of an RBM is a difference of two expectations,

    d log p(v) / d weight = E_data[v h^T] - E_model[v h^T],

the first easy (h given the data is one sigmoid away), the second a sum over
every state of the model. CD-k replaces the model's expectation by the state
reached after k Gibbs steps started *at the data*; PCD-k keeps chains running
from one update to the next (Tieleman, 2008). Both use hidden probabilities,
not samples, in the statistics: same expectation, less noise.

Introduced in notebook 02 (the CD-k update).
"""
from __future__ import annotations

from typing import NamedTuple

import torch

from .model import RBM, ObservedPattern, split_missing
from .validation import check_positive_int


class Gradients(NamedTuple):
    """The mean log-likelihood gradient (an ascent direction), one tensor per parameter.

    Introduced in notebook 02 (the CD-k update).
    """

    weight: torch.Tensor
    visible_bias: torch.Tensor
    hidden_bias: torch.Tensor


def _difference(
    values: torch.Tensor, p_h: torch.Tensor, negative: torch.Tensor, p_h_negative: torch.Tensor
) -> Gradients:
    """<v h^T>_data - <v h^T>_model and likewise for the biases, each a mean over its rows.

    Hidden units enter at their probabilities: same expectation as samples, less noise.
    """
    n, m = values.shape[0], negative.shape[0]
    weight = torch.addmm(values.T @ p_h, negative.T, p_h_negative, beta=1 / n, alpha=-1 / m)
    return Gradients(weight, values.mean(0) - negative.mean(0), p_h.mean(0) - p_h_negative.mean(0))


def cd_statistics(
    rbm: RBM,
    values: torch.Tensor,
    observed: torch.Tensor | None,
    k: int,
    generator: torch.Generator | None,
) -> Gradients:
    """CD-k on zero-filled ``values`` with mask ``observed``; no validation (the training hot path).

    Introduced in notebook 02 (the CD-k update).
    """
    pattern = ObservedPattern.of(observed) if observed is not None else None
    p_h = rbm._hidden_probabilities(values, pattern)
    negative, _ = rbm._gibbs_chain(values, observed, k, generator, p_h, pattern)
    return _difference(values, p_h, negative, rbm._hidden_probabilities(negative, pattern))


def cd_gradient(rbm: RBM, v: torch.Tensor, k: int = 1, *, generator: torch.Generator | None = None) -> Gradients:
    """CD-k estimate of the mean log-likelihood gradient over the rows of ``v``.

    Each chain starts at its data row and takes ``k`` full Gibbs steps; the
    estimate is biased for small ``k`` and approaches the exact gradient
    (``rbm_helpers.exact.log_likelihood_gradient``) as ``k`` grows.
    Missing units (-1) contribute no gradient. Introduced in notebook 02.
    """
    check_positive_int(k, "k")
    values, observed = split_missing(rbm._visible(v))
    return cd_statistics(rbm, values, observed, k, generator or rbm.generator)


def pcd_statistics(
    rbm: RBM,
    values: torch.Tensor,
    chains: torch.Tensor,
    chains_observed: torch.Tensor | None,
    k: int,
    generator: torch.Generator | None,
) -> tuple[Gradients, torch.Tensor]:
    """PCD-k on zero-filled inputs; returns the gradient and the advanced chains (no validation).

    Introduced in notebook 04 (CD against PCD).
    """
    chains, _ = rbm._gibbs_chain(chains, chains_observed, k, generator)
    return _difference(values, rbm._hidden_probabilities(values), chains, rbm._hidden_probabilities(chains)), chains


def pcd_gradient(
    rbm: RBM,
    v: torch.Tensor,
    chains: torch.Tensor,
    k: int = 1,
    *,
    generator: torch.Generator | None = None,
) -> tuple[Gradients, torch.Tensor]:
    """PCD-k: the data term from ``v``, the model term from ``chains`` advanced ``k`` steps.

    ``chains`` are visible states (any number of rows) that persist between
    updates; pass back the returned chains next time. Missing units (-1) in
    ``v`` contribute no positive statistics; missing units in ``chains`` stay
    missing. Introduced in notebook 04 (CD against PCD).
    """
    check_positive_int(k, "k")
    values, _ = split_missing(rbm._visible(v))
    chain_values, chain_observed = split_missing(rbm._visible(chains, "chains"))
    gradients, advanced = pcd_statistics(rbm, values, chain_values, chain_observed, k, generator or rbm.generator)
    if chain_observed is not None:
        advanced = torch.where(chain_observed.bool(), advanced, torch.full_like(advanced, -1.0))
    return gradients, advanced
