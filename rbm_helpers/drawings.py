"""Pictures of the models: each function draws one diagram with matplotlib and returns its ``Axes``.

The drawings are schematic and deterministic (no data, no randomness): unit
circles, edges for weights, arrows for sampling and training. Like the helpers
in ``rbm_helpers.plots``, each takes an optional ``ax`` to draw into and never
shows anything itself, so a notebook cell reads ``drawings.draw_rbm(); plt.show()``.
Colours are the Okabe-Ito palette, which colour-blind readers can tell apart.
Introduced in notebook 01 (the RBM) and used again where each model first appears:
the Gibbs chain in 02, one RBM per user in 03, softmax units and the transposed
layout in 06, the deep belief network in 08.
"""
from __future__ import annotations

import math
import textwrap
from typing import Iterable, Sequence

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.colors import to_rgb
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch, Rectangle

from .data.checks import check_int, describe, is_integer
from .validation import MISSING

# Okabe & Ito (2008): distinguishable with every common colour-vision deficiency.
BLUE, ORANGE, GREEN, PINK, VERMILLION, SKY = "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9"
VISIBLE_COLOR = BLUE
HIDDEN_COLOR = ORANGE
EDGE_COLOR = "0.45"
ABSENT_COLOR = "0.65"
MOVIE_COLORS = (BLUE, ORANGE, GREEN, PINK, VERMILLION, SKY)
"""One colour per movie (column) in the per-user pictures: the same movie, the same colour, the same weights."""

EXAMPLE_RATINGS = (
    (5, 3, MISSING, 1, MISSING),
    (MISSING, 4, 5, MISSING, 2),
    (4, MISSING, MISSING, 5, 3),
)
"""3 users x 5 movies, 1-5 stars and ``MISSING`` (-1) where unrated: the default table of notebooks 03 and 06."""

RADIUS = 0.3  # of a unit circle, in data units (one unit = the gap between neighbouring units)
INCHES_PER_UNIT = 0.62
MAX_WIDTH = 11.0  # inches


# ---------------------------------------------------------------------------- small helpers
def _canvas(ax: Axes | None, x0: float, x1: float, y0: float, y1: float) -> Axes:
    """An axes showing exactly [x0, x1] x [y0, y1] at equal scale, without frame or ticks."""
    if ax is None:
        scale = min(INCHES_PER_UNIT, MAX_WIDTH / (x1 - x0))
        ax = plt.subplots(figsize=(scale * (x1 - x0), scale * (y1 - y0)))[1]
        ax.figure.subplots_adjust(0, 0, 1, 1)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax


def _tint(color: str, amount: float = 0.78) -> tuple[float, float, float]:
    """``color`` mixed with white (``amount`` = 1 gives white): a light fill that keeps black text readable."""
    return tuple(c + (1 - c) * amount for c in to_rgb(color))


def _shade(color: str, amount: float = 0.35) -> tuple[float, float, float]:
    """``color`` mixed with black: a darker shade for text in a light colour."""
    return tuple(c * (1 - amount) for c in to_rgb(color))


def _row(n: int, y: float, spacing: float = 1.0, x_center: float = 0.0) -> list[tuple[float, float]]:
    """Centres of ``n`` units in a row at height ``y``, ``spacing`` apart, centred on ``x_center``."""
    return [(x_center + (i - (n - 1) / 2) * spacing, y) for i in range(n)]


def _unit(ax: Axes, xy: tuple[float, float], label: str = "", color: str = VISIBLE_COLOR, *,
          absent: bool = False, filled: bool = False, radius: float = RADIUS, fontsize: float = 11) -> Circle:
    """One unit: a circle with ``label`` inside; ``absent`` draws it faded and dashed, ``filled`` solid."""
    face = "white" if absent else color if filled else _tint(color)
    circle = Circle(xy, radius, facecolor=face, edgecolor=ABSENT_COLOR if absent else color, linewidth=1.6,
                    linestyle="--" if absent else "-", zorder=3, gid="absent unit" if absent else "unit")
    ax.add_patch(circle)
    if label:
        ax.text(*xy, label, ha="center", va="center", fontsize=fontsize, zorder=4,
                color=ABSENT_COLOR if absent else "white" if filled else "black")
    return circle


