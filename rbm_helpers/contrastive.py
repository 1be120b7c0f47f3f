"""Contrastive divergence (CD-k) and persistent CD (PCD-k): gradient estimates by autograd.

The log-likelihood gradient of an RBM is a difference of two expectations,

    d log p(v) / d parameter = -E_data[dF(v)/d parameter] + E_model[dF(v)/d parameter],

the first easy, the second a sum over every state of the model. CD-k
replaces the model's expectation by the state reached after k Gibbs steps
started *at the data*; PCD-k keeps fantasy chains running from one update to
the next (Tieleman, 2008). Either way the estimate is the gradient of the
*contrastive loss*

    loss = mean F(v_data) - mean F(v_chain),

with the chain's states held fixed: ``loss.backward()`` gives minus the
estimate, and a ``torch.optim`` optimizer minimising the loss climbs the
likelihood. (For binary units this is exactly <v p(h|v)^T>_data -
<v p(h|v)^T>_chain for the weights: hidden probabilities, not samples, in the
statistics; the tests check autograd against that formula.)

Introduced in notebook 02 (the CD-k update); PCD in notebook 04.
"""
from __future__ import annotations

import torch

from .model import RBM, Gradients, ObservedPattern
from .validation import check_positive_int

__all__ = ["Gradients", "cd_gradient", "cd_loss", "cd_statistics", "contrastive_loss", "pcd_gradient", "pcd_loss"]


def cd_loss(
    model: RBM,
    values: torch.Tensor,
    k: int,
    *,
    pattern: ObservedPattern | None = None,
    condition: torch.Tensor | None = None,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """The CD-k loss mean F(v) - mean F(v_k) of encoded rows, v_k after k Gibbs steps from v; differentiable.

    The data's hidden input is computed once, for both the loss and the
    chain's first step. No validation: the training loop's hot path.
    Introduced in notebook 02 (the CD-k update).
    """
    field = model.hidden_field(values, pattern=pattern, condition=condition)
    p_h = model.hidden.mean(field.detach())
    negative, _ = model.gibbs_chain(
        values, k, pattern=pattern, condition=condition, generator=generator, hidden_probabilities=p_h
    )
    positive = model.encoded_free_energy(values, hidden_field=field)
    return positive.mean() - model.encoded_free_energy(negative, pattern=pattern, condition=condition).mean()


def pcd_loss(
    model: RBM,
    values: torch.Tensor,
    chains: torch.Tensor,
    k: int,
    *,
    pattern: ObservedPattern | None = None,
    chain_pattern: ObservedPattern | None = None,
    condition: torch.Tensor | None = None,
    chain_condition: torch.Tensor | None = None,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The PCD-k loss mean F(v) - mean F(chains advanced k steps), and the advanced chains (encoded).

    No validation: the training loop's hot path. Introduced in notebook 04 (CD against PCD).
    """
    chains, _ = model.gibbs_chain(chains, k, pattern=chain_pattern, condition=chain_condition, generator=generator)
    loss = contrastive_loss(
        model, values, chains, pattern=pattern, negative_pattern=chain_pattern,
        condition=condition, negative_condition=chain_condition,
    )
    return loss, chains


def contrastive_loss(
    model: RBM,
    values: torch.Tensor,
    negative: torch.Tensor,
    *,
    pattern: ObservedPattern | None = None,
    negative_pattern: ObservedPattern | None = None,
    condition: torch.Tensor | None = None,
    negative_condition: torch.Tensor | None = None,
) -> torch.Tensor:
    """mean F(v_data) - mean F(v_negative) of encoded rows, with the negative states held fixed; differentiable.

    Whatever sampler produced ``negative`` (persistent chains, parallel
    tempering), this is the loss whose gradient is minus the estimate.
    Introduced in notebook 04 (CD against PCD).
    """
    positive = model.encoded_free_energy(values, pattern=pattern, condition=condition)
    return positive.mean() - model.encoded_free_energy(negative, pattern=negative_pattern, condition=negative_condition).mean()


def _ascent(model: RBM, loss: torch.Tensor) -> Gradients:
    """Minus the gradient of ``loss`` for every parameter, as the model's gradient tuple (zero where frozen)."""
    trainable = model.trainable_parameters()
    grads = dict(zip(trainable, torch.autograd.grad(loss, list(trainable.values()), allow_unused=True)))
    out = {}
    for name, parameter in model.named_parameters():
        grad = grads.get(name)
        out[name] = torch.zeros_like(parameter) if grad is None else -grad
    return model.gradient_type(**{field: out[field] for field in model.gradient_type._fields})


def cd_gradient(
    model: RBM,
    v: torch.Tensor,
    k: int = 1,
    *,
    generator: torch.Generator | None = None,
    condition: torch.Tensor | None = None,
) -> Gradients:
    """CD-k estimate of the mean log-likelihood gradient over the rows of ``v``, by autograd of ``cd_loss``.

    Each chain starts at its data row and takes ``k`` full Gibbs steps; the
    estimate is biased for small ``k`` and approaches the exact gradient
    (``rbm_helpers.exact.log_likelihood_gradient``) as ``k`` grows.
    Missing units (-1) contribute no gradient. Introduced in notebook 02.
    """
    check_positive_int(k, "k")
    values, observed = model.encode(v)
    condition = model.check_condition(condition, values)
    with model.differentiable():
        loss = cd_loss(model, values, k, pattern=ObservedPattern.of(observed), condition=condition, generator=generator or model.generator)
        return _ascent(model, loss)


@torch.no_grad()
def cd_statistics(
    model: RBM,
    v: torch.Tensor,
    k: int = 1,
    *,
    generator: torch.Generator | None = None,
) -> Gradients:
    """CD-k by the textbook formula, <v p(h|v)^T>_data - <v p(h|v)^T>_chain (and likewise for the biases).

    Draws the same chain as ``cd_gradient`` from the same generator state, so
    the two must agree to rounding: the check that autograd of the free
    energy is the CD update. Introduced in notebook 02 (the CD-k update).
    """
    check_positive_int(k, "k")
    values, observed = model.encode(v)
    pattern = ObservedPattern.of(observed)
    p_h = model.hidden.mean(model.hidden_field(values, pattern=pattern))
    negative, _ = model.gibbs_chain(values, k, pattern=pattern, generator=generator or model.generator, hidden_probabilities=p_h)
    p_h_negative = model.hidden.mean(model.hidden_field(negative, pattern=pattern))
    data, chain = model.statistics(values, p_h), model.statistics(negative, p_h_negative)
    return model.gradient_type(*(d - c for d, c in zip(data, chain)))


def pcd_gradient(
    model: RBM,
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
    values, observed = model.encode(v)
    chain_values, chain_observed = model.encode(chains, "chains")
    with model.differentiable():
        loss, advanced = pcd_loss(
            model, values, chain_values, k,
            pattern=ObservedPattern.of(observed), chain_pattern=ObservedPattern.of(chain_observed),
            generator=generator or model.generator,
        )
        return _ascent(model, loss), model.decode(advanced, chain_observed)
