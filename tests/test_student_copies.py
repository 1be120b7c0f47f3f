"""rbm_helpers.student_copies: the notebooks without their solutions, exercise outputs cleared, everything else kept.

Small notebooks built here show what goes, what stays and which folders are refused; then the series'
own notebooks are copied and every copy is run from a fresh kernel.
"""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from rbm_helpers import student_copies
from rbm_helpers.student_copies import is_student_copy, student_copy, write_student_copies

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
_spec = importlib.util.spec_from_file_location("course", ROOT / "tools" / "course.py")
course = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(course)


def md(source: str, *tags: str):
    return new_markdown_cell(source, metadata={"tags": list(tags)})


def code(source: str, *tags: str, output: str | None = None, count: int | None = None):
    cell = new_code_cell(source, metadata={"tags": list(tags)}, execution_count=count)
    if output is not None:
        cell.outputs = [new_output("stream", name="stdout", text=output)]
    return cell


def exercises_notebook():
    """A title, a computed cell, two exercises with stubs and checker calls, their solutions, references."""
    return new_notebook(cells=[
        md("# 01 · A title", "core"),                                                           # 0
        code("print(6 * 7)", "core", output="42\n", count=1),                                 # 1
        md("## Exercises\n<kbd>core</kbd>\n\nEach checker prints what is wrong.", "core"),     # 2
        md("**1. Add** <kbd>core</kbd> (about 2 minutes).", "core"),                           # 3
        code("def add(a, b):\n    ...\n\ncheck_add(add)", "core", "exercise",
             output="Not yet: add returned None\n", count=2),                                  # 4
        md("**2. Multiply** <kbd>optional</kbd> (about 3 minutes).", "optional"),              # 5
        code("def mul(a, b):\n    ...\n\ncheck_mul(mul)", "optional", "exercise",
             output="Not yet: mul returned None\n", count=3),                                  # 6
        md("### Solutions\n\nExpand a cell to see a solution.", "core"),                       # 7
        code("def add(a, b):\n    return a + b\n\ncheck_add(add)", "core", "solution",
             output="Correct!\n", count=4),                                                     # 8
        code("def mul(a, b):\n    return a * b\n\ncheck_mul(mul)", "optional", "solution",
             output="Correct!\n", count=5),                                                     # 9
        md("## References\n<kbd>optional</kbd>\n\nA book.", "optional"),                      # 10
    ], metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                 "language_info": {"name": "python"}})


def sources(notebook: dict) -> list[str]:
    return ["".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            for cell in notebook["cells"]]


def test_a_copy_drops_the_solutions_and_their_heading_and_keeps_every_other_cell():
    original = exercises_notebook()
    copy = student_copy(json.loads(nbformat.writes(original)))
    kept = [0, 1, 2, 3, 4, 5, 6, 10]
    assert sources(copy) == [original.cells[index].source for index in kept]
    assert not any("solution" in cell["metadata"]["tags"] for cell in copy["cells"])


def test_a_copy_clears_the_exercise_outputs_and_keeps_the_others():
    original = exercises_notebook()
    copy = student_copy(json.loads(nbformat.writes(original)))
    stubs = [cell for cell in copy["cells"] if "exercise" in cell["metadata"]["tags"]]
    assert len(stubs) == 2 and all(cell["outputs"] == [] and cell["execution_count"] is None for cell in stubs)
    assert all("check_" in "".join(cell["source"]) for cell in stubs), "the checker calls stay"
    computed = copy["cells"][1]
    assert computed["execution_count"] == 1 and "".join(computed["outputs"][0]["text"]) == "42\n"
    assert copy["metadata"].pop(student_copies.MARKER) == {"student_copy": True}
    assert copy["metadata"] == original.metadata
    nbformat.validate(nbformat.from_dict(copy))


