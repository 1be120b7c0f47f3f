"""The model pictures: the right units, edges and labels, nothing cut off or overlapping, bad input refused."""
from __future__ import annotations

import io
import itertools

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402
from matplotlib.patches import Circle, FancyArrowPatch, Rectangle  # noqa: E402

from rbm_helpers import MISSING, drawings  # noqa: E402

DRAWINGS = {
    "draw_rbm": drawings.draw_rbm,
    "draw_gibbs_chain": drawings.draw_gibbs_chain,
    "draw_per_user_rbms": drawings.draw_per_user_rbms,
    "draw_softmax_unit": drawings.draw_softmax_unit,
    "draw_transposed_layout": drawings.draw_transposed_layout,
    "draw_dbn": drawings.draw_dbn,
}
VARIANTS = [
    *[(name, {}) for name in DRAWINGS],
    ("draw_rbm", {"n_visible": 5, "visible_labels": ["Toy Story", "GoldenEye", "Four Rooms", "Get Shorty", "Copycat"],
                  "missing": [1, 3]}),
    ("draw_rbm", {"n_visible": 12, "n_hidden": 1}),
    ("draw_gibbs_chain", {"k": 1}),
    ("draw_gibbs_chain", {"k": 25}),
    ("draw_per_user_rbms", {"ratings": [[1, -1, 2, 3, 4, 5]] * 3 + [[-1] * 6], "n_hidden": 6}),
    ("draw_softmax_unit", {"n_categories": 10, "category": 10, "n_hidden": 1}),
    ("draw_softmax_unit", {"n_categories": 2, "category": 1, "n_hidden": 5}),
    ("draw_dbn", {"layer_sizes": (784, 500, 500, 2000)}),
    ("draw_dbn", {"layer_sizes": (2, 1)}),
]


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


# ---------------------------------------------------------------------------- reading a drawing back
def circles(ax, gid=None):
    return [p for p in ax.patches if isinstance(p, Circle) and (gid is None or p.get_gid() == gid)]


def edges(ax):
    return [line for line in ax.lines if line.get_gid() == "edge"]


def texts(ax):
    return [t.get_text() for t in ax.texts]


def endpoints(line):
    (x0, x1), (y0, y1) = line.get_xdata(), line.get_ydata()
    return (round(float(x0), 6), round(float(y0), 6)), (round(float(x1), 6), round(float(y1), 6))


def centre(circle):
    return tuple(round(float(c), 6) for c in circle.center)


def label_at(ax, xy):
    """The text drawn at ``xy`` (a unit's label)."""
    found = [t.get_text() for t in ax.texts if np.allclose(t.get_position(), xy)]
    assert len(found) == 1, (xy, found)
    return found[0]


def arrows(ax, gid):
    return [p for p in ax.patches if isinstance(p, FancyArrowPatch) and p.get_gid() == gid]


def boxes(ax, gid):
    return [p for p in ax.patches if p.get_gid() == gid]


# ---------------------------------------------------------------------------- every drawing
@pytest.mark.parametrize("name, kwargs", VARIANTS)
def test_renders_to_png_with_nothing_cut_off_or_overlapping(name, kwargs, tmp_path):
    ax = DRAWINGS[name](**kwargs)
    fig = ax.figure
    path = tmp_path / f"{name}.png"
    fig.savefig(path, dpi=80)
    assert path.read_bytes().startswith(b"\x89PNG") and path.stat().st_size > 5_000
    renderer = fig.canvas.get_renderer()
    figure_box = fig.bbox.padded(1)
    labels = [(t, t.get_window_extent(renderer)) for t in ax.texts if t.get_text().strip()]
    for text, box in labels:
        assert _inside(box, figure_box), f"cut off: {text.get_text()!r}"
    for (a, box_a), (b, box_b) in itertools.combinations(labels, 2):
        assert not box_a.padded(-1).overlaps(box_b.padded(-1)), f"overlap: {a.get_text()!r} and {b.get_text()!r}"
    for patch in ax.patches:
        assert _inside(patch.get_window_extent(renderer), figure_box), f"cut off: {patch}"
    for text, _ in labels:
        assert text.get_fontsize() >= 8, f"too small to read: {text.get_text()!r}"


def _inside(box, outer) -> bool:
    return box.x0 >= outer.x0 and box.y0 >= outer.y0 and box.x1 <= outer.x1 and box.y1 <= outer.y1