def _edge(ax: Axes, start: tuple[float, float], end: tuple[float, float], color: str = EDGE_COLOR, *,
          linewidth: float = 1.0, alpha: float = 1.0) -> Line2D:
    """An undirected connection (a weight) between two unit centres, drawn under the units."""
    (line,) = ax.plot([start[0], end[0]], [start[1], end[1]], color=color, linewidth=linewidth, alpha=alpha,
                      zorder=1, gid="edge", solid_capstyle="round")
    return line


def _connect(ax: Axes, lower: Sequence[tuple[float, float]], upper: Sequence[tuple[float, float]], *,
             colors: Sequence[str] | None = None, skip: Iterable[int] = (), **style) -> list[Line2D]:
    """Every edge between two rows of units (a bipartite layer), leaving out the lower units in ``skip``."""
    skip = set(skip)
    return [_edge(ax, a, b, colors[i] if colors else EDGE_COLOR, **style)
            for i, a in enumerate(lower) if i not in skip for b in upper]


def _arrow(ax: Axes, start: tuple[float, float], end: tuple[float, float], color: str = "0.2", *,
           style: str = "-|>", linewidth: float = 1.4, curve: float = 0.0, gid: str = "arrow",
           linestyle: str = "-", head: float = 14) -> FancyArrowPatch:
    """An arrow from ``start`` to ``end`` (straight, or bent by ``curve``)."""
    arrow = FancyArrowPatch(start, end, arrowstyle=style, mutation_scale=head, color=color, linewidth=linewidth,
                            linestyle=linestyle, connectionstyle=f"arc3,rad={curve}", shrinkA=0, shrinkB=0,
                            zorder=2, gid=gid)
    ax.add_patch(arrow)
    return arrow


def _box(ax: Axes, x0: float, y0: float, width: float, height: float, color: str, *, pad: float = 0.08,
         absent: bool = False, gid: str = "box", fill: float = 0.9) -> FancyBboxPatch:
    """A rounded rectangle (a layer, a softmax unit or a highlighted row)."""
    box = FancyBboxPatch((x0, y0), width, height, boxstyle=f"round,pad={pad}", linewidth=1.4,
                         facecolor="white" if absent else _tint(color, fill),
                         edgecolor=ABSENT_COLOR if absent else color, linestyle="--" if absent else "-",
                         zorder=2, gid=gid)
    ax.add_patch(box)
    return box


def _beside(ax: Axes, start: tuple[float, float], end: tuple[float, float], text: str, **style) -> None:
    """``text`` beside the middle of the segment ``start``-``end``, on its left-hand side, clear of the line."""
    dx, dy = end[0] - start[0], end[1] - start[1]
    nx, ny = -dy / math.hypot(dx, dy), dx / math.hypot(dx, dy)  # the left-hand normal
    ax.text((start[0] + end[0]) / 2 + 0.12 * nx, (start[1] + end[1]) / 2 + 0.12 * ny, text,
            ha="right" if nx < -0.3 else "left" if nx > 0.3 else "center",
            va="bottom" if ny > 0.3 else "top" if ny < -0.3 else "center", **style)


def _sub(*indices: int) -> str:
    """Subscript text for indices counted from 1: ``_sub(1, 2)`` is ``"12"``, ``"10,2"`` once one has two digits."""
    return ("," if any(i > 9 for i in indices) else "").join(str(i) for i in indices)


