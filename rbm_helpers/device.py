"""Choosing where tensors live: CPU, CUDA or Apple's MPS.

Introduced in notebook 03 (training on MovieLens), where a GPU helps most.
"""
from __future__ import annotations

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
        return torch.device(device)
    except (RuntimeError, TypeError) as error:
        raise ValueError(
            f"device must be None, 'auto', 'cpu', 'cuda' or 'mps' (or a torch.device); got {device!r}."
        ) from error
