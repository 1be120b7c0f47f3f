"""The deep belief network of notebook 08 against exact computations on tiny stacks."""
import math

import pytest
import torch

from rbm_helpers import RBM, exact, train
from rbm_helpers.dbn import DeepBeliefNetwork, train_greedy, variational_bound


def teacher_data(n=3000):
    teacher = RBM(8, 4, seed=3, init_std=2.0, dtype=torch.float64)
    states, p = exact.visible_distribution(teacher)
    return states[torch.multinomial(p, n, replacement=True, generator=torch.Generator().manual_seed(0))]


def transposed(first: RBM, seed=1) -> RBM:
    """The layer that makes the stack's model equal the first RBM: weights transposed, biases swapped."""
    second = RBM(first.n_hidden, first.n_visible, seed=seed, dtype=first.dtype)
    with torch.no_grad():
        second.weight.copy_(first.weight.T)
        second.visible_bias.copy_(first.hidden_bias)
        second.hidden_bias.copy_(first.visible_bias)
    return second


def random_rbm(n_visible, n_hidden, seed):
    rbm = RBM(n_visible, n_hidden, seed=seed, init_std=1.0, dtype=torch.float64)
    g = torch.Generator().manual_seed(seed + 50)
    with torch.no_grad():
        rbm.visible_bias.copy_(torch.randn(n_visible, generator=g, dtype=torch.float64))
        rbm.hidden_bias.copy_(torch.randn(n_hidden, generator=g, dtype=torch.float64))
    return rbm


def test_a_stack_of_one_rbm_is_that_rbm():
    rbm = random_rbm(6, 3, 0)
    net = DeepBeliefNetwork.from_layers([rbm])
    v = teacher_data(20)[:, :6]
    torch.testing.assert_close(net.up(v)[0], rbm.hidden_probabilities(v), rtol=0, atol=1e-12)
    torch.testing.assert_close(net.to_sequential()(v), rbm.hidden_probabilities(v), rtol=0, atol=1e-12)


def test_the_up_pass_applies_each_layers_p_h_given_v_to_the_probabilities_below():
    layers = [random_rbm(8, 5, 0), random_rbm(5, 4, 1), random_rbm(4, 3, 2)]
    net = DeepBeliefNetwork.from_layers(layers)
    v = teacher_data(10)
    expected, values = [], v
    for layer in layers:
        values = torch.sigmoid(values @ layer.weight + layer.hidden_bias)
        expected.append(values)
    for got, want in zip(net.up(v), expected):
        torch.testing.assert_close(got, want, rtol=0, atol=1e-12)
    torch.testing.assert_close(net.to_sequential()(v), expected[-1], rtol=0, atol=1e-12)


def test_the_down_pass_applies_each_layers_p_v_given_h():
    layers = [random_rbm(8, 5, 0), random_rbm(5, 4, 1), random_rbm(4, 3, 2)]
    net = DeepBeliefNetwork.from_layers(layers)
    top = exact.all_states(4, dtype=torch.float64)  # states of the top RBM's visible units
    h1 = layers[1].visible_probabilities(top)
    torch.testing.assert_close(net.down(top), layers[0].visible_probabilities(h1), rtol=0, atol=1e-12)


def test_the_bound_equals_log_p_with_a_transposed_second_layer_and_rises_when_it_is_trained():
    data = teacher_data()
    first = RBM(8, 4, seed=0, init_std=1.0, dtype=torch.float64)
    train(first, data, epochs=1, learning_rate=0.01, seed=0, progress=False)  # barely trained: room for a second layer
    net = DeepBeliefNetwork.from_layers([first, transposed(first)])
    before = variational_bound(net, data).mean().item()
    assert before == pytest.approx(exact.log_likelihood(first, data).mean().item(), abs=1e-10)
    train_greedy(net, data, layers=[1], epochs=20, learning_rate=0.05, seed=0)
    after = variational_bound(net, data).mean().item()
    assert after > before + 0.05  # measured: -5.735 -> -5.589 nats per example
    assert torch.equal(net.layers[0].weight, first.weight)  # greedy: the first layer is left alone


def test_samples_of_a_stack_with_a_transposed_top_follow_the_first_rbm():
    first = random_rbm(6, 3, 4)
    net = DeepBeliefNetwork.from_layers([first, transposed(first)])
    n = 20000
    probabilities = net.sample(n, steps=100, seed=0)
    samples = torch.bernoulli(probabilities, generator=torch.Generator().manual_seed(1))
    states, p = exact.visible_distribution(first)
    codes = (samples * 2 ** torch.arange(5, -1, -1, dtype=samples.dtype)).sum(1).long()
    frequencies = torch.bincount(codes, minlength=64).double() / n
    tv = 0.5 * (frequencies - p).abs().sum().item()
    bound = 0.5 * torch.sqrt(p * (1 - p) / n).sum().item() + math.sqrt(math.log(1e4) / (2 * n))
    assert tv < bound


def test_greedy_training_trains_each_layer_on_samples_of_the_one_below():
    data = teacher_data(600)
    net = DeepBeliefNetwork(8, [6, 4], seed=0, dtype=torch.float64)
    histories = train_greedy(net, data, epochs=3, learning_rate=0.1, seed=0)
    assert len(histories) == 2 and all(len(h) == 3 for h in histories)
    assert net.sizes == [8, 6, 4]


def test_save_and_load_round_trip(tmp_path):
    net = DeepBeliefNetwork(8, [5, 3], seed=0)
    path = net.save(tmp_path / "dbn.pt")
    loaded = DeepBeliefNetwork.load(path)
    assert all(torch.equal(a, b) for a, b in zip(net.state_dict().values(), loaded.state_dict().values()))
    RBM(4, 2).save(tmp_path / "rbm.pt")
    with pytest.raises(ValueError, match="rbm.pt is not a file written by DeepBeliefNetwork.save"):
        DeepBeliefNetwork.load(tmp_path / "rbm.pt")


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: DeepBeliefNetwork(8, []), "hidden_sizes must name at least one"),
        (lambda: DeepBeliefNetwork(8, [4, 0]), "hidden_sizes must be an integer >= 1"),
        (lambda: DeepBeliefNetwork.from_layers([RBM(8, 5), RBM(4, 3)]), "the 5 binary hidden units of the layer below"),
        (lambda: variational_bound(DeepBeliefNetwork(4, [3]), torch.zeros(1, 4)), "exactly two RBMs"),
    ],
)
def test_bad_stacks_are_refused(make, message):
    with pytest.raises(ValueError, match=message):
        make()
