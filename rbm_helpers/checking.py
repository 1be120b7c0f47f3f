"""How the exercise checkers talk to a learner: run their function safely, say right or wrong.

Shared by ``exercises`` (notebooks 01-02), ``exercises_movielens`` (03-05) and
``exercises_softmax`` (06): a checker never raises because of the learner's
function; it prints "Correct!" or "Not yet: ..." with a hint and returns a bool.
Introduced in notebook 01 (its exercises).
"""
from __future__ import annotations

from typing import Any, Callable

import pandas as pd
import torch

DTYPE = torch.float64


def correct(message: str) -> bool:
    """Print that the answer is right, and why that matters; return True.

    Introduced in notebook 01 (its exercises).
    """
    print(f"Correct! {message}")
    return True


def wrong(problem: str, hint: str) -> bool:
    """Print what is wrong and a hint; return False.

    Introduced in notebook 01 (its exercises).
    """
    print(f"Not yet: {problem}\nHint: {hint}")
    return False


def function_name(fn: Callable) -> str:
    """The learner's function's name, for messages.

    Introduced in notebook 01 (its exercises).
    """
    return getattr(fn, "__name__", "your function")


def call(fn: Callable, *args: Any) -> tuple[Any, str | None]:
    """(result, None), or (None, a description of the exception the learner's function raised).

    Tensors and DataFrames are passed as copies, so a function that edits its
    inputs in place cannot spoil the checker's own comparison.
    Introduced in notebook 01 (its exercises).
    """
    copies = [a.clone() if isinstance(a, torch.Tensor) else a.copy() if isinstance(a, pd.DataFrame) else a for a in args]
    try:
        return fn(*copies), None
    except Exception as error:  # a learner's bug, reported rather than raised
        return None, f"{function_name(fn)} raised {type(error).__name__}: {error}"


def as_tensor(value: Any, what: str) -> tuple[torch.Tensor | None, str | None]:
    """``value`` as a float64 CPU tensor, or a description of why it is not one.

    Introduced in notebook 01 (its exercises).
    """
    if value is None:
        return None, f"{what} is None (did you forget `return`?)"
    try:
        return torch.as_tensor(value, dtype=DTYPE).detach().cpu(), None
    except (TypeError, ValueError, RuntimeError) as error:
        return None, f"{what} is a {type(value).__name__}, not a tensor ({error})"


def shape_problem(value: torch.Tensor, shape: tuple[int, ...], what: str) -> str | None:
    """None if ``value`` has ``shape``, else a sentence saying what it has instead.

    Introduced in notebook 01 (its exercises).
    """
    if tuple(value.shape) == tuple(shape):
        return None
    return f"{what} has shape {tuple(value.shape)}; expected {tuple(shape)}"