def _table(ax: Axes, ratings: Sequence[Sequence[float]], x0: float, y_top: float, *, cell: float,
           row_names: Sequence[str], column_names: Sequence[str], column_colors: Sequence[str] | None = None,
           highlight: int | None = None, highlight_color: str = VERMILLION) -> None:
    """A small ratings table: one row per entry of ``ratings``, ``-`` where ``MISSING``, headers above and left."""
    for j, name in enumerate(column_names):
        ax.text(x0 + (j + 0.5) * cell, y_top + 0.12, name, ha="center", va="bottom", fontsize=9,
                color=column_colors[j] if column_colors else "black", fontweight="bold")
    for r, row in enumerate(ratings):
        y = y_top - (r + 1) * cell
        ax.text(x0 - 0.12, y + cell / 2, row_names[r], ha="right", va="center", fontsize=9)
        for j, value in enumerate(row):
            rated = value != MISSING
            ax.add_patch(Rectangle((x0 + j * cell, y), cell, cell, facecolor="white" if rated else "0.93",
                                   edgecolor="0.6", linewidth=0.8, zorder=1, gid="cell"))
            ax.text(x0 + (j + 0.5) * cell, y + cell / 2, f"{value:g}" if rated else "–", ha="center",
                    va="center", fontsize=10, color="black" if rated else "0.5", zorder=2)
    if highlight is not None:
        y = y_top - (highlight + 1) * cell
        ax.add_patch(Rectangle((x0, y), cell * len(ratings[0]), cell, fill=False, edgecolor=highlight_color,
                               linewidth=2.4, zorder=3, gid="highlight"))


def _check_ratings_table(ratings: object, name: str, *, max_rows: int = 4, max_columns: int = 6) -> list[list[float]]:
    """A small table of ratings as a list of rows of floats, ``MISSING`` (-1) where unrated."""
    example = f"e.g. {name}=[[5, 3, -1], [-1, 4, 2]] (-1 = unrated)"
    try:
        if isinstance(ratings, (str, bytes)):
            raise TypeError
        table = ratings.tolist() if hasattr(ratings, "tolist") else ratings
        rows = [[float(value) for value in row] for row in table]
    except (TypeError, ValueError):
        raise ValueError(
            f"{name} must be a table of numbers (a list of rows), {example}; got {describe(ratings)}.") from None
    n_columns = len(rows[0]) if rows else 0
    if not (1 <= len(rows) <= max_rows and 1 <= n_columns <= max_columns and all(len(r) == n_columns for r in rows)):
        raise ValueError(
            f"{name} must be a table of 1 to {max_rows} rows (users) of the same length, 1 to {max_columns} "
            f"columns (movies), small enough to draw; {example}; got {describe(ratings)}.")
    if not all(math.isfinite(value) and (value >= 0 or value == MISSING) for row in rows for value in row):
        raise ValueError(f"{name} must hold ratings >= 0 (stars, or 0/1) and -1 (MISSING) where unrated, "
                         f"not NaN or other negative numbers; {example}; got {describe(ratings)}.")
    return rows


def _check_indices(indices: object, name: str, n: int) -> set[int]:
    """``indices`` (an iterable of unit indices from 0) as a set, each checked to be in range."""
    try:
        values = list(indices)
    except TypeError:
        raise ValueError(f"{name} must be a list of unit indices (from 0), e.g. {name}=[1]; "
                         f"got {describe(indices)}.") from None
    for value in values:
        if not is_integer(value) or not 0 <= value < n:
            raise ValueError(f"{name} must hold unit indices from 0 to {n - 1}, e.g. {name}=[1]; "
                             f"got {describe(value)} in {describe(indices)}.")
    return {int(value) for value in values}


