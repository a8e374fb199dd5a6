"""What every lib/ daemon does the same way: identity, privileges, pid file, faults, stop.

Order matters and follows the real servers: bind the listening sockets while still root
(ports below 1024), then switch to the runtime user, then announce readiness with the pid file.
The interpreter lives where the runtime user may not read it (/root/.pyenv), so everything a
daemon will ever import is imported before the switch (`PREIMPORT`).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import os
import signal
import socket
import sys
import time
from collections.abc import Awaitable, Callable

from mssim import faults, node, procs
from mssim.faults import FaultState
from mssim.install import Installation
from mssim.procs import set_identity

# Imported now because the runtime user may not be able to read the interpreter's files.
PREIMPORT = (
    "encodings.ascii", "encodings.latin_1", "encodings.utf_8", "encodings.idna",
    "encodings.raw_unicode_escape", "encodings.unicode_escape", "email.utils",
    "email.message", "email.parser", "email.policy", "email._header_value_parser",
    "email.headerregistry", "uuid", "concurrent.futures.thread", "base64", "binascii",
    "hmac", "secrets", "asyncio.sslproto", "asyncio.unix_events", "asyncio.selector_events",
)
for _module in PREIMPORT:
    importlib.import_module(_module)

ServerFactory = Callable[[socket.socket], Awaitable[asyncio.base_events.Server]]

READY_FD: int | None = None
"""Write end of the pipe on which this server says "ready" (set by the watcher after fork;
an exec'd server finds it in $MSSIM_READY_FD)."""


def notify_ready() -> None:
    """Tell whoever started us that we serve (after the pid file is written); once."""
    global READY_FD
    fd = READY_FD
    env = os.environ.pop(procs.READY_FD_ENV, None)
    if fd is None and env is not None and env.isdigit():
        fd = int(env)
    READY_FD = None
    if fd is None:
        return
    try:
        os.write(fd, b"R")
    except OSError:
        pass
    finally:
        try:
            os.close(fd)
        except OSError:
            pass


class DaemonLog:
    """C/log/<daemon>.log, opened before the uid switch and kept open.

    The log lives on the configuration disk, which may be full: a line that cannot be
    written is kept (up to `BACKLOG` lines) and written before the next one once there is
    room, so what a daemon could not do while the disk was full is in its log afterwards;
    logging never raises into the caller (a reply, a delivery pass)."""

    BACKLOG = 1000

    def __init__(self, inst: Installation, name: str) -> None:
        self.name = name
        self.host = inst.hostname
        self.fd: int | None
        self.backlog: list[bytes] = []
        try:
            inst.log.mkdir(parents=True, exist_ok=True)
            self.fd = os.open(inst.log / f"{name}.log",
                              os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        except OSError:
            self.fd = None

    def __call__(self, level: str, text: str) -> None:
        stamp = time.strftime("[%d/%b/%Y:%H:%M:%S %z]")
        line = f"{stamp} {self.host} {self.name}[{os.getpid()}]: {level}: {text}\n"
        self.backlog.append(line.encode("utf-8", "backslashreplace"))
        if self.fd is not None:
            try:
                while self.backlog:
                    data = self.backlog[0]
                    written = os.write(self.fd, data)
                    if written < len(data):
                        self.backlog[0] = data[written:]
                        raise OSError("short write")
                    self.backlog.pop(0)
                return
            except OSError:
                del self.backlog[:-self.BACKLOG]
        else:
            self.backlog.clear()
        with contextlib.suppress(OSError, ValueError):
            sys.stderr.write(line)
            sys.stderr.flush()


def listening_socket(addr: str, port: int) -> socket.socket:
    if addr in ("", "0.0.0.0", "::"):
        raise OSError(f"refusing to bind {addr!r}: the stand-in binds one address only")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((addr, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


class Listener:
    """One listening endpoint that can be made to refuse connections and recover.

    `refuse` shuts the listening socket down (Linux then refuses connections) but keeps it
    bound, so listening again needs no privilege even after the uid switch.
    """

    def __init__(self, label: str, addr: str, port: int, factory: ServerFactory) -> None:
        self.label, self.addr, self.port, self.factory = label, addr, port, factory
        self.sock = listening_socket(addr, port)
        self.server: asyncio.base_events.Server | None = None

    async def open(self) -> None:
        if self.server is None:
            self.server = await self.factory(self.sock.dup())

    async def refuse(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None
        try:
            self.sock.shutdown(socket.SHUT_RD)
        except OSError:
            pass

    async def resume(self) -> None:
        if self.server is None:
            self.sock.listen(128)
            await self.open()

    def close(self) -> None:
        if self.server is not None:
            self.server.close()
        self.sock.close()


class Daemon:
    """Base of the asyncio daemons. Subclasses add listeners and background tasks."""

    name = "daemon"

    def __init__(self, inst: Installation, argv: list[str]) -> None:
        self.inst = inst
        self.argv = argv
        self.log = DaemonLog(inst, self.name)
        self.faults = FaultState()
        self.listeners: list[Listener] = []
        self._unhang = asyncio.Event()
        self._stop = asyncio.Event()
        self.serving = False
        """Ready and announced: from now on a `hang` fault stops the process at once."""
        self.tasks: list[asyncio.Task[None]] = []

    # --- to override --------------------------------------------------------------------
    def bind(self) -> None:
        """Create the listeners (runs as root, before the uid switch)."""

    async def started(self) -> None:
        """Start background work (runs after the uid switch)."""

    # --- fault gate -----------------------------------------------------------------------
    async def gate(self) -> None:
        """Called before every reply: a stalled daemon never answers, a slow one answers late
        (a hung one runs no code at all: `faults.hang_now`)."""
        while self.faults.stall:
            await self._unhang.wait()
        if self.faults.slow > 0:
            await asyncio.sleep(self.faults.slow)

    async def apply_faults(self) -> None:
        old = self.faults
        self.faults = FaultState.load(self.inst, self.name)
        if self.faults.stall and not old.stall:
            self._unhang = asyncio.Event()
            self.log("Warning", "fault injected: stall")
        if old.stall and not self.faults.stall:
            self._unhang.set()
        for lst in self.listeners:
            if self.faults.refuse:
                await lst.refuse()
            else:
                await lst.resume()
        if self.faults != old:
            self.log("Notice", f"faults now {self.faults}")
        faults.acknowledge(self.inst, self.name)
        self._hang_if_told()

    def _hang_if_told(self) -> None:
        if self.faults.hang and self.serving:
            self.log("Warning", "fault injected: hang (stopping this process)")
            faults.hang_now()

    def request_stop(self) -> None:
        if self.faults.stop_hang:
            self.log("Warning", "stop request ignored (fault stop-hang)")
            return
        self._stop.set()

    # --- lifecycle ------------------------------------------------------------------------
    async def main(self) -> int:
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, self.request_stop)
        loop.add_signal_handler(signal.SIGINT, self.request_stop)
        loop.add_signal_handler(signal.SIGUSR1, lambda: loop.create_task(self.apply_faults()))
        for lst in self.listeners:
            await lst.open()
        await self.apply_faults()
        await self.started()
        procs.write_pidfile(self.inst.pidfile(self.name), os.getpid())
        notify_ready()
        where = ", ".join(f"{x.label} {x.addr}:{x.port}" for x in self.listeners)
        self.log("Notice", f"{self.name} started{(' listening on ' + where) if where else ''}")
        self.serving = True
        self._hang_if_told()
        await self._stop.wait()
        self.log("Notice", f"{self.name} shutting down")
        for task in self.tasks:
            task.cancel()
        for lst in self.listeners:
            lst.close()
        if procs.read_pidfile(self.inst, self.name) == os.getpid():
            try:
                self.inst.pidfile(self.name).unlink()
            except OSError:
                pass
        faults.forget_acknowledgement(self.inst)
        return 0


def drop_privileges(inst: Installation, log: DaemonLog) -> None:
    """Root → the runtime user of the node (numeric ids from the node's etc files)."""
    if os.geteuid() != 0:
        return
    root = node.node_root(str(inst.lib / "x"))
    uid, gid = node.runtime_ids(root, inst.user, inst.group)
    os.setgroups([gid])
    os.setgid(gid)
    os.setuid(uid)
    log("Notice", f"running as {inst.user} ({uid}/{gid})")


def run(cls: type[Daemon], argv: list[str]) -> int:
    """Common main of the asyncio daemons."""
    inst = Installation.from_argv0(argv[0])
    argv = [os.path.abspath(argv[0]), *argv[1:]]
    set_identity(argv, cls.name)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    signal.signal(signal.SIGUSR1, signal.SIG_IGN)  # faults are read at start anyway
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    daemon = cls(inst, argv)
    if FaultState.load(inst, cls.name).exit_on_start:
        daemon.log("Error", "exiting at start (fault exit-on-start)")
        return 1
    try:
        daemon.bind()
        drop_privileges(inst, daemon.log)
    except (OSError, LookupError) as exc:
        daemon.log("Error", f"cannot start: {exc}")
        return 1
    os.chdir("/")
    try:
        return loop.run_until_complete(daemon.main())
    except PermissionError as exc:
        # The runtime user cannot reach part of the installation: one line, no traceback.
        daemon.log("Error", f"cannot start: {inst.user} may not use {exc.filename}: "
                   f"{exc.strerror}")
        return 1
    except OSError as exc:
        # e.g. the pid file, written as the runtime user: one line in the log, not a traceback
        daemon.log("Error", f"cannot run: {exc}")
        return 1
    finally:
        loop.close()
