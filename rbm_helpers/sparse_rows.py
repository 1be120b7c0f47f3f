"""Ratings rows stored as their entries only, and CD-k computed entry by entry: training at any size.

A dense ratings matrix of MovieLens 25M (162,541 users x 59,047 movies) would
take 38 GB; its 25 million ratings take 125 MB as entries. ``SparseRows``
keeps, for every row (a user, or a movie in the transposed layout), the units
it holds and their categories, in CSR order; ``batch(rows)`` gathers a
mini-batch's entries. On those entries the three products of CD-k are sums
over the entries alone:

    hidden input   x_rj = c_j + sum_{entries e of row r} w_e W[u_e, s_e, j]   (``gather_sum``)
    visible input  at each entry only: b[u_e] + W[u_e] h_r                     (a gather, then a product)
    free energy    F(v_r) = -sum_e w_e b[u_e, s_e] - sum_j log(1 + e^{x_rj})

where an entry e of row r is unit u_e in slot s_e with weight w_e (softmax
units: slot = category, weight 1; binary units: slot 0, weight = the 0/1
value). ``gather_sum``'s gradient is *row-sparse* (only the units of the
batch), so ``rbm_helpers.lazy_sgd.LazySGD`` updates those rows only: a step
costs in proportion to the batch's ratings, not to the model's size.
``rbm_helpers.train`` takes a ``SparseRows`` wherever it takes a dense
tensor of rows and then runs this code path; the tests check that it gives
the dense path's loss, gradient and parameters.
Introduced with the command line's training at scale (README, "Training at scale").
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import warnings

import numpy as np
import torch
import torch.nn.functional as F

from .model import RBM
from .units import Bernoulli, Softmax
from .units.bernoulli import bernoulli
from .validation import MISSING

__all__ = [
    "EntryBatch", "SparseRows", "check_entry_model", "entry_cd_loss", "entry_free_energy", "entry_hidden_field",
    "entry_reconstruction_error", "entry_visible_field", "entry_visible_sample", "gather_sum", "read_rows",
]

class EntryBatch(NamedTuple):
    """The entries of a mini-batch of rows, ordered by row then unit: ``row`` is the position in the batch."""

    row: torch.Tensor
    unit: torch.Tensor
    category: torch.Tensor
    n_rows: int


@dataclass(frozen=True)
class SparseRows:
    """Rows of units with categories (-1 = absent) kept as entries: ``row_starts`` (CSR), ``units``, ``categories``.

    ``categories`` are what the visible layer holds: 0..K-1 for softmax units,
    0/1 for binary units. Build with ``from_dense`` (small data) or
    ``from_entries`` (any size). Memory: 8 bytes per row and 5 per entry.
    Introduced with the command line's training at scale (README).
    """

    row_starts: torch.Tensor
    units: torch.Tensor
    categories: torch.Tensor
    n_units: int

    @classmethod
    def from_entries(cls, rows: np.ndarray, units: np.ndarray, categories: np.ndarray, n_rows: int, n_units: int) -> "SparseRows":
        """The store of entries (row, unit, category), in any order; a (row, unit) pair must appear once."""
        rows, units, categories = (np.asarray(a).reshape(-1) for a in (rows, units, categories))
        if not (len(rows) == len(units) == len(categories)):
            raise ValueError(f"rows, units and categories must have the same length; got {len(rows)}, {len(units)}, {len(categories)}.")
        for name, array, size in (("rows", rows, n_rows), ("units", units, n_units)):
            if array.size and (array.dtype.kind not in "iu" or array.min() < 0 or array.max() >= size):
                raise ValueError(f"{name} must be whole numbers in [0, {size}); got {array.dtype} values in [{array.min()}, {array.max()}].")
        if categories.size and (categories.dtype.kind not in "iu" or categories.min() < 0 or categories.max() > 127):
            raise ValueError("categories must be whole numbers 0..127 (a category per entry; absent entries are left out).")
        order = np.lexsort((units, rows))
        rows, units = rows[order], units[order]
        if rows.size > 1 and np.any((rows[1:] == rows[:-1]) & (units[1:] == units[:-1])):
            raise ValueError("an entry (row, unit) appears more than once; keep one rating per (user, movie) pair.")
        counts = np.bincount(rows, minlength=n_rows)
        starts = np.concatenate([[0], np.cumsum(counts)])
        return cls(torch.from_numpy(starts.astype(np.int64)), torch.from_numpy(units.astype(np.int32)),
                   torch.from_numpy(categories[order].astype(np.int8)), int(n_units))

    @classmethod
    def from_dense(cls, categories: torch.Tensor) -> "SparseRows":
        """The store of a dense (rows, units) integer matrix with -1 where a unit is absent."""
        observed = (categories != MISSING).nonzero()
        rows, units = observed[:, 0].numpy(), observed[:, 1].numpy()
        return cls.from_entries(rows, units, categories[observed[:, 0], observed[:, 1]].numpy(), categories.shape[0], categories.shape[1])

    @property
    def n_rows(self) -> int:
        """The number of rows (one RBM each)."""
        return self.row_starts.numel() - 1

    @property
    def n_entries(self) -> int:
        """The number of stored entries (ratings)."""
        return self.units.numel()

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, units), the shape of the dense matrix this store stands for."""
        return (self.n_rows, self.n_units)

    def to(self, device: torch.device | str) -> "SparseRows":
        """The same store on ``device``."""
        return SparseRows(self.row_starts.to(device), self.units.to(device), self.categories.to(device), self.n_units)

    def batch(self, rows: torch.Tensor) -> EntryBatch:
        """The entries of ``rows`` (indices), ordered by their position in ``rows``, then by unit."""
        rows = rows.to(self.row_starts.device)
        starts, counts = self.row_starts[rows], self.row_starts[rows + 1] - self.row_starts[rows]
        batch_row = torch.repeat_interleave(torch.arange(rows.numel(), device=rows.device), counts)
        offsets = torch.arange(batch_row.numel(), device=rows.device) - torch.repeat_interleave(counts.cumsum(0) - counts, counts)
        entries = torch.repeat_interleave(starts, counts) + offsets
        return EntryBatch(batch_row, self.units[entries].long(), self.categories[entries].long(), rows.numel())

    def to_dense(self) -> torch.Tensor:
        """The dense (rows, units) integer matrix, -1 where absent (for small data and tests)."""
        entries = self.batch(torch.arange(self.n_rows))
        dense = torch.full(self.shape, int(MISSING), dtype=torch.long)
        dense[entries.row, entries.unit] = entries.category
        return dense


