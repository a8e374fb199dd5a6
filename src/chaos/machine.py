"""What the campaign reads off the whole machine, not only the nodes: where the shared disk
is mounted (every process's mount namespace), and the freeze of a host.

A host's mount namespace outlives its init while any process holds it (one that entered it
with nsenter, the unshare that made it), so the campaign samples every mount namespace on
the machine and names each one by the host whose init (or whose held namespace) it is.
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import hostlab


def _ns(pid: str, kind: str) -> str | None:
    try:
        return os.readlink(f"/proc/{pid}/ns/{kind}")
    except OSError:
        return None


def _pids() -> list[str]:
    return [e for e in os.listdir("/proc") if e.isdigit()]


def mounted_in(numbers: str, names: Mapping[str, str]) -> list[str]:
    """The mount namespaces where the block device `numbers` ("major:minor") is mounted,
    each named by `names` (mnt namespace identity -> host) or by its identity and the
    first pid that holds it; sorted."""
    seen: dict[str, str] = {}
    for pid in _pids():
        ns = _ns(pid, "mnt")
        if ns is not None and ns not in seen:
            seen[ns] = pid
    found = []
    for ns, pid in seen.items():
        try:
            text = Path(f"/proc/{pid}/mountinfo").read_text()
        except OSError:
            continue
        if any(line.split(" ", 4)[2] == numbers for line in text.splitlines()
               if line.count(" ") >= 4):
            found.append(names.get(ns, f"{ns} (pid {pid})"))
    return sorted(found)


def programs_of(init_pid: int, program: str) -> list[int]:
    """Machine pids of the processes of a host (its PID namespace) running `program`
    (the command line's first word, as `ps` shows it), oldest first."""
    mine = _ns(str(init_pid), "pid")
    found = []
    for pid in _pids():
        if _ns(pid, "pid") != mine:
            continue
        try:
            raw = Path(f"/proc/{pid}/cmdline").read_bytes().rstrip(b"\0")
            start = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
        except (OSError, ValueError, IndexError):
            continue
        # a daemon that sets its process title has its whole command line in argv[0]
        args = raw.replace(b"\0", b" ").decode(errors="replace")
        if args == program or args.startswith(program + " "):
            found.append((start, int(pid)))
    return [pid for _start, pid in sorted(found)]


def freeze(pids: Iterable[int]) -> list[int]:
    """SIGSTOP each process (a hung daemon); the ones stopped."""
    stopped = []
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGSTOP)
            stopped.append(pid)
    return stopped


def thaw(pids: Iterable[int]) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGCONT)


def freeze_host(host: hostlab.Host) -> tuple[int, Callable[[], None]]:
    """Freeze a whole host (a hung kernel, a long pause): hostlab's Host.freeze() stops
    every process of it, those outside its PID namespace that hold its namespaces too. The
    number of processes stopped, and the thaw."""
    return host.freeze(), host.thaw


def name_namespace(names: dict[str, str], ns: str, host: str) -> None:
    """Record that mount namespace `ns` is `host`'s now; a namespace the host had before
    (a fenced or rebooted host's, which a process may keep alive) keeps a name of its own,
    so that a sample showing both is read as what it is."""
    if names.get(ns) == host:
        return
    for old, name in list(names.items()):
        if name == host:
            names[old] = f"{host} (an earlier boot)"
    names[ns] = host
