"""Start's wait until Messaging Server is up: what it asks of the kernel and of pmfadm."""

from __future__ import annotations

import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest

from scims import service_control
from scims.errors import AgentError, FrameworkError
from scims.log import messages


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


# --- what Start asks pmfadm before and after starting start-msg -----------------------------

class RecordingPmf:
    """pmfadm as Start uses it, each call recorded; -c refused when the tag is held."""

    def __init__(self, held: bool = False) -> None:
        self.held = held
        self.calls: list[str] = []

    def start(self, tag: str, argv: list[str], **policy: Any) -> None:
        self.calls.append("-c")
        if self.held:
            raise FrameworkError("pmfadm", 1, "already running", tag)

    def is_running(self, tag: str) -> bool:
        self.calls.append("-q")
        return self.held

    def modify(self, tag: str, **policy: Any) -> bool:
        self.calls.append("-m")
        return True

    def stop(self, tag: str, *args: Any, **kwargs: Any) -> bool:
        self.calls.append("-s")
        return True


class Log:
    def __init__(self) -> None:
        self.emitted: list[str] = []

    def emit(self, message: Any, *arguments: Any) -> None:
        self.emitted.append(message.name)

    def report(self, error: AgentError) -> int:
        self.emit(error.message)
        return 1


class Props:
    def get_int(self, name: str) -> int:
        return {"Child_mon_level": -1, "Retry_count": 2, "Retry_interval": 610}[name]


class StartContext(SimpleNamespace):
    def seconds(self, name: str) -> int:
        return 300

    def server_root_value(self) -> str:
        return "/opt/SUNWmsgsr"

    def process_monitor(self) -> RecordingPmf:
        return self.pmf

    def logical_addresses(self) -> list[str]:
        if self.lost:
            raise FrameworkError("scha_resourcegroup_get", 14, "no such group", "Resource_list")
        return []

    def set_status(self, status: str, message: str) -> None:
        self.status = status


@pytest.fixture
def start_context(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> Callable[[bool], Any]:
    """Start with an installation no process runs from, whose start-msg is trusted, whose
    services answer at once; the runtime record kept in a list."""
    inst = SimpleNamespace(path=str(tmp_path), config_dir=None, server_root="/opt/SUNWmsgsr",
                           user=SimpleNamespace(uid=4242), config=SimpleNamespace(endpoints=[]))
    records: list[str] = []
    monkeypatch.setattr(service_control.installation, "inspect", lambda root, log: inst)
    monkeypatch.setattr(service_control.installation, "check_command",
                        lambda path, name, root: f"{path}/sbin/{name}")
    monkeypatch.setattr(service_control, "_wait_until_ready", lambda *a, **k: None)
    monkeypatch.setattr(service_control.trust, "RuntimeRecord", lambda *a: SimpleNamespace(
        write=records.append))

    def make(held: bool) -> Any:
        return StartContext(pmf=RecordingPmf(held), log=Log(), props=Props(), records=records,
                            svc_tag=CTX.svc_tag, group="MAIL-RG", resource="mail-rs",
                            lost=False)
    return make


def test_start_runs_pmfadm_c_without_asking_first(start_context: Callable[[bool], Any]) -> None:
    """pmfadm -c refuses a tag PMF holds, so no pmfadm -q before it; -m once it is up."""
    ctx = start_context(False)
    assert service_control.start(ctx) == 0
    assert ctx.pmf.calls == ["-c", "-m"]
    assert ctx.records == ["4242\n"] and ctx.status == "OK"


def test_start_of_a_tag_pmf_holds_is_already_running_and_kills_nothing(
        start_context: Callable[[bool], Any]) -> None:
    ctx = start_context(True)
    with pytest.raises(AgentError) as caught:
        service_control.start(ctx)
    assert caught.value.message is messages.ALREADY_RUNNING
    assert "PMF tag MAIL-RG,mail-rs,0.svc" in str(caught.value)
    assert ctx.pmf.calls == ["-c", "-q"]  # no pmfadm -s: what runs under the tag is not ours
    assert ctx.records == []  # nor is its runtime record rewritten


def test_the_logical_hosts_are_asked_while_start_msg_starts(
        start_context: Callable[[bool], Any]) -> None:
    """What to probe is asked after pmfadm -c: when the cluster cannot say, Start fails and
    kills what it started (nothing half-started), the cluster's complaint in the log."""
    ctx = start_context(False)
    ctx.lost = True
    assert service_control.start(ctx) == 1
    assert ctx.pmf.calls == ["-c", "-s"]
    lost = FrameworkError("scha_resourcegroup_get", 14, "no such group", "Resource_list")
    assert ctx.log.emitted[-2:] == [lost.message.name, "START_FAILED"]
