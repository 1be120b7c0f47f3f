"""Plots and one widget for the notebooks: each helper draws one figure and returns it.

Every helper takes plain tensors (or an ``RBM``) and an optional matplotlib
``Axes``, so a notebook cell stays one line long and ends with ``plt.show()``.
Later notebooks add their helpers at the end of this file.
Introduced in notebook 01 (the energy model) and notebook 02 (building the RBM).
"""
from __future__ import annotations

import io
import math
from typing import Callable, Mapping, Sequence

import matplotlib.pyplot as plt
import pandas as pd
import torch
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from . import exact
from .model import RBM

CHANGED_COLOR = "C0"
REFERENCE_COLOR = "0.35"
PARAMETER_NAMES = ("weight", "visible_bias", "hidden_bias")


# ---------------------------------------------------------------------------- small helpers
def state_labels(states: torch.Tensor) -> list[str]:
    """One label per row of 0/1 ``states``, e.g. ``"0110"``, in the rows' order.

    Introduced in notebook 01 (a tiny RBM enumerated).
    """
    return ["".join(str(int(unit)) for unit in row) for row in states.tolist()]


def at_temperature(rbm: RBM, temperature: float) -> RBM:
    """A copy of ``rbm`` whose joint distribution is p_T(v, h) proportional to exp(-E(v, h) / T).

    The energy is linear in the parameters, so dividing it by T is the same as
    dividing every parameter by T: the copy is an ordinary RBM, and everything
    in ``rbm_helpers.exact`` works on it. T = 1 gives back the same model.
    Introduced in notebook 01 (temperature).
    """
    if not (isinstance(temperature, (int, float)) and math.isfinite(temperature) and temperature > 0):
        raise ValueError(f"temperature must be a finite number > 0; got {temperature!r}.")
    copy = _copy(rbm)
    with torch.no_grad():
        for name in PARAMETER_NAMES:
            getattr(copy, name).div_(temperature)
    return copy


def with_parameter(rbm: RBM, name: str, index: int | tuple[int, int], value: float) -> RBM:
    """A copy of ``rbm`` with one parameter entry set to ``value``; ``rbm`` is left as it is.

    ``name`` is ``"weight"``, ``"visible_bias"`` or ``"hidden_bias"``; ``index``
    is ``(i, j)`` for the weight, ``i`` for a bias, e.g.
    ``with_parameter(rbm, "weight", (0, 0), 4.0)``.
    Introduced in notebook 01 (how parameters reshape p(v)).
    """
    if name not in PARAMETER_NAMES:
        raise ValueError(f"name must be one of {PARAMETER_NAMES}; got {name!r}.")
    copy = _copy(rbm)
    with torch.no_grad():
        getattr(copy, name)[index] = value
    return copy


def _copy(rbm: RBM) -> RBM:
    copy = RBM(rbm.n_visible, rbm.n_hidden, dtype=rbm.dtype, device=rbm.device)
    with torch.no_grad():
        for name in PARAMETER_NAMES:
            getattr(copy, name).copy_(getattr(rbm, name))
    return copy


def _new_axes(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    return ax if ax is not None else plt.subplots(figsize=figsize)[1]


# ---------------------------------------------------------------------------- notebook 01
def plot_distribution(
    probabilities: torch.Tensor,
    states: torch.Tensor | None = None,
    *,
    reference: torch.Tensor | None = None,
    ax: Axes | None = None,
    title: str | None = None,
    label: str = "p(v)",
    reference_label: str = "before",
) -> Axes:
    """Bar plot of p(v), one bar per visible state; ``reference`` (optional) drawn as outlines.

    ``states`` defaults to every state in the order of ``exact.all_states``.
    Introduced in notebook 01 (a tiny RBM enumerated).
    """
    probabilities = torch.as_tensor(probabilities).detach().cpu().double()
    if states is None:
        states = exact.all_states(int(math.log2(len(probabilities))))
    ax = _new_axes(ax, (7, 2.8))
    positions = range(len(probabilities))
    ax.bar(positions, probabilities.numpy(), color=CHANGED_COLOR, label=label)
    if reference is not None:
        reference = torch.as_tensor(reference).detach().cpu().double()
        ax.bar(positions, reference.numpy(), fill=False, edgecolor=REFERENCE_COLOR, linewidth=1.2,
               label=reference_label)
        ax.legend(loc="best", fontsize="small", frameon=False)
    ax.set_xticks(list(positions), state_labels(states), rotation=90, family="monospace", fontsize="small")
    ax.set_xlabel("visible state v")
    ax.set_ylabel("probability")
    if title:
        ax.set_title(title)
    return ax


def plot_changes(rbm: RBM, changes: Sequence[tuple[str, RBM]], *, ncols: int = 3) -> Figure:
    """One panel per ``(title, changed_rbm)``: the changed model's p(v) over ``rbm``'s p(v) (outlines).

    The static companion of ``distribution_explorer``: same drawing, fixed settings.
    Introduced in notebook 01 (how parameters reshape p(v)).
    """
    states, before = exact.visible_distribution(rbm)
    nrows = math.ceil(len(changes) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.2 * ncols, 3.0 * nrows), sharey=True, squeeze=False)
    for ax, (title, changed) in zip(axes.flat, changes):
        _, after = exact.visible_distribution(changed)
        plot_distribution(after, states, reference=before, ax=ax, title=title, label="after")
    for ax in axes.flat[len(changes):]:
        ax.set_visible(False)
    fig.tight_layout()
    return fig


