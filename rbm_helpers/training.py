"""Training any RBM of the package: one loop, CD-k or PCD-k, autograd and ``torch.optim``.

``train`` is the loop every notebook from 03 on uses: shuffled mini-batches
that cover every row each epoch (the seed article's loop skips the last
users); for each batch the contrastive loss mean F(v_data) - mean F(v_chain)
(``rbm_helpers.contrastive``), ``loss.backward()`` and one step of a
``torch.optim`` optimizer (by default SGD with momentum, and weight decay on
the weights only); and a per-epoch history of monitors as a pandas DataFrame.
It trains every unit type (binary, softmax, Gaussian) and the conditional
softmax model alike.

Introduced in notebook 02 (the CD-k update) and used from notebook 03 on.
"""
from __future__ import annotations

import math
import time
from typing import Callable, Iterable, Mapping

import pandas as pd
import torch
from tqdm.auto import tqdm

from .contrastive import cd_loss, contrastive_loss, pcd_loss
from .model import RBM, ObservedPattern
from .distributed import all_reduce_gradients, process_group
from .lazy_sgd import LazySGD
from .samplers import ParallelTempering, PersistentChains
from .sparse_rows import SparseRows, check_entry_model, entry_cd_loss, entry_reconstruction_error, read_rows
from .validation import check_non_negative, check_positive_int

__all__ = ["Callback", "METHODS", "TrainingDivergedError", "free_energy_gap", "reconstruction_error", "train"]

Callback = Callable[[RBM, dict], "Mapping[str, float] | None"]
METHODS = ("cd", "pcd", "pcd-per-row")
"""``cd``: CD-k; ``pcd``: Tieleman's persistent fantasy chains; ``pcd-per-row``: one persistent chain per data row."""

DIVERGENCE_LIMIT = 1e4
"""A parameter larger than this in absolute value means training has diverged."""

SNAPSHOT_LIMIT_BYTES = 256 * 2**20
"""Training from entries keeps a copy of the parameters to restore after an error only below this size
(a MovieLens 25M model has 0.8 GB of parameters; a second copy would not fit the memory budget)."""


class TrainingDivergedError(ValueError):
    """Training produced non-finite or exploding parameters (a learning rate too large, most often).

    Introduced in notebook 03 (training on MovieLens).
    """


def reconstruction_error(
    rbm: RBM, inputs: torch.Tensor, targets: torch.Tensor | None = None, *, condition: torch.Tensor | None = None
) -> float:
    """Mean |target - reconstruction| over the observed (not -1) entries of ``targets``.

    The reconstruction is the mean-field one (the expected value of each unit
    given h = p(h | inputs)): a deterministic stand-in for the seed article's
    one-sample "loss", not its expectation. ``targets`` defaults to
    ``inputs`` (how well the model reproduces its own input); pass held-out
    ratings of the same users to measure prediction instead. For softmax units
    (notebook 06) the reconstruction is the expected category, which for K = 2
    gives the same number as a binary RBM; for K = 5 the error is in stars.
    Introduced in notebook 03 (loss curves).
    """
    values, observed = rbm.encode(inputs, "inputs")
    condition = rbm.check_condition(condition, values)
    target_values, target_observed = (values, observed) if targets is None else rbm.encode(targets, "targets")
    if target_values.shape != values.shape:
        raise ValueError(
            f"targets must have the shape of inputs {(values.shape[0], rbm.n_visible)}; got {tuple(targets.shape)}."
        )
    return _encoded_error(rbm, values, observed, target_values, target_observed, condition)


