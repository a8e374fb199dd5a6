"""Fault injection acts on the running daemons (and on start-msg/stop-msg themselves)."""

from __future__ import annotations

import socket
import subprocess
import time

import pytest

from support.mssim import Ms, our_processes
from support.waiting import wait_for

pytestmark = pytest.mark.e2e


def greeting(ms: Ms, port: int, timeout: float = 10.0) -> bytes:
    with socket.create_connection((ms.ip, port), timeout=timeout) as s:
        return s.makefile("rb").readline()


def test_hang_slow_refuse_and_clear(ms: Ms) -> None:
    ms.sbin("start-msg", "ha", check=True)
    pids = ms.pids()
    ms.mssim("fault", str(ms.base), "imapd", "hang")
    with pytest.raises(socket.timeout):
        greeting(ms, 2143, timeout=1.5)  # accepts, never answers
    ms.mssim("fault", str(ms.base), "popd", "slow:1.5")
    t0 = time.monotonic()
    assert greeting(ms, 2110).startswith(b"+OK ")
    assert time.monotonic() - t0 >= 1.4
    ms.mssim("fault", str(ms.base), "dispatcher", "refuse")
    with pytest.raises(ConnectionRefusedError):
        greeting(ms, 2525)
    ms.mssim("fault", str(ms.base), "watcher", "refuse")
    with pytest.raises(ConnectionRefusedError):
        greeting(ms, 49994)
    assert ms.pids() == pids  # nobody died
    ms.mssim("fault", str(ms.base), "clear")
    assert greeting(ms, 2143).startswith(b"* OK ")
    assert greeting(ms, 2525).startswith(b"220 ")
    socket.create_connection((ms.ip, 49994), timeout=5).close()
    t0 = time.monotonic()
    greeting(ms, 2110)
    assert time.monotonic() - t0 < 1.4
    assert ms.pids() == pids


def test_stop_hang_is_escalated_by_stop_msg_ha(ms: Ms) -> None:
    ms.sbin("start-msg", "ha", check=True)
    ms.mssim("fault", str(ms.base), "imapd", "stop-hang")
    ms.mssim("fault", str(ms.base), "watcher", "stop-hang")
    res = ms.sbin("stop-msg", "ha")
    assert res.returncode == 0
    assert our_processes(ms.base) == []
    assert "did not stop; killing it" in ms.log() or "stop request ignored" in ms.log("imapd")


def test_start_msg_and_stop_msg_faults(ms: Ms) -> None:
    ms.mssim("fault", str(ms.base), "start-msg", "fail")
    assert ms.sbin("start-msg", "ha").returncode == 1
    assert our_processes(ms.base) == []
    ms.mssim("fault", str(ms.base), "start-msg", "hang")
    with pytest.raises(subprocess.TimeoutExpired):
        ms.sbin("start-msg", "ha", timeout=2)
    ms.mssim("fault", str(ms.base), "start-msg", "clear")
    ms.sbin("start-msg", "ha", check=True)
    ms.mssim("fault", str(ms.base), "stop-msg", "hang")
    with pytest.raises(subprocess.TimeoutExpired):
        ms.sbin("stop-msg", "ha", timeout=2)
    assert "watcher" in ms.pids()
    ms.mssim("fault", str(ms.base), "clear")
    assert ms.sbin("stop-msg", "ha").returncode == 0
    wait_for(lambda: our_processes(ms.base) == [], what="all stopped")


def test_fault_errors(ms: Ms) -> None:
    assert ms.mssim("fault", str(ms.base), "imapd", "crash", check=False).returncode == 1
    assert ms.mssim("fault", str(ms.base), "nosuch", "hang", check=False).returncode == 1
    assert ms.mssim("fault", str(ms.base), "imapd", "slow", check=False).returncode == 1


def test_a_server_that_cannot_write_its_pid_file_says_so_in_one_line(ms: Ms) -> None:
    """The servers write their pid files as the runtime user: when they cannot (a directory
    on the way closed to it), the log names the file and the error; no traceback."""
    run = ms.config / "run"
    mode = run.stat().st_mode
    run.chmod(0o555)  # still the runtime user's, but no longer writable by it
    try:
        res = ms.sbin("start-msg")
    finally:
        run.chmod(mode)
    assert res.returncode == 1, res.stdout + res.stderr
    assert "Failed to start ens server: exited with status 1" in res.stdout, res.stdout
    log = ms.log("enpd")
    errors = [line for line in log.splitlines() if ": Error: " in line]
    assert len(errors) == 1 and "Permission denied" in errors[0], log
    assert "/run/.enpd.pid." in log, log
    assert "Traceback" not in (ms.config / "log" / "enpd.stderr").read_text()