EXPLORER_TEXT = (
    "Interactive p(v) explorer (needs a running kernel: JupyterLab, Colab or Binder); "
    "the static figure above shows the same plot."
)


def _png(draw: Callable[[Axes], None], figsize: tuple[float, float]) -> bytes:
    """Draw on a figure outside pyplot (so nothing is shown inline) and return it as PNG bytes."""
    fig = Figure(figsize=figsize)
    FigureCanvasAgg(fig)
    draw(fig.add_subplot())
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90)
    return buffer.getvalue()


def _parameter_options(rbm: RBM) -> dict[str, tuple[str, int | tuple[int, int]]]:
    options: dict[str, tuple[str, int | tuple[int, int]]] = {}
    for i in range(rbm.n_visible):
        for j in range(rbm.n_hidden):
            options[f"weight[{i}, {j}]"] = ("weight", (i, j))
    for i in range(rbm.n_visible):
        options[f"visible_bias[{i}]"] = ("visible_bias", i)
    for j in range(rbm.n_hidden):
        options[f"hidden_bias[{j}]"] = ("hidden_bias", j)
    return options


def distribution_explorer(rbm: RBM, *, limit: float = 6.0) -> "ipywidgets.VBox":  # noqa: F821 (imported lazily)
    """A widget: pick one parameter of ``rbm``, move it and the temperature, and watch p(v) change.

    The bars are the changed model's p(v), the outlines ``rbm``'s own. The
    plot is an image inside the widget, so executing the notebook adds no
    plot output to the cell (nbval compares only the widget's fixed text);
    show a static ``plot_changes`` figure next to it for readers without a
    kernel. Needs ``ipywidgets``. Introduced in notebook 01.
    """
    import ipywidgets as widgets

    class ExplorerBox(widgets.VBox):
        """A VBox whose plain-text form is a fixed sentence (the default repr would hold PNG bytes)."""

        def _repr_mimebundle_(self, **kwargs):
            bundle = super()._repr_mimebundle_(**kwargs)
            if bundle is not None:
                bundle["text/plain"] = EXPLORER_TEXT
            return bundle

    states, before = exact.visible_distribution(rbm)
    options = _parameter_options(rbm)
    which = widgets.Dropdown(options=list(options), value=next(iter(options)), description="parameter")
    value = widgets.FloatSlider(min=-limit, max=limit, step=0.1, description="value", continuous_update=False)
    temperature = widgets.FloatSlider(value=1.0, min=0.25, max=4.0, step=0.05, description="temperature",
                                      continuous_update=False)
    reset = widgets.Button(description="reset")
    image = widgets.Image(format="png")

    def current_value() -> float:
        name, index = options[which.value]
        return float(getattr(rbm, name)[index])

    def redraw(*_) -> None:
        name, index = options[which.value]
        changed = at_temperature(with_parameter(rbm, name, index, value.value), temperature.value)
        _, after = exact.visible_distribution(changed)
        title = f"{which.value} = {value.value:.1f}, T = {temperature.value:.2f}"
        image.value = _png(
            lambda ax: plot_distribution(after, states, reference=before, ax=ax, title=title, label="after"),
            figsize=(7, 3),
        )

    def pick(_=None) -> None:
        value.value = current_value()
        redraw()

    def restore(_=None) -> None:
        temperature.value = 1.0
        pick()

    value.value = current_value()
    which.observe(pick, names="value")
    value.observe(redraw, names="value")
    temperature.observe(redraw, names="value")
    reset.on_click(restore)
    redraw()
    controls = widgets.HBox([which, reset])
    return ExplorerBox([controls, value, temperature, image])