# ---------------------------------------------------------------------- the products over entries
class _GatherSum(torch.autograd.Function):
    """out[r] = sum_e weight_e * parameter[unit_e, slot_e]; the gradient is sparse over (unit, slot) rows."""

    @staticmethod
    def forward(ctx, parameter, rows, units, slots, weights, n_rows, width):
        table = parameter.detach().reshape(parameter.shape[0] * width, -1)
        index = units * width + slots
        offsets = torch.bincount(rows, minlength=n_rows).cumsum(0).roll(1)
        offsets[0] = 0
        ctx.save_for_backward(rows, index, weights)
        ctx.shape, ctx.width = parameter.shape, width
        per_entry = None if width > 1 else weights  # softmax entries all weigh 1
        return F.embedding_bag(index, table, offsets, mode="sum", per_sample_weights=per_entry)

    @staticmethod
    def backward(ctx, grad):
        rows, index, weights = ctx.saved_tensors
        shape, width = ctx.shape, ctx.width
        touched, position = torch.unique(index, return_inverse=True)
        contribution = grad.index_select(0, rows)
        if width == 1:
            contribution = contribution * weights.unsqueeze(1)
        values = torch.zeros(touched.numel(), grad.shape[-1], device=grad.device, dtype=grad.dtype).index_add_(0, position, contribution)
        if width > 1:  # sparse over (unit, slot): a row of the gradient per category a batch reached
            indices = torch.stack([touched // width, touched % width])
        else:
            indices = touched.unsqueeze(0)
        values = values.reshape((touched.numel(),) + tuple(shape[indices.shape[0] :]))
        gradient = torch.sparse_coo_tensor(indices, values, shape, is_coalesced=True, check_invariants=False)
        return gradient, None, None, None, None, None, None


def gather_sum(parameter: torch.Tensor, batch: EntryBatch, slots: torch.Tensor, weights: torch.Tensor, width: int) -> torch.Tensor:
    """sum over each row's entries of ``weights * parameter[unit, slot]``, shape (rows, depth).

    ``parameter`` has one row per unit and is read as (units, width, depth):
    softmax weights (units, K, n_hidden), binary weights (units, n_hidden),
    visible biases (units, K) or (units,) with depth 1. Differentiable; the
    gradient is a sparse tensor over the (unit, slot) pairs the batch holds
    (softmax) or its units (binary). Entries must be ordered by row.
    Introduced with the command line's training at scale (README).
    """
    return _GatherSum.apply(parameter, batch.row, batch.unit, slots, weights.to(parameter.dtype), batch.n_rows, width)


def read_rows(rbm: RBM, units: torch.Tensor) -> torch.Tensor:
    """The flat (unit, slot) rows of the weight and visible bias that a batch with these units reads."""
    width = rbm.visible.width
    if width == 1:
        return units
    return (units.unsqueeze(1) * width + torch.arange(width, device=units.device)).reshape(-1)


def _slots(rbm: RBM, categories: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Slot and weight of each entry: softmax units use their category's slot; binary units slot 0, weight 0/1."""
    if rbm.visible.width == 1:
        return torch.zeros_like(categories), categories.to(rbm.dtype)
    return categories, torch.ones(categories.shape, dtype=rbm.dtype, device=categories.device)


def check_entry_model(rbm: RBM) -> None:
    """Refuse models the entry path cannot train: it needs binary or softmax units and no conditional input."""
    if not isinstance(rbm.visible, (Bernoulli, Softmax)):
        raise ValueError(f"training from SparseRows needs binary or softmax visible units; got {rbm.visible!r}. Pass a dense tensor.")
    if getattr(rbm, "conditional", False):
        raise ValueError("training from SparseRows does not support the conditional input yet; use a dense tensor of rows.")


def entry_hidden_field(rbm: RBM, batch: EntryBatch, categories: torch.Tensor | None = None) -> torch.Tensor:
    """x = hidden_bias + the sum of each row's weights (``categories`` replaces the batch's own, e.g. a sample)."""
    categories = batch.category if categories is None else categories
    slots, weights = _slots(rbm, categories)
    per_unit, shared = rbm.coupling_parts()
    field = gather_sum(per_unit, batch, slots, weights, rbm.visible.width) + rbm.hidden_bias_term()
    if shared is not None:  # a weight per slot shared by every unit (tied weights)
        counts = torch.zeros(batch.n_rows, shared.shape[0], device=field.device, dtype=field.dtype)
        counts.index_put_((batch.row, slots), weights, accumulate=True)
        field = field + counts @ shared
    return field


def entry_free_energy(rbm: RBM, batch: EntryBatch, categories: torch.Tensor | None = None, field: torch.Tensor | None = None) -> torch.Tensor:
    """F(v) of each row of the batch from its entries (or from ``categories`` at the same entries)."""
    categories = batch.category if categories is None else categories
    slots, weights = _slots(rbm, categories)
    if field is None:
        field = entry_hidden_field(rbm, batch, categories)
    visible_term = gather_sum(rbm.visible_bias, batch, slots, weights, rbm.visible.width).squeeze(-1)
    return -visible_term - rbm.hidden.log_partition(field)


@torch.no_grad()
def entry_visible_field(rbm: RBM, batch: EntryBatch, hidden: torch.Tensor) -> torch.Tensor:
    """The input of every entry's unit, visible_bias[u] + weight[u] h_row, shape (entries, width).

    A sampled product (``torch.sparse.sampled_addmm``) at the entries' slots
    only, as the dense path's ``ObservedPattern.sampled``; the tied part, the
    same for every unit, is one small product per row.
    """
    per_unit, shared = rbm.coupling_parts()
    width, n_hidden, n_units = rbm.visible.width, rbm.n_hidden, rbm.visible.n
    if batch.unit.numel() == 0:
        return torch.empty(0, width, device=hidden.device, dtype=hidden.dtype)
    columns = read_rows(rbm, batch.unit)
    weights, biases = per_unit.reshape(n_units * width, n_hidden), rbm.visible_bias.reshape(-1)
    if hidden.device.type in ("cpu", "cuda"):
        counts = torch.bincount(batch.row, minlength=batch.n_rows) * width
        row_starts = torch.cat([counts.new_zeros(1), counts.cumsum(0)])
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")
            pattern = torch.sparse_csr_tensor(row_starts, columns, biases[columns], size=(batch.n_rows, n_units * width), check_invariants=False)
            field = torch.sparse.sampled_addmm(pattern, hidden, weights.T).values().view(-1, width)
    else:  # no sparse CSR products (e.g. MPS): gather the rows
        field = (biases[columns] + (weights[columns] * hidden[batch.row.repeat_interleave(width)]).sum(-1)).view(-1, width)
    if shared is not None:
        field = field + (hidden @ shared.T)[batch.row]
    return field


@torch.no_grad()
def entry_visible_sample(rbm: RBM, batch: EntryBatch, hidden: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    """A sample of every entry's unit given the hidden states of its row: the categories of the negative phase."""
    width = rbm.visible.width
    sample = rbm.visible.sample(entry_visible_field(rbm, batch, hidden).reshape(-1), generator=generator).view(-1, width)
    return sample.argmax(-1) if width > 1 else sample.squeeze(-1).long()


@torch.no_grad()
def entry_reconstruction_error(rbm: RBM, data: SparseRows, batch_size: int = 1000) -> float:
    """Mean |category - expected category| over the stored entries, mean-field: ``reconstruction_error`` for entries."""
    total, count = 0.0, 0
    for first in range(0, data.n_rows, batch_size):
        batch = data.batch(torch.arange(first, min(first + batch_size, data.n_rows), device=data.row_starts.device))
        hidden = rbm.hidden.mean(entry_hidden_field(rbm, batch))
        field = entry_visible_field(rbm, batch, hidden)
        expected = rbm.visible.expected_value(rbm.visible.mean(field.reshape(-1))).reshape(-1)
        total += (batch.category.to(expected.dtype) - expected).abs().sum().item()
        count += batch.category.numel()
    return total / max(count, 1)


def entry_cd_loss(
    rbm: RBM, batch: EntryBatch, k: int, generator: torch.Generator | None = None, n_total: int | None = None
) -> torch.Tensor:
    """The CD-k loss mean F(v) - mean F(v_k) of a batch of entry rows; differentiable, row-sparse gradients.

    ``n_total`` divides the sums instead of the batch's own row count: the
    share of one process in a batch split across several.
    The same chain as ``rbm_helpers.contrastive.cd_loss`` with a pattern of
    observed entries: hidden units sampled for every row, visible units only
    at the row's entries. Introduced with the command line's training at scale (README).
    """
    field = entry_hidden_field(rbm, batch)
    with torch.no_grad():
        probabilities = rbm.hidden.mean(field.detach())
        categories = batch.category
        for step in range(k):
            if step:
                probabilities = rbm.hidden.mean(entry_hidden_field(rbm, batch, categories))
            hidden = bernoulli(probabilities, generator)
            categories = entry_visible_sample(rbm, batch, hidden, generator)
    positive = entry_free_energy(rbm, batch, field=field)
    return (positive.sum() - entry_free_energy(rbm, batch, categories).sum()) / (n_total or max(batch.n_rows, 1))
