"""Start's wait until Messaging Server is up: what it asks of the kernel and of pmfadm."""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import Any

from scims import service_control


class CountingPmf:
    def __init__(self, registered: bool) -> None:
        self.registered = registered
        self.asked = 0

    def is_running(self, tag: str) -> bool:
        self.asked += 1
        return self.registered


class Instance:
    def __init__(self, processes: list[Any]) -> None:
        self._processes = processes

    def processes(self) -> list[Any]:
        return self._processes

    def watcher(self) -> Any:
        return self._processes[0] if self._processes else None


def installation(watcher: bool) -> Any:
    return SimpleNamespace(config=SimpleNamespace(
        ha=SimpleNamespace(watcher_enabled=SimpleNamespace(value=watcher))))


CTX = SimpleNamespace(svc_tag="MAIL-RG,mail-rs,0.svc")


def wait_until_ready(pmf: Any, processes: list[Any], *, within: float) -> Any:
    """Start's wait for an HA installation whose running processes are `processes`
    (the watcher first), no service to probe, `within` seconds: why it failed, or None."""
    return service_control._wait_until_ready(
        CTX, installation(watcher=True), Instance(processes), pmf, [],
        deadline=time.monotonic() + within)


def test_while_its_processes_run_pmfadm_is_not_asked() -> None:
    pmf = CountingPmf(registered=True)
    failure = wait_until_ready(pmf, ["watcher"], within=5)
    assert failure is None
    assert pmf.asked == 0


def test_start_msg_gone_with_nothing_left_is_a_failed_start() -> None:
    pmf = CountingPmf(registered=False)
    failure = wait_until_ready(pmf, [], within=5)
    assert failure is not None and failure.startswith("start-msg ha ended")
    assert pmf.asked == 1


def test_no_process_yet_but_the_tag_registered_waits_on() -> None:
    """Between pmfadm -c and start-msg's first process, PMF's word keeps Start waiting."""
    pmf = CountingPmf(registered=True)
    failure = wait_until_ready(pmf, [], within=0.3)
    assert failure is not None and "the watcher is not running" in failure
    assert pmf.asked >= 1
