"""The fault matrix and the Validate fuzzing: SUNWscims on two-node stand-in clusters
(src/imsguide/testbed.py), each always destroyed at the end with no process of it left.

The matrix's rows run on clusters of their own, in a process of their own (src/imsguide/
matrixprocess.py: other tests of this worker change the environment, which threads that start
programs must not share), started as soon as the session's first test here starts: the table
then runs while the Validate fuzzing and other tests run in the foreground, and each row's
test in test_matrix.py collects that row's result.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from imsguide.faultmatrix import RESULT_WAIT, Row
from imsguide.matrixprocess import MatrixProcess

MATRIX = pytest.StashKey[MatrixProcess]()


def _selected_rows(session: pytest.Session) -> tuple[object, list[Row]]:
    """The matrix module and the rows whose tests were selected, in table order."""
    module, names = None, set()
    for item in session.items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and isinstance(callspec.params.get("row"), Row):
            module = item.module
            names.add(callspec.params["row"].name)
    if module is None:
        return None, []
    return module, [row for row in module.TABLE if row.name in names]


@pytest.fixture(scope="session", autouse=True)
def fault_matrix(request: pytest.FixtureRequest, package_dir: Path) -> Iterator[None]:
    module, rows = _selected_rows(request.session)
    if module is None:
        yield
        return
    run = MatrixProcess(Path(module.__file__), package_dir,
                        [[row for row in rows if module.shard_of(row) == n]
                         for n in range(len(module.SHARDS))])
    request.config.stash[MATRIX] = run
    run.start()
    try:
        yield
    finally:
        run.stop(RESULT_WAIT)
        assert not run.teardown_errors, "\n".join(run.teardown_errors)


@pytest.fixture
def matrix(request: pytest.FixtureRequest) -> MatrixProcess:
    return request.config.stash[MATRIX]
