"""The softmax-visible RBM for ratings (Salakhutdinov, Mnih & Hinton, 2007).

A binary visible unit can only say "liked" or "not". Here each movie is one
K-way softmax unit: a one-hot vector v_i with v_ik = 1 when the user gave
movie i the rating category k. Every user has an RBM of their own that holds
only the movies they rated; all users share one weight per (movie, category,
hidden unit). With k_i the category of rated movie i, the energy is

    E(V, h) = -sum_{rated i} visible_bias[i, k_i] - h . hidden_bias
              - sum_{rated i} sum_j weight[i, k_i, j] h_j

and the conditionals are

    p(h_j = 1 | V) = sigmoid(hidden_bias_j + sum_{rated i} weight[i, k_i, j])
    p(v_i = k | h) = softmax over k of (visible_bias[i, k] + sum_j weight[i, k, j] h_j).

(The paper's equation 3 also adds sum_i log Z_i(h) to the energy; with it,
p(h | V) would not factorise (its equation 2) and its prediction formula
would not hold, so we use the energy those equations come from.)

Ratings become categories before they enter the model; the public input of
every method is an integer matrix (n_users, n_items) of categories:

    K = 5: stars 1, 2, 3, 4, 5 -> categories 0, 1, 2, 3, 4
    K = 2: disliked (rating < 3) -> 0, liked (rating >= 3) -> 1
    unrated -> -1 (MISSING)

``categories_from_ratings`` does this. Inside, categories are one-hot rows
flattened to (n_users, n_items * K), with all-zero blocks for unrated movies
(``rbm_helpers.units.Softmax``), so that p(h | V) is one matrix product and
unrated movies send nothing to the hidden units and get no gradient.
``SoftmaxRBM`` is the one ``RBM`` with a ``Softmax`` visible layer, under
the name notebook 06 gives it.

Introduced in notebook 06 (Softmax units).
"""
from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from .model import RBM
from .rating_scale import LIKED_THRESHOLD, STARS, RatingScale, scale_for
from .units import Softmax
from .validation import MISSING, check_categories

__all__ = ["METHODS", "SoftmaxRBM", "categories_from_ratings", "check_categories", "expected_category"]

_CHUNK_ELEMENTS = 2**22  # memory bound of one chunk of (pairs x K x n_hidden) in the predictions
METHODS = ("mean_field", "exact")


# ---------------------------------------------------------------------- ratings and categories
def categories_from_ratings(ratings: torch.Tensor, n_categories: "int | RatingScale") -> torch.Tensor:
    """Ratings as rating categories, -1 where unrated (an integer tensor).

    With ``n_categories=5`` stars 1..5 become categories 0..4; with
    ``n_categories=10`` half stars 0.5..5.0 become 0..9; with a
    ``RatingScale`` its k-th value becomes category k; with
    ``n_categories=2`` a rating below 3 becomes 0 (disliked) and 3 or more 1
    (liked). Unrated entries may be given as 0, -1 or NaN.
    Introduced in notebook 06 (Softmax units); half stars with the command line (README).
    """
    if not isinstance(ratings, torch.Tensor):
        raise ValueError(f"ratings must be a torch.Tensor of stars 1..5; got {type(ratings).__name__}.")
    if not isinstance(n_categories, RatingScale) and n_categories not in (2, 5, 10):
        raise ValueError(f"n_categories must be 2 (disliked/liked), 5 (stars 1..5), 10 (half stars) or a RatingScale; got {n_categories!r}.")
    ratings = ratings.double()
    unrated = torch.isnan(ratings) | (ratings == 0) | (ratings == MISSING)
    stars = ratings[~unrated]
    if n_categories == 2:
        if stars.numel() and not bool(((stars >= 0.5) & (stars <= 5)).all()):
            raise ValueError(f"ratings must hold stars 0.5..5 (0, -1 or NaN for unrated); got values in [{stars.min().item():g}, {stars.max().item():g}].")
        categories = (ratings >= LIKED_THRESHOLD).long()
    else:
        scale = n_categories if isinstance(n_categories, RatingScale) else scale_for(n_categories)
        if stars.numel() and not bool(torch.isin(stars, torch.tensor(scale.values, dtype=stars.dtype)).all()):
            what = "whole stars 1..5" if scale == STARS else f"ratings on the scale {list(scale.values)}"
            raise ValueError(
                f"ratings must hold {what} (0, -1 or NaN for unrated); got values in "
                f"[{stars.min().item():g}, {stars.max().item():g}]."
            )
        categories = torch.zeros(ratings.shape, dtype=torch.long)
        categories[~unrated] = torch.from_numpy(scale.categories(stars.cpu().numpy()).astype("int64")).to(categories.device)
    return torch.where(unrated, torch.full_like(categories, int(MISSING)), categories)


def expected_category(probabilities: torch.Tensor) -> torch.Tensor:
    """sum_k k p_k over the last axis of a (..., K) distribution over categories.

    For K = 2 this is p(liked); for K = 5 add 1 to get the expected number of
    stars. Introduced in notebook 06 (Softmax units).
    """
    categories = torch.arange(probabilities.shape[-1], device=probabilities.device, dtype=probabilities.dtype)
    return probabilities @ categories


