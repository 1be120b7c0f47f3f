"""tools/course.py: stated times, the track rules, and running the core track alone.

Unit tests on small notebooks built here (each rule broken once, to see it caught), then the same checks
over the series' notebooks: their ``**Time**`` lines state what ``python tools/course.py times`` computes,
the series' core track fits 90 minutes, every cell follows the track rules, and WORKSHOP.md's time table
states the same minutes.
"""
from __future__ import annotations

import copy
import importlib.util
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output, new_raw_cell

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("course", ROOT / "tools" / "course.py")
course = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(course)

NOTEBOOKS = sorted((ROOT / "notebooks").glob(course.SERIES))


def md(source: str, *tags: str):
    return new_markdown_cell(source, metadata={"tags": list(tags)})


def code(source: str, *tags: str):
    return new_code_cell(source, metadata={"tags": list(tags)})


def words(n: int) -> str:
    return " ".join(["word"] * n)


def good_notebook():
    """A small notebook that follows every track rule."""
    return new_notebook(cells=[
        md("# 00 · A title\nSome text.", "core"),                                       # 0
        code("x = 1", "core"),                                                          # 1
        md("## 1 · A core section\n<kbd>core</kbd>", "core"),                           # 2
        code("y = x + 1", "core"),                                                      # 3
        md("## 2 · A depth section\n<kbd>optional</kbd> depth: more", "optional"),      # 4
        code("z = y + 1", "optional"),                                                  # 5
        md("## Exercises\n<kbd>core</kbd>", "core"),                                    # 6
        md("**1. One** <kbd>optional</kbd> (about 5 minutes). Do it.", "optional"),    # 7
        code("def one():\n    ...", "exercise", "optional"),                           # 8
        md("**2. Two** <kbd>core</kbd> (about 3 minutes). Do it.", "core"),            # 9
        code("def two():\n    ...", "core", "exercise"),                               # 10
        md("### Solutions", "core"),                                                    # 11
        code("def one():\n    return 1", "optional", "solution"),                      # 12
        code("def two():\n    return 2", "core", "solution"),                          # 13
    ])


# --------------------------------------------------------------------------- stated time

def test_reading_minutes_round_up_words_over_130_and_skip_raw_cells_and_outputs():
    assert course.reading_minutes([md(words(130))]) == 1
    assert course.reading_minutes([md(words(131))]) == 2
    with_output = code("x = 1")
    with_output.outputs = [new_output("stream", name="stdout", text=words(1000))]
    assert course.reading_minutes([with_output, new_raw_cell(words(1000))]) == 1


def test_code_is_read_at_9_seconds_a_non_blank_line_whatever_its_words():
    twenty_lines = "\n\n".join(f"x{i} = {words(30)}" for i in range(20))       # 20 lines, 19 blank between
    assert course.reading_minutes([code(twenty_lines)]) == 3
    assert course.reading_minutes([code(twenty_lines + "\ny = 2")]) == 4


def test_a_displayed_equation_takes_a_minute_and_its_symbols_are_not_prose_words():
    equation = "$$E(v, h) = - " + " + ".join(f"a_{i} v_{i}" for i in range(200)) + "$$"
    assert course.reading_minutes([md(equation)]) == 1
    assert course.reading_minutes([md(f"{words(65)}\n{equation}\n{words(65)}\n$$Z = 1$$")]) == 3


def test_each_figure_a_code_cell_shows_takes_half_a_minute():
    plotted = code("plot()")                                                      # 0.15 minutes of code
    picture = new_output("display_data", data={"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"})
    plotted.outputs = [picture, new_output("stream", name="stdout", text="done")]
    assert course.reading_minutes([plotted]) == 1
    plotted.outputs = [picture, picture, picture]
    assert course.reading_minutes([plotted]) == 2


def timed_notebook():
    """Core: 100 + 20 + 5 + 1 = 126 words (1 minute) and a 3-minute exercise; everything: 332 words
    (3 minutes) and 8 exercise minutes. The 1,000 words of solutions are not read."""
    return new_notebook(cells=[
        md(words(100), "core"),
        code(words(20), "core"),
        md(words(200), "optional"),
        md("**1.** <kbd>core</kbd> (about 3 minutes).", "core"),
        code("pass", "core", "exercise"),
        md("**2.** <kbd>optional</kbd> (about 5 minutes).", "optional"),
        code("pass", "optional", "exercise"),
        code(words(500), "core", "solution"),
        code(words(500), "optional", "solution"),
    ])


def test_times_count_core_cells_and_core_exercises_apart_from_everything():
    times = course.times(timed_notebook())
    assert (times.core_reading, times.core_exercises, times.core) == (1, 3, 4)
    assert (times.reading, times.exercises, times.everything) == (3, 8, 11)


