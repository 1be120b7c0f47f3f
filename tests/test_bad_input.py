"""A catalogue of bad input to the model side of rbm_helpers: each is refused clearly, by us, changing nothing.

The data module and the command line have their own catalogue
(``test_bad_input_data.py``); this one covers the model, its unit layers,
training, exact computations, estimators, samplers and checkpoints. For every
case: the exception type, that the message names the argument or the file,
that the innermost frame of the traceback is inside rbm_helpers (our own
check, not an error from inside torch), and that nothing changed: the model's
parameters are bit-identical and the test's folder holds the same files.
Faults while saving (a full disk, a folder in the way) run in-process with the
writer made to fail; nothing half-written may stay behind.
"""
from __future__ import annotations

import errno
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest
import torch

import rbm_helpers
from rbm_helpers import RBM, ais, cd_gradient, exact, pcd_gradient, reconstruction_error, train
from rbm_helpers import checkpoints
from rbm_helpers.samplers import ParallelTempering
from rbm_helpers.softmax import SoftmaxRBM
from rbm_helpers.softmax_conditional import ConditionalSoftmaxRBM
from rbm_helpers.training import TrainingDivergedError
from rbm_helpers.units import Gaussian, Softmax
from test_bad_input_data import raised_by_us, snapshot

DATA = (torch.rand(40, 6, generator=torch.Generator().manual_seed(0)) < 0.5).float()


def model() -> RBM:
    return RBM(6, 3, seed=0)


@dataclass
class Case:
    call: Callable[[RBM, Path], object]
    names: tuple[str, ...]  # each must appear in the message
    error: type[BaseException] = ValueError


def checkpoint(tmp: Path, **changes) -> Path:
    """A real checkpoint of ``model()`` with some of its parts replaced."""
    path = tmp / "model.pt"
    model().save(path)
    state = torch.load(path, weights_only=True)
    for key, value in changes.items():
        if value is None:
            state.pop(key)
        else:
            state[key] = value
    torch.save(state, path)
    return path


def with_parameter(tmp: Path, name: str, value) -> Path:
    state = torch.load(checkpoint(tmp), weights_only=True)
    state["parameters"][name] = value
    torch.save(state, tmp / "model.pt")
    return tmp / "model.pt"


