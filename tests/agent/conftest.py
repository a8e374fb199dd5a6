"""The agent's end-to-end tests: SUNWscims on a two-node stand-in cluster with an mssim
installation, set up by the guide's generic procedure (src/scenarios/testbed.py).

The package is built once per session; each test module gets its own cluster (module
scope), which is always destroyed at the end, and no process of it may be left behind.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from scenarios import testbed
from scenarios.testbed import HEAL_TIMEOUT, Cluster

__all__ = ["HEAL_TIMEOUT", "Cluster"]


@pytest.fixture(scope="session")
def package_dir() -> Iterator[Path]:
    try:
        with testbed.built_package() as built:
            yield built
    except testbed.TestbedError as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="module")
def cluster(package_dir: Path) -> Iterator[Cluster]:
    try:
        with testbed.generic_cluster(package_dir) as built:
            yield built
    except testbed.TestbedError as exc:
        pytest.fail(str(exc))
