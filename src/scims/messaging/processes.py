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

from scims import process_table, trust
from scims.process_table import Gone

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
    """The program's real path (`B/lib/watcher`, links and `..` resolved as the kernel
    resolves them), for a process of the instance; None for any other process (a holder),
    which pid and start time alone identify."""
    invoked: Optional[str] = None
    """The word of argv that named it (`B//lib/./watcher`), as the process still shows it."""

    def is_alive(self) -> bool:
        """Still the same process (pid and start time), not a zombie, and for a process of the
        instance still running its program (a service the watcher forks carries the
        watcher's command line for an instant, then runs its own program)."""
        try:
            start, zombie = process_table.started(self.pid)
            if abs(start - self.create_time) >= 0.01 or zombie:
                return False
            word = self.invoked or self.program
            return word is None or word in process_table.cmdline(self.pid)[:2]
        except (Gone, OSError):
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
        self._real_root = os.path.realpath(self.server_root).rstrip("/")
        self._program_root_words = tuple(
            f"{r.rstrip('/')}/".encode("utf-8", "surrogateescape") for r in self._program_roots)
        self.config_dir = os.path.realpath(config_dir) if config_dir else None
        self.runtime_uid = runtime_uid

    # --- finding ----------------------------------------------------------------
    def _claimed_program(self, pid: int) -> Optional[tuple[str, str]]:
        """The program of B this process claims to run (argv[0], or argv[1] of an
        interpreter), if any, as (its real path, the word of argv); only a claim until
        `_kernel_agrees`. One read of the command line: the only fact looked at for a process
        that claims nothing."""
        try:
            cmdline = process_table.cmdline_naming(pid, self._program_root_words)
        except (Gone, OSError):
            return None
        if cmdline is None:
            return None  # names no program root at all (nearly every process)
        for arg in cmdline[:2]:
            program = self.program_named(arg)
            if program is not None:
                return program, arg
        return None

    def program_named(self, word: str) -> Optional[str]:
        """The real path of the program of B's own `lib`, `sbin` or `bin` that `word` names,
        or None. `//`, `.`, `..` and a trailing `/` are resolved first, by the text alone:
        `B/lib/../../tmp/x` names /tmp/x, no program of B, and `B/./lib/watcher` names the
        watcher. Only a word that then lies in B's program directories is resolved further
        (symbolic links, which only root can have made there): a word that leads elsewhere
        is never looked up, so a path into a file system another user serves (FUSE, a hung
        NFS mount) cannot hold a method up."""
        if not word.startswith("/") or "\x00" in word:
            return None
        lexical = "/" + os.path.normpath(word).lstrip("/")
        if not any(self._in_programs(lexical, root) for root in self._program_roots):
            return None
        real = os.path.realpath(lexical)
        return real if self._in_programs(real, self._real_root) else None

    @staticmethod
    def _in_programs(path: str, root: str) -> bool:
        """Whether `path` is a file of `root`'s own lib, sbin or bin (`root/x/lib/y` is not:
        it may be a program of an instance installed in root/x)."""
        root = root.rstrip("/")
        if not path.startswith(root + "/"):
            return False
        parts = path[len(root) + 1:].split("/")
        return len(parts) >= 2 and parts[0] in PROGRAM_DIRECTORIES and bool(parts[-1])

    def _kernel_agrees(self, pid: int, program: str) -> Optional[bool]:
        """True if the kernel confirms the claim, False if it denies it, None if the process
        is gone."""
        try:
            exe = process_table.exe(pid)
            uid = process_table.real_uid(pid)
        except Gone:
            return None
        except OSError:
            return False  # may not be examined: not the kernel's word
        return trust.runs_program(exe, program) and trust.may_signal(uid, self.runtime_uid)


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
        for pid in process_table.pids():
            if pid == me:
                continue
            claim = self._claimed_program(pid)
            if claim is None:
                continue
            program, invoked = claim
            # The start time before the kernel's word: should the pid be reused in between,
            # the identity names the earlier process and matches nothing (as psutil, which
            # reads it first too); read after, it could name a process never checked.
            try:
                start, zombie = process_table.started(pid)
            except (Gone, OSError):
                continue
            agrees = self._kernel_agrees(pid, program)
            if agrees is None:
                continue
            if not agrees:
                impostors.append(_impostor(pid, invoked))
                continue
            if not zombie:
                found.append(ProcessIdentity(pid, start, program, invoked))
        return found, impostors

    def watcher(self) -> Optional[ProcessIdentity]:
        """The watcher process, if one runs: the oldest `lib/watcher`, since a service the
        watcher forks carries the watcher's command line until it sets its own."""
        watchers = [ident for ident in self.processes()
                    if ident.name == WATCHER
                    and os.path.basename(os.path.dirname(ident.program)) == "lib"]
        return min(watchers, key=lambda ident: ident.create_time, default=None)

    def holders(self) -> list[Holder]:
        """Processes of this node, not of the instance, with a file or cwd under C. An
        impostor (a command line naming a program of B, which the kernel denies) is one of
        them: the storage resource must hear who keeps the disk busy."""
        if self.config_dir is None:
            return []
        found: list[Holder] = []
        me = os.getpid()
        for pid in process_table.pids():
            if pid == me:
                continue
            path = self._held_path(pid)  # first: rarely anything, and then no more is read
            if path is None:
                continue
            claim = self._claimed_program(pid)
            if claim is not None and self._kernel_agrees(pid, claim[0]) is not False:
                continue  # the instance's own (Stop's to end), or gone; an impostor holds
            try:
                found.append(Holder(pid, process_table.name(pid),
                                    process_table.username(process_table.real_uid(pid)),
                                    path, process_table.started(pid)[0]))
            except (Gone, OSError):
                continue
        return found

    def _held_path(self, pid: int) -> Optional[str]:
        """Its working directory or an open regular file under C (realpath'd at __init__).
        The kernel names both with every symbolic link already resolved, so they are
        compared as they are; only a match is examined further (is it a regular file)."""
        assert self.config_dir is not None
        try:
            cwd, files = process_table.held_under(pid, self.config_dir)
        except (Gone, OSError):
            return None
        if cwd:
            return cwd
        return next((path for path in files if os.path.isfile(path)), None)

    # --- ending -----------------------------------------------------------------
    def kill_all(self, deadline: float) -> list[ProcessIdentity]:
        """SIGKILL every process of the instance (never a holder, never an impostor); wait
        until `deadline` (time.monotonic) for them to go. Returns the survivors."""
        victims = list(self.processes())
        _signal_all(victims, signal.SIGKILL)
        return wait_gone(victims, deadline)


