"""Shared by the OCF suite's tests and its conftest."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pacemakerbed.bed import PacemakerBed

BED_LOGS = pytest.StashKey[object]()
"""A test stashes its bed here so that its failure report ends with the nodes' logs."""


@contextlib.contextmanager
def running_bed(directory: Path, deb: Path) -> Iterator[PacemakerBed]:
    """A Pacemaker bed with its group started, destroyed on exit with nothing left."""
    from pacemakerbed.bed import PacemakerBed, Timing

    made = PacemakerBed.create(directory, deb, Timing())
    try:
        made.wait_started()
        yield made
    finally:
        made.destroy()
        assert made.leftovers() == [], "processes of the bed outlived it"
