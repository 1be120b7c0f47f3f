"""Watching an RBM train: pseudo-log-likelihood, monitors for ``train``, and history plots.

The reconstruction error that ``train`` reports is easy to compute but is not
what contrastive divergence optimises. Notebook 04 adds other views:

- the **validation error and AUC**: the same error, and the ranking quality,
  on ratings hidden from training (``monitors(validation=...)``), and
  ``KeepBest``, which keeps the model of the best epoch (early stopping);
- the **free-energy gap** per liked movie (``free_energy_gap_per_like``):
  held-out users' free energy per liked movie minus the training users'; it
  grows when the model starts to prefer its own training users (overfitting).
  The gap per user (``rbm_helpers.free_energy_gap``) also grows with how many
  movies the two groups rated, which has nothing to do with overfitting;
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

import copy
import math
from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import pandas as pd
import torch
import torch.nn.functional as F
from matplotlib.axes import Axes
from matplotlib.ticker import MaxNLocator, NullFormatter

from . import metrics
from .model import RBM
from .units import Bernoulli
from .training import Callback, reconstruction_error

__all__ = [
    "KeepBest",
    "conditional_log_probabilities",
    "free_energy_gap_per_like",
    "free_energy_per_like",
    "mean_absolute_error",
    "monitors",
    "plot_histories",
    "plot_history",
    "plot_sweep",
    "pseudo_log_likelihood",
]

_CHUNK = 2**20  # rated entries per chunk: bounds memory at about _CHUNK * n_hidden floats


def _check_binary_visible(rbm: RBM, what: str) -> None:
    if not isinstance(rbm, RBM):
        raise ValueError(f"rbm must be an rbm_helpers RBM; got {type(rbm).__name__}.")
    if type(rbm.visible) is not Bernoulli:
        raise ValueError(f"{what} here is written for binary visible units; this model has {rbm.visible!r}.")


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
    _check_binary_visible(rbm, "the pseudo-log-likelihood")
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


def free_energy_per_like(rbm: RBM, v: torch.Tensor) -> torch.Tensor:
    """(F(v) - F(empty row)) / (number of 1s in v): the free energy each liked movie adds, one value per row.

    With 0/1 units a 0 (disliked) adds nothing to F(v), exactly like a
    missing unit: F(v) - F(0) = -sum_{i liked} b_i - sum_j [softplus(c_j +
    sum_{i liked} W_ij) - softplus(c_j)]. So the free energy of a row falls
    with every liked movie, and users who like more movies have lower F for
    that reason alone. Dividing by the number of liked movies removes most of
    that. Rows with no liked movie get NaN.
    Introduced in notebook 04 (Loss curves and monitoring).
    """
    return _free_energies(rbm, v)[1]


def _free_energies(rbm: RBM, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(F(v), ``free_energy_per_like``) of each row of ``v``, from one pass over the rows."""
    _check_binary_visible(rbm, "the free energy per liked movie")
    values, _ = rbm.encode(v)
    with torch.no_grad():
        empty = rbm.free_energy(torch.zeros(1, rbm.n_visible, dtype=rbm.dtype, device=rbm.device))
        energies = rbm.free_energy(v)
    likes = values.sum(1)
    per_like = torch.where(likes > 0, (energies - empty) / likes.clamp(min=1), torch.full_like(energies, math.nan))
    return energies, per_like


def free_energy_gap_per_like(rbm: RBM, train_rows: torch.Tensor, held_out_rows: torch.Tensor) -> float:
    """Mean ``free_energy_per_like`` of held-out rows minus that of training rows, in nats per liked movie.

    The overfitting monitor of Hinton's practical guide, made fair between
    groups of users who rate different numbers of movies: the gap per user
    (``rbm_helpers.free_energy_gap``) compares sums over rows of different
    lengths, so it is far from 0 before any training whenever the two groups
    rate different numbers of movies. Near 0 while the model treats unseen
    users like its training users; growing when it starts to prefer the
    users it trained on. Rows with no liked movie are left out.
    Introduced in notebook 04 (Loss curves and monitoring).
    """
    return _gaps(rbm, train_rows, held_out_rows)[1]


