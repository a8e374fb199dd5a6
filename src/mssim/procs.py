"""Finding, starting and stopping the processes of one installation.

A process belongs to installation B when its command line starts with `<B>/lib/<program>`
and it runs as root (the watcher) or as the runtime user (the servers): any user can give a
process such a command line, and start-msg and stop-msg run as root must neither believe nor
kill another user's (issue #23). B is compared after resolving symlinks, so `stop-msg`
invoked through another spelling of the path (a node-root symlink, say) still finds what
`start-msg` started. Pid files are written by the daemons themselves once they serve, and
are a hint, never the only evidence.

Processes are read from /proc directly (command lines split as psutil splits them): every
sbin command and the watcher scan or check processes, and importing psutil would cost each
of them more CPU than everything else they do before start-msg's first server is forked.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterable
from pathlib import Path

from mssim import product
from mssim.install import Installation
from scims.process_table import Gone, real_uid, split_cmdline

READY_FD_ENV = "MSSIM_READY_FD"
"""A daemon started with this variable writes one byte to that fd once it serves."""


def _lib_real(inst: Installation) -> str:
    return os.path.realpath(inst.lib)


def cmdline(pid: int) -> list[str]:
    """A process's argv as psutil.Process.cmdline() gives it; [] when gone or a zombie.

    A title set with setproctitle (and flagged, see _flag_title) has no NUL separators: it is
    split on blanks, as psutil does.
    """
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return split_cmdline(fh.read())
    except OSError:
        return []


def _state(pid: int) -> str | None:
    """The state letter of /proc/<pid>/stat (R, S, Z, ...); None when there is no such pid."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            data = fh.read()
    except OSError:
        return None
    try:
        return chr(data[data.rindex(b")") + 2])
    except (ValueError, IndexError):
        return None


def program_of(pid: int, lib_real: str) -> str | None:
    """The lib/ program name if process `pid` is one of this installation's, else None."""
    cmd = cmdline(pid)
    if not cmd:
        return None
    first = cmd[0]
    name = os.path.basename(first)
    if name not in product.LIB_PROGRAMS:
        return None
    if os.path.realpath(os.path.dirname(first)) != lib_real:
        return None
    return name if alive(pid) else None


def owners(inst: Installation) -> tuple[int, ...]:
    """Who runs the installation's programs: root (the watcher) and the runtime user (the
    servers switch to it), as the node's account files name it."""
    from mssim import node  # noqa: PLC0415 - the account files are read only for a scan

    try:
        user, group = inst.user, inst.group
    except OSError:
        # The configuration is out of reach (its disk is elsewhere): who the runtime user is
        # cannot be known, so only root's processes count. The agent's Stop sweeps the
        # runtime user's with the user it recorded at Start.
        return (0,)
    try:
        uid, _ = node.runtime_ids(node.node_root(str(inst.lib / "x")), user, group)
    except LookupError:
        return (0,)
    return (0, uid)


def _runs_as(pid: int, uids: tuple[int, ...]) -> bool:
    try:
        return real_uid(pid) in uids
    except (Gone, OSError):
        return False


def programs(inst: Installation) -> dict[int, str]:
    """pid → lib/ program name of every live process of this installation (one scan)."""
    lib_real = _lib_real(inst)
    me = os.getpid()
    uids = owners(inst)
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == me:
            continue
        name = program_of(int(entry), lib_real)
        if name and _runs_as(int(entry), uids):
            found[int(entry)] = name
    return found


def find_pids(inst: Installation, names: Iterable[str] | None = None) -> list[int]:
    """Pids of the live processes of this installation (optionally only the given programs)."""
    wanted = set(names) if names is not None else None
    return [pid for pid, name in programs(inst).items() if wanted is None or name in wanted]


