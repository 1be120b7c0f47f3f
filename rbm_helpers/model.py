"""The restricted Boltzmann machine: one model for every kind of visible unit.

An RBM gives every joint state of its visible units ``v`` and ``n_hidden``
binary hidden units ``h`` the energy

    E(v, h) = base(v) - v . visible_bias - h . hidden_bias - v^T weight h

and the probability p(v, h) = exp(-beta E(v, h)) / Z, at inverse temperature
``beta`` (1 unless said otherwise). ``base(v)`` is 0 for binary and softmax
units and sum_i v_i^2 / 2 for Gaussian ones. Because no two units of the same
layer are connected, each layer is independent given the other; what a
visible unit does given its input is the business of its unit layer
(``rbm_helpers.units``), and everything here is written once for all of them.

Missing values (an unrated movie, marked -1) are *absent* from that row's RBM:
they send nothing to the hidden units, are never sampled, and are never
counted in an error or a gradient -- the convention of Salakhutdinov, Mnih &
Hinton (2007): each user has their own RBM over the movies they rated, all
sharing one set of weights. (A modelling choice, not the marginal of the full
model: notebook 02 shows the difference.)

Parameters are ``torch.nn.Parameter`` s that require no gradient outside
training, so a notebook can set them by hand (``rbm.weight.copy_(...)``);
``with rbm.differentiable():`` switches gradients on, and training
(``rbm_helpers.train``) does so to differentiate the free energy with
autograd and step a ``torch.optim`` optimizer.

Introduced in notebook 01 (the energy) and built step by step in notebook 02;
softmax units in notebook 06, Gaussian units in notebook 07.
"""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, NamedTuple

import torch
from torch import nn

from .device import resolve_device
from .sparse import ObservedPattern
from .units import Bernoulli, Units, bernoulli, check_beta, join_missing, split_missing, units_from_spec
from .validation import check_hidden, check_memory, check_non_negative, check_positive_int

__all__ = ["Gradients", "ObservedPattern", "RBM", "bernoulli", "join_missing", "split_missing"]


class Gradients(NamedTuple):
    """The mean log-likelihood gradient (an ascent direction), one tensor per parameter.

    Introduced in notebook 02 (the CD-k update).
    """

    weight: torch.Tensor
    visible_bias: torch.Tensor
    hidden_bias: torch.Tensor


def _as_units(visible: object) -> Units:
    if isinstance(visible, Units):
        return visible
    if isinstance(visible, bool) or not isinstance(visible, int):
        raise ValueError(
            "visible must be a number of binary units (an int) or a unit layer such as "
            f"rbm_helpers.units.Gaussian(64); got {visible!r}."
        )
    return Bernoulli(check_positive_int(visible, "n_visible"))


