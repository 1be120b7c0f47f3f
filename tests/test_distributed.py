"""Data-parallel training with torch.distributed: two CPU processes (gloo, 127.0.0.1) launched by torchrun.

One step's gradient split across the processes and all-reduced equals the
gradient of one process on the whole batch; and `torchrun ... -m rbm_helpers
train` scores within 0.01 RMSE of the single-process run on the same data.
"""
import importlib.util
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from rbm_helpers.sparse_rows import SparseRows, entry_free_energy

WORKERS = Path(__file__).parent / "workers"
pytestmark = pytest.mark.filterwarnings("ignore:Sparse invariant checks")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _torchrun(arguments: list[str], timeout: int = 120) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_addr", "127.0.0.1",
               "--master_port", str(_free_port()), *arguments]
    environment = {**os.environ, "OMP_NUM_THREADS": "1", "GLOO_SOCKET_IFNAME": "lo"}
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=environment)


def _shared():
    spec = importlib.util.spec_from_file_location("distributed_shared", WORKERS / "shared.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_all_reduced_gradient_equals_one_process_gradient(tmp_path):
    out = tmp_path / "gradient.pt"
    run = _torchrun([str(WORKERS / "distributed_gradient.py"), str(out)])
    assert run.returncode == 0, run.stderr[-3000:]
    distributed = torch.load(out)
    model, categories, negative = _shared().model_and_batch()
    with model.differentiable():
        loss = (entry_free_energy(model, SparseRows.from_dense(categories).batch(torch.arange(9))).mean()
                - entry_free_energy(model, SparseRows.from_dense(negative).batch(torch.arange(9))).mean())
        loss.backward()
    for name, parameter in model.trainable_parameters().items():
        torch.testing.assert_close(distributed[name], parameter.grad.to_dense(), rtol=0, atol=1e-12, msg=name)
        assert parameter.grad.to_dense().abs().max() > 0  # a gradient of zeros would pass trivially


def _train(tmp_path: Path, name: str, launcher: list[str]) -> dict:
    flags = ["--data", "synthetic", "--users", "400", "--items", "600", "--ratings", "30000", "--model", "movies-k5",
             "--epochs", "8", "--test-fraction", "0.1", "--seed", "0", "--device", "cpu", "--out", str(tmp_path / f"{name}.pt")]
    if launcher:
        run = _torchrun(["-m", "rbm_helpers", "train", *flags])
    else:
        run = subprocess.run([sys.executable, "-m", "rbm_helpers", "train", *flags], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


def test_torchrun_training_matches_one_process(tmp_path):
    one = _train(tmp_path, "one", [])
    two = _train(tmp_path, "two", ["torchrun"])
    assert (one["world_size"], two["world_size"]) == (1, 2)
    assert abs(one["held_out_rmse"] - two["held_out_rmse"]) < 0.01, (one, two)
    assert two["held_out_rmse"] < 1.0  # it learned: the global mean scores 1.14 on this split
    assert (tmp_path / "two.pt").exists()
