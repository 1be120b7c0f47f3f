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
p(h | V) would not factorise and its equations 1, 2 and its prediction
formula would not hold, so we use the energy those equations come from.)

Ratings become categories before they enter the model; the public input of
every method is an integer matrix (n_users, n_items) of categories:

    K = 5: stars 1, 2, 3, 4, 5 -> categories 0, 1, 2, 3, 4
    K = 2: disliked (rating < 3) -> 0, liked (rating >= 3) -> 1
    unrated -> -1 (MISSING)

``categories_from_ratings`` does this. Inside, categories are one-hot rows
flattened to (n_users, n_items * K), with all-zero blocks for unrated movies,
so that p(h | V) is one matrix product and unrated movies send nothing to
the hidden units and get no gradient.

Introduced in notebook 06 (Softmax units).
"""
from __future__ import annotations


import torch
import torch.nn.functional as F

from .contrastive import Gradients
from .model import SeededModule, bernoulli
from .validation import MISSING, check_positive_int, check_units

_FORMAT = "rbm_helpers.SoftmaxRBM/1"
_CHUNK_ELEMENTS = 2**22  # memory bound of one chunk of (pairs x K x n_hidden) in the predictions
METHODS = ("mean_field", "exact")


# ---------------------------------------------------------------------- ratings and categories
def categories_from_ratings(ratings: torch.Tensor, n_categories: int) -> torch.Tensor:
    """Star ratings 1..5 as rating categories, -1 where unrated (an integer tensor).

    With ``n_categories=5`` stars 1..5 become categories 0..4; with
    ``n_categories=2`` a rating below 3 becomes 0 (disliked) and 3 or more 1
    (liked). Unrated entries may be given as 0, -1 or NaN.
    Introduced in notebook 06 (Softmax units).
    """
    if n_categories not in (2, 5):
        raise ValueError(f"n_categories must be 2 (disliked/liked) or 5 (stars 1..5); got {n_categories!r}.")
    if not isinstance(ratings, torch.Tensor):
        raise ValueError(f"ratings must be a torch.Tensor of stars 1..5; got {type(ratings).__name__}.")
    ratings = ratings.double()
    unrated = torch.isnan(ratings) | (ratings == 0) | (ratings == MISSING)
    stars = ratings[~unrated]
    if stars.numel() and not bool(((stars >= 1) & (stars <= 5) & (stars == stars.round())).all()):
        raise ValueError(
            f"ratings must hold whole stars 1..5 (0, -1 or NaN for unrated); got values in "
            f"[{stars.min().item():g}, {stars.max().item():g}]."
        )
    categories = (ratings >= 3).long() if n_categories == 2 else ratings.nan_to_num(1).long() - 1
    return torch.where(unrated, torch.full_like(categories, int(MISSING)), categories)


def expected_category(probabilities: torch.Tensor) -> torch.Tensor:
    """sum_k k p_k over the last axis of a (..., K) distribution over categories.

    For K = 2 this is p(liked); for K = 5 add 1 to get the expected number of
    stars. Introduced in notebook 06 (Softmax units).
    """
    categories = torch.arange(probabilities.shape[-1], device=probabilities.device, dtype=probabilities.dtype)
    return probabilities @ categories


def check_categories(
    x: torch.Tensor,
    name: str,
    n_items: int,
    n_categories: int,
    *,
    allow_missing: bool = True,
) -> torch.Tensor:
    """Check that ``x`` is a batch of rating categories and return it as a 2-D integer tensor.

    ``x`` must be a tensor of shape ``(batch, n_items)`` (or one row
    ``(n_items,)``) with whole numbers 0..n_categories-1, and -1 for an
    unrated movie when ``allow_missing``; no NaN, at least one row.
    Raises ``ValueError`` naming ``name``, what was expected and what was given.
    Introduced in notebook 06 (Softmax units).
    """
    expected = f"categories 0..{n_categories - 1}" + (" (or -1 for unrated)" if allow_missing else "")
    if not isinstance(x, torch.Tensor) or x.dtype == torch.bool or x.is_complex():
        given = type(x).__name__ if not isinstance(x, torch.Tensor) else f"dtype {x.dtype}"
        raise ValueError(
            f"{name} must be a torch.Tensor of {expected}, shape (batch, {n_items}); got {given}. "
            f"Convert with torch.as_tensor({name}, dtype=torch.long)."
        )
    if x.dim() == 1:
        x = x.unsqueeze(0)
    if x.dim() != 2 or x.shape[1] != n_items:
        hint = ""
        if x.dim() == 3 and x.shape[1:] == (n_items, n_categories):
            hint = f" This looks one-hot; pass categories instead: {name}.argmax(-1), with -1 where a row is all zero."
        raise ValueError(
            f"{name} must have shape (batch, {n_items}): one row per user, one column per movie, "
            f"each entry one of {expected}; got shape {tuple(x.shape)}.{hint}"
        )
    if x.shape[0] == 0:
        raise ValueError(f"{name} is an empty batch (shape {tuple(x.shape)}); pass at least one row.")
    if x.is_floating_point():
        if torch.isnan(x).any():
            raise ValueError(f"{name} contains NaN; mark an unrated movie with -1 (MISSING), not NaN.")
        if not bool((x == x.round()).all()):
            raise ValueError(
                f"{name} must hold whole numbers ({expected}); got non-integer values. "
                "Did you pass probabilities? Take the most likely category with .argmax(-1)."
            )
    allowed = (x >= 0) & (x < n_categories)
    if allow_missing:
        allowed |= x == MISSING
    if not bool(allowed.all()):
        if not allow_missing and (x == MISSING).any():
            hint = " This function needs every movie rated; -1 (unrated) is not allowed here."
        elif x.max().item() >= n_categories:
            hint = f" Did you pass raw ratings? Use categories_from_ratings(ratings, n_categories={n_categories})."
        else:
            hint = ""
        raise ValueError(f"{name} must hold {expected}; got values in [{x.min().item():g}, {x.max().item():g}].{hint}")
    return x.long()


# ---------------------------------------------------------------------- the model
class SoftmaxRBM(SeededModule):
    """An RBM with one K-way softmax visible unit per movie and binary hidden units.

    Parameters are ``weight`` (n_items x n_categories x n_hidden),
    ``visible_bias`` (n_items x n_categories) and ``hidden_bias`` (n_hidden),
    updated by contrastive divergence (``rbm_helpers.train`` accepts this
    model), not by autograd. Inputs are category matrices (see the module
    docstring and ``categories_from_ratings``); an unrated movie (-1) is left
    out of that user's RBM. ``seed``, ``device``, ``dtype`` and ``init_std``
    work as for ``RBM``. Introduced in notebook 06 (Softmax units).
    """

    _format = _FORMAT

    def __init__(
        self,
        n_items: int,
        n_categories: int,
        n_hidden: int,
        *,
        seed: int | None = None,
        device: str | torch.device | None = None,
        dtype: torch.dtype = torch.float32,
        init_std: float = 0.01,
    ) -> None:
        super().__init__()
        check_positive_int(n_items, "n_items")
        check_positive_int(n_categories, "n_categories", minimum=2)
        check_positive_int(n_hidden, "n_hidden")
        self.n_items = n_items
        self.n_categories = n_categories
        self.n_hidden = n_hidden
        self._set_up(
            (n_items, n_categories, n_hidden), (n_items, n_categories), n_hidden,
            seed=seed, device=device, dtype=dtype, init_std=init_std,
        )

    # ------------------------------------------------------------------ basics
    def extra_repr(self) -> str:
        return f"n_items={self.n_items}, n_categories={self.n_categories}, n_hidden={self.n_hidden}"

    def _visible(self, v: torch.Tensor, name: str = "v", *, allow_missing: bool = True) -> torch.Tensor:
        v = check_categories(v, name, self.n_items, self.n_categories, allow_missing=allow_missing)
        return v.to(self.device)

    def _hidden(self, h: torch.Tensor, name: str = "h", *, probabilities: bool = False) -> torch.Tensor:
        """Validated hidden states (0/1), or hidden probabilities in [0, 1] when ``probabilities``."""
        if probabilities and isinstance(h, torch.Tensor) and h.is_floating_point() and h.dim() in (1, 2):
            h2 = h.unsqueeze(0) if h.dim() == 1 else h
            if h2.shape[-1] == self.n_hidden and h2.shape[0] > 0 and not torch.isnan(h2).any():
                if not bool(((h2 >= 0) & (h2 <= 1)).all()):
                    raise ValueError(
                        f"{name} must hold hidden states or probabilities in [0, 1]; got values in "
                        f"[{h2.min().item():g}, {h2.max().item():g}]."
                    )
                return h2.to(device=self.device, dtype=self.dtype)
        return check_units(h, name, self.n_hidden, layer="hidden").to(device=self.device, dtype=self.dtype)

    def _weights(self) -> torch.Tensor:
        """The weight each (movie, category) sends to each hidden unit, shape (n_items, K, n_hidden).

        Here it is ``weight`` itself; a subclass with tied weights adds its
        shared part (``ConditionalSoftmaxRBM``).
        """
        return self.weight

    def _flat_weight(self) -> torch.Tensor:
        """The weights as one (n_items * K, n_hidden) matrix (a view of ``weight`` here)."""
        return self._weights().reshape(-1, self.n_hidden)

    def _one_hot(self, categories: torch.Tensor) -> torch.Tensor:
        """Validated categories as flat one-hot rows (batch, n_items * K), zero for unrated movies."""
        observed = (categories != MISSING).unsqueeze(-1)
        one_hot = F.one_hot(categories.clamp_min(0), self.n_categories).to(self.dtype) * observed
        return one_hot.view(categories.shape[0], -1)

    def _split_missing(self, categories: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Flat one-hot values and the flat observed mask (``None`` when every movie is rated).

        The counterpart of ``model.split_missing`` that ``train`` uses for this model.
        """
        values = self._one_hot(categories)
        observed = categories != MISSING
        if bool(observed.all()):
            return values, None
        mask = observed.unsqueeze(-1).expand(-1, -1, self.n_categories)
        return values, mask.reshape(categories.shape[0], -1).to(self.dtype)

    def _categories(self, values: torch.Tensor, observed: torch.Tensor | None) -> torch.Tensor:
        """Flat one-hot values back to categories, -1 where ``observed`` is 0."""
        categories = values.view(values.shape[0], self.n_items, self.n_categories).argmax(-1)
        if observed is None:
            return categories
        rated = observed.view(values.shape[0], self.n_items, self.n_categories)[..., 0].bool()
        return torch.where(rated, categories, torch.full_like(categories, int(MISSING)))

    def _hidden_inputs(self, values: torch.Tensor, context: torch.Tensor | None = None) -> torch.Tensor:
        """hidden_bias_j + sum_{rated i} weight[i, k_i, j] for each row of flat one-hot ``values``.

        ``context`` (batch, n_hidden), when given, is added: the extra input of
        a conditional model (``ConditionalSoftmaxRBM``); ``None`` here.
        """
        inputs = torch.addmm(self.hidden_bias, values, self._flat_weight())
        return inputs if context is None else inputs + context

    # ------------------------------------------------------------------ energies
    def energy(self, v: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        """Energy E(V, h) of a user's RBM, one value per row; unrated movies (-1) are left out.

        E(V, h) = -sum_{rated i} visible_bias[i, k_i] - h . hidden_bias
        - sum_{rated i} sum_j weight[i, k_i, j] h_j, with ``v`` holding the
        categories k_i and ``h`` 0/1 hidden states. Introduced in notebook 06.
        """
        values = self._one_hot(self._visible(v))
        h = self._hidden(h)
        if values.shape[0] != h.shape[0]:
            raise ValueError(f"v and h must have the same number of rows; got {values.shape[0]} and {h.shape[0]}.")
        return -(values @ self.visible_bias.view(-1)) - (h @ self.hidden_bias) - ((values @ self._flat_weight()) * h).sum(-1)

    def free_energy(self, v: torch.Tensor) -> torch.Tensor:
        """Free energy F(V) = -log sum_h exp(-E(V, h)), one value per row of ``v``.

        F(V) = -sum_{rated i} visible_bias[i, k_i] - sum_j softplus(hidden_bias_j
        + sum_{rated i} weight[i, k_i, j]). Unrated movies (-1) are left out of
        the user's RBM. Introduced in notebook 06 (Softmax units).
        """
        return self._free_energy(self._one_hot(self._visible(v)))

    def _free_energy(self, values: torch.Tensor, context: torch.Tensor | None = None) -> torch.Tensor:
        return -(values @ self.visible_bias.view(-1)) - F.softplus(self._hidden_inputs(values, context)).sum(-1)

    # ------------------------------------------------------------------ conditionals
    def hidden_probabilities(self, v: torch.Tensor) -> torch.Tensor:
        """p(h_j = 1 | V) = sigmoid(hidden_bias_j + sum_{rated i} weight[i, k_i, j]), shape (batch, n_hidden).

        Unrated movies (-1) contribute nothing. Introduced in notebook 06.
        """
        return torch.sigmoid(self._hidden_inputs(self._one_hot(self._visible(v))))

    def visible_probabilities(self, h: torch.Tensor) -> torch.Tensor:
        """p(v_i = k | h) = softmax_k(visible_bias[i, k] + sum_j weight[i, k, j] h_j), shape (batch, n_items, K).

        Each movie's K probabilities sum to one. ``h`` may be a 0/1 sample or
        hidden probabilities (mean-field use). Introduced in notebook 06.
        """
        h = self._hidden(h, probabilities=True)
        return self._visible_probabilities(h)

    def _visible_probabilities(self, h: torch.Tensor) -> torch.Tensor:
        logits = torch.addmm(self.visible_bias.view(-1), h, self._flat_weight().T)
        return torch.softmax(logits.view(h.shape[0], self.n_items, self.n_categories), -1)

    def _sample_categories(self, p_v: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        """One category per movie from (batch, n_items, K) probabilities, by inverting the cumulative sum."""
        uniform = torch.rand(p_v.shape[:-1] + (1,), generator=generator, device=p_v.device, dtype=p_v.dtype)
        return (p_v.cumsum(-1) < uniform).sum(-1).clamp_max(self.n_categories - 1)

    def sample_h(self, v: torch.Tensor, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Probabilities p(h = 1 | V) and a Bernoulli sample of the hidden layer.

        Introduced in notebook 06 (Softmax units).
        """
        p_h = self.hidden_probabilities(v)
        return p_h, bernoulli(p_h, generator or self.generator)

    def sample_v(self, h: torch.Tensor, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Probabilities p(v_i = k | h), shape (batch, n_items, K), and one sampled category per movie.

        The sample (an integer tensor of shape (batch, n_items)) has every
        movie; ``gibbs`` puts unrated ones back. Introduced in notebook 06.
        """
        p_v = self.visible_probabilities(h)
        return p_v, self._sample_categories(p_v, generator or self.generator)

    # ------------------------------------------------------------------ sampling
    def gibbs(
        self,
        v: torch.Tensor,
        steps: int = 1,
        *,
        generator: torch.Generator | None = None,
        return_hidden: bool = False,
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """Run ``steps`` rounds of block Gibbs sampling V -> h -> V from each row of ``v``.

        Returns the final categories (and the last hidden sample if
        ``return_hidden``). Unrated movies (-1) stay unrated: they are not part
        of that user's RBM. Introduced in notebook 06 (Softmax units).
        """
        check_positive_int(steps, "steps", minimum=0)
        values, observed = self._split_missing(self._visible(v))
        values, hidden = self._gibbs_chain(values, observed, steps, generator or self.generator)
        categories = self._categories(values, observed)
        return (categories, hidden) if return_hidden else categories

    def _gibbs_chain(
        self,
        values: torch.Tensor,
        observed: torch.Tensor | None,
        steps: int,
        generator: torch.Generator | None,
        context: torch.Tensor | None = None,
        p_h: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Block Gibbs on flat one-hot values; the hot loop of training.

        ``p_h``, when given, is p(h | values), already computed by the caller.
        Only the movies in each user's RBM (``observed``) are sampled: on
        MovieLens that is a few percent of the matrix, and the softmax over
        a small last axis is the slow part of a step.
        """
        if p_h is None:
            p_h = torch.sigmoid(self._hidden_inputs(values, context))
        hidden = bernoulli(p_h, generator)
        rated = None
        if observed is not None:
            rated = observed.view(values.shape[0], self.n_items, self.n_categories)[..., 0].nonzero(as_tuple=True)
        for step in range(steps):
            values = self._sample_one_hot(hidden, rated, generator).view(values.shape)
            if step + 1 < steps:
                hidden = bernoulli(torch.sigmoid(self._hidden_inputs(values, context)), generator)
        return values, hidden

    def _sample_one_hot(
        self,
        hidden: torch.Tensor,
        rated: tuple[torch.Tensor, torch.Tensor] | None,
        generator: torch.Generator | None,
    ) -> torch.Tensor:
        """One-hot samples from p(v | h), shape (batch, n_items, K): every movie, or only the (row, movie) pairs ``rated``."""
        logits = torch.addmm(self.visible_bias.view(-1), hidden, self._flat_weight().T)
        logits = logits.view(hidden.shape[0], self.n_items, self.n_categories)
        one_hot = torch.zeros_like(logits)
        if rated is None:
            sample = self._sample_categories(torch.softmax(logits, -1), generator)
            return one_hot.scatter_(-1, sample.unsqueeze(-1), 1.0)
        rows, items = rated
        sample = self._sample_categories(torch.softmax(logits[rows, items], -1), generator)
        one_hot[rows, items, sample] = 1.0
        return one_hot

    # ------------------------------------------------------------------ predictions
    def reconstruct(self, v: torch.Tensor) -> torch.Tensor:
        """Mean-field prediction p(v_i = k | h = p(h | V)) for every movie, shape (batch, n_items, K).

        One deterministic up-down pass: the hidden probabilities stand in for
        a hidden sample. It covers every movie, the unrated ones included
        (a rated movie's own rating is part of V here). Cheap but approximate:
        softmax(E[h]) is not E[softmax(h)]; ``exact_conditional`` integrates
        h out instead. For K = 2, ``[..., 1]`` is p(liked); for K = 5,
        ``expected_category(...) + 1`` is the expected rating.
        Introduced in notebook 06 (Softmax units).
        """
        return self._visible_probabilities(self.hidden_probabilities(v))

    def exact_conditional(self, v: torch.Tensor) -> torch.Tensor:
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
        categories = self._visible(v)
        n_rows = categories.shape[0]
        users = torch.arange(n_rows, device=self.device).repeat_interleave(self.n_items)
        items = torch.arange(self.n_items, device=self.device).repeat(n_rows)
        probabilities = self._pair_probabilities(self._one_hot(categories), users, items, exact=True)
        return probabilities.view(n_rows, self.n_items, self.n_categories)

    def predict(
        self,
        v: torch.Tensor,
        users: torch.Tensor,
        items: torch.Tensor,
        *,
        method: str = "mean_field",
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
        categories = self._visible(v)
        users = self._index(users, "users", categories.shape[0])
        items = self._index(items, "items", self.n_items)
        if users.shape != items.shape:
            raise ValueError(f"users and items must have the same length; got {users.numel()} and {items.numel()}.")
        return self._pair_probabilities(self._one_hot(categories), users, items, exact=method == "exact")

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
        context: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Mean-field or exact distributions for (user, movie) pairs, in chunks that bound memory."""
        inputs = self._hidden_inputs(values, context)
        hidden = torch.sigmoid(inputs)
        one_hot = values.view(values.shape[0], self.n_items, self.n_categories)
        weights = self._weights()
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

    def _reconstruction_error(self, inputs: torch.Tensor, targets: torch.Tensor | None = None) -> float:
        """Mean |category - expected category of the reconstruction| over rated entries of ``targets``.

        For K = 2 this is the binary RBM's reconstruction error; for K = 5 the
        mean absolute error in stars. ``rbm_helpers.reconstruction_error``
        calls it for this model. Introduced in notebook 06.
        """
        values = self._one_hot(self._visible(inputs, "inputs"))
        targets = self._visible(inputs if targets is None else targets, "targets")
        if targets.shape != (values.shape[0], self.n_items):
            raise ValueError(
                f"targets must have the shape of inputs {(values.shape[0], self.n_items)}; got {tuple(targets.shape)}."
            )
        return self._mean_absolute_error(torch.sigmoid(self._hidden_inputs(values)), targets)

    def _mean_absolute_error(self, p_h: torch.Tensor, targets: torch.Tensor) -> float:
        """Mean |category - expected category of p(v | p_h)| over the rated entries of ``targets``.

        The softmax is taken at the rated entries only: the same numbers as
        ``reconstruct``, at a fraction of the cost on a sparse matrix.
        """
        rows, items = (targets != MISSING).nonzero(as_tuple=True)
        if rows.numel() == 0:
            return float("nan")
        logits = torch.addmm(self.visible_bias.view(-1), p_h, self._flat_weight().T)
        logits = logits.view(p_h.shape[0], self.n_items, self.n_categories)[rows, items]
        prediction = expected_category(torch.softmax(logits, -1))
        return (targets[rows, items].to(self.dtype) - prediction).abs().mean().item()

    # ------------------------------------------------------------------ contrastive divergence
    def _phase(self, values: torch.Tensor, p_h: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Mean statistics <v h^T>, <v>, <h> of flat one-hot rows, h at its probabilities (``p_h`` if given)."""
        if p_h is None:
            p_h = torch.sigmoid(self._hidden_inputs(values))
        n = values.shape[0]
        return values.T @ p_h / n, values.mean(0), p_h.mean(0)

    def _gradients(self, positive: tuple, negative: tuple) -> Gradients:
        shapes = (self.weight.shape, self.visible_bias.shape, self.hidden_bias.shape)
        return Gradients(*((p - q).view(shape) for p, q, shape in zip(positive, negative, shapes)))

    def _cd_statistics(
        self,
        values: torch.Tensor,
        observed: torch.Tensor | None,
        k: int,
        generator: torch.Generator | None,
    ) -> Gradients:
        """CD-k on flat one-hot ``values`` with mask ``observed``; no validation (``train``'s hot path)."""
        p_h = torch.sigmoid(self._hidden_inputs(values))
        negative, _ = self._gibbs_chain(values, observed, k, generator, p_h=p_h)
        return self._gradients(self._phase(values, p_h), self._phase(negative))

    def _pcd_statistics(
        self,
        values: torch.Tensor,
        chains: torch.Tensor,
        chains_observed: torch.Tensor | None,
        k: int,
        generator: torch.Generator | None,
    ) -> tuple[Gradients, torch.Tensor]:
        """PCD-k on flat one-hot inputs; the gradient and the advanced chains (no validation)."""
        chains, _ = self._gibbs_chain(chains, chains_observed, k, generator)
        return self._gradients(self._phase(values), self._phase(chains)), chains

    # ------------------------------------------------------------------ data-driven initialisation
    def init_visible_bias(self, v: torch.Tensor) -> None:
        """Set visible_bias[i, k] = log p_ik, the smoothed frequency of category k among movie i's ratings.

        p_ik = (count_ik + 1/2) / (count_i + K/2), so that a movie nobody rated
        starts uniform and no log is of zero; for K = 2 this is the binary
        RBM's ``init_visible_bias``. Introduced in notebook 06.
        """
        counts = self._one_hot(self._visible(v)).sum(0).view(self.n_items, self.n_categories)
        p = (counts + 0.5) / (counts.sum(-1, keepdim=True) + 0.5 * self.n_categories)
        self.visible_bias.copy_(torch.log(p))

    # ------------------------------------------------------------------ saving
    def _sizes(self) -> tuple[int, ...]:
        return (self.n_items, self.n_categories, self.n_hidden)


# ---------------------------------------------------------------------- gradient estimates
def cd_gradient(
    model: SoftmaxRBM,
    v: torch.Tensor,
    k: int = 1,
    *,
    generator: torch.Generator | None = None,
) -> Gradients:
    """CD-k estimate of the mean log-likelihood gradient over the rows (users) of ``v``.

    Like ``rbm_helpers.cd_gradient``; the tensors have the parameters'
    shapes, and unrated movies (-1) get exactly zero gradient.
    Introduced in notebook 06 (Softmax units).
    """
    check_positive_int(k, "k")
    values, observed = model._split_missing(model._visible(v))
    return model._cd_statistics(values, observed, k, generator or model.generator)


def pcd_gradient(
    model: SoftmaxRBM,
    v: torch.Tensor,
    chains: torch.Tensor,
    k: int = 1,
    *,
    generator: torch.Generator | None = None,
) -> tuple[Gradients, torch.Tensor]:
    """PCD-k: the data term from ``v``, the model term from ``chains`` (categories) advanced ``k`` steps.

    Returns the gradient and the advanced chains; pass those back next time.
    Unrated movies in ``chains`` stay unrated. Introduced in notebook 06.
    """
    check_positive_int(k, "k")
    values, _ = model._split_missing(model._visible(v))
    chain_values, chain_observed = model._split_missing(model._visible(chains, "chains"))
    gradients, advanced = model._pcd_statistics(values, chain_values, chain_observed, k, generator or model.generator)
    return gradients, model._categories(advanced, chain_observed)
