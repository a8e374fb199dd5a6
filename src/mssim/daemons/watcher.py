"""lib/watcher: starts the enabled services in order and supervises them.

One single-threaded loop (selectors, 50 ms tick) owns all state: children are polled, control
connections on local.watcher.port are served, signal handlers only set flags. A server is ready
once it has written its pid file; it says so at once on a pipe the watcher selects on (the pid
file is still checked every tick, as a fallback). start-msg reads progress lines from a pipe
(or, for a watcher already running, from its TCP port):

    LAUNCHED <service> <pid> | READY <service> | FAILED <service> <reason> | DONE <0|1>

Control commands on the port, one line each: `START <service>...`, `STOP [-f] <service>...`,
`STATUS` (one `<service> <state> <pid>` line per service, then `watcher ha|normal <pid>`: the
HA flag start-msg ha checks), `EXIT` (the watcher alone exits; its servers keep running, as
after a watcher crash).

The servers' code (asyncio, aiosmtpd, email) is imported while the first two servers (ens,
store) start, so the store's start overlaps the imports the later servers need.

The watcher stays root (it must be able to start servers on privileged ports); the servers
switch to the runtime user themselves.
"""

from __future__ import annotations

import errno
import importlib
import os
import selectors
import signal
import socket
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field

from mssim import faults, launch, procs, product
from mssim.daemons import base, simple  # noqa: F401 - forked before preload_servers
from mssim.daemons.base import DaemonLog, listening_socket
from mssim.faults import FaultState
from mssim.install import Installation
from mssim.procs import set_identity
from mssim.restart_policy import Decision, FailureHistory, decide

START_TIMEOUT = 30.0
STOP_GRACE = 3.0


def preload_servers() -> None:
    """Import every server's code now, so that forked servers import nothing (idempotent)."""
    for daemon, module in launch.DAEMON_MODULES.items():
        if daemon != "watcher":
            importlib.import_module(module)


class ForkedChild:
    """A server forked from the watcher (the Popen interface the loop uses).

    Forking instead of exec'ing a new interpreter saves each server ~0.25 s of CPU (imports):
    the watcher has already imported every server's code. The child's identity is the same
    as an exec'd one: its title is `B/lib/<name> args`.
    """

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:
                self.returncode = 1
                return self.returncode
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float) -> int:
        deadline = time.monotonic() + timeout
        while self.poll() is None:
            if time.monotonic() >= deadline:
                raise subprocess.TimeoutExpired(str(self.pid), timeout)
            time.sleep(0.01)
        assert self.returncode is not None
        return self.returncode


@dataclass
class Child:
    service: product.Service
    popen: ForkedChild | None = None
    state: str = "stopped"  # starting | running | stopping | stopped | given_up
    started_at: float = 0.0
    history: FailureHistory = field(default_factory=FailureHistory)

    @property
    def pid(self) -> int | None:
        return self.popen.pid if self.popen else None


class Reporter:
    """One start request: who to tell, and which services it still waits for."""

    def __init__(self, write: Callable[[str], None], services: list[str]) -> None:
        self.write = write
        self.waiting = set(services)
        self.failed = False
        self.done = False

    def event(self, kind: str, service: str, detail: str = "") -> None:
        if self.done:
            return
        if service in self.waiting:
            self.write(f"{kind} {service}{(' ' + detail) if detail else ''}\n")
        if kind in ("READY", "FAILED") and service in self.waiting:
            self.waiting.discard(service)
            self.failed = self.failed or kind == "FAILED"

    def finish_if_complete(self, plan_empty: bool) -> bool:
        if not self.done and not self.waiting and plan_empty:
            self.write(f"DONE {1 if self.failed else 0}\n")
            self.done = True
        return self.done


