"""Checks of the plain Python arguments of ``rbm_helpers.data``: seeds, sizes, fractions, flags, paths.

Every public function of the data module calls these first, so that a wrong
argument is reported by name, with what was given and what to pass instead,
before numpy, pandas, torch or pathlib can fail on it. All raise ``ValueError``
(also for a value of the wrong type), as the rest of the package does. A bool
is not a number here, and a string is not a seed.
Introduced in notebook 03 (Train an RBM on MovieLens).
"""
from __future__ import annotations

import math
import numbers
import os
from pathlib import Path


def describe(value: object) -> str:
    """``value`` as a message shows it: its repr, and what kind of thing it is when that matters.

    Introduced in notebook 03 (training on MovieLens).
    """
    if value is None:
        return "None"
    if isinstance(value, numbers.Real) and not isinstance(value, (bool, _numpy_bool())):
        if not isinstance(value, numbers.Integral) and math.isnan(value):
            return "nan (NaN, not a number)"
        if not isinstance(value, numbers.Integral) and math.isinf(value):
            return f"{value!r} (infinite)"
        return repr(value)
    text = repr(value)
    text = text if len(text) <= 60 else text[:57] + "..."
    return f"{text} (a {type(value).__name__})"


def is_integer(value: object) -> bool:
    """True for Python and numpy integers, False for bools and everything else.

    Introduced in notebook 03 (training on MovieLens).
    """
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, _numpy_bool()))


def check_seed(seed: object, name: str = "seed") -> int:
    """Check that ``seed`` is a whole number >= 0 (a random seed) and return it as an int.

    Introduced in notebook 03 (training on MovieLens).
    """
    if not is_integer(seed) or seed < 0:
        raise ValueError(f"{name} must be a whole number >= 0, e.g. {name}=0; got {describe(seed)}.")
    return int(seed)


def check_int(value: object, name: str, *, minimum: int = 0, maximum: int | None = None, example: str = "") -> int:
    """Check that ``value`` is a whole number in [minimum, maximum] and return it as an int.

    Introduced in notebook 03 (training on MovieLens).
    """
    if not is_integer(value) or value < minimum or (maximum is not None and value > maximum):
        bounds = f">= {minimum:,}" if maximum is None else f"between {minimum:,} and {maximum:,}"
        hint = f", e.g. {example}" if example else ""
        raise ValueError(f"{name} must be a whole number {bounds}{hint}; got {describe(value)}.")
    return int(value)


def check_number(value: object, name: str, *, low: float | None = None, high: float | None = None, high_open: bool = False, example: str = "") -> float:
    """Check that ``value`` is a finite real number (not NaN, not inf, not a bool or string) within bounds.

    ``low`` is inclusive; ``high`` inclusive unless ``high_open``. Returns a float.
    Introduced in notebook 03 (training on MovieLens).
    """
    hint = f", e.g. {example}" if example else ""
    if low is not None and high is not None:
        what = f"a finite number in [{low:g}, {high:g}{')' if high_open else ']'}"
    elif low is not None:
        what = f"a finite number >= {low:g}"
    else:
        what = "a finite number"
    if not isinstance(value, numbers.Real) or isinstance(value, (bool, _numpy_bool())) or not math.isfinite(value):
        raise ValueError(f"{name} must be {what}{hint}; got {describe(value)}.")
    too_low = low is not None and value < low
    too_high = high is not None and (value >= high if high_open else value > high)
    if too_low or too_high:
        raise ValueError(f"{name} must be {what}{hint}; got {describe(value)}.")
    return float(value)


def check_flag(value: object, name: str) -> bool:
    """Check that ``value`` is True or False (not 0/1, not a string) and return it.

    Introduced in notebook 03 (training on MovieLens).
    """
    if not isinstance(value, (bool, _numpy_bool())):
        raise ValueError(f"{name} must be True or False; got {describe(value)}.")
    return bool(value)


def check_choice(value: object, name: str, choices: tuple[str, ...], *, hint: str = "") -> str:
    """Check that ``value`` is one of the strings ``choices`` and return it; suggest the closest on a typo.

    Introduced in notebook 03 (training on MovieLens).
    """
    if isinstance(value, str) and value in choices:
        return value
    import difflib

    close = difflib.get_close_matches(value, choices, n=1) if isinstance(value, str) else []
    known = ", ".join(f'"{choice}"' for choice in choices)
    suggestion = f' Did you mean "{close[0]}"?' if close else ""
    raise ValueError(f"{name} must be one of {known}{hint}; got {describe(value)}.{suggestion}")


def check_folder_argument(value: object, name: str = "data_dir", *, default: str = "pass None") -> Path | None:
    """Check that ``value`` is None or a usable path (a non-empty str or os.PathLike, no NUL) and return it as a Path.

    Only the argument is checked here; what is at that path is checked where it is used.
    Introduced in notebook 03 (training on MovieLens).
    """
    if value is None:
        return None
    path = os.fspath(value) if isinstance(value, (str, os.PathLike)) else None
    if not isinstance(path, str):
        raise ValueError(f"{name} must be a folder path (a str or pathlib.Path) or None; got {describe(value)}.")
    if not path.strip():
        raise ValueError(f"{name} must name a folder; got an empty path {path!r}; {default} to use the default cache folder.")
    if "\0" in path:
        raise ValueError(f"{name} contains a NUL character (\\0), which no file system allows; got {path!r}.")
    return Path(path)


def _numpy_bool() -> type:
    import numpy

    return numpy.bool_
