"""Shared test set-up: make the tests folder importable so test modules can share tiny-model builders."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
