"""The node agent: runs callback methods on one node the way the RGM does.

rgmd asks it (JSON lines over `layout.node_socket(node)`) to run a method; it spawns the
method as its own child with the exact argv, a clean environment (docs/internals.md §4: PATH with
/usr/cluster/bin, LANG=C, TZ; the node is a host of its own, so every path is the real
one), cwd `/`, stdin from /dev/null and
stdout/stderr to the node's console file, in a new process group, and kills that group when
the method's timeout expires (SIGABRT as Sun Cluster 3.2 does, SIGKILL if it lingers).
It is a child subreaper, so a method's orphans stay inside the node (and are reaped here),
and a node panic that kills the agent's tree kills every method with it.

Protocol: request `{"op": "run", "argv": [...], "timeout": s}` -> `{"outcome": "ok" |
"failed" | "timeout", "code": n, "duration": s, "pid": the method's pid}`;
`{"op": "ping"}` -> `{"ok": true}`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import signal
import socketserver
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from clustersim import procs
from clustersim.layout import ClusterLayout

KILL_GRACE = 2.0


def method_env(root: Path) -> dict[str, str]:
    """The whole environment of a method: nothing is inherited from whoever asked."""
    del root  # the node's own paths are the real ones
    return {
        "PATH": "/usr/cluster/bin:/usr/bin:/bin",
        "LANG": "C",
        "TZ": os.environ.get("TZ") or "UTC",
    }


class NodeAgent:
    def __init__(self, layout: ClusterLayout, node: str) -> None:
        self.layout = layout
        self.node = node
        self.root = layout.node_root(node)
        self.lock = threading.Lock()
        self.running: dict[int, subprocess.Popen[bytes]] = {}

    def run(self, argv: list[str], timeout: float) -> dict[str, Any]:
        console = self.layout.node_console(self.node)
        console.parent.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        # Registered under the lock it is started in: the orphan reaper never takes a
        # method that exits at once for an orphan.
        with open(console, "ab") as out, self.lock:
            try:
                proc = subprocess.Popen(argv, cwd="/", env=method_env(self.root),
                                        stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                        process_group=0, close_fds=True)
            except OSError as exc:
                out.write(f"{argv[0]}: cannot execute: {exc}\n".encode())
                return {"outcome": "failed", "code": 126, "duration": 0.0}
            self.running[proc.pid] = proc
        try:
            code = procs.wait_child(proc, timeout)  # seen the moment it exits
            if code is None:
                self.kill_group(proc)
                outcome = "timeout"
            else:
                outcome = "ok" if code == 0 else "failed"
        finally:
            with self.lock:
                self.running.pop(proc.pid, None)
        return {"outcome": outcome, "code": code, "duration": time.monotonic() - started,
                "pid": proc.pid}

    @staticmethod
    def kill_group(proc: subprocess.Popen[bytes]) -> None:
        """SIGABRT to the method's process group, then SIGKILL to whatever is left."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGABRT)
        procs.wait_child(proc, KILL_GRACE)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        procs.wait_child(proc, KILL_GRACE)

    def reap_orphans(self, stop: threading.Event) -> None:
        """Reap adopted orphans (we are their subreaper) but never a method we wait for."""
        me = os.getpid()
        while not stop.wait(0.5):
            table = procs.process_table()
            with self.lock:
                mine = set(self.running)
            for pid, (ppid, state, _start) in table.items():
                if ppid == me and state in ("Z", "X") and pid not in mine:
                    procs.reap_pid(pid)

    def shutdown(self) -> None:
        with self.lock:
            running = list(self.running.values())
        for proc in running:
            self.kill_group(proc)


def start_membership(layout: ClusterLayout, node: str) -> None:
    """The node's share of cluster membership (clustersim.membership): heartbeats, and a
    dead peer reported to the RGM once this side holds quorum."""
    from clustersim import client, hosts, membership  # noqa: PLC0415
    from clustersim.config import ClusterConfig  # noqa: PLC0415
    from clustersim.syslog_client import log_to_node  # noqa: PLC0415

    cfg = ClusterConfig.load(layout)
    peers = {n: hosts.node_address(cfg, n) for n in cfg.nodes if n != node}

    def tell_rgm(peer: str) -> None:
        def send() -> None:
            with contextlib.suppress(client.Unreachable, OSError, ValueError):
                client.request(layout.rgmd_socket, {"op": "node_down", "args": {"node": peer}})
        threading.Thread(target=send, daemon=True).start()

    def log(level: str, text: str) -> None:
        with contextlib.suppress(OSError):
            log_to_node(layout, node, "Cluster.CMM", level, text)

    membership.Monitor(layout.base, node, peers, hosts.node_address(cfg, node),
                       declare_dead=tell_rgm, panic=membership.power_off_self,
                       log=log).start()


def serve(layout: ClusterLayout, node: str) -> int:
    procs.set_child_subreaper()
    # Methods killed with SIGABRT would dump core into their cwd, "/": no core files.
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    agent = NodeAgent(layout, node)
    sock = layout.node_socket(node)
    layout.run_dir.mkdir(parents=True, exist_ok=True)
    sock.unlink(missing_ok=True)

    class Handler(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            for line in self.rfile:
                try:
                    req = json.loads(line)
                    if req.get("op") == "run":
                        reply = agent.run(list(req["argv"]), float(req["timeout"]))
                    elif req.get("op") == "ping":
                        reply = {"ok": True, "node": node, "pid": os.getpid()}
                    else:
                        reply = {"error": f"unknown op {req.get('op')!r}"}
                except (ValueError, KeyError, TypeError) as exc:
                    reply = {"error": str(exc)}
                try:
                    self.wfile.write((json.dumps(reply) + "\n").encode())
                    self.wfile.flush()
                except OSError:
                    return

    class Server(socketserver.ThreadingUnixStreamServer):
        daemon_threads = True

    server = Server(str(sock), Handler)
    stop = threading.Event()
    reaper = threading.Thread(target=agent.reap_orphans, args=(stop,), daemon=True)
    reaper.start()
    start_membership(layout, node)

    def on_term(_sig: int, _frame: object) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    layout.node_pidfile(node).write_text(f"{os.getpid()}\n")
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        stop.set()
        agent.shutdown()
        server.server_close()
        sock.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            if layout.node_pidfile(node).read_text().strip() == str(os.getpid()):
                layout.node_pidfile(node).unlink()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="clustersim.noded")
    parser.add_argument("--cluster", required=True)
    parser.add_argument("--node", required=True)
    ns = parser.parse_args(argv)
    return serve(ClusterLayout.at(ns.cluster), ns.node)


if __name__ == "__main__":
    sys.exit(main())
