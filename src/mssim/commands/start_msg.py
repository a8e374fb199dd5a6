"""sbin/start-msg [-h | ha | service...]: start Messaging Server, printing what it starts.

With the watcher enabled (and always with `ha`), start-msg launches the watcher, which starts
the services; start-msg prints the watcher's progress like the documented console output and
exits 0 once every requested service serves, 1 if one failed to start.

Before anything starts, start-msg checks that the runtime user can reach the server root and
the configuration directory (`mssim.access`): the servers switch to that user, and a parent
directory closed to it would kill each of them with nothing but "exited with status 1" to
show. It then names the directory and the user and exits 1, nothing started.

`start-msg ha` promises HA semantics: the watcher exits when it gives up restarting a server,
so that the cluster fails over. A watcher already running without them (started by plain
`start-msg`) would never exit, so `start-msg ha` refuses (exit 1, naming it) instead of
reusing it; likewise when servers of the installation run with no watcher at all.

A watcher runs when one answers on the watcher port (`local.watcher.port` of the listen
address), as Messaging Server's own start-msg and servers find it (each registered service
opens a connection to the watcher): STATUS says its mode and pid. A process whose command
line merely names `<B>/lib/watcher` is no watcher -- any user can run one -- and only
processes of root or of the runtime user count as servers of the installation running
without a watcher (`procs.programs`).
"""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
import traceback

from mssim import access, mailstore, node, procs, product
from mssim.commands.common import begin, split_lines, watcher_pid, watcher_request
from mssim.install import Installation

USAGE = """Usage: ./start-msg [COMPONENTS...]
         Start all or some Messaging Server components.
Usage: ./start-msg ha
         Start all Messaging Server components in HA mode.
"""
START_WAIT = 60.0


def resolve(inst: Installation, components: list[str]) -> list[str] | None:
    """Component names → enabled service names in start order; None on an unknown name."""
    if not components:
        return inst.enabled_services()
    wanted: list[str] = []
    for comp in components:
        if comp == "watcher":
            continue
        if comp in product.ABSENT_COMPONENTS:
            print(f"{comp} is not enabled")
            continue
        if comp not in product.COMPONENT_ALIASES:
            return None
        for svc in product.COMPONENT_ALIASES[comp]:
            if not inst.service_enabled(svc):
                print(f"{svc} is not enabled")
            elif svc not in wanted:
                wanted.append(svc)
    order = [s.name for s in product.SERVICES]
    return sorted(wanted, key=order.index)


class Console:
    """Turns watcher progress lines into the documented console lines."""

    def __init__(self) -> None:
        self.failed: list[str] = []
        self.done = False

    def line(self, text: str) -> None:
        words = text.split(" ", 2)
        kind = words[0]
        if kind == "LAUNCHED" and len(words) >= 3 and words[1] != "watcher":
            print(f"Starting {words[1]} server .... {words[2]}", flush=True)
        elif kind == "READY" and len(words) >= 2 and words[1] == "store":
            print("checking store server status ... ready", flush=True)
        elif kind == "FAILED" and len(words) >= 2:
            reason = words[2] if len(words) > 2 else ""
            print(f"Failed to start {words[1]} server{(': ' + reason) if reason else ''}",
                  flush=True)
            self.failed.append(words[1])
        elif kind == "DONE":
            self.done = True
            if len(words) > 1 and words[1] != "0" and not self.failed:
                self.failed.append("?")


