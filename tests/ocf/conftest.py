"""Fixtures of the OCF suite: the scims-ocf package built once, and the Pacemaker bed."""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

import hostlab

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "packaging"))

import debian  # noqa: E402

from support.ocf import BED_LOGS  # noqa: E402


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item,
                              call: pytest.CallInfo[None]) -> Iterator[None]:
    report = yield
    bed = item.stash.get(BED_LOGS, None)
    if bed is not None and report.failed and report.when in ("setup", "call"):
        report.sections.append(("node logs", bed.logs_tail()))  # type: ignore[attr-defined]
    return report


@pytest.fixture(scope="session")
def deb() -> Iterator[Path]:
    """The Debian package, built from this tree into a private directory."""
    with tempfile.TemporaryDirectory(prefix="scims-ocf-deb-") as out:
        yield debian.build(Path(out))


@pytest.fixture(scope="session")
def capable() -> None:
    problem = hostlab.check_capabilities()
    if problem:
        pytest.fail(problem)
