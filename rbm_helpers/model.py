"""The Bernoulli-Bernoulli restricted Boltzmann machine.

An RBM gives every joint state of ``n_visible`` visible units ``v`` and
``n_hidden`` hidden units ``h`` (all 0 or 1) the energy

    E(v, h) = -v . visible_bias - h . hidden_bias - v^T weight h

and the probability p(v, h) = exp(-E(v, h)) / Z. Because no two units of the
same layer are connected, each layer is independent given the other, with
sigmoid conditionals; that is what makes block Gibbs sampling cheap.

Missing values (an unrated movie, marked -1 as in the seed article) are
*absent* from that row's RBM: they send nothing to the hidden units, are left
at -1 by sampling, and are never counted in an error or a gradient. This is
the convention of Salakhutdinov, Mnih & Hinton (2007): each user has their own
RBM over the movies they rated, all sharing one set of weights. (It is a
modelling choice, not the marginal of the full model: notebook 02 shows the
difference.)

Introduced in notebook 01 (the energy) and built step by step in notebook 02.
"""
from __future__ import annotations

import warnings
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from .device import resolve_device
from .validation import MISSING, check_non_negative, check_positive_int, check_units

_FORMAT = "rbm_helpers.RBM/1"


def split_missing(v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Split ``v`` into values with missing units set to 0, and the observed mask.

    The mask is ``None`` when nothing is missing, so the common case costs nothing.
    Introduced in notebook 02 (why -1 must not leak into p(h|v)).
    """
    observed = v != MISSING
    if bool(observed.all()):
        return v, None
    return v * observed, observed.to(v.dtype)


def join_missing(v: torch.Tensor, observed: torch.Tensor | None) -> torch.Tensor:
    """Put -1 back where a unit is missing (the inverse of ``split_missing``).

    Introduced in notebook 02 (building the RBM).
    """
    if observed is None:
        return v
    return torch.where(observed.bool(), v, torch.full_like(v, MISSING))


class ObservedPattern:
    """Where the observed units of a batch are: the sparsity pattern of a ratings batch.

    A user rates a few percent of the movies, so products with a batch of
    ratings rows are far cheaper as sparse (CSR) products over the observed
    entries alone. ``present`` holds their flat (row-major) positions.
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
    def of(cls, observed: torch.Tensor) -> "ObservedPattern":
        """The pattern of a 0/1 (or bool) mask of observed units."""
        return cls(observed)

    def entries(self, values: torch.Tensor) -> torch.Tensor:
        """The observed entries of zero-filled rows, in row-major order (or ``values`` if already so)."""
        return values if values.dim() == 1 else values.reshape(-1).take(self.present)

    def dense(self, entries: torch.Tensor) -> torch.Tensor:
        """Zero-filled rows holding ``entries`` at the observed positions."""
        out = torch.zeros(self.shape[0] * self.shape[1], device=entries.device, dtype=entries.dtype)
        return out.index_copy_(0, self.present, entries).view(self.shape)

    def times(self, values: torch.Tensor, matrix: torch.Tensor) -> torch.Tensor:
        """rows @ matrix, with the rows given zero-filled or as their observed entries."""
        entries = self.entries(values)
        if not self.sparse:
            return self.dense(entries) @ matrix
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")
            rows = torch.sparse_csr_tensor(
                self.row_starts, self.columns, entries, size=self.shape, check_invariants=False
            )
            return rows @ matrix


def bernoulli(p: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """A 0/1 sample of the same shape as ``p``, each entry 1 with probability ``p``.

    Drawn as ``uniform < p`` in place: several times faster on the CPU than
    ``torch.bernoulli``, which the seed article uses.
    Introduced in notebook 02 (building the RBM).
    """
    return torch.rand(p.shape, generator=generator, device=p.device, dtype=p.dtype).lt_(p)


class SeededModule(nn.Module):
    """What every model of the series shares: a ``weight`` parameter and a seeded sampling generator.

    ``device`` and ``dtype`` are those of ``weight``; ``generator`` is seeded
    from ``seed`` (``None``: torch's global generator) and follows the model
    to another device. Introduced in notebook 02 (building the RBM).
    """

    weight: nn.Parameter
    seed: int | None
    init_std: float
    _generator: torch.Generator | None
    _format: str  # the marker that save writes and load checks

    def _set_up(
        self,
        weight_shape: tuple[int, ...],
        visible_shape: tuple[int, ...],
        n_hidden: int,
        *,
        seed: int | None,
        device: str | torch.device | None,
        dtype: torch.dtype,
        init_std: float,
    ) -> None:
        """Check the common arguments, then make the parameters and the sampling generator.

        ``weight`` is drawn from N(0, init_std^2) (in float64, then cast, so the
        same seed gives the same start in every dtype); the biases start at zero.
        """
        check_non_negative(init_std, "init_std")
        if not (isinstance(dtype, torch.dtype) and dtype.is_floating_point):
            raise ValueError(f"dtype must be a floating-point torch dtype such as torch.float32; got {dtype!r}.")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise ValueError(f"seed must be an integer or None; got {seed!r}.")
        self.init_std = float(init_std)
        device = resolve_device(device)
        init_generator = torch.Generator().manual_seed(seed) if seed is not None else None
        weight = torch.randn(weight_shape, generator=init_generator, dtype=torch.float64) * init_std
        self.weight = nn.Parameter(weight.to(device=device, dtype=dtype), requires_grad=False)
        self.visible_bias = nn.Parameter(torch.zeros(visible_shape, device=device, dtype=dtype), requires_grad=False)
        self.hidden_bias = nn.Parameter(torch.zeros(n_hidden, device=device, dtype=dtype), requires_grad=False)
        self.seed = seed
        self._generator = torch.Generator(device=device).manual_seed(seed) if seed is not None else None

    @property
    def device(self) -> torch.device:
        """The device the parameters live on."""
        return self.weight.device

    @property
    def dtype(self) -> torch.dtype:
        """The floating-point type of the parameters."""
        return self.weight.dtype

    @property
    def generator(self) -> torch.Generator | None:
        """The random generator sampling uses (``None``: torch's global one)."""
        if self._generator is not None and self._generator.device.type != self.device.type:
            self._generator = torch.Generator(device=self.device).manual_seed(self.seed)
        return self._generator

    # ------------------------------------------------------------------ saving
    def _sizes(self) -> tuple[int, ...]:
        """The constructor's positional arguments (the layer sizes)."""
        raise NotImplementedError

    def _options(self) -> dict:
        """Constructor arguments beyond the sizes that ``save`` must record (a subclass adds its own)."""
        return {}

    def save(self, path: str | Path) -> Path:
        """Save the sizes, parameters and sampling state to ``path`` (a ``torch.save`` file).

        ``load(path)`` on the same class gives back a model with bit-identical
        parameters that continues with the same random numbers. The file is
        written under a temporary name and renamed, so a crash never leaves
        half a model. Introduced in notebook 03 (training on MovieLens).
        """
        path = Path(path)
        state = {
            "format": self._format,
            "sizes": list(self._sizes()),
            "options": self._options(),
            "seed": self.seed,
            "init_std": self.init_std,
            "dtype": str(self.dtype).removeprefix("torch."),
            "parameters": {name: p.detach().cpu() for name, p in self.named_parameters()},
        }
        if self._generator is not None:
            state["generator_state"] = self._generator.get_state().cpu()
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".partial")
        torch.save(state, tmp)
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, path: str | Path, *, device: str | torch.device | None = None):
        """Load a model saved with ``save`` by this class. Introduced in notebook 03."""
        path = Path(path)
        name = cls.__name__
        if not path.is_file():
            raise FileNotFoundError(f"No saved {name} at {path}; save one first with model.save({str(path)!r}).")
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as error:  # torch raises several types for a corrupt file
            raise ValueError(f"{path} is not a file written by {name}.save ({error.__class__.__name__}).") from error
        if not isinstance(state, dict) or state.get("format") != cls._format:
            raise ValueError(f"{path} is not a file written by {name}.save (no '{cls._format}' marker).")
        model = cls(
            *state["sizes"],
            seed=state["seed"],
            device=device,
            dtype=getattr(torch, state["dtype"]),
            init_std=state["init_std"],
            **state["options"],
        )
        for parameter, value in state["parameters"].items():
            getattr(model, parameter).copy_(value)
        if "generator_state" in state and model.device.type == "cpu":
            model._generator.set_state(state["generator_state"])
        return model


