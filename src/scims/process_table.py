"""The kernel's process table, read straight from /proc: the facts the trust model relies on.

Which processes are an instance's comes from the kernel (docs/security.md): the executable
(`/proc/<pid>/exe`), the real uid (`Uid:` of `/proc/<pid>/status`), the start time (field 22
of `/proc/<pid>/stat`, as psutil computes it: boot time plus clock ticks), and, only as a
claim to be checked, the command line. Stop looks through every process of the node for
leftovers; with psutil each process costs a Process object and several reads before its
command line is even seen, so a node with a thousand unrelated processes made that search
slow. Here one read of `/proc/<pid>/cmdline` decides whether a process is looked at further,
and the kernel's other facts are read only for the few that claim a program of the instance.

The answers are those psutil gives (the same files, the same parsing: a command line without
NUL separators is split at blanks, an executable replaced on disk keeps its path), so the
trust checks are unchanged. Off Linux (no /proc of this shape) psutil answers instead.

A process that is gone (or a zombie, which has no executable left) raises `Gone`; one this
process may not examine raises PermissionError.
"""

from __future__ import annotations

import os
from typing import Any, Callable, Optional

PROC = "/proc"


class Gone(Exception):
    """The process has exited (or is a zombie) since it was listed."""


def _have_procfs() -> bool:
    return os.path.exists(f"{PROC}/self/cmdline") and os.path.exists(f"{PROC}/self/exe")


LINUX_PROCFS = _have_procfs()


def pids() -> list[int]:
    """Every process id the kernel lists now."""
    if not LINUX_PROCFS:
        return _psutil().pids()
    return [int(name) for name in os.listdir(PROC) if name.isdigit()]


_CHUNK = 65536


def _read(pid: int, name: str) -> bytes:
    """The whole of /proc/<pid>/<name>, with bare system calls (a Python file object costs
    more than the read itself, a thousand times over on a busy node)."""
    try:
        fd = os.open(f"{PROC}/{pid}/{name}", os.O_RDONLY | os.O_CLOEXEC)
    except (FileNotFoundError, ProcessLookupError):
        raise Gone(pid) from None
    try:
        chunks = []
        while True:
            try:
                chunk = os.read(fd, _CHUNK)
            except ProcessLookupError:
                raise Gone(pid) from None
            chunks.append(chunk)
            if len(chunk) < _CHUNK:  # /proc answers a read with all it has, up to the size
                return b"".join(chunks) if len(chunks) > 1 else chunk
    finally:
        os.close(fd)


def cmdline(pid: int) -> list[str]:
    """argv as the process set it (anything its owner wants: a claim, never proof); empty for
    a kernel thread or a zombie."""
    if not LINUX_PROCFS:
        return list(_psutil_call(pid, "cmdline"))
    return split_cmdline(_read(pid, "cmdline"))


def cmdline_naming(pid: int, words: tuple[bytes, ...]) -> Optional[list[str]]:
    """The command line, if any of `words` occurs in it; None (nothing decoded, nothing
    split) when none does: the cheap first look at every process of the node."""
    if not LINUX_PROCFS:
        args = cmdline(pid)
        text = "\x00".join(args).encode("utf-8", "surrogateescape")
        return args if any(w in text for w in words) else None
    raw = _read(pid, "cmdline")
    if not any(w in raw for w in words):
        return None
    return split_cmdline(raw)


def split_cmdline(raw: bytes) -> list[str]:
    """The argv in the bytes of /proc/<pid>/cmdline, as psutil reads them (the stand-in's
    process listing uses it too, so both sides read a command line alike)."""
    data = raw.decode("utf-8", "surrogateescape")
    if not data:
        return []
    # NUL-separated and NUL-terminated, unless the process rewrote its argv as one string
    # (setproctitle): then blanks separate, as psutil reads it.
    sep = "\x00" if data.endswith("\x00") else " "
    if data.endswith(sep):
        data = data[:-1]
    args = data.split(sep)
    if sep == "\x00" and len(args) == 1 and " " in data:
        args = data.split(" ")
    return args


def exe(pid: int) -> str:
    """The kernel's executable of the process; '' when the kernel names none."""
    if not LINUX_PROCFS:
        return str(_psutil_call(pid, "exe"))
    try:
        path = os.readlink(f"{PROC}/{pid}/exe")
    except (FileNotFoundError, ProcessLookupError):
        if os.path.lexists(f"{PROC}/{pid}"):
            if _state(pid)[0] == "Z":
                raise Gone(pid) from None
            return ""  # a kernel thread
        raise Gone(pid) from None
    path = path.split("\x00")[0]
    if path.endswith(" (deleted)") and not os.path.exists(path):
        path = path[: -len(" (deleted)")]
    return path


def real_uid(pid: int) -> int:
    """The real user id (`Uid:` of /proc/<pid>/status; the directory's owner is not it)."""
    if not LINUX_PROCFS:
        return int(_psutil_call(pid, "uids").real)
    for line in _read(pid, "status").split(b"\n"):
        if line.startswith(b"Uid:"):
            return int(line.split()[1])
    raise Gone(pid)


_BOOT_TIME: Optional[float] = None
_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _boot_time() -> float:
    global _BOOT_TIME
    if _BOOT_TIME is None:
        with open(f"{PROC}/stat", "rb") as f:
            for line in f:
                if line.startswith(b"btime"):
                    _BOOT_TIME = float(line.split()[1])
                    break
            else:  # pragma: no cover - every Linux has btime
                raise OSError("no btime in /proc/stat")
    return _BOOT_TIME


