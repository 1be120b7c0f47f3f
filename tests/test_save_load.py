"""A saved RBM loads back bit for bit, and a wrong file gives a clear error."""
import pytest
import torch

from rbm_helpers import RBM, train


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_save_and_load_round_trip_exactly(tmp_path, dtype):
    rbm = RBM(7, 5, seed=3, dtype=dtype, init_std=0.3)
    data = (torch.rand(40, 7, generator=torch.Generator().manual_seed(0)) < 0.5).to(dtype)
    train(rbm, data, epochs=2, progress=False, seed=0)
    path = rbm.save(tmp_path / "models" / "tiny.pt")
    loaded = RBM.load(path)
    assert (loaded.n_visible, loaded.n_hidden, loaded.dtype, loaded.seed) == (7, 5, dtype, 3)
    for name, parameter in rbm.named_parameters():
        assert torch.equal(parameter, getattr(loaded, name)), name
    # The sampling state travels too: both continue with the same random numbers.
    assert torch.equal(rbm.gibbs(data, steps=2), loaded.gibbs(data, steps=2))
    assert not any(p.name.endswith(".partial") for p in path.parent.iterdir())


def test_loading_something_else_says_what_is_wrong(tmp_path):
    with pytest.raises(FileNotFoundError, match="No saved RBM at"):
        RBM.load(tmp_path / "missing.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a torch file")
    with pytest.raises(ValueError, match="is not a file written by RBM.save"):
        RBM.load(tmp_path / "junk.pt")
    torch.save({"weight": torch.zeros(2, 2)}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="no 'rbm_helpers/2:RBM' marker"):
        RBM.load(tmp_path / "other.pt")
