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
    free_energy_gap_per_like,
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
    assert set(extra) == {"train_pll", "held_out_pll", "held_out_users_error", "gap", "gap_per_like"}
    assert extra["gap"] == free_energy_gap(rbm, rows[:20], rows[20:])
    assert extra["gap_per_like"] == free_energy_gap_per_like(rbm, rows[:20], rows[20:])
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


# ---------------------------------------------------------------- the free-energy gap per liked movie
def brute_force_free_energy(rbm, row):
    """F(v) = -log sum_h exp(-E(v, h)) over every hidden state; a missing unit is absent, the same as a 0 here."""
    hidden = exact.all_states(rbm.n_hidden, dtype=torch.float64)
    v = row.clamp(min=0).expand(len(hidden), -1)
    return -torch.logsumexp(-rbm.energy(v, hidden), 0).item()


def test_free_energy_per_like_matches_brute_force():
    from rbm_helpers.monitoring import free_energy_per_like

    rbm = tiny_rbm(seed=4)
    v = torch.tensor([[1, 0, -1, 1, 0], [0, 0, 1, 1, -1], [-1, -1, -1, 1, -1], [1, 1, 1, 1, 1], [0, -1, 0, 0, -1]],
                     dtype=torch.float64)
    empty = brute_force_free_energy(rbm, torch.zeros(5, dtype=torch.float64))
    expected = [(brute_force_free_energy(rbm, row) - empty) / (row == 1).sum().item() for row in v[:4]]
    got = free_energy_per_like(rbm, v)
    torch.testing.assert_close(got[:4], torch.tensor(expected, dtype=torch.float64), rtol=0, atol=1e-12)
    assert got[4].isnan()  # no liked movie: nothing to divide by


def rows_with_counts(n_rows, n_liked, n_disliked, n_movies, generator):
    """Rows that like ``n_liked`` and dislike ``n_disliked`` movies drawn at random, the rest unrated."""
    rows = torch.full((n_rows, n_movies), -1.0, dtype=torch.float64)
    for row in rows:
        movies = torch.randperm(n_movies, generator=generator)[: n_liked + n_disliked]
        row[movies[:n_liked]] = 1.0
        row[movies[n_liked:]] = 0.0
    return rows


def test_gap_per_like_is_near_zero_without_overfitting_when_the_groups_rate_different_counts():
    from rbm_helpers.monitoring import free_energy_gap_per_like, free_energy_per_like

    # An untrained model (small weights, visible biases mostly positive as in MovieLens) cannot prefer either
    # group: both draw their movies from the same distribution. Only the counts differ, as in notebook 04
    # (held-out users rated fewer movies and liked a larger share of them).
    n_movies = 300
    rbm = RBM(n_movies, 20, seed=0, dtype=torch.float64, init_std=0.01)
    generator = torch.Generator().manual_seed(0)
    rbm.visible_bias.copy_(1.0 + 0.5 * torch.randn(n_movies, generator=generator, dtype=torch.float64))
    train_rows = rows_with_counts(300, 40, 30, n_movies, generator)
    held_out_rows = rows_with_counts(100, 15, 3, n_movies, generator)

    per_like = [free_energy_per_like(rbm, rows) for rows in (held_out_rows, train_rows)]
    standard_error = math.sqrt(sum(values.var().item() / len(values) for values in per_like))
    gap = free_energy_gap_per_like(rbm, train_rows, held_out_rows)
    assert gap == pytest.approx(per_like[0].mean().item() - per_like[1].mean().item(), abs=1e-12)
    assert abs(gap) < 4 * standard_error
    # the gap per user is mostly the 25 extra liked movies of each training row, about 25 mean(b) nats
    old_gap = free_energy_gap(rbm, train_rows, held_out_rows)
    assert old_gap > 100 * standard_error and old_gap == pytest.approx(25 * rbm.visible_bias.mean().item(), rel=0.2)


