"""Shared by every suite: when an end-to-end test fails, its report ends with the last lines
of each stand-in node's syslog (`var/adm/messages`), so a failure in CI, whose clusters are
gone by the time anyone looks, still says what the cluster and the agent did.

A test or fixture that owns a cluster directory says so with the fixture `show_node_logs`.
"""

from __future__ import annotations

import getpass
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from imsguide import faults, testbed

# Property tests check results, never speed: Hypothesis' default 200 ms deadline per example
# is a timed assertion, and on a loaded machine (CI included) a first run that pays for
# imports or a page-in fails it ("Unreliable test timings", FlakyFailure).
settings.register_profile("suite", deadline=None)
settings.load_profile("suite")

LOG_LINES = 60
"""How many of each node's last syslog lines a failure report shows."""
LOGS_DIR = pytest.StashKey[Path]()
FAILED = pytest.StashKey[bool]()


@pytest.fixture
def show_node_logs(request: pytest.FixtureRequest) -> Callable[[Path], None]:
    """`show_node_logs(directory)`: a failure of this test reports the node logs of the
    cluster in `directory`."""
    def show(directory: Path) -> None:
        request.node.stash[LOGS_DIR] = directory
    return show


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item,
                              call: pytest.CallInfo[None]) -> Iterator[None]:
    report = yield
    if report.failed:
        item.stash[FAILED] = True
    directory = item.stash.get(LOGS_DIR, None)
    if directory is not None and report.failed and report.when in ("setup", "call"):
        report.sections.append(("node logs", faults.node_logs(directory, LOG_LINES)))
    return report


@pytest.fixture
def public_tmp_path(request: pytest.FixtureRequest) -> Iterator[Path]:
    """Like tmp_path, for a cluster whose Messaging Server drops to its runtime user: a fresh
    directory every user may traverse, outside pytest's private temporary root (why:
    testbed.public_directory). Removed after the test; kept after a failure, for a look at
    the node roots, as pytest keeps tmp_path."""
    top = testbed.public_directory()
    yield top
    if not request.node.stash.get(FAILED, False):
        shutil.rmtree(top, ignore_errors=True)


@pytest.fixture
def another_pytest_starts() -> Callable[[], None]:
    """`another_pytest_starts()` does what every pytest session does as it starts
    (_pytest.tmpdir.getbasetemp): take back the group and other permissions of its temporary
    root /tmp/pytest-of-<user>, under which tmp_path lies. Other sessions on a shared machine
    (another suite, a second terminal, a CI runner's other job) do it at any time; no cluster
    may depend on that directory staying searchable."""
    def start() -> None:
        temproot = Path(os.environ.get("PYTEST_DEBUG_TEMPROOT") or tempfile.gettempdir())
        root = temproot.resolve() / f"pytest-of-{getpass.getuser()}"
        mode = root.stat().st_mode
        if mode & 0o077:
            root.chmod(mode & ~0o077)
    return start


# --- the stand-in cluster of the agent's end-to-end suites (tests/agent, tests/faults) --------


@pytest.fixture(scope="session")
def package_dir() -> Iterator[Path]:
    """SUNWscims built once per session (per xdist worker)."""
    try:
        with testbed.built_package() as built:
            yield built
    except testbed.TestbedError as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="module")
def cluster(package_dir: Path) -> Iterator[testbed.Cluster]:
    """A two-node cluster after the generic procedure, one per test module; destroyed at the
    end, and a process of it left behind fails the module."""
    try:
        with testbed.generic_cluster(package_dir) as built:
            yield built
    except testbed.TestbedError as exc:
        pytest.fail(str(exc))


@pytest.fixture(autouse=True)
def _node_logs_of_the_test_bed(request: pytest.FixtureRequest) -> None:
    if "cluster" in request.fixturenames:
        value = request.getfixturevalue("cluster")
        if isinstance(value, testbed.Cluster):
            request.node.stash[LOGS_DIR] = value.site.directory