# ---------------------------------------------------------------------------- notebook 01
def draw_rbm(
    n_visible: int = 4,
    n_hidden: int = 3,
    *,
    ax: Axes | None = None,
    visible_labels: Sequence[str] | None = None,
    missing: Iterable[int] = (),
) -> Axes:
    """The RBM as a network: visible units v_1..v_n below, hidden units h_1..h_m above, an edge per weight.

    Every visible unit is joined to every hidden unit and no two units of the
    same layer are joined: the "restricted" in the name. One edge is labelled
    with its weight W_ij, and each unit with its bias (b_i visible, c_j hidden).
    ``visible_labels`` names the visible units (e.g. movie titles); ``missing``
    lists the indices (from 0) of absent visible units, drawn dashed and grey
    and without edges: an unrated movie takes no part in that user's RBM.
    Introduced in notebook 01 (the energy model); missing units in notebook 03.
    """
    n_visible = check_int(n_visible, "n_visible", minimum=1, maximum=12, example="n_visible=4")
    n_hidden = check_int(n_hidden, "n_hidden", minimum=1, maximum=12, example="n_hidden=3")
    missing = _check_indices(missing, "missing", n_visible)
    if visible_labels is not None and (isinstance(visible_labels, str) or not isinstance(visible_labels, Sequence)
                                       or len(visible_labels) != n_visible):
        raise ValueError(f"visible_labels must hold one name per visible unit ({n_visible}); "
                         f"got {describe(visible_labels)}.")
    spacing = 1.6 if visible_labels is not None else 1.0
    visible, hidden = _row(n_visible, 0.0, spacing), _row(n_hidden, 2.4, spacing)
    left = min(visible[0][0], hidden[0][0]) - 0.9
    right = max(visible[-1][0], hidden[-1][0]) + 2.8
    bottom = -1.9 if visible_labels is not None else (-1.3 if missing else -0.8)
    ax = _canvas(ax, left, right, bottom, 3.25)
    edges = _connect(ax, visible, hidden, skip=missing)
    if edges:  # label the leftmost edge (first unit drawn, to h_1), where no other edge crosses its label
        first = min(set(range(n_visible)) - missing)
        edges[0].set(color=VERMILLION, linewidth=2.2)
        _beside(ax, visible[first], hidden[0], f"$W_{{{_sub(first + 1, 1)}}}$", fontsize=12, color=VERMILLION)
    for i, xy in enumerate(visible):
        _unit(ax, xy, f"$v_{{{i + 1}}}$", VISIBLE_COLOR, absent=i in missing)
        ax.text(xy[0], -RADIUS - 0.08, f"$b_{{{i + 1}}}$", ha="center", va="top", fontsize=10,
                color=ABSENT_COLOR if i in missing else VISIBLE_COLOR)
        if visible_labels is not None:
            ax.text(xy[0], -RADIUS - 0.5, textwrap.fill(str(visible_labels[i]), 12), ha="center", va="top",
                    fontsize=9, color=ABSENT_COLOR if i in missing else "black")
    for j, xy in enumerate(hidden):
        _unit(ax, xy, f"$h_{{{j + 1}}}$", HIDDEN_COLOR)
        ax.text(xy[0], 2.4 + RADIUS + 0.08, f"$c_{{{j + 1}}}$", ha="center", va="bottom", fontsize=10,
                color=_shade(HIDDEN_COLOR))
    x_text = max(visible[-1][0], hidden[-1][0]) + 0.6
    ax.text(x_text, 2.4, "hidden units $\\mathbf{h}$\nbiases $c_j$", va="center", fontsize=10)
    ax.text(x_text, 0.0, "visible units $\\mathbf{v}$\nbiases $b_i$", va="center", fontsize=10)
    if missing:
        ax.text(left + 0.1, bottom + 0.05, "dashed: not rated, so not in this RBM (no weights used)",
                va="bottom", fontsize=9, color="0.4")
    return ax


