"""Finding, starting and stopping the processes of one installation.

A process belongs to installation B when its command line starts with `<B>/lib/<program>`;
B is compared after resolving symlinks, so `stop-msg` invoked through another spelling of
the path (a node-root symlink, say) still finds what `start-msg` started. Pid files are
written by the daemons themselves once they serve, and are a hint, never the only evidence.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterable
from pathlib import Path

import psutil

from mssim import product
from mssim.install import Installation


def _lib_real(inst: Installation) -> str:
    return os.path.realpath(inst.lib)


def program_of(proc: psutil.Process, lib_real: str) -> str | None:
    """The lib/ program name if `proc` is one of this installation's, else None."""
    try:
        cmd = proc.cmdline()
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return None
    if not cmd:
        return None
    first = cmd[0]
    name = os.path.basename(first)
    if name not in product.LIB_PROGRAMS:
        return None
    if os.path.realpath(os.path.dirname(first)) != lib_real:
        return None
    try:
        if proc.status() == psutil.STATUS_ZOMBIE:
            return None
    except psutil.Error:
        return None
    return name


def find_processes(inst: Installation, names: Iterable[str] | None = None) -> list[psutil.Process]:
    """Live processes of this installation (optionally only the given lib/ programs)."""
    wanted = set(names) if names is not None else None
    lib_real = _lib_real(inst)
    found = []
    for proc in psutil.process_iter():
        if proc.pid == os.getpid():
            continue
        name = program_of(proc, lib_real)
        if name and (wanted is None or name in wanted):
            found.append(proc)
    return found


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
    lib_real = _lib_real(inst)
    if pid:
        try:
            if program_of(psutil.Process(pid), lib_real) == daemon:
                return pid
        except psutil.Error:
            pass
    procs = find_processes(inst, [daemon])
    return procs[0].pid if procs else None


def spawn_daemon(
    inst: Installation, daemon: str, extra: Iterable[str] = (), *, new_session: bool,
    pass_fds: tuple[int, ...] = (),
) -> subprocess.Popen[bytes]:
    """Run B/lib/<daemon> with its documented arguments; output goes to its log file.

    Never inherit the caller's stdout: a caller that captures start-msg's output waits for
    EOF, and a daemon holding the pipe would make it wait forever.
    """
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
        )
    finally:
        logfile.close()


def alive(pid: int) -> bool:
    try:
        proc = psutil.Process(pid)
        return proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


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
