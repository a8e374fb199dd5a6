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
            buf += data
            while b"\n" in buf:
                raw, buf = buf.split(b"\n", 1)
                yield raw.decode("utf-8", "replace")


def watcher_pid(inst: Installation) -> int | None:
    return procs.running_pid(inst, "watcher")