def read_pidfile(inst: Installation, daemon: str) -> int | None:
    try:
        text = inst.pidfile(daemon).read_text(encoding="ascii").strip()
    except (FileNotFoundError, NotADirectoryError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() else None


def write_pidfile(path: Path, pid: int) -> None:
    tmp = path.with_name(f".{path.name}.{pid}")
    tmp.write_text(f"{pid}\n", encoding="ascii")
    os.replace(tmp, path)


def running_pid(inst: Installation, daemon: str) -> int | None:
    """Pid of the running `daemon` of this installation (pid file checked against cmdline)."""
    pid = read_pidfile(inst, daemon)
    if pid and program_of(pid, _lib_real(inst)) == daemon and _runs_as(pid, owners(inst)):
        return pid
    pids = find_pids(inst, [daemon])
    return pids[0] if pids else None


def spawn_daemon(
    inst: Installation, daemon: str, extra: Iterable[str] = (), *, new_session: bool,
    pass_fds: tuple[int, ...] = (), ready_fd: int | None = None,
) -> subprocess.Popen[bytes]:
    """Run B/lib/<daemon> with its documented arguments; output goes to its log file.

    Never inherit the caller's stdout: a caller that captures start-msg's output waits for
    EOF, and a daemon holding the pipe would make it wait forever. With `ready_fd`, the
    daemon writes one byte to it once it serves (see daemons.base.notify_ready).
    """
    env = None
    if ready_fd is not None:
        env = {**os.environ, READY_FD_ENV: str(ready_fd)}
        pass_fds = (*pass_fds, ready_fd)
    svc = product.SERVICE_BY_DAEMON.get(daemon)
    args = [inst.daemon_path(daemon), *(svc.args if svc else ()), *extra]
    inst.log.mkdir(parents=True, exist_ok=True)
    logfile = open(inst.log / f"{daemon}.stderr", "ab")
    try:
        return subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=logfile,
            stderr=logfile,
            cwd="/",
            start_new_session=new_session,
            pass_fds=pass_fds,
            close_fds=True,
            env=env,
        )
    finally:
        logfile.close()


def alive(pid: int) -> bool:
    """The process exists and is not a zombie."""
    return _state(pid) not in (None, "Z", "X")


def signal_pid(pid: int, sig: int) -> bool:
    try:
        os.kill(pid, sig)
        return True
    except ProcessLookupError:
        return False


def wait_gone(pids: Iterable[int], timeout: float) -> list[int]:
    """Wait until the pids are gone (or zombies); return those still alive."""
    remaining = [p for p in pids]
    deadline = time.monotonic() + timeout
    while remaining and time.monotonic() < deadline:
        remaining = [p for p in remaining if alive(p)]
        if remaining:
            time.sleep(0.02)
    return [p for p in remaining if alive(p)]


def terminate(pids: Iterable[int], grace: float, force: bool = False) -> list[int]:
    """SIGTERM (or SIGKILL when force), then SIGKILL what outlives `grace`. Returns killed pids."""
    pids = list(pids)
    for pid in pids:
        signal_pid(pid, signal.SIGKILL if force else signal.SIGTERM)
    left = wait_gone(pids, grace)
    for pid in left:
        signal_pid(pid, signal.SIGKILL)
    if left:
        wait_gone(left, 5.0)
    return left


# --- identity (ctypes and setproctitle are imported only by the processes that need them) ----

_LIBC = None


def _libc():  # type: ignore[no-untyped-def]
    """libc, looked up once (find_library runs ldconfig: not for every forked server)."""
    global _LIBC
    if _LIBC is None:
        import ctypes  # noqa: PLC0415
        import ctypes.util  # noqa: PLC0415
        _LIBC = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    return _LIBC


def set_identity(argv: list[str], name: str) -> None:
    """`ps -ef` shows `B/lib/<name> args` (B as invoked); `ps -e` shows the short name."""
    import setproctitle  # noqa: PLC0415

    title = " ".join(argv)
    setproctitle.setproctitle(title)
    _flag_title(len(title.encode()))
    try:
        _libc().prctl(15, name.encode()[:15], 0, 0, 0)  # PR_SET_NAME
    except OSError:
        pass


def _flag_title(length: int) -> None:
    """Make /proc/<pid>/cmdline end at the title, so psutil splits it into argv words.

    setproctitle pads the old argv area with NULs, which psutil reads as empty arguments
    (cmdline()[0] would be the whole title). Linux returns only the title, as one string, when
    the last byte of the original argv area is not NUL (its setproctitle(3) convention).
    """
    try:
        with open("/proc/self/stat", encoding="ascii") as fh:
            data = fh.read()
        fields = data[data.rindex(")") + 2:].split()
        start, end = int(fields[45]), int(fields[46])
    except (OSError, ValueError, IndexError):
        return
    if end - start > length + 1:
        import ctypes  # noqa: PLC0415
        ctypes.memset(ctypes.c_void_p(end - 1), 0x20, 1)
