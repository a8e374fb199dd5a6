"""The processes of one Messaging Server instance: find them, name the watcher, end them.

An instance is its server root B (IMS_serverroot under the node root) and its configuration
directory C (on the shared disk). Its processes are those whose command line runs a program
of B (`B/lib/watcher`, `B/lib/imapd`, `B/sbin/start-msg` run by an interpreter, ...). The
watcher is the one process the agent watches closely: Messaging Server's single point of
failure. Its identity is pid *and* start time, so that a recycled pid is never mistaken for it.

Processes that merely hold a file or their working directory under C are not killed unless
they run as the runtime user (Messaging Server utilities): killing an administrator's shell
that sits in the configuration directory is not the agent's business; it is reported instead.

On a stand-in node (SC_NODE_ROOT set), other nodes' processes are visible too; only those
whose command line lies under this node's root, or whose environment names this node's root,
belong to this node.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Optional

import psutil

from scims import paths

WATCHER = "watcher"


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
        """`server_root` is the path on this node (node root already applied)."""
        self.server_root = server_root.rstrip("/")
        roots = {self.server_root, os.path.realpath(self.server_root)}
        self._program_roots = sorted(roots)
        self.config_dir = os.path.realpath(config_dir) if config_dir else None
        self.runtime_uid = runtime_uid
        self._node_root = paths.root()

    # --- finding ----------------------------------------------------------------
    def _program_of(self, proc: psutil.Process) -> Optional[str]:
        """The program of B this process runs, if any (argv[0], or argv[1] of an interpreter)."""
        try:
            cmdline = proc.cmdline()
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            return None
        for arg in cmdline[:2]:
            for root in self._program_roots:
                if _under(arg, root) and arg != root:
                    return arg
        return None

    def _on_this_node(self, proc: psutil.Process, program: Optional[str]) -> bool:
        if self._node_root == "/":
            return True
        if program is not None and _under(program, self._node_root):
            return True
        try:
            return proc.environ().get(paths.ROOT_VARIABLE, "") == self._node_root
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            return False

    def processes(self) -> list[ProcessIdentity]:
        """Every living process of this instance on this node."""
        found: list[ProcessIdentity] = []
        me = os.getpid()
        for proc in psutil.process_iter():
            if proc.pid == me:
                continue
            program = self._program_of(proc)
            if program is None or not self._on_this_node(proc, program):
                continue
            try:
                if proc.status() == psutil.STATUS_ZOMBIE:
                    continue
                found.append(ProcessIdentity(proc.pid, proc.create_time(), program))
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
        return found

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
            if proc.pid == me or self._program_of(proc) is not None:
                continue
            path = self._held_path(proc)
            if path is None or not self._on_this_node(proc, None):
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
        """SIGKILL every process of the instance (and runtime-user holders); wait until
        `deadline` (time.monotonic) for them to go. Returns the survivors."""
        victims = list(self.processes())
        if self.runtime_uid is not None:
            victims.extend(self._runtime_user_holders())
        _signal_all(victims, signal.SIGKILL)
        return wait_gone(victims, deadline)

    def _runtime_user_holders(self) -> Iterator[ProcessIdentity]:
        for holder in self.holders():
            ident = ProcessIdentity(holder.pid, holder.create_time)
            try:
                if psutil.Process(holder.pid).uids().real == self.runtime_uid \
                        and ident.is_alive():
                    yield ident
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue


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
