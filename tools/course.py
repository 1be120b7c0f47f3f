"""Check the series' course conventions: stated times, the core / optional tracks, and a core track that runs alone.

The conventions, in short:

- every cell carries exactly one of the tags ``core`` / ``optional``; a section starts at a ``## `` heading cell
  whose second line is the badge ``<kbd>core</kbd>`` or ``<kbd>optional</kbd>`` (maybe followed by a phrase),
  and its cells carry its tag; the title cell and all before the first section are core;
- exercises are the exception: each (its markdown cell, its stub tagged ``exercise``, its solution tagged
  ``solution``) carries its own track; the markdown cell right before a stub says ``(about N minutes)`` and shows
  the stub's badge; the ``## Exercises`` section itself is core;
- the title cell's ``**Time**`` line states the minutes: reading = the ceiling of prose words / 130, plus
  1 minute per displayed equation (``$$ ... $$``), 9 s per non-blank line of code and half a minute per figure
  (solutions and exercise stubs excluded), plus the exercises' minutes, for the core cells and core exercises
  and for everything; the series' core track stays within 90 minutes. These are the rates a fresh reader
  timed the series with (code and equations are slower to read than prose);
- the core cells alone, in order, run from a fresh kernel.

    python tools/course.py times                 # minutes per notebook and the series' core total
    python tools/course.py times --check         # exit 1 where a **Time** line is off, or core > 90 minutes
    python tools/course.py tracks                # exit 1 and list every cell that breaks a track rule
    python tools/course.py run-core notebooks/03_train_on_movielens.ipynb   # only the core cells, fresh kernel

Each subcommand takes notebooks as arguments (default: every numbered notebook in notebooks/, in order).
``run-core`` runs the kernel with this Python and this environment (so ``RBM_HELPERS_DATA`` is used as set).
"""
from __future__ import annotations

import argparse
import math
import re
import sys
import time
from pathlib import Path
from typing import NamedTuple

import nbformat

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
SERIES = "[0-9][0-9]_*.ipynb"
TRACKS = ("core", "optional")
WORDS_PER_MINUTE = 130
"""Prose read per minute (markdown text outside displayed equations)."""
MINUTES_PER_EQUATION = 1.0
"""A displayed equation (``$$ ... $$``) takes a minute to read and connect to the text."""
SECONDS_PER_CODE_LINE = 9.0
"""Each non-blank line of code (comments included) is read, not skimmed: 8-10 s."""
MINUTES_PER_FIGURE = 0.5
"""Each image a code cell shows takes half a minute to look at."""
DISPLAYED_EQUATION = re.compile(r"\$\$.*?\$\$", re.DOTALL)
IMAGE_TYPES = ("image/png", "image/svg+xml", "image/jpeg")
SERIES_CORE_BUDGET = 90
"""Minutes the whole series' core track, exercises included, may take."""

EXERCISE_MINUTES = re.compile(r"\(about (\d+) minutes\)")
BADGE = re.compile(r"<kbd>(core|optional)</kbd>(?:\s.*)?")
TIME_LINE = re.compile(
    r"\*\*Time\*\* core track about (\d+) minutes \((\d+) reading, (\d+) exercises\); "
    r"everything about (\d+) minutes\. Runs in about (\d+) s on 2 CPU cores\."
)


# --- reading a notebook -------------------------------------------------------------------------

def tags(cell) -> set[str]:
    """The cell's ``metadata.tags`` as a set."""
    return set(cell.get("metadata", {}).get("tags", []))


def track(cell) -> str | None:
    """``"core"`` or ``"optional"``: the cell's one track tag; None when it has neither or both."""
    found = tags(cell) & set(TRACKS)
    return found.pop() if len(found) == 1 else None


def is_section_heading(cell) -> bool:
    """A markdown cell whose first line is a level-2 heading (``## ...``): it starts a section."""
    return cell.cell_type == "markdown" and cell.source.startswith("## ")


def exercise_minutes(notebook, index: int) -> int | None:
    """The N of ``(about N minutes)`` in the markdown cell right before exercise cell ``index``; None if absent."""
    if index == 0 or notebook.cells[index - 1].cell_type != "markdown":
        return None
    found = EXERCISE_MINUTES.findall(notebook.cells[index - 1].source)
    return int(found[0]) if len(found) == 1 else None