def test_exercise_minutes_come_from_the_markdown_cell_right_before_the_stub():
    notebook = timed_notebook()
    assert course.exercise_minutes(notebook, 4) == 3 and course.exercise_minutes(notebook, 6) == 5
    notebook.cells[3].source = "**1.** <kbd>core</kbd> (about three minutes)."
    assert course.exercise_minutes(notebook, 4) is None


def with_time_line(notebook, seconds: int = 35):
    """``notebook`` with a title cell stating its minutes (the line's own words count, and their number is fixed)."""
    notebook.cells.insert(0, md(f"# 00 · Title\n\n{course.Times(0, 0, 0, 0).line(seconds)}", "core"))
    notebook.cells[0].source = f"# 00 · Title\n\n{course.times(notebook).line(seconds)}"
    return notebook


def test_a_time_line_that_states_the_computed_minutes_passes_whatever_its_seconds():
    notebook = with_time_line(timed_notebook())
    assert course.time_problems(notebook) == []
    assert course.stated_time(notebook) == (5, 2, 3, 11), "the title's 4 + 23 words make the core 153 words"
    notebook.cells[0].source = notebook.cells[0].source.replace("about 35 s", "about 90 s")
    assert course.time_problems(notebook) == []


@pytest.mark.parametrize("change", [
    lambda t: t._replace(core_reading=t.core_reading + 1).line(35),
    lambda t: t._replace(core_exercises=t.core_exercises + 1).line(35),
    lambda t: t._replace(reading=t.reading + 1).line(35),
    lambda t: t.line(35).replace(f"core track about {t.core} ", f"core track about {t.core + 1} "),
    lambda t: t.line(35).replace("**Time** core track", "**Time** core"),      # not the stated form
    lambda t: "",                                                                # no line at all
])
def test_a_time_line_that_states_other_minutes_or_another_form_is_reported(change):
    notebook = with_time_line(timed_notebook())
    notebook.cells[0].source = f"# 00 · Title\n\n{change(course.times(notebook))}"
    assert len(course.time_problems(notebook)) == 1


def write_timed(path: Path, exercise_minutes: int) -> Path:
    notebook = new_notebook(cells=[md(f"<kbd>core</kbd> (about {exercise_minutes} minutes)", "core"),
                                   code("pass", "core", "exercise"), code("pass", "core", "solution")])
    nbformat.write(with_time_line(notebook), path)
    return path


def test_times_check_fails_when_the_series_core_is_over_90_minutes(tmp_path, capsys):
    within = [write_timed(tmp_path / f"0{i}_n.ipynb", 40) for i in (1, 2)]
    assert course.run_times(within, check=True) == 0
    over = within + [write_timed(tmp_path / "03_n.ipynb", 10)]
    assert course.run_times(over, check=True) == 1
    assert "over the budget of 90" in capsys.readouterr().out
    assert course.run_times(over, check=False) == 0


# --------------------------------------------------------------------------- tracks

def test_a_notebook_that_follows_the_rules_has_no_track_problems():
    assert course.track_problems(good_notebook()) == []


def retag(index: int, *tags: str):
    def change(notebook):
        notebook.cells[index].metadata["tags"] = list(tags)
    return change


def resource(index: int, old: str, new: str):
    def change(notebook):
        assert old in notebook.cells[index].source
        notebook.cells[index].source = notebook.cells[index].source.replace(old, new)
    return change


def delete(index: int):
    def change(notebook):
        del notebook.cells[index]
    return change


BROKEN = {
    "a cell without a track tag": (retag(3, "other"), "cell 3"),
    "a cell with both track tags": (retag(5, "core", "optional"), "cell 5"),
    "a section heading without its badge": (resource(4, "\n<kbd>optional</kbd> depth: more", ""), "cell 4"),
    "a badge that is not on the second line": (resource(2, "\n<kbd>core</kbd>", "\n\n<kbd>core</kbd>"), "cell 2"),
    "a badge that disagrees with the tag": (resource(4, "<kbd>optional</kbd>", "<kbd>core</kbd>"), "cell 4"),
    "a core cell in an optional section": (retag(5, "core"), "cell 5"),
    "an optional cell before the first section": (retag(1, "optional"), "cell 1"),
    "an optional Exercises section": (lambda nb: (retag(6, "optional")(nb), resource(6, "core", "optional")(nb)), "cell 6"),
    "an exercise without its minutes": (resource(9, "(about 3 minutes)", "(3 minutes)"), "cell 9"),
    "an exercise text tagged unlike its stub": (retag(7, "core"), "cell 7"),
    "an exercise text that shows the other badge": (resource(9, "<kbd>core</kbd>", "<kbd>optional</kbd>"), "cell 9"),
    "an exercise stub without a text before it": (delete(7), "cell 7"),
    "a solution tagged unlike its exercise": (retag(13, "optional", "solution"), "cell 13"),
    "an exercise without a solution": (delete(13), "2 exercise cells but 1 solution cells"),
}


