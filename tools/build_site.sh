#!/usr/bin/env bash
# Build the course site: the committed, executed notebooks as static HTML that needs no internet to read.
#
#   bash tools/build_site.sh OUT        # then open OUT/index.html, or: python -m http.server -d OUT
#
# Needs the site extra (pip install -e ".[site]"): Sphinx, MyST-NB, sphinx-book-theme, sphinx-mathjax-offline
# (MathJax 3 for reading offline). tests/test_site.py checks the result in headless Chromium.
# Nothing is executed and notebooks/ is only read: README.md, site/index.md and notebooks/NN_*.ipynb
# are copied into a scratch folder, and Sphinx reads them there with site/conf.py as its configuration.
# Warnings are errors (-W), so a broken link, include or cross-reference fails the build.
# PYTHON picks the interpreter (default: python, e.g. the active virtual environment's).
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: bash tools/build_site.sh OUT   (OUT: the folder to write the HTML site into)" >&2
  exit 2
fi
root=$(cd "$(dirname "$0")/.." && pwd)
out=$1
python=${PYTHON:-python}

if ! "$python" -c "import sphinx, myst_nb, sphinx_book_theme" 2>/dev/null; then
  echo "The site needs Sphinx, MyST-NB and sphinx-book-theme: pip install -e \".[site]\"" >&2
  exit 1
fi

source=$(mktemp -d)
trap 'rm -rf "$source"' EXIT
mkdir "$source/notebooks"
cp "$root/site/index.md" "$root/README.md" "$source/"
cp "$root"/notebooks/[0-9][0-9]_*.ipynb "$source/notebooks/"

"$python" -m sphinx -b html -W --keep-going -q -j auto \
  -c "$root/site" -d "$source/.doctrees" "$source" "$out"
echo "site written to $out/index.html"