CASES = {
    # ---- constructing a model
    "visible float": Case(lambda m, t: RBM(2.5, 3), ("visible",)),
    "visible bool": Case(lambda m, t: RBM(True, 3), ("visible",)),
    "n_hidden zero": Case(lambda m, t: RBM(4, 0), ("n_hidden",)),
    "n_hidden str": Case(lambda m, t: RBM(4, "3"), ("n_hidden",)),
    "seed str": Case(lambda m, t: RBM(4, 3, seed="x"), ("seed",)),
    "init_std negative": Case(lambda m, t: RBM(4, 3, init_std=-1.0), ("init_std",)),
    "init_std nan": Case(lambda m, t: RBM(4, 3, init_std=math.nan), ("init_std",)),
    "dtype int": Case(lambda m, t: RBM(4, 3, dtype=torch.int32), ("dtype",)),
    "device unknown": Case(lambda m, t: RBM(4, 3, device="tpu"), ("device",)),
    "device absent": Case(lambda m, t: RBM(4, 3, device="cuda:7"), ("cuda:7", "not available")),
    "too big visible": Case(lambda m, t: RBM(10**12, 3), ("GiB", "MEMORY_LIMIT_BYTES")),
    "too big both": Case(lambda m, t: RBM(10**6, 10**6), ("GiB", "MEMORY_LIMIT_BYTES")),
    "too big softmax": Case(lambda m, t: SoftmaxRBM(10**5, 5, 10**5), ("GiB", "MEMORY_LIMIT_BYTES")),
    "softmax one category": Case(lambda m, t: Softmax(4, 1), ("n_categories",)),
    "gaussian zero units": Case(lambda m, t: Gaussian(0), ("n",)),
    "conditional flag": Case(lambda m, t: ConditionalSoftmaxRBM(3, 2, 2, tied="yes"), ("tied",)),
    # ---- visible and hidden values
    "v list": Case(lambda m, t: m.free_energy([[0, 1, 0, 1, 0, 1]]), ("v", "torch.Tensor")),
    "v wrong width": Case(lambda m, t: m.free_energy(torch.zeros(2, 5)), ("v", "shape")),
    "v empty": Case(lambda m, t: m.free_energy(torch.zeros(0, 6)), ("v", "empty")),
    "v int dtype": Case(lambda m, t: m.free_energy(torch.zeros(2, 6, dtype=torch.long)), ("v", "dtype")),
    "v nan": Case(lambda m, t: m.free_energy(torch.full((1, 6), math.nan)), ("v", "NaN")),
    "v inf": Case(lambda m, t: m.free_energy(torch.tensor([[0.0, math.inf, 1, 0, 1, 0]])), ("v", "inf")),
    "v raw ratings": Case(lambda m, t: m.free_energy(torch.tensor([[0.0, 5, 3, 1, 0, 1]])), ("v", "raw ratings")),
    "v probabilities": Case(lambda m, t: m.free_energy(torch.full((1, 6), 0.3)), ("v", "probabilities")),
    "v sparse": Case(lambda m, t: m.free_energy(DATA[:2].to_sparse()), ("v", "sparse", "to_dense")),
    "v sparse csr": Case(lambda m, t: m.hidden_probabilities(DATA[:2].to_sparse_csr()), ("v", "sparse")),
    "h out of range": Case(lambda m, t: m.visible_probabilities(torch.full((1, 3), 2.0)), ("h", "[0, 1]")),
    "h wrong width": Case(lambda m, t: m.sample_v(torch.zeros(1, 4)), ("h", "shape")),
    "energy rows differ": Case(lambda m, t: m.energy(DATA[:2], torch.zeros(3, 3)), ("v and h", "rows")),
    "beta zero": Case(lambda m, t: m.free_energy(DATA[:2], beta=0), ("beta",)),
    "beta inf": Case(lambda m, t: m.gibbs(DATA[:2], beta=math.inf), ("beta",)),
    "gibbs steps negative": Case(lambda m, t: m.gibbs(DATA[:2], steps=-1), ("steps",)),
    "condition on plain model": Case(lambda m, t: m.hidden_probabilities(DATA[:2], condition=torch.ones(2, 6)), ("condition",)),
    "softmax raw stars": Case(lambda m, t: SoftmaxRBM(4, 5, 2).free_energy(torch.tensor([[1, 5, 3, 2]])), ("v", "categories_from_ratings")),
    "softmax one-hot": Case(lambda m, t: SoftmaxRBM(4, 3, 2).free_energy(torch.zeros(1, 4, 3)), ("v", "one-hot")),
    "gaussian missing": Case(lambda m, t: RBM(Gaussian(3), 2).free_energy(torch.tensor([[0.0, math.nan, 1.0]])), ("v", "NaN")),
    "predict bad index": Case(lambda m, t: SoftmaxRBM(4, 3, 2).predict(torch.zeros(2, 4, dtype=torch.long), torch.tensor([0, 5]), torch.tensor([0, 1])), ("users",)),
    # ---- training
    "train not a model": Case(lambda m, t: train("rbm", DATA), ("rbm",)),
    "train epochs float": Case(lambda m, t: train(m, DATA, epochs=2.5, progress=False), ("epochs",)),
    "train batch zero": Case(lambda m, t: train(m, DATA, batch_size=0, progress=False), ("batch_size",)),
    "train k zero": Case(lambda m, t: train(m, DATA, k=0, progress=False), ("k",)),
    "train lr negative": Case(lambda m, t: train(m, DATA, learning_rate=-0.1, progress=False), ("learning_rate",)),
    "train lr nan": Case(lambda m, t: train(m, DATA, learning_rate=math.nan, progress=False), ("learning_rate",)),
    "train momentum one": Case(lambda m, t: train(m, DATA, momentum=1.0, progress=False), ("momentum",)),
    "train method": Case(lambda m, t: train(m, DATA, method="cd10", progress=False), ("method",)),
    "train seed str": Case(lambda m, t: train(m, DATA, seed="x", progress=False), ("seed",)),
    "train seed bool": Case(lambda m, t: train(m, DATA, seed=True, progress=False), ("seed",)),
    "train all missing": Case(lambda m, t: train(m, torch.full((5, 6), -1.0), progress=False), ("data", "no observed")),
    "train pcd with missing": Case(lambda m, t: train(m, torch.tensor([[1.0, -1, 0, 1, 0, 1]] * 4), method="pcd", progress=False), ("pcd-per-row",)),
    "train optimizer": Case(lambda m, t: train(m, DATA, optimizer="adam", progress=False), ("optimizer",)),
    "train learning_rates": Case(lambda m, t: train(m, DATA, learning_rates={"tied_weight": 0.1}, progress=False), ("learning_rates", "tied_weight")),
    "train callback number": Case(lambda m, t: train(m, DATA, epochs=1, callbacks=[lambda r, rec: 3], progress=False), ("callback",)),
    "train held_out pair": Case(lambda m, t: train(m, DATA, held_out=(DATA, DATA, DATA), progress=False), ("held_out",)),
    "train held_out shapes": Case(lambda m, t: train(m, DATA, held_out=(DATA[:3], DATA[:4]), progress=False), ("held_out",)),
    "train float16 huge rate": Case(lambda m, t: train(RBM(6, 3, dtype=torch.float16), DATA.half(), learning_rate=1e6, progress=False), ("learning_rate", "float16")),
    "reconstruction all missing": Case(lambda m, t: reconstruction_error(m, DATA[:3], torch.full((3, 6), -1.0)), ("targets", "no observed")),
    "cd k zero": Case(lambda m, t: cd_gradient(m, DATA, k=0), ("k",)),
    "pcd chains width": Case(lambda m, t: pcd_gradient(m, DATA, torch.zeros(2, 5)), ("chains",)),
    # ---- exact computations and estimators
    "all_states float": Case(lambda m, t: exact.all_states(2.5), ("n_units",)),
    "all_states negative": Case(lambda m, t: exact.all_states(-1), ("n_units",)),
    "all_states too many": Case(lambda m, t: exact.all_states(21), ("2,097,152",)),
    "exact too many states": Case(lambda m, t: exact.log_partition(RBM(30, 25)), ("n_visible=30", "n_hidden=25")),
    "exact too much memory": Case(lambda m, t: exact.log_partition(RBM(1000, 20)), ("GiB", "ENUMERATION_LIMIT_BYTES")),
    "exact gaussian distribution": Case(lambda m, t: exact.visible_distribution(RBM(Gaussian(2), 2)), ("real-valued",)),
    "exact not a model": Case(lambda m, t: exact.log_partition("rbm"), ("RBM",)),
    "exact missing": Case(lambda m, t: exact.log_likelihood(m, torch.full((1, 6), -1.0)), ("-1", "not allowed")),
    "ais chains": Case(lambda m, t: ais.log_partition(m, chains=0), ("chains",)),
    "ais base shape": Case(lambda m, t: ais.log_partition(m, base_bias=torch.zeros(3)), ("base_bias",)),
    "ais estimate type": Case(lambda m, t: ais.log_likelihood(m, DATA, 3.0), ("estimate",)),
    "tempering betas": Case(lambda m, t: ParallelTempering([0.5, 1.0], DATA[:2]), ("betas",)),
    # ---- checkpoints
    "load missing file": Case(lambda m, t: RBM.load(t / "absent.pt"), ("absent.pt",), FileNotFoundError),
    "load a folder": Case(lambda m, t: RBM.load(t), (str(Path("x")).strip("x") or "/", "folder"), FileNotFoundError),
    "load junk": Case(lambda m, t: (t / "junk.pt").write_bytes(b"junk") and RBM.load(t / "junk.pt"), ("junk.pt",)),
    "load no marker": Case(lambda m, t: RBM.load(checkpoint(t, format=None)), ("model.pt", "marker")),
    "load other class": Case(lambda m, t: RBM.load(SoftmaxRBM(3, 2, 2).save(t / "soft.pt")), ("soft.pt", "SoftmaxRBM")),
    "load no sizes": Case(lambda m, t: RBM.load(checkpoint(t, arguments=None)), ("model.pt", "arguments")),
    "load sizes wrong": Case(lambda m, t: RBM.load(checkpoint(t, arguments={"visible": {"type": "Bernoulli", "n": 5}, "n_hidden": 3})), ("model.pt", "weight")),
    "load sizes huge": Case(lambda m, t: RBM.load(checkpoint(t, arguments={"visible": {"type": "Bernoulli", "n": 10**12}, "n_hidden": 3})), ("model.pt",)),
    "load unit type": Case(lambda m, t: RBM.load(checkpoint(t, arguments={"visible": {"type": "Ising", "n": 6}, "n_hidden": 3})), ("model.pt", "Ising")),
    "load dtype": Case(lambda m, t: RBM.load(checkpoint(t, dtype="int64")), ("model.pt", "dtype")),
    "load parameter shape": Case(lambda m, t: RBM.load(with_parameter(t, "weight", torch.zeros(2, 2))), ("model.pt", "weight")),
    "load parameter type": Case(lambda m, t: RBM.load(with_parameter(t, "weight", "zeros")), ("model.pt", "tensor")),
    "load parameters missing": Case(lambda m, t: RBM.load(checkpoint(t, parameters={})), ("model.pt", "parameters")),
    "load generator damaged": Case(lambda m, t: RBM.load(checkpoint(t, generator_state=torch.zeros(3, dtype=torch.uint8))), ("model.pt", "generator")),
    "save onto a folder": Case(lambda m, t: m.save(t), (str(t) if False else "folder",), IsADirectoryError),
    "save below a file": Case(lambda m, t: (t / "file").write_text("x") and m.save(t / "file" / "model.pt"), ("file", "is a file"), NotADirectoryError),
}