def fork_watcher(inst: Installation, services: list[str], ha: bool, status_fd: int) -> int:
    """Start B/lib/watcher as a fork of this process; returns its pid.

    Forking instead of exec'ing lib/watcher spares a second interpreter start and the modules
    start-msg has already imported (a tenth of a second of CPU). The child detaches exactly as
    an exec'd daemon would (new session, stdin from /dev/null, output to its log, no other
    inherited descriptor) and takes the watcher's identity before anything else.
    """
    argv = [inst.daemon_path("watcher"), "--status-fd", str(status_fd), "--services",
            ",".join(services), *(["--ha"] if ha else [])]
    inst.log.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid:
        return pid
    code = 1
    try:
        procs.set_identity([argv[0]], "watcher")
        os.setsid()
        null = os.open(os.devnull, os.O_RDONLY)
        log = os.open(inst.log / "watcher.stderr", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(null, 0)
        os.dup2(log, 1)
        os.dup2(log, 2)
        for fd in map(int, os.listdir("/proc/self/fd")):
            if fd > 2 and fd != status_fd:
                try:
                    os.close(fd)
                except OSError:
                    pass
        os.chdir("/")
        sys.argv = argv
        from mssim.daemons import watcher  # noqa: PLC0415 - only the watcher needs it

        code = watcher.main(argv)
    except BaseException:
        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def launch_watcher(inst: Installation, services: list[str], ha: bool) -> int:
    rfd, wfd = os.pipe()
    try:
        pid = fork_watcher(inst, services, ha, wfd)
    finally:
        os.close(wfd)
    print(f"Launching watcher ... {pid}", flush=True)
    console = Console()
    buf = b""
    deadline = time.monotonic() + START_WAIT
    with os.fdopen(rfd, "rb", buffering=0) as pipe:
        while not console.done and time.monotonic() < deadline:
            ready, _, _ = select.select([pipe], [], [], 0.5)
            if not ready:
                continue
            data = pipe.read(4096)
            if not data:
                break
            lines, buf = split_lines(buf + data)
            for line in lines:
                console.line(line)
    if not console.done:
        print("watcher did not report a complete start", flush=True)
        return 1
    return 1 if console.failed else 0


def answering_watcher(inst: Installation) -> tuple[str, int] | None:
    """(`ha` or `normal`, pid) of the watcher that answers STATUS on the watcher port; None
    when none answers: then no watcher runs, whatever the process table's command lines say."""
    try:
        for line in watcher_request(inst, "STATUS", 10.0):
            words = line.split()
            if len(words) == 3 and words[0] == "watcher" and words[2].isdigit():
                return words[1], int(words[2])
    except OSError:
        return None
    return None


def ha_refusal(inst: Installation, watcher: tuple[str, int] | None,
               running: dict[int, str]) -> str | None:
    """Why `start-msg ha` cannot give HA semantics here, or None when it can.

    `watcher`: the watcher answering on its port (mode, pid); `running`: the installation's
    processes (pid → program: root's and the runtime user's, `procs.programs`).
    """
    again = "then run start-msg ha again."
    if watcher:
        mode, wpid = watcher
        if mode == "ha":
            return None
        return (f"start-msg ha: a watcher not in HA mode is already running (pid {wpid}, "
                "started by start-msg without ha). It would not exit when it gives up "
                "restarting a server, so the cluster could never fail over. Stop Messaging "
                f"Server with stop-msg, {again}")
    others = sorted(pid for pid, name in running.items() if name != "watcher")
    if others:
        return ("start-msg ha: Messaging Server processes of this installation run without a "
                f"watcher (pids {' '.join(map(str, others))}). In HA mode every server runs "
                f"under the watcher. Stop them with stop-msg ha, {again}")
    return None


def via_running_watcher(inst: Installation, services: list[str]) -> int:
    console = Console()
    try:
        for line in watcher_request(inst, "START " + " ".join(services), START_WAIT):
            console.line(line)
            if console.done:
                break
    except OSError as exc:
        print(f"Cannot connect to watcher: {exc}", flush=True)
        return 1
    return 1 if (console.failed or not console.done) else 0


def start_directly(inst: Installation, services: list[str]) -> int:
    """local.watcher.enable = no: start each service detached, in order, no supervision."""
    status = 0
    for name in services:
        svc = product.SERVICE_BY_NAME[name]
        if procs.running_pid(inst, svc.daemon):
            continue
        try:
            inst.pidfile(svc.daemon).unlink()
        except FileNotFoundError:
            pass
        rfd, wfd = os.pipe()
        try:
            child = procs.spawn_daemon(inst, svc.daemon, new_session=True, ready_fd=wfd)
        finally:
            os.close(wfd)
        print(f"Starting {name} server .... {child.pid}", flush=True)
        deadline = time.monotonic() + START_WAIT
        if not wait_ready(child, rfd, deadline):
            print(f"Failed to start {name} server: "
                  + (f"exited with status {child.returncode}" if child.returncode is not None
                     else f"not ready after {START_WAIT:.0f}s"), flush=True)
            status = 1
        elif name == "store":
            print("checking store server status ... ready", flush=True)
        child.returncode = child.returncode if child.returncode is not None else 0
    return status


def wait_ready(child: subprocess.Popen[bytes], rfd: int, deadline: float) -> bool:
    """True once the daemon wrote its readiness byte (right after its pid file); False if it
    exited first or the deadline passed. Closes rfd."""
    with os.fdopen(rfd, "rb", buffering=0) as pipe:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([pipe], [], [], 0.5)
            if ready and pipe.read(1):
                return child.poll() is None
            if child.poll() is not None:
                return False
            if ready:  # EOF without the byte: the daemon is exiting
                try:
                    child.wait(max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    pass
    return False


def unreachable(inst: Installation) -> str | None:
    """Why the runtime user cannot reach the installation, or None when it can."""
    root = node.node_root(str(inst.lib / "x"))
    try:
        uid, gid = node.runtime_ids(root, inst.user, inst.group)
    except LookupError:
        return None  # each server says so itself when it switches user
    for what, path in (("server root", inst.base), ("configuration directory", inst.config)):
        closed = access.first_closed(path, uid, {gid})
        if closed is not None:
            return (f"start-msg: the runtime user {inst.user} (uid {uid}, gid {gid}) cannot "
                    f"reach the {what} {os.path.realpath(path)}: {closed.describe()} does not "
                    f"let it search. Give {inst.user} search permission there (for example "
                    "chmod o+x), then run start-msg again.")
    return None


def main(argv: list[str]) -> int:
    inst, args, done = begin("start-msg", argv, USAGE)
    if done is not None:
        return done
    if not inst.is_configured():
        print(f"start-msg: {inst.config}/msg.conf not found: Messaging Server is not configured",
              file=sys.stderr)
        return 1
    closed = unreachable(inst)
    if closed:
        print(closed, file=sys.stderr, flush=True)
        return 1
    ha = "ha" in args
    if ha and args != ["ha"]:
        print(USAGE, end="", file=sys.stderr)
        return 1
    services = resolve(inst, [] if ha else args)
    if services is None:
        print(USAGE, end="", file=sys.stderr)
        return 1
    inst.run.mkdir(parents=True, exist_ok=True)
    if not (ha or inst.flag("local.watcher.enable", True)):
        if not watcher_pid(inst):
            forget_ha(inst)
        return start_directly(inst, services)
    print("Connecting to watcher ...", flush=True)
    watcher = answering_watcher(inst)
    if ha:
        refusal = ha_refusal(inst, watcher, {} if watcher else procs.programs(inst))
        if refusal:
            print(refusal, file=sys.stderr, flush=True)
            return 1
        inst.ha_marker.write_text(f"{os.getpid()}\n", encoding="ascii")
    elif not watcher:
        forget_ha(inst)  # the watcher about to start is not in HA mode
    if watcher:
        return via_running_watcher(inst, services)
    if not procs.programs(inst):
        # nothing of Messaging Server runs: what a killed writer left is no message
        mailstore.sweep_temporaries(inst.queue, inst.store)
    return launch_watcher(inst, services, ha)


def forget_ha(inst: Installation) -> None:
    try:
        inst.ha_marker.unlink()
    except FileNotFoundError:
        pass