@torch.no_grad()
def _encoded_error(
    rbm: RBM,
    values: torch.Tensor,
    observed: torch.Tensor | None,
    targets: torch.Tensor,
    target_observed: torch.Tensor | None,
    condition: torch.Tensor | None = None,
) -> float:
    """``reconstruction_error`` on already encoded rows: the per-epoch monitor of ``train``."""
    visible = rbm.visible
    p_h = rbm.hidden.mean(rbm.hidden_field(values, condition=condition))  # zero-filled rows: one dense product
    field = rbm.visible_field(p_h)
    truth = visible.unit_values(targets)
    if target_observed is None:
        prediction = visible.expected_value(visible.mean(field))
        return (truth.to(prediction.dtype) - prediction).abs().mean().item()
    units = visible.observed_units(target_observed)
    if not bool(units.any()):
        raise ValueError("targets has no observed entries (every one is -1): there is nothing to score.")
    if visible.width == 1:  # one column per unit: cheaper over the whole matrix than gathering the entries
        error = (truth - visible.expected_value(visible.mean(field))).abs() * units
        return (error.sum() / units.sum()).item()
    field = field.view(values.shape[0], visible.n, visible.width)[units]
    prediction = visible.expected_value(visible.mean(field.reshape(-1)))
    return (truth[units].to(prediction.dtype) - prediction).abs().mean().item()


def free_energy_gap(rbm: RBM, train_rows: torch.Tensor, held_out_rows: torch.Tensor) -> float:
    """Mean free energy of held-out rows minus that of training rows.

    Near zero while the model generalises; growing when it starts to prefer
    its training rows (overfitting), as Hinton's practical guide suggests to
    watch. Both sets must be rows of the same kind (e.g. different users);
    groups with different numbers of ratings make it far from 0 without any
    overfitting (notebook 04 uses ``monitoring.free_energy_gap_per_like``).
    Introduced in notebook 04 (monitoring).
    """
    with torch.no_grad():
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


def _check_settings(epochs: int, batch_size: int, k: int, learning_rate: float, momentum: float, weight_decay: float, method: object) -> None:
    check_positive_int(epochs, "epochs", minimum=0)
    check_positive_int(batch_size, "batch_size")
    check_positive_int(k, "k")
    check_non_negative(learning_rate, "learning_rate")
    check_non_negative(weight_decay, "weight_decay")
    if not 0 <= check_non_negative(momentum, "momentum") < 1:
        raise ValueError(f"momentum must be in [0, 1); got {momentum!r}.")
    if not isinstance(method, (PersistentChains, ParallelTempering)) and method not in METHODS:
        raise ValueError(f"method must be one of {METHODS} or a sampler (rbm_helpers.samplers); got {method!r}.")


def default_optimizer(
    rbm: RBM, learning_rate: float, momentum: float, weight_decay: float, learning_rates: Mapping[str, float] | None = None
) -> torch.optim.Optimizer:
    """The series' recipe as a ``torch.optim.SGD``: momentum, and weight decay on the weights only.

    Each step is ``velocity <- momentum * velocity + gradient + weight_decay * weight``,
    ``parameter <- parameter - learning_rate * velocity`` (on the loss, so
    the likelihood climbs). Introduced in notebook 02 (the CD-k update).
    """
    groups = rbm.parameter_groups(weight_decay, dict(learning_rates or {}))
    return torch.optim.SGD(groups, lr=learning_rate, momentum=momentum)


def _check_diverged(rbm: RBM, epoch: int, learning_rate: float) -> None:
    for name, parameter in rbm.named_parameters():
        largest = parameter.detach().abs().max().item()
        if not math.isfinite(largest) or largest > DIVERGENCE_LIMIT:
            what = "non-finite values (NaN or inf)" if not math.isfinite(largest) else f"|values| up to {largest:.3g}"
            raise TrainingDivergedError(
                f"training diverged in epoch {epoch}: {name} reached {what} with learning_rate={learning_rate:g}. "
                "Lower the learning rate (try 10 times smaller) or standardise the data."
            )


