"""Training an RBM by mini-batch gradient ascent with CD-k or PCD-k.

``train`` is the loop every notebook from 03 on uses: shuffled mini-batches
that cover every row each epoch (the seed article's loop skips the last
users), a learning rate, momentum and weight decay (the seed has none), and a
per-epoch history of monitors as a pandas DataFrame.

Introduced in notebook 02 (the CD-k update) and used from notebook 03 on.
"""
from __future__ import annotations

import math
import time
from functools import partial
from typing import TYPE_CHECKING, Callable, Iterable, Mapping, Union

import pandas as pd
import torch
from tqdm.auto import tqdm

from .contrastive import Gradients, cd_statistics, pcd_statistics
from .model import RBM, split_missing
from .validation import check_non_negative, check_positive_int

if TYPE_CHECKING:
    from .softmax import SoftmaxRBM

Model = Union[RBM, "SoftmaxRBM"]
Callback = Callable[[Model, dict], "Mapping[str, float] | None"]
METHODS = ("cd", "pcd")


def reconstruction_error(rbm: Model, inputs: torch.Tensor, targets: torch.Tensor | None = None) -> float:
    """Mean |target - reconstruction| over the observed (not -1) entries of ``targets``.

    The reconstruction is the mean-field one, ``rbm.reconstruct(inputs)``:
    a deterministic stand-in for the seed article's one-sample "loss"
    (probabilities in place of samples, one up-down pass), not its expectation. ``targets`` defaults to
    ``inputs`` (how well the model reproduces its own input); pass held-out
    ratings of the same users to measure prediction instead. For a
    ``SoftmaxRBM`` (notebook 06) the reconstruction is the expected category,
    which for K = 2 gives the same number as a binary RBM.
    Introduced in notebook 03 (loss curves).
    """
    if not isinstance(rbm, RBM):
        return rbm._reconstruction_error(inputs, targets)
    targets = inputs if targets is None else targets
    prediction = rbm.reconstruct(inputs)
    targets = rbm._visible(targets, "targets")
    if targets.shape != prediction.shape:
        raise ValueError(f"targets must have the shape of inputs {tuple(prediction.shape)}; got {tuple(targets.shape)}.")
    values, observed = split_missing(targets)
    return _mean_absolute_error(values, observed, prediction)


def _mean_absolute_error(values: torch.Tensor, observed: torch.Tensor | None, prediction: torch.Tensor) -> float:
    """Mean |values - prediction| over the observed entries of zero-filled ``values``."""
    error = (values - prediction).abs()
    if observed is None:
        return error.mean().item()
    count = observed.sum().item()
    return (error * observed).sum().item() / count if count else math.nan


def _train_error(rbm: Model, data: torch.Tensor, values: torch.Tensor, observed: torch.Tensor | None) -> float:
    """``reconstruction_error(rbm, data)`` without checking the already-checked training data again."""
    if isinstance(rbm, RBM):
        return _mean_absolute_error(values, observed, rbm._reconstruct(values))
    return reconstruction_error(rbm, data)


def free_energy_gap(rbm: Model, train_rows: torch.Tensor, held_out_rows: torch.Tensor) -> float:
    """Mean free energy of held-out rows minus that of training rows.

    Near zero while the model generalises; growing when it starts to prefer
    its training rows (overfitting), as Hinton's practical guide suggests to
    watch. Both sets must be rows of the same kind (e.g. different users).
    Introduced in notebook 04 (monitoring).
    """
    return (rbm.free_energy(held_out_rows).mean() - rbm.free_energy(train_rows).mean()).item()


def _split_held_out(held_out: object) -> tuple[torch.Tensor | None, torch.Tensor | None, bool]:
    """(inputs, targets, rows_of_same_kind) from the ``held_out`` argument of ``train``."""
    if held_out is None:
        return None, None, False
    if isinstance(held_out, (tuple, list)):
        if len(held_out) != 2:
            raise ValueError("held_out must be a tensor of rows or a pair (inputs, targets).")
        return held_out[0], held_out[1], False
    return held_out, held_out, True


def _hooks(rbm: Model) -> tuple[Callable, Callable, Callable]:
    """What ``train`` needs from a model: ``(split_missing, cd_statistics, pcd_statistics)``.

    The binary RBM's come from ``model`` and ``contrastive``; a SoftmaxRBM
    (notebook 06) brings methods with the same signatures, minus the model.
    """
    if isinstance(rbm, RBM):
        return split_missing, partial(cd_statistics, rbm), partial(pcd_statistics, rbm)
    return rbm._split_missing, rbm._cd_statistics, rbm._pcd_statistics


