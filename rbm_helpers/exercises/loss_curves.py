"""Checkers for the exercises of notebook 04 (loss curves and monitoring): overfitting, pseudo-log-likelihood.

``check_overfitting`` trains the learner's recipe and looks for the signature
of overfitting in its validation curve; ``check_pseudo_log_likelihood`` and
``check_free_energy_gap`` compare the learner's function with the package's.
Introduced in notebook 04.
"""
from __future__ import annotations

from dataclasses import fields
from typing import Callable

import numpy as np
import pandas as pd
import torch

from ..model import RBM
from ..monitoring import monitors, pseudo_log_likelihood
from ..recipes import SANE_RECIPE, Recipe, train_sane_rbm
from ..training import free_energy_gap
from .checking import (
    DTYPE,
    correct,
    diagnose_number,
    example_rbm,
    function_name,
    parameters,
    returned_number,
    wrong,
)

__all__ = ["check_free_energy_gap", "check_overfitting", "check_pseudo_log_likelihood", "judge_overfitting"]

MAX_EPOCHS = 20
"""The sane recipe's own length: a recipe for ``check_overfitting`` must overfit within it."""

MIN_DROP = 0.005
"""How far below its peak the validation AUC must end before the checker calls it overfitting, not a wobble."""

OVERFIT_HINT = (
    "Give the model more freedom: more hidden units (n_hidden=200) do it; bigger steps (learning_rate=1.0) or no "
    "weight decay (weight_decay=0.0) add to it, but alone they are not enough within 20 epochs."
)


def _changes(recipe: Recipe) -> str:
    """The settings where ``recipe`` differs from the sane recipe, as "name=value, ..."."""
    changed = [f"{f.name}={getattr(recipe, f.name)!r}" for f in fields(Recipe)
               if getattr(recipe, f.name) != getattr(SANE_RECIPE, f.name)]
    return ", ".join(changed) or "the sane recipe's settings"


def judge_overfitting(history: pd.DataFrame, *, min_drop: float = MIN_DROP) -> tuple[bool, str, str]:
    """(overfits, what the history shows, a hint): has the validation AUC peaked and fallen while the training error fell?

    ``history`` is ``train``'s history with ``train_error`` and
    ``validation_auc`` columns. Overfitting here means: the best validation
    AUC comes before the last epoch, the last is at least ``min_drop`` below
    it, and the training error at the last epoch is below its value at the
    best epoch. Introduced in notebook 04 (its exercises).
    """
    auc, error = history["validation_auc"], history["train_error"]
    best, last = auc.idxmax(), auc.index[-1]
    peak, drop = auc[best], auc[best] - auc.iloc[-1]
    if best == last:
        return False, f"the validation AUC is still at its best at the last epoch ({last}: {peak:.4f}), so nothing overfits yet.", OVERFIT_HINT
    if drop < min_drop:
        return (False, f"the validation AUC peaked at {peak:.4f} after {best} epochs but ends only {drop:.4f} lower; "
                f"a dip smaller than {min_drop} can be a wobble.", OVERFIT_HINT)
    if not error.iloc[-1] < error[best]:
        return (False, f"the validation AUC falls after epoch {best}, but so does the fit to the training ratings "
                f"(training error {error[best]:.4f} -> {error.iloc[-1]:.4f}): that is unstable training, not overfitting.",
                "A smaller learning rate: overfitting is a training error that keeps improving while held-out scores get worse.")
    return (True, f"the validation AUC peaked at {peak:.4f} after {best} epochs and fell to {auc.iloc[-1]:.4f} by epoch {last}, "
            f"while the training error kept falling ({error[best]:.4f} -> {error.iloc[-1]:.4f}). "
            f"Early stopping (KeepBest) would keep epoch {best}.", "")


def check_overfitting(recipe: Recipe, train_rows: torch.Tensor, validation: torch.Tensor, *, seed: int = 0) -> bool:
    """Train ``recipe`` on ``train_rows`` and check that it overfits within 20 epochs (notebook 04, exercise 1).

    ``validation`` holds the same users' hidden ratings. The run is
    ``train_sane_rbm`` with ``monitors(validation=...)``, as in notebook 04;
    its history must show the signature ``judge_overfitting`` looks for.
    Introduced in notebook 04.
    """
    if not isinstance(recipe, Recipe):
        return wrong(f"my_recipe is a {type(recipe).__name__}, not a Recipe.",
                     "Make one from the sane recipe with a few settings changed: replace(SANE_RECIPE, learning_rate=1.0).")
    if recipe == SANE_RECIPE:
        return wrong("my_recipe is the sane recipe unchanged, which does not overfit within its 20 epochs (section 1).", OVERFIT_HINT)
    if recipe.epochs > MAX_EPOCHS:
        return wrong(f"my_recipe trains for {recipe.epochs} epochs; keep it to {MAX_EPOCHS} or fewer.",
                     "Even the sane recipe overfits if you wait long enough (section 1): the point is to make it happen sooner.")
    if recipe.n_categories is not None:
        return wrong("my_recipe has softmax units; this exercise is about the 0/1 RBM.", "Leave n_categories at None.")
    try:
        watch = monitors(validation=(train_rows, validation))
        _, history = train_sane_rbm(train_rows, recipe, seed=seed, callbacks=[watch])
    except Exception as error:  # a diverged run or bad settings: reported, not raised
        return wrong(f"training your recipe failed: {type(error).__name__}: {str(error).splitlines()[0]}",
                     "A learning rate that large makes training diverge; try a smaller one (1.0 or 2.0).")
    if len(history) < 3:
        return wrong(f"my_recipe trains for {len(history)} epochs: too few to see a peak and a fall.", "Train for 20 epochs.")
    overfits, story, hint = judge_overfitting(history)
    if not overfits:
        return wrong(f"with {_changes(recipe)}, {story}", hint)
    return correct(f"With {_changes(recipe)}, {story}")


