"""Shared by the OCF suite's tests and its conftest."""

from __future__ import annotations

import pytest

BED_LOGS = pytest.StashKey[object]()
"""A test stashes its bed here so that its failure report ends with the nodes' logs."""
