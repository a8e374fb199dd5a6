"""Process-tree helpers shared by the node layer: subreapers, tree listing, killing a tree.

Why this module exists: a stand-in node must be able to account for, and kill, every
process it started, including daemons that double-fork and call setsid(). Linux offers
no Solaris contract, but a *child subreaper* (prctl PR_SET_CHILD_SUBREAPER) adopts the
orphans of its descendants, so as long as every process of a tree was born below a
subreaper it stays below it: listing the subreaper's descendants finds them all.

Killing such a tree must not race with it: a process that forks while we walk the tree,
or a parent killed before its children (which are then adopted elsewhere), could let a
process escape. `kill_tree` therefore *freezes* the tree first (SIGSTOP, repeated until
no new process appears; a stopped process cannot fork), then sends SIGKILL to the frozen
set. A node panic (`clustersim.node`) uses `kill_tree(pmfd_pid)`.

Linux keeps no per-process children list here (/proc/<pid>/task/<tid>/children needs
CONFIG_PROC_CHILDREN, which this kernel lacks), so listings read the ppid of every
process from /proc/<pid>/stat: a snapshot of the whole table, a few milliseconds.
"""

from __future__ import annotations

import os
import select
import signal
import time
from collections.abc import Iterable

TYPE_CHECKING = False  # typing itself costs hatimerun ~3 ms of imports
if TYPE_CHECKING:
    import subprocess
    from typing import Any

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36
PR_GET_CHILD_SUBREAPER = 37

def _libc() -> Any:
    """The C library, for prctl(2); loaded on first use (ctypes costs a command that only
    waits for a child, hatimerun, a few milliseconds of start-up)."""
    import ctypes  # noqa: PLC0415

    return ctypes.CDLL(None, use_errno=True)


def _prctl(option: int, arg: int) -> None:
    import ctypes  # noqa: PLC0415

    if _libc().prctl(option, ctypes.c_ulong(arg), 0, 0, 0) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"prctl({option}): {os.strerror(err)}")


def set_child_subreaper() -> None:
    """Make this process adopt the orphans of its descendants (so none escape to init)."""
    _prctl(PR_SET_CHILD_SUBREAPER, 1)


def is_child_subreaper() -> bool:
    import ctypes  # noqa: PLC0415

    value = ctypes.c_int(0)
    if _libc().prctl(PR_GET_CHILD_SUBREAPER, ctypes.byref(value), 0, 0, 0) != 0:
        return False
    return bool(value.value)


def set_parent_death_signal(sig: int) -> None:
    """Ask the kernel to send `sig` to this process when its parent (thread) dies.

    Why: when pmfd is SIGKILLed (node panic), each per-tag supervisor learns of it at
    once and kills its tree instead of leaving it to be adopted by init.
    """
    _prctl(PR_SET_PDEATHSIG, sig)


# --- the process table --------------------------------------------------------------


