"""Time: every call bounded by what is left of the method's timeout, kill steps keep their
share, a timed-out command dies with its whole tree; a failed query is not a zero; one grace
for all services failing in one cycle.

Attacks 9, 11, 15 and 16 of issue #11."""

from __future__ import annotations

import inspect
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from helpers_scims import (
    FakeCommand,
    ManualClock,
    MonitorContext,
    RecordingTransport,
    method_context,
    server_root,
)
from security_support import RUNTIME_UID, SYSTEM_PYTHON, alive, as_user, fake_pmfadm

from scims import service_control
from scims.cluster import commands
from scims.cluster.scha_errors import SchaError
from scims.errors import FrameworkError
from scims.fault_monitor import GRACE_LIMIT, GRACE_POLL, FaultMonitor, Settings
from scims.log.syslog import AgentLog
from scims.messaging.probes import ProbeResult, Target
from scims.messaging.processes import MessagingInstance

SLEEPER = "import time\nwhile True:\n    time.sleep(0.2)\n"




def test_stop_with_a_hanging_pmfadm_still_stops_messaging_server(node: Path) -> None:
    """Attack 9: `pmfadm -q` hanging: Stop gave up after one 30 s call without running
    stop-msg or killing anything: STOP_FAILED, Messaging Server left running."""
    base = node / "opt" / "SUNWmsgsr"
    watcher = base / "lib" / "watcher"
    watcher.write_text(f"#!{SYSTEM_PYTHON}\n{SLEEPER}")
    watcher.chmod(0o755)
    server = subprocess.Popen([str(watcher)], preexec_fn=as_user(RUNTIME_UID))  # noqa: PLW1509
    try:
        time.sleep(0.5)
        assert MessagingInstance(str(base), None, RUNTIME_UID).watcher() is not None
        calls = fake_pmfadm(node, hang="-q -s")
        hatimerun = FakeCommand(node, "hatimerun").answer(None)
        ctx, recorder = method_context(
        "ims_svc_stop", {"stop_timeout": 20, "IMS_serverroot": server_root(node)})
        try:
            status = service_control.stop(ctx)
        except FrameworkError as exc:
            pytest.fail(f"Stop gave up: {exc}")
        assert status == 0, [r.text for r in recorder.records]
        assert server.wait(timeout=10) == -9, "Messaging Server was not killed"
        assert any(argv[-2:] == [str(base / "sbin" / "stop-msg"), "ha"]
                   for argv in hatimerun.argvs()), "stop-msg was not run"
        assert len(calls.read_text().splitlines()) == 1, \
            "Stop waited for pmfadm again and again"
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


@pytest.mark.parametrize("detach", [False, True], ids=["grandchild", "reparented"])
def test_a_timed_out_command_dies_with_its_whole_tree(node: Path, detach: bool) -> None:
    """Attack 16: a hung framework command whose grandchild kept the pipes open: a 2 s
    timeout took 7 s and left the grandchild running (here also one already reparented)."""
    pidfile = node / "grandchild.pid"
    spawn = (f"( sleep 1000 & echo $! > {pidfile} )" if detach
             else f"sleep 1000 & echo $! > {pidfile}")
    command = node / "usr" / "cluster" / "bin" / "scha_cluster_get"
    command.write_text(f"#!/bin/sh\n{spawn}\nsleep 1000\n")
    command.chmod(0o755)
    with pytest.raises(FrameworkError) as caught:
        commands.cluster_get("SYSLOG_FACILITY", timeout=2)
    assert caught.value.err == SchaError.TIMEOUT
    grandchild = int(pidfile.read_text())
    try:
        deadline = time.monotonic() + 5
        while alive(grandchild) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not alive(grandchild), "the command's grandchild was left running"
    finally:
        if alive(grandchild):
            os.kill(grandchild, 9)


# --- the fault monitor ----------------------------------------------------------------------

IMAP = Target("imap", "imap", "127.0.1.155", 143)


class BrokenCountCluster:
    """scha_control works; Num_resource_restarts cannot be read."""

    def __init__(self) -> None:
        self.controls: list[str] = []

    def control(self, tag: str, g: str, r: str) -> SchaError:
        self.controls.append(tag)
        return SchaError.NOERR

    def resource_get(self, optag: str, r: str, g: str) -> commands.Reply:
        raise FrameworkError("scha_resource_get", SchaError.CLUSTER, "not in cluster mode",
                             optag)