@pytest.mark.parametrize("name", CASES)
def test_bad_input_is_refused_by_our_check_and_changes_nothing(name, tmp_path):
    case = CASES[name]
    rbm = model()
    before = {key: value.clone() for key, value in rbm.state_dict().items()}
    case_folder = tmp_path / "work"
    case_folder.mkdir()
    setup_files = None
    with pytest.raises(case.error) as caught:
        setup_files = snapshot(case_folder)
        case.call(rbm, case_folder)
    message = str(caught.value)
    for expected in case.names:
        assert expected in message, f"{expected!r} not in {message!r}"
    assert raised_by_us(caught.value), f"raised from inside {caught.traceback[-1].path}"
    assert all(torch.equal(before[key], value) for key, value in rbm.state_dict().items())
    leftovers = [p.name for p in case_folder.rglob("*.partial")]
    assert not leftovers, leftovers
    del setup_files


def test_training_that_diverges_stops_with_a_message_naming_the_rate():
    with pytest.raises(TrainingDivergedError, match=r"epoch 1.*learning_rate=1e\+06"):
        train(model(), DATA, learning_rate=1e6, progress=False)


@pytest.mark.parametrize("failure", [OSError(errno.ENOSPC, "No space left on device"), KeyboardInterrupt()])
def test_a_save_that_fails_midway_leaves_nothing_behind(tmp_path, monkeypatch, failure):
    """A full disk (or Ctrl-C) while writing: the error propagates, no temp file stays, an old file is intact."""
    path = tmp_path / "model.pt"
    model().save(path)
    old = path.read_bytes()

    def failing_save(state, file):
        file.write(b"half a model")
        raise failure

    monkeypatch.setattr(checkpoints.torch, "save", failing_save)
    with pytest.raises(type(failure)):
        RBM(6, 3, seed=1).save(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.pt"] and path.read_bytes() == old


def test_the_catalogue_is_a_catalogue():
    assert len(CASES) >= 60
    assert rbm_helpers.__name__ == "rbm_helpers"