def train(
    rbm: RBM,
    data: torch.Tensor,
    *,
    epochs: int = 10,
    batch_size: int = 100,
    learning_rate: float = 0.1,
    momentum: float = 0.5,
    weight_decay: float = 0.0,
    k: int = 1,
    method: "str | PersistentChains | ParallelTempering" = "cd",
    seed: int | None = None,
    held_out: "torch.Tensor | tuple[torch.Tensor, torch.Tensor] | None" = None,
    callbacks: Iterable[Callback] = (),
    progress: bool = True,
    monitor: bool = True,
    optimizer: torch.optim.Optimizer | None = None,
    learning_rates: Mapping[str, float] | None = None,
    condition: torch.Tensor | None = None,
    n_chains: int | None = None,
) -> pd.DataFrame:
    """Train ``rbm`` on the rows of ``data`` in place; return one history row per epoch.

    Each epoch shuffles the rows and visits every one of them once, in
    mini-batches of ``batch_size`` (the last one may be smaller). For each
    batch the contrastive loss is differentiated by autograd and ``optimizer``
    takes a step; by default SGD with ``learning_rate``, ``momentum`` and
    ``weight_decay`` (on the weights only), i.e.

        velocity <- momentum * velocity + (-gradient + weight_decay * weight)
        parameter <- parameter - learning_rate * velocity,

    with ``learning_rates`` giving some parameters a rate of their own. Pass
    any ``torch.optim`` optimizer over ``rbm.parameters()`` instead.
    ``method``: ``"cd"`` (CD-k), ``"pcd"`` (Tieleman's persistent fantasy
    chains, ``n_chains`` of them, default ``batch_size``; every unit must be
    observed), ``"pcd-per-row"`` (one persistent chain per data row,
    advanced when its row is in a batch: what rows with missing units allow),
    or a sampler from ``rbm_helpers.samplers`` such as ``ParallelTempering``
    (advanced ``k`` rounds per update).

    The history has the columns ``epoch``, ``train_error`` (see
    ``reconstruction_error``; NaN with ``monitor=False``, which saves a pass
    over the data), ``held_out_error`` and ``free_energy_gap`` (NaN without
    ``held_out``; the gap needs held-out *rows*, not a pair) and ``seconds``
    (training time of the epoch, without the monitors). ``held_out`` is a
    tensor of rows, or a pair ``(inputs, targets)`` that scores the
    reconstruction of ``inputs`` against ``targets``. Each callback is called
    as ``callback(rbm, record)`` after every epoch and may return a mapping of
    extra columns. ``seed`` fixes shuffling and sampling. ``condition`` is the
    extra input of a conditional model, one row per data row.

    ``data`` may also be a ``rbm_helpers.sparse_rows.SparseRows`` (rows kept
    as their entries, for data too large to be dense): then each batch is
    built from its entries, CD-k runs over the entries only, gradients are
    row-sparse, the default optimizer is ``LazySGD`` (the same SGD, updating
    only the rows a batch touches), and under ``torch.distributed``
    (torchrun) every process takes its share of each batch and the gradients
    are summed across processes. Training stops with
    ``TrainingDivergedError`` if a parameter becomes non-finite or explodes;
    after any error the model is put back as it was before the call (from
    entries, only a model under ``SNAPSHOT_LIMIT_BYTES``). Introduced in notebook 02 and used from notebook 03 on.
    """
    if not isinstance(rbm, RBM):
        raise ValueError(f"rbm must be an rbm_helpers RBM (RBM, SoftmaxRBM, ...); got {type(rbm).__name__}.")
    if isinstance(data, SparseRows):
        return _train_entries(rbm, data, epochs=epochs, batch_size=batch_size, learning_rate=learning_rate, momentum=momentum,
                              weight_decay=weight_decay, k=k, method=method, seed=seed, held_out=held_out, callbacks=callbacks,
                              progress=progress, monitor=monitor, optimizer=optimizer, learning_rates=learning_rates,
                              condition=condition)
    values, observed = rbm.encode(data, "data")
    condition = rbm.check_condition(condition, values)
    _check_settings(epochs, batch_size, k, learning_rate, momentum, weight_decay, method)
    if observed is not None and not bool(observed.any()):
        raise ValueError("data has no observed entries (every value is -1): there is nothing to train on.")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise ValueError(f"seed must be an integer or None; got {seed!r}.")
    largest = torch.finfo(rbm.dtype).max
    for rate_name, rate in [("learning_rate", learning_rate), *((f"learning_rates[{k!r}]", v) for k, v in (learning_rates or {}).items())]:
        if check_non_negative(rate, rate_name) > largest:
            raise ValueError(f"{rate_name}={rate:g} does not fit in the model's dtype {rbm.dtype} (at most {largest:g}); use a smaller rate.")
    if optimizer is not None and not isinstance(optimizer, torch.optim.Optimizer):
        raise ValueError(f"optimizer must be a torch.optim.Optimizer over rbm.parameters(); got {type(optimizer).__name__}.")
    held_inputs, held_targets, held_rows = _split_held_out(held_out)
    if held_inputs is not None:
        held_inputs = rbm.visible.check(held_inputs, "held_out")
        held_targets = rbm.visible.check(held_targets, "held_out")
        if held_inputs.shape != held_targets.shape:
            raise ValueError(
                f"held_out inputs and targets must have the same shape; got "
                f"{tuple(held_inputs.shape)} and {tuple(held_targets.shape)}."
            )
    callbacks = list(callbacks)
    optimizer = optimizer or default_optimizer(rbm, learning_rate, momentum, weight_decay, learning_rates)
    shuffler = torch.Generator().manual_seed(seed) if seed is not None else None
    sampler = torch.Generator(device=rbm.device).manual_seed(seed + 1) if seed is not None else rbm.generator
    chains = _initial_chains(values, observed, method, n_chains or batch_size, shuffler)

    before = {name: value.detach().clone() for name, value in rbm.state_dict().items()}
    try:
        history = _epochs(rbm, data, values, observed, condition, chains, optimizer, method, k, batch_size, shuffler,
                          sampler, epochs, learning_rate, monitor, held_inputs, held_targets, held_rows, callbacks, progress)
    except BaseException:
        with torch.no_grad():
            rbm.load_state_dict(before)  # an error (a diverged run, a callback's, Ctrl-C) leaves the model as it was
        raise
    columns = ["epoch", "train_error", "held_out_error", "free_energy_gap", "seconds"]
    extra = list(dict.fromkeys(c for record in history for c in record if c not in columns))  # a callback may skip epochs
    frame = pd.DataFrame(history, columns=columns + extra)
    return frame.set_index("epoch")


