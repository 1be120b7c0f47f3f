"""Tests of rbm_helpers.monitoring: pseudo-log-likelihood against brute force, monitors, plots."""
import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from rbm_helpers import RBM, exact, free_energy_gap, train  # noqa: E402
from rbm_helpers.monitoring import (  # noqa: E402
    conditional_log_probabilities,
    monitors,
    plot_histories,
    plot_history,
    plot_sweep,
    pseudo_log_likelihood,
)


def tiny_rbm(seed=0, n_visible=5, n_hidden=3):
    rbm = RBM(n_visible, n_hidden, seed=seed, dtype=torch.float64, init_std=1.0)
    generator = torch.Generator().manual_seed(seed + 1)
    rbm.visible_bias.copy_(torch.randn(n_visible, generator=generator, dtype=torch.float64))
    rbm.hidden_bias.copy_(torch.randn(n_hidden, generator=generator, dtype=torch.float64))
    return rbm


def brute_force_conditional(rbm, row, i):
    """log p(v_i = row[i] | the other observed units) from the joint energies of every hidden state.

    A missing unit is absent from the row's RBM, which for p(h | v) and the
    energy is the same as that unit being 0.
    """
    hidden = exact.all_states(rbm.n_hidden, dtype=torch.float64)
    filled = row.clamp(min=0)
    log_weights = []
    for value in (0.0, 1.0):
        v = filled.clone()
        v[i] = value
        log_weights.append(torch.logsumexp(-rbm.energy(v.expand(len(hidden), -1), hidden), 0))
    log_weights = torch.stack(log_weights)
    return (log_weights[int(row[i])] - torch.logsumexp(log_weights, 0)).item()


def test_conditional_log_probabilities_match_brute_force_with_missing_units():
    rbm = tiny_rbm()
    v = torch.tensor([[1, 0, -1, 1, 0], [0, 0, 1, 1, -1], [-1, -1, -1, 1, -1], [1, 1, 1, 1, 1]], dtype=torch.float64)
    expected = [brute_force_conditional(rbm, row, i) for row in v for i in range(5) if row[i] != -1]
    got = conditional_log_probabilities(rbm, v)
    assert got.shape == (len(expected),)
    torch.testing.assert_close(got, torch.tensor(expected, dtype=torch.float64), rtol=0, atol=1e-12)


def test_pseudo_log_likelihood_is_the_mean_over_observed_entries_and_chunks_do_not_matter(monkeypatch):
    rbm = tiny_rbm(seed=2, n_visible=6, n_hidden=4)
    generator = torch.Generator().manual_seed(0)
    v = (torch.rand(50, 6, generator=generator, dtype=torch.float64) < 0.5).to(torch.float64)
    v[torch.rand(50, 6, generator=generator) < 0.3] = -1
    whole = pseudo_log_likelihood(rbm, v)
    assert whole == pytest.approx(conditional_log_probabilities(rbm, v).mean().item(), abs=1e-15)
    monkeypatch.setattr("rbm_helpers.monitoring._CHUNK", 8)  # 2 entries per chunk
    assert pseudo_log_likelihood(rbm, v) == pytest.approx(whole, abs=1e-12)


def test_a_model_that_knows_the_data_has_higher_pll_than_a_blank_one():
    # Two perfectly correlated units: a trained RBM predicts each from the other.
    v = torch.tensor([[1.0, 1.0], [0.0, 0.0]]).repeat(200, 1)
    rbm = RBM(2, 2, seed=0, dtype=torch.float64)
    before = pseudo_log_likelihood(rbm, v)
    assert before == pytest.approx(math.log(0.5), abs=1e-3)
    train(rbm, v, epochs=60, learning_rate=0.5, seed=0, progress=False)
    assert pseudo_log_likelihood(rbm, v) > math.log(0.8)


def test_monitors_add_the_gap_and_plls():
    rbm = tiny_rbm(seed=3)
    generator = torch.Generator().manual_seed(1)
    rows = (torch.rand(30, 5, generator=generator, dtype=torch.float64) < 0.4).to(torch.float64)
    callback = monitors(train_rows=rows[:20], held_out_rows=rows[20:])
    extra = callback(rbm, {})
    assert set(extra) == {"train_pll", "held_out_pll", "held_out_users_error", "gap"}
    assert extra["gap"] == free_energy_gap(rbm, rows[:20], rows[20:])
    assert extra["train_pll"] == pseudo_log_likelihood(rbm, rows[:20])
    assert set(monitors(train_rows=rows, pll=False)(rbm, {})) == set()
    history = train(rbm, rows[:20], epochs=2, seed=0, progress=False, callbacks=[callback])
    assert {"gap", "train_pll", "held_out_pll"} <= set(history.columns)


def test_plots_draw_one_line_per_series_and_name_missing_columns():
    history = pd.DataFrame({"train_error": [0.3, 0.2], "held_out_error": [0.31, 0.25]}, index=pd.Index([1, 2], name="epoch"))
    ax = plot_history(history)
    assert len(ax.lines) == 2
    ax = plot_histories({"a": history, "b": history}, "train_error", reference={"constant": 0.16})
    assert len(ax.lines) == 3
    ax = plot_sweep(pd.DataFrame({"lr": [0.1, 1.0], "auc": [0.7, 0.72]}), "lr", "auc", logx=True)
    assert ax.get_xscale() == "log"
    ax = plot_sweep(pd.DataFrame({"lr": [0.1, 1.0], "auc": [0.7, 0.72]}), "lr", "auc", reference={"blend": 0.78}, ylim=(0.5, 0.8))
    assert len(ax.lines) == 2 and ax.get_ylim() == (0.5, 0.8)
    with pytest.raises(ValueError, match="not in the history"):
        plot_history(history, ["gap"])
    with pytest.raises(ValueError, match="has no column"):
        plot_histories({"a": history}, "gap")
    plt.close("all")


def test_mean_absolute_error_pools_or_averages_per_user():
    from rbm_helpers import metrics
    from rbm_helpers.monitoring import mean_absolute_error

    test = torch.tensor([[1.0, 0.0, -1.0, -1.0], [1.0, 1.0, 1.0, 0.0]])
    scores = torch.tensor([[0.9, 0.6, 0.2, 0.1], [0.8, 0.4, 0.7, 0.3]])
    # thresholded: user 0 gets 1 wrong of 2, user 1 gets 2 wrong of 4 (0.4 -> 0 for a 1; 0.3 -> 0 for a 0 is right)
    assert mean_absolute_error(scores, test, threshold=0.5) == pytest.approx(2 / 6)
    assert mean_absolute_error(scores, test, threshold=0.5, per_user=True) == pytest.approx((1 / 2 + 1 / 4) / 2)
    assert mean_absolute_error(scores, test, threshold=0.5, per_user=True) == pytest.approx(metrics.mae_threshold(scores.double(), test))
    assert mean_absolute_error(scores, test) == pytest.approx((0.1 + 0.6 + 0.2 + 0.6 + 0.3 + 0.3) / 6)
    with pytest.raises(ValueError):
        mean_absolute_error(scores, torch.full_like(test, -1.0))
