"""Saving and loading models: one file format for every model of the package.

A checkpoint is a ``torch.save`` file holding plain data only (loaded with
``weights_only=True``, so no pickled code can run): a format marker with the
class name, the constructor's arguments, the seed, ``init_std``, the dtype,
the parameters and the sampling generator's state. ``save`` writes a
temporary file in the same folder, flushes it to disk and renames it, so a
crash never leaves half a model under the real name and a failure leaves
nothing behind; ``load`` checks every part and names the file in every error.
Introduced in notebook 03 (training on MovieLens).
"""
from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Callable

import torch

if TYPE_CHECKING:
    from .model import RBM

FORMAT = "rbm_helpers/2"
"""The marker every checkpoint of this version starts with."""

MAX_LOAD_ELEMENTS = 2**31
"""The most parameter entries ``load`` accepts (8 GiB of float32) before allocating anything."""


def _format(cls: type) -> str:
    return f"{FORMAT}:{cls.__name__}"


def model_state(model: "RBM") -> dict:
    """Everything ``save`` writes about ``model``, as plain data (tensors, numbers, strings, dicts).

    Introduced in notebook 03 (training on MovieLens); a deep belief network stores one per layer (notebook 08).
    """
    state = {
        "format": _format(type(model)),
        "arguments": model.constructor_arguments(),
        "seed": model.seed,
        "init_std": model.init_std,
        "dtype": str(model.dtype).removeprefix("torch."),
        "parameters": {name: p.detach().cpu().clone() for name, p in model.named_parameters()},
    }
    generator = model.generator
    if generator is not None:
        state["generator_state"] = generator.get_state().cpu()
    return state


def write_atomically(state: dict, path: str | Path, what: str = "the model") -> Path:
    """``torch.save(state)`` to ``path`` through a temporary file in the same folder: fsync, then rename.

    A crash never leaves half a file under the real name, and a failure
    leaves nothing behind. Introduced in notebook 03 (training on MovieLens).
    """
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"Cannot save {what} to {path}: it is a folder. Give a file name such as {path / 'model.pt'}.")
    for parent in path.parents:
        if parent.exists() and not parent.is_dir():
            raise NotADirectoryError(f"Cannot save {what} to {path}: {parent} is a file, not a folder.")
    path.parent.mkdir(parents=True, exist_ok=True)
    return replace_atomically(path, lambda file: torch.save(state, file))


def replace_atomically(path: Path, write: "Callable[[IO], None]", mode: str = "wb") -> Path:
    """Call ``write(file)`` on a temporary file beside ``path``, fsync it, then rename it to ``path``.

    The one home of atomic writing: a crash never leaves half a file under
    the real name, and a failure leaves nothing behind. Used for models
    (``write_atomically``) and student copies. Introduced in notebook 03.
    """
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    try:
        with os.fdopen(handle, mode, **({} if "b" in mode else {"encoding": "utf-8"})) as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def save_model(model: "RBM", path: str | Path) -> Path:
    """Write ``model`` to ``path`` atomically (see the module docstring). Introduced in notebook 03."""
    return write_atomically(model_state(model), path)


def read_checkpoint(path: str | Path, name: str) -> dict:
    """The plain-data contents of a checkpoint file (``weights_only``: no code runs), or a clear error."""
    path = Path(path)
    if not path.is_file():
        what = "a folder" if path.is_dir() else "no file"
        raise FileNotFoundError(f"No saved {name} at {path} ({what} there); save one first with model.save({str(path)!r}).")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises several types for a corrupt or foreign file
        raise ValueError(f"{path} is not a file written by {name}.save ({error.__class__.__name__}).") from error
    if not isinstance(state, dict):
        raise ValueError(f"{path} is not a file written by {name}.save (no format marker).")
    return state


def _bad(path: Path, cls: type, what: str) -> ValueError:
    return ValueError(f"{path} is not a valid {cls.__name__} checkpoint: {what}. Save it again with model.save(path).")


def load_model(cls: type, path: str | Path, *, device: str | torch.device | None = None) -> Any:
    """Read a checkpoint written by ``cls.save``, checking every part first. Introduced in notebook 03."""
    return model_from_state(cls, read_checkpoint(path, cls.__name__), Path(path), device=device)


def model_from_state(cls: type, state: dict, path: Path, *, device: str | torch.device | None = None) -> Any:
    """The model ``model_state`` described, after checking every part; errors name ``path``."""
    name = cls.__name__
    if state.get("format") != _format(cls):
        found = state.get("format")
        hint = f" It holds a {str(found).rpartition(':')[2]}; load it with that class." if isinstance(found, str) and found.startswith(FORMAT) else ""
        raise ValueError(f"{path} is not a file written by {name}.save (no '{_format(cls)}' marker).{hint}")
    for key, kind in (("arguments", dict), ("parameters", dict), ("dtype", str)):
        if not isinstance(state.get(key), kind):
            raise _bad(path, cls, f"'{key}' is missing or not a {kind.__name__}")
    dtype = getattr(torch, state["dtype"], None)
    if not (isinstance(dtype, torch.dtype) and dtype.is_floating_point):
        raise _bad(path, cls, f"dtype {state['dtype']!r} is not a floating-point torch dtype")
    parameters = state["parameters"]
    if not all(isinstance(value, torch.Tensor) for value in parameters.values()):
        raise _bad(path, cls, "a parameter is not a tensor")
    total = sum(value.numel() for value in parameters.values())
    if total > MAX_LOAD_ELEMENTS:
        raise _bad(path, cls, f"it has {total:,} parameter entries, more than the {MAX_LOAD_ELEMENTS:,} load accepts")
    arguments = state["arguments"]
    sizes = [value for value in _numbers(arguments)]
    if math.prod(max(1, s) for s in sizes) > MAX_LOAD_ELEMENTS * 64:
        raise _bad(path, cls, f"its sizes {sizes} would need more memory than any model of this series")
    try:
        model = cls.from_arguments(arguments, seed=state.get("seed"), device=device, dtype=dtype, init_std=state.get("init_std", 0.01))
    except (ValueError, TypeError, KeyError) as error:
        raise _bad(path, cls, f"its sizes or options are wrong ({error})") from error
    expected = dict(model.named_parameters())
    if set(parameters) != set(expected):
        raise _bad(path, cls, f"it has the parameters {sorted(parameters)}, expected {sorted(expected)}")
    with torch.no_grad():
        for key, parameter in expected.items():
            value = parameters[key]
            if tuple(value.shape) != tuple(parameter.shape) or not value.is_floating_point():
                raise _bad(path, cls, f"parameter {key} has shape {tuple(value.shape)} and dtype {value.dtype}, expected {tuple(parameter.shape)}")
            parameter.copy_(value)
    generator_state = state.get("generator_state")
    if isinstance(generator_state, torch.Tensor) and model.generator is not None and model.device.type == "cpu":
        try:
            model.generator.set_state(generator_state)
        except RuntimeError as error:
            raise _bad(path, cls, "its random generator state is damaged") from error
    return model


def _numbers(value: object) -> list[int]:
    """Every integer inside nested dicts and lists (the sizes in the constructor's arguments)."""
    if isinstance(value, bool):
        return []
    if isinstance(value, int):
        return [value]
    if isinstance(value, dict):
        return [n for item in value.values() for n in _numbers(item)]
    if isinstance(value, (list, tuple)):
        return [n for item in value for n in _numbers(item)]
    return []