def _epochs(rbm, data, values, observed, condition, chains, optimizer, method, k, batch_size, shuffler, sampler,
            epochs, learning_rate, monitor, held_inputs, held_targets, held_rows, callbacks, progress) -> list[dict]:
    """The epochs of ``train``: train, check for divergence, monitor, call back; one record per epoch."""
    history: list[dict] = []
    bar = tqdm(range(1, epochs + 1), desc="epochs", unit="epoch", disable=not progress, leave=False)
    for epoch in bar:
        with rbm.differentiable():
            seconds = _train_epoch(rbm, values, observed, condition, chains, optimizer, method, k, batch_size, shuffler, sampler)
        _check_diverged(rbm, epoch, learning_rate)
        record = {
            "epoch": epoch,
            "train_error": _encoded_error(rbm, values, observed, values, observed, condition) if monitor else math.nan,
            "seconds": seconds,
            "held_out_error": reconstruction_error(rbm, held_inputs, held_targets) if held_inputs is not None else math.nan,
            "free_energy_gap": free_energy_gap(rbm, data, held_inputs) if held_rows else math.nan,
        }
        _call_back(callbacks, rbm, record)
        history.append(record)
        bar.set_postfix(train_error=f"{record['train_error']:.4f}")
    return history


def _call_back(callbacks: list[Callback], rbm: RBM, record: dict) -> None:
    """Call each callback after an epoch and add the columns it returns to ``record``."""
    for callback in callbacks:
        extra = callback(rbm, record)
        if extra is not None and not isinstance(extra, Mapping):
            raise ValueError(
                f"a callback must return None or a mapping of extra columns (e.g. {{'auc': 0.7}}); "
                f"{getattr(callback, '__name__', callback)!r} returned {type(extra).__name__}."
            )
        record.update(extra or {})


