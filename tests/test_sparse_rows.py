"""Training from entries (rbm_helpers.sparse_rows, lazy_sgd): the same numbers as the dense path, row by row."""
import pytest
import torch

from rbm_helpers import RBM, Gaussian, train
from rbm_helpers.contrastive import cd_loss
from rbm_helpers.lazy_sgd import LazySGD
from rbm_helpers.softmax import SoftmaxRBM
from rbm_helpers.softmax_conditional import ConditionalSoftmaxRBM, train_conditional
from rbm_helpers.sparse import ObservedPattern
from rbm_helpers.sparse_rows import SparseRows, entry_cd_loss, entry_free_energy, entry_reconstruction_error
from rbm_helpers.training import reconstruction_error

pytestmark = pytest.mark.filterwarnings("ignore:Sparse invariant checks")


def _model(kind: str):
    options = dict(seed=1, dtype=torch.float64, init_std=0.5)
    if kind == "bernoulli":
        return RBM(12, 5, **options), 2
    if kind == "softmax":
        return SoftmaxRBM(12, 4, 5, **options), 4
    model = ConditionalSoftmaxRBM(12, 4, 5, tied=True, conditional=False, **options)
    model.tied_weight.normal_(0, 0.3, generator=torch.Generator().manual_seed(2))
    return model, 4


def _rows(n_categories: int, n_rows: int = 9, n_units: int = 12, seed: int = 0, missing: float = 0.5) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    categories = torch.randint(0, n_categories, (n_rows, n_units), generator=generator)
    categories[torch.rand(n_rows, n_units, generator=generator) < missing] = -1
    return categories


def _dense_input(model, categories: torch.Tensor) -> torch.Tensor:
    return categories if isinstance(model, SoftmaxRBM) else categories.double()


KINDS = ["bernoulli", "softmax", "tied"]


