"""Tests of ``python -m rbm_helpers fetch`` and ``check``, offline.

Downloads go to a closed port on 127.0.0.1 and the cache is a temporary folder,
as in test_data.py (whose helpers these tests share).
"""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from rbm_helpers.cli import main
from rbm_helpers.data import sources
from test_data import closed_local_url, copy_real_ml100k, files_in


@pytest.fixture(autouse=True)
def offline_and_isolated(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    cache.mkdir()
    monkeypatch.setenv("RBM_HELPERS_DATA", str(cache))
    monkeypatch.setattr(sources, "BASE_URL", closed_local_url())
    return cache


def test_fetch_from_a_ready_cache_says_where_the_data_is(tmp_path, capsys):
    cache = copy_real_ml100k(tmp_path / "ready")
    assert main(["fetch", "ml-100k", "--data-dir", str(cache)]) == 0
    out = capsys.readouterr().out
    assert f"ml-100k is ready in {cache / 'ml-100k'}" in out and "verified" in out


def test_fetch_offline_fails_with_advice_and_leaves_nothing(offline_and_isolated, capsys):
    assert main(["fetch", "ml-100k"]) == 1
    err = capsys.readouterr().err
    assert "could not connect" in err and str(offline_and_isolated / "ml-100k.zip") in err and '"synthetic"' in err
    assert files_in(offline_and_isolated) == []


def test_fetch_synthetic_needs_nothing(capsys):
    assert main(["fetch", "synthetic"]) == 0
    assert "no download" in capsys.readouterr().out


def test_check_passes_with_a_ready_cache(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("RBM_HELPERS_DATA", str(copy_real_ml100k(tmp_path / "ready")))
    assert main(["check"]) == 0
    out = capsys.readouterr().out
    assert "torch" in out and "device 'auto' ->" in out and "pandas" in out
    assert "ml-100k          ready" in out and "ml-1m            missing" in out


def test_check_fails_with_advice_when_ml100k_is_missing(offline_and_isolated):
    """Through ``python -m rbm_helpers``, as a learner would run it (no download is attempted)."""
    environment = {**os.environ, "RBM_HELPERS_DATA": str(offline_and_isolated)}
    result = subprocess.run(
        [sys.executable, "-m", "rbm_helpers", "check"], capture_output=True, text=True, env=environment, timeout=120
    )
    assert result.returncode == 1
    assert "python -m rbm_helpers fetch ml-100k" in result.stderr and 'load_movielens("synthetic")' in result.stderr
    assert f"Data cache   {offline_and_isolated}" in result.stdout