# ---------------------------------------------------------------------------- notebook 02
def draw_gibbs_chain(k: int = 2, *, ax: Axes | None = None) -> Axes:
    """Block Gibbs sampling as a chain v(0) -> h(0) -> v(1) -> ... -> v(k), and the CD-k update it feeds.

    Each column t holds the visible layer v(t) (below) and the hidden layer
    h(t) (above); arrows up sample h from p(h | v), arrows across and down
    sample v from p(v | h). The positive statistics <v_i h_j>_data come from
    column 0 (the data), the negative ones from column k, which stands in for
    the model's <v_i h_j>_model. For k > 3 the middle columns are elided.
    Introduced in notebook 02 (Gibbs sampling and CD-k).
    """
    k = check_int(k, "k", minimum=1, example="k=2")
    steps = list(range(k + 1)) if k <= 3 else [0, 1, k]
    step, width, height, y_top = 3.4, 1.5, 0.55, 2.4  # column distance; layer box size; height of the h row
    xs = [i * step + (step / 2 if k > 3 and t == k else 0) for i, t in enumerate(steps)]
    ax = _canvas(ax, -1.8, xs[-1] + 2.3, -2.55, 3.35)
    for i, (t, x) in enumerate(zip(steps, xs)):
        time = t if k <= 3 or t < 2 else "k"
        for y, color in ((0.0, VISIBLE_COLOR), (y_top, HIDDEN_COLOR)):
            _box(ax, x - width / 2, y - height / 2, width, height, color, gid="layer")
            for xy in _row(3, y, 0.45, x):
                _unit(ax, xy, "", color, radius=0.15)
        ax.text(x, -height / 2 - 0.15, rf"$\mathbf{{v}}^{{({time})}}$", ha="center", va="top", fontsize=12)
        ax.text(x, y_top + height / 2 + 0.12, rf"$\mathbf{{h}}^{{({time})}}$", ha="center", va="bottom", fontsize=12)
        _arrow(ax, (x, height / 2 + 0.1), (x, y_top - height / 2 - 0.1), gid="up")
        ax.text(x + 0.12, 0.95, r"$p(\mathbf{h}\,|\,\mathbf{v})$", ha="left", va="center", fontsize=11)
        if i + 1 == len(steps):
            continue
        start, end = (x + width / 2, y_top - height / 2), (xs[i + 1] - width / 2, height / 2)
        if steps[i + 1] == t + 1:
            _arrow(ax, start, end, gid="down")
            ax.text(x + 1.5, 1.62, r"$p(\mathbf{v}\,|\,\mathbf{h})$", ha="left", va="center", fontsize=11)
        else:  # the elided middle of a long chain
            middle = ((start[0] + end[0]) / 2, y_top / 2)
            _arrow(ax, start, middle, style="-", linestyle=":", gid="elided")
            ax.text(middle[0] + 0.15, middle[1], r"$\cdots$", ha="left", va="center", fontsize=16)
            _arrow(ax, (middle[0] + 0.8, middle[1]), end, linestyle=":", gid="elided")
    after = f"after k = {k} step{'s' if k > 1 else ''}"
    for x, color, text in (
        (xs[0], BLUE, "positive statistics\n" r"$\langle v_i h_j \rangle_{\mathrm{data}}$"),
        (xs[-1], VERMILLION, f"negative statistics, {after}\n"
                             r"$\langle v_i h_j \rangle_{k} \approx \langle v_i h_j \rangle_{\mathrm{model}}$"),
    ):
        ax.plot([x - width / 2, x - width / 2, x + width / 2, x + width / 2], [-0.78, -0.88, -0.88, -0.78],
                color=color, linewidth=1.6, gid="statistics")
        ax.text(x, -1.0, text, ha="center", va="top", fontsize=10, color=color, linespacing=1.6)
    update = rf"$\Delta W_{{ij}} \propto \langle v_i h_j \rangle_{{\mathrm{{data}}}} - \langle v_i h_j \rangle_{{{k}}}$"
    ax.text((xs[0] + xs[-1]) / 2, -2.0, f"CD-{k} update:  {update}", ha="center", va="top", fontsize=11)
    return ax


