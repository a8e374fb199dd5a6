"""rgmd: the cluster's resource group manager daemon (the "president").

One per cluster. It owns the `Rgm` state machine and feeds it one request at a time from a
single worker thread: admin commands (scrgadm, scswitch, the object CLI), scha_control
requests and membership events all queue up there, so state changes are serialised and the
RGM never runs two methods of one resource at once; methods run on the nodes through their
node agents, in parallel only where the RGM does that (Validate on all Init_nodes). A
node's death is not seen here: the surviving nodes' membership monitors tell (by silence
and quorum, clustersim.membership), with a `node_down` request.

Protocol (JSON lines on `layout.rgmd_socket`): `{"op": "<Rgm method>", "args": {...}}` ->
`{"ok": true, "result": ...}` or `{"ok": false, "err": "<scha_err name>", "message": "..."}`;
`{"op": "ping"}`; `{"op": "shutdown"}`. Replies come after the request has completed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import queue
import signal
import socketserver
import sys
import threading
import traceback
from typing import Any

from clustersim import client, daemons, devices, procs
from clustersim import node as nodelife
from clustersim.errors import ClusterError
from clustersim.layout import ClusterLayout
from clustersim.rgm import RGMD_TAG, MethodResult, Rgm
from clustersim.store import Store

OPS = {"register_type", "change_type", "unregister_type", "create_rg", "change_rg",
       "remove_rg", "create_rs", "create_lh", "change_rs", "remove_rs", "bring_online",
       "take_offline", "switch", "restart", "evacuate", "enable", "disable", "clear",
       "manage", "unmanage", "scha_control", "node_up", "node_down", "register_builtin"}


class NodeRunner:
    """Runs a method through the node agent; a broken connection means the node died."""

    def __init__(self, layout: ClusterLayout, store: Store) -> None:
        self.layout = layout
        self.store = store

    def run(self, node: str, argv: list[str], timeout: float) -> MethodResult:
        if self.store.node_state(node) != "UP":
            return MethodResult("nodedown")
        try:
            reply = client.request(self.layout.node_socket(node),
                                   {"op": "run", "argv": argv, "timeout": timeout},
                                   timeout=timeout + 60)
        except (client.Unreachable, OSError, ValueError):
            return MethodResult("nodedown")
        if "error" in reply:
            return MethodResult("failed", 127)
        return MethodResult(reply["outcome"], reply.get("code"), float(reply.get("duration", 0)),
                            reply.get("pid"))


class Rgmd:
    def __init__(self, layout: ClusterLayout) -> None:
        self.layout = layout
        self.store = Store(layout.state_db)
        self.rgm = Rgm(layout, self.store, NodeRunner(layout, self.store), log=self._log,
                       abort_node=self._abort_node)
        self.jobs: queue.Queue[tuple[str, dict[str, Any], queue.Queue[dict[str, Any]]] | None]
        self.jobs = queue.Queue()
        self.stop = threading.Event()
        self.pending_down: set[str] = set()

    def _log(self, node: str, level: str, fmt: str, args: tuple[Any, ...]) -> None:
        from clustersim.syslog_client import log_to_node  # noqa: PLC0415

        up = self.store.up_nodes()
        target = node if node in up else (up[0] if up else node)
        text = fmt % args if args else fmt
        log_to_node(self.layout, target, RGMD_TAG, level, text, msgid_format=fmt)

    def _abort_node(self, node: str) -> None:
        nodelife.panic(self.layout, node)

    # --- the worker: one request at a time ---------------------------------------------
    def work(self) -> None:
        while True:
            job = self.jobs.get()
            if job is None:
                return
            op, args, reply = job
            try:
                if op == "register_builtin":
                    result = self._register_builtin()
                else:
                    result = getattr(self.rgm, op)(**args)
                reply.put({"ok": True, "result": result})
            except ClusterError as exc:
                reply.put({"ok": False, "err": exc.err, "message": str(exc)})
            except Exception as exc:
                traceback.print_exc()
                reply.put({"ok": False, "err": "INTERNAL", "message": f"internal error: {exc}"})
            finally:
                if op == "node_down":
                    self.pending_down.discard(args.get("node", ""))

    def _register_builtin(self) -> list[str]:
        from clustersim.builtin import RTR_DIR  # noqa: PLC0415

        done = []
        if self.store.resolve_rt("SUNW.LogicalHostname") is None:
            node = self.rgm.config.nodes[0]
            done.append(self.rgm.register_type(node, None, str(RTR_DIR / "SUNW.LogicalHostname")))
        return done

    def device_request(self, op: str, args: dict[str, Any]) -> dict[str, Any]:
        """The device service answers at once, beside the RGM's queue (see devices)."""
        try:
            return {"ok": True, "result": devices.serve(self.layout, op, args)}
        except ClusterError as exc:
            return {"ok": False, "err": exc.err, "message": str(exc)}
        except Exception as exc:
            traceback.print_exc()
            return {"ok": False, "err": "INTERNAL", "message": f"internal error: {exc}"}

    def submit(self, op: str, args: dict[str, Any]) -> dict[str, Any]:
        reply: queue.Queue[dict[str, Any]] = queue.Queue()
        self.jobs.put((op, args, reply))
        return reply.get()

    # --- the socket ---------------------------------------------------------------------
    def serve(self) -> int:
        sock = self.layout.rgmd_socket
        self.layout.run_dir.mkdir(parents=True, exist_ok=True)
        sock.unlink(missing_ok=True)
        daemon = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                line = self.rfile.readline()
                try:
                    req = json.loads(line)
                    op = req.get("op")
                    if op == "ping":
                        reply: dict[str, Any] = {"ok": True, "pid": os.getpid()}
                    elif op == "shutdown":
                        reply = {"ok": True}
                        threading.Thread(target=server.shutdown, daemon=True).start()
                    elif op in OPS:
                        reply = daemon.submit(op, dict(req.get("args") or {}))
                    elif op in devices.OPS:
                        reply = daemon.device_request(op, dict(req.get("args") or {}))
                    else:
                        reply = {"ok": False, "err": "INVAL", "message": f"unknown op {op!r}"}
                except (ValueError, TypeError) as exc:
                    reply = {"ok": False, "err": "INVAL", "message": str(exc)}
                with contextlib.suppress(OSError):
                    self.wfile.write((json.dumps(reply) + "\n").encode())

        class Server(socketserver.ThreadingUnixStreamServer):
            daemon_threads = True

        server = Server(str(sock), Handler)
        worker = threading.Thread(target=self.work, daemon=True)
        worker.start()

        def on_term(_sig: int, _frame: object) -> None:
            threading.Thread(target=server.shutdown, daemon=True).start()

        signal.signal(signal.SIGTERM, on_term)
        self.layout.rgmd_pidfile.write_text(f"{os.getpid()}\n")
        try:
            server.serve_forever(poll_interval=0.2)
        finally:
            self.stop.set()
            self.jobs.put(None)
            server.server_close()
            sock.unlink(missing_ok=True)
            with contextlib.suppress(OSError):
                self.layout.rgmd_pidfile.unlink()
        return 0