@pytest.mark.parametrize("kind", KINDS)
def test_store_round_trip_and_free_energy(kind):
    model, n_categories = _model(kind)
    categories = _rows(n_categories)
    rows = SparseRows.from_dense(categories)
    assert torch.equal(rows.to_dense(), categories)
    assert rows.n_entries == int((categories != -1).sum())
    batch = rows.batch(torch.tensor([3, 0, 7]))
    assert batch.row.tolist() == sorted(batch.row.tolist())
    expected = model.free_energy(_dense_input(model, categories[[3, 0, 7]]))
    torch.testing.assert_close(entry_free_energy(model, batch), expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("k", [1, 3])
def test_cd_loss_and_gradient_equal_the_dense_path(kind, k):
    model, n_categories = _model(kind)
    categories = _rows(n_categories)
    values, observed = model.encode(_dense_input(model, categories))
    gradients = []
    with model.differentiable():
        for compute in (
            lambda g: cd_loss(model, values, k, pattern=ObservedPattern.of(observed), generator=g),
            lambda g: entry_cd_loss(model, SparseRows.from_dense(categories).batch(torch.arange(9)), k, generator=g),
        ):
            model.zero_grad(set_to_none=True)
            loss = compute(torch.Generator().manual_seed(5))
            loss.backward()
            gradients.append({name: p.grad.to_dense() for name, p in model.named_parameters() if p.grad is not None})
    dense, entries = gradients
    assert dense.keys() == entries.keys()
    for name in dense:
        torch.testing.assert_close(entries[name], dense[name], rtol=0, atol=1e-12, msg=name)


def test_weight_gradient_is_row_sparse():
    model, _ = _model("softmax")
    categories = _rows(4)
    categories[:, 5] = -1  # nobody in the batch holds unit 5
    batch = SparseRows.from_dense(categories).batch(torch.arange(9))
    with model.differentiable():
        entry_cd_loss(model, batch, 1, generator=torch.Generator().manual_seed(0)).backward()
    assert model.weight.grad.is_sparse and model.visible_bias.grad.is_sparse
    assert torch.unique(model.weight.grad.coalesce().indices()[0]).tolist() == torch.unique(batch.unit).tolist()
    assert 5 not in model.weight.grad.coalesce().indices()[0].tolist()


def test_training_from_entries_equals_dense_training():
    categories = _rows(5, n_rows=40, n_units=20, seed=3, missing=0.9)  # most units skip most batches
    models = []
    for data in (categories, SparseRows.from_dense(categories)):
        model = ConditionalSoftmaxRBM(20, 5, 6, tied=True, conditional=False, seed=1, dtype=torch.float64, init_std=0.1)
        model.init_visible_bias(categories)
        history = train_conditional(model, data, epochs=3, batch_size=7, learning_rate=0.3, momentum=0.6, weight_decay=0.01,
                                    seed=3, progress=False, tied_learning_rate=0.02)
        models.append((model, history))
    (dense, dense_history), (sparse, sparse_history) = models
    for name, parameter in dense.named_parameters():
        torch.testing.assert_close(dict(sparse.named_parameters())[name], parameter, rtol=0, atol=1e-10, msg=name)
    torch.testing.assert_close(torch.tensor(sparse_history["train_error"].values), torch.tensor(dense_history["train_error"].values))
    assert entry_reconstruction_error(sparse, SparseRows.from_dense(categories)) == pytest.approx(reconstruction_error(dense, categories), abs=1e-10)


def test_binary_training_from_entries_equals_dense_training():
    categories = _rows(2, n_rows=30, n_units=15, seed=4, missing=0.9)
    models = []
    for data in (categories.double(), SparseRows.from_dense(categories)):
        model = RBM(15, 4, seed=2, dtype=torch.float64)
        train(model, data, epochs=2, batch_size=8, learning_rate=0.5, momentum=0.5, weight_decay=1e-3, seed=1, progress=False)
        models.append(model)
    for name, parameter in models[0].named_parameters():
        torch.testing.assert_close(dict(models[1].named_parameters())[name], parameter, rtol=0, atol=1e-10, msg=name)


@pytest.mark.parametrize("settings", [dict(lr=0.3, momentum=0.7, weight_decay=0.05), dict(lr=0.1, momentum=0.0, weight_decay=0.2)])
def test_lazy_sgd_equals_torch_sgd(settings):
    generator = torch.Generator().manual_seed(0)
    start = torch.randn(50, 3, 4, dtype=torch.float64, generator=generator)
    reference, lazy = torch.nn.Parameter(start.clone()), torch.nn.Parameter(start.clone())
    torch_sgd, lazy_sgd = torch.optim.SGD([reference], **settings), LazySGD([lazy], **settings)
    for step in range(30):
        if step == 20:  # a change of learning rate: the lagging rows catch up under the old one first
            for optimizer in (torch_sgd, lazy_sgd):
                optimizer.param_groups[0]["lr"] /= 2
        rows = torch.randperm(50, generator=generator)[:4]
        values = torch.randn(4, 3, 4, dtype=torch.float64, generator=generator)
        dense = torch.zeros_like(start)
        dense[rows] = values
        reference.grad = dense
        torch_sgd.step()
        lazy.grad = torch.sparse_coo_tensor(rows.sort().values.unsqueeze(0), values[rows.argsort()], start.shape)
        lazy_sgd.step()
    lazy_sgd.flush()
    torch.testing.assert_close(lazy.detach(), reference.detach(), rtol=0, atol=1e-12)


def test_store_refuses_bad_entries():
    with pytest.raises(ValueError, match="more than once"):
        SparseRows.from_entries([0, 0], [1, 1], [2, 3], n_rows=1, n_units=2)
    with pytest.raises(ValueError, match=r"units must be whole numbers in \[0, 2\)"):
        SparseRows.from_entries([0], [2], [1], n_rows=1, n_units=2)
    with pytest.raises(ValueError, match="same length"):
        SparseRows.from_entries([0, 1], [1], [1], n_rows=2, n_units=2)


def test_training_from_entries_refuses_what_it_cannot_do():
    rows = SparseRows.from_dense(_rows(2))
    with pytest.raises(ValueError, match="binary or softmax"):
        train(RBM(Gaussian(12), 3), rows, epochs=1, progress=False)
    with pytest.raises(ValueError, match="conditional"):
        train(ConditionalSoftmaxRBM(12, 2, 3, conditional=True), rows, epochs=1, progress=False)
    with pytest.raises(ValueError, match="method='cd'"):
        train(RBM(12, 3), rows, epochs=1, method="pcd-per-row", progress=False)
    with pytest.raises(ValueError, match="12 visible units|has 12"):
        train(RBM(11, 3), rows, epochs=1, progress=False)
    with pytest.raises(ValueError, match="category 3"):
        train(SoftmaxRBM(12, 3, 3), SparseRows.from_dense(_rows(4)), epochs=1, progress=False)