class RBM(SeededModule):
    """A restricted Boltzmann machine with binary visible and hidden units.

    Parameters are ``weight`` (n_visible x n_hidden), ``visible_bias`` and
    ``hidden_bias``; they are updated by contrastive divergence (see
    ``rbm_helpers.training``), not by autograd, so they do not require grad.
    ``seed`` fixes the initial weights and the sampling generator; ``device``
    may be ``"auto"`` (CUDA, then MPS, then CPU). Initial weights are drawn from
    N(0, init_std^2) (the seed article uses std 1, which saturates the sigmoids;
    Hinton's practical guide suggests 0.01) and biases start at zero.
    Introduced in notebook 02 (building the RBM).
    """

    _format = _FORMAT

    def __init__(
        self,
        n_visible: int,
        n_hidden: int,
        *,
        seed: int | None = None,
        device: str | torch.device | None = None,
        dtype: torch.dtype = torch.float32,
        init_std: float = 0.01,
    ) -> None:
        super().__init__()
        check_positive_int(n_visible, "n_visible")
        check_positive_int(n_hidden, "n_hidden")
        self.n_visible = n_visible
        self.n_hidden = n_hidden
        self._set_up((n_visible, n_hidden), (n_visible,), n_hidden, seed=seed, device=device, dtype=dtype, init_std=init_std)

    # ------------------------------------------------------------------ basics
    def extra_repr(self) -> str:
        return f"n_visible={self.n_visible}, n_hidden={self.n_hidden}"

    def _visible(self, v: torch.Tensor, name: str = "v", *, allow_missing: bool = True) -> torch.Tensor:
        v = check_units(v, name, self.n_visible, allow_missing=allow_missing, layer="visible")
        return v.to(device=self.device, dtype=self.dtype)

    def _hidden(self, h: torch.Tensor, name: str = "h") -> torch.Tensor:
        h = check_units(h, name, self.n_hidden, layer="hidden")
        return h.to(device=self.device, dtype=self.dtype)

    # ------------------------------------------------------------------ energies
    def energy(self, v: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        """Energy E(v, h) = -v.visible_bias - h.hidden_bias - v^T weight h, one value per row.

        ``v`` and ``h`` are batches of 0/1 states with the same number of rows.
        Introduced in notebook 01 (the energy model).
        """
        v = self._visible(v, allow_missing=False)
        h = self._hidden(h)
        if v.shape[0] != h.shape[0]:
            raise ValueError(f"v and h must have the same number of rows; got {v.shape[0]} and {h.shape[0]}.")
        return -(v @ self.visible_bias) - (h @ self.hidden_bias) - ((v @ self.weight) * h).sum(-1)

    def free_energy(self, v: torch.Tensor) -> torch.Tensor:
        """Free energy F(v) = -log sum_h exp(-E(v, h)), one value per row of ``v``.

        Summing out each hidden unit gives
        F(v) = -v.visible_bias - sum_j softplus(hidden_bias_j + (v^T weight)_j).
        Low free energy means the model finds ``v`` likely: p(v) = exp(-F(v)) / Z.
        Missing units (-1) are left out of the row's RBM.
        Introduced in notebook 01 (the energy model).
        """
        values, _ = split_missing(self._visible(v))
        return self._free_energy(values)

    def _free_energy(self, values: torch.Tensor) -> torch.Tensor:
        return -(values @ self.visible_bias) - F.softplus(values @ self.weight + self.hidden_bias).sum(-1)

    # ------------------------------------------------------------------ conditionals
    def hidden_probabilities(self, v: torch.Tensor) -> torch.Tensor:
        """p(h_j = 1 | v) = sigmoid(hidden_bias_j + sum_i v_i weight_ij) for every hidden unit.

        Missing visible units (-1) contribute nothing to the sum.
        Introduced in notebook 02 (building the RBM).
        """
        values, _ = split_missing(self._visible(v))
        return torch.sigmoid(values @ self.weight + self.hidden_bias)

    def visible_probabilities(self, h: torch.Tensor) -> torch.Tensor:
        """p(v_i = 1 | h) = sigmoid(visible_bias_i + sum_j weight_ij h_j) for every visible unit.

        ``h`` may be a 0/1 sample or hidden probabilities (for mean-field use).
        Introduced in notebook 02 (building the RBM).
        """
        h = self._hidden_or_probabilities(h)
        return torch.sigmoid(h @ self.weight.T + self.visible_bias)

    def _hidden_or_probabilities(self, h: torch.Tensor) -> torch.Tensor:
        if isinstance(h, torch.Tensor) and h.is_floating_point() and h.dim() in (1, 2):
            h2 = h.unsqueeze(0) if h.dim() == 1 else h
            if h2.shape[-1] == self.n_hidden and h2.shape[0] > 0 and not torch.isnan(h2).any():
                if bool(((h2 >= 0) & (h2 <= 1)).all()):
                    return h2.to(device=self.device, dtype=self.dtype)
                raise ValueError(
                    f"h must hold hidden states or probabilities in [0, 1]; got values in "
                    f"[{h2.min().item():g}, {h2.max().item():g}]."
                )
        return self._hidden(h)

    def sample_h(self, v: torch.Tensor, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Probabilities p(h = 1 | v) and a Bernoulli sample of the hidden layer (the seed's ``sample_h``).

        Introduced in notebook 02 (building the RBM).
        """
        p_h = self.hidden_probabilities(v)
        return p_h, bernoulli(p_h, generator or self.generator)

    def sample_v(self, h: torch.Tensor, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Probabilities p(v = 1 | h) and a Bernoulli sample of the visible layer (the seed's ``sample_v``).

        The sample has every visible unit; ``gibbs`` puts missing units back.
        Introduced in notebook 02 (building the RBM).
        """
        p_v = self.visible_probabilities(h)
        return p_v, bernoulli(p_v, generator or self.generator)

    # ------------------------------------------------------------------ sampling
    def gibbs(
        self,
        v: torch.Tensor,
        steps: int = 1,
        *,
        generator: torch.Generator | None = None,
        return_hidden: bool = False,
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """Run ``steps`` rounds of block Gibbs sampling v -> h -> v from each row of ``v``.

        Returns the final visible sample (and the last hidden sample if
        ``return_hidden``). Missing units (-1) stay missing: they are not part
        of that row's RBM. Introduced in notebook 02 (Gibbs sampling).
        """
        v = self._visible(v)
        check_positive_int(steps, "steps", minimum=0)
        values, observed = split_missing(v)
        generator = generator or self.generator
        values, hidden = self._gibbs_chain(values, observed, steps, generator)
        values = join_missing(values, observed)
        return (values, hidden) if return_hidden else values

    def _gibbs_chain(
        self,
        values: torch.Tensor,
        observed: torch.Tensor | None,
        steps: int,
        generator: torch.Generator | None,
        hidden_probabilities: torch.Tensor | None = None,
        pattern: "ObservedPattern | None" = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Block Gibbs on validated, zero-filled values; the hot loop of training.

        With missing units, only the observed ones are sampled (a ratings row
        holds a few percent of the movies): the same Markov chain as sampling
        every unit and zeroing the missing ones, with far fewer random numbers,
        and the hidden layer's input is a sparse product over those units.
        ``hidden_probabilities``, if given, are p(h | values), already computed;
        ``pattern``, if given, is ``ObservedPattern.of(observed)``.
        """
        if observed is not None and pattern is None:
            pattern = ObservedPattern.of(observed)
        if hidden_probabilities is None:
            hidden_probabilities = self._hidden_probabilities(values, pattern)
        hidden = bernoulli(hidden_probabilities, generator)
        sample = values
        for step in range(steps):
            activation = torch.addmm(self.visible_bias, hidden, self.weight.T)
            if pattern is None:
                sample = bernoulli(activation.sigmoid_(), generator)
            else:
                sample = bernoulli(activation.reshape(-1).take(pattern.present).sigmoid_(), generator)
            if step + 1 < steps:
                hidden = bernoulli(self._hidden_probabilities(sample, pattern), generator)
        return (pattern.dense(sample) if pattern is not None and steps else sample), hidden

    def _hidden_probabilities(self, values: torch.Tensor, pattern: "ObservedPattern | None" = None) -> torch.Tensor:
        """p(h | v) from zero-filled rows, or from the observed entries alone given their ``pattern``.

        ``values`` may be a batch of rows, or (with a pattern) the observed
        entries in row-major order. No validation: used in the training loop.
        """
        if pattern is None:
            return torch.sigmoid(torch.addmm(self.hidden_bias, values, self.weight))
        return pattern.times(values, self.weight).add_(self.hidden_bias).sigmoid_()

    def reconstruct(self, v: torch.Tensor) -> torch.Tensor:
        """Mean-field reconstruction p(v = 1 | h = p(h | v)) for every visible unit.

        For a ratings row this is the model's prediction for every movie,
        the unrated ones included: the basis of recommendations. It is
        deterministic, unlike the seed's one-sample reconstruction.
        Introduced in notebook 03 (training on MovieLens).
        """
        values, _ = split_missing(self._visible(v))
        return self._reconstruct(values)

    def _reconstruct(self, values: torch.Tensor) -> torch.Tensor:
        """``reconstruct`` on validated, zero-filled rows (for monitors in the training loop)."""
        p_h = torch.sigmoid(values @ self.weight + self.hidden_bias)
        return torch.sigmoid(p_h @ self.weight.T + self.visible_bias)

    # ------------------------------------------------------------------ data-driven initialisation
    def init_visible_bias(self, v: torch.Tensor, *, eps: float = 1e-3) -> None:
        """Set visible_bias_i = log(p_i / (1 - p_i)), with p_i the fraction of 1s among observed v_i.

        Hinton's practical guide: with this start the hidden units need not
        learn each unit's base rate first. Introduced in notebook 03.
        """
        values, observed = split_missing(self._visible(v))
        counts = observed.sum(0) if observed is not None else torch.full_like(self.visible_bias, values.shape[0])
        p = (values.sum(0) + 0.5) / (counts + 1.0)  # add-half smoothing: never log(0)
        p = p.clamp(eps, 1 - eps)
        self.visible_bias.copy_(torch.log(p) - torch.log1p(-p))

    # ------------------------------------------------------------------ saving (save and load: SeededModule)
    def _sizes(self) -> tuple[int, ...]:
        return (self.n_visible, self.n_hidden)

