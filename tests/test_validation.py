"""Bad input gives a ValueError that names the argument, what was expected and what was given."""
import pytest
import torch

from rbm_helpers import RBM, cd_gradient, exact, pcd_gradient, train


@pytest.fixture
def rbm():
    return RBM(4, 3, seed=0)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda r: r.free_energy(torch.zeros(2, 5)), r"v must have shape \(batch, 4\).*got shape \(2, 5\)"),
        (lambda r: r.free_energy(torch.zeros(2, 2, 4)), r"v must have shape \(batch, 4\).*got shape \(2, 2, 4\)"),
        (lambda r: r.free_energy(torch.zeros(0, 4)), r"v is an empty batch"),
        (lambda r: r.free_energy(torch.zeros(2, 4, dtype=torch.long)), r"v must be a floating-point tensor.*torch.int64"),
        (lambda r: r.free_energy([[0, 1, 0, 1]]), r"v must be a torch.Tensor.*got list"),
        (lambda r: r.free_energy(torch.tensor([[0.0, 1.0, float("nan"), 1.0]])), r"v contains NaN.*-1"),
        (lambda r: r.sample_h(torch.tensor([[0.0, 5.0, 3.0, 1.0]])), r"v must hold 0/1 values.*\[0, 5\].*raw ratings"),
        (lambda r: r.sample_h(torch.tensor([[0.0, 0.3, 1.0, 1.0]])), r"v must hold 0/1 values.*Did you pass probabilities"),
        (lambda r: r.energy(torch.tensor([[0.0, 2.0, 1.0, 1.0]]), torch.zeros(1, 3)), r"v must hold 0/1 values"),
        (lambda r: r.energy(torch.zeros(2, 4), torch.zeros(3, 3)), r"same number of rows; got 2 and 3"),
        (lambda r: r.energy(torch.zeros(1, 4), torch.ones(1, 2)), r"h must have shape \(batch, 3\)"),
        (lambda r: r.sample_v(torch.full((1, 3), 2.0)), r"h must hold hidden states or probabilities in \[0, 1\]"),
        (lambda r: r.gibbs(torch.zeros(1, 4), steps=-1), r"steps must be an integer >= 0; got -1"),
        (lambda r: cd_gradient(r, torch.zeros(1, 4), k=0), r"k must be an integer >= 1; got 0"),
        (lambda r: pcd_gradient(r, torch.zeros(1, 4), torch.zeros(2, 5)), r"chains must have shape \(batch, 4\)"),
        (lambda r: exact.log_likelihood(r, torch.full((1, 4), -1.0)), r"-1 \(unrated\) is not allowed"),
    ],
)
def test_model_inputs(rbm, call, message):
    with pytest.raises(ValueError, match=message):
        call(rbm)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"epochs": -1}, r"epochs must be an integer >= 0; got -1"),
        ({"batch_size": 0}, r"batch_size must be an integer >= 1; got 0"),
        ({"batch_size": 2.5}, r"batch_size must be an integer >= 1; got 2.5"),
        ({"learning_rate": -0.1}, r"learning_rate must be a finite number >= 0; got -0.1"),
        ({"momentum": 1.0}, r"momentum must be in \[0, 1\); got 1.0"),
        ({"weight_decay": float("nan")}, r"weight_decay must be a finite number >= 0; got nan"),
        ({"method": "cd10"}, r"method must be one of \('cd', 'pcd', 'pcd-per-row'\) or a sampler .*; got 'cd10'"),
        ({"held_out": torch.zeros(2, 3)}, r"held_out must have shape \(batch, 4\)"),
        ({"held_out": (torch.zeros(2, 4), torch.zeros(3, 4))}, r"held_out inputs and targets must have the same shape"),
    ],
)
def test_train_arguments(rbm, kwargs, message):
    with pytest.raises(ValueError, match=message):
        train(rbm, torch.zeros(8, 4), progress=False, **kwargs)


def test_train_data_is_checked_like_any_visible_batch(rbm):
    with pytest.raises(ValueError, match=r"data must hold 0/1 values \(or -1 for unrated\); got values in \[1, 5\]"):
        train(rbm, torch.randint(1, 6, (8, 4)).float(), progress=False)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"visible": 0, "n_hidden": 3}, r"n_visible must be an integer >= 1; got 0"),
        ({"visible": 4, "n_hidden": 2.0}, r"n_hidden must be an integer >= 1; got 2.0"),
        ({"visible": 4, "n_hidden": 3, "init_std": -1}, r"init_std must be a finite number >= 0; got -1"),
        ({"visible": 4, "n_hidden": 3, "dtype": torch.int32}, r"dtype must be a floating-point torch dtype"),
        ({"visible": 4, "n_hidden": 3, "seed": "1"}, r"seed must be an integer or None; got '1'"),
        ({"visible": 2.5, "n_hidden": 3}, r"visible must be a number of binary units \(an int\) or a unit layer"),
        ({"visible": 4, "n_hidden": 3, "device": "tpu"}, r"device must be None, 'auto', 'cpu', 'cuda' or 'mps'"),
    ],
)
def test_constructor_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        RBM(**kwargs)


def test_a_single_row_is_accepted_as_a_batch_of_one(rbm):
    assert rbm.free_energy(torch.tensor([0.0, 1.0, 1.0, 0.0])).shape == (1,)