# ---------------------------------------------------------------------- the model
class SoftmaxRBM(RBM):
    """An RBM with one K-way softmax visible unit per movie and binary hidden units.

    ``SoftmaxRBM(n_items, K, n_hidden)`` is ``RBM(Softmax(n_items, K), n_hidden)``:
    parameters ``weight`` (n_items x n_categories x n_hidden),
    ``visible_bias`` (n_items x n_categories) and ``hidden_bias`` (n_hidden);
    trained by ``rbm_helpers.train`` and computed exactly by
    ``rbm_helpers.exact`` like every RBM. Inputs are category matrices (see
    the module docstring and ``categories_from_ratings``); an unrated movie
    (-1) is left out of that user's RBM. ``seed``, ``device``, ``dtype`` and
    ``init_std`` work as for ``RBM``. Introduced in notebook 06 (Softmax units).
    """

    def __init__(self, n_items: int, n_categories: int, n_hidden: int, **options: Any) -> None:
        super().__init__(Softmax(n_items, n_categories), n_hidden, **options)

    @property
    def n_items(self) -> int:
        """The number of movies (softmax units)."""
        return self.visible.n

    @property
    def n_categories(self) -> int:
        """K, the number of rating categories of every unit."""
        return self.visible.n_categories

    def extra_repr(self) -> str:
        return f"n_items={self.n_items}, n_categories={self.n_categories}, n_hidden={self.n_hidden}"

    def constructor_arguments(self) -> dict:
        return {"n_items": self.n_items, "n_categories": self.n_categories, "n_hidden": self.n_hidden}

    @classmethod
    def from_arguments(cls, arguments: dict, **common):
        return cls(arguments["n_items"], arguments["n_categories"], arguments["n_hidden"], **common)

    # ------------------------------------------------------------------ predictions
    @torch.no_grad()
    def exact_conditional(self, v: torch.Tensor, *, condition: torch.Tensor | None = None) -> torch.Tensor:
        """The paper's exact p(v_q = k | V) for every movie q, shape (batch, n_items, K).

        For an unrated q, adding q with category k to the user's RBM and
        summing h out gives
        p(v_q = k | V) proportional to exp(visible_bias[q, k]) * prod_j (1 + exp(hidden_bias_j
        + sum_{rated i} weight[i, k_i, j] + weight[q, k, j])),
        computed in log space with softplus. For a rated q, its own rating is
        left out of V (p(v_q = k | the user's other ratings), the model's
        full conditional). Exact, unlike ``reconstruct``, which plugs in
        hidden probabilities; it costs K * n_hidden per (user, movie).
        Introduced in notebook 06 (Softmax units).
        """
        values, _ = self.encode(v)
        n_rows = values.shape[0]
        users = torch.arange(n_rows, device=self.device).repeat_interleave(self.n_items)
        items = torch.arange(self.n_items, device=self.device).repeat(n_rows)
        probabilities = self._pair_probabilities(values, users, items, exact=True, condition=condition)
        return probabilities.view(n_rows, self.n_items, self.n_categories)

    @torch.no_grad()
    def predict(
        self,
        v: torch.Tensor,
        users: torch.Tensor,
        items: torch.Tensor,
        *,
        method: str = "mean_field",
        condition: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Distributions over the K categories for (user, movie) pairs, shape (n_pairs, K).

        ``v`` holds the users' known ratings (categories, -1 unrated);
        ``users`` indexes its rows and ``items`` its columns. ``method`` is
        ``"mean_field"`` (equal to ``reconstruct(v)[users, items]``) or
        ``"exact"`` (equal to ``exact_conditional(v)[users, items]``), computed
        for the requested pairs only. Introduced in notebook 06.
        """
        if method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}; got {method!r}.")
        values, _ = self.encode(v)
        users = self._index(users, "users", values.shape[0])
        items = self._index(items, "items", self.n_items)
        if users.shape != items.shape:
            raise ValueError(f"users and items must have the same length; got {users.numel()} and {items.numel()}.")
        return self._pair_probabilities(values, users, items, exact=method == "exact", condition=condition)

    def _index(self, index: torch.Tensor, name: str, size: int) -> torch.Tensor:
        if not isinstance(index, torch.Tensor) or index.is_floating_point() or index.dtype == torch.bool or index.dim() != 1:
            raise ValueError(f"{name} must be a 1-D integer tensor of indices; got {index!r:.60}.")
        if index.numel() and not bool(((index >= 0) & (index < size)).all()):
            raise ValueError(f"{name} must hold indices in 0..{size - 1}; got values in [{index.min().item()}, {index.max().item()}].")
        return index.to(device=self.device, dtype=torch.long)

    def _pair_probabilities(
        self,
        values: torch.Tensor,
        users: torch.Tensor,
        items: torch.Tensor,
        *,
        exact: bool,
        condition: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Mean-field or exact distributions for (user, movie) pairs, in chunks that bound memory."""
        inputs = self.hidden_field(values, condition=self.check_condition(condition, values))
        hidden = torch.sigmoid(inputs)
        one_hot = values.view(values.shape[0], self.n_items, self.n_categories)
        weights = self.coupling().view(self.n_items, self.n_categories, self.n_hidden)
        chunk = max(1, _CHUNK_ELEMENTS // (self.n_categories * self.n_hidden))
        pieces = []
        for first in range(0, users.numel(), chunk):
            user, item = users[first : first + chunk], items[first : first + chunk]
            weight = weights[item]  # (pairs, K, n_hidden)
            if exact:
                own = torch.einsum("pk,pkh->ph", one_hot[user, item], weight)  # a rated movie's own input, left out
                log_odds = F.softplus((inputs[user] - own).unsqueeze(1) + weight).sum(-1)
            else:
                log_odds = torch.einsum("ph,pkh->pk", hidden[user], weight)
            pieces.append(torch.softmax(self.visible_bias[item] + log_odds, -1))
        if not pieces:
            return torch.empty(0, self.n_categories, device=self.device, dtype=self.dtype)
        return torch.cat(pieces)
