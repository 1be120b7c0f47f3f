"""The package's RBM as a scikit-learn transformer, for pipelines such as RBM features + logistic regression.

    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from rbm_helpers.sklearn import RBMTransformer

    model = Pipeline([("rbm", RBMTransformer(n_components=100, random_state=0)), ("logistic", LogisticRegression())])
    model.fit(X_train, y_train)          # X: one row per image, grey levels in [0, 1]

``RBMTransformer`` has the interface of scikit-learn's ``BernoulliRBM``
(``fit``, ``partial_fit``, ``transform``, ``score_samples``, ``gibbs``,
``components_``, ...), but is trained by ``rbm_helpers.train`` and its
``score_samples`` is deterministic. Introduced in notebook 07 (an RBM that dreams).
"""
from __future__ import annotations

from numbers import Integral, Real

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from .model import RBM
from .training import train

try:
    from sklearn.utils.validation import validate_data
except ImportError:  # scikit-learn < 1.6 validates through a method of the estimator

    def validate_data(estimator: BaseEstimator, X: object, **options: object) -> np.ndarray:
        return estimator._validate_data(X, **options)


__all__ = ["RBMTransformer"]

METHODS = ("cd", "pcd")
_FLOAT_TYPES = (np.float64, np.float32)
_TORCH_TYPES = {np.dtype(np.float64): torch.float64, np.dtype(np.float32): torch.float32}
_CHUNK_ELEMENTS = 1 << 22
"""How many (row, unit, hidden unit) terms score_samples holds at once: 16-32 MB."""


