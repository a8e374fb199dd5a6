"""The watcher: restarts crashed servers, store services together, gives up as documented."""

from __future__ import annotations

import imaplib

import psutil
import pytest

from support.mssim import Ms, our_processes, watcher_status
from support.waiting import wait_for

pytestmark = pytest.mark.e2e


def restarted(ms: Ms, name: str, old: int) -> int | None:
    pid = ms.pids().get(name)
    try:
        written = (ms.config / "run" / f"{name}.pid").read_text().strip()
    except FileNotFoundError:
        return None
    return pid if pid and pid != old and written == str(pid) else None


def test_crash_is_restarted_with_store_group_and_second_crash_fails_over(ms: Ms) -> None:
    ms.configutil("local.autorestart", "yes")
    ms.configutil("local.autorestart.timeout", "600")
    ms.sbin("start-msg", "ha", check=True)
    before = ms.pids()
    ms.mssim("fault", str(ms.base), "imapd", "crash")
    wait_for(lambda: restarted(ms, "imapd", before["imapd"]), what="imapd restart")
    after = ms.pids()
    assert after["stored"] != before["stored"]  # store services restart together
    assert after["dispatcher"] == before["dispatcher"]
    assert after["watcher"] == before["watcher"]
    m = imaplib.IMAP4(ms.ip, 2143, timeout=10)
    m.login("u", "p")
    m.logout()
    log = ms.log()
    assert f"imap server (pid {before['imapd']}) terminated by signal 9" in log
    assert "restarting store services" in log

    watcher = psutil.Process(after["watcher"])
    ms.mssim("fault", str(ms.base), "imapd", "crash")
    watcher.wait(30)  # HA: gave up, shut everything down, exit 1 (not our child: read the log)
    assert our_processes(ms.base) == []
    assert "HA mode, shutting down Messaging Server" in ms.log()
    assert ms.log().rstrip().endswith("watcher exiting with status 1")


def test_start_msg_ha_refuses_a_running_non_ha_watcher_which_then_never_exits(ms: Ms) -> None:
    ms.configutil("local.autorestart", "1")
    ms.sbin("start-msg", check=True)
    first = ms.pids()
    assert watcher_status(ms)["watcher"] == "normal"
    # HA semantics cannot be had from this watcher: start-msg ha says so and changes nothing
    res = ms.sbin("start-msg", "ha")
    assert res.returncode == 1
    assert f"a watcher not in HA mode is already running (pid {first['watcher']}" in res.stderr
    assert "stop-msg" in res.stderr
    assert not (ms.config / "run" / "ha").exists()
    assert ms.pids() == first
    ms.mssim("fault", str(ms.base), "dispatcher", "crash")
    wait_for(lambda: restarted(ms, "dispatcher", first["dispatcher"]), what="restart")
    ms.mssim("fault", str(ms.base), "dispatcher", "crash")
    wait_for(lambda: "no longer restarting" in ms.log(), what="give-up")
    procs = ms.pids()
    assert "dispatcher" not in procs
    assert procs["watcher"] == first["watcher"] and procs["imapd"] == first["imapd"]
    assert ms.sbin("stop-msg").returncode == 0  # no HA marker was left behind
    assert our_processes(ms.base) == []


def test_autorestart_off_leaves_server_down(ms: Ms) -> None:
    ms.sbin("start-msg", "ha", check=True)
    ms.mssim("fault", str(ms.base), "popd", "crash")
    wait_for(lambda: "not restarting pop server" in ms.log(), what="log")
    assert "popd" not in ms.pids() and "watcher" in ms.pids()


def test_killed_watcher_leaves_services_running(ms: Ms) -> None:
    ms.sbin("start-msg", "ha", check=True)
    before = ms.pids()
    ms.mssim("fault", str(ms.base), "watcher", "crash")
    wait_for(lambda: "watcher" not in ms.pids(), what="watcher gone")
    after = ms.pids()
    assert {k: v for k, v in before.items() if k != "watcher"} == after
    # servers without a watcher: start-msg ha cannot supervise them, and says so
    res = ms.sbin("start-msg", "ha")
    assert res.returncode == 1 and "run without a watcher" in res.stderr
    assert ms.pids() == after
    assert ms.sbin("stop-msg", "ha").returncode == 0
    assert our_processes(ms.base) == []


def test_exit_on_start_fails_start_and_ha_watcher_gives_up(ms: Ms) -> None:
    ms.configutil("local.autorestart", "yes")
    ms.mssim("fault", str(ms.base), "popd", "exit-on-start")
    res = ms.sbin("start-msg", "ha")
    assert res.returncode == 1
    assert "Failed to start pop server" in res.stdout
    wait_for(lambda: our_processes(ms.base) == [], what="HA shutdown")
    assert "HA mode, shutting down" in ms.log()