@pytest.mark.parametrize("name", DRAWINGS)
def test_draws_into_a_given_axes_and_makes_no_figure_of_its_own(name):
    fig, ax = plt.subplots()
    assert DRAWINGS[name](ax=ax) is ax
    assert plt.get_fignums() == [fig.number]
    assert ax.patches or ax.lines


@pytest.mark.parametrize("name", DRAWINGS)
def test_deterministic(name):
    def png() -> bytes:
        buffer = io.BytesIO()
        DRAWINGS[name]().figure.savefig(buffer, format="png", dpi=40, metadata={"Software": None})
        plt.close("all")
        return buffer.getvalue()

    assert png() == png()


# ---------------------------------------------------------------------------- draw_rbm
@pytest.mark.parametrize("n_visible, n_hidden", [(4, 3), (1, 1), (2, 6), (12, 1)])
def test_rbm_joins_every_visible_unit_to_every_hidden_unit_and_nothing_else(n_visible, n_hidden):
    ax = drawings.draw_rbm(n_visible, n_hidden)
    units = circles(ax, "unit")
    assert len(units) == n_visible + n_hidden
    names = {centre(c): label_at(ax, c.center) for c in units}
    pairs = {tuple(sorted(names[end] for end in endpoints(line))) for line in edges(ax)}
    expected = {tuple(sorted((f"$v_{{{i}}}$", f"$h_{{{j}}}$"))) for i in range(1, n_visible + 1)
                for j in range(1, n_hidden + 1)}
    assert pairs == expected and len(edges(ax)) == n_visible * n_hidden  # no edge within a layer, none twice
    labels = texts(ax)
    for i in range(1, n_visible + 1):
        assert f"$b_{{{i}}}$" in labels
    for j in range(1, n_hidden + 1):
        assert f"$c_{{{j}}}$" in labels
    assert "$W_{11}$" in labels


def test_rbm_missing_units_are_dashed_and_have_no_edges():
    names = ["Toy Story", "GoldenEye", "Four Rooms", "Get Shorty", "Copycat"]
    ax = drawings.draw_rbm(5, 3, visible_labels=names, missing=[0, 3])
    absent = circles(ax, "absent unit")
    assert sorted(label_at(ax, c.center) for c in absent) == ["$v_{1}$", "$v_{4}$"]
    assert all(c.get_linestyle() == "--" for c in absent)
    ends = {end for line in edges(ax) for end in endpoints(line)}
    assert not ends & {centre(c) for c in absent}
    assert len(edges(ax)) == (5 - 2) * 3
    assert "$W_{21}$" in texts(ax)  # the labelled weight belongs to a unit that is there
    assert all(any(name in t.replace("\n", " ") for t in texts(ax)) for name in names)
    everything_missing = drawings.draw_rbm(2, 2, missing=[0, 1])
    assert edges(everything_missing) == [] and not any(t.startswith("$W") for t in texts(everything_missing))


@pytest.mark.parametrize("kwargs, argument", [
    ({"n_visible": 0}, "n_visible"),
    ({"n_visible": 2.5}, "n_visible"),
    ({"n_hidden": True}, "n_hidden"),
    ({"n_hidden": 13}, "n_hidden"),
    ({"missing": [4]}, "missing"),
    ({"missing": [-1]}, "missing"),
    ({"missing": 1}, "missing"),
    ({"visible_labels": ["a", "b"]}, "visible_labels"),
    ({"visible_labels": "abcd"}, "visible_labels"),
])
def test_rbm_refuses_bad_arguments(kwargs, argument):
    with pytest.raises(ValueError, match=f"^{argument} must"):
        drawings.draw_rbm(**kwargs)


# ---------------------------------------------------------------------------- draw_gibbs_chain
@pytest.mark.parametrize("k", [1, 2, 3])
def test_gibbs_chain_has_a_column_per_step(k):
    ax = drawings.draw_gibbs_chain(k)
    assert len(boxes(ax, "layer")) == 2 * (k + 1)
    assert len(arrows(ax, "up")) == k + 1 and len(arrows(ax, "down")) == k
    labels = texts(ax)
    assert labels.count(r"$p(\mathbf{h}\,|\,\mathbf{v})$") == k + 1
    assert labels.count(r"$p(\mathbf{v}\,|\,\mathbf{h})$") == k
    for t in range(k + 1):
        assert rf"$\mathbf{{v}}^{{({t})}}$" in labels and rf"$\mathbf{{h}}^{{({t})}}$" in labels
    joined = " ".join(labels)
    assert r"\langle v_i h_j \rangle_{\mathrm{data}}" in joined and "positive statistics" in joined
    assert f"negative statistics, after k = {k}" in joined and f"CD-{k} update" in joined
    for up, down in zip(arrows(ax, "up"), arrows(ax, "down")):  # up samples h, then down and on to the next v
        (ux0, uy0), (ux1, uy1) = up._posA_posB
        (dx0, dy0), (dx1, dy1) = down._posA_posB
        assert uy1 > uy0 and dy1 < dy0 and dx1 > dx0


