"""How the exercise checkers talk to a learner: run their function safely, say right or wrong.

Shared by every notebook's checkers: a checker never raises because of the
learner's function; it prints "Correct!" or "Not yet: ..." with a hint and
returns a bool. Also the seeded example models the checkers try answers on.
Introduced in notebook 01 (its exercises).
"""
from __future__ import annotations

from typing import Any, Callable

import pandas as pd
import torch

from ..model import RBM

DTYPE = torch.float64
PARAMETERS = ("weight", "visible_bias", "hidden_bias")
"""The names of an RBM's parameters, in the order the checkers pass them to the learner's function."""

DTYPE_HINT = (
    "Your tensors have different dtypes. The checker passes float64 tensors, and PyTorch's @ will not mix "
    "float32 and float64: make new tensors in the inputs' dtype, e.g. exact.all_states(n, dtype=weight.dtype) "
    "or torch.zeros(..., dtype=v.dtype)."
)

Mistake = tuple[torch.Tensor, str, str]
"""A known wrong answer: (what it returns, the problem, the hint)."""


# ---------------------------------------------------------------------------- saying right or wrong
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


def raised(error: str, hint: str) -> bool:
    """Report an exception of the learner's function, as ``wrong``; a dtype mismatch gets its own hint.

    Introduced in notebook 01 (its exercises).
    """
    lowered = error.lower()
    mismatch = "dtype" in lowered or ("float" in lowered and "double" in lowered)
    return wrong(error, DTYPE_HINT if mismatch else hint)


def function_name(fn: Callable) -> str:
    """The learner's function's name, for messages.

    Introduced in notebook 01 (its exercises).
    """
    return getattr(fn, "__name__", "your function")


# ---------------------------------------------------------------------------- calling the learner's function
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


def as_number(value: Any, what: str) -> tuple[float | None, str | None]:
    """``value`` as a float, or a description of why it is not one number.

    Introduced in notebook 04 (its exercises).
    """
    if value is None:
        return None, f"{what} is None (did you forget `return`?)"
    if isinstance(value, torch.Tensor):
        if value.numel() != 1:
            return None, f"{what} is a tensor of shape {tuple(value.shape)}, not one number"
        return float(value.item()), None
    try:
        return float(value), None
    except (TypeError, ValueError):
        return None, f"{what} is a {type(value).__name__}, not a number"


def shape_problem(value: torch.Tensor, shape: tuple[int, ...], what: str) -> str | None:
    """None if ``value`` has ``shape``, else a sentence saying what it has instead.

    Introduced in notebook 01 (its exercises).
    """
    if tuple(value.shape) == tuple(shape):
        return None
    return f"{what} has shape {tuple(value.shape)}; expected {tuple(shape)}"


def returned_tensor(
    fn: Callable,
    args: tuple,
    hint: str,
    *,
    what: str = "the result",
    shape: tuple[int, ...] | None = None,
    shape_hint: str | None = None,
    on_error: Callable[[str, str], bool] = wrong,
) -> torch.Tensor | None:
    """``fn(*args)`` as a float64 tensor (of ``shape``, if given); or None, once what went wrong is printed.

    An exception is reported by ``on_error`` (``wrong``, or ``raised`` for
    its dtype hint) with ``hint``; a result that is not a tensor with
    ``hint``; a wrong shape with ``shape_hint``. A checker that gets None
    returns False. Introduced in notebook 01 (its exercises).
    """
    returned, error = call(fn, *args)
    if error:
        on_error(error, hint)
        return None
    result, problem = as_tensor(returned, what)
    if problem:
        wrong(problem, hint)
        return None
    problem = shape_problem(result, shape, what) if shape is not None else None
    if problem:
        wrong(problem, shape_hint or hint)
        return None
    return result