# ---------------------------------------------------------------------------- notebook 02
def plot_sample_frequencies(
    probabilities: torch.Tensor,
    counts: torch.Tensor,
    states: torch.Tensor | None = None,
    *,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Exact p(v) as bars, sample frequencies as dots with +-2 standard-error bars.

    ``counts`` holds how often each state was sampled (same order as
    ``probabilities``); the error bars are sqrt(p (1 - p) / n) from the exact p,
    so about 19 dots in 20 should touch their bar's top.
    Introduced in notebook 02 (Gibbs sampling against exact p(v)).
    """
    probabilities = torch.as_tensor(probabilities).detach().cpu().double()
    counts = torch.as_tensor(counts).detach().cpu().double()
    n = counts.sum()
    ax = plot_distribution(probabilities, states, ax=ax, title=title, label="exact p(v)")
    error = 2 * torch.sqrt(probabilities * (1 - probabilities) / n)
    ax.errorbar(range(len(counts)), (counts / n).numpy(), yerr=error.numpy(), fmt="o", color="C1",
                markersize=4, capsize=2, label=f"frequency in {int(n):,} samples (±2 s.e.)")
    ax.legend(loc="upper right", fontsize="small", frameon=False)
    return ax


def plot_patterns(
    rows: torch.Tensor,
    shape: tuple[int, int],
    *,
    ncols: int = 7,
    titles: Sequence[str] | None = None,
    size: float = 0.9,
) -> Figure:
    """Each row of 0/1 (or probability) values drawn as a small black-and-white image of ``shape``.

    Introduced in notebook 02 (bars and stripes).
    """
    rows = torch.as_tensor(rows).detach().cpu().double()
    nrows = math.ceil(len(rows) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows * 1.1), squeeze=False)
    for index, ax in enumerate(axes.flat):
        if index >= len(rows):
            ax.set_visible(False)
            continue
        ax.imshow(rows[index].reshape(shape).numpy(), cmap="gray_r", vmin=0, vmax=1)
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_color("0.6")
        if titles is not None:
            ax.set_title(titles[index], fontsize="small")
    fig.tight_layout()
    return fig


def plot_cd_bias(
    exact_gradient: torch.Tensor,
    estimates: Mapping[int, torch.Tensor],
    standard_errors: Mapping[int, torch.Tensor] | None = None,
) -> Figure:
    """CD-k against the exact gradient: every entry (left) and the relative size of the bias (right).

    ``exact_gradient`` is a flat tensor of gradient entries; ``estimates[k]``
    the mean CD-k estimate of the same entries (and ``standard_errors[k]`` its
    standard errors). On the left, an unbiased estimate lies on the diagonal;
    on the right, the bias is ||mean CD-k - exact|| / ||exact||.
    Introduced in notebook 02 (CD-k against the exact gradient).
    """
    exact_gradient = torch.as_tensor(exact_gradient).detach().cpu().double()
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    low, high = float(exact_gradient.min()), float(exact_gradient.max())
    margin = 0.1 * (high - low)
    left.plot([low - margin, high + margin], [low - margin, high + margin], color="0.6", linewidth=1,
              label="unbiased (y = x)")
    ks = sorted(estimates)
    biases = []
    for colour, k in enumerate(ks):
        estimate = torch.as_tensor(estimates[k]).detach().cpu().double()
        error = None if standard_errors is None else 2 * torch.as_tensor(standard_errors[k]).cpu().double().numpy()
        left.errorbar(exact_gradient.numpy(), estimate.numpy(), yerr=error, fmt="o", markersize=4,
                      color=f"C{colour}", label=f"CD-{k}")
        biases.append(float((estimate - exact_gradient).norm() / exact_gradient.norm()))
    left.set_xlabel("exact gradient entry")
    left.set_ylabel("mean CD-k estimate")
    left.set_title("each gradient entry")
    left.legend(fontsize="small", frameon=False)
    right.bar([str(k) for k in ks], biases, color=[f"C{i}" for i in range(len(ks))])
    right.set_xlabel("k (Gibbs steps)")
    right.set_ylabel("relative bias")
    right.set_title("||mean CD-k - exact|| / ||exact||")
    fig.tight_layout()
    return fig


def plot_log_likelihood(
    history: pd.DataFrame,
    column: str = "log_likelihood",
    *,
    best: float | None = None,
    uniform: float | None = None,
    ax: Axes | None = None,
    title: str | None = None,
    label: str = "model",
) -> Axes:
    """The exact mean log-likelihood per epoch, with optional reference lines.

    ``best`` is the highest value any model can reach (the data's own
    distribution), ``uniform`` the value of a model that gives every state
    the same probability. Introduced in notebook 02 (a first training run).
    """
    ax = _new_axes(ax, (7, 3.2))
    ax.plot(history.index, history[column], color=CHANGED_COLOR, label=label)
    if best is not None:
        ax.axhline(best, color="C2", linestyle="--", linewidth=1, label=f"best possible ({best:.3f})")
    if uniform is not None:
        ax.axhline(uniform, color="0.5", linestyle=":", linewidth=1, label=f"uniform model ({uniform:.3f})")
    ax.set_xlabel(history.index.name or "epoch")
    ax.set_ylabel("mean log p(v) of the data")
    ax.legend(loc="lower right", fontsize="small", frameon=False)
    if title:
        ax.set_title(title)
    return ax