class RBM(nn.Module):
    """A restricted Boltzmann machine with the visible units ``visible`` and ``n_hidden`` binary hidden units.

    ``visible`` is an int (that many binary units: ``RBM(6, 4)``) or a unit
    layer (``RBM(Gaussian(64), 32)``, ``RBM(Softmax(20, 5), 8)``). Parameters
    are ``weight`` (visible units [x categories] x n_hidden), ``visible_bias``
    and ``hidden_bias``. ``seed`` fixes the initial weights and the sampling
    generator; ``device`` may be ``"auto"`` (CUDA, then MPS, then CPU).
    Initial weights are drawn from N(0, init_std^2) (the seed article uses
    std 1, which saturates the sigmoids; Hinton's practical guide suggests
    0.01) and biases start at zero. Introduced in notebook 02 (building the RBM).
    """

    gradient_type: type = Gradients
    """The named tuple that gradient estimates of this model come in (one field per parameter)."""

    def __init__(
        self,
        visible: int | Units,
        n_hidden: int,
        *,
        seed: int | None = None,
        device: str | torch.device | None = None,
        dtype: torch.dtype = torch.float32,
        init_std: float = 0.01,
    ) -> None:
        super().__init__()
        self.visible = _as_units(visible)
        self.hidden = Bernoulli(check_positive_int(n_hidden, "n_hidden"))
        check_non_negative(init_std, "init_std")
        if not (isinstance(dtype, torch.dtype) and dtype.is_floating_point):
            raise ValueError(f"dtype must be a floating-point torch dtype such as torch.float32; got {dtype!r}.")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise ValueError(f"seed must be an integer or None; got {seed!r}.")
        self.seed, self.init_std = seed, float(init_std)
        check_memory(
            f"the parameters of an RBM with {self.visible!r} and {self.n_hidden} hidden units",
            (self.visible.size + 1) * (self.n_hidden + 1) * (8 + dtype.itemsize),  # drawn in float64, then cast
        )
        device = resolve_device(device)
        init_generator = torch.Generator().manual_seed(seed) if seed is not None else None
        shape = self.visible.bias_shape + (self.n_hidden,)
        weight = torch.randn(shape, generator=init_generator, dtype=torch.float64) * init_std  # same start in every dtype
        self.weight = nn.Parameter(weight.to(device=device, dtype=dtype), requires_grad=False)
        self.visible_bias = nn.Parameter(torch.zeros(self.visible.bias_shape, device=device, dtype=dtype), requires_grad=False)
        self.hidden_bias = nn.Parameter(torch.zeros(self.n_hidden, device=device, dtype=dtype), requires_grad=False)
        self._generator = torch.Generator(device=device).manual_seed(seed) if seed is not None else None

    # ------------------------------------------------------------------ basics
    @property
    def n_visible(self) -> int:
        """The number of visible units (movies, pixels, spins)."""
        return self.visible.n

    @property
    def n_hidden(self) -> int:
        """The number of hidden units."""
        return self.hidden.n

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
        """The random generator sampling uses (``None``: torch's global one); it follows the model's device."""
        if self._generator is not None and self._generator.device.type != self.device.type:
            self._generator = torch.Generator(device=self.device).manual_seed(self.seed)
        return self._generator

    def extra_repr(self) -> str:
        if type(self.visible) is Bernoulli:
            return f"n_visible={self.n_visible}, n_hidden={self.n_hidden}"
        return f"visible={self.visible!r}, n_hidden={self.n_hidden}"

    # ------------------------------------------------------------------ the public protocol (encoded values)
    def encode(self, v: object, name: str = "v", *, allow_missing: bool = True) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``v`` checked, then encoded on the model's device: (values, observed mask or ``None``).

        Encoded rows have ``visible.width`` columns per unit, zero where a
        unit is missing (see ``rbm_helpers.units``). Introduced in notebook 02.
        """
        checked = self.visible.check(v, name, allow_missing=allow_missing)
        return self.visible.encode(checked.to(self.device), self.dtype)

    def decode(self, values: torch.Tensor, observed: torch.Tensor | None = None) -> torch.Tensor:
        """Encoded rows back to the visible layer's own values (-1 where missing). Introduced in notebook 02."""
        return self.visible.decode(values, observed)

    def coupling(self) -> torch.Tensor:
        """The weights as one (encoded visible columns x n_hidden) matrix, shared by both directions.

        A subclass with tied weights adds its shared part here. Introduced in notebook 02.
        """
        return self.weight.reshape(self.visible.size, self.n_hidden)

    def coupling_parts(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``coupling()`` in two parts: the weight with one row per visible unit, and a part shared by every unit.

        The shared part (slots x n_hidden, added to every unit's weights) is
        None here; tied weights are one. What training from entries needs
        (``rbm_helpers.sparse_rows``): the first part's gradient is row-sparse.
        Introduced with the command line's training at scale (README).
        """
        return self.weight, None

    def check_condition(self, condition: object, values: torch.Tensor) -> torch.Tensor | None:
        """``condition`` checked against encoded ``values``; a conditional model's extra input (none here).

        Introduced in notebook 06 (the conditional softmax RBM).
        """
        if condition is not None:
            raise ValueError(f"condition is only used by a conditional model; a {type(self).__name__} takes none.")
        return None

    def hidden_bias_term(self, values: torch.Tensor | None = None, condition: torch.Tensor | None = None) -> torch.Tensor:
        """The hidden units' input that does not come from the visible units: ``hidden_bias`` here.

        A conditional model adds its extra input (``ConditionalSoftmaxRBM``).
        Introduced in notebook 02 (building the RBM).
        """
        if condition is not None:
            raise ValueError(f"condition is only used by a conditional model; a {type(self).__name__} takes none.")
        return self.hidden_bias

    def hidden_field(
        self,
        values: torch.Tensor,
        *,
        pattern: ObservedPattern | None = None,
        condition: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """The total input of each hidden unit, hidden_bias_j + sum_i v_i weight_ij, for encoded rows.

        With ``pattern`` the product runs over the observed entries only (a
        sparse product). Differentiable in the parameters.
        Introduced in notebook 02 (building the RBM).
        """
        return self._field(values, pattern, self.hidden_bias_term(values, condition))

    def visible_field(self, hidden: torch.Tensor, *, pattern: ObservedPattern | None = None) -> torch.Tensor:
        """The total input of each encoded visible column, visible_bias + weight h, shape (batch, size).

        With ``pattern``, only at the observed entries (a 1-D tensor in
        row-major order; a sampled product that skips the rest).
        Introduced in notebook 02 (building the RBM).
        """
        if pattern is not None:
            return pattern.sampled(self.visible_bias.reshape(-1), hidden, self.coupling())
        return torch.addmm(self.visible_bias.reshape(-1), hidden, self.coupling().T)

    def encoded_free_energy(
        self,
        values: torch.Tensor,
        *,
        beta: float = 1.0,
        pattern: ObservedPattern | None = None,
        condition: torch.Tensor | None = None,
        hidden_field: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """F_beta(v) = beta (base(v) - v . visible_bias) - sum_j softplus(beta x_j) for encoded rows.

        ``hidden_field``, if given, is ``self.hidden_field(values, ...)``
        already computed. Differentiable in the parameters: training's loss.
        Introduced in notebook 01 (free energy) and notebook 02 (the CD loss).
        """
        if hidden_field is None:
            hidden_field = self.hidden_field(values, pattern=pattern, condition=condition)
        visible_term = self.visible.base_energy(values) - values @ self.visible_bias.reshape(-1)
        return beta * visible_term - self.hidden.log_partition(hidden_field, beta)

    def hidden_free_energy(self, hidden: torch.Tensor, *, beta: float = 1.0, condition: torch.Tensor | None = None) -> torch.Tensor:
        """F_beta(h) = -log sum_v exp(-beta E(v, h)), the visible layer summed (or integrated) out.

        Introduced in notebook 01 (a tiny RBM enumerated).
        """
        bias = self.hidden_bias_term(None, condition)
        return -beta * (hidden * bias).sum(-1) - self.visible.log_partition(self.visible_field(hidden), beta)

    @torch.no_grad()
    def gibbs_chain(
        self,
        values: torch.Tensor,
        steps: int,
        *,
        pattern: ObservedPattern | None = None,
        condition: torch.Tensor | None = None,
        beta: float = 1.0,
        generator: torch.Generator | None = None,
        hidden_probabilities: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``steps`` rounds of block Gibbs sampling h ~ p(h|v), v ~ p(v|h) on encoded rows: the hot loop.

        Returns the last visible sample (encoded) and the last hidden sample.
        With ``pattern``, only the observed entries are sampled (a ratings row
        holds a few percent of the movies): the same Markov chain as sampling
        every unit and dropping the missing ones, with far fewer random
        numbers. ``hidden_probabilities``, if given, are p(h | values),
        already computed. Introduced in notebook 02 (Gibbs sampling).
        """
        bias = self.hidden_bias_term(values, condition)
        if hidden_probabilities is None:
            hidden_probabilities = self.hidden.mean(self._field(values, pattern, bias), beta)
        hidden = bernoulli(hidden_probabilities, generator)
        sample = values
        for step in range(steps):
            sample = self.visible.sample(self.visible_field(hidden, pattern=pattern), beta, generator)
            if step + 1 < steps:
                hidden = bernoulli(self.hidden.mean(self._field(sample, pattern, bias), beta), generator)
        if pattern is not None and steps:
            sample = pattern.dense(sample)
        return sample, hidden

    def _field(self, values: torch.Tensor, pattern: ObservedPattern | None, bias: torch.Tensor) -> torch.Tensor:
        if pattern is None:
            return torch.addmm(bias, values, self.coupling())
        return pattern.times(values, self.coupling()) + bias

    def statistics(
        self,
        values: torch.Tensor,
        hidden: torch.Tensor,
        *,
        weights: torch.Tensor | None = None,
        condition: torch.Tensor | None = None,
    ) -> Gradients:
        """The sufficient statistics <v h^T>, <v>, <h> in the parameters' shapes (minus dF/dparameter).

        ``values`` are encoded rows (or their conditional means), ``hidden``
        hidden states or probabilities; the average is the plain mean over
        rows, or weighted by ``weights`` (summing to one). The log-likelihood
        gradient is their difference between data and model.
        Introduced in notebook 02 (the CD-k update).
        """
        if weights is None:
            weights = torch.full((values.shape[0],), 1.0 / values.shape[0], device=values.device, dtype=values.dtype)
        weighted = values * weights[:, None]
        return self.gradient_type(
            (weighted.T @ hidden).view(self.weight.shape),
            (weights @ values).view(self.visible_bias.shape),
            weights @ hidden,
        )

    def trainable_parameters(self) -> dict[str, nn.Parameter]:
        """The parameters training updates, by name (all of them here; a subclass may leave some out)."""
        return dict(self.named_parameters())

    @contextmanager
    def differentiable(self) -> Iterator["RBM"]:
        """Within the block the trainable parameters require grad, so autograd can differentiate, e.g.

            with rbm.differentiable():
                loss = rbm.free_energy(v0).mean() - rbm.free_energy(vk).mean()
                loss.backward()        # rbm.weight.grad is minus the CD update

        Introduced in notebook 02 (the CD-k update as autograd sees it).
        """
        trainable = list(self.trainable_parameters().values())
        before = [p.requires_grad for p in trainable]
        try:
            for parameter in trainable:
                parameter.requires_grad_(True)
            yield self
        finally:
            for parameter, flag in zip(trainable, before):
                parameter.requires_grad_(flag)

    def parameter_groups(self, weight_decay: float = 0.0, learning_rates: dict[str, float] | None = None) -> list[dict]:
        """Parameter groups for a ``torch.optim`` optimizer: weight decay on the weights, none on the biases.

        ``learning_rates`` maps a parameter's name to its own learning rate.
        Introduced in notebook 02 (the CD-k update).
        """
        learning_rates = dict(learning_rates or {})
        groups = []
        for name, parameter in self.trainable_parameters().items():
            group: dict[str, Any] = {"params": [parameter], "name": name, "weight_decay": weight_decay if name in self.decayed_parameters() else 0.0}
            if name in learning_rates:
                group["lr"] = learning_rates.pop(name)
            groups.append(group)
        if learning_rates:
            raise ValueError(f"learning_rates names no parameter of this model: {sorted(learning_rates)}; it has {[g['name'] for g in groups]}.")
        return groups

    def decayed_parameters(self) -> tuple[str, ...]:
        """The names of the parameters that weight decay applies to (the weights, not the biases)."""
        return ("weight",)

    # ------------------------------------------------------------------ energies
    def energy(self, v: torch.Tensor, h: torch.Tensor, *, beta: float = 1.0, condition: torch.Tensor | None = None) -> torch.Tensor:
        """Energy beta E(v, h) = beta (base(v) - v.visible_bias - h.hidden_bias - v^T weight h), one value per row.

        ``v`` and ``h`` are batches of states with the same number of rows;
        missing units (-1) are left out of the row's RBM.
        Introduced in notebook 01 (the energy model).
        """
        beta = check_beta(beta)
        values, _ = self.encode(v)
        h = self._hidden_states(h)
        if values.shape[0] != h.shape[0]:
            raise ValueError(f"v and h must have the same number of rows; got {values.shape[0]} and {h.shape[0]}.")
        field = self.hidden_field(values, condition=self.check_condition(condition, values))
        return beta * (self.visible.base_energy(values) - values @ self.visible_bias.reshape(-1) - (field * h).sum(-1))

    def free_energy(self, v: torch.Tensor, *, beta: float = 1.0, condition: torch.Tensor | None = None) -> torch.Tensor:
        """Free energy F(v) = -log sum_h exp(-beta E(v, h)), one value per row of ``v``.

        Summing out each hidden unit gives, for binary units,
        F(v) = -beta v.visible_bias - sum_j softplus(beta (hidden_bias_j + (v^T weight)_j)).
        Low free energy means the model finds ``v`` likely: p(v) = exp(-F(v)) / Z.
        ``free_energy(v, beta=b)`` is the free energy of the energy b E.
        Missing units (-1) are left out of the row's RBM. Differentiable.
        Introduced in notebook 01 (the energy model).
        """
        beta = check_beta(beta)
        values, observed = self.encode(v)
        condition = self.check_condition(condition, values)
        return self.encoded_free_energy(values, beta=beta, pattern=ObservedPattern.of(observed), condition=condition)

    def _hidden_states(self, h: object, *, probabilities: bool = False) -> torch.Tensor:
        h = check_hidden(h, "h", self.n_hidden, allow_probabilities=probabilities)
        return h.to(device=self.device, dtype=self.dtype)

    # ------------------------------------------------------------------ conditionals
    @torch.no_grad()
    def hidden_probabilities(self, v: torch.Tensor, *, beta: float = 1.0, condition: torch.Tensor | None = None) -> torch.Tensor:
        """p(h_j = 1 | v) = sigmoid(beta (hidden_bias_j + sum_i v_i weight_ij)) for every hidden unit.

        Missing visible units (-1) contribute nothing to the sum.
        Introduced in notebook 02 (building the RBM).
        """
        beta = check_beta(beta)
        values, observed = self.encode(v)
        condition = self.check_condition(condition, values)
        return self.hidden.mean(self.hidden_field(values, pattern=ObservedPattern.of(observed), condition=condition), beta)

    @torch.no_grad()
    def visible_probabilities(self, h: torch.Tensor, *, beta: float = 1.0) -> torch.Tensor:
        """The visible units' conditional distribution given ``h``: p(v_i = 1 | h) for binary units.

        Softmax units give (batch, n, K) category probabilities; Gaussian
        units their means. ``h`` may be a 0/1 sample or hidden probabilities
        (mean-field use). Introduced in notebook 02 (building the RBM).
        """
        beta = check_beta(beta)
        h = self._hidden_states(h, probabilities=True)
        return self.visible.unflatten(self.visible.mean(self.visible_field(h), beta))

    def sample_h(
        self, v: torch.Tensor, generator: torch.Generator | None = None, *, beta: float = 1.0, condition: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Probabilities p(h = 1 | v) and a Bernoulli sample of the hidden layer (the seed's ``sample_h``).

        Introduced in notebook 02 (building the RBM).
        """
        p_h = self.hidden_probabilities(v, beta=beta, condition=condition)
        return p_h, bernoulli(p_h, generator or self.generator)

    @torch.no_grad()
    def sample_v(
        self, h: torch.Tensor, generator: torch.Generator | None = None, *, beta: float = 1.0
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """p(v | h) (as ``visible_probabilities``) and a sample of every visible unit (the seed's ``sample_v``).

        The sample is in the layer's own values (0/1, categories, reals);
        ``gibbs`` puts missing units back. Introduced in notebook 02.
        """
        beta = check_beta(beta)
        h = self._hidden_states(h, probabilities=True)
        field = self.visible_field(h)
        sample = self.visible.sample(field, beta, generator or self.generator)
        return self.visible.unflatten(self.visible.mean(field, beta)), self.visible.decode(sample, None)

    # ------------------------------------------------------------------ sampling
    def gibbs(
        self,
        v: torch.Tensor,
        steps: int = 1,
        *,
        beta: float = 1.0,
        generator: torch.Generator | None = None,
        return_hidden: bool = False,
        condition: torch.Tensor | None = None,
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """Run ``steps`` rounds of block Gibbs sampling v -> h -> v from each row of ``v``.

        Returns the final visible sample (and the last hidden sample if
        ``return_hidden``). Missing units (-1) stay missing: they are not part
        of that row's RBM. Introduced in notebook 02 (Gibbs sampling).
        """
        check_positive_int(steps, "steps", minimum=0)
        beta = check_beta(beta)
        values, observed = self.encode(v)
        condition = self.check_condition(condition, values)
        pattern = ObservedPattern.of(observed)
        values, hidden = self.gibbs_chain(
            values, steps, pattern=pattern, condition=condition, beta=beta, generator=generator or self.generator
        )
        sample = self.decode(values, observed)
        return (sample, hidden) if return_hidden else sample

    @torch.no_grad()
    def reconstruct(self, v: torch.Tensor, *, condition: torch.Tensor | None = None) -> torch.Tensor:
        """Mean-field reconstruction: the visible means given h = p(h | v), for every visible unit.

        For a ratings row this is the model's prediction for every movie,
        the unrated ones included: the basis of recommendations. It is
        deterministic, unlike the seed's one-sample reconstruction.
        Introduced in notebook 03 (training on MovieLens).
        """
        values, observed = self.encode(v)
        condition = self.check_condition(condition, values)
        p_h = self.hidden.mean(self.hidden_field(values, pattern=ObservedPattern.of(observed), condition=condition))
        return self.visible.unflatten(self.visible.mean(self.visible_field(p_h)))

    # ------------------------------------------------------------------ data-driven initialisation
    @torch.no_grad()
    def init_visible_bias(self, v: torch.Tensor) -> None:
        """Set the visible biases from the data: each unit's base rate (log-odds, log-frequencies or mean).

        Hinton's practical guide: with this start the hidden units need not
        learn each unit's base rate first. Introduced in notebook 03.
        """
        values, observed = self.encode(v)
        self.visible_bias.copy_(self.visible.initial_bias(values, observed).view(self.visible_bias.shape))

    # ------------------------------------------------------------------ saving
    def constructor_arguments(self) -> dict:
        """What ``load`` needs to rebuild this model (plain data): the layer sizes and options."""
        return {"visible": {"type": type(self.visible).__name__, **self.visible.spec()}, "n_hidden": self.n_hidden}

    @classmethod
    def from_arguments(cls, arguments: dict, **common: Any) -> "RBM":
        """The model ``constructor_arguments`` describes, with ``seed``, ``dtype``, ... in ``common``."""
        spec = dict(arguments["visible"])
        return cls(units_from_spec(spec.pop("type"), spec), arguments["n_hidden"], **common)

    def save(self, path: str | Path) -> Path:
        """Save the sizes, parameters and sampling state to ``path`` (a ``torch.save`` file).

        ``load(path)`` on the same class gives back a model with bit-identical
        parameters that continues with the same random numbers. The file is
        written to a temporary file in the same folder, flushed to disk and
        renamed, so a crash never leaves half a model and a failure leaves
        nothing behind. Introduced in notebook 03 (training on MovieLens).
        """
        from .checkpoints import save_model  # one home for the file format

        return save_model(self, path)

    @classmethod
    def load(cls, path: str | Path, *, device: str | torch.device | None = None) -> "RBM":
        """Load a model saved with ``save`` by this class. Introduced in notebook 03."""
        from .checkpoints import load_model

        return load_model(cls, path, device=device)
