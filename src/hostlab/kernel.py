"""The effects: running the real tools, and naming and killing processes by identity.

A pid alone is not a process: after a crash the pid in a state file may belong to someone
else. A process is recorded as (pid, start time in clock ticks since boot), and is signalled
only while both still match.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import subprocess
import time
from collections.abc import Callable, Collection
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


# --- a host's namespaces, seen from the whole machine ----------------------------------------
#
# A host is more than its PID namespace: `nsenter` wrappers, a test's threads (`Host.call`)
# and anything else that setns'ed into the host's network or mount namespace live outside
# it, keep those namespaces alive after init dies, and with them the host's mounts (its
# failover file systems) and its address. Power, freezing and fencing therefore work on
# every process of the machine whose namespace is the host's.

NAMESPACE_KINDS = ("pid", "mnt", "net")


def namespace_of(pid: int, kind: str, task: int | None = None) -> str | None:
    """`mnt:[4026531841]`, the identity of one namespace of a process (or of one of its
    threads), or None when it is gone."""
    path = f"/proc/{pid}/task/{task}/ns/{kind}" if task else f"/proc/{pid}/ns/{kind}"
    try:
        return os.readlink(path)
    except OSError:
        return None


def namespace_members(namespaces: set[str]) -> list[tuple[int, int]]:
    """Every process of the machine (pid, start time) one of whose namespaces, or one of
    whose threads' network namespaces (setns moves only the calling thread), is one of
    `namespaces`. The calling process is never among them: its own threads in a host
    (`Host.call`) end with their callable."""
    found = []
    me = os.getpid()
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == me:
            continue
        pid = int(entry)
        hit = any(namespace_of(pid, kind) in namespaces for kind in NAMESPACE_KINDS)
        if not hit:
            with contextlib.suppress(OSError):
                hit = any(namespace_of(pid, "net", int(task)) in namespaces
                          for task in os.listdir(f"/proc/{pid}/task") if task != entry)
        started = start_time(pid) if hit else None
        if started is not None:
            found.append((pid, started))
    return found


def _state(pid: int) -> str:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return "X"
    return stat[stat.rindex(")") + 2]


def stop_members(namespaces: set[str], timeout: float = 5.0) -> int:
    """SIGSTOP every member of `namespaces`, again until every one is stopped (a signal is
    delivered when the process next runs; a child forked meanwhile is stopped too); how
    many processes were stopped."""
    return _settle(namespaces, signal.SIGSTOP, lambda state: state in "TtXZ", timeout)


def resume_members(namespaces: set[str], timeout: float = 5.0) -> int:
    """SIGCONT every member of `namespaces`, again until none is stopped: an nsenter
    wrapper that saw its child stop stops itself once resumed, and needs a second one."""
    return _settle(namespaces, signal.SIGCONT, lambda state: state not in "T", timeout)


def _settle(namespaces: set[str], sig: int, settled: Callable[[str], bool],
            timeout: float) -> int:
    signalled: set[tuple[int, int]] = set()
    deadline = time.monotonic() + timeout
    while True:
        members = namespace_members(namespaces)
        pending = [m for m in members if m not in signalled or not settled(_state(m[0]))]
        if not pending or time.monotonic() >= deadline:
            return len(signalled)
        for pid, started in pending:
            kill_if_same(pid, started, sig)
        signalled.update(pending)
        time.sleep(0.02)


def kill_members(namespaces: set[str], timeout: float,
                 spare: Collection[tuple[int, ...]] = ()) -> list[tuple[int, int]]:
    """SIGKILL every member of `namespaces` but those in `spare` until none is left
    (stopped ones die too: a frozen host's wrappers); the members still there after
    `timeout` (none, normally)."""
    deadline = time.monotonic() + timeout
    while True:
        left = [(pid, started) for pid, started in namespace_members(namespaces)
                if (pid, started) not in spare and not _is_zombie(pid)]
        if not left or time.monotonic() >= deadline:
            return left
        for pid, started in left:
            kill_if_same(pid, started, signal.SIGKILL)
        time.sleep(0.01)  # no waitpid here: a caller's child is its own to reap


def _is_zombie(pid: int) -> bool:
    return _state(pid) in "XZ"


def mount_namespaces_with(numbers: str) -> set[str]:
    """The mount namespaces (of live processes, machine-wide) in which the block device
    `major:minor` is mounted."""
    seen: dict[str, bool] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        ns = namespace_of(int(entry), "mnt")
        if ns is None or ns in seen:
            continue
        try:
            text = Path(f"/proc/{entry}/mountinfo").read_text()
        except OSError:
            continue
        seen[ns] = any(line.split()[2] == numbers for line in text.splitlines())
    return {ns for ns, mounted in seen.items() if mounted}


def device_claimed(device: str) -> bool:
    """Is the block device held by the kernel for someone -- mounted in any mount namespace
    of the machine, even one no process is in any more? (An exclusive open fails with
    EBUSY while a file system holds it, as e2fsck's own check does.)"""
    try:
        fd = os.open(device, os.O_RDONLY | os.O_EXCL)
    except OSError as exc:
        if exc.errno == errno.EBUSY:
            return True
        raise HostlabError(f"{device}: {exc.strerror}") from exc
    os.close(fd)
    return False
