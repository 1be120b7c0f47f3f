"""A new user's first run: with MovieLens missing and no network, the notebook tests fail once, saying why."""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_missing_movielens_fails_once_with_the_fix(tmp_path):
    environment = {**os.environ, "RBM_HELPERS_DATA": str(tmp_path)}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "notebooks/01_energy_model.ipynb", "notebooks/05_recommend_and_evaluate.ipynb",
         "-p", "no:cacheprovider"],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120,
    )
    assert run.returncode == 1, run.stdout[-2000:]
    assert "1 failed" in run.stdout and "deselected" in run.stdout
    assert "python -m rbm_helpers fetch ml-100k" in run.stdout
    assert "Notebook cell execution failed" not in run.stdout  # no kernel was started, no output diffs
