"""What the sbin/ commands share: the installation they belong to, watcher requests, faults."""

from __future__ import annotations

import signal
import socket
import sys
import time
from collections.abc import Iterator

from mssim import faults, procs
from mssim.install import Installation


def installation() -> Installation:
    return Installation.from_argv0(sys.argv[0])


def command_fault(inst: Installation, name: str) -> int | None:
    """Injected start-msg/stop-msg faults: `fail` exits 1 now, `hang` never returns."""
    kinds = faults.read_faults(inst, name)
    if "hang" in kinds:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        while True:
            time.sleep(3600)
    if "fail" in kinds:
        print(f"{name}: failed (injected fault)", file=sys.stderr)
        return 1
    return None


def begin(name: str, argv: list[str], usage: str) -> tuple[Installation, list[str], int | None]:
    """What start-msg and stop-msg do first: find their installation, print the usage for
    -h, and obey a fault a test injected. The arguments, and an exit status to return at
    once (None: go on)."""
    inst = installation()
    args = argv[1:]
    if args[:1] in (["-h"], ["-help"], ["--help"]):
        print(usage, end="")
        return inst, args, 0
    return inst, args, command_fault(inst, name)


def split_lines(buf: bytes) -> tuple[list[str], bytes]:
    """The complete lines at the start of `buf` (decoded, without their newline) and what is
    left of a line still being written."""
    *lines, rest = buf.split(b"\n")
    return [raw.decode("utf-8", "replace") for raw in lines], rest


def watcher_request(inst: Installation, line: str, timeout: float = 60.0) -> Iterator[str]:
    """Send one command to the running watcher on its port; yield its reply lines."""
    addr = inst.listen_address()
    port = inst.port("local.watcher.port", 49994)
    with socket.create_connection((addr, port), timeout=5.0) as sock:
        sock.sendall(line.encode() + b"\n")
        sock.settimeout(timeout)
        buf = b""
        while True:
            data = sock.recv(4096)
            if not data:
                break
            lines, buf = split_lines(buf + data)
            yield from lines


def watcher_pid(inst: Installation) -> int | None:
    return procs.running_pid(inst, "watcher")
