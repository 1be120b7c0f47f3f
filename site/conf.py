"""Sphinx configuration of the course site: the executed notebooks as static HTML, readable offline.

Built by ``bash tools/build_site.sh OUT``, which copies ``site/index.md``, ``README.md`` and
``notebooks/NN_*.ipynb`` into a scratch source folder and runs Sphinx with this folder as its
configuration folder. Nothing is executed: the pages show the outputs committed in the notebooks.
Nothing is fetched at view time either: MathJax is copied into the site from the
``sphinx-mathjax-offline`` package, and images on the web (the notebooks' Colab and Binder badges) become
their alt text, still linked.
"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from docutils import nodes

ROOT = Path(__file__).resolve().parent.parent

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

_pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]

# The README's first line is the series' title; the repository's address lives in pyproject.toml.
project = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()[0].lstrip("# ").strip()
release = _pyproject["version"]
copyright = "the rbm-notebooks authors (MIT licence)"

extensions = ["myst_nb", "sphinx.ext.mathjax"]  # myst_nb reads .ipynb and MyST Markdown

root_doc = "index"
exclude_patterns = ["README.md"]  # only included, into the front page

# MathJax 3.2.2 as shipped by the sphinx-mathjax-offline package (its static/mathjax folder, 24 MB,
# Apache-2.0), copied into the site's _static/mathjax: pages typeset their math with no CDN.
_mathjax = importlib.util.find_spec("sphinx-mathjax-offline")
if _mathjax is None or _mathjax.origin is None:
    raise RuntimeError('MathJax for offline use is missing: pip install -e ".[site]" (sphinx-mathjax-offline)')
html_static_path = [str(Path(_mathjax.origin).parent / "static")]
mathjax_path = "mathjax/tex-chtml.js"

# The committed outputs are the content: never run a notebook while building.
nb_execution_mode = "off"
# Widgets need a running kernel; show their text fallback (which says so) and load no widget JS from a CDN.
nb_mime_priority_overrides = [("html", "application/vnd.jupyter.widget-view+json", None)]
nb_ipywidgets_js: dict[str, dict[str, str]] = {}

myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3

html_theme = "sphinx_book_theme"
html_title = project
html_theme_options = {
    "repository_url": _pyproject["urls"]["Repository"],
    "use_repository_button": True,
    "use_download_button": True,
    "show_toc_level": 2,
}


def _web_images_as_text(app, doctree: nodes.document) -> None:
    """Replace each image whose source is on the web by its alt text, so that pages load nothing from outside.

    In the notebooks these are the Colab and Binder badges, each inside a link that stays.
    """
    for image in list(doctree.findall(nodes.image)):
        if image["uri"].startswith(("http://", "https://", "//")):
            image.replace_self(nodes.Text(image.get("alt", image["uri"])))


def setup(app) -> None:
    app.connect("doctree-read", _web_images_as_text)
