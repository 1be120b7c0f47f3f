"""The plotting helpers and the p(v) explorer widget: right numbers, right pictures, no stray output."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from rbm_helpers import RBM, exact, plots  # noqa: E402
from rbm_helpers.exercises import example_rbm  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture
def tiny() -> RBM:
    return example_rbm(4, 3, seed=0)


def test_state_labels():
    assert plots.state_labels(exact.all_states(2)) == ["00", "01", "10", "11"]


def test_at_temperature_matches_brute_force(tiny):
    """p_T(v) = sum_h exp(-E(v, h) / T) / Z_T, every joint state enumerated."""
    temperature = 2.5
    joint = exact.all_states(7, dtype=torch.float64)
    v, h = joint[:, :4], joint[:, 4:]
    p_joint = torch.softmax(-tiny.energy(v, h) / temperature, 0)
    p_v = p_joint.reshape(16, 8).sum(1)  # rows are ordered v-major
    _, p_copy = exact.visible_distribution(plots.at_temperature(tiny, temperature))
    assert torch.allclose(p_copy, p_v, atol=1e-12)


def test_at_temperature_one_is_the_same_model_and_the_original_is_untouched(tiny):
    before = tiny.weight.clone()
    _, p = exact.visible_distribution(tiny)
    _, p_one = exact.visible_distribution(plots.at_temperature(tiny, 1.0))
    plots.at_temperature(tiny, 3.0)
    assert torch.allclose(p, p_one, atol=1e-14)
    assert torch.equal(tiny.weight, before)


@pytest.mark.parametrize("temperature", [0, -1.0, float("inf"), float("nan"), "2"])
def test_at_temperature_rejects_bad_temperatures(tiny, temperature):
    with pytest.raises(ValueError, match="temperature"):
        plots.at_temperature(tiny, temperature)


def test_extreme_temperatures(tiny):
    _, hot = exact.visible_distribution(plots.at_temperature(tiny, 1e6))
    _, cold = exact.visible_distribution(plots.at_temperature(tiny, 0.01))
    assert torch.allclose(hot, torch.full_like(hot, 1 / 16), atol=1e-5)
    # not exactly the argmin of F (the hidden layer is cooled too), but the lowest-energy joint state's v
    joint = exact.all_states(7, dtype=torch.float64)
    best_v = joint[tiny.energy(joint[:, :4], joint[:, 4:]).argmin(), :4]
    best_index = int((best_v * torch.tensor([8.0, 4, 2, 1], dtype=torch.float64)).sum())
    assert cold[best_index] > 0.99


def test_with_parameter_changes_a_copy_only(tiny):
    changed = plots.with_parameter(tiny, "weight", (2, 1), 7.0)
    assert changed.weight[2, 1] == 7.0 and tiny.weight[2, 1] != 7.0
    assert torch.equal(changed.visible_bias, tiny.visible_bias)
    bias = plots.with_parameter(tiny, "visible_bias", 0, -3.0)
    assert bias.visible_bias[0] == -3.0
    with pytest.raises(ValueError, match="name must be one of"):
        plots.with_parameter(tiny, "bias", 0, 1.0)


def test_visible_bias_multiplies_unnormalised_probability(tiny):
    """Raising b_i by d multiplies exp(-F(v)) by exp(d) where v_i = 1: what notebook 01 says."""
    states = exact.all_states(4, dtype=torch.float64)
    changed = plots.with_parameter(tiny, "visible_bias", 1, float(tiny.visible_bias[1]) + 0.7)
    ratio = torch.exp(-changed.free_energy(states) + tiny.free_energy(states))
    assert torch.allclose(ratio, torch.exp(0.7 * states[:, 1]), atol=1e-12)


def test_plot_distribution_draws_one_bar_per_state(tiny):
    states, p = exact.visible_distribution(tiny)
    ax = plots.plot_distribution(p, states, title="t")
    assert len(ax.patches) == 16
    assert [t.get_text() for t in ax.get_xticklabels()] == plots.state_labels(states)
    heights = torch.tensor([patch.get_height() for patch in ax.patches], dtype=torch.float64)
    assert torch.allclose(heights, p, atol=1e-12)
    with_reference = plots.plot_distribution(p, reference=p)  # states default to all_states
    assert len(with_reference.patches) == 32


def test_plot_changes_one_panel_per_change(tiny):
    fig = plots.plot_changes(tiny, [("a", tiny), ("b", plots.at_temperature(tiny, 2.0)), ("c", tiny)], ncols=2)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in visible] == ["a", "b", "c"]
    assert len(fig.axes) == 4


def test_explorer_draws_inside_the_widget_and_shows_fixed_text(tiny):
    pytest.importorskip("ipywidgets")
    figures_before = plt.get_fignums()
    widget = plots.distribution_explorer(tiny)
    assert plt.get_fignums() == figures_before  # nothing for the inline backend to show
    bundle = widget._repr_mimebundle_()
    assert bundle["text/plain"] == plots.EXPLORER_TEXT
    assert "application/vnd.jupyter.widget-view+json" in bundle
    (controls, value, temperature, image) = widget.children
    dropdown, reset = controls.children
    first = bytes(image.value)
    assert first.startswith(b"\x89PNG")
    assert value.value == pytest.approx(float(tiny.weight[0, 0]))
    dropdown.value = "hidden_bias[2]"
    assert value.value == pytest.approx(float(tiny.hidden_bias[2]))
    value.value = 4.0
    temperature.value = 2.0
    assert bytes(image.value) != first
    reset.click()
    assert temperature.value == 1.0 and value.value == pytest.approx(float(tiny.hidden_bias[2]))
    assert torch.equal(tiny.hidden_bias, example_rbm(4, 3, seed=0).hidden_bias)  # the model itself never changes


def test_plot_sample_frequencies(tiny):
    states, p = exact.visible_distribution(tiny)
    torch.manual_seed(0)
    counts = torch.distributions.Multinomial(5000, probs=p).sample()
    ax = plots.plot_sample_frequencies(p, counts, states)
    assert len(ax.patches) == 16
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["exact p(v)", "frequency in 5,000 samples (±2 s.e.)"]
    dots = ax.containers[-1].lines[0]  # the errorbar's data line
    assert torch.allclose(torch.as_tensor(dots.get_ydata()), counts / 5000)


def test_plot_cd_bias_bars_are_relative_errors():
    exact_gradient = torch.tensor([1.0, -1.0, 0.5, 0.0], dtype=torch.float64)
    estimates = {1: exact_gradient * 0.5, 25: exact_gradient.clone()}
    errors = {k: torch.full((4,), 0.01) for k in estimates}
    fig = plots.plot_cd_bias(exact_gradient, estimates, errors)
    bars = [patch.get_height() for patch in fig.axes[1].patches]
    assert bars == pytest.approx([0.5, 0.0])


def test_plot_log_likelihood_with_reference_lines():
    history = pd.DataFrame({"log_likelihood": [-6.0, -5.0, -4.5]}, index=pd.Index([1, 2, 3], name="epoch"))
    ax = plots.plot_log_likelihood(history, best=-2.6, uniform=-6.2)
    assert len(ax.lines) == 3
    assert list(ax.lines[0].get_ydata()) == [-6.0, -5.0, -4.5]
    assert ax.get_xlabel() == "epoch"