def _train_epoch(
    rbm: RBM,
    values: torch.Tensor,
    observed: torch.Tensor | None,
    condition: torch.Tensor | None,
    chains: torch.Tensor | None,
    optimizer: torch.optim.Optimizer,
    method: str,
    k: int,
    batch_size: int,
    shuffler: torch.Generator | None,
    sampler: torch.Generator | None,
) -> float:
    """One pass over the rows in shuffled mini-batches, one optimizer step per batch; returns its seconds.

    ``chains`` (PCD) are advanced in place.
    """
    started = time.perf_counter()
    n_rows = values.shape[0]
    order = torch.randperm(n_rows, generator=shuffler).to(values.device)
    for first in range(0, n_rows, batch_size):
        rows = order[first : first + batch_size]
        batch = values[rows]
        pattern = ObservedPattern.of(observed[rows]) if observed is not None else None
        batch_condition = condition[rows] if condition is not None else None
        if method == "cd":
            loss = cd_loss(rbm, batch, k, pattern=pattern, condition=batch_condition, generator=sampler)
        elif method == "pcd-per-row":
            loss, advanced = pcd_loss(
                rbm, batch, chains[rows], k, pattern=pattern, chain_pattern=pattern,
                condition=batch_condition, chain_condition=batch_condition, generator=sampler,
            )
            chains[rows] = advanced
        else:  # persistent chains or parallel tempering: a sampler that keeps its own state
            loss = contrastive_loss(rbm, batch, chains.advance(rbm, k, sampler), pattern=pattern, condition=batch_condition)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    if rbm.device.type == "cuda":
        torch.cuda.synchronize(rbm.device)
    return time.perf_counter() - started


def _initial_chains(
    values: torch.Tensor, observed: torch.Tensor | None, method: "str | object", n_chains: int, shuffler: torch.Generator | None
) -> "torch.Tensor | PersistentChains | ParallelTempering | None":
    """The persistent state of the negative phase: none (CD), a chain per row, or a sampler."""
    if method == "cd":
        return None
    if method == "pcd-per-row":
        return values.clone()
    if observed is not None:
        raise ValueError(
            "method='pcd' (or a sampler) runs fantasy chains over every visible unit, but data has missing units (-1): "
            "each row is its own RBM. Use method='pcd-per-row' (one persistent chain per row) or method='cd'."
        )
    if isinstance(method, (PersistentChains, ParallelTempering)):
        return method
    check_positive_int(n_chains, "n_chains")
    start = torch.randperm(values.shape[0], generator=shuffler)[: min(n_chains, values.shape[0])]
    return PersistentChains(values[start.to(values.device)])


