"""Waiting in tests: poll a condition, and fail the test by saying what never happened."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import pytest

T = TypeVar("T")

WAIT = 20.0
"""Generous: the machine's cores are shared with other test runs."""


def wait_for(predicate: Callable[[], T], timeout: float = WAIT, what: str = "condition",
             interval: float = 0.05) -> T:
    """Poll `predicate` until it returns a true value, and return that value; fail the test
    with "timed out after Ns waiting for <what>" if it does not within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)
