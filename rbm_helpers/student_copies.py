"""Student copies of the notebooks: the series without its solutions, to hand out in a workshop.

Each copy keeps every cell and output of the notebook except four things: the cells tagged
``solution`` are gone, and so is a markdown cell that only introduced them (a heading such as
"### Solutions" whose section held nothing but solution cells); a sentence that says the solutions
"are at the end" says instead that this copy leaves them out; the cells tagged ``exercise``
(the stubs learners fill in) lose their outputs and execution counts, so no answer shows before
the learner runs them. The checker calls in the stubs stay. A copy is marked in its metadata
(``rbm_helpers.student_copy``), so that writing the copies again may replace earlier copies but
never anything else. The files are read and written as plain JSON (nbformat 4).

    from rbm_helpers.student_copies import write_student_copies
    write_student_copies("student")          # from a clone: the notebooks/ folder next to the package

Introduced in the README (teaching the series in a workshop); the command line is
``python -m rbm_helpers student-copies OUT``.
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

from .checkpoints import replace_atomically

SERIES = "[0-9][0-9]_*.ipynb"
"""The file names of the series' notebooks (01_energy_model.ipynb, ...)."""

MARKER = "rbm_helpers"
"""The notebook-metadata key that marks a student copy: ``{"rbm_helpers": {"student_copy": true}}``."""

_HEADING = re.compile(r"(#{1,6})\s")
_POINTER = re.compile(r"[.;]\s+[Ss]olutions are at the end\b[^.]*\.")
"""The sentence (with the stop before it) that points to the solutions: "... hint. Solutions are at the end." """
NO_SOLUTIONS = ". This copy leaves the solutions out; the notebooks of the series have them."


def write_student_copies(out_dir: str | os.PathLike, notebooks_dir: str | os.PathLike | None = None) -> list[Path]:
    """Write a student copy of every notebook of the series into ``out_dir``; return the paths written.

    ``notebooks_dir`` is the folder of the series' notebooks (default: the notebooks/ folder that ships
    with the package, or the one beside it in a clone of the repository). ``out_dir`` is created if
    needed; it must be empty or hold only earlier student copies, and must not be ``notebooks_dir``.
    Each file is written atomically. Introduced in the README (teaching the series in a workshop).
    """
    source = _notebooks_folder(notebooks_dir)
    target = Path(out_dir)
    _check_target(target, source)
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for path in sorted(source.glob(SERIES)):
        notebook = json.loads(path.read_text(encoding="utf-8"))
        written.append(_write_atomically(student_copy(notebook), target / path.name))
    return written


def student_copy(notebook: dict) -> dict:
    """``notebook`` (nbformat 4, as a dict) without its solutions and with the exercises' outputs cleared.

    Introduced in the README (teaching the series in a workshop).
    """
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        raise ValueError("notebook must be an nbformat-4 notebook read as JSON (a dict with a 'cells' list).")
    cells = notebook["cells"]
    dropped = _solution_cells(cells)
    copy = {**notebook, "metadata": {**notebook.get("metadata", {}), MARKER: {"student_copy": True}}}
    copy["cells"] = [_without_answers(cell) for index, cell in enumerate(cells) if index not in dropped]
    return copy


def is_student_copy(path: str | os.PathLike) -> bool:
    """True when ``path`` is a notebook that ``write_student_copies`` wrote (it carries the marker).

    Introduced in the README (teaching the series in a workshop).
    """
    try:
        metadata = json.loads(Path(path).read_text(encoding="utf-8")).get("metadata", {})
    except (OSError, ValueError, AttributeError):
        return False
    return isinstance(metadata, dict) and metadata.get(MARKER, {}) == {"student_copy": True}


def _tags(cell: dict) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


