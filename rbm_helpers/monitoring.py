"""Watching an RBM train: pseudo-log-likelihood, monitors for ``train``, and history plots.

The reconstruction error that ``train`` reports is easy to compute but is not
what contrastive divergence optimises. Notebook 04 adds three other views:

- the **held-out error**: the same error on ratings the model never saw;
- the **free-energy gap** (``rbm_helpers.free_energy_gap``): held-out users'
  mean free energy minus the training users'; it grows when the model starts
  to prefer its own training users (overfitting);
- the **pseudo-log-likelihood** (PLL): the mean of log p(v_i | all other
  units) over the rated movies, a stand-in for the intractable log p(v) that
  needs no partition function.

``pseudo_log_likelihood`` computes the PLL exactly (every rated entry, not
one random unit per row as scikit-learn's ``BernoulliRBM.score_samples``);
``monitors`` turns these into a callback for ``train``; ``plot_history``,
``plot_histories`` and ``plot_sweep`` draw the curves.
Introduced in notebook 04 (Loss curves and monitoring).
"""
from __future__ import annotations

import math
from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import pandas as pd
import torch
import torch.nn.functional as F
from matplotlib.axes import Axes
from matplotlib.ticker import NullFormatter

from .model import RBM
from .units import Bernoulli
from .training import Callback, free_energy_gap, reconstruction_error

__all__ = [
    "conditional_log_probabilities",
    "mean_absolute_error",
    "monitors",
    "plot_histories",
    "plot_history",
    "plot_sweep",
    "pseudo_log_likelihood",
]

_CHUNK = 2**20  # rated entries per chunk: bounds memory at about _CHUNK * n_hidden floats