def exercises(notebook) -> list[int]:
    """Indices of the cells tagged ``exercise`` (one per exercise: its stub)."""
    return [index for index, cell in enumerate(notebook.cells) if "exercise" in tags(cell)]


# --- stated time --------------------------------------------------------------------------------

class Times(NamedTuple):
    """Minutes a learner needs: reading and exercises, for the core track and for everything."""

    core_reading: int
    core_exercises: int
    reading: int
    exercises: int

    @property
    def core(self) -> int:
        return self.core_reading + self.core_exercises

    @property
    def everything(self) -> int:
        return self.reading + self.exercises

    def line(self, seconds: int | str = "S") -> str:
        """The ``**Time**`` line of the title cell that states these minutes."""
        return (f"**Time** core track about {self.core} minutes ({self.core_reading} reading, "
                f"{self.core_exercises} exercises); everything about {self.everything} minutes. "
                f"Runs in about {seconds} s on 2 CPU cores.")


def reading_minutes(cells) -> int:
    """Minutes to read ``cells``: the ceiling of prose words / 130 + 1 per displayed equation
    + 9 s per non-blank code line + 0.5 per figure. Raw cells and text outputs are not counted."""
    minutes = 0.0
    for cell in cells:
        if cell.cell_type == "markdown":
            prose = DISPLAYED_EQUATION.sub(" ", cell.source)
            minutes += len(prose.split()) / WORDS_PER_MINUTE
            minutes += MINUTES_PER_EQUATION * len(DISPLAYED_EQUATION.findall(cell.source))
        elif cell.cell_type == "code":
            lines = [line for line in cell.source.split("\n") if line.strip()]
            minutes += SECONDS_PER_CODE_LINE * len(lines) / 60
            minutes += MINUTES_PER_FIGURE * sum(
                any(kind in output.get("data", {}) for kind in IMAGE_TYPES) for output in cell.get("outputs", []))
    return math.ceil(minutes - 1e-9)


def times(notebook) -> Times:
    """The minutes of ``notebook``: solutions are not read; an exercise's stub is part of its ``(about N minutes)``."""
    read = [cell for cell in notebook.cells if not {"solution", "exercise"} & tags(cell)]
    minutes = {index: exercise_minutes(notebook, index) or 0 for index in exercises(notebook)}
    return Times(
        core_reading=reading_minutes([cell for cell in read if track(cell) == "core"]),
        core_exercises=sum(n for index, n in minutes.items() if track(notebook.cells[index]) == "core"),
        reading=reading_minutes(read),
        exercises=sum(minutes.values()),
    )


def stated_time(notebook) -> tuple[int, int, int, int] | None:
    """(core, core reading, core exercises, everything) from the title cell's ``**Time**`` line; None if absent."""
    lines = [line for line in notebook.cells[0].source.split("\n") if line.startswith("**Time** ")]
    match = TIME_LINE.fullmatch(lines[0].strip()) if len(lines) == 1 else None
    return tuple(int(group) for group in match.groups()[:4]) if match else None


def time_problems(notebook) -> list[str]:
    """What is wrong with the notebook's ``**Time**`` line (the seconds are not checked)."""
    computed = times(notebook)
    stated = stated_time(notebook)
    expected = (computed.core, computed.core_reading, computed.core_exercises, computed.everything)
    if stated is None:
        return [f"no line of the form {computed.line()!r} in the first cell"]
    if stated != expected:
        return [f"states core {stated[0]} ({stated[1]} reading, {stated[2]} exercises), everything {stated[3]}; "
                f"computed core {expected[0]} ({expected[1]} reading, {expected[2]} exercises), everything {expected[3]}"]
    return []


# --- tracks -------------------------------------------------------------------------------------

