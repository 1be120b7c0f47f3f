"""Every notebook's Colab / Binder badges and Colab install URL match pyproject's [project.urls] Repository.

The address is written in one place; ``python tools/badges.py`` copies it into the notebooks.
If this test fails, run that command (it changes only those lines, not outputs).
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("badges", ROOT / "tools" / "badges.py")
badges = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(badges)

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
URL = badges.repository_url()


def test_the_repository_url_is_a_github_address():
    owner, repo = badges.github_owner_repo(URL)
    assert owner and repo


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_badges_match_the_repository_url(path):
    notebook = nbformat.read(path, as_version=4)
    first = notebook.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith("# "), "the first cell is the title cell"
    assert badges.badge_line(URL, path.name) in first.source.split("\n"), (
        f"{path.name}: badges out of date; run `python tools/badges.py`"
    )
    install_cells = [c for c in notebook.cells if c.cell_type == "code" and badges.COLAB_GUARD in c.source]
    assert len(install_cells) == 1, f"{path.name}: expected one Colab-only install cell"
    assert f'"rbm-helpers @ {badges.install_url(URL)}"' in install_cells[0].source


def test_check_mode_finds_nothing_to_do(capsys):
    assert badges.main(["--check"]) == 0, capsys.readouterr().out


def test_badge_urls():
    line = badges.badge_line("https://github.com/owner/repo", "01_x.ipynb")
    assert "](https://colab.research.google.com/github/owner/repo/blob/main/notebooks/01_x.ipynb)" in line
    assert "](https://mybinder.org/v2/gh/owner/repo/main?labpath=notebooks%2F01_x.ipynb)" in line


@pytest.mark.parametrize("url", ["https://gitlab.com/a/b", "https://github.com/only-owner", "git@github.com:a/b"])
def test_non_github_addresses_are_refused(url):
    with pytest.raises(ValueError, match="OWNER/REPO"):
        badges.github_owner_repo(url)


def test_a_new_url_rewrites_badges_and_install_cell_and_nothing_else(tmp_path):
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_markdown_cell("# Title\n" + badges.badge_line("https://github.com/old/repo", "n.ipynb")
                                      + "\nProse about colab.research.google.com/github/ stays."),
        nbformat.v4.new_code_cell('import sys\nif "google.colab" in sys.modules:\n'
                                  '    %pip install -q "rbm-helpers @ git+https://github.com/old/repo"'),
        nbformat.v4.new_code_cell("print('git+https://example.com/untouched')"),
    ]
    assert badges.updated(notebook, "n.ipynb", "https://github.com/new/place")
    first, install, other = (cell.source for cell in notebook.cells)
    assert first.startswith("# Title\n" + badges.badge_line("https://github.com/new/place", "n.ipynb"))
    assert first.endswith("\nProse about colab.research.google.com/github/ stays.")
    assert first.count("colab.research.google.com") == 3  # the badge's image and link, and the prose
    assert "git+https://github.com/new/place" in install and "old" not in install
    assert other == "print('git+https://example.com/untouched')"
    assert not badges.updated(notebook, "n.ipynb", "https://github.com/new/place")  # idempotent


def test_missing_badges_are_added_after_the_title():
    source = badges.with_badges("# Title\n**You will learn** x", "BADGES")
    assert source == "# Title\nBADGES\n**You will learn** x"