# ---------------------------------------------------------------------------- notebook 03
def draw_per_user_rbms(ratings: object = None, *, n_hidden: int = 3, ax: Axes | None = None) -> Axes:
    """A small ratings table and, next to it, one RBM per user holding only the movies that user rated.

    ``ratings`` is a users x movies table (a list of rows, a numpy array or a
    tensor) with ``MISSING`` (-1) where unrated; the default is
    ``EXAMPLE_RATINGS``. All the RBMs have the same hidden units and share
    their weights: a movie's edges have the same colour in every user's RBM.
    Unrated movies are faded dashed circles without edges.
    Introduced in notebook 03 (training on MovieLens).
    """
    rows = _check_ratings_table(EXAMPLE_RATINGS if ratings is None else ratings, "ratings")
    n_hidden = check_int(n_hidden, "n_hidden", minimum=1, maximum=6, example="n_hidden=3")
    n_users, n_movies = len(rows), len(rows[0])
    cell, spacing, y_top = 0.55, 0.75, 2.2
    table_height = cell * (n_users + 1)
    table_top = 1.1 + table_height / 2 - 0.35
    rbm_width = max(n_movies, n_hidden) * spacing
    x_start = cell * n_movies + 1.0
    centres = [x_start + rbm_width / 2 + u * (rbm_width + 0.5) for u in range(n_users)]
    ax = _canvas(ax, -1.25, centres[-1] + rbm_width / 2 + 0.2, min(-1.1, table_top - table_height - 0.3), 3.45)
    names = [f"M{i + 1}" for i in range(n_movies)]
    colors = list(MOVIE_COLORS[:n_movies])
    ax.text(cell * n_movies / 2, table_top + 0.5, "ratings (– = unrated)", ha="center", va="bottom", fontsize=10)
    _table(ax, rows, 0.0, table_top, cell=cell, row_names=[f"user {u + 1}" for u in range(n_users)],
           column_names=names, column_colors=colors)
    for u, (row, x) in enumerate(zip(rows, centres)):
        visible, hidden = _row(n_movies, 0.0, spacing, x), _row(n_hidden, y_top, spacing, x)
        absent = {i for i, value in enumerate(row) if value == MISSING}
        _connect(ax, visible, hidden, colors=colors, skip=absent, linewidth=1.3)
        for i, xy in enumerate(visible):
            _unit(ax, xy, names[i], colors[i], absent=i in absent, radius=0.27, fontsize=8)
        for j, xy in enumerate(hidden):
            _unit(ax, xy, f"$h_{{{j + 1}}}$", "0.35", radius=0.25, fontsize=9)
        ax.text(x, y_top + 0.45, f"user {u + 1}'s RBM", ha="center", va="bottom", fontsize=10)
    ax.text(x_start, -0.55, "same colour = same movie = the same weights in every RBM;  dashed = not rated",
            ha="left", va="top", fontsize=9, color="0.3")
    return ax


# ---------------------------------------------------------------------------- notebook 06
def draw_softmax_unit(n_categories: int = 5, category: int = 3, *, n_hidden: int = 3,
                      ax: Axes | None = None) -> Axes:
    """One softmax visible unit: K one-hot slots (1..K stars), the rated one filled, joined to every hidden unit.

    Each slot k has its own weights W_ikj to the hidden units; since exactly one
    slot is on, only the chosen star's edges carry input to the hidden units
    (drawn strong, the others faint). The caption gives p(v_i = k | h), the
    softmax over the K slots. Introduced in notebook 06 (softmax units).
    """
    n_categories = check_int(n_categories, "n_categories", minimum=2, maximum=10, example="n_categories=5")
    category = check_int(category, "category", minimum=1, maximum=n_categories, example="category=3 (stars)")
    n_hidden = check_int(n_hidden, "n_hidden", minimum=1, maximum=8, example="n_hidden=3")
    spacing = 0.85
    slots, hidden = _row(n_categories, 0.0, spacing), _row(n_hidden, 2.6, 1.1)
    half = max(slots[-1][0], hidden[-1][0])
    left, right = -half - 0.9, half + 4.1
    ax = _canvas(ax, left, right, -2.45, 3.35)
    _box(ax, slots[0][0] - 0.45, -0.45, slots[-1][0] - slots[0][0] + 0.9, 0.9, VISIBLE_COLOR, gid="softmax unit")
    for k, xy in enumerate(slots, start=1):
        chosen = k == category
        for h in hidden:
            _edge(ax, xy, h, VERMILLION if chosen else "0.75", linewidth=1.8 if chosen else 0.8)
        _unit(ax, xy, "1" if chosen else "0", VISIBLE_COLOR, filled=chosen, radius=0.28)
        ax.text(xy[0], -0.6, f"{k}★", ha="center", va="top", fontsize=10, fontweight="bold" if chosen else None)
    for j, xy in enumerate(hidden, start=1):
        _unit(ax, xy, f"$h_{{{j}}}$", HIDDEN_COLOR)
    ax.text(half + 0.75, 0.0, f"softmax unit $v_i$\none movie, K = {n_categories} states:\nrated {category}★",
            va="center", fontsize=10)
    index = f",{category}," if category > 9 else category
    ax.text(half + 0.75, 1.45, f"weights $W_{{i{index}j}}$\n(the rated star's)", va="center", fontsize=10,
            color=_shade(VERMILLION, 0.1))
    ax.text((left + right) / 2, -1.25, r"$p(v_i = k \mid \mathbf{h}) = \dfrac{\exp(b_{ik} + \Sigma_j\, W_{ikj} h_j)}"
            r"{\Sigma_{l=1}^{K} \exp(b_{il} + \Sigma_j\, W_{ilj} h_j)}$", ha="center", va="top", fontsize=13)
    return ax