@pytest.mark.parametrize("name", BROKEN)
def test_each_broken_track_rule_is_reported(name):
    change, expected = BROKEN[name]
    notebook = copy.deepcopy(good_notebook())
    change(notebook)
    problems = course.track_problems(notebook)
    assert problems, f"{name} went unnoticed"
    assert any(problem.startswith(expected) for problem in problems), problems


def test_run_tracks_exits_1_and_lists_what_is_wrong(tmp_path, capsys):
    path = tmp_path / "01_n.ipynb"
    nbformat.write(good_notebook(), path)
    assert course.run_tracks([path]) == 0
    broken = good_notebook()
    retag(3, "optional")(broken)
    nbformat.write(broken, path)
    assert course.run_tracks([path]) == 1
    assert "cell 3: tagged optional but the section at cell 2 is core" in capsys.readouterr().out


# --------------------------------------------------------------------------- the core track alone

def test_core_only_keeps_the_core_cells_in_order_with_their_indices():
    notebook, kept = course.core_only(good_notebook())
    assert kept == [0, 1, 2, 3, 6, 9, 10, 11, 13]
    assert [cell.source for cell in notebook.cells] == [good_notebook().cells[i].source for i in kept]


def test_run_core_reports_a_core_cell_that_needs_an_optional_one(tmp_path, capsys):
    path = tmp_path / "01_n.ipynb"
    notebook = good_notebook()
    notebook.cells[3].source = "y = x + 1\nprint(z)"        # z is defined only in optional cell 5 ...
    notebook.cells.insert(6, code("z = 0", "optional"))      # ... and after it, so the full notebook fails too
    nbformat.write(notebook, path)
    assert course.run_core(path, timeout=60) == 1
    assert "failed at cell 3 (core cell 4 of 9): NameError: name 'z' is not defined" in capsys.readouterr().out
    notebook.cells[3].source = "y = x + 1\nprint(y)"
    nbformat.write(notebook, path)
    assert course.run_core(path, timeout=60) == 0
    assert "the 9 core cells ran without error" in capsys.readouterr().out


# --------------------------------------------------------------------------- the series

@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_the_time_line_states_the_computed_minutes(path):
    problems = course.time_problems(nbformat.read(path, as_version=4))
    assert problems == [], f"{path.name}: {problems}; see `python tools/course.py times`"


def test_the_series_core_track_fits_its_budget():
    total = sum(course.times(nbformat.read(path, as_version=4)).core for path in NOTEBOOKS)
    assert len(NOTEBOOKS) >= 9 and total <= course.SERIES_CORE_BUDGET


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_every_cell_follows_the_track_rules(path):
    problems = course.track_problems(nbformat.read(path, as_version=4))
    assert problems == [], f"{path.name}:\n" + "\n".join(problems)


def workshop_table_rows(text: str) -> dict[str, tuple[int, int, int, int]]:
    """WORKSHOP.md's time table: notebook number -> (core reading, core exercises, core, everything)."""
    rows = {}
    for line in text.splitlines():
        cells = [cell.strip().strip("*") for cell in line.strip().strip("|").split("|")]
        if len(cells) == 6 and cells[0][:2].isdigit() and " · " in cells[0]:
            rows[cells[0][:2]] = tuple(int(cell) for cell in cells[1:5])
    return rows


def test_workshop_table_parsing_reads_each_notebook_row():
    table = "| notebook | a | b | c | d | e |\n| 04 · Loss | 6 | 3 | **9** | 44 | ~40 s |\n| **series** | 1 | 2 | **3** | 4 | |"
    assert workshop_table_rows(table) == {"04": (6, 3, 9, 44)}


def test_workshop_md_states_the_computed_minutes_of_every_notebook():
    rows = workshop_table_rows((ROOT / "WORKSHOP.md").read_text(encoding="utf-8"))
    computed = {}
    for path in NOTEBOOKS:
        minutes = course.times(nbformat.read(path, as_version=4))
        computed[path.name[:2]] = (minutes.core_reading, minutes.core_exercises, minutes.core, minutes.everything)
    assert rows == computed, "WORKSHOP.md's table differs from `python tools/course.py times`"