def _state(pid: int) -> tuple[str, float, str]:
    """(state letter, start time in seconds since the epoch, comm) from /proc/<pid>/stat."""
    data = _read(pid, "stat")
    left, right = data.find(b"("), data.rfind(b")")
    comm = data[left + 1:right].decode("utf-8", "surrogateescape")
    fields = data[right + 2:].split()
    return fields[0].decode(), int(fields[19]) / _TICKS + _boot_time(), comm


def activity(pid: int) -> tuple[str, int, int]:
    """(state letter, CPU time in clock ticks, voluntary context switches): what the kernel
    says the process is doing, for telling a hung server from a slow one
    (messaging.liveness). Linux only; elsewhere the state is psutil's and the counts are 0."""
    if not LINUX_PROCFS:
        psutil = _psutil()
        try:
            status = psutil.Process(pid).status()
        except psutil.NoSuchProcess:
            raise Gone(pid) from None
        return ("T" if status == psutil.STATUS_STOPPED else "S"), 0, 0
    data = _read(pid, "stat")
    fields = data[data.rfind(b")") + 2:].split()
    switches = 0
    for line in _read(pid, "status").split(b"\n"):
        if line.startswith(b"voluntary_ctxt_switches:"):
            switches = int(line.split()[1])
            break
    return fields[0].decode(), int(fields[11]) + int(fields[12]), switches


def started(pid: int) -> tuple[float, bool]:
    """(start time, is a zombie): with the pid, who the process is."""
    if not LINUX_PROCFS:
        psutil = _psutil()
        try:
            proc = psutil.Process(pid)
            return proc.create_time(), proc.status() == psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            raise Gone(pid) from None
    state, start, _ = _state(pid)
    return start, state == "Z"


def name(pid: int) -> str:
    """The process name as ps shows it (comm, completed from argv when the kernel cut it)."""
    if not LINUX_PROCFS:
        return str(_psutil_call(pid, "name"))
    _, _, comm = _state(pid)
    if len(comm) >= 15:
        with _ignored():
            args = cmdline(pid)
            if args:
                full = os.path.basename(args[0])
                if full.startswith(comm):
                    return full
    return comm


def cwd(pid: int) -> str:
    if not LINUX_PROCFS:
        return str(_psutil_call(pid, "cwd"))
    try:
        return os.readlink(f"{PROC}/{pid}/cwd")
    except (FileNotFoundError, ProcessLookupError):
        raise Gone(pid) from None


def open_paths(pid: int) -> list[str]:
    """The paths of the files the process holds open (what the kernel names; sockets, pipes
    and anonymous files have no path and are left out), not yet checked to be regular."""
    if not LINUX_PROCFS:
        return [item.path for item in _psutil_call(pid, "open_files")]
    try:
        return _fd_targets(pid, lambda target: target.startswith("/"))
    except (FileNotFoundError, ProcessLookupError):
        raise Gone(pid) from None


def _fd_targets(pid: int, keep: Callable[[str], bool]) -> list[str]:
    """What the open descriptors of `pid` point at, as the kernel names it, those `keep`
    accepts; FileNotFoundError when the process is gone."""
    fds = os.open(f"{PROC}/{pid}/fd", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    found: list[str] = []
    try:
        for fd in os.listdir(fds):
            try:
                target = os.readlink(fd, dir_fd=fds)
            except OSError:
                continue
            if keep(target):
                found.append(target)
    finally:
        os.close(fds)
    return found


def held_under(pid: int, directory: str) -> tuple[Optional[str], list[str]]:
    """(the working directory if it lies under `directory`, else None; the paths of the
    files it holds open under it, usually none, of any kind: the caller decides). When the
    working directory is under it the files are not looked at. `directory` must be a real
    path: the kernel names cwd and files with every link resolved, so they are compared as
    they are. One pass, nothing kept of what is elsewhere: this runs for every process of
    the node."""
    if not LINUX_PROCFS:
        here = cwd(pid)
        if _within(here, directory):
            return here, []
        return None, [p for p in open_paths(pid) if _within(p, directory)]
    prefix = directory.rstrip("/") + "/"
    try:
        here = os.readlink(f"{PROC}/{pid}/cwd")
        if here == directory or here.startswith(prefix):
            return here, []
        return None, _fd_targets(
            pid, lambda target: target.startswith(prefix) or target == directory)
    except (FileNotFoundError, ProcessLookupError):
        raise Gone(pid) from None


def _within(path: str, directory: str) -> bool:
    directory = directory.rstrip("/")
    return path == (directory or "/") or path.startswith(directory + "/")


def username(uid: int) -> str:
    import pwd  # noqa: PLC0415 - only for the few processes a method names in its log

    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


class _ignored:
    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, value: object, tb: object) -> bool:
        return kind is not None and issubclass(kind, (Gone, OSError))  # type: ignore[arg-type]


def _psutil_call(pid: int, what: str) -> object:
    """psutil's answer off Linux, its exceptions turned into ours."""
    psutil = _psutil()
    try:
        return getattr(psutil.Process(pid), what)()
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        raise Gone(pid) from None
    except psutil.AccessDenied as exc:
        raise PermissionError(str(exc)) from None


def _psutil() -> Any:
    """psutil, imported only off Linux: on Linux /proc answers and the import is not paid."""
    import psutil  # noqa: PLC0415

    return psutil
