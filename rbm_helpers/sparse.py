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
        """rows @ matrix, with the rows given zero-filled or as their observed entries (autograd flows to ``matrix``)."""
        entries = self.entries(values)
        if not self.sparse:
            return self.dense(entries) @ matrix
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")
            warnings.filterwarnings("ignore", message="Sparse invariant checks are implicitly disabled")
            rows = torch.sparse_csr_tensor(
                self.row_starts, self.columns, entries, size=self.shape, check_invariants=False
            )
            return rows @ matrix