def draw_transposed_layout(*, ax: Axes | None = None) -> Axes:
    """The users x movies matrix with one RBM per user (row), next to its transpose with one RBM per movie.

    Left: users as rows, the paper's layout; user 1's row becomes an RBM with
    one softmax unit per movie (dashed where unrated). Right: the transposed
    matrix, movies as rows; movie 1's row becomes an RBM with one softmax
    unit per user. The table is ``EXAMPLE_RATINGS``.
    Introduced in notebook 06 (turning the matrix around).
    """
    users = [list(row) for row in EXAMPLE_RATINGS]
    movies = [list(column) for column in zip(*users)]
    cell, gap = 0.55, 2.6
    left_width, right_width = cell * len(users[0]), cell * len(movies[0])
    right_x = left_width + gap
    top = 0.0
    rbm_y = top - cell * len(movies) - 2.5
    ax = _canvas(ax, -1.5, right_x + max(right_width, 3.2) + 0.9, rbm_y - 1.0, 1.15)
    for x0, table, title, row_name, column_name, rbm_of in (
        (0.0, users, "users as rows", "u", "M", "user u1's row becomes an RBM:\none softmax unit per movie"),
        (right_x, movies, "movies as rows (transposed)", "M", "u",
         "movie M1's row becomes an RBM:\none softmax unit per user"),
    ):
        width = cell * len(table[0])
        ax.text(x0 + width / 2, top + 0.6, title, ha="center", va="bottom", fontsize=11, fontweight="bold")
        columns = [f"{column_name}{j + 1}" for j in range(len(table[0]))]
        rows = [f"{row_name}{r + 1}" for r in range(len(table))]
        _table(ax, table, x0, top, cell=cell, row_names=rows, column_names=columns, highlight=0)
        _softmax_rbm(ax, table[0], x0 + width / 2, rbm_y)
        ax.text(x0 + width / 2, rbm_y - 0.45, rbm_of, ha="center", va="top", fontsize=9)
        _arrow(ax, (x0 + width + 0.15, top - cell / 2), (x0 + width + 0.15, rbm_y + 2.0), VERMILLION,
               curve=-0.4, gid="becomes")
    _arrow(ax, (left_width + 0.6, top - cell * 1.5), (right_x - 1.0, top - cell * 1.5), "0.2", linewidth=2,
           gid="transpose")
    ax.text((left_width + right_x) / 2 - 0.2, top - cell * 1.5 + 0.15, "transpose", ha="center", va="bottom",
            fontsize=10)
    return ax


def _softmax_rbm(ax: Axes, row: Sequence[float], x: float, y: float, n_hidden: int = 3) -> None:
    """A mini RBM over one matrix row: a softmax unit (rounded square) per entry, dashed where ``MISSING``."""
    visible, hidden = _row(len(row), y, 0.7, x), _row(n_hidden, y + 1.6, 0.7, x)
    _connect(ax, visible, hidden, skip=[i for i, value in enumerate(row) if value == MISSING])
    for value, (vx, vy) in zip(row, visible):
        rated = value != MISSING
        _box(ax, vx - 0.22, vy - 0.22, 0.44, 0.44, VISIBLE_COLOR, absent=not rated, gid="softmax unit", fill=0.75)
        ax.text(vx, vy, f"{value:g}★" if rated else "?", ha="center", va="center", fontsize=8, zorder=4,
                color="black" if rated else ABSENT_COLOR)
    for xy in hidden:
        _unit(ax, xy, "", HIDDEN_COLOR, radius=0.2)


