"""Starting and stopping a stand-in daemon from Python: rgmd, and each node's syslogd, pmfd
and node agent.

Every one of them is started the same way and for the same reasons: detached in a session
of its own (a signal to the caller's terminal or process group must not reach it), stdin
closed, its stdout and stderr appended to its log file (a daemon that dies at start says
why there), and the caller returns only once the daemon answers, so that the next step
can talk to it. A daemon that exits first, or does not answer in time, is an error that
names its log; one that hangs is killed with its whole tree, so that a failed start leaves
no process behind.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from clustersim import procs

_started: dict[int, subprocess.Popen[bytes]] = {}
"""Popen objects of the daemons this process started, so that stopping one reaps it (no
zombie stays behind in a long-lived caller such as the demo or a test run)."""


def start(argv: list[str], logfile: os.PathLike[str], what: str,
          ready: Callable[[int], bool], *, timeout: float, poll: float = 0.05,
          env: dict[str, str] | None = None,
          cwd: str | None = None) -> subprocess.Popen[bytes]:
    """Start `argv` detached and return it once `ready(pid)` is true.

    `what` names the daemon in errors ("pmfd for node mars"). Raises RuntimeError if the
    daemon exits first or is not ready within `timeout` seconds (it is then killed).
    """
    with open(logfile, "ab") as err:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=err, stderr=err,
                                start_new_session=True, close_fds=True, env=env, cwd=cwd)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with status {proc.returncode}; see {logfile}")
        if ready(proc.pid):
            return proc
        time.sleep(poll)
    procs.kill_tree(proc.pid)
    proc.wait()
    raise RuntimeError(f"{what} did not answer within {timeout:.0f}s; see {logfile}")


def remember(proc: subprocess.Popen[bytes]) -> int:
    """Keep a started daemon for `reap` (its stop reaps it); its pid."""
    _started[proc.pid] = proc
    return proc.pid


def reap(pid: int) -> None:
    """Collect the exit status of a daemon this process started and `remember`ed, once it is
    gone."""
    proc = _started.pop(pid, None)
    if proc is not None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)


def read_pid(pidfile: Path) -> int | None:
    """The pid a daemon wrote to its pid file; None if there is none or it is not a number."""
    try:
        return int(pidfile.read_text().strip())
    except (OSError, ValueError):
        return None


def remove_own(sock_path: Path, pidfile: Path, pid: int) -> None:
    """Remove the socket and pid file of daemon `pid` (not those of a successor)."""
    if read_pid(pidfile) != pid:
        return
    with contextlib.suppress(OSError):
        pidfile.unlink()
    with contextlib.suppress(FileNotFoundError):
        sock_path.unlink()