def rgmd_pid(layout: ClusterLayout) -> int | None:
    try:
        pid = int(layout.rgmd_pidfile.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return pid if procs.is_alive(pid) else None


def start_rgmd(layout: ClusterLayout, timeout: float = 30.0) -> int:
    pid = rgmd_pid(layout)
    if pid is not None:
        return pid
    layout.run_dir.mkdir(parents=True, exist_ok=True)
    return daemons.start(
        [sys.executable, "-m", "clustersim.rgmd", "--cluster", str(layout.base)],
        layout.rgmd_logfile, "rgmd", lambda _pid: client.answers(layout.rgmd_socket),
        timeout=timeout, cwd="/").pid


def stop_rgmd(layout: ClusterLayout, timeout: float = 20.0) -> None:
    pid = rgmd_pid(layout)
    if pid is None:
        return
    with contextlib.suppress(client.Unreachable, OSError, ValueError):
        client.request(layout.rgmd_socket, {"op": "shutdown"}, timeout=5)
    if not procs.wait_gone([pid], timeout):
        procs.kill_tree(pid)
        procs.wait_gone([pid], 5)
    procs.reap_pid(pid)


def call(layout: ClusterLayout, op: str, **args: Any) -> Any:
    """Send one request to rgmd and wait for it to complete; a refusal raises ClusterError."""
    return client.call_rgmd(layout, op, **args)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="clustersim.rgmd")
    parser.add_argument("--cluster", required=True)
    ns = parser.parse_args(argv)
    return Rgmd(ClusterLayout.at(ns.cluster)).serve()


if __name__ == "__main__":
    sys.exit(main())