# ---------------------------------------------------------------------------- notebook 08
def draw_dbn(layer_sizes: Sequence[int] = (64, 100, 50), *, ax: Axes | None = None) -> Axes:
    """A deep belief network: layers stacked bottom (visible) to top, each adjacent pair an RBM.

    The top pair is an undirected RBM (plain edges); the lower pairs are
    directed downwards (arrows: to generate, sample the top RBM, then go down
    through each p(h_(l-1) | h_l)). On the right, the greedy order of training:
    RBM 1 on the data, then each next RBM on samples of the hidden layer below.
    Each layer shows at most four units; its size is written beside it.
    Introduced in notebook 08 (stacking RBMs).
    """
    sizes = _check_layer_sizes(layer_sizes)
    gap, width = 2.2, 3.0
    ys = [i * gap for i in range(len(sizes))]
    ax = _canvas(ax, -width / 2 - 1.9, width / 2 + (5.4 if len(sizes) > 2 else 4.6), -0.75, ys[-1] + 0.7)
    layers = []
    for depth, (size, y) in enumerate(zip(sizes, ys)):
        color = VISIBLE_COLOR if depth == 0 else HIDDEN_COLOR
        _box(ax, -width / 2, y - 0.4, width, 0.8, color, gid="layer")
        xs = [-1.0, 0.0, 1.0] if size >= 3 else [x for x, _ in _row(size, y)]
        if size > 3:  # two units, dots for the ones not drawn, the last unit
            xs = [-1.1, -0.35, 1.1]
            ax.text(0.375, y, r"$\cdots$", ha="center", va="center", fontsize=14, zorder=4)
        units = [(x, y) for x in xs]
        for xy in units:
            _unit(ax, xy, "", color, radius=0.25)
        name = r"$\mathbf{v}$" if depth == 0 else rf"$\mathbf{{h}}_{{{depth}}}$"
        ax.text(-width / 2 - 0.3, y, f"{name}\n{size:,} units", ha="right", va="center", fontsize=10)
        layers.append(units)
    for depth in range(1, len(sizes)):
        top = depth == len(sizes) - 1
        for a in layers[depth - 1]:
            for b in layers[depth]:
                if top:
                    _edge(ax, a, b, "0.3", linewidth=1.0)
                else:
                    _arrow(ax, _towards(b, a, 0.25), _towards(a, b, 0.27), "0.4", linewidth=1.0, head=10,
                           gid="directed")
        data = "the data" if depth == 1 else rf"samples of $\mathbf{{h}}_{{{depth - 1}}}$"
        kind = "undirected" if top else "directed, generates downwards"
        ax.text(width / 2 + 0.45, (ys[depth - 1] + ys[depth]) / 2, f"RBM {depth}: {kind}\n"
                f"trained {_ordinal(depth)}, on {data}", va="center", fontsize=9.5, linespacing=1.5)
    if len(sizes) > 2:
        x = width / 2 + 4.75
        _arrow(ax, (x, ys[0] + gap / 2 - 0.3), (x, ys[-1] - gap / 2 + 0.3), BLUE, linewidth=2, gid="greedy")
        ax.text(x + 0.22, (ys[0] + ys[-1]) / 2, "greedy training, bottom up", rotation=90, ha="left",
                va="center", fontsize=9.5, color=BLUE)
    return ax


def _towards(start: tuple[float, float], end: tuple[float, float], distance: float) -> tuple[float, float]:
    """The point ``distance`` from ``start`` on the way to ``end`` (to stop an arrow at a circle's rim)."""
    dx, dy = end[0] - start[0], end[1] - start[1]
    length = math.hypot(dx, dy)
    return (start[0] + dx * distance / length, start[1] + dy * distance / length)


def _ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def _check_layer_sizes(layer_sizes: object) -> list[int]:
    """``layer_sizes`` as a list of 2 to 6 whole numbers >= 1: the visible layer, then each hidden layer."""
    example = "e.g. layer_sizes=(64, 100, 50)"
    if isinstance(layer_sizes, (str, bytes)) or not isinstance(layer_sizes, Sequence) or not 2 <= len(layer_sizes) <= 6:
        raise ValueError(f"layer_sizes must list 2 to 6 layer sizes (the visible layer, then each hidden layer), "
                         f"{example}; got {describe(layer_sizes)}.")
    return [check_int(size, f"layer_sizes[{i}]", minimum=1, example="64") for i, size in enumerate(layer_sizes)]
