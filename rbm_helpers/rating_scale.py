"""Rating scales: which ratings a data set uses, and how they become softmax categories and back.

MovieLens 100K and 1M rate in whole stars 1..5 (K = 5 categories); 10M,
20M, 25M, 32M and ml-latest in half stars 0.5, 1.0, ..., 5.0 (K = 10). A
``RatingScale`` lists the values in order; category k is the k-th value, and
an expected rating maps back as sum_k p_k value_k. Liked / disliked (K = 2)
is not a scale but a threshold: a rating >= 3 is liked, as in the seed article.
Introduced in notebook 06 (softmax units for stars); half stars with the
command line's training at scale (README).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

__all__ = ["HALF_STARS", "LIKED_THRESHOLD", "STARS", "RatingScale", "scale_for"]

LIKED_THRESHOLD = 3.0
"""A rating at or above this is "liked" (category 1 of K = 2), below it "disliked" (0)."""

MAX_CATEGORIES = 127
"""The most categories a softmax unit may have here (categories are stored as 8-bit integers)."""


@dataclass(frozen=True)
class RatingScale:
    """The ordered rating values of a data set; category k stands for ``values[k]``.

    Introduced in notebook 06 (Softmax units); half stars in the README's "Training at scale".
    """

    values: tuple[float, ...]

    def __post_init__(self) -> None:
        values = tuple(float(value) for value in self.values)
        if not 2 <= len(values) <= MAX_CATEGORIES or any(not np.isfinite(v) for v in values) or list(values) != sorted(set(values)):
            raise ValueError(
                f"a rating scale needs 2 to {MAX_CATEGORIES} distinct finite values in increasing order, e.g. "
                f"RatingScale((1, 2, 3, 4, 5)); got {self.values!r}."
            )
        object.__setattr__(self, "values", values)

    @classmethod
    def of(cls, ratings: object) -> "RatingScale":
        """The scale a data set uses: its distinct rating values (a 1-D array, Series or tensor)."""
        values = np.unique(np.asarray(ratings.cpu() if isinstance(ratings, torch.Tensor) else ratings, dtype=np.float64))
        if values.size < 2:
            raise ValueError(f"ratings must hold at least two different values to define a scale; got {values.tolist()}.")
        return cls(tuple(values.tolist()))

    @property
    def n_categories(self) -> int:
        """K, the number of categories of a softmax unit on this scale."""
        return len(self.values)

    def categories(self, ratings: np.ndarray) -> np.ndarray:
        """Each rating's category 0..K-1 (an int8 array); a rating off the scale is refused."""
        ratings = np.asarray(ratings, dtype=np.float64)
        scale = np.asarray(self.values)
        position = np.clip(np.searchsorted(scale, ratings), 0, len(scale) - 1)
        off = scale[position] != ratings
        if off.any():
            raise ValueError(
                f"ratings hold {np.unique(ratings[off])[:5].tolist()}, which are not on the scale {list(self.values)}; "
                "use RatingScale.of(ratings) for the data's own scale."
            )
        return position.astype(np.int8)

    def expected_rating(self, probabilities: torch.Tensor) -> torch.Tensor:
        """sum_k p_k value_k over the last axis of a (..., K) distribution: the rating a model expects."""
        if probabilities.shape[-1] != self.n_categories:
            raise ValueError(f"probabilities must have {self.n_categories} categories on the last axis; got {tuple(probabilities.shape)}.")
        return probabilities @ torch.tensor(self.values, dtype=probabilities.dtype, device=probabilities.device)


STARS = RatingScale((1, 2, 3, 4, 5))
"""Whole stars 1..5 (MovieLens 100K and 1M): K = 5."""

HALF_STARS = RatingScale(tuple(0.5 * step for step in range(1, 11)))
"""Half stars 0.5, 1.0, ..., 5.0 (MovieLens 10M and later): K = 10."""


def scale_for(n_categories: int) -> RatingScale:
    """The standard scale with ``n_categories`` values: 5 whole stars or 10 half stars."""
    scales = {STARS.n_categories: STARS, HALF_STARS.n_categories: HALF_STARS}
    if n_categories not in scales:
        raise ValueError(
            f"n_categories={n_categories!r} has no standard scale: use 5 (stars 1..5), 10 (half stars 0.5..5.0), "
            "2 (liked/disliked), or pass a RatingScale."
        )
    return scales[n_categories]