@dataclass
class FakeProcess:
    pid: int
    program: str = "/opt/SUNWmsgsr/lib/watcher"
    create_time: float = 1000.0
    name: str = "watcher"

    def is_alive(self) -> bool:
        return True


class FakeInstance:
    def watcher(self) -> FakeProcess:
        return FakeProcess(100)

    def processes(self) -> list[FakeProcess]:
        return [FakeProcess(100)]


def refused(target: Target, timeout: float) -> ProbeResult:
    return ProbeResult(target, 100, f"{target.label} refused the connection", 0.01)


def monitor(cluster: object, targets: list[Target], clock: ManualClock, *, autorestart: bool,
            node: Path) -> FaultMonitor:
    ctx = MonitorContext(AgentLog("SUNW.ims", "MAIL-RG", "mail-rs", "ims_probe",
                               transport=RecordingTransport(), facility="daemon"))
    settings = Settings(thorough_probe_interval=10, probe_timeout=30, retry_count=2,
                        retry_interval=600, failover_mode="SOFT")
    extra: dict[str, object] = {}
    if "ledger" in inspect.signature(FaultMonitor).parameters:
        # The monitor's own record of its restart requests, where each new monitor finds it.
        from scims.fault_monitor import RestartLedger
        from scims.trust import RuntimeRecord
        extra["ledger"] = RestartLedger(RuntimeRecord("MAIL-RG", "mail-rs", "restarts"))
    if "liveness" in inspect.signature(FaultMonitor).parameters:
        # The kernel's word on the fake watcher: sleeping, as a healthy one is.
        from scims.messaging.liveness import LivenessWatch
        extra["liveness"] = LivenessWatch(read=lambda pid: ("S", 0, 0))
    return FaultMonitor(ctx, settings, FakeInstance(), targets,  # type: ignore[arg-type]
                        server_root=server_root(node), watch_watcher=autorestart,
                        autorestart=autorestart, cluster=cluster, probe_one=refused,
                        clock=clock, sleep=clock.sleep, watch_interval=0.05, **extra)


def test_a_failed_restart_count_is_not_zero(node: Path) -> None:
    """Attack 11: Num_resource_restarts failing: every restart was "restart 1 of 2", the
    watcher was killed again and again, and the group never failed over. Each restart
    replaces the monitor process, so each generation here is a new FaultMonitor."""
    cluster = BrokenCountCluster()
    clock = ManualClock()
    for _generation in range(4):
        monitor(cluster, [IMAP], clock, autorestart=False, node=node).probe_cycle()
        clock.now += 30
        if cluster.controls[-1] == "GIVEOVER":
            break
    assert cluster.controls == ["RESOURCE_RESTART", "RESOURCE_RESTART", "GIVEOVER"]


def test_seven_failing_services_share_one_grace(node: Path) -> None:
    """Attack 15: seven services refusing at once: the restart came 70 s later (a 10 s
    grace per service, one after the other). Time here is the monitor's own clock."""
    targets = [Target(f"svc{i}", "smtp", "127.0.1.155", 2500 + i) for i in range(7)]
    cluster = BrokenCountCluster()
    cluster.resource_get = lambda *a: commands.Reply(  # type: ignore[method-assign]
        "scha_resource_get", "Num_resource_restarts", ("0",))
    clock = ManualClock()
    fm = monitor(cluster, targets, clock, autorestart=True, node=node)
    began = clock.now
    fm.probe_cycle()
    assert cluster.controls == ["RESOURCE_RESTART"]
    assert clock.now - began <= GRACE_LIMIT + GRACE_POLL, \
        f"the restart came after {clock.now - began:.0f} s of grace"


def test_the_restart_ledger_is_kept_where_only_root_writes(node: Path) -> None:
    """The record an unknown count falls back on is no new input for the runtime user."""
    from scims.trust import RuntimeRecord, check_directory

    record = RuntimeRecord("MAIL-RG", "mail-rs", "restarts")
    assert record.write("1.0\n")
    assert check_directory(record.directory) is None
    assert os.stat(record.path).st_uid == 0
    os.chown(record.directory, RUNTIME_UID, -1)
    assert record.read() is None, "a record in a directory of the runtime user was believed"
    assert not record.write("2.0\n")

