"""sbin/start-msg [-h | ha | service...]: start Messaging Server, printing what it starts.

With the watcher enabled (and always with `ha`), start-msg launches the watcher, which starts
the services; start-msg prints the watcher's progress like the documented console output and
exits 0 once every requested service serves, 1 if one failed to start.
"""

from __future__ import annotations

import os
import select
import sys
import time

from mssim import procs, product
from mssim.commands.common import command_fault, installation, watcher_pid, watcher_request
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


def launch_watcher(inst: Installation, services: list[str], ha: bool) -> int:
    rfd, wfd = os.pipe()
    args = ["--status-fd", str(wfd), "--services", ",".join(services)]
    if ha:
        args.insert(0, "--ha")
    try:
        child = procs.spawn_daemon(inst, "watcher", args, new_session=True, pass_fds=(wfd,))
    finally:
        os.close(wfd)
    print(f"Launching watcher ... {child.pid}", flush=True)
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
            buf += data
            while b"\n" in buf:
                raw, buf = buf.split(b"\n", 1)
                console.line(raw.decode("utf-8", "replace"))
    child.returncode = 0  # never waited for: it lives on after start-msg (silences Popen.__del__)
    if not console.done:
        print("watcher did not report a complete start", flush=True)
        return 1
    return 1 if console.failed else 0


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
        child = procs.spawn_daemon(inst, svc.daemon, new_session=True)
        print(f"Starting {name} server .... {child.pid}", flush=True)
        deadline = time.monotonic() + START_WAIT
        while time.monotonic() < deadline:
            if child.poll() is not None:
                print(f"Failed to start {name} server: exited with status {child.returncode}")
                status = 1
                break
            if procs.read_pidfile(inst, svc.daemon) == child.pid:
                if name == "store":
                    print("checking store server status ... ready", flush=True)
                break
            time.sleep(0.02)
        child.returncode = child.returncode if child.returncode is not None else 0
    return status


def main(argv: list[str]) -> int:
    inst = installation()
    args = argv[1:]
    if args[:1] in (["-h"], ["-help"], ["--help"]):
        print(USAGE, end="")
        return 0
    injected = command_fault(inst, "start-msg")
    if injected is not None:
        return injected
    if not inst.is_configured():
        print(f"start-msg: {inst.config}/msg.conf not found: Messaging Server is not configured",
              file=sys.stderr)
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
    if ha:
        inst.ha_marker.write_text(f"{os.getpid()}\n", encoding="ascii")
    elif not args:
        try:
            inst.ha_marker.unlink()
        except FileNotFoundError:
            pass
    if not (ha or inst.flag("local.watcher.enable", True)):
        return start_directly(inst, services)
    print("Connecting to watcher ...", flush=True)
    if watcher_pid(inst):
        return via_running_watcher(inst, services)
    return launch_watcher(inst, services, ha)