def test_a_solutions_section_with_subsections_goes_as_a_whole():
    notebook = new_notebook(cells=[
        md("# 01 · A title"), md("**1.** Add (about 2 minutes)."), code("def add(a, b): ...", "exercise"),
        md("## Solutions"), md("### Solution 1"), code("def add(a, b): return a + b", "solution"),
        md("### Solution 2"), code("pass", "solution"),
        md("## Next"), md("## An empty section"), md("## The last"),
    ])
    copy = student_copy(json.loads(nbformat.writes(notebook)))
    assert sources(copy) == ["# 01 · A title", "**1.** Add (about 2 minutes).", "def add(a, b): ...",
                             "## Next", "## An empty section", "## The last"]


def test_a_plain_text_goes_only_when_it_introduces_solutions_up_to_the_end():
    notebook = new_notebook(cells=[
        md("# 01 · A title"),
        md("Why does CD-1 work at all? Think first."), code("answer = 'it follows the gradient, roughly'", "solution"),
        md("## More"), code("x = 1"),
        md("The solutions, for after you tried:"), code("pass", "solution"),
    ])
    copy = student_copy(json.loads(nbformat.writes(notebook)))
    assert sources(copy) == ["# 01 · A title", "Why does CD-1 work at all? Think first.", "## More", "x = 1"]


@pytest.mark.parametrize("said, says", [
    ("Each checker prints what is wrong, with a hint. Solutions are at the end.",
     "Each checker prints what is wrong, with a hint" + student_copies.NO_SOLUTIONS),
    ("Each checker prints what is wrong, with a hint; solutions are at the end, in collapsed cells. Have fun.",
     "Each checker prints what is wrong, with a hint" + student_copies.NO_SOLUTIONS + " Have fun."),
    ("Each checker prints what is wrong. Try before you look.", "Each checker prints what is wrong. Try before you look."),
])
def test_a_copy_does_not_promise_solutions_it_has_left_out(said, says):
    notebook = exercises_notebook()
    notebook.cells[2].source = f"## Exercises\n<kbd>core</kbd>\n\n{said}"
    copied = sources(student_copy(notebook))
    assert copied[2] == f"## Exercises\n<kbd>core</kbd>\n\n{says}"
    assert sources(notebook)[2].endswith(said), "the original is left as it was"


def test_student_copy_refuses_what_is_not_a_notebook():
    with pytest.raises(ValueError, match="nbformat-4 notebook"):
        student_copy({"cells": "none"})


@pytest.fixture
def series(tmp_path):
    """A folder with two small notebooks of a series, and a file that is not part of it."""
    folder = tmp_path / "notebooks"
    folder.mkdir()
    for name in ("01_first.ipynb", "02_second.ipynb"):
        nbformat.write(exercises_notebook(), folder / name)
    (folder / "README.md").write_text("not a notebook")
    return folder


def test_write_student_copies_writes_each_notebook_of_the_series(series, tmp_path):
    written = write_student_copies(tmp_path / "student", series)
    assert [path.name for path in written] == ["01_first.ipynb", "02_second.ipynb"]
    assert sorted(p.name for p in (tmp_path / "student").iterdir()) == ["01_first.ipynb", "02_second.ipynb"]
    for path in written:
        copy = nbformat.read(path, as_version=4)
        assert len(copy.cells) == 8 and is_student_copy(path)
    assert not is_student_copy(series / "01_first.ipynb")


def test_writing_again_replaces_earlier_copies(series, tmp_path):
    out = tmp_path / "student"
    write_student_copies(out, series)
    (out / ".ipynb_checkpoints").mkdir()                # what Jupyter leaves behind is no obstacle
    changed = exercises_notebook()
    changed.cells[1].source = "print(7 * 6)"
    nbformat.write(changed, series / "01_first.ipynb")
    write_student_copies(out, series)
    assert nbformat.read(out / "01_first.ipynb", as_version=4).cells[1].source == "print(7 * 6)"


def test_refuses_the_notebooks_folder_itself(series):
    before = (series / "01_first.ipynb").read_text()
    with pytest.raises(ValueError, match="notebooks folder itself"):
        write_student_copies(series, series)
    assert (series / "01_first.ipynb").read_text() == before