def returned_number(fn: Callable, args: tuple, hint: str, *, number_hint: str) -> float | None:
    """``fn(*args)`` as one float; or None, once what went wrong is printed.

    An exception is reported with ``hint``, a result that is not one number
    with ``number_hint``. Introduced in notebook 04 (its exercises).
    """
    returned, error = call(fn, *args)
    if error:
        wrong(error, hint)
        return None
    value, problem = as_number(returned, "the result")
    if problem:
        wrong(problem, number_hint)
        return None
    return value


# ---------------------------------------------------------------------------- comparing
def close(a: torch.Tensor, b: torch.Tensor, *, rtol: float = 1e-8, atol: float = 1e-8) -> bool:
    """True if ``a`` and ``b`` have one shape and agree within ``rtol`` (relative) and ``atol`` (absolute).

    Introduced in notebook 01 (its exercises).
    """
    return a.shape == b.shape and bool(torch.allclose(a, b, rtol=rtol, atol=atol, equal_nan=False))


def diagnose(result: torch.Tensor, expected: torch.Tensor, mistakes: list[Mistake]) -> tuple[str, str] | None:
    """The (problem, hint) of the first known mistake whose output equals ``result``, or None.

    A "mistake" whose output equals ``expected``, the right answer, is passed
    over. Introduced in notebook 01 (its exercises).
    """
    for output, problem, hint in mistakes:
        output = output.to(DTYPE)
        if close(result, output) and not torch.allclose(output, expected):
            return problem, hint
    return None


def mismatch(result: torch.Tensor, expected: torch.Tensor, mistakes: list[Mistake], hint: str, *,
             differ: str, atol: float = 1e-8) -> tuple[str, str] | None:
    """What is wrong with ``result``, as (problem, hint); None if it is ``expected`` (within 1e-8 relative, ``atol``).

    A known mistake gets its own problem and hint (``diagnose``); any other
    difference gets ``differ``, a sentence with ``{:.3g}`` where the largest
    difference goes, and ``hint``. Introduced in notebook 01 (its exercises).
    """
    diagnosis = diagnose(result, expected, mistakes)
    if diagnosis:
        return diagnosis
    if not close(result, expected, atol=atol):
        return differ.format((result - expected).abs().max().item()), hint
    return None


def diagnose_number(value: float, expected: float, mistakes: list[tuple[float, str, str]], *,
                    tolerance: float) -> tuple[str, str] | None:
    """The (problem, hint) of the first known mistake within ``tolerance`` of ``value``; None if ``value`` is right.

    Introduced in notebook 04 (its exercises).
    """
    if abs(value - expected) <= tolerance:
        return None
    for output, problem, hint in mistakes:
        if abs(value - output) < tolerance:
            return problem, hint
    return None


# ---------------------------------------------------------------------------- example models
def random_biases(model: RBM, *, seed: int, scale: float = 1.0) -> RBM:
    """Draw ``model``'s visible and hidden biases from N(0, scale^2), seeded by ``seed + 1000``; return it.

    Nonzero biases matter: a checker on zero biases could not tell a forgotten
    bias from a correct answer. Introduced in notebook 01 (its exercises).
    """
    generator = torch.Generator().manual_seed(seed + 1_000)
    with torch.no_grad():
        model.visible_bias.copy_(torch.randn(model.visible_bias.shape, generator=generator, dtype=DTYPE) * scale)
        model.hidden_bias.copy_(torch.randn(model.hidden_bias.shape, generator=generator, dtype=DTYPE) * scale)
    return model


def example_rbm(n_visible: int = 4, n_hidden: int = 3, *, seed: int = 0, scale: float = 1.0) -> RBM:
    """A seeded float64 RBM with weights and biases all drawn from N(0, scale^2).

    Used by the checkers of notebooks 01, 02 and 04; introduced in notebook 01.
    """
    return random_biases(RBM(n_visible, n_hidden, seed=seed, dtype=DTYPE, init_std=scale), seed=seed, scale=scale)


def parameters(rbm: RBM) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Detached copies of ``rbm``'s (weight, visible_bias, hidden_bias), to hand to a learner's function.

    Introduced in notebook 01 (its exercises).
    """
    return tuple(getattr(rbm, name).detach().clone() for name in PARAMETERS)
