"""The processes of one Messaging Server instance: find them, name the watcher, end them.

An instance is its server root B (IMS_serverroot) and its configuration
directory C (on the shared disk). Its processes are those that run a program of B
(`B/lib/watcher`, `B/lib/imapd`, `B/sbin/start-msg` run by an interpreter, ...) -- as the
kernel says, not as argv claims (any user can set argv): the command line only proposes a
program of B's own `lib`, `sbin` or `bin`; the kernel's executable must then be that program
(or the interpreter its `#!` line names), and the process must run as root or as the
instance's runtime user (trust.runs_program, trust.may_signal). A claimant that fails this is
an impostor: reported, never killed, never taken for a running Messaging Server. The watcher
is the one process the agent watches closely: Messaging Server's single point of failure. Its
identity is pid *and* start time, so that a recycled pid is never mistaken for it.

Processes that merely hold a file or their working directory under C are not killed, whoever
they run as: killing an administrator's shell or editor that sits in the configuration
directory is not the agent's business; they are reported (pid, user, command) instead and
left to the storage resource.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Optional

import psutil

from scims import trust

WATCHER = "watcher"
PROGRAM_DIRECTORIES = ("lib", "sbin", "bin")
"""Where an installation keeps its programs: `B/x/lib/watcher` is not B's (it may be the
watcher of an instance installed in B/x)."""


@dataclass(frozen=True)
class ProcessIdentity:
    """A process as it was seen: pid plus start time guards against pid reuse."""

    pid: int
    create_time: float
    program: Optional[str] = None
    """The program path as invoked (`B/lib/watcher`), for a process of the instance; None for
    any other process (a holder), which pid and start time alone identify."""

    def is_alive(self) -> bool:
        """Still the same process (pid and start time), not a zombie, and for a process of the
        instance still running its program (a service the watcher forks carries the
        watcher's command line for an instant, then runs its own program)."""
        try:
            proc = psutil.Process(self.pid)
            if abs(proc.create_time() - self.create_time) >= 0.01:
                return False
            if proc.status() == psutil.STATUS_ZOMBIE:
                return False
            return self.program is None or self.program in proc.cmdline()[:2]
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            return False

    @property
    def name(self) -> str:
        return os.path.basename(self.program) if self.program else ""


@dataclass(frozen=True)
class Impostor:
    """A process whose command line names a program of the instance, which the kernel denies."""

    pid: int
    user: str
    executable: str
    claimed: str


@dataclass(frozen=True)
class Holder:
    """A process outside the instance that keeps the configuration directory busy."""

    pid: int
    name: str
    user: str
    path: str
    create_time: float = 0.0
    """With the pid, who the process is (a recycled pid is another process)."""


def _under(path: str, directory: str) -> bool:
    directory = directory.rstrip("/") or "/"
    return path == directory or path.startswith(directory + "/")


class MessagingInstance:
    """One Messaging Server installation as seen from this node."""

    def __init__(self, server_root: str, config_dir: Optional[str] = None,
                 runtime_uid: Optional[int] = None) -> None:
        """`server_root` is the installation's path on this node (IMS_serverroot)."""
        self.server_root = server_root.rstrip("/")
        roots = {self.server_root, os.path.realpath(self.server_root)}
        self._program_roots = sorted(roots)
        self.config_dir = os.path.realpath(config_dir) if config_dir else None
        self.runtime_uid = runtime_uid

    # --- finding ----------------------------------------------------------------
    def _claimed_program(self, proc: psutil.Process) -> Optional[str]:
        """The program of B this process claims to run (argv[0], or argv[1] of an
        interpreter), if any; only a claim until `_kernel_agrees`."""
        try:
            cmdline = proc.cmdline()
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            return None
        for arg in cmdline[:2]:
            for root in self._program_roots:
                if _under(arg, root) and arg != root:
                    first = arg[len(root):].lstrip("/").split("/", 1)[0]
                    if first in PROGRAM_DIRECTORIES:
                        return arg
        return None

    def _kernel_agrees(self, proc: psutil.Process, program: str) -> Optional[bool]:
        """True if the kernel confirms the claim, False if it denies it, None if the process
        is gone."""
        try:
            exe = proc.exe()
            uid = proc.uids().real
        except (psutil.NoSuchProcess, psutil.ZombieProcess):
            return None
        except psutil.AccessDenied:
            return False
        return trust.runs_program(exe, program) and trust.may_signal(uid, self.runtime_uid)

    def _program_of(self, proc: psutil.Process) -> Optional[str]:
        """The program of B this process runs, by argv's claim and the kernel's word."""
        program = self._claimed_program(proc)
        if program is None or not self._kernel_agrees(proc, program):
            return None
        return program

    def processes(self) -> list[ProcessIdentity]:
        """Every living process of this instance on this node."""
        return self.survey()[0]

    def impostors(self) -> list[Impostor]:
        """Processes of this node that claim a program of the instance the kernel denies."""
        return self.survey()[1]

    def survey(self) -> tuple[list[ProcessIdentity], list[Impostor]]:
        """One look at the process table: the instance's processes, and the impostors."""
        found: list[ProcessIdentity] = []
        impostors: list[Impostor] = []
        me = os.getpid()
        for proc in psutil.process_iter():
            if proc.pid == me:
                continue
            program = self._claimed_program(proc)
            if program is None:
                continue
            agrees = self._kernel_agrees(proc, program)
            if agrees is None:
                continue
            if not agrees:
                impostors.append(_impostor(proc, program))
                continue
            try:
                if proc.status() == psutil.STATUS_ZOMBIE:
                    continue
                found.append(ProcessIdentity(proc.pid, proc.create_time(), program))
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
        return found, impostors

    def watcher(self) -> Optional[ProcessIdentity]:
        """The watcher process, if one runs: the oldest `lib/watcher`, since a service the
        watcher forks carries the watcher's command line until it sets its own."""
        watchers = [ident for ident in self.processes()
                    if ident.name == WATCHER
                    and os.path.basename(os.path.dirname(ident.program)) == "lib"]
        return min(watchers, key=lambda ident: ident.create_time, default=None)

    def holders(self) -> list[Holder]:
        """Processes of this node, not of the instance, with a file or cwd under C."""
        if self.config_dir is None:
            return []
        found: list[Holder] = []
        me = os.getpid()
        for proc in psutil.process_iter():
            if proc.pid == me or self._claimed_program(proc) is not None:
                continue
            path = self._held_path(proc)
            if path is None:
                continue
            try:
                found.append(Holder(proc.pid, proc.name(), proc.username(), path,
                                    proc.create_time()))
            except (psutil.NoSuchProcess, psutil.AccessDenied, KeyError):
                continue
        return found

    def _held_path(self, proc: psutil.Process) -> Optional[str]:
        assert self.config_dir is not None
        try:
            cwd = proc.cwd()
            if cwd and _under(os.path.realpath(cwd), self.config_dir):
                return cwd
            for item in proc.open_files():
                if _under(os.path.realpath(item.path), self.config_dir):
                    return item.path
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess, OSError):
            return None
        return None

    # --- ending -----------------------------------------------------------------
    def kill_all(self, deadline: float) -> list[ProcessIdentity]:
        """SIGKILL every process of the instance (never a holder, never an impostor); wait
        until `deadline` (time.monotonic) for them to go. Returns the survivors."""
        victims = list(self.processes())
        _signal_all(victims, signal.SIGKILL)
        return wait_gone(victims, deadline)


def _impostor(proc: psutil.Process, program: str) -> Impostor:
    try:
        user = proc.username()
    except (psutil.Error, KeyError):
        user = "?"
    try:
        exe = proc.exe() or "?"
    except psutil.Error:
        exe = "?"
    return Impostor(proc.pid, user, exe, program)


def _signal_all(victims: Iterable[ProcessIdentity], signum: int) -> None:
    for ident in victims:
        if not ident.is_alive():
            continue
        try:
            os.kill(ident.pid, signum)
        except ProcessLookupError:
            continue


def wait_gone(idents: Sequence[ProcessIdentity], deadline: float,
              poll: float = 0.05) -> list[ProcessIdentity]:
    """Wait until every process has exited (or is a zombie) or the deadline passes."""
    remaining = [i for i in idents if i.is_alive()]
    while remaining and time.monotonic() < deadline:
        time.sleep(poll)
        remaining = [i for i in remaining if i.is_alive()]
    return remaining