def test_gap_per_like_grows_when_a_model_memorises_its_training_rows(one_thread):
    from rbm_helpers.monitoring import free_energy_gap_per_like

    generator = torch.Generator().manual_seed(1)
    train_rows = rows_with_counts(20, 8, 4, 40, generator)
    held_out_rows = rows_with_counts(20, 8, 4, 40, generator)
    rbm = RBM(40, 30, seed=0, dtype=torch.float64)
    rbm.init_visible_bias(train_rows)
    before = free_energy_gap_per_like(rbm, train_rows, held_out_rows)
    train(rbm, train_rows, epochs=60, learning_rate=1.0, weight_decay=0.0, seed=0, progress=False)
    assert free_energy_gap_per_like(rbm, train_rows, held_out_rows) > before + 0.5


def test_gap_per_like_names_bad_input():
    from rbm_helpers.monitoring import free_energy_gap_per_like

    rbm = tiny_rbm()
    rows = torch.tensor([[1.0, 0.0, -1.0, 1.0, 0.0]], dtype=torch.float64)
    with pytest.raises(ValueError, match="held_out_rows has no row with a liked movie"):
        free_energy_gap_per_like(rbm, rows, torch.zeros(2, 5, dtype=torch.float64))
    with pytest.raises(ValueError, match="binary visible units"):
        from rbm_helpers import SoftmaxRBM

        free_energy_gap_per_like(SoftmaxRBM(5, 2, 3, seed=0), rows, rows)


# ---------------------------------------------------------------- validation monitors and early stopping
def validation_case():
    generator = torch.Generator().manual_seed(2)
    full = (torch.rand(60, 8, generator=generator) < 0.7).float()
    full[:, :4] = full[:, :1]  # the first four movies go together, so there is something to learn
    hidden = torch.rand(60, 8, generator=generator) < 0.25
    inputs = torch.where(hidden, torch.tensor(-1.0), full)
    targets = torch.where(hidden, full, torch.tensor(-1.0))
    return inputs, targets


def test_validation_monitors_are_the_error_and_auc_on_the_hidden_ratings():
    from rbm_helpers import metrics, reconstruction_error

    inputs, targets = validation_case()
    rbm = RBM(8, 4, seed=0)
    train(rbm, inputs, epochs=3, seed=0, progress=False)
    extra = monitors(validation=(inputs, targets))(rbm, {})
    assert set(extra) == {"validation_error", "validation_auc"}
    assert extra["validation_error"] == pytest.approx(reconstruction_error(rbm, inputs, targets), abs=1e-6)
    assert extra["validation_auc"] == pytest.approx(metrics.auc(rbm.reconstruct(inputs).double(), targets), abs=1e-12)
    with pytest.raises(ValueError, match="pair"):
        monitors(validation=inputs)
    with pytest.raises(ValueError, match="no hidden ratings"):
        monitors(validation=(inputs, torch.full_like(targets, -1.0)))


def test_keep_best_keeps_the_model_of_the_best_epoch(one_thread):
    from rbm_helpers.monitoring import KeepBest

    inputs, targets = validation_case()
    rbm = RBM(8, 4, seed=0)
    snapshots = {}

    def snapshot(model, record):
        snapshots[record["epoch"]] = model.weight.detach().clone()

    best = KeepBest("validation_auc")
    worst_error = KeepBest("validation_error", larger_is_better=False)
    history = train(rbm, inputs, epochs=12, learning_rate=1.0, seed=0, progress=False,
                    callbacks=[monitors(validation=(inputs, targets)), best, worst_error, snapshot])
    assert best.epoch == history["validation_auc"].idxmax() and best.value == history["validation_auc"].max()
    assert worst_error.epoch == history["validation_error"].idxmin()
    assert best.epoch != len(history) or history["validation_auc"].is_monotonic_increasing
    assert torch.equal(best.model.weight, snapshots[best.epoch])
    assert best.model is not rbm
    assert metrics_auc(best.model, inputs, targets) == pytest.approx(best.value, abs=1e-12)
    with pytest.raises(ValueError, match="put KeepBest after"):
        train(RBM(8, 4, seed=0), inputs, epochs=1, seed=0, progress=False, callbacks=[KeepBest("validation_auc")])


def metrics_auc(rbm, inputs, targets):
    from rbm_helpers import metrics

    return metrics.auc(rbm.reconstruct(inputs).double(), targets)
