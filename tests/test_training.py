"""The training loop: it learns (exact log-likelihood rises), is reproducible, and covers every row."""
import math

import pandas as pd
import pytest
import torch

from rbm_helpers.contrastive import cd_statistics

import rbm_helpers.training as training
from rbm_helpers import RBM, exact, train
from test_exact import tiny_rbm


def teacher_samples(n=2000, seed=0):
    """Exact draws from a known tiny RBM (via its enumerated p(v)), and the teacher itself."""
    teacher = tiny_rbm(6, 4, seed=seed, scale=1.5)
    states, p = exact.visible_distribution(teacher)
    rows = torch.multinomial(p, n, replacement=True, generator=torch.Generator().manual_seed(seed))
    return states[rows], teacher


@pytest.mark.parametrize("method, k", [("cd", 1), ("pcd", 1), ("cd", 5)])
def test_training_raises_the_exact_log_likelihood(method, k):
    data, teacher = teacher_samples()
    student = RBM(6, 4, seed=1, dtype=torch.float64)
    before = exact.log_likelihood(student, data).mean().item()
    history = train(
        student, data, epochs=30, batch_size=50, learning_rate=0.1, momentum=0.5,
        k=k, method=method, seed=2, progress=False,
        callbacks=[lambda rbm, record: {"log_likelihood": exact.log_likelihood(rbm, data).mean().item()}],
    )
    after = history["log_likelihood"].iloc[-1]
    best_possible = exact.log_likelihood(teacher, data).mean().item()
    uniform = -6 * math.log(2)
    assert before == pytest.approx(uniform, abs=0.01)  # tiny initial weights: p(v) is nearly uniform
    # The student closes most of the gap between the uniform model and the teacher.
    assert after - before > 0.7 * (best_possible - before), (before, after, best_possible)
    assert history["log_likelihood"].iloc[-5:].mean() > history["log_likelihood"].iloc[:5].mean()
    assert history["train_error"].iloc[-1] < history["train_error"].iloc[0]


def test_history_columns_and_held_out_monitors():
    data, _ = teacher_samples(600)
    rbm = RBM(6, 4, seed=0)
    history = train(rbm, data[:500].float(), epochs=3, held_out=data[500:].float(), progress=False, seed=0)
    assert list(history.columns) == ["train_error", "held_out_error", "free_energy_gap", "seconds"]
    assert list(history.index) == [1, 2, 3] and history.index.name == "epoch"
    assert history.notna().all().all()
    assert (history["seconds"] > 0).all()
    no_held_out = train(RBM(6, 4, seed=0), data[:500].float(), epochs=1, progress=False)
    assert math.isnan(no_held_out["held_out_error"].iloc[0])


def test_same_seed_gives_an_identical_history_and_model():
    data, _ = teacher_samples(500)
    runs = []
    for _ in range(2):
        rbm = RBM(6, 4, seed=3)
        history = train(rbm, data.float(), epochs=4, batch_size=64, seed=5, method="pcd", progress=False)
        runs.append((rbm, history.drop(columns="seconds")))
    pd.testing.assert_frame_equal(runs[0][1], runs[1][1])
    assert torch.equal(runs[0][0].weight, runs[1][0].weight)
    other = RBM(6, 4, seed=3)
    history = train(other, data.float(), epochs=4, batch_size=64, seed=6, method="pcd", progress=False)
    assert not history.drop(columns="seconds").equals(runs[0][1])


def test_every_row_is_in_some_batch_every_epoch(monkeypatch):
    """The seed's loop stops one batch early; ours must visit all 103 rows with batches of 10."""
    seen = []
    original = training.cd_loss

    def recording(rbm, values, k, **options):
        seen.append(values[:, :7].clone())
        return original(rbm, values, k, **options)

    monkeypatch.setattr(training, "cd_loss", recording)
    n_rows = 103
    data = exact.all_states(7)[:n_rows]  # every row distinct
    train(RBM(7, 3, seed=0), data, epochs=2, batch_size=10, progress=False, seed=0)
    assert len(seen) == 2 * 11
    for epoch in range(2):
        rows = torch.cat(seen[epoch * 11 : (epoch + 1) * 11])
        assert len(rows) == n_rows and len(torch.unique(rows, dim=0)) == n_rows


def test_weight_decay_and_momentum_follow_the_documented_update():
    """Two epochs of one batch each, replayed by hand from the same random streams:
    velocity <- momentum * velocity + gradient - weight_decay * weight; weight <- weight + lr * velocity."""
    rbm, replay = tiny_rbm(), tiny_rbm()
    data = exact.all_states(6, dtype=torch.float64)[[1, 9, 33]]
    train(rbm, data, epochs=2, batch_size=3, learning_rate=0.5, momentum=0.9, weight_decay=0.1, seed=10, progress=False)
    shuffler, sampler = torch.Generator().manual_seed(10), torch.Generator().manual_seed(11)
    parameters = (replay.weight, replay.visible_bias, replay.hidden_bias)
    velocity = [torch.zeros_like(p) for p in parameters]
    for _ in range(2):
        batch = data[torch.randperm(3, generator=shuffler)]
        gradient = cd_statistics(replay, batch, 1, generator=sampler)
        for index, (parameter, speed, g) in enumerate(zip(parameters, velocity, gradient)):
            decay = 0.1 * parameter if index == 0 else 0.0
            speed.copy_(0.9 * speed + g - decay)
            parameter.add_(0.5 * speed)
    for trained, replayed in zip((rbm.weight, rbm.visible_bias, rbm.hidden_bias), parameters):
        torch.testing.assert_close(trained, replayed)


def test_progress_bar_can_be_turned_off(capsys):
    train(RBM(4, 2, seed=0), torch.ones(8, 4), epochs=2, progress=False)
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""
    train(RBM(4, 2, seed=0), torch.ones(8, 4), epochs=2, progress=True)
    assert "epoch" in capsys.readouterr().err


def test_monitor_off_skips_the_train_error_and_trains_the_same_model():
    data, _ = teacher_samples(300)
    watched, unwatched = RBM(6, 4, seed=0), RBM(6, 4, seed=0)
    on = train(watched, data.float(), epochs=2, seed=1, progress=False)
    off = train(unwatched, data.float(), epochs=2, seed=1, progress=False, monitor=False)
    assert on["train_error"].notna().all() and off["train_error"].isna().all()
    assert torch.equal(watched.weight, unwatched.weight)
