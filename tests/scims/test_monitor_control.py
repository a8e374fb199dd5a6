"""Monitor_start, Monitor_stop, Update and Stop as the RGM sees them: the pmfadm commands they
run (a fake pmfadm on a node directory), their exit status and their log lines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from helpers_scims import FakeCommand, RecordingTransport, make_node_root, on_node, server_root

from scims import monitor_control, service_control
from scims.cluster import commands
from scims.cluster.invocation import PropertyView, parse
from scims.log.syslog import AgentLog
from scims.method_runtime import MethodContext

NAMES = ["-R", "mail-rs", "-T", "SUNW.ims:6.3", "-G", "MAIL-RG"]
MON = "MAIL-RG,mail-rs,0.mon"
SVC = "MAIL-RG,mail-rs,0.svc"


class Stored:
    """The properties of mail-rs as the cluster keeps them."""

    server_root = "/opt/SUNWmsgsr"
    """The node's installation (set by the `node` fixture to the node directory's)."""

    def __init__(self) -> None:
        self.system = {"monitor_stop_timeout": "120", "stop_timeout": "300",
                       "retry_count": "2", "retry_interval": "610"}
        self.extensions: dict[str, Any] = {"Monitor_retry_count": 4,
                                           "Monitor_retry_interval": 2,
                                           "IMS_serverroot": self.server_root}

    def resource_get(self, optag: str, r: str, g: str) -> commands.Reply:
        return commands.Reply("scha_resource_get", optag, (self.system[optag.lower()],))

    def extension(self, r: str, g: str, name: str) -> tuple[str, Any]:
        return "INT", self.extensions[name]


@pytest.fixture
def node(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = make_node_root(tmp_path / "mars")
    on_node(monkeypatch, root)
    monkeypatch.setattr(Stored, "server_root", server_root(root))
    methods = root / "opt" / "SUNWscims" / "bin"
    methods.mkdir(parents=True)
    for name in ("ims_monitor_start", "ims_probe"):
        (methods / name).write_text("#!/bin/sh\n")
        (methods / name).chmod(0o755)
    # ims_probe is found beside the method the RGM ran, and root runs it only if trusted.
    monkeypatch.setattr("sys.argv", [str(methods / "ims_monitor_start")])
    return root


def context(method: str) -> tuple[MethodContext, RecordingTransport]:
    inv = parse(NAMES)
    recorder = RecordingTransport()
    ctx = MethodContext(method, inv, AgentLog(inv.resource_type, inv.group, inv.resource,
                                              method, transport=recorder, facility="daemon"))
    ctx.props = PropertyView(inv, Stored())
    return ctx, recorder


def start_monitor_argv(node: Path) -> list[str]:
    """Monitor_start's pmfadm -c (Monitor_retry_count 4 within Monitor_retry_interval 2)."""
    return ["-c", MON, "-n", "4", "-t", "2",
            str(node / "opt" / "SUNWscims" / "bin" / "ims_probe"), *NAMES]


SVC_CHANGES = (["-s", SVC], ["-m", SVC, "-n", "0", "-t", "-1"],
               ["-m", SVC, "-n", "2", "-t", "11"])
"""What the methods here ask pmfadm to do to the service's tag (Stop's kill aside)."""


def pmfadm(node: Path, running: bool, service: bool = False,
           holds_monitor: bool = False) -> FakeCommand:
    """pmfadm with the monitor running or not, Messaging Server running or not (`service`).
    As pmfadm does, it refuses (exit 1) -s and -m of a tag it does not hold, and with
    `holds_monitor` -c of the running monitor's (for good: this fake keeps no state, so not
    where the method stops the monitor first, as Update does); everything else succeeds."""
    fake = FakeCommand(node, "pmfadm")
    fake.answer(["-q", MON], status=0 if running else 1)
    fake.answer(["-q", SVC], status=0 if service else 1)
    if running and holds_monitor:
        fake.answer(start_monitor_argv(node), status=1, stderr="pmfadm: already running")
    if not running:
        fake.answer(["-s", MON, "-w", "29", "KILL"], status=1, stderr="pmfadm: no such tag")
    if not service:
        for argv in SVC_CHANGES:
            fake.answer(list(argv), status=1, stderr="pmfadm: no such tag")
    fake.answer(None)
    return fake