class Watcher:
    def __init__(self, inst: Installation, ha: bool) -> None:
        self.inst = inst
        self.ha = ha
        self.log = DaemonLog(inst, "watcher")
        self.children = {s.name: Child(s) for s in product.SERVICES}
        self.plan: list[str] = []
        self.reporters: list[Reporter] = []
        self.faults = FaultState()
        self.serving = False
        """Past its start: from now on a `hang` fault stops the process at once."""
        self.sel = selectors.DefaultSelector()
        self.clients: dict[socket.socket, bytearray] = {}
        self.flags: set[str] = set()
        self.exit_code: int | None = None
        self.listener: socket.socket | None = None
        self.status_fd: int | None = None
        self.ready_fds: dict[int, tuple[Child, int]] = {}  # readiness pipes: (child, pid)
        self.preloaded = False

    # --- setup ----------------------------------------------------------------------------
    def bind(self) -> None:
        addr = self.inst.listen_address()
        port = self.inst.port("local.watcher.port", 49994)
        self.listener = listening_socket(addr, port)
        self.sel.register(self.listener, selectors.EVENT_READ, "listen")
        self.log("Notice", f"watcher listening on {addr}:{port}{' (HA mode)' if self.ha else ''}")

    def on_signal(self, signum: int, _frame: object) -> None:
        self.flags.add("term" if signum in (signal.SIGTERM, signal.SIGINT) else "usr1")

    # --- starting -------------------------------------------------------------------------
    def request_start(self, services: list[str], reporter: Reporter | None) -> None:
        wanted = []
        for name in services:
            child = self.children[name]
            if child.state in ("running", "starting"):
                if reporter:
                    reporter.event("READY", name)
                continue
            if child.state == "given_up":
                child.history = FailureHistory()
            wanted.append(name)
        order = [s.name for s in product.SERVICES]
        self.plan = sorted(set(self.plan) | set(wanted), key=order.index)
        if reporter:
            self.reporters.append(reporter)

    def advance_plan(self) -> None:
        while self.plan:
            store = self.children["store"]
            if store.state == "starting":
                return  # the store must be ready before anything after it starts
            name = self.plan.pop(0)
            self.launch(self.children[name])

    def launch(self, child: Child) -> None:
        name = child.service.name
        try:
            try:
                self.inst.pidfile(child.service.daemon).unlink()
            except FileNotFoundError:
                pass
            child.popen = self.fork_server(child)
        except OSError as exc:
            self.log("Error", f"cannot launch {name} server: {exc}")
            self.emit("FAILED", name, str(exc))
            return
        child.state = "starting"
        child.started_at = time.monotonic()
        self.log("Notice", f"Launching {name} server: {self.inst.daemon_path(child.service.daemon)}"
                           f" (pid {child.pid})")
        self.emit("LAUNCHED", name, str(child.pid))

    def fork_server(self, child: Child) -> ForkedChild:
        svc = child.service
        if svc.daemon in launch.DAEMON_MODULES and not self.preloaded:
            preload_servers()
            self.preloaded = True
        self.inst.log.mkdir(parents=True, exist_ok=True)
        logfd = os.open(self.inst.log / f"{svc.daemon}.stderr",
                        os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        ready_r, ready_w = os.pipe()
        try:
            pid = os.fork()
        except OSError:
            for fd in (logfd, ready_r, ready_w):
                os.close(fd)
            raise
        if pid:
            os.close(logfd)
            os.close(ready_w)
            os.set_blocking(ready_r, False)
            self.ready_fds[ready_r] = (child, pid)
            self.sel.register(ready_r, selectors.EVENT_READ, "ready")
            return ForkedChild(pid)
        code = 1
        try:
            # first of all: stop looking like the watcher (the agent counts watchers)
            sys.argv = [self.inst.daemon_path(svc.daemon), *svc.args]
            set_identity(sys.argv, svc.daemon)
            null = os.open(os.devnull, os.O_RDONLY)
            os.dup2(null, 0)
            os.dup2(logfd, 1)
            os.dup2(logfd, 2)
            for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGPIPE, signal.SIGCHLD):
                signal.signal(sig, signal.SIG_DFL)
            signal.signal(signal.SIGUSR1, signal.SIG_IGN)
            self.sel.close()
            if self.listener is not None:
                self.listener.close()
            for conn in self.clients:
                conn.close()
            if self.status_fd is not None:
                os.close(self.status_fd)
            for fd in [*self.ready_fds, ready_r, logfd, null]:
                os.close(fd)
            base.READY_FD = ready_w
            code = launch.daemon_main(svc.daemon)
        except BaseException:
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)

    def emit(self, kind: str, service: str, detail: str = "") -> None:
        for rep in self.reporters:
            rep.event(kind, service, detail)

    # --- supervision ----------------------------------------------------------------------
    def poll_children(self) -> None:
        now = time.monotonic()
        for child in self.children.values():
            if child.popen is None:
                continue
            code = child.popen.poll()
            if code is None:
                if child.state == "starting":
                    if procs.read_pidfile(self.inst, child.service.daemon) == child.pid:
                        self.mark_ready(child)
                    elif now - child.started_at > START_TIMEOUT:
                        self.log("Error", f"{child.service.name} server not ready after "
                                          f"{START_TIMEOUT:.0f}s; killing it")
                        procs.signal_pid(child.popen.pid, signal.SIGKILL)
                continue
            self.child_exited(child, code)

    def mark_ready(self, child: Child) -> None:
        child.state = "running"
        self.log("Notice", f"{child.service.name} server ready (pid {child.pid})")
        self.emit("READY", child.service.name)

    def ready_readable(self, fd: int) -> None:
        """A server wrote its readiness byte (or exited: EOF); the pipe is used once."""
        child, pid = self.ready_fds.pop(fd)
        try:
            data = os.read(fd, 16)
        except OSError:
            data = b""
        self.sel.unregister(fd)
        os.close(fd)
        if data and child.state == "starting" and child.pid == pid \
                and child.popen is not None and child.popen.poll() is None:
            self.mark_ready(child)

    def child_exited(self, child: Child, code: int) -> None:
        name = child.service.name
        pid = child.pid
        was = child.state
        child.popen = None
        if was == "stopping" or (code == 0 and was == "running"):
            child.state = "stopped"
            self.log("Notice", f"{name} server (pid {pid}) stopped")
            return
        how = f"terminated by signal {-code}" if code < 0 else f"exited with status {code}"
        self.log("Error", f"{name} server (pid {pid}) {how}")
        child.state = "stopped"
        if was == "starting":
            self.emit("FAILED", name, how)
        autorestart = self.inst.flag("local.autorestart", False)
        window = float(self.inst.port("local.autorestart.timeout", 600))
        decision = decide(child.history, time.time(), autorestart=autorestart, window=window,
                          ha=self.ha)
        if decision is Decision.IGNORE:
            self.log("Notice", f"local.autorestart is off: not restarting {name} server")
        elif decision is Decision.RESTART:
            self.restart(child)
        elif decision is Decision.GIVE_UP:
            child.state = "given_up"
            self.log("Error", f"{name} server failed more than once within {window:.0f} seconds"
                              " (local.autorestart.timeout): no longer restarting it")
        else:
            self.log("Error", f"{name} server failed more than once within {window:.0f} seconds"
                              " (local.autorestart.timeout): HA mode, shutting down Messaging"
                              " Server to trigger a failover")
            self.shutdown()
            self.exit_code = 1

    def restart(self, child: Child) -> None:
        if not child.service.store_group:
            self.log("Notice", f"restarting {child.service.name} server")
            self.request_start([child.service.name], None)
            return
        group = [s.name for s in product.SERVICES
                 if s.store_group and (self.children[s.name].state != "stopped"
                                       or s.name == child.service.name
                                       or self.children[s.name].history.times)]
        others = [self.children[n] for n in group if self.children[n].popen is not None]
        self.log("Notice", f"restarting store services: {' '.join(group)}")
        self.stop_children(others)
        self.request_start(group, None)

    def stop_children(self, children: list[Child], force: bool = False) -> list[tuple[str, int]]:
        """Stop children (reverse start order), SIGKILL after STOP_GRACE; returns (name, pid)."""
        order = [s.name for s in product.SERVICES]
        children = sorted((c for c in children if c.popen is not None),
                          key=lambda c: order.index(c.service.name), reverse=True)
        stopped = []
        for child in children:
            child.state = "stopping"
            assert child.popen is not None
            stopped.append((child.service.name, child.popen.pid))
            procs.signal_pid(child.popen.pid, signal.SIGKILL if force else signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE
        for child in children:
            assert child.popen is not None
            try:
                child.popen.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.log("Warning", f"{child.service.name} server (pid {child.popen.pid}) did "
                                    "not stop; killing it")
                procs.signal_pid(child.popen.pid, signal.SIGKILL)
                child.popen.wait(5.0)
            self.log("Notice", f"{child.service.name} server (pid {child.popen.pid}) stopped "
                               f"on request{' (SIGKILL)' if force else ''}")
            child.popen = None
            child.state = "stopped"
        self.plan = [n for n in self.plan if n not in {c.service.name for c in children}]
        return stopped

    def shutdown(self) -> None:
        self.plan = []
        self.stop_children(list(self.children.values()))
        for rep in self.reporters:
            for name in list(rep.waiting):
                rep.event("FAILED", name, "watcher shutting down")
            rep.finish_if_complete(True)

    # --- control connections ----------------------------------------------------------------
    def accept(self) -> None:
        assert self.listener is not None
        try:
            conn, _ = self.listener.accept()
        except OSError:
            return
        conn.setblocking(False)
        self.clients[conn] = bytearray()
        self.sel.register(conn, selectors.EVENT_READ, "client")

    def drop_client(self, conn: socket.socket) -> None:
        self.clients.pop(conn, None)
        try:
            self.sel.unregister(conn)
        except (KeyError, ValueError):
            pass
        conn.close()

    def client_readable(self, conn: socket.socket) -> None:
        if self.faults.stall:
            return  # a stalled watcher reads nothing and answers nothing
        try:
            data = conn.recv(4096)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self.drop_client(conn)
            return
        buf = self.clients[conn]
        buf += data
        if b"\n" in buf:
            line = bytes(buf).split(b"\n", 1)[0].decode("utf-8", "replace").split()
            self.sel.unregister(conn)
            self.clients.pop(conn, None)
            if self.faults.slow:
                time.sleep(min(self.faults.slow, 5.0))
            self.command(conn, line)

    def command(self, conn: socket.socket, words: list[str]) -> None:
        conn.setblocking(True)
        conn.settimeout(2.0)

        def write(text: str) -> None:
            try:
                conn.sendall(text.encode())
            except OSError:
                pass

        cmd = words[0].upper() if words else ""
        args = words[1:]
        if cmd == "START":
            names = [n for n in args if n in self.children]
            rep = Reporter(lambda t: self._write_and_maybe_close(conn, write, t), names)
            self.request_start(names, rep)
            return
        if cmd == "STOP":
            force = "-f" in args
            targets = [self.children[n] for n in args if n in self.children]
            for name, pid in self.stop_children(targets, force=force):
                write(f"STOPPED {name} {pid}\n")
            write("DONE 0\n")
        elif cmd == "STATUS":
            for name, child in self.children.items():
                write(f"{name} {child.state} {child.pid or '-'}\n")
            write(f"watcher {'ha' if self.ha else 'normal'} {os.getpid()}\n")
            write("DONE 0\n")
        elif cmd == "EXIT":
            self.log("Notice", "watcher exiting on request; its servers keep running")
            write(f"STOPPED watcher {os.getpid()}\n")
            write("DONE 0\n")
            self.exit_code = 0
        else:
            write("ERROR unknown command\n")
        conn.close()

    @staticmethod
    def _write_and_maybe_close(conn: socket.socket, write: Callable[[str], None],
                               text: str) -> None:
        write(text)
        if text.startswith("DONE"):
            conn.close()

    # --- main loop ------------------------------------------------------------------------
    def apply_faults(self) -> None:
        old = self.faults
        self.faults = FaultState.load(self.inst, "watcher")
        if self.listener is None:
            return
        if self.faults.refuse and not old.refuse:
            self.sel.unregister(self.listener)
            self.listener.shutdown(socket.SHUT_RD)
        elif old.refuse and not self.faults.refuse:
            self.listener.listen(128)
            self.sel.register(self.listener, selectors.EVENT_READ, "listen")
        if self.faults != old:
            self.log("Notice", f"faults now {self.faults}")
        faults.acknowledge(self.inst, "watcher")
        if self.faults.hang and self.serving:
            self.log("Warning", "fault injected: hang (stopping this process)")
            faults.hang_now()

    def loop(self) -> int:
        while self.exit_code is None:
            if "usr1" in self.flags:
                self.flags.discard("usr1")
                self.apply_faults()
            if "term" in self.flags:
                self.flags.discard("term")
                if self.faults.stop_hang:
                    self.log("Warning", "stop request ignored (fault stop-hang)")
                else:
                    self.log("Notice", "watcher stopping all servers")
                    self.shutdown()
                    self.exit_code = 0
                    break
            for key, _ in self.sel.select(timeout=0.05):
                if key.data == "listen":
                    self.accept()
                elif key.data == "ready":
                    self.ready_readable(key.fd)
                else:
                    self.client_readable(key.fileobj)  # type: ignore[arg-type]
            self.poll_children()
            self.advance_plan()
            if not self.preloaded and self.plan:
                preload_servers()  # while the store starts
                self.preloaded = True
            self.reporters = [r for r in self.reporters
                              if not r.finish_if_complete(not self.plan)]
        return self.exit_code


def pipe_writer(fd: int) -> Callable[[str], None]:
    def write(text: str) -> None:
        try:
            os.write(fd, text.encode())
        except OSError as exc:
            if exc.errno not in (errno.EPIPE, errno.EBADF):
                raise
    return write


def main(argv: list[str]) -> int:
    inst = Installation.from_argv0(argv[0])
    path = os.path.abspath(argv[0])
    set_identity([path], "watcher")
    ha = "--ha" in argv
    status_fd = int(argv[argv.index("--status-fd") + 1]) if "--status-fd" in argv else None
    services = (argv[argv.index("--services") + 1].split(",")
                if "--services" in argv else inst.enabled_services())
    services = [s for s in services if s in product.SERVICE_BY_NAME]
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    signal.signal(signal.SIGUSR1, signal.SIG_IGN)
    watcher = Watcher(inst, ha)
    watcher.status_fd = status_fd
    report = pipe_writer(status_fd) if status_fd is not None else (lambda _t: None)
    if FaultState.load(inst, "watcher").exit_on_start:
        watcher.log("Error", "exiting at start (fault exit-on-start)")
        report("FAILED watcher exit-on-start\nDONE 1\n")
        return 1
    try:
        watcher.bind()
    except OSError as exc:
        watcher.log("Error", f"cannot listen: {exc}")
        report(f"FAILED watcher {exc}\nDONE 1\n")
        return 1
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGUSR1):
        signal.signal(sig, watcher.on_signal)
    os.chdir("/")
    watcher.apply_faults()
    watcher.serving = True  # a hang recorded before it started applies from the next look
    procs.write_pidfile(inst.pidfile("watcher"), os.getpid())
    report(f"LAUNCHED watcher {os.getpid()}\n")
    watcher.request_start(services, Reporter(report, services))
    code = watcher.loop()
    if status_fd is not None:
        try:
            os.close(status_fd)
        except OSError:
            pass
    if procs.read_pidfile(inst, "watcher") == os.getpid():
        try:
            inst.pidfile("watcher").unlink()
        except OSError:
            pass
    faults.forget_acknowledgement(inst)
    watcher.log("Notice", f"watcher exiting with status {code}")
    sys.stdout.flush()
    return code
