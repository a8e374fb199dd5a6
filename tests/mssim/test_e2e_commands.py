"""stop-msg and imsimta on single components, as an administrator uses them."""

from __future__ import annotations

import smtplib
import socket

import pytest

from support.mssim import Ms, our_processes, watcher_status

pytestmark = pytest.mark.e2e


def test_stop_msg_force_kills_one_server_and_the_watcher_leaves_it_down(ms: Ms) -> None:
    ms.configutil("local.autorestart", "yes")
    ms.sbin("start-msg", "ha", check=True)
    before = ms.pids()
    ms.mssim("fault", str(ms.base), "imapd", "stop-hang")  # SIGTERM is ignored: -f must kill
    res = ms.sbin("stop-msg", "-f", "imap", check=True)
    assert f"Stopping imap server .... {before['imapd']}" in res.stdout
    assert ms.pids() == {k: v for k, v in before.items() if k != "imapd"}
    assert watcher_status(ms)["imap"] == "stopped"
    log = ms.log()
    assert f"imap server (pid {before['imapd']}) stopped on request (SIGKILL)" in log
    assert "did not stop; killing it" not in log  # killed at once, no SIGTERM grace
    assert "restarting" not in log and "terminated by signal" not in log
    with pytest.raises(OSError):
        socket.create_connection((ms.ip, 2143), timeout=2).close()


def test_imsimta_restart_dispatcher_and_stop(ms: Ms) -> None:
    ms.configutil("local.autorestart", "yes")
    ms.sbin("start-msg", "ha", check=True)
    before = ms.pids()
    res = ms.sbin("imsimta", "restart", "dispatcher", check=True)
    after = ms.pids()
    assert after["dispatcher"] != before["dispatcher"]
    assert f"Stopping dispatcher server .... {before['dispatcher']}" in res.stdout
    assert f"Starting dispatcher server .... {after['dispatcher']}" in res.stdout
    assert (ms.config / "run" / "dispatcher.pid").read_text().strip() == \
        str(after["dispatcher"])
    assert {k: v for k, v in after.items() if k != "dispatcher"} == \
        {k: v for k, v in before.items() if k != "dispatcher"}
    with smtplib.SMTP(ms.ip, 2525, timeout=10) as s:
        assert s.noop()[0] == 250

    res = ms.sbin("imsimta", "stop", check=True)
    assert f"Stopping dispatcher server .... {after['dispatcher']}" in res.stdout
    assert f"Stopping job_controller server .... {after['job_controller']}" in res.stdout
    left = ms.pids()
    assert left == {k: v for k, v in after.items() if k not in ("dispatcher", "job_controller")}
    status = watcher_status(ms)
    assert status["dispatcher"] == status["job_controller"] == "stopped"
    with pytest.raises(OSError):
        socket.create_connection((ms.ip, 2525), timeout=2).close()


def test_stop_msg_watcher_and_components_that_are_not_enabled(ms: Ms) -> None:
    ms.sbin("start-msg", check=True)
    before = ms.pids()
    ms.configutil("service.pop.enable", "no")  # disabled while running
    res = ms.sbin("stop-msg", "pop", "mmp")
    assert res.returncode == 0
    assert res.stdout.splitlines() == ["pop is not enabled", "mmp is not enabled"]
    assert ms.pids() == before

    res = ms.sbin("stop-msg", "watcher", check=True)
    assert res.stdout == f"Stopping watcher .... {before['watcher']}\n"
    assert ms.pids() == {k: v for k, v in before.items() if k != "watcher"}
    assert "watcher exiting on request; its servers keep running" in ms.log()

    # plain stop-msg shuts down everything start-msg started, disabled components included
    assert ms.sbin("stop-msg").returncode == 0
    assert our_processes(ms.base) == []


def test_stop_msg_watcher_when_the_watcher_is_not_enabled(ms: Ms) -> None:
    ms.configutil("local.watcher.enable", "no")
    assert ms.sbin("stop-msg", "watcher").stdout == "watcher is not enabled\n"
