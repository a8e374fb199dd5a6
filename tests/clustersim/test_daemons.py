"""Starting a stand-in daemon (clustersim.daemons): it is ready, or it fails in one line that
names its log, and a daemon that never answers does not stay behind."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from clustersim import daemons, procs


def test_a_daemon_is_returned_once_it_answers(tmp_path: Path) -> None:
    ready = tmp_path / "ready"
    log = tmp_path / "daemon.log"
    code = f"import pathlib, time; pathlib.Path({str(ready)!r}).touch(); time.sleep(60)"
    proc = daemons.start([sys.executable, "-c", code], log, "testd",
                         lambda _pid: ready.exists(), timeout=30)
    try:
        assert ready.exists() and proc.poll() is None
        assert daemons.remember(proc) == proc.pid
    finally:
        procs.kill_tree(proc.pid)
        daemons.reap(proc.pid)
    assert proc.returncode is not None, "reap collects the daemon's exit status"


def test_a_daemon_that_exits_at_start_is_an_error_naming_its_log(tmp_path: Path) -> None:
    log = tmp_path / "daemon.log"
    code = "import sys; print('testd: cannot bind', file=sys.stderr); sys.exit(3)"
    with pytest.raises(RuntimeError, match=rf"^testd exited with status 3; see {log}$"):
        daemons.start([sys.executable, "-c", code], log, "testd", lambda _pid: False,
                      timeout=30)
    assert "testd: cannot bind" in log.read_text()


def test_a_daemon_that_never_answers_is_killed_with_its_children(tmp_path: Path) -> None:
    log = tmp_path / "daemon.log"
    child_pid = tmp_path / "child.pid"
    code = ("import pathlib, subprocess, time\n"
            "child = subprocess.Popen(['sleep', '60'])\n"
            f"pathlib.Path({str(child_pid)!r}).write_text(str(child.pid))\n"
            "time.sleep(60)\n")
    with pytest.raises(RuntimeError, match=r"^testd did not answer within 5s; see "):
        daemons.start([sys.executable, "-c", code], log, "testd", lambda _pid: False,
                      timeout=5)
    assert child_pid.exists(), "the daemon started its child before it gave up"
    assert procs.wait_gone([int(child_pid.read_text())], 10), "the daemon's child survived"


def test_pid_files_name_their_own_daemon_only(tmp_path: Path) -> None:
    sock, pid_file = tmp_path / "d.sock", tmp_path / "d.pid"
    sock.touch()
    pid_file.write_text("4321\n")
    daemons.remove_own(sock, pid_file, 1234)  # a successor's files: left alone
    assert sock.exists() and daemons.read_pid(pid_file) == 4321
    daemons.remove_own(sock, pid_file, 4321)
    assert not sock.exists() and not pid_file.exists()
    assert daemons.read_pid(pid_file) is None
