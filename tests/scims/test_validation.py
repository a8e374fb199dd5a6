"""Validate's check of the fault monitor timing: Retry_interval must hold Retry_count restarts
at one per Thorough_probe_interval, judged on the values about to be applied."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers_scims import RecordingTransport, make_node_root, on_node

from scims import validation
from scims.cluster import commands
from scims.cluster.invocation import PropertyView, parse
from scims.errors import CheckFailed
from scims.log import messages
from scims.log.syslog import AgentLog
from scims.method_runtime import MethodContext, run_method

NAMES = ["-R", "mail-rs", "-T", "SUNW.ims:6.3", "-G", "MAIL-RG"]


class Stored:
    """The stored system properties of mail-rs, as scha_resource_get answers."""

    def __init__(self, **values: int) -> None:
        self.values = {name.lower(): str(value) for name, value in values.items()}
        self.asked: list[str] = []

    def resource_get(self, optag: str, r: str, g: str) -> commands.Reply:
        self.asked.append(optag)
        return commands.Reply("scha_resource_get", optag, (self.values[optag.lower()],))


@pytest.fixture(autouse=True)
def node(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = make_node_root(tmp_path / "mars")
    on_node(monkeypatch, root)
    return root


def context(argv: list[str], stored: Stored) -> MethodContext:
    inv = parse(argv, validate=True)
    log = AgentLog(inv.resource_type, inv.group, inv.resource, "ims_svc_validate",
                   transport=RecordingTransport(), facility="daemon")
    ctx = MethodContext("ims_svc_validate", inv, log)
    ctx.props = PropertyView(inv, stored)
    return ctx


STORED = dict(Retry_interval=600, Thorough_probe_interval=30, Retry_count=2)


@pytest.mark.parametrize("changes", [
    [],
    ["-r", "Retry_count=10", "-r", "Thorough_probe_interval=60"],  # 600 = 60 x 10: enough
    ["-r", "Retry_count=0", "-r", "Retry_interval=60"],
])
def test_timing_that_leaves_room_for_the_restarts_passes(changes: list[str]) -> None:
    validation.check_probe_timing(context(["-u", *NAMES, *changes], Stored(**STORED)))


@pytest.mark.parametrize(("changes", "shown"), [
    (["-r", "Retry_interval=59"], (59, 30, 2)),
    (["-r", "retry_count=3", "-r", "Retry_interval=60"], (60, 30, 3)),
    (["-r", "Thorough_probe_interval=301"], (600, 301, 2)),
])
def test_retry_interval_shorter_than_the_restarts_need_is_refused(
        changes: list[str], shown: tuple[int, int, int]) -> None:
    with pytest.raises(CheckFailed) as caught:
        validation.check_probe_timing(context(["-u", *NAMES, *changes], Stored(**STORED)))
    assert caught.value.message is messages.RETRY_INTERVAL_TOO_SHORT
    interval, probe, count = shown
    assert str(caught.value) == (f"Retry_interval {interval} is shorter than "
                                 f"Thorough_probe_interval {probe} x Retry_count {count}.")


def test_the_command_line_values_win_over_the_stored_ones() -> None:
    stored = Stored(Retry_interval=10, Thorough_probe_interval=3600, Retry_count=10)
    ctx = context(["-c", *NAMES, "-r", "Retry_interval=600", "-r",
                   "Thorough_probe_interval=30", "-r", "Retry_count=2"], stored)
    validation.check_probe_timing(ctx)
    assert stored.asked == []


def test_validate_refuses_bad_timing_in_one_line_before_anything_else(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Exactly as the RGM runs Validate: exit 1, one error line, nothing else looked at."""
    stored = Stored(**STORED)
    monkeypatch.setattr(commands, "resource_get", stored.resource_get)
    recorder = RecordingTransport()
    rc = run_method("ims_svc_validate", validation.validate,
                    ["-u", *NAMES, "-r", "Retry_count=5", "-r", "Retry_interval=120"],
                    validate=True,
                    make_log=lambda *names: AgentLog(*names, transport=recorder,
                                                     facility="daemon"))
    assert rc == 1
    assert [record.line() for record in recorder.records] == [
        f"[ID {messages.RETRY_INTERVAL_TOO_SHORT.msgid} daemon.error] Retry_interval 120 is "
        "shorter than Thorough_probe_interval 30 x Retry_count 5."]
    # Validate_timeout bounds every later call (trust.Budget); then the timing check.
    assert stored.asked == ["Validate_timeout", "Thorough_probe_interval"]
