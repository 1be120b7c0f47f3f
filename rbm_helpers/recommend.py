"""From scores to recommendations with titles, and what the hidden units learned.

Every function takes the scores p(liked) for every (user, movie) (from
``rbm.reconstruct(train_matrix)`` or any baseline), the training matrix
(1 liked, 0 disliked, -1 unrated) and, for titles, the ``RatingsIndex`` and
the movies table of ``rbm_helpers.data.load_movies``.
Introduced in notebook 05 (Recommend and evaluate).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from .data import RatingsIndex
from .model import RBM
from .validation import MISSING

__all__ = ["diversity", "hidden_unit_genres", "hidden_unit_movies", "liked_movies", "movies_by_column", "recommend", "top_k"]


def _check_scores_matrix(scores: torch.Tensor, train_matrix: torch.Tensor) -> None:
    for value, name in ((scores, "scores"), (train_matrix, "train_matrix")):
        if not isinstance(value, torch.Tensor) or value.dim() != 2:
            raise ValueError(f"{name} must be a 2-D tensor (n_users, n_movies); got {getattr(value, 'shape', type(value).__name__)}.")
    if scores.shape != train_matrix.shape:
        raise ValueError(f"scores must have the shape of train_matrix {tuple(train_matrix.shape)}; got {tuple(scores.shape)}.")


def top_k(scores: torch.Tensor, train_matrix: torch.Tensor, k: int = 10) -> torch.Tensor:
    """Column indices of each user's ``k`` highest-scoring movies among those they have not rated.

    Shape (n_users, k), best first; ties go to the lower column (a stable
    sort), and already-rated movies (``train_matrix != -1``) are never
    recommended. A user with fewer than ``k`` unrated movies gets -1 in the
    empty places. Introduced in notebook 05 (Recommend and evaluate).
    """
    _check_scores_matrix(scores, train_matrix)
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be an integer >= 1; got {k!r}.")
    unrated = train_matrix == MISSING
    masked = torch.where(unrated, scores.double(), torch.full_like(scores, -torch.inf, dtype=torch.float64))
    order = torch.sort(masked, dim=1, descending=True, stable=True).indices[:, :k]
    valid = unrated.gather(1, order)
    return torch.where(valid, order, torch.full_like(order, -1))


def diversity(lists: torch.Tensor) -> dict:
    """How personal a set of top-k lists is: ``top_k``'s (n_users, k) output, one row per user.

    Returns ``lists`` (rows), ``distinct_movies`` (movies that appear in any
    list), ``most_common_column`` and ``most_common_share`` (the share of lists
    that contain the most frequent movie). Empty places (-1) are ignored.
    Introduced in notebook 05 (Recommend and evaluate).
    """
    if not isinstance(lists, torch.Tensor) or lists.dim() != 2:
        raise ValueError(f"lists must be top_k's 2-D tensor (n_users, k); got {getattr(lists, 'shape', type(lists).__name__)}.")
    filled = lists[lists >= 0]
    if filled.numel() == 0:
        raise ValueError("lists holds no movies (every entry is -1).")
    columns, counts = torch.unique(filled, return_counts=True)
    best = int(counts.argmax())
    in_lists = int((lists == columns[best]).any(1).sum())
    return {"lists": lists.shape[0], "distinct_movies": int(columns.numel()),
            "most_common_column": int(columns[best]), "most_common_share": in_lists / lists.shape[0]}


def movies_by_column(index: RatingsIndex, movies: pd.DataFrame) -> pd.DataFrame:
    """The movies table reordered so that row j describes matrix column j (``index.item_ids[j]``).

    Introduced in notebook 05 (Recommend and evaluate).
    """
    if "item_id" not in movies.columns:
        raise ValueError(f"movies must be the table load_movies returns (with an item_id column); got {list(movies.columns)}.")
    table = movies.set_index("item_id").reindex(index.item_ids)
    if table["title"].isna().any():
        unknown = index.item_ids[table["title"].isna().to_numpy()][:5].tolist()
        raise ValueError(f"movies has no row for item ids {unknown}; pass the movies of the same data set.")
    return table.reset_index()


def _user_row(index: RatingsIndex, user_id: int) -> int:
    return int(index.rows([user_id])[0])


def recommend(
    scores: torch.Tensor,
    train_matrix: torch.Tensor,
    index: RatingsIndex,
    movies: pd.DataFrame,
    user_id: int,
    k: int = 10,
) -> pd.DataFrame:
    """The top-``k`` unrated movies for MovieLens user ``user_id``: rank, title, genres and p(liked).

    Introduced in notebook 05 (Recommend and evaluate).
    """
    row = _user_row(index, user_id)
    columns = top_k(scores[row : row + 1], train_matrix[row : row + 1], k)[0]
    columns = columns[columns >= 0].tolist()
    table = movies_by_column(index, movies).iloc[columns]
    return pd.DataFrame(
        {
            "rank": np.arange(1, len(columns) + 1),
            "title": table["title"].to_numpy(),
            "genres": table["genres"].to_numpy(),
            "p(liked)": scores[row, columns].double().numpy(),
        }
    ).set_index("rank")


def liked_movies(train_matrix: torch.Tensor, index: RatingsIndex, movies: pd.DataFrame, user_id: int) -> pd.DataFrame:
    """The movies user ``user_id`` rated in training, with ``liked`` 1 or 0, liked first, then by title.

    Introduced in notebook 05 (Recommend and evaluate).
    """
    row = _user_row(index, user_id)
    rated = (train_matrix[row] != MISSING).nonzero().flatten().tolist()
    table = movies_by_column(index, movies).iloc[rated]
    frame = pd.DataFrame(
        {"title": table["title"].to_numpy(), "genres": table["genres"].to_numpy(), "liked": train_matrix[row, rated].int().numpy()}
    )
    return frame.sort_values(["liked", "title"], ascending=[False, True], kind="stable").reset_index(drop=True)


def hidden_unit_movies(rbm: RBM, index: RatingsIndex, movies: pd.DataFrame, *, units=None, top: int = 5) -> pd.DataFrame:
    """For each hidden unit, the ``top`` movies with the largest weights (what switches the unit on) and the most negative.

    One row per unit, columns ``top movies`` and ``bottom movies`` (most
    negative weight first: liking them switches the unit off), titles joined
    by " | ". ``units`` picks units (default: all).
    Introduced in notebook 05 (what the hidden units learned).
    """
    table = movies_by_column(index, movies)
    if table.shape[0] != rbm.n_visible:
        raise ValueError(f"index has {table.shape[0]} movies but the RBM has {rbm.n_visible} visible units.")
    units = list(range(rbm.n_hidden)) if units is None else list(units)
    weight = rbm.weight.detach().cpu()
    rows = []
    for unit in units:
        best = torch.sort(weight[:, unit], descending=True, stable=True).indices[:top].tolist()
        worst = torch.sort(weight[:, unit], descending=False, stable=True).indices[:top].tolist()
        rows.append({"unit": unit, "top movies": " | ".join(table["title"].iloc[best]),
                     "bottom movies": " | ".join(table["title"].iloc[worst])})
    return pd.DataFrame(rows).set_index("unit")


def hidden_unit_genres(
    rbm: RBM, index: RatingsIndex, movies: pd.DataFrame, genres, *, units=None, top_movies: int = 30
) -> pd.DataFrame:
    """Genre lift of each hidden unit: a genre's share among the unit's ``top_movies`` movies over its share overall.

    A lift of 2 means the unit's favourite movies are twice as often of that
    genre as movies in general; 1 means no preference. ``genres`` are the
    0/1 genre columns of the movies table to use. One row per unit, one column
    per genre. Introduced in notebook 05 (what the hidden units learned).
    """
    table = movies_by_column(index, movies)
    genres = list(genres)
    missing = [g for g in genres if g not in table.columns]
    if missing:
        raise ValueError(f"genres {missing} are not columns of movies; it has {list(table.columns)}.")
    flags = torch.tensor(table[genres].to_numpy(dtype=np.float64))
    overall = flags.mean(0).clamp(min=1e-12)
    units = list(range(rbm.n_hidden)) if units is None else list(units)
    weight = rbm.weight.detach().cpu()
    rows = []
    for unit in units:
        best = torch.sort(weight[:, unit], descending=True, stable=True).indices[:top_movies]
        rows.append((flags[best].mean(0) / overall).tolist())
    return pd.DataFrame(rows, index=pd.Index(units, name="unit"), columns=genres)