def track_problems(notebook) -> list[str]:
    """Every cell that breaks a track rule, as ``"cell I: what"`` lines (I counts from 0)."""
    cells = notebook.cells
    stubs = exercises(notebook)
    introductions = {index - 1 for index in stubs}
    found = []
    section, section_start = "core", None
    for index, cell in enumerate(cells):
        own = track(cell)
        if own is None:
            found.append(f"cell {index}: needs exactly one of the tags core / optional; has {sorted(tags(cell))}")
        if is_section_heading(cell):
            lines = cell.source.split("\n")
            badge = BADGE.fullmatch(lines[1].strip()) if len(lines) > 1 else None
            if badge is None:
                found.append(f"cell {index}: section heading without <kbd>core</kbd> or <kbd>optional</kbd> "
                             f"as its second line")
            elif own is not None and badge.group(1) != own:
                found.append(f"cell {index}: section badge says {badge.group(1)} but the cell is tagged {own}")
            if lines[0].startswith("## Exercises") and own != "core":
                found.append(f"cell {index}: the Exercises section must be core")
            section, section_start = own or (badge.group(1) if badge else section), index
            continue
        exempt = {"exercise", "solution"} & tags(cell) or index in introductions
        if own is not None and not exempt and own != section:
            where = f"the section at cell {section_start}" if section_start is not None else "the part before the first section"
            found.append(f"cell {index}: tagged {own} but {where} is {section}")
    for index in stubs:
        found += _exercise_problems(notebook, index)
    solutions = [index for index, cell in enumerate(cells) if "solution" in tags(cell)]
    if len(solutions) != len(stubs):
        found.append(f"{len(stubs)} exercise cells but {len(solutions)} solution cells: cannot pair them")
    else:
        for stub, solution in zip(stubs, solutions):
            if track(cells[stub]) and track(cells[solution]) and track(cells[stub]) != track(cells[solution]):
                found.append(f"cell {solution}: solution tagged {track(cells[solution])} "
                             f"but its exercise (cell {stub}) is {track(cells[stub])}")
    return found


def _exercise_problems(notebook, index: int) -> list[str]:
    """The rules for one exercise: the markdown cell before its stub states minutes and the stub's track."""
    stub_track = track(notebook.cells[index])
    before = notebook.cells[index - 1] if index > 0 else None
    if before is None or before.cell_type != "markdown" or is_section_heading(before):
        return [f"cell {index}: exercise cell without its text (a markdown cell) right before it"]
    found = []
    if exercise_minutes(notebook, index) is None:
        found.append(f"cell {index - 1}: the text of exercise cell {index} must contain '(about N minutes)' once")
    if stub_track is not None:
        other = "optional" if stub_track == "core" else "core"
        if track(before) != stub_track:
            found.append(f"cell {index - 1}: tagged {track(before)} but its exercise cell {index} is {stub_track}")
        if f"<kbd>{stub_track}</kbd>" not in before.source or f"<kbd>{other}</kbd>" in before.source:
            found.append(f"cell {index - 1}: must show <kbd>{stub_track}</kbd> (its exercise cell {index} is {stub_track})")
    return found


# --- the core track on its own ------------------------------------------------------------------

def core_only(notebook):
    """A copy of ``notebook`` with only its core cells, and the original index of each kept cell."""
    kept = [index for index, cell in enumerate(notebook.cells) if track(cell) == "core"]
    copy = nbformat.from_dict(notebook)
    copy.cells = [copy.cells[index] for index in kept]
    return copy, kept


def first_error(notebook, cwd: Path, timeout: int = 600) -> tuple[int, str] | None:
    """Run every code cell of ``notebook`` in order in a fresh kernel (this Python) started in ``cwd``.

    Returns (cell index, "Error: message") of the first cell that fails, or None when all ran.
    The kernel inherits this process's environment (``RBM_HELPERS_DATA`` included).
    """
    from jupyter_client import KernelManager
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    client = NotebookClient(notebook, timeout=timeout, km=KernelManager(kernel_spec_manager=_this_python_kernels()),
                            resources={"metadata": {"path": str(cwd)}})
    with client.setup_kernel():
        for index, cell in enumerate(notebook.cells):
            try:
                client.execute_cell(cell, index)
            except CellExecutionError as error:
                return index, f"{error.ename}: {error.evalue}"
            except (CellTimeoutError, DeadKernelError) as error:
                return index, f"{type(error).__name__}: {error}"
    return None


