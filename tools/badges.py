"""Write the Colab / Binder badges and the Colab install URL into every notebook from one place.

The repository's address is written once, as ``[project.urls] Repository`` in
pyproject.toml. This script copies it into each notebook under notebooks/:

- the badge line of the first (markdown) cell, replaced or added after the title;
- the ``git+<URL>`` of the Colab-only install cell (``if "google.colab" in sys.modules:``).

Only the sources of those two cells change; outputs and metadata are kept, so
the notebooks need no re-execution. Run it again after the URL changes:

    python tools/badges.py             # rewrite every notebook in notebooks/
    python tools/badges.py --check     # exit 1 and list the notebooks that are out of date
    python tools/badges.py notebooks/01_energy_model.ipynb   # only these
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from urllib.parse import quote

import nbformat

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
BRANCH = "main"
COLAB_BADGE = "https://colab.research.google.com/assets/colab-badge.svg"
BINDER_BADGE = "https://mybinder.org/badge_logo.svg"
# A badge line starts with a markdown image link and points to Colab or Binder; prose that mentions them is kept.
BADGE_LINE = re.compile(r"^\[!\[.*(colab\.research\.google\.com/github/|mybinder\.org/v2/gh/).*$", re.MULTILINE)
INSTALL_URL = re.compile(r"git\+https?://[^\s\"'@]+")
COLAB_GUARD = '"google.colab" in sys.modules'


def repository_url(pyproject: Path = ROOT / "pyproject.toml") -> str:
    """The ``[project.urls] Repository`` address from pyproject.toml, without a trailing slash or .git."""
    try:
        import tomllib  # Python 3.11+
    except ModuleNotFoundError:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    with open(pyproject, "rb") as file:
        url = tomllib.load(file)["project"]["urls"]["Repository"]
    return url.rstrip("/").removesuffix(".git")


def github_owner_repo(url: str) -> tuple[str, str]:
    """("owner", "repo") from a GitHub address such as https://github.com/owner/repo."""
    match = re.fullmatch(r"https://github\.com/([^/\s]+)/([^/\s]+)", url)
    if not match:
        raise ValueError(f"the Repository URL must look like https://github.com/OWNER/REPO; got {url!r}.")
    return match.group(1), match.group(2)


def badge_line(url: str, notebook_name: str) -> str:
    """The markdown line with the Colab and Binder badges for ``notebooks/<notebook_name>``."""
    owner, repo = github_owner_repo(url)
    colab = f"https://colab.research.google.com/github/{owner}/{repo}/blob/{BRANCH}/notebooks/{notebook_name}"
    binder = f"https://mybinder.org/v2/gh/{owner}/{repo}/{BRANCH}?labpath={quote(f'notebooks/{notebook_name}', safe='')}"
    return f"[![Open In Colab]({COLAB_BADGE})]({colab}) [![Launch on Binder]({BINDER_BADGE})]({binder})"


def install_url(url: str) -> str:
    """What the Colab install cell passes to pip after ``rbm-helpers @``."""
    return f"git+{url}"


def with_badges(source: str, line: str) -> str:
    """``source`` (a first cell) with its badge line replaced by ``line``, or ``line`` added after the title."""
    if BADGE_LINE.search(source):
        first = BADGE_LINE.search(source)
        rest = BADGE_LINE.sub("", source[first.end():])
        return source[: first.start()] + line + rest
    lines = source.split("\n")
    return "\n".join(lines[:1] + [line] + lines[1:])


def updated(notebook: nbformat.NotebookNode, name: str, url: str) -> bool:
    """Update ``notebook`` in place; True if anything changed."""
    changed = False
    first = notebook.cells[0]
    if first.cell_type != "markdown":
        raise ValueError(f"{name}: the first cell must be the markdown title cell.")
    new = with_badges(first.source, badge_line(url, name))
    if new != first.source:
        first.source, changed = new, True
    for cell in notebook.cells:
        if cell.cell_type == "code" and COLAB_GUARD in cell.source:
            new = INSTALL_URL.sub(install_url(url), cell.source)
            if new != cell.source:
                cell.source, changed = new, True
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every notebooks/*.ipynb")
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a notebook is out of date")
    arguments = parser.parse_args(argv)
    url = repository_url()
    paths = arguments.notebooks or sorted(NOTEBOOKS.glob("*.ipynb"))
    stale = []
    for path in paths:
        notebook = nbformat.read(path, as_version=4)
        if updated(notebook, path.name, url):
            stale.append(path)
            if not arguments.check:
                nbformat.write(notebook, path)
    verb = "out of date" if arguments.check else "updated"
    for path in stale:
        print(f"{verb}: {path}")
    return 1 if arguments.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
