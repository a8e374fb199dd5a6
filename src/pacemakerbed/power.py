"""The bed's power switch: the other end of fence_hostlab.

A thread in the process that owns the lab serves a Unix socket whose directory every node
has bind-mounted at /var/lib/fence-hostlab; a request is one line (`off <node>`,
`status <node>`, `list`), the reply one line. Pulling a plug goes through the lab, under one
lock with every other power change of the bed, and is recorded, so a test can tell that a
node was fenced rather than only killed.
"""

from __future__ import annotations

import socketserver
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from hostlab import HostlabError, Lab

SOCKET_NAME = "power.sock"
NODE_DIRECTORY = "/var/lib/fence-hostlab"


@dataclass(frozen=True)
class PowerEvent:
    node: str
    action: str
    at: float
    """time.monotonic() of the action."""


class PowerSwitch:
    """Serves the fence agent's requests for the hosts of `lab` named in `nodes`."""

    def __init__(self, lab: Lab, nodes: list[str], directory: Path,
                 lock: threading.Lock) -> None:
        self.lab = lab
        self.nodes = list(nodes)
        self.directory = directory
        self.lock = lock
        self.events: list[PowerEvent] = []
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.path = directory / SOCKET_NAME
        if self.path.exists():
            self.path.unlink()
        switch = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                line = self.rfile.readline(200).decode(errors="replace").split()
                reply = switch.answer(line)
                self.wfile.write(reply.encode() + b"\n")

        self.server = socketserver.ThreadingUnixStreamServer(str(self.path), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, name="power-switch",
                                       daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)

    def answer(self, words: list[str]) -> str:
        if words == ["list"]:
            return " ".join(self.nodes)
        if len(words) != 2 or words[1] not in self.nodes:
            return "error: expected off|status <node>"
        action, node = words
        if action == "status":
            return "on" if self.lab.hosts[node].is_powered else "off"
        if action == "off":
            try:
                self.power_off(node, "fence")
            except HostlabError as exc:  # not cut off: the fence failed, and says why
                return f"error: {exc}"
            return "ok"
        return f"error: {action} is not supported"

    def power_off(self, node: str, why: str, notify: Callable[[str], None] | None = None
                  ) -> None:
        """Pull the plug of `node` (a no-op when it is off already): hostlab's power cut,
        so every process of the machine in the node's namespaces dies with it (a frozen
        node's nsenter wrappers too) and this returns once the shared disk it had mounted
        is released. Raises HostlabError when it is not (the fence then fails)."""
        with self.lock:
            host = self.lab.hosts[node]
            if host.is_powered:
                host.power_off()
            self.events.append(PowerEvent(node, why, time.monotonic()))

    def fenced(self, node: str) -> bool:
        return any(e.node == node and e.action == "fence" for e in self.events)