def train(
    rbm: Model,
    data: torch.Tensor,
    *,
    epochs: int = 10,
    batch_size: int = 100,
    learning_rate: float = 0.1,
    momentum: float = 0.5,
    weight_decay: float = 0.0,
    k: int = 1,
    method: str = "cd",
    seed: int | None = None,
    held_out: "torch.Tensor | tuple[torch.Tensor, torch.Tensor] | None" = None,
    callbacks: Iterable[Callback] = (),
    progress: bool = True,
    monitor: bool = True,
) -> pd.DataFrame:
    """Train ``rbm`` on the rows of ``data`` in place; return one history row per epoch.

    Each epoch shuffles the rows and visits every one of them once, in
    mini-batches of ``batch_size`` (the last one may be smaller). Each update is

        velocity <- momentum * velocity + (gradient - weight_decay * weight)
        parameter <- parameter + learning_rate * velocity

    with the gradient from CD-k (``method="cd"``) or PCD-k (``"pcd"``; one
    persistent chain per row when rows have missing units, since each user's
    RBM holds different movies, else ``batch_size`` shared fantasy chains).
    Weight decay applies to the weights only.

    The history has the columns ``epoch``, ``train_error`` (see
    ``reconstruction_error``), ``held_out_error`` and ``free_energy_gap``
    (NaN without ``held_out``; the gap needs held-out *rows*, not a pair) and
    ``seconds`` (training time of the epoch, without the monitors).
    ``monitor=False`` skips ``train_error`` (NaN), whose full pass over the
    data costs about a third of a CD-1 epoch; benchmarks use it.
    ``held_out`` is a tensor of rows, or a pair ``(inputs, targets)`` that
    scores the reconstruction of ``inputs`` against ``targets``.
    Each callback is called as ``callback(rbm, record)`` after every epoch and
    may return a mapping of extra columns. ``seed`` fixes shuffling and
    sampling: the same model seed and ``seed`` give the same history.
    ``rbm`` may also be a ``SoftmaxRBM``; ``data`` then holds rating
    categories (-1 unrated), and the update is the same.
    Introduced in notebook 02 and used from notebook 03 on; for softmax units in notebook 06.
    """
    data = rbm._visible(data, "data")
    check_positive_int(epochs, "epochs", minimum=0)
    check_positive_int(batch_size, "batch_size")
    check_positive_int(k, "k")
    learning_rate = check_non_negative(learning_rate, "learning_rate")
    weight_decay = check_non_negative(weight_decay, "weight_decay")
    momentum = check_non_negative(momentum, "momentum")
    if momentum >= 1:
        raise ValueError(f"momentum must be in [0, 1); got {momentum!r}.")
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}; got {method!r}.")
    held_inputs, held_targets, held_rows = _split_held_out(held_out)
    if held_inputs is not None:
        held_inputs = rbm._visible(held_inputs, "held_out")
        held_targets = rbm._visible(held_targets, "held_out")
        if held_inputs.shape != held_targets.shape:
            raise ValueError(
                f"held_out inputs and targets must have the same shape; got "
                f"{tuple(held_inputs.shape)} and {tuple(held_targets.shape)}."
            )
    callbacks = list(callbacks)

    if seed is not None:
        shuffler = torch.Generator().manual_seed(seed)
        sampler = torch.Generator(device=rbm.device).manual_seed(seed + 1)
    else:
        shuffler, sampler = None, rbm.generator
    split, cd, pcd = _hooks(rbm)
    values, observed = split(data)
    n_rows = values.shape[0]
    chains, chain_observed, per_row_chains = None, None, observed is not None
    if method == "pcd":
        if per_row_chains:
            chains, chain_observed = values.clone(), observed
        else:
            start = torch.randperm(n_rows, generator=shuffler)[: min(batch_size, n_rows)]
            chains = values[start.to(values.device)].clone()

    parameters = (rbm.weight, rbm.visible_bias, rbm.hidden_bias)
    velocity = [torch.zeros_like(p) for p in parameters]
    history: list[dict] = []
    bar = tqdm(range(1, epochs + 1), desc="epochs", unit="epoch", disable=not progress, leave=False)
    with torch.no_grad():
        for epoch in bar:
            started = time.perf_counter()
            order = torch.randperm(n_rows, generator=shuffler).to(values.device)
            for first in range(0, n_rows, batch_size):
                rows = order[first : first + batch_size]
                batch = values[rows]
                mask = observed[rows] if observed is not None else None
                if method == "cd":
                    gradients = cd(batch, mask, k, sampler)
                elif per_row_chains:
                    gradients, chains[rows] = pcd(batch, chains[rows], chain_observed[rows], k, sampler)
                else:
                    gradients, chains = pcd(batch, chains, None, k, sampler)
                _apply(parameters, velocity, gradients, learning_rate, momentum, weight_decay)
            if rbm.device.type == "cuda":
                torch.cuda.synchronize(rbm.device)
            seconds = time.perf_counter() - started
            train_error = _train_error(rbm, data, values, observed) if monitor else math.nan
            record = {"epoch": epoch, "train_error": train_error, "seconds": seconds}
            record["held_out_error"] = (
                reconstruction_error(rbm, held_inputs, held_targets) if held_inputs is not None else math.nan
            )
            record["free_energy_gap"] = free_energy_gap(rbm, data, held_inputs) if held_rows else math.nan
            for callback in callbacks:
                extra = callback(rbm, record)
                if extra:
                    record.update(extra)
            history.append(record)
            bar.set_postfix(train_error=f"{record['train_error']:.4f}")
    columns = ["epoch", "train_error", "held_out_error", "free_energy_gap", "seconds"]
    frame = pd.DataFrame(history, columns=columns + [c for c in (history[0] if history else {}) if c not in columns])
    return frame.set_index("epoch")


def _apply(
    parameters: tuple[torch.Tensor, ...],
    velocity: list[torch.Tensor],
    gradients: Gradients,
    learning_rate: float,
    momentum: float,
    weight_decay: float,
) -> None:
    """One momentum step of gradient ascent, in place; weight decay on the weights only."""
    for index, (parameter, speed, gradient) in enumerate(zip(parameters, velocity, gradients)):
        speed.mul_(momentum).add_(gradient)
        if index == 0 and weight_decay:
            speed.add_(parameter, alpha=-weight_decay)
        parameter.add_(speed, alpha=learning_rate)