def _train_entries(rbm: RBM, data: SparseRows, *, epochs, batch_size, learning_rate, momentum, weight_decay, k, method, seed,
                   held_out, callbacks, progress, monitor, optimizer, learning_rates, condition) -> pd.DataFrame:
    """``train`` on rows kept as entries: the same loop, batches built from entries, gradients row-sparse."""
    check_entry_model(rbm)
    _check_settings(epochs, batch_size, k, learning_rate, momentum, weight_decay, method)
    if method != "cd" or held_out is not None or condition is not None:
        raise ValueError("training from SparseRows supports method='cd' without held_out or condition; "
                         "score held-out ratings in a callback instead (see rbm_helpers.scale).")
    if data.n_units != rbm.visible.n:
        raise ValueError(f"data has {data.n_units:,} units per row but the model has {rbm.visible.n:,} visible units.")
    n_categories = rbm.visible.width if rbm.visible.width > 1 else 2
    if data.n_entries and int(data.categories.max()) >= n_categories:
        raise ValueError(f"data holds category {int(data.categories.max())} but the model's units take 0..{n_categories - 1}.")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise ValueError(f"seed must be an integer or None; got {seed!r}.")
    if optimizer is not None and not isinstance(optimizer, torch.optim.Optimizer):
        raise ValueError(f"optimizer must be a torch.optim.Optimizer over rbm.parameters(); got {type(optimizer).__name__}.")
    rank, world = process_group()
    data = data.to(rbm.device)
    optimizer = optimizer or LazySGD(rbm.parameter_groups(weight_decay, dict(learning_rates or {})), lr=learning_rate, momentum=momentum)
    shuffler = torch.Generator().manual_seed(seed) if seed is not None else None
    sampler = torch.Generator(device=rbm.device).manual_seed(seed + 1 + rank) if seed is not None else rbm.generator
    large = sum(p.numel() * p.element_size() for p in rbm.parameters()) > SNAPSHOT_LIMIT_BYTES
    before = None if large else {name: value.detach().clone() for name, value in rbm.state_dict().items()}
    history: list[dict] = []
    try:
        for epoch in range(1, epochs + 1):
            bar = tqdm(total=math.ceil(data.n_rows / batch_size), desc=f"epoch {epoch}/{epochs}", unit="batch", disable=not progress)
            seconds = _train_entry_epoch(rbm, data, optimizer, k, batch_size, shuffler, sampler, rank, world, bar)
            bar.close()
            _check_diverged(rbm, epoch, learning_rate)
            record = {"epoch": epoch, "seconds": seconds, "held_out_error": math.nan, "free_energy_gap": math.nan,
                      "train_error": entry_reconstruction_error(rbm, data) if monitor else math.nan}
            _call_back(list(callbacks), rbm, record)
            history.append(record)
    except BaseException:
        if before is not None:
            with torch.no_grad():
                rbm.load_state_dict(before)
        raise
    columns = ["epoch", "train_error", "held_out_error", "free_energy_gap", "seconds"]
    extra = list(dict.fromkeys(c for record in history for c in record if c not in columns))  # a callback may skip epochs
    frame = pd.DataFrame(history, columns=columns + extra)
    return frame.set_index("epoch")


def _train_entry_epoch(rbm: RBM, data: SparseRows, optimizer: torch.optim.Optimizer, k: int, batch_size: int,
                       shuffler: torch.Generator | None, sampler: torch.Generator | None, rank: int, world: int, bar: tqdm) -> float:
    """One pass over the rows in shuffled batches; with ``world`` processes each takes every world-th row of a batch."""
    started = time.perf_counter()
    order = torch.randperm(data.n_rows, generator=shuffler).to(rbm.device)
    trainable = list(rbm.trainable_parameters().values())
    with rbm.differentiable():
        for first in range(0, data.n_rows, batch_size):
            rows = order[first : first + batch_size]
            batch = data.batch(rows[rank::world])
            if isinstance(optimizer, LazySGD):  # the rows this batch reads must hold every step so far
                rows_read = read_rows(rbm, torch.unique(batch.unit))
                for parameter in (rbm.coupling_parts()[0], rbm.visible_bias):
                    optimizer.bring_up_to_date(parameter, rows_read)
            loss = entry_cd_loss(rbm, batch, k, generator=sampler, n_total=rows.numel())
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if world > 1:
                all_reduce_gradients(trainable)
            optimizer.step()
            bar.update()
    if isinstance(optimizer, LazySGD):
        optimizer.flush()
    if rbm.device.type == "cuda":
        torch.cuda.synchronize(rbm.device)
    return time.perf_counter() - started
