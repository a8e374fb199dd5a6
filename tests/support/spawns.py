"""pytest plugin: which tests start a process (subprocess or fork), for keeping unit tests
in process. Run it in one process (no -n), e.g.

    .venv/bin/python -m pytest tests/scims -p support.spawns -q

and read the summary: the tests that started a process, by file, and their count. The
tests of the cluster-command module (test_commands.py) start programs by design, and so do
the tests that read the kernel's process table (test_messaging_processes.py,
test_process_table.py); every other unit test answers the cluster in process.
"""

from __future__ import annotations

import os
import subprocess
from collections import Counter
from typing import Any

import pytest

_current: dict[str, Any] = {"test": None}
_spawners: Counter[str] = Counter()


def _note() -> None:
    if _current["test"] is not None:
        _spawners[_current["test"]] += 1


def pytest_configure(config: pytest.Config) -> None:
    real_exec = subprocess.Popen._execute_child  # type: ignore[attr-defined]
    real_fork = os.fork

    def execute_child(self: subprocess.Popen[Any], *args: Any, **kwargs: Any) -> Any:
        _note()
        return real_exec(self, *args, **kwargs)

    def fork() -> int:
        _note()
        return real_fork()

    subprocess.Popen._execute_child = execute_child  # type: ignore[attr-defined]
    os.fork = fork


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: Any) -> Any:
    _current["test"] = item.nodeid
    try:
        return (yield)
    finally:
        _current["test"] = None


def pytest_terminal_summary(terminalreporter: Any) -> None:
    by_file = Counter(test.split("::")[0] for test in _spawners)
    terminalreporter.section("tests that started a process")
    for path, count in sorted(by_file.items()):
        terminalreporter.write_line(f"{count:4d}  {path}")
    collected = terminalreporter._session.testscollected if terminalreporter._session else 0
    terminalreporter.write_line(f"{len(_spawners)} of {collected} tests started a process")