class RBMTransformer(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """An RBM with binary units as a scikit-learn transformer: X -> p(h = 1 | X), one column per hidden unit.

    Each row of X is read as the probabilities that the visible units are on
    (scikit-learn's ``BernoulliRBM`` reads it so too): grey levels in [0, 1],
    or 0/1 data. Values outside [0, 1] are clipped to it, in every method, so
    any real array is accepted (as scikit-learn requires of a transformer)
    and treated as the nearest valid probabilities. Scale your data to [0, 1]
    first, e.g. with ``MinMaxScaler``.

    ``fit`` trains ``rbm_helpers.RBM`` with ``rbm_helpers.train`` for ``n_iter``
    epochs of mini-batches of ``batch_size`` rows, by CD-k or PCD-k
    (``method``, ``k``), with ``learning_rate``, ``momentum`` and
    ``weight_decay``. The RBM's visible units are binary, so each epoch trains
    on a fresh 0/1 sample of X (each unit on with probability X), drawn from a
    seeded generator: rows that already hold 0/1 are used as they are. The
    defaults (PCD-1, no momentum, no weight decay) are ``BernoulliRBM``'s
    recipe; one difference is that the PCD chains start again from data rows
    each epoch, because each epoch is one call of ``train``.

    ``random_state`` follows scikit-learn's conventions: an int gives the same
    model, features and samples every time; None or a ``RandomState`` draw
    fresh ones. It seeds the initial weights, the 0/1 samples, the shuffling
    and the Gibbs sampling, through integer seeds drawn from
    ``check_random_state(random_state)``. Float64 input gives a float64 model,
    float32 input a float32 one (about twice as fast), other input is
    converted to float64. Sparse matrices are refused: call ``.toarray()``.

    Learned attributes: ``model_`` (the ``RBM``), ``components_`` (weights,
    n_components x n_features), ``intercept_hidden_``, ``intercept_visible_``
    (views of the model's parameters, as in ``BernoulliRBM``),
    ``n_features_in_``, and ``random_state_``.
    Introduced in notebook 07 (an RBM that dreams).
    """

    def __init__(
        self,
        n_components: int = 256,
        *,
        learning_rate: float = 0.1,
        batch_size: int = 10,
        n_iter: int = 10,
        k: int = 1,
        method: str = "pcd",
        momentum: float = 0.0,
        weight_decay: float = 0.0,
        random_state: int | np.random.RandomState | None = None,
    ) -> None:
        self.n_components = n_components
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.n_iter = n_iter
        self.k = k
        self.method = method
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.random_state = random_state

    # ------------------------------------------------------------------ fitting
    def fit(self, X: object, y: object = None) -> "RBMTransformer":
        """Train a new RBM on the rows of X for ``n_iter`` epochs; return self.

        ``y`` is ignored (scikit-learn passes it in pipelines).
        Introduced in notebook 07 (an RBM that dreams).
        """
        self._check_settings()
        X = validate_data(self, X, dtype=_FLOAT_TYPES)
        self._start(X)
        for _ in range(self.n_iter):
            self._train_epoch(X)
        return self

    def partial_fit(self, X: object, y: object = None) -> "RBMTransformer":
        """Train on the rows of X for one epoch (mini-batches of ``batch_size``), creating the RBM on the first call.

        For data that arrive in chunks, or do not fit in memory at once. Each
        call is one call of ``rbm_helpers.train``, so momentum and PCD chains
        start afresh with every chunk. Introduced in notebook 07.
        """
        self._check_settings()
        first = not hasattr(self, "model_")
        X = validate_data(self, X, dtype=_FLOAT_TYPES, reset=first)
        if first:
            self._start(X)
        self._train_epoch(X)
        return self

    def _start(self, X: np.ndarray) -> None:
        """A fresh RNG and a fresh RBM (of the dtype of X), seeded from ``random_state``."""
        self.random_state_ = check_random_state(self.random_state)
        dtype = _TORCH_TYPES[X.dtype]
        self.model_ = RBM(X.shape[1], int(self.n_components), seed=self._next_seed(), dtype=dtype)

    def _train_epoch(self, X: np.ndarray) -> None:
        """One call of ``rbm_helpers.train`` for one epoch, on a fresh seeded 0/1 sample of X."""
        seed = self._next_seed()
        data = torch.bernoulli(self._visible(X), generator=torch.Generator().manual_seed(seed))
        train(
            self.model_,
            data,
            epochs=1,
            batch_size=int(self.batch_size),
            learning_rate=float(self.learning_rate),
            momentum=float(self.momentum),
            weight_decay=float(self.weight_decay),
            k=int(self.k),
            method=self.method,
            seed=seed,
            progress=False,
            monitor=False,
        )

    def _next_seed(self) -> int:
        return int(self.random_state_.randint(np.iinfo(np.int32).max))

    def _check_settings(self) -> None:
        """ValueError naming the first parameter that cannot work (scikit-learn checks at fit, not in __init__)."""
        for name, minimum in (("n_components", 1), ("batch_size", 1), ("n_iter", 0), ("k", 1)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, Integral) or value < minimum:
                raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r}.")
        for name, low, high in (("learning_rate", 0.0, np.inf), ("momentum", 0.0, 1.0), ("weight_decay", 0.0, np.inf)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, Real) or not low <= value < high or (name == "learning_rate" and value == 0):
                bounds = "a number > 0" if name == "learning_rate" else f"a number in [{low:g}, {high:g})"
                raise ValueError(f"{name} must be {bounds}; got {value!r}.")
        if self.method not in METHODS:
            raise ValueError(f'method must be "cd" (contrastive divergence) or "pcd" (persistent chains); got {self.method!r}.')

    # ------------------------------------------------------------------ using the fitted model
    def transform(self, X: object) -> np.ndarray:
        """The hidden units' probabilities p(h_j = 1 | v = X), one row per row of X, one column per hidden unit.

        p(h_j = 1 | v) = sigmoid(intercept_hidden_j + sum_i v_i components_ji),
        computed with X (clipped to [0, 1]) as v: for 0/1 rows exactly the
        model's ``hidden_probabilities``, for grey levels the mean-field value.
        Introduced in notebook 07 (an RBM that dreams).
        """
        v = self._visible(self._checked(X))
        with torch.no_grad():
            return torch.sigmoid(v @ self.model_.weight + self.model_.hidden_bias).numpy()

    def score_samples(self, X: object) -> np.ndarray:
        """The pseudo-log-likelihood of each row: sum over visible units i of log p(v_i | all other units).

        With F the free energy, log p(v_i | v_-i) = log sigmoid(F(v with unit i
        flipped) - F(v)), computed for every unit, so the score is exact and
        deterministic. ``BernoulliRBM.score_samples`` estimates the same sum
        from one randomly chosen unit per row (n_features times that unit's
        term: unbiased, but random unless its ``random_state`` is an int);
        summing all units costs n_features times more. Rows of grey levels are
        scored with the same formula, flipping v_i to 1 - v_i, as
        ``BernoulliRBM`` does. Higher is more typical of the training data.
        Introduced in notebook 07 (an RBM that dreams).
        """
        v = self._visible(self._checked(X))
        rows = max(1, _CHUNK_ELEMENTS // (v.shape[1] * self.model_.n_hidden))
        with torch.no_grad():
            return torch.cat([self._pseudo_log_likelihood(chunk) for chunk in v.split(rows)]).numpy()

    def _pseudo_log_likelihood(self, v: torch.Tensor) -> torch.Tensor:
        weight, visible_bias, hidden_bias = self.model_.weight, self.model_.visible_bias, self.model_.hidden_bias
        field = v @ weight + hidden_bias  # (rows, hidden)
        change = 1 - 2 * v  # what flipping each unit adds to it: (rows, visible)
        flipped_field = field[:, None, :] + change[:, :, None] * weight  # (rows, visible, hidden)
        free_energy_change = -change * visible_bias - (F.softplus(flipped_field) - F.softplus(field)[:, None, :]).sum(-1)
        return F.logsigmoid(free_energy_change).sum(-1)

    def gibbs(self, v: object) -> np.ndarray:
        """One step of block Gibbs sampling v -> h -> v' from each row of ``v``; returns the 0/1 rows v'.

        Rows of probabilities are first sampled to 0/1. Each call draws fresh
        samples from ``random_state_``, so a fitted model with an int
        ``random_state`` gives the same sequence of calls every time.
        Introduced in notebook 07 (an RBM that dreams).
        """
        probabilities = self._visible(self._checked(v))
        generator = torch.Generator().manual_seed(self._next_seed())
        start = torch.bernoulli(probabilities, generator=generator)
        return self.model_.gibbs(start, 1, generator=generator).numpy()

    def _checked(self, X: object) -> np.ndarray:
        check_is_fitted(self)
        return validate_data(self, X, dtype=_FLOAT_TYPES, reset=False)

    def _visible(self, X: np.ndarray) -> torch.Tensor:
        """X clipped to [0, 1], as a new tensor of the model's dtype."""
        return torch.as_tensor(np.clip(X, 0.0, 1.0), dtype=self.model_.dtype)

    # ------------------------------------------------------------------ learned attributes, as BernoulliRBM names them
    @property
    def components_(self) -> np.ndarray:
        """The weights, one row per hidden unit (n_components, n_features): a view of ``model_.weight.T``."""
        check_is_fitted(self)
        return self.model_.weight.detach().numpy().T

    @property
    def intercept_hidden_(self) -> np.ndarray:
        """The hidden units' biases (n_components,): a view of ``model_.hidden_bias``."""
        check_is_fitted(self)
        return self.model_.hidden_bias.detach().numpy()

    @property
    def intercept_visible_(self) -> np.ndarray:
        """The visible units' biases (n_features,): a view of ``model_.visible_bias``."""
        check_is_fitted(self)
        return self.model_.visible_bias.detach().numpy()

    @property
    def _n_features_out(self) -> int:
        """How many features ``transform`` makes (for ``get_feature_names_out``)."""
        return self.model_.n_hidden

    def __sklearn_tags__(self):  # scikit-learn >= 1.6
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

    def _more_tags(self) -> dict:  # scikit-learn < 1.6
        return {"preserves_dtype": [np.float64, np.float32]}