def conditional_log_probabilities(rbm: RBM, v: torch.Tensor) -> torch.Tensor:
    """log p(v_i | every other unit of the row) for every observed entry of ``v``, as a 1-D tensor.

    Entries come in row-major order of the observed (not -1) positions. With
    a_j = hidden_bias_j + sum_i v_i weight_ij and the flip d = 1 - 2 v_i of
    unit i, the free energy changes by
    F(v') - F(v) = -d visible_bias_i - sum_j [softplus(a_j + d weight_ij) - softplus(a_j)],
    and p(v_i | rest) = sigmoid(F(v') - F(v)). Missing units are not part of
    the row's RBM, so they are neither scored nor conditioned on.
    Introduced in notebook 04 (Loss curves and monitoring).
    """
    if type(rbm.visible) is not Bernoulli:
        raise ValueError(
            f"the pseudo-log-likelihood here is written for binary visible units; this model has {rbm.visible!r}."
        )
    values, observed = rbm.encode(v)
    with torch.no_grad():
        activation = rbm.hidden_field(values)
    mask = torch.ones_like(values, dtype=torch.bool) if observed is None else observed.bool()
    rows, units = mask.nonzero(as_tuple=True)
    out = torch.empty(rows.numel(), dtype=rbm.dtype, device=rbm.device)
    with torch.no_grad():
        step = max(1, _CHUNK // rbm.n_hidden)
        for start in range(0, rows.numel(), step):
            r, i = rows[start : start + step], units[start : start + step]
            flip = 1 - 2 * values[r, i]
            a = activation[r]
            hidden_change = (F.softplus(a + flip[:, None] * rbm.weight[i]) - F.softplus(a)).sum(1)
            out[start : start + r.numel()] = F.logsigmoid(-flip * rbm.visible_bias[i] - hidden_change)
    return out


def pseudo_log_likelihood(rbm: RBM, v: torch.Tensor) -> float:
    """Mean over the observed entries of ``v`` of log p(v_i | the rest of the row), in nats (<= 0).

    0 would be a model certain of every rated movie given the others;
    log(0.5) = -0.69 is a coin flip. Unlike the reconstruction error it scores
    the model's own probabilities, and unlike log p(v) it needs no partition
    function. Introduced in notebook 04 (Loss curves and monitoring).
    """
    log_p = conditional_log_probabilities(rbm, v)
    return log_p.mean().item() if log_p.numel() else math.nan


def mean_absolute_error(
    scores: torch.Tensor, test_matrix: torch.Tensor, *, per_user: bool = False, threshold: float | None = None
) -> float:
    """Mean |truth - prediction| over the held-out (not -1) entries of ``test_matrix``, averaged one of two ways.

    The prediction is ``scores`` itself, or with ``threshold`` the 0/1 answer
    ``scores >= threshold`` (0.5 gives the *thresholded MAE*).
    ``per_user=False`` **pools** every held-out rating (each rating counts once,
    so busy users weigh more; ``reconstruction_error`` averages this way);
    ``per_user=True`` averages within each user first and then over the users
    with held-out ratings (each user counts once; the seed article and
    ``metrics.mae_threshold`` / ``mae_sampled`` average this way). The two can
    rank models differently. Introduced in notebook 04 (Loss curves and monitoring).
    """
    if not isinstance(scores, torch.Tensor) or not isinstance(test_matrix, torch.Tensor) or scores.shape != test_matrix.shape:
        raise ValueError("scores and test_matrix must be tensors of the same shape (n_users, n_movies).")
    held = test_matrix != -1
    if not bool(held.any()):
        raise ValueError("test_matrix has no held-out (not -1) entries.")
    prediction = scores.double() if threshold is None else (scores >= threshold).double()
    errors = (prediction - test_matrix.double()).abs() * held
    if not per_user:
        return (errors.sum() / held.sum()).item()
    counts = held.sum(1)
    users = counts > 0
    return (errors.sum(1)[users] / counts[users]).mean().item()


def monitors(
    *,
    held_out_rows: torch.Tensor | None = None,
    train_rows: torch.Tensor | None = None,
    pll: bool = True,
) -> Callback:
    """A callback for ``train`` that adds monitors to each epoch's history row.

    With ``train_rows`` (the training data) and ``held_out_rows`` (rows of
    users the model does not train on): ``gap`` (the free-energy gap, held-out
    minus training), and with ``pll`` also ``train_pll`` and ``held_out_pll``;
    with only one of them, the PLL of that one. ``held_out_rows`` also gets its
    reconstruction error, ``held_out_users_error``.
    Introduced in notebook 04 (Loss curves and monitoring).
    """

    def callback(rbm: RBM, record: dict) -> Mapping[str, float]:
        extra: dict[str, float] = {}
        if train_rows is not None and pll:
            extra["train_pll"] = pseudo_log_likelihood(rbm, train_rows)
        if held_out_rows is not None:
            if pll:
                extra["held_out_pll"] = pseudo_log_likelihood(rbm, held_out_rows)
            extra["held_out_users_error"] = reconstruction_error(rbm, held_out_rows)
            if train_rows is not None:
                extra["gap"] = free_energy_gap(rbm, train_rows, held_out_rows)
        return extra

    return callback


def _axes(ax: Axes | None, figsize: tuple[float, float] = (6.0, 3.5)) -> Axes:
    return ax if ax is not None else plt.subplots(figsize=figsize)[1]


def plot_history(
    history: pd.DataFrame,
    columns: Sequence[str] = ("train_error", "held_out_error"),
    *,
    ax: Axes | None = None,
    title: str | None = None,
    ylabel: str | None = None,
) -> Axes:
    """Plot ``columns`` of a ``train`` history against the epoch, one line each; return the axes.

    Introduced in notebook 03 (loss curves per epoch).
    """
    missing = [c for c in columns if c not in history.columns]
    if missing:
        raise ValueError(f"columns {missing} are not in the history; it has {list(history.columns)}.")
    ax = _axes(ax)
    for column in columns:
        ax.plot(history.index, history[column], marker=".", label=column)
    ax.set_xlabel("epoch")
    if ylabel:
        ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.legend(frameon=False)
    ax.grid(alpha=0.3)
    return ax


def plot_histories(
    histories: Mapping[str, pd.DataFrame],
    column: str,
    *,
    ax: Axes | None = None,
    title: str | None = None,
    reference: Mapping[str, float] | None = None,
) -> Axes:
    """Plot one ``column`` of several histories (e.g. CD-1, CD-10, PCD) on one axes; return it.

    ``reference`` draws dashed horizontal lines, e.g. ``{"always liked": 0.159}``.
    Introduced in notebook 04 (Loss curves and monitoring).
    """
    ax = _axes(ax)
    for name, history in histories.items():
        if column not in history.columns:
            raise ValueError(f"history {name!r} has no column {column!r}; it has {list(history.columns)}.")
        ax.plot(history.index, history[column], marker=".", label=name)
    for position, (name, value) in enumerate((reference or {}).items()):
        ax.axhline(value, linestyle="--", color=f"C{len(histories) + position}", label=name)
    ax.set_xlabel("epoch")
    ax.set_ylabel(column)
    ax.set_title(title or column)
    ax.legend(frameon=False)
    ax.grid(alpha=0.3)
    return ax


def plot_sweep(
    table: pd.DataFrame,
    x: str,
    y: str,
    *,
    ax: Axes | None = None,
    logx: bool = False,
    title: str | None = None,
    reference: Mapping[str, float] | None = None,
    ylim: tuple[float, float] | None = None,
) -> Axes:
    """Plot column ``y`` of a sweep ``table`` against column ``x`` (one row per setting); return the axes.

    ``reference`` draws dashed horizontal lines (e.g. a baseline's score) and
    ``ylim`` fixes the y range, so panels side by side share a scale and small
    differences are not blown up by autoscaling.
    Introduced in notebook 04 (learning-rate and hidden-size sweeps).
    """
    for column in (x, y):
        if column not in table.columns:
            raise ValueError(f"column {column!r} is not in the table; it has {list(table.columns)}.")
    ax = _axes(ax, (4.5, 3.2))
    ax.plot(table[x], table[y], marker="o")
    if logx:
        ax.set_xscale("log")
        ax.xaxis.set_minor_formatter(NullFormatter())  # label the settings tried, not powers of ten
    ax.set_xticks(list(table[x]))
    ax.set_xticklabels([f"{value:g}" for value in table[x]])
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    for position, (name, value) in enumerate((reference or {}).items()):
        ax.axhline(value, linestyle="--", color=f"C{position + 1}", label=name)
    if reference:
        ax.legend(frameon=False, fontsize=8)
    if ylim is not None:
        ax.set_ylim(*ylim)
    ax.set_title(title or f"{y} against {x}")
    ax.grid(alpha=0.3)
    return ax
