"""Re-execute notebooks in place from a fresh kernel, time them, and check what nbval will need.

    python tools/execute_notebooks.py                       # every notebooks/*.ipynb, one at a time
    python tools/execute_notebooks.py notebooks/02_build_an_rbm.ipynb
    python tools/execute_notebooks.py --nbval               # then validate each with strict nbval

Each notebook is run with ``jupyter nbconvert --to notebook --execute --inplace`` (without per-cell
timing metadata, which would change on every run), then checked: execution counts 1..N in order,
no error outputs, no cell left unexecuted. The wall time printed is what the first cell should state
("about N s to run on 2 CPU cores"); it includes starting the kernel. Badges are brought up to date
first (tools/badges.py), since a notebook's first cell is part of what is committed.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"


def execute(path: Path, timeout: int) -> float:
    """Run ``path`` top to bottom in a fresh kernel, in place; return the wall time in seconds."""
    command = [
        sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute", "--inplace",
        "--ExecutePreprocessor.record_timing=False", f"--ExecutePreprocessor.timeout={timeout}", str(path),
    ]
    started = time.perf_counter()
    subprocess.run(command, check=True, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    return time.perf_counter() - started


def problems(path: Path) -> list[str]:
    """What would make the committed notebook a poor reference for nbval or a reader."""
    notebook = nbformat.read(path, as_version=4)
    found = []
    counts = [cell.execution_count for cell in notebook.cells if cell.cell_type == "code"]
    if counts != list(range(1, len(counts) + 1)):
        found.append(f"execution counts are {counts}, not 1..{len(counts)} in order")
    for index, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                found.append(f"cell {index} has an error output: {output.ename}: {output.evalue}")
            if output.output_type == "stream" and output.name == "stderr":
                found.append(f"cell {index} writes to stderr (warnings differ between machines): "
                             f"{output.text.strip()[:120]!r}")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every notebooks/*.ipynb")
    parser.add_argument("--timeout", type=int, default=600, help="seconds allowed per cell")
    parser.add_argument("--nbval", action="store_true", help="then run strict nbval on each notebook")
    arguments = parser.parse_args(argv)
    paths = [p.resolve() for p in arguments.notebooks] or sorted(NOTEBOOKS.glob("*.ipynb"))
    subprocess.run([sys.executable, str(ROOT / "tools" / "badges.py"), *map(str, paths)], check=True, cwd=ROOT)
    failed = False
    for path in paths:
        try:
            seconds = execute(path, arguments.timeout)
        except subprocess.CalledProcessError as error:
            print(f"{path.name}: execution failed\n{error.stderr[-3000:]}")
            failed = True
            continue
        found = problems(path)
        print(f"{path.name}: executed in {seconds:.1f} s" + ("" if not found else " BUT"))
        for problem in found:
            print(f"  - {problem}")
        failed |= bool(found)
        if arguments.nbval:
            result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(path)],
                                    cwd=ROOT, capture_output=True, text=True)
            print(f"  nbval: {result.stdout.strip().splitlines()[-1] if result.stdout.strip() else result.stderr}")
            failed |= result.returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