PLL_HINT = (
    "For each observed entry v_i of a row: flip it (d = 1 - 2 v_i), compute F(v flipped) - F(v) = "
    "-d b_i - sum_j [softplus(a_j + d W_ij) - softplus(a_j)] with a = c + v W (missing units as 0), "
    "then log p(v_i | rest) = logsigmoid(F(v flipped) - F(v)). Average over observed entries only."
)


def _pll_case() -> tuple[RBM, torch.Tensor]:
    """A seeded 6 x 3 RBM and 40 rows of 0/1 with about 30% missing (-1); row 0 all ones."""
    rbm = example_rbm(6, 3, seed=7)
    generator = torch.Generator().manual_seed(7)
    v = (torch.rand(40, 6, generator=generator, dtype=DTYPE) < 0.5).to(DTYPE)
    v[torch.rand(40, 6, generator=generator, dtype=DTYPE) < 0.3] = -1.0
    v[0] = 1.0
    return rbm, v


def check_pseudo_log_likelihood(pseudo_log_likelihood_fn: Callable) -> bool:
    """Check ``pll(v, weight, visible_bias, hidden_bias)``: mean log p(v_i | rest) over the observed entries of ``v``.

    ``v`` holds 0/1 and -1 for missing units (left out of the row's RBM).
    Compared with ``monitoring.pseudo_log_likelihood``. Introduced in notebook 04.
    """
    rbm, v = _pll_case()
    expected = pseudo_log_likelihood(rbm, v)
    value = returned_number(pseudo_log_likelihood_fn, (v, *parameters(rbm)), PLL_HINT,
                            number_hint="Return one number: the mean over every observed entry of every row.")
    if value is None:
        return False
    observed = v != -1
    n_observed = int(observed.sum())
    filled = torch.where(observed, v, torch.zeros_like(v))
    full = pseudo_log_likelihood(rbm, filled)
    candidates = [
        (expected * n_observed, "you return the sum over entries, not the mean.", "Divide by the number of observed entries."),
        (full, "the missing entries are scored as if they were 0s.", "Score only observed entries (v != -1); missing ones are not part of the row's RBM."),
        (float(np.exp(expected)), "this is a probability, not a log-probability.", "Average log p(v_i | rest), not p."),
        (-expected, "the sign is flipped.", "log-probabilities are <= 0."),
    ]
    diagnosis = diagnose_number(value, expected, candidates, tolerance=1e-6)
    if diagnosis:
        return wrong(*diagnosis)
    if abs(value - expected) > 1e-6:
        return wrong(f"got {value:.6f}; expected {expected:.6f}.", PLL_HINT)
    return correct(f"{function_name(pseudo_log_likelihood_fn)} = {value:.4f} nats per rated entry, as monitoring.pseudo_log_likelihood "
                   f"(40 rows, {n_observed} observed entries).")


GAP_HINT = (
    "The free energy of a row is F(v) = -v.b - sum_j softplus(c_j + (v W)_j), missing units counted as 0; the gap is "
    "the mean of F over the held-out rows minus the mean over the training rows."
)


def check_free_energy_gap(free_energy_gap_fn: Callable) -> bool:
    """Check ``gap(rbm, train_rows, held_out_rows)``: mean free energy of held-out rows minus that of training rows.

    Compared with ``rbm_helpers.free_energy_gap``. Introduced in notebook 04.
    """
    rbm, v = _pll_case()
    train_rows, held_rows = v[:25], v[25:]
    expected = free_energy_gap(rbm, train_rows, held_rows)
    value = returned_number(free_energy_gap_fn, (rbm, train_rows, held_rows), GAP_HINT,
                            number_hint="Return one number: a difference of two means.")
    if value is None:
        return False
    if abs(value + expected) < 1e-6 and abs(expected) > 1e-6:
        return wrong("the sign is flipped: training minus held-out.", "held-out minus training: it grows when the model overfits.")
    if abs(value - expected) > 1e-6:
        return wrong(f"got {value:.6f}; expected {expected:.6f}.", GAP_HINT)
    return correct(f"{function_name(free_energy_gap_fn)} = {value:.4f}, as rbm_helpers.free_energy_gap.")
