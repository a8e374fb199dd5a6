"""The kernel's facts read from /proc are psutil's (the trust checks were written on those),
and a process that has gone says so."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from scims import process_table


@pytest.fixture
def child(tmp_path):
    ready = tmp_path / "ready"
    proc = subprocess.Popen([sys.executable, "-c",
                             "import sys, time; open(sys.argv[1], 'w').close(); time.sleep(60)",
                             str(ready), "an arg"], cwd=str(tmp_path), env={"LANG": "C"})
    try:
        # Until its exec is done, /proc shows a command line that is empty or the parent's.
        deadline = time.monotonic() + 30
        while not ready.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert ready.exists(), "the child never started"
        yield proc
    finally:
        proc.kill()
        proc.wait()


def facts(pid: int) -> dict[str, object]:
    return {
        "cmdline": process_table.cmdline(pid),
        "exe": process_table.exe(pid),
        "uid": process_table.real_uid(pid),
        "started": process_table.started(pid)[0],
        "zombie": process_table.started(pid)[1],
        "name": process_table.name(pid),
        "cwd": process_table.cwd(pid),
    }


@pytest.mark.skipif(not process_table.LINUX_PROCFS, reason="compares /proc with psutil")
def test_proc_and_psutil_agree(child, monkeypatch: pytest.MonkeyPatch) -> None:
    from_proc = facts(child.pid)
    monkeypatch.setattr(process_table, "LINUX_PROCFS", False)
    from_psutil = facts(child.pid)
    # The start time in clock ticks since boot, turned into seconds since the epoch by two
    # computations of the boot time: equal to a tick (0.01 s), not always to the last digit.
    assert abs(float(from_psutil.pop("started")) - float(from_proc.pop("started"))) <= 0.02
    assert from_psutil == from_proc
    assert from_proc["cmdline"][-1] == "an arg"


def test_a_process_that_has_gone_is_gone(child) -> None:
    pid = child.pid
    child.kill()
    child.wait()
    for read in (process_table.cmdline, process_table.exe, process_table.real_uid,
                 process_table.started, process_table.cwd):
        with pytest.raises(process_table.Gone):
            read(pid)


def test_only_a_command_line_naming_the_word_is_decoded(child) -> None:
    assert process_table.cmdline_naming(child.pid, (b"/no/such/root/",)) is None
    assert process_table.cmdline_naming(child.pid, (b"an arg",))[-1] == "an arg"
    assert os.getpid() in process_table.pids()
