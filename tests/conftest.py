"""Shared test set-up: make the tests folder importable so test modules can share tiny-model builders,
and a fixture that runs a test on one torch thread."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from rbm_helpers.device import single_thread  # noqa: E402


@pytest.fixture
def one_thread():
    """These models are tiny; on a busy 2-core machine, a second thread only spins and waits."""
    with single_thread():
        yield
