"""The effects: running the real tools, and naming and killing processes by identity.

A pid alone is not a process: after a crash the pid in a state file may belong to someone
else. A process is recorded as (pid, start time in clock ticks since boot), and is signalled
only while both still match.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

from hostlab.capabilities import TOOL_PATH
from hostlab.errors import HostlabError

TOOL_TIMEOUT = 30.0
TOOL_ENV = {"PATH": TOOL_PATH, "LANG": "C", "LC_ALL": "C"}


def tool(argv: list[str], *, input: str | None = None, check: bool = True,
         timeout: float = TOOL_TIMEOUT) -> subprocess.CompletedProcess[str]:
    """Run one real tool with a clean environment; on failure raise its own message."""
    try:
        done = subprocess.run(argv, input=input, capture_output=True, text=True,
                              env=TOOL_ENV, timeout=timeout, check=False)
    except FileNotFoundError as exc:
        raise HostlabError(f"{argv[0]}: not installed (make sysdeps)") from exc
    except subprocess.TimeoutExpired as exc:
        raise HostlabError(f"{' '.join(argv)}: no answer within {timeout:.0f}s") from exc
    if check and done.returncode != 0:
        message = (done.stderr or done.stdout).strip().splitlines()
        raise HostlabError(f"{' '.join(argv)}: {message[-1] if message else 'failed'}")
    return done


def start_time(pid: int) -> int | None:
    """The process's start time (field 22 of /proc/PID/stat), or None when it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the command name (field 2) may hold blanks and parentheses: split after the last ')'
    fields = stat[stat.rindex(")") + 2:].split()
    return int(fields[19])


def is_same(pid: int, started: int) -> bool:
    return start_time(pid) == started


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def kill_if_same(pid: int, started: int, sig: int = signal.SIGKILL) -> bool:
    """Signal the process only while it is still the one recorded; True when sent."""
    if not is_same(pid, started):
        return False
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)
        return True
    return False


def wait_gone(pid: int, started: int, timeout: float) -> bool:
    """Wait (reaping it if it is our child) until the recorded process no longer exists."""
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        stat = start_time(pid)
        if stat != started:
            return True
        with contextlib.suppress(OSError):
            state = Path(f"/proc/{pid}/stat").read_text()
            if state[state.rindex(")") + 2] == "Z":  # a zombie of someone else: dead
                return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.005)


def netns_exists(name: str) -> bool:
    return Path("/run/netns", name).exists()


def loop_devices_of(image: str) -> list[str]:
    """The loop devices bound to `image`, from sysfs."""
    found = []
    for backing in Path("/sys/block").glob("loop*/loop/backing_file"):
        with contextlib.suppress(OSError):
            if backing.read_text().strip() == image:
                found.append(f"/dev/{backing.parent.parent.name}")
    return found