def _impostor(pid: int, program: str) -> Impostor:
    try:
        user = process_table.username(process_table.real_uid(pid))
    except (Gone, OSError):
        user = "?"
    try:
        exe = process_table.exe(pid) or "?"
    except (Gone, OSError):
        exe = "?"
    return Impostor(pid, user, exe, program)


def _signal_all(victims: Iterable[ProcessIdentity], signum: int) -> None:
    for ident in victims:
        signal_process(ident, signum)


def signal_process(ident: ProcessIdentity, signum: int) -> None:
    """Send `signum` to the process `ident` is, never to another that took its pid since.

    Where the kernel has pidfds (Linux 5.3 and later) the pid is opened first and the
    identity checked after: a pidfd names one process for good, so the signal cannot reach a
    successor however the two race. Elsewhere the identity is checked right before kill(2),
    which leaves the instant between the two (Solaris has no pidfd)."""
    opener = getattr(os, "pidfd_open", None)
    sender = getattr(signal, "pidfd_send_signal", None)
    if opener is not None and sender is not None:
        try:
            fd = opener(ident.pid)
        except ProcessLookupError:
            return
        except OSError:
            fd = -1  # no pidfd here after all (an older kernel): kill(2) below
        if fd >= 0:
            try:
                if ident.is_alive():
                    sender(fd, signum)
            except ProcessLookupError:
                pass
            finally:
                os.close(fd)
            return
    if not ident.is_alive():
        return
    try:
        os.kill(ident.pid, signum)
    except ProcessLookupError:
        return


def wait_gone(idents: Sequence[ProcessIdentity], deadline: float,
              poll: float = 0.05) -> list[ProcessIdentity]:
    """Wait until every process has exited (or is a zombie) or the deadline passes."""
    remaining = [i for i in idents if i.is_alive()]
    while remaining and time.monotonic() < deadline:
        time.sleep(poll)
        remaining = [i for i in remaining if i.is_alive()]
    return remaining


def await_exit(ident: ProcessIdentity, seconds: float) -> None:
    """Wait up to `seconds`, returning at once when the process `ident` ends: the kernel
    says so through a pidfd (Linux 5.3 and later), so the fault monitor learns of a dead
    watcher the moment it dies instead of at its next look. Only waits, never signals. Where
    there is no pidfd (another system, an older kernel) this is a plain sleep; a process
    that is already gone, or is no longer `ident` (its pid reused), returns at once for the
    caller to look."""
    opener = getattr(os, "pidfd_open", None)
    if opener is None:
        time.sleep(seconds)
        return
    try:
        fd = opener(ident.pid)
    except ProcessLookupError:
        return
    except OSError:
        time.sleep(seconds)
        return
    try:
        if not ident.is_alive():  # the pid opened may be another process's by now
            return
        import select  # noqa: PLC0415 - only where a pidfd exists (the fault monitor)

        waiter = select.poll()
        waiter.register(fd, select.POLLIN)
        waiter.poll(max(0, int(seconds * 1000)))
    finally:
        os.close(fd)