def _gaps(rbm: RBM, train_rows: torch.Tensor, held_out_rows: torch.Tensor) -> tuple[float, float]:
    """(``free_energy_gap``, ``free_energy_gap_per_like``) from one pass over each set of rows."""
    (held_energy, held_per_like), (train_energy, train_per_like) = (
        _free_energies(rbm, rows) for rows in (held_out_rows, train_rows))
    for per_like, name in ((held_per_like, "held_out_rows"), (train_per_like, "train_rows")):
        if bool(per_like.isnan().all()):
            raise ValueError(f"{name} has no row with a liked movie (a 1): there is nothing to compare.")
    return ((held_energy.mean() - train_energy.mean()).item(),
            held_per_like.nanmean().item() - train_per_like.nanmean().item())


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
    validation: tuple[torch.Tensor, torch.Tensor] | None = None,
) -> Callback:
    """A callback for ``train`` that adds monitors to each epoch's history row.

    With ``validation=(inputs, targets)`` (the training rows and ratings of
    the same users hidden from training): ``validation_error`` (mean
    |target - reconstruction| pooled over the hidden ratings, as
    ``reconstruction_error(rbm, inputs, targets)``) and ``validation_auc``
    (``metrics.auc`` of the reconstruction, pooled). With ``train_rows`` (the
    training data) and ``held_out_rows`` (rows of users the model does not
    train on): ``gap`` (``free_energy_gap``, per user) and ``gap_per_like``
    (``free_energy_gap_per_like``), and with ``pll`` also ``train_pll`` and
    ``held_out_pll``; with only one of them, the PLL of that one.
    ``held_out_rows`` also gets its reconstruction error, ``held_out_users_error``.
    Introduced in notebook 04 (Loss curves and monitoring).
    """
    if validation is not None:
        if (not isinstance(validation, (tuple, list)) or len(validation) != 2
                or not all(isinstance(x, torch.Tensor) for x in validation) or validation[0].shape != validation[1].shape):
            raise ValueError("validation must be a pair (inputs, targets) of tensors of the same shape: "
                             "the training rows and the same users' hidden ratings (-1 elsewhere).")
        hidden = validation[1] != -1
        if not bool(hidden.any()):
            raise ValueError("validation targets have no hidden ratings (every entry is -1): there is nothing to score.")
        targets = validation[1][hidden][None]

    def callback(rbm: RBM, record: dict) -> Mapping[str, float]:
        extra: dict[str, float] = {}
        if validation is not None:
            with torch.no_grad():
                scores = rbm.reconstruct(validation[0]).double()[hidden][None]  # one row: every hidden rating, pooled
            extra["validation_error"] = mean_absolute_error(scores, targets)
            extra["validation_auc"] = metrics.auc(scores, targets)
        if train_rows is not None and pll:
            extra["train_pll"] = pseudo_log_likelihood(rbm, train_rows)
        if held_out_rows is not None:
            if pll:
                extra["held_out_pll"] = pseudo_log_likelihood(rbm, held_out_rows)
            extra["held_out_users_error"] = reconstruction_error(rbm, held_out_rows)
            if train_rows is not None:
                extra["gap"], extra["gap_per_like"] = _gaps(rbm, train_rows, held_out_rows)
        return extra

    return callback


class KeepBest:
    """A callback for ``train`` that keeps a copy of the model from its best epoch: early stopping.

    ``KeepBest("validation_auc")`` watches one column of the history (put it
    after the callback that adds that column); after training, ``epoch`` is the
    first epoch with the best value, ``value`` that value and ``model`` a copy
    of the model as it was at the end of that epoch. Training itself runs on,
    so the history shows what stopping there saved. ``larger_is_better=False``
    for errors. Introduced in notebook 04 (Loss curves and monitoring).
    """

    def __init__(self, column: str, *, larger_is_better: bool = True) -> None:
        if not isinstance(column, str):
            raise ValueError(f"column must be the name of a history column such as 'validation_auc'; got {column!r}.")
        self.column = column
        self.larger_is_better = bool(larger_is_better)
        self.epoch: int | None = None
        self.value = math.nan
        self.model: RBM | None = None

    def __call__(self, rbm: RBM, record: dict) -> None:
        if self.column not in record:
            raise ValueError(f"KeepBest watches {self.column!r}, but the history has only {sorted(record)}; put KeepBest "
                             "after the callback that adds that column, e.g. callbacks=[monitors(validation=...), KeepBest(...)].")
        value = record[self.column]
        if math.isnan(value):
            return None
        better = self.epoch is None or (value > self.value if self.larger_is_better else value < self.value)
        if better:
            self.epoch, self.value, self.model = record["epoch"], value, copy.deepcopy(rbm)
        return None

    def __repr__(self) -> str:
        return f"KeepBest({self.column!r}: epoch {self.epoch}, value {self.value:.4f})"


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
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))   # epochs are whole numbers
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
