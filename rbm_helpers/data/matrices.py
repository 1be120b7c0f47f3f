"""From a ratings table to the users x movies matrix an RBM trains on.

Row u of the matrix is one user, column i one movie; the entry is the rating,
or liked = 1 / disliked = 0 with ``binary=True`` (liked means rating >=
``threshold``, 3 by default as in the seed article), and ``MISSING`` (-1) where
the user has not rated the movie. ``RatingsIndex`` fixes which user is which
row and which movie is which column, so the train and test matrices of a split
line up. ``ratings_matrix`` is dense; for data too large for that,
``sparse_ratings_matrix`` stores only the rated entries and ``dense_rows``
expands one mini-batch of users at a time.
Introduced in notebook 03 (Train an RBM on MovieLens); splits in notebook 05.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from ..device import resolve_device
from ..validation import MISSING
from .checks import check_flag, check_int, check_number, describe

DEFAULT_MAX_DENSE_BYTES = 1 << 30
"""Dense matrices above 1 GiB are refused (ml-1m is 90 MB as float32; ml-25m would be 38 GB)."""

REQUIRED_COLUMNS = ("user_id", "item_id", "rating")


def check_ratings(ratings: pd.DataFrame, name: str = "ratings") -> pd.DataFrame:
    """Check that ``ratings`` is a table with ``user_id, item_id, rating`` columns and return it.

    Ids must be whole numbers (no NaN) and ratings finite numbers, as
    ``load_movielens`` returns them. Introduced in notebook 03 (training on MovieLens).
    """
    if not isinstance(ratings, pd.DataFrame) or not set(REQUIRED_COLUMNS) <= set(ratings.columns):
        got = list(ratings.columns) if isinstance(ratings, pd.DataFrame) else type(ratings).__name__
        raise ValueError(
            f"{name} must be a pandas DataFrame with columns user_id, item_id, rating (as load_movielens "
            f"returns); got {got}."
        )
    for column in ("user_id", "item_id"):
        ids = ratings[column]
        if not pd.api.types.is_integer_dtype(ids.dtype) or pd.api.types.is_bool_dtype(ids.dtype) or ids.isna().any():
            missing = " with missing values" if ids.isna().any() else ""
            raise ValueError(
                f"{name}['{column}'] must hold whole-number ids; got dtype {ids.dtype}{missing}. "
                f"Drop rows without an id, then convert with {name}['{column}'].astype('int64')."
            )
    rating = ratings["rating"]
    if not pd.api.types.is_numeric_dtype(rating.dtype) or pd.api.types.is_bool_dtype(rating.dtype):
        raise ValueError(f"{name}['rating'] must hold numbers; got dtype {rating.dtype}. Convert with pd.to_numeric({name}['rating']).")
    values = rating.to_numpy(dtype=np.float64, na_value=np.nan)
    if np.isnan(values).any():
        raise ValueError(f"{name}['rating'] contains NaN; drop unrated rows instead of marking them NaN.")
    if np.isinf(values).any():
        raise ValueError(f"{name}['rating'] contains inf; every rating must be a finite number of stars.")
    return ratings


def _check_ids(ids: object, name: str) -> np.ndarray:
    """``ids`` as a 1-D integer array, or a ValueError naming ``name``."""
    array = ids.detach().cpu().numpy() if isinstance(ids, torch.Tensor) else np.asarray(ids)
    if array.size == 0:
        return array.reshape(-1).astype(np.int64)
    if array.dtype.kind not in "iu" or array.ndim > 1:
        raise ValueError(f"{name} must be a 1-D list or array of whole numbers; got {describe(ids)} (dtype {array.dtype}, shape {array.shape}).")
    return array.reshape(-1)


@dataclass(frozen=True)
class RatingsIndex:
    """Which original user id is which matrix row, and which item id which column.

    ``user_ids[row]`` and ``item_ids[column]`` give the original ids back;
    ``rows(ids)`` and ``columns(ids)`` go the other way. Build one index for
    the whole data set (``RatingsIndex.from_ratings(ratings)``, or
    ``from_ratings(train, test)``) so that the train and test matrices of a
    split share rows and columns. Introduced in notebook 03; used for splits in notebook 05.
    """

    user_ids: np.ndarray
    item_ids: np.ndarray

    def __post_init__(self) -> None:
        object.__setattr__(self, "user_ids", np.unique(_check_ids(self.user_ids, "user_ids")))
        object.__setattr__(self, "item_ids", np.unique(_check_ids(self.item_ids, "item_ids")))

    @classmethod
    def from_ratings(cls, *ratings: pd.DataFrame) -> "RatingsIndex":
        """The index of every user and item that appears in any of the given ratings tables (sorted ids)."""
        if not ratings:
            raise ValueError("from_ratings needs at least one ratings table, e.g. RatingsIndex.from_ratings(train, test).")
        tables = [check_ratings(table, f"ratings[{number}]" if len(ratings) > 1 else "ratings") for number, table in enumerate(ratings)]
        return cls(
            np.concatenate([table["user_id"].to_numpy() for table in tables]),
            np.concatenate([table["item_id"].to_numpy() for table in tables]),
        )

    @property
    def n_users(self) -> int:
        """How many users (matrix rows) the index holds."""
        return len(self.user_ids)

    @property
    def n_items(self) -> int:
        """How many movies (matrix columns) the index holds."""
        return len(self.item_ids)

    def rows(self, user_ids) -> np.ndarray:
        """The matrix rows of these original user ids (ValueError for an id not in the index)."""
        return _positions(self.user_ids, _check_ids(user_ids, "user_ids"), "user")

    def columns(self, item_ids) -> np.ndarray:
        """The matrix columns of these original item ids (ValueError for an id not in the index)."""
        return _positions(self.item_ids, _check_ids(item_ids, "item_ids"), "item")


def _positions(known: np.ndarray, ids: np.ndarray, kind: str) -> np.ndarray:
    positions = np.searchsorted(known, ids)
    found = np.zeros(ids.shape, dtype=bool)
    if len(known):
        found = (positions < len(known)) & (known[np.minimum(positions, len(known) - 1)] == ids)
    if not np.all(found):
        missing = np.unique(ids[~found])[:5].tolist()
        raise ValueError(
            f"{kind} ids {missing} are not in this RatingsIndex; build the index from the whole data set "
            f"(RatingsIndex.from_ratings(ratings), or from_ratings(train, test)) so that every split fits it."
        )
    return positions


def _entries(ratings: pd.DataFrame, index: RatingsIndex | None, binary: bool, threshold: float):
    """Rows, columns and values of the rated entries, checked."""
    check_ratings(ratings)
    index = _check_index(index, ratings)
    binary, threshold = check_flag(binary, "binary"), check_number(threshold, "threshold", example="threshold=3")
    rows, columns = index.rows(ratings["user_id"]), index.columns(ratings["item_id"])
    values = ratings["rating"].to_numpy(dtype=np.float64)
    flat = rows.astype(np.int64) * index.n_items + columns
    if np.unique(flat).size != flat.size:
        raise ValueError("ratings holds the same (user_id, item_id) pair more than once; keep one rating per pair.")
    if binary:
        values = (values >= threshold).astype(np.float64)
    return index, rows, columns, values


def _check_index(index: object, ratings: pd.DataFrame) -> RatingsIndex:
    if index is None:
        return RatingsIndex.from_ratings(ratings)
    if not isinstance(index, RatingsIndex):
        raise ValueError(f"index must be a RatingsIndex (RatingsIndex.from_ratings(ratings)) or None; got {describe(index)}.")
    return index


def _check_dtype(dtype: object) -> torch.dtype:
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise ValueError(f"dtype must be a floating-point torch dtype such as torch.float32 or torch.float64; got {describe(dtype)}.")
    return dtype


def _check_device(device: object) -> torch.device:
    """``resolve_device(device)``: it refuses a device torch cannot use here, before any tensor is made."""
    return resolve_device(device)


def ratings_matrix(
    ratings: pd.DataFrame,
    index: RatingsIndex | None = None,
    *,
    binary: bool = False,
    threshold: float = 3,
    dtype: torch.dtype = torch.float32,
    device: str | torch.device | None = None,
    max_dense_bytes: int = DEFAULT_MAX_DENSE_BYTES,
) -> torch.Tensor:
    """The dense (n_users, n_items) matrix of ``ratings``, with ``MISSING`` (-1) where unrated.

    Entries are the ratings, or with ``binary=True`` liked = 1 (rating >=
    ``threshold``) and disliked = 0: the visible units of notebook 03's RBM.
    Rows and columns follow ``index`` (built from ``ratings`` if None). A
    matrix larger than ``max_dense_bytes`` is refused: use
    ``sparse_ratings_matrix`` and ``dense_rows`` then.
    Introduced in notebook 03 (Train an RBM on MovieLens).
    """
    check_ratings(ratings)
    index, dtype, device = _check_index(index, ratings), _check_dtype(dtype), _check_device(device)
    max_dense_bytes = check_int(max_dense_bytes, "max_dense_bytes", minimum=0, example=f"max_dense_bytes={DEFAULT_MAX_DENSE_BYTES}")
    size = index.n_users * index.n_items * torch.empty((), dtype=dtype).element_size()
    if size > max_dense_bytes:
        raise ValueError(
            f"a dense {index.n_users:,} x {index.n_items:,} {dtype} matrix needs {size / 2**20:,.0f} MiB, over "
            f"max_dense_bytes={max_dense_bytes:,}. Use sparse_ratings_matrix(ratings, index) and "
            f"dense_rows(matrix, rows) to expand one mini-batch of users at a time, "
            f"or raise max_dense_bytes if you have the memory."
        )
    index, rows, columns, values = _entries(ratings, index, binary, threshold)
    matrix = torch.full((index.n_users, index.n_items), MISSING, dtype=dtype)
    matrix[torch.from_numpy(rows), torch.from_numpy(columns)] = torch.from_numpy(values).to(dtype)
    return matrix.to(device)


def sparse_ratings_matrix(
    ratings: pd.DataFrame,
    index: RatingsIndex | None = None,
    *,
    binary: bool = False,
    threshold: float = 3,
    dtype: torch.dtype = torch.float32,
    device: str | torch.device | None = None,
) -> torch.Tensor:
    """The same matrix as ``ratings_matrix``, as a coalesced torch sparse COO tensor of the rated entries only.

    Unrated entries are simply absent (so ``.to_dense()`` would show them as
    0, not -1: a disliked movie is a stored 0); use ``dense_rows`` to get a
    mini-batch of rows with ``MISSING`` filled in. For data too large to hold
    densely. Introduced in notebook 03.
    """
    dtype, device = _check_dtype(dtype), _check_device(device)
    index, rows, columns, values = _entries(ratings, index, binary, threshold)
    matrix = torch.sparse_coo_tensor(
        torch.from_numpy(np.stack([rows, columns]).astype(np.int64)),
        torch.from_numpy(values).to(dtype),
        (index.n_users, index.n_items),
        check_invariants=True,
    )
    return matrix.coalesce().to(device)


def dense_rows(matrix: torch.Tensor, rows) -> torch.Tensor:
    """Rows ``rows`` of a ``sparse_ratings_matrix`` as a dense (len(rows), n_items) tensor, ``MISSING`` where unrated.

    What a training loop calls for each mini-batch when the whole matrix is too
    large to be dense. Introduced in notebook 03.
    """
    if not isinstance(matrix, torch.Tensor) or matrix.layout != torch.sparse_coo or matrix.dim() != 2:
        raise ValueError("matrix must be a 2-D torch sparse COO tensor, as sparse_ratings_matrix returns.")
    matrix = matrix if matrix.is_coalesced() else matrix.coalesce()
    positions, values = matrix.indices(), matrix.values()  # coalesced: sorted by row, then column
    rows = torch.as_tensor(_check_ids(rows, "rows"), dtype=torch.long, device=positions.device)
    if rows.numel() and (rows.min() < 0 or rows.max() >= matrix.shape[0]):
        raise ValueError(f"rows must lie in [0, {matrix.shape[0]}); got {rows.min().item()}..{rows.max().item()}.")
    starts = torch.searchsorted(positions[0], rows)
    counts = torch.searchsorted(positions[0], rows, right=True) - starts
    batch_row = torch.repeat_interleave(torch.arange(rows.numel(), device=rows.device), counts)
    offset_in_row = torch.arange(int(counts.sum()), device=rows.device) - torch.repeat_interleave(counts.cumsum(0) - counts, counts)
    entries = torch.repeat_interleave(starts, counts) + offset_in_row
    batch = torch.full((rows.numel(), matrix.shape[1]), MISSING, dtype=values.dtype, device=values.device)
    batch[batch_row, positions[1, entries]] = values[entries]
    return batch
