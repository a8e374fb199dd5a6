"""A lab per test, always destroyed; a test that finds something left behind fails."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import hostlab


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[hostlab.Lab]:
    problem = hostlab.check_capabilities()
    if problem:
        pytest.fail(problem)
    with hostlab.Lab(tmp_path / "lab") as made:
        yield made
    assert hostlab.cleanup(tmp_path / "lab") == []


@pytest.fixture(autouse=True)
def _nothing_outlives_the_test(tmp_path: Path) -> Iterator[None]:
    """Whatever a failed test left in a lab under its tmp_path is torn down (and the test
    that left it has failed already)."""
    yield
    for record in hostlab.registered_labs():
        if record["directory"].startswith(str(tmp_path)):
            hostlab.cleanup(record["directory"])
