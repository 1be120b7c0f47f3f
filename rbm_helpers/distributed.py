"""Data-parallel training with PyTorch's own engine, ``torch.distributed`` (launched by ``torchrun``).

Every process holds the whole model, takes its share of each mini-batch, and
the gradients are summed across processes before every optimizer step, so
that all processes take the same step and stay identical: the gradient is
that of one process seeing the whole batch. Dense gradients are summed with
``all_reduce``; sparse ones (``rbm_helpers.sparse_rows``) are gathered
with ``all_gather`` and added, since only a few rows are non-zero.
``gloo`` runs on CPUs, ``nccl`` on GPUs; ``init_from_environment`` reads what
``torchrun`` sets. Introduced with the command line (README, "Training at scale").
"""
from __future__ import annotations

import os
from typing import Iterable

import torch
import torch.distributed as dist

__all__ = ["all_reduce_gradients", "finish", "init_from_environment", "process_group"]


def process_group() -> tuple[int, int]:
    """(rank, world size) of this process: (0, 1) when ``torch.distributed`` is not running."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def init_from_environment(device: torch.device) -> tuple[int, int]:
    """Join the process group ``torchrun`` describes (``WORLD_SIZE`` > 1), with gloo on CPUs and nccl on GPUs.

    Returns (rank, world size); without torchrun's variables, (0, 1) and nothing is started.
    """
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1 or (dist.is_available() and dist.is_initialized()):
        return process_group()
    if not dist.is_available():
        raise ValueError("WORLD_SIZE > 1 but this torch build has no torch.distributed; run one process.")
    backend = "nccl" if device.type == "cuda" else "gloo"
    if device.type == "cuda":
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    dist.init_process_group(backend=backend)
    return process_group()


def finish() -> None:
    """Leave the process group, if one was started."""
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def all_reduce_gradients(parameters: Iterable[torch.Tensor]) -> None:
    """Replace each parameter's gradient by its sum over all processes (dense or sparse)."""
    for parameter in parameters:
        grad = parameter.grad
        if grad is None:
            continue
        if not grad.is_sparse:
            dist.all_reduce(grad)
            continue
        parameter.grad = _all_gather_rows(grad.coalesce())


def _all_gather_rows(grad: torch.Tensor) -> torch.Tensor:
    """The sum over processes of a sparse gradient, as a coalesced sparse tensor on every process."""
    world = dist.get_world_size()
    indices, values = grad.indices(), grad.values()
    sizes = [torch.zeros(1, dtype=torch.long, device=indices.device) for _ in range(world)]
    dist.all_gather(sizes, torch.tensor([indices.shape[1]], device=indices.device))
    largest = int(max(size.item() for size in sizes))
    padded_indices = indices.new_zeros((indices.shape[0], largest))
    padded_values = values.new_zeros((largest,) + tuple(values.shape[1:]))
    padded_indices[:, : indices.shape[1]], padded_values[: values.shape[0]] = indices, values
    all_indices = [torch.empty_like(padded_indices) for _ in range(world)]
    all_values = [torch.empty_like(padded_values) for _ in range(world)]
    dist.all_gather(all_indices, padded_indices)
    dist.all_gather(all_values, padded_values)
    counts = [int(size.item()) for size in sizes]
    indices = torch.cat([part[:, :count] for part, count in zip(all_indices, counts)], dim=1)
    values = torch.cat([part[:count] for part, count in zip(all_values, counts)])
    return torch.sparse_coo_tensor(indices, values, grad.shape).coalesce()
