"""Before the notebooks are compared with nbval: is MovieLens 100K in the cache?

The committed notebooks show real MovieLens results. Without the data (a fresh
clone, offline) they fall back to synthetic data and every comparison would
differ, dozens of diffs that never say why. So when ml-100k is not ready, the
notebook cells are replaced by one failing test that says what is missing and
the command that fixes it; the unit tests run as usual.
"""
from __future__ import annotations

import pytest

from rbm_helpers.data import dataset_status

NOTEBOOK_DATA = "ml-100k"


class MissingNotebookData(pytest.Item):
    """One test standing for every notebook cell: fails with what is missing and how to get it."""

    def __init__(self, *, message: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.message = message

    def runtest(self) -> None:
        raise MissingNotebookDataError(self.message)

    def repr_failure(self, excinfo, style=None) -> str:
        return self.message

    def reportinfo(self):
        return self.path, None, f"notebooks: {NOTEBOOK_DATA} is needed"


class MissingNotebookDataError(Exception):
    """The data the notebooks' committed outputs come from is not in the cache."""


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    notebook_cells = [item for item in items if str(item.path).endswith(".ipynb")]
    if not notebook_cells:
        return
    status = dataset_status(NOTEBOOK_DATA)
    if status.ready:
        return
    message = (
        f"The notebooks' saved outputs come from MovieLens 100K, which is not ready: {status.detail}.\n"
        f"Fix: {status.fix}.\n"
        f"Then run the tests again. ({len(notebook_cells)} notebook cells were not run; the unit tests ran as usual.)"
    )
    config.hook.pytest_deselected(items=notebook_cells)
    kept = [item for item in items if item not in notebook_cells]
    stand_in = MissingNotebookData.from_parent(session, name="notebooks-need-movielens", path=notebook_cells[0].path, message=message)
    items[:] = kept + [stand_in]