def _stat_fields(pid: int) -> list[str] | None:
    """Fields of /proc/<pid>/stat after the command name (index 0 = state)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
    except OSError:
        return None
    end = data.rfind(b")")
    if end < 0:
        return None
    return data[end + 2 :].decode("ascii", "replace").split()


def process_table() -> dict[int, tuple[int, str, int]]:
    """Snapshot: pid -> (ppid, state letter, start time in clock ticks)."""
    table: dict[int, tuple[int, str, int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        fields = _stat_fields(int(name))
        if fields is None or len(fields) < 20:
            continue
        table[int(name)] = (int(fields[1]), fields[0], int(fields[19]))
    return table


def start_time(pid: int) -> int | None:
    """Kernel start time of `pid` (clock ticks since boot): with the pid, a process identity."""
    fields = _stat_fields(pid)
    if fields is None or len(fields) < 20:
        return None
    return int(fields[19])


def is_alive(pid: int) -> bool:
    """True if `pid` exists and is not a zombie (a zombie has finished running)."""
    fields = _stat_fields(pid)
    return fields is not None and fields[0] not in ("Z", "X")


def descendants(
    pid: int, table: dict[int, tuple[int, str, int]] | None = None, *, include_zombies: bool = False
) -> list[int]:
    """Every descendant of `pid`, parents before children (breadth first)."""
    table = process_table() if table is None else table
    children: dict[int, list[int]] = {}
    for child, (ppid, _state, _start) in table.items():
        children.setdefault(ppid, []).append(child)
    result: list[int] = []
    queue = sorted(children.get(pid, ()))
    while queue:
        current = queue.pop(0)
        if include_zombies or table[current][1] not in ("Z", "X"):
            result.append(current)
        queue.extend(sorted(children.get(current, ())))
    return result


def children_of(pid: int, table: dict[int, tuple[int, str, int]] | None = None) -> list[int]:
    table = process_table() if table is None else table
    return sorted(child for child, (ppid, _s, _t) in table.items() if ppid == pid)


# --- signalling ---------------------------------------------------------------------


def _send(pid: int, sig: int) -> bool:
    try:
        os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def freeze_tree(pid: int, *, include_root: bool = True, rounds: int = 50) -> list[int]:
    """SIGSTOP `pid` and all its descendants, repeating until the frozen set stops growing.

    Returns the frozen pids, root first. A stopped process cannot fork, so after the set
    is stable nothing new can appear below it.
    """
    frozen: list[int] = []
    seen: set[int] = set()
    if include_root and _send(pid, signal.SIGSTOP):
        frozen.append(pid)
        seen.add(pid)
    for _ in range(rounds):
        new = [p for p in descendants(pid) if p not in seen]
        if not new:
            break
        for p in new:
            seen.add(p)
            if _send(p, signal.SIGSTOP):
                frozen.append(p)
    return frozen


def kill_tree(pid: int, sig: int = signal.SIGKILL, *, include_root: bool = True) -> list[int]:
    """Send `sig` to `pid` and every descendant, so that none can escape; returns the pids.

    With SIGKILL (the default) the tree is frozen first, then killed. Any other signal is
    sent to the frozen tree, which is then continued, so the signal lands on a consistent
    snapshot (no child forked in between is missed).
    """
    targets = freeze_tree(pid, include_root=include_root)
    for p in targets:
        _send(p, sig)
    if sig != signal.SIGKILL:
        for p in targets:
            _send(p, signal.SIGCONT)
    return targets


def signal_pids(pids: Iterable[int], sig: int) -> list[int]:
    """Send `sig` to each pid (missing ones are skipped); SIGKILL freezes the set first."""
    pids = list(pids)
    if sig == signal.SIGKILL:
        for p in pids:
            _send(p, signal.SIGSTOP)
    return [p for p in pids if _send(p, sig)]


def wait_gone(pids: Iterable[int], timeout: float, *, poll: float = 0.05) -> bool:
    """Wait until none of `pids` is alive (zombies count as gone); False on timeout.

    Identity is checked by start time, so a pid reused by an unrelated process during the
    wait is not mistaken for the original.
    """
    watched = {p: start_time(p) for p in pids}
    deadline = time.monotonic() + timeout
    while True:
        alive = [p for p, st in watched.items() if st is not None and _same_alive(p, st)]
        if not alive:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(poll)


def _same_alive(pid: int, started: int) -> bool:
    fields = _stat_fields(pid)
    if fields is None or len(fields) < 20:
        return False
    return fields[0] not in ("Z", "X") and int(fields[19]) == started


def wait_child(proc: subprocess.Popen[bytes], timeout: float | None,
               wake_fd: int | None = None) -> int | None:
    """The exit status of `proc` as soon as it exits; None if it still runs after `timeout`
    seconds (None: no limit) or when `wake_fd` becomes readable first.

    Why not `Popen.wait(timeout)`: it polls, sleeping 1, 2, 4 ... up to 50 ms between
    looks, so a method that ran 20 ms was seen to end at 31 ms and one of 40 ms at 63 ms
    (the 0.064 s floor every built-in method had in bench_switchover).
    """
    if proc.returncode is not None:
        return proc.returncode
    if exited(proc.pid, timeout, wake_fd) is False:
        return None
    return proc.wait()


def exited(pid: int, timeout: float | None, wake_fd: int | None = None) -> bool | None:
    """Wait until child `pid` has exited (True; it is left for the caller to reap), or
    `timeout` seconds pass or `wake_fd` becomes readable (False); None if `pid` is no
    longer there to watch (someone reaped it).

    A pidfd (pidfd_open(2), Linux 5.3) becomes readable the moment the process exits: an
    event, not a poll. `wake_fd` lets a signal handler that writes to a pipe interrupt the
    wait (hatimerun's SIGTERM).
    """
    try:
        pidfd = os.pidfd_open(pid)
    except ProcessLookupError:
        return None
    try:
        poller = select.poll()
        poller.register(pidfd, select.POLLIN)
        if wake_fd is not None:
            poller.register(wake_fd, select.POLLIN)
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready = {fd for fd, _events in poller.poll(
                None if remaining is None else remaining * 1000)}
            if pidfd in ready:
                return True
            if ready or (remaining is not None and remaining <= 0):
                return False
    finally:
        os.close(pidfd)


def reap_pid(pid: int) -> bool:
    """Reap one specific exited child without blocking; True if it was reaped."""
    try:
        done, _status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return False
    return done == pid