def changes(fake: FakeCommand) -> list[list[str]]:
    return [argv for argv in fake.argvs() if argv[0] != "-q"]


def texts(recorder: RecordingTransport) -> list[str]:
    return [f"{r.priority.label}: {r.text}" for r in recorder.records]


def test_monitor_start_runs_ims_probe_under_the_mon_tag(node: Path) -> None:
    fake = pmfadm(node, running=False)
    ctx, recorder = context("ims_monitor_start")
    assert monitor_control.monitor_start(ctx) == 0
    (start,) = [argv for argv in fake.argvs() if argv[0] == "-c"]
    assert start[:6] == ["-c", MON, "-n", "4", "-t", "2"]
    assert start[6].endswith("/ims_probe")
    assert start[7:] == NAMES
    assert texts(recorder) == ["info: Started the fault monitor."]


def test_monitor_start_when_it_already_runs_starts_nothing(node: Path) -> None:
    """pmfadm -c refuses the running monitor's tag; asked why, pmfadm -q says it runs."""
    fake = pmfadm(node, running=True, holds_monitor=True)
    ctx, recorder = context("ims_monitor_start")
    assert monitor_control.monitor_start(ctx) == 0
    assert fake.argvs() == [start_monitor_argv(node), ["-q", MON],
                            ["-m", SVC, "-n", "0", "-t", "-1"], ["-q", SVC]]
    assert texts(recorder) == ["info: Started the fault monitor."]


def test_monitor_start_runs_pmfadm_twice(node: Path) -> None:
    """The usual Monitor_start (after Start): pmfadm -c of the monitor and pmfadm -m of the
    service, no pmfadm -q before either."""
    fake = pmfadm(node, running=False, service=True)
    ctx, _recorder = context("ims_monitor_start")
    assert monitor_control.monitor_start(ctx) == 0
    assert fake.argvs() == [start_monitor_argv(node), ["-m", SVC, "-n", "0", "-t", "-1"]]


def test_monitor_stop_runs_pmfadm_twice(node: Path) -> None:
    """The usual Monitor_stop: pmfadm -s of the monitor and pmfadm -m of the service."""
    fake = pmfadm(node, running=True, service=True)
    ctx, _recorder = context("ims_monitor_stop")
    assert monitor_control.monitor_stop(ctx) == 0
    assert fake.argvs() == [["-s", MON, "-w", "29", "KILL"],
                            ["-m", SVC, "-n", "2", "-t", "11"]]


def test_monitor_stop_of_a_monitor_that_is_not_running_succeeds(node: Path) -> None:
    fake = pmfadm(node, running=False, service=False)
    ctx, recorder = context("ims_monitor_stop")
    assert monitor_control.monitor_stop(ctx) == 0
    assert [argv[:2] for argv in fake.argvs()] == [
        ["-s", MON], ["-q", MON], ["-m", SVC], ["-q", SVC]]
    assert texts(recorder) == ["info: Stopped the fault monitor."]


def test_monitor_start_failure_is_the_commands_complaint_then_the_verdict(node: Path) -> None:
    fake = FakeCommand(node, "pmfadm")
    fake.answer(["-q", MON], status=1)
    fake.answer(None, status=2, stderr="pmfadm: cannot start")
    ctx, recorder = context("ims_monitor_start")
    assert monitor_control.monitor_start(ctx) == 1
    lines = texts(recorder)
    assert len(lines) == 2 and lines[0].startswith("error: ") and "cannot start" in lines[0]
    assert lines[1] == "error: Failed to start fault monitor."


def test_monitor_stop_kills_the_monitor_within_its_timeout(node: Path) -> None:
    fake = pmfadm(node, running=True)
    ctx, recorder = context("ims_monitor_stop")
    assert monitor_control.monitor_stop(ctx) == 0
    # 25 % of Monitor_stop_timeout, less a second
    assert ["-s", MON, "-w", "29", "KILL"] in fake.argvs()
    assert texts(recorder) == ["info: Stopped the fault monitor."]