def _this_python_kernels():
    """A kernelspec manager whose every kernel is ipykernel on this Python (like nbval's --nbval-current-env)."""
    from ipykernel.kernelspec import RESOURCES, get_kernel_dict
    from jupyter_client.kernelspec import KernelSpecManager

    class ThisPython(KernelSpecManager):
        def get_kernel_spec(self, kernel_name):
            return self.kernel_spec_class(resource_dir=RESOURCES, **get_kernel_dict())

    return ThisPython()


# --- the command line ---------------------------------------------------------------------------

def series(paths: list[Path]) -> list[Path]:
    """The given notebooks, or every numbered notebook of notebooks/ in order."""
    return [path.resolve() for path in paths] or sorted(NOTEBOOKS.glob(SERIES))


def run_times(paths: list[Path], check: bool) -> int:
    """``times``: print the minutes per notebook; with ``check``, return 1 on a wrong line or a core over 90."""
    print(f"{'notebook':<40} {'core read':>9} {'core ex':>7} {'core':>5} {'everything':>10}")
    total, failures = 0, []
    for path in paths:
        notebook = nbformat.read(path, as_version=4)
        computed = times(notebook)
        total += computed.core
        print(f"{path.name:<40} {computed.core_reading:>9} {computed.core_exercises:>7} {computed.core:>5} "
              f"{computed.everything:>10}")
        failures += [f"{path.name}: {problem}" for problem in time_problems(notebook)]
    print(f"{'series core total':<40} {'':>9} {'':>7} {total:>5}   (budget {SERIES_CORE_BUDGET})")
    if total > SERIES_CORE_BUDGET:
        failures.append(f"the series' core track takes {total} minutes, over the budget of {SERIES_CORE_BUDGET}")
    if check and failures:
        print("\n" + "\n".join(f"- {failure}" for failure in failures))
        return 1
    return 0


def run_tracks(paths: list[Path]) -> int:
    """``tracks``: list every violation of the track rules; return 1 if any."""
    failed = False
    for path in paths:
        found = track_problems(nbformat.read(path, as_version=4))
        print(f"{path.name}: " + ("ok" if not found else f"{len(found)} problem(s)"))
        for problem in found:
            print(f"  - {problem}")
        failed |= bool(found)
    return 1 if failed else 0


def run_core(path: Path, timeout: int) -> int:
    """``run-core``: execute the core cells of ``path`` alone; print the first error; return 1 on error."""
    notebook, kept = core_only(nbformat.read(path, as_version=4))
    started = time.perf_counter()
    error = first_error(notebook, path.parent, timeout)
    seconds = time.perf_counter() - started
    if error is not None:
        index, message = error
        print(f"{path.name}: core track failed at cell {kept[index]} (core cell {index + 1} of {len(kept)}): {message}")
        return 1
    print(f"{path.name}: the {len(kept)} core cells ran without error in {seconds:.1f} s")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    times_parser = commands.add_parser("times", help="minutes per notebook, as the **Time** line should state them")
    times_parser.add_argument("--check", action="store_true", help="exit 1 if a **Time** line is off or core > 90")
    tracks_parser = commands.add_parser("tracks", help="check the core / optional tags, badges and exercises")
    for command in (times_parser, tracks_parser):
        command.add_argument("notebooks", nargs="*", type=Path, help="default: every numbered notebooks/*.ipynb")
    core_parser = commands.add_parser("run-core", help="execute only the core cells, in order, in a fresh kernel")
    core_parser.add_argument("notebook", type=Path)
    core_parser.add_argument("--timeout", type=int, default=600, help="seconds allowed per cell")
    arguments = parser.parse_args(argv)
    given = arguments.notebooks if arguments.command != "run-core" else [arguments.notebook]
    missing = [str(path) for path in given if not path.is_file()]
    if missing:
        parser.error(f"no such notebook: {', '.join(missing)}")
    if arguments.command == "times":
        return run_times(series(arguments.notebooks), arguments.check)
    if arguments.command == "tracks":
        return run_tracks(series(arguments.notebooks))
    return run_core(arguments.notebook.resolve(), arguments.timeout)


if __name__ == "__main__":
    sys.exit(main())
