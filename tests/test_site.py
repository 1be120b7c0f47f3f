"""The course site (tools/build_site.sh) built from the committed notebooks and read in a real browser.

The site is built once into a temporary folder, served from 127.0.0.1 and opened in headless Chromium
(the system's, Debian package ``chromium``) through ``playwright``. Every notebook page must typeset
all its math with the MathJax shipped in the site, show every figure the notebook holds, load nothing
from outside 127.0.0.1, and link to the next notebook in series order. Outside CI a missing tool skips
these tests with the command that installs it; in CI (``CI=true``) it fails them.
"""
from __future__ import annotations

import functools
import hashlib
import http.server
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
IN_CI = os.environ.get("CI", "").lower() == "true"
CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
# Text that still looks like $...$ after MathJax ran: math the build did not turn into math.
RAW_DOLLAR_MATH = re.compile(r"\$[^$\s][^$]*\$")


def require(condition: bool, reason: str) -> None:
    """Skip with ``reason`` outside CI when a tool is missing; fail in CI, where it must be installed."""
    if not condition:
        (pytest.fail if IN_CI else pytest.skip)(reason)


def tree_digest(folder: Path) -> str:
    """One hash over the names and bytes of every file under ``folder``."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, float, str, str]:
    """Build the site once: (its folder, the build's seconds, notebooks/ digest before, and after)."""
    require(
        all(importlib.util.find_spec(name) for name in ("sphinx", "myst_nb", "sphinx_book_theme")),
        'the site extra is not installed: pip install -e ".[site]"',
    )
    out = tmp_path_factory.mktemp("site") / "html"
    before = tree_digest(ROOT / "notebooks")
    started = time.perf_counter()
    result = subprocess.run(
        ["bash", str(ROOT / "tools" / "build_site.sh"), str(out)],
        cwd=ROOT, env={**os.environ, "PYTHON": sys.executable}, capture_output=True, text=True,
    )
    seconds = time.perf_counter() - started
    assert result.returncode == 0, f"tools/build_site.sh failed:\n{result.stdout}\n{result.stderr}"
    return out, seconds, before, tree_digest(ROOT / "notebooks")


def test_build_is_quick_and_leaves_notebooks_alone(built_site) -> None:
    """The build only reads notebooks/, takes under a minute, and writes one page per notebook."""
    out, seconds, before, after = built_site
    assert before == after, "building the site changed files under notebooks/"
    assert seconds < 60, f"the site took {seconds:.0f} s to build; it should take under 60 s"
    pages = sorted(p.stem for p in (out / "notebooks").glob("*.html"))
    assert pages == [nb.stem for nb in NOTEBOOKS]


@pytest.fixture(scope="module")
def site_url(built_site) -> Iterator[str]:
    """The built site served over HTTP from 127.0.0.1 in a background thread."""
    out = built_site[0]

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(out)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


@pytest.fixture(scope="module")
def browser():
    """Headless system Chromium driven by playwright (playwright's own browser download needs the internet)."""
    require(importlib.util.find_spec("playwright") is not None, 'playwright is not installed: pip install -e ".[site-test]"')
    require(
        CHROMIUM is not None and Path(CHROMIUM).is_file(),
        f"Chromium is not installed{f' at CHROMIUM={CHROMIUM}' if CHROMIUM else ''}: apt-get install -y chromium",
    )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        context = browser.new_context()  # one context: pages share the HTTP cache (MathJax is fetched once)
        yield context
        context.close()
        browser.close()


def open_page(browser, url: str):
    """Open ``url``; return the page and the URLs it asked for outside 127.0.0.1 (a site read offline asks for none)."""
    page = browser.new_page()
    outside: list[str] = []
    page.on("request", lambda request: None if urlsplit(request.url).hostname == "127.0.0.1" else outside.append(request.url))
    page.goto(url, wait_until="load")
    return page, outside


def png_outputs(notebook: Path) -> int:
    """How many figures (image/png outputs) the committed notebook holds."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    return sum("image/png" in output.get("data", {}) for cell in cells for output in cell.get("outputs", []))


@pytest.mark.parametrize("index", range(len(NOTEBOOKS)), ids=[nb.stem[:2] for nb in NOTEBOOKS])
def test_notebook_page_in_browser(browser, site_url: str, index: int) -> None:
    """A notebook's page: math typeset, figures loaded, series navigation, nothing fetched from outside."""
    notebook = NOTEBOOKS[index]
    page, outside = open_page(browser, f"{site_url}/notebooks/{notebook.stem}.html")
    try:
        # Math: Sphinx writes each formula as .math; MathJax puts an mjx-container into each one.
        # Its script is deferred, so by the load event it has run and MathJax.startup exists.
        mathjax = page.evaluate(
            """async () => { if (!(window.MathJax && MathJax.startup && MathJax.startup.promise)) return false;
                             await MathJax.startup.promise; return true; }"""
        )
        math = page.evaluate(
            """() => [...document.querySelectorAll('article .math')].map(
                   m => ({typeset: m.querySelector('mjx-container') !== null, text: m.textContent}))"""
        )
        assert math, f"{notebook.name}: no math on the page (is MyST's dollarmath enabled in site/conf.py?)"
        assert mathjax, f"{notebook.name}: MathJax did not load (mathjax_path in site/conf.py?)"
        raw = [m["text"] for m in math if not m["typeset"]]
        assert not raw, f"{notebook.name}: {len(raw)} of {len(math)} formulas not typeset by MathJax, e.g. {raw[:3]}"
        prose = page.evaluate(
            """() => { const a = document.querySelector('article').cloneNode(true);
                       a.querySelectorAll('div.cell, pre, code, mjx-container').forEach(e => e.remove());
                       return a.innerText; }"""
        )
        left = RAW_DOLLAR_MATH.findall(prose)
        assert not left, f"{notebook.name}: $...$ left as text in the prose: {left[:3]}"

        # Figures: every <img> has loaded, and there are at least as many as the notebook's PNG outputs.
        images = page.evaluate(
            "() => [...document.images].map(i => ({src: i.src, ok: i.complete && i.naturalWidth > 0}))"
        )
        broken = [i["src"][:80] for i in images if not i["ok"]]
        assert not broken, f"{notebook.name}: images that did not load: {broken}"
        assert len(images) >= png_outputs(notebook), (
            f"{notebook.name}: {len(images)} images on the page, {png_outputs(notebook)} figures in the notebook"
        )

        # Navigation: the sidebar lists the series in order; "next" leads to the next notebook.
        sidebar = page.evaluate(
            """() => [...document.querySelectorAll('nav.bd-links a.reference.internal')].map(
                   a => new URL(a.href).pathname.split('/').pop())"""
        )
        assert [name for name in sidebar if name[:2].isdigit()] == [f"{nb.stem}.html" for nb in NOTEBOOKS]
        following = page.locator("a.right-next")
        if index + 1 < len(NOTEBOOKS):
            expected = f"{NOTEBOOKS[index + 1].stem}.html"
            assert following.count() == 1, f"{notebook.name}: no link to the next notebook"
            assert following.get_attribute("href") == expected
            assert page.request.get(f"{site_url}/notebooks/{expected}").ok, f"{expected} is not in the site"
        else:
            assert following.count() == 0, f"{notebook.name} is the last notebook, yet it links to a next page"

        assert not outside, f"{notebook.name}: the page asked for files outside the site: {outside[:5]}"
    finally:
        page.close()


def test_front_page_lists_the_series(browser, site_url: str) -> None:
    """The front page (from README.md) links the notebooks in series order and leads on to notebook 01."""
    page, outside = open_page(browser, f"{site_url}/index.html")
    try:
        links = page.evaluate(
            """() => [...document.querySelectorAll('article a.reference.internal')].map(
                   a => new URL(a.href).pathname.split('/').pop())"""
        )
        assert [name for name in dict.fromkeys(links) if name[:2].isdigit()] == [f"{nb.stem}.html" for nb in NOTEBOOKS]
        assert page.locator("a.right-next").get_attribute("href") == f"notebooks/{NOTEBOOKS[0].stem}.html"
        assert not outside, f"the front page asked for files outside the site: {outside[:5]}"
    finally:
        page.close()