def test_long_gibbs_chain_elides_the_middle():
    ax = drawings.draw_gibbs_chain(25)
    assert len(boxes(ax, "layer")) == 6  # columns 0, 1 and k
    assert len(arrows(ax, "elided")) == 2
    assert r"$\mathbf{v}^{(k)}$" in texts(ax) and "negative statistics, after k = 25 steps" in " ".join(texts(ax))


@pytest.mark.parametrize("k", [0, -1, 1.5, "2", None])
def test_gibbs_chain_refuses_bad_k(k):
    with pytest.raises(ValueError, match="^k must"):
        drawings.draw_gibbs_chain(k)


# ---------------------------------------------------------------------------- draw_per_user_rbms
@pytest.mark.parametrize("ratings", [None, np.array([[1, -1, 0], [-1, 1, 1]]), torch.tensor([[4.0, -1.0]])])
def test_per_user_rbms_hold_only_rated_movies_with_shared_colours(ratings):
    ax = drawings.draw_per_user_rbms(ratings, n_hidden=2)
    table = drawings.EXAMPLE_RATINGS if ratings is None else ratings.tolist()
    n_users, n_movies = len(table), len(table[0])
    n_rated = sum(value != MISSING for row in table for value in row)
    assert len(circles(ax)) == n_users * (n_movies + 2)
    absent = circles(ax, "absent unit")
    assert len(absent) == n_users * n_movies - n_rated
    assert len(edges(ax)) == n_rated * 2
    absent_centres = {centre(c) for c in absent}
    movie_of = {centre(c): label_at(ax, c.center) for c in circles(ax) if label_at(ax, c.center).startswith("M")}
    colours: dict[str, set[str]] = {}
    for line in edges(ax):
        lower = min(endpoints(line), key=lambda xy: xy[1])
        assert lower not in absent_centres
        colours.setdefault(movie_of[lower], set()).add(to_hex(line.get_color()))
    assert all(len(c) == 1 for c in colours.values())  # one colour per movie, in every user's RBM
    assert len({next(iter(c)) for c in colours.values()}) == len(colours)  # and different movies differ
    for u in range(1, n_users + 1):
        assert f"user {u}'s RBM" in texts(ax) and f"user {u}" in texts(ax)
    cells = [p for p in ax.patches if isinstance(p, Rectangle) and p.get_gid() == "cell"]
    assert len(cells) == n_users * n_movies


@pytest.mark.parametrize("ratings, argument", [
    ([[1, 2], [3]], "ratings"),
    ([1, 2, 3], "ratings"),
    ("123", "ratings"),
    ([[1, float("nan")]], "ratings"),
    ([[1, -2]], "ratings"),
    ([[1] * 7], "ratings"),
    ([[1]] * 5, "ratings"),
    ([], "ratings"),
])
def test_per_user_rbms_refuse_bad_tables(ratings, argument):
    with pytest.raises(ValueError, match=f"^{argument} must"):
        drawings.draw_per_user_rbms(ratings)
    with pytest.raises(ValueError, match="^n_hidden must"):
        drawings.draw_per_user_rbms(n_hidden=0)


# ---------------------------------------------------------------------------- draw_softmax_unit
@pytest.mark.parametrize("n_categories, category, n_hidden", [(5, 3, 3), (2, 1, 4), (10, 10, 1)])
def test_softmax_unit_is_one_hot_and_joined_to_every_hidden_unit(n_categories, category, n_hidden):
    ax = drawings.draw_softmax_unit(n_categories, category, n_hidden=n_hidden)
    slots = sorted((c for c in circles(ax) if label_at(ax, c.center) in {"0", "1"}), key=lambda c: c.center[0])
    one_hot = ["1" if k == category else "0" for k in range(1, n_categories + 1)]
    assert [label_at(ax, c.center) for c in slots] == one_hot
    assert len(circles(ax)) == n_categories + n_hidden
    filled = [c for c in slots if to_hex(c.get_facecolor()) == drawings.VISIBLE_COLOR.lower()]
    assert filled == [slots[category - 1]]
    assert len(edges(ax)) == n_categories * n_hidden
    strong = [line for line in edges(ax) if to_hex(line.get_color()) == drawings.VERMILLION.lower()]
    assert len(strong) == n_hidden
    assert all(centre(slots[category - 1]) in endpoints(line) for line in strong)
    labels = texts(ax)
    assert [f"{k}★" for k in range(1, n_categories + 1)] == [t for t in labels if t.endswith("★") and "\n" not in t]
    assert any(t.endswith(f"rated {category}★") for t in labels)
    assert any(r"p(v_i = k \mid \mathbf{h})" in t and r"\exp" in t for t in labels)
    assert len(boxes(ax, "softmax unit")) == 1


