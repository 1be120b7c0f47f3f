"""Sparse products over the observed entries of a batch: what makes training on ratings fast.

A user rates a few percent of the movies, so a product of a batch of ratings
rows with a weight matrix is far cheaper as a sparse (CSR) product over the
observed entries alone, and a Gibbs step need only sample those entries.
Introduced in notebook 03 (training on MovieLens).
"""
from __future__ import annotations

import warnings

import torch


class ObservedPattern:
    """Where the observed entries of an encoded batch are; ``present`` holds their flat (row-major) positions.

    Introduced in notebook 03 (training on MovieLens), where it makes CD fast.
    """

    def __init__(self, observed: torch.Tensor) -> None:
        self.shape = observed.shape
        self.present = observed.reshape(-1).nonzero().squeeze(1)
        n_rows, n_columns = observed.shape
        self.columns = self.present % n_columns
        counts = torch.bincount(self.present // n_columns, minlength=n_rows)
        self.row_starts = torch.cat([counts.new_zeros(1), counts.cumsum(0)])
        self.sparse = observed.device.type in ("cpu", "cuda")  # MPS has no CSR products

    @classmethod
    def of(cls, observed: torch.Tensor | None) -> "ObservedPattern | None":
        """The pattern of a 0/1 (or bool) mask of observed entries; ``None`` for ``None`` (nothing missing)."""
        return None if observed is None else cls(observed)

    def entries(self, values: torch.Tensor) -> torch.Tensor:
        """The observed entries of zero-filled rows, in row-major order (or ``values`` if already so)."""
        return values if values.dim() == 1 else values.reshape(-1).take(self.present)

    def dense(self, entries: torch.Tensor) -> torch.Tensor:
        """Zero-filled rows holding ``entries`` at the observed positions."""
        out = torch.zeros(self.shape[0] * self.shape[1], device=entries.device, dtype=entries.dtype)
        return out.index_copy_(0, self.present, entries).view(self.shape)

    def times(self, values: torch.Tensor, matrix: torch.Tensor) -> torch.Tensor:
        """rows @ matrix, with the rows given zero-filled or as their observed entries.

        Differentiable in ``matrix``: the backward pass is the transposed
        product with the zero-filled rows, a dense product that costs less
        than transposing the sparse one.
        """
        entries = self.entries(values)
        if not self.sparse:
            return (values if values.dim() == 2 else self.dense(entries)) @ matrix
        if not (torch.is_grad_enabled() and matrix.requires_grad):
            return self.csr(entries) @ matrix
        rows = values if values.dim() == 2 else self.dense(entries)
        return _SparseRowsTimes.apply(matrix, self, rows, entries)

    def sampled(self, bias: torch.Tensor, rows: torch.Tensor, matrix: torch.Tensor) -> torch.Tensor:
        """(bias + rows @ matrix^T) at the observed positions only, as entries in row-major order.

        A sampled product (SDDMM): with a few percent of the entries observed
        it costs a fraction of the dense product. Used for the visible units'
        input in Gibbs sampling; not differentiable.
        """
        if not self.sparse:
            return torch.addmm(bias, rows, matrix.T).reshape(-1).take(self.present)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")
            return torch.sparse.sampled_addmm(self.csr(bias.take(self.columns)), rows, matrix.T).values()

    def csr(self, entries: torch.Tensor) -> torch.Tensor:
        """The rows as a sparse CSR tensor holding ``entries`` at the observed positions."""
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")
            warnings.filterwarnings("ignore", message="Sparse invariant checks are implicitly disabled")
            return torch.sparse_csr_tensor(self.row_starts, self.columns, entries, size=self.shape, check_invariants=False)


class _SparseRowsTimes(torch.autograd.Function):
    """rows @ matrix as a CSR product forward, and rows^T @ grad (dense) backward."""

    @staticmethod
    def forward(ctx, matrix: torch.Tensor, pattern: ObservedPattern, rows: torch.Tensor, entries: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(rows)
        return pattern.csr(entries) @ matrix

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        (rows,) = ctx.saved_tensors
        return rows.T @ grad, None, None, None