def _text(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def _heading_level(cell: dict) -> int | None:
    """6 for ``###### ...``, 1 for ``# ...``: the level of a markdown heading cell; None for other cells."""
    match = _HEADING.match(_text(cell)) if cell.get("cell_type") == "markdown" else None
    return len(match.group(1)) if match else None


def _solution_cells(cells: list[dict]) -> set[int]:
    """Indices of the cells a student copy leaves out: the solutions and the markdown that only introduces them.

    A heading goes when its section (the cells up to the next heading of its level or above) is not
    empty and holds nothing else; a plain markdown cell goes when it mentions solutions and is followed
    by solution cells up to the next heading or the end. Deciding from the last cell backwards lets a
    "## Solutions" heading with "### Solution 1" subsections go as a whole.
    """
    dropped = {index for index, cell in enumerate(cells) if "solution" in _tags(cell)}
    for index in reversed(range(len(cells))):
        cell = cells[index]
        if cell.get("cell_type") != "markdown" or index in dropped:
            continue
        level = _heading_level(cell)
        end = index + 1
        if level is not None:
            while end < len(cells) and not _closes_section(cells[end], level):
                end += 1
        else:
            while end < len(cells) and end in dropped:
                end += 1
            ends_a_section = end == len(cells) or _heading_level(cells[end]) is not None
            if not (ends_a_section and "solution" in _text(cell).lower()):
                continue
        following = range(index + 1, end)
        if following and all(other in dropped for other in following):
            dropped.add(index)
    return dropped


def _closes_section(cell: dict, level: int) -> bool:
    """Whether ``cell`` is a heading of ``level`` or above, which ends the section of a level-``level`` heading."""
    other = _heading_level(cell)
    return other is not None and other <= level


def _without_answers(cell: dict) -> dict:
    """The cell as a student gets it: an exercise stub without outputs and execution count, a pointer to the
    solutions rewritten (see ``NO_SOLUTIONS``); other cells unchanged."""
    if cell.get("cell_type") == "code" and "exercise" in _tags(cell):
        return {**cell, "outputs": [], "execution_count": None}
    if cell.get("cell_type") == "markdown" and _POINTER.search(_text(cell)):
        return {**cell, "source": _POINTER.sub(NO_SOLUTIONS, _text(cell))}
    return cell


def _notebooks_folder(notebooks_dir: str | os.PathLike | None) -> Path:
    """The folder of the series' notebooks: ``notebooks_dir``, or one found beside the package."""
    if notebooks_dir is not None:
        folder = Path(notebooks_dir)
        if not folder.is_dir() or not any(folder.glob(SERIES)):
            raise ValueError(f"notebooks_dir={str(folder)!r} holds no notebooks of the series (01_*.ipynb, ...); "
                             "pass the notebooks/ folder of a clone of the repository.")
        return folder
    package = Path(__file__).resolve().parent
    candidates = [package / "notebooks", package.parent / "notebooks"]
    for folder in candidates:
        if folder.is_dir() and any(folder.glob(SERIES)):
            return folder
    raise ValueError(f"Could not find the series' notebooks (looked in {', '.join(map(str, candidates))}); "
                     "pass notebooks_dir, the notebooks/ folder of a clone of the repository "
                     "(on the command line: --notebooks DIR).")


def _check_target(target: Path, source: Path) -> None:
    """Refuse a target that is the notebooks folder, a file, or a folder holding anything but earlier copies."""
    if target.exists() and not target.is_dir():
        raise ValueError(f"out_dir={str(target)!r} is a file; give a folder for the student copies.")
    if target.resolve() == source.resolve():
        raise ValueError(f"out_dir is the notebooks folder itself ({source}); the copies would replace the "
                         "notebooks. Give another folder, e.g. 'student'.")
    if not target.is_dir():
        return
    others = sorted(entry.name for entry in target.iterdir()
                    if not entry.name.startswith(".") and not (entry.suffix == ".ipynb" and is_student_copy(entry)))
    if others:
        shown = ", ".join(others[:5]) + (", ..." if len(others) > 5 else "")
        raise ValueError(f"out_dir={str(target)!r} holds files that are not student copies ({shown}); "
                         "give an empty or new folder, or one with only earlier student copies.")


def _write_atomically(notebook: dict, path: Path) -> Path:
    """Write ``notebook`` as nbformat writes it (JSON, indent 1, sorted keys) through a temporary file."""
    text = json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    return replace_atomically(path, lambda file: file.write(text), mode="w")