@pytest.mark.parametrize("kwargs, argument", [
    ({"category": 6}, "category"),
    ({"category": 0}, "category"),
    ({"n_categories": 3, "category": 4}, "category"),
    ({"n_categories": 1, "category": 1}, "n_categories"),
    ({"n_categories": 11}, "n_categories"),
    ({"n_hidden": 0}, "n_hidden"),
])
def test_softmax_unit_refuses_bad_arguments(kwargs, argument):
    with pytest.raises(ValueError, match=f"^{argument} must"):
        drawings.draw_softmax_unit(**kwargs)


# ---------------------------------------------------------------------------- draw_transposed_layout
def test_transposed_layout_turns_a_row_of_each_matrix_into_an_rbm():
    ax = drawings.draw_transposed_layout()
    users = drawings.EXAMPLE_RATINGS
    movies = list(zip(*users))
    units = boxes(ax, "softmax unit")
    assert len(units) == len(users[0]) + len(movies[0])  # user 1's row, then movie 1's row
    dashed = [u for u in units if u.get_linestyle() == "--"]
    assert len(dashed) == list(users[0]).count(MISSING) + list(movies[0]).count(MISSING)
    shown = [t for t in texts(ax) if t.endswith("★")]
    assert shown == [f"{v:g}★" for v in users[0] if v != MISSING] + [f"{v:g}★" for v in movies[0] if v != MISSING]
    n_rated = sum(v != MISSING for v in users[0]) + sum(v != MISSING for v in movies[0])
    assert len(edges(ax)) == n_rated * 3
    assert len(boxes(ax, "cell")) == 2 * len(users) * len(users[0])
    assert len(boxes(ax, "highlight")) == 2 and len(arrows(ax, "becomes")) == 2 and len(arrows(ax, "transpose")) == 1
    labels = texts(ax)
    assert "users as rows" in labels and "movies as rows (transposed)" in labels
    assert any("one softmax unit per movie" in t for t in labels)
    assert any("one softmax unit per user" in t for t in labels)


# ---------------------------------------------------------------------------- draw_dbn
@pytest.mark.parametrize("sizes", [(64, 100, 50), (784, 500, 500, 2000), (2, 1), (3, 3, 3, 3, 3, 3)])
def test_dbn_stacks_rbms_undirected_on_top_directed_below(sizes):
    ax = drawings.draw_dbn(sizes)
    drawn = [min(size, 3) for size in sizes]
    assert len(boxes(ax, "layer")) == len(sizes)
    assert len(circles(ax)) == sum(drawn)
    assert len(edges(ax)) == drawn[-2] * drawn[-1]  # the top RBM: plain, undirected edges
    directed = arrows(ax, "directed")
    assert len(directed) == sum(a * b for a, b in zip(drawn[:-2], drawn[1:-1]))
    assert all(end[1] < start[1] for start, end in (arrow._posA_posB for arrow in directed))  # generative: down
    assert len(arrows(ax, "greedy")) == (len(sizes) > 2)
    labels = texts(ax)
    for depth, size in enumerate(sizes):
        name = r"$\mathbf{v}$" if depth == 0 else rf"$\mathbf{{h}}_{{{depth}}}$"
        assert f"{name}\n{size:,} units" in labels
    for depth in range(1, len(sizes)):
        assert sum(t.startswith(f"RBM {depth}: ") for t in labels) == 1
    assert sum("undirected" in t for t in labels) == 1


@pytest.mark.parametrize("sizes, argument", [
    ((64,), "layer_sizes"),
    ([], "layer_sizes"),
    (64, "layer_sizes"),
    ("64", "layer_sizes"),
    ((1, 2, 3, 4, 5, 6, 7), "layer_sizes"),
    ((64, 0), r"layer_sizes\[1\]"),
    ((64, 2.5), r"layer_sizes\[1\]"),
])
def test_dbn_refuses_bad_layer_sizes(sizes, argument):
    with pytest.raises(ValueError, match=f"^{argument} must"):
        drawings.draw_dbn(sizes)
