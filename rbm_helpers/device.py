"""Choosing where tensors live: CPU, CUDA or Apple's MPS.

Introduced in notebook 03 (training on MovieLens), where a GPU helps most.
"""
from __future__ import annotations

import contextlib
from typing import Iterator

import torch


def resolve_device(device: str | torch.device | None = None) -> torch.device:
    """The torch device to use: ``"auto"`` picks CUDA, then MPS, then the CPU.

    ``None`` means the CPU, so that results are reproducible by default; any
    other value is passed to ``torch.device``.
    Introduced in notebook 03 (training on MovieLens).
    """
    if device is None:
        return torch.device("cpu")
    if isinstance(device, str) and device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError) as error:
        raise ValueError(
            f"device must be None, 'auto', 'cpu', 'cuda' or 'mps' (or a torch.device); got {device!r}."
        ) from error
    if resolved.type != "cpu" and resolved not in available_devices(include_indices=resolved.index is not None):
        raise ValueError(
            f"device {str(resolved)!r} is not available on this machine; available: "
            f"{', '.join(str(d) for d in available_devices())}. Use device='auto' to take the best one there is."
        )
    return resolved


def available_devices(*, include_indices: bool = False) -> list[torch.device]:
    """The devices torch can use here: the CPU, each CUDA GPU, Apple's MPS.

    Introduced in notebook 03 (training on MovieLens, where a GPU helps most).
    """
    devices = [torch.device("cpu")]
    if torch.cuda.is_available():
        devices.append(torch.device("cuda"))
        if include_indices:
            devices += [torch.device("cuda", i) for i in range(torch.cuda.device_count())]
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        devices.append(torch.device("mps"))
        if include_indices:
            devices.append(torch.device("mps", 0))
    return devices


@contextlib.contextmanager
def single_thread() -> Iterator[None]:
    """Run the block with one torch thread, then restore the caller's setting.

    Matrix products summed in another order by another number of threads can
    differ in the last bit, and a Bernoulli draw at the boundary then flips:
    one thread makes a model's numbers the same whoever calls ``evaluate``.
    On the small matrices of ml-100k one thread is also as fast as two.
    Introduced in notebook 05 (recommend and evaluate); the Ising sampler uses it too (notebook 09).
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