def test_update_restarts_a_running_monitor_and_leaves_the_service_alone(node: Path) -> None:
    fake = pmfadm(node, running=True)
    ctx, recorder = context("ims_svc_update")
    assert monitor_control.update(ctx) == 0
    changing = [argv[:2] for argv in fake.argvs() if argv[0] != "-q"]
    assert changing == [["-s", MON], ["-c", MON]]
    assert texts(recorder) == ["info: Restarted the fault monitor so that the new property "
                               "values take effect."]


def test_update_leaves_a_disabled_monitor_disabled(node: Path) -> None:
    fake = pmfadm(node, running=False)
    ctx, recorder = context("ims_svc_update")
    assert monitor_control.update(ctx) == 0
    # no monitor started; the service's restarts not set, as it does not run either
    assert fake.argvs() == [["-q", MON], ["-m", SVC, "-n", "2", "-t", "11"], ["-q", SVC]]
    assert recorder.records == []


def test_stop_succeeds_when_nothing_runs_and_the_installation_is_gone(node: Path) -> None:
    fake = pmfadm(node, running=False)
    ctx, recorder = context("ims_svc_stop")
    assert service_control.stop(ctx) == 0
    assert fake.argvs() == [["-s", SVC], ["-q", SVC]]  # pmfadm -s refused: is it there?
    assert texts(recorder) == ["info: Messaging Server stopped."]


def test_while_the_monitor_runs_pmf_does_not_restart_messaging_server(node: Path) -> None:
    """The monitor decides (a give-up in HA mode is a request to fail over); PMF restarts
    only while it is disabled."""
    fake = pmfadm(node, running=False, service=True)
    ctx, _recorder = context("ims_monitor_start")
    assert monitor_control.monitor_start(ctx) == 0
    assert changes(fake)[-1] == ["-m", SVC, "-n", "0", "-t", "-1"]


def test_monitor_stop_gives_pmf_back_retry_count_within_retry_interval(node: Path) -> None:
    fake = pmfadm(node, running=True, service=True)
    ctx, recorder = context("ims_monitor_stop")
    assert monitor_control.monitor_stop(ctx) == 0
    # Retry_count 2 within Retry_interval 610 s, rounded up to 11 minutes
    assert changes(fake)[-1] == ["-m", SVC, "-n", "2", "-t", "11"]
    assert texts(recorder) == ["info: Stopped the fault monitor."]


def test_update_without_monitor_gives_pmf_the_new_retry_values(node: Path) -> None:
    fake = pmfadm(node, running=False, service=True)
    ctx, _recorder = context("ims_svc_update")
    assert monitor_control.update(ctx) == 0
    assert changes(fake) == [["-m", SVC, "-n", "2", "-t", "11"]]


def test_update_asks_pmfadm_once_whether_the_monitor_runs(node: Path) -> None:
    fake = pmfadm(node, running=True)
    ctx, _recorder = context("ims_svc_update")
    assert monitor_control.update(ctx) == 0
    assert [argv for argv in fake.argvs() if argv[0] == "-q"] == [["-q", MON]]


def test_stop_does_not_ask_pmfadm_what_it_was_just_told(node: Path) -> None:
    """The tag's monitoring is stopped at once, without asking pmfadm -q first (pmfadm -s
    refuses a tag it does not hold); after stop-msg, -q once (is the tag gone?), and after
    the kill once more: PMF still holds the tag here, so Stop fails, as it must."""
    fake = pmfadm(node, running=False, service=True)
    ctx, recorder = context("ims_svc_stop")
    assert service_control.stop(ctx) == 1
    assert [argv[:2] for argv in fake.argvs()] == [
        ["-s", SVC], ["-q", SVC], ["-s", SVC], ["-q", SVC]]
    assert fake.argvs()[2][-1] == "KILL"
    assert texts(recorder)[-1].startswith("error: ")