@pytest.mark.parametrize("name", ["notes.txt", "01_first.ipynb"])
def test_refuses_a_folder_holding_anything_but_earlier_copies(series, tmp_path, name):
    out = tmp_path / "elsewhere"
    out.mkdir()
    (out / name).write_text((series / "01_first.ipynb").read_text())   # a real notebook, not a copy, counts too
    with pytest.raises(ValueError, match=f"not student copies \\({name}\\)"):
        write_student_copies(out, series)
    assert sorted(p.name for p in out.iterdir()) == [name]


def test_refuses_a_file_and_a_folder_without_notebooks(series, tmp_path):
    (tmp_path / "a_file").write_text("")
    with pytest.raises(ValueError, match="is a file"):
        write_student_copies(tmp_path / "a_file", series)
    with pytest.raises(ValueError, match="holds no notebooks of the series"):
        write_student_copies(tmp_path / "student", tmp_path / "a_file")


def test_without_notebooks_dir_it_finds_the_clones_notebooks_or_says_to_pass_one(tmp_path, monkeypatch):
    written = write_student_copies(tmp_path / "student")
    assert [path.name for path in written] == [path.name for path in sorted(NOTEBOOKS.glob(student_copies.SERIES))]
    monkeypatch.setattr(student_copies, "__file__", str(tmp_path / "site-packages" / "rbm_helpers" / "student_copies.py"))
    with pytest.raises(ValueError, match="pass notebooks_dir"):
        write_student_copies(tmp_path / "other")


def test_a_failed_write_leaves_neither_a_copy_nor_a_partial_file(series, tmp_path, monkeypatch):
    def fail(source, target):
        raise OSError("disk full")
    monkeypatch.setattr(student_copies.os, "replace", fail)
    out = tmp_path / "student"
    with pytest.raises(OSError, match="disk full"):
        write_student_copies(out, series)
    assert list(out.iterdir()) == []


# --------------------------------------------------------------------------- the series' own notebooks

@pytest.fixture(scope="module")
def copies(tmp_path_factory):
    return write_student_copies(tmp_path_factory.mktemp("student"))


def test_the_series_copies_have_no_solutions_and_blank_exercises(copies):
    assert len(copies) >= 9
    for path in copies:
        original = nbformat.read(NOTEBOOKS / path.name, as_version=4)
        copy = nbformat.read(path, as_version=4)
        n_solutions = sum("solution" in cell.metadata.get("tags", []) for cell in original.cells)
        assert n_solutions > 0 and len(copy.cells) == len(original.cells) - n_solutions - 1, "solutions and their heading"
        assert not any("solution" in cell.metadata.get("tags", []) for cell in copy.cells), path.name
        stubs = [cell for cell in copy.cells if "exercise" in cell.metadata.get("tags", [])]
        assert stubs and all(cell.outputs == [] and cell.execution_count is None for cell in stubs), path.name
        text = " ".join(cell.source.lower() for cell in copy.cells if cell.cell_type == "markdown")
        assert "solutions are at the end" not in text and "solutions are below" not in text, path.name


def test_each_copy_runs_the_same_code_as_its_original_up_to_the_first_solution(copies):
    """A copy's code cells are the first code cells of its original, in order: the solutions come last.

    So a copy runs wherever its original runs up to its first solution, which strict nbval checks on
    every run of the tests; the copies executed below check the files themselves.
    """
    for path in copies:
        original = [cell.source for cell in nbformat.read(NOTEBOOKS / path.name, as_version=4).cells
                    if cell.cell_type == "code"]
        copy = [cell.source for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "code"]
        assert copy == original[:len(copy)], f"{path.name}: a code cell after a solution would run without it"


EXECUTED = ["01_energy_model.ipynb", "03_train_on_movielens.ipynb"]
"""Copies run in full here: the shortest notebook, and one that loads MovieLens (all nine take about 5 minutes)."""


@pytest.mark.parametrize("name", EXECUTED)
def test_a_copy_runs_from_a_fresh_kernel(copies, name):
    """Run from notebooks/, where the originals run (notebook 09 reads ../benchmarks/results)."""
    path = next(path for path in copies if path.name == name)
    error = course.first_error(nbformat.read(path, as_version=4), NOTEBOOKS, timeout=600)
    assert error is None, f"{path.name}: cell {error[0]} of the student copy fails: {error[1]}"
