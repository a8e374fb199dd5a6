"""Cluster membership (Sun Cluster's CMM): heartbeats over the segment, quorum, self-panic.

Every node's agent sends a heartbeat datagram to every other node each `heartbeat_quantum`
and notes when it last heard each one. A node not heard for `heartbeat_timeout` is
suspected; before it is declared dead the suspecting side must hold quorum: more than half
of all votes, one per node plus, in a two-node cluster, the quorum device's. The quorum
device is a quorum server (Sun Cluster 3.2's scqsd) on the client host: the first side to
reach it preempts the other side's registration and wins its vote; a side that cannot reach
it, or finds itself preempted, has no quorum and panics (powers its own host off), so two
partitions never both run the groups. The winner tells the RGM the node is gone.

Sun Cluster 3.2 defaults: heartbeat_quantum 1000 ms, heartbeat_timeout 10000 ms, set with
`cluster set -p heartbeat_timeout=...` (milliseconds), kept in `<cluster>/cmm.json`.

The pure decisions (who is suspected, whether a side has quorum) are functions of their
inputs; the effects (sockets, the quorum server, the panic) are in the classes below them.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

HEARTBEAT_PORT = 7331
QUORUM_PORT = 9000
QUORUM_SERVER = "198.18.0.200"
DEFAULTS = {"heartbeat_quantum": 1000, "heartbeat_timeout": 10000}
LIMITS = {"heartbeat_quantum": (100, 10000), "heartbeat_timeout": (2500, 60000)}
QUORUM_REPLY_TIMEOUT = 1.0


# --- settings ----------------------------------------------------------------------------


def settings_file(cluster: Path) -> Path:
    return cluster / "cmm.json"


def settings(cluster: Path) -> dict[str, int]:
    """heartbeat_quantum and heartbeat_timeout in milliseconds."""
    values = dict(DEFAULTS)
    with contextlib.suppress(OSError, ValueError):
        values.update({k: int(v) for k, v in json.loads(settings_file(cluster).read_text())
                       .items() if k in DEFAULTS})
    return values


def change_settings(cluster: Path, changes: dict[str, str]) -> dict[str, int]:
    """`cluster set -p name=value`: checked against Sun Cluster's limits; returns all."""
    values = settings(cluster)
    for name, raw in changes.items():
        key = name.lower()
        if key not in DEFAULTS:
            raise ValueError(f"unknown cluster property {name}")
        try:
            value = int(raw)
        except ValueError as exc:
            raise ValueError(f"{name}={raw}: not a number of milliseconds") from exc
        low, high = LIMITS[key]
        if not low <= value <= high:
            raise ValueError(f"{name}={value}: must be between {low} and {high} ms")
        values[key] = value
    if values["heartbeat_timeout"] < 2 * values["heartbeat_quantum"]:
        raise ValueError("heartbeat_timeout must be at least twice heartbeat_quantum")
    tmp = settings_file(cluster).with_suffix(".tmp")
    tmp.write_text(json.dumps(values) + "\n")
    os.replace(tmp, settings_file(cluster))
    return values


# --- the pure decisions ------------------------------------------------------------------


@dataclass(frozen=True)
class Votes:
    possible: int
    needed: int
    present: int

    @property
    def has_quorum(self) -> bool:
        return self.present >= self.needed


def has_quorum_device(nodes: int) -> bool:
    """Sun Cluster requires a quorum device in a two-node cluster."""
    return nodes == 2


def votes(nodes: int, reachable_nodes: int, device_vote: bool) -> Votes:
    """Votes of one side: its reachable nodes (itself included) and the device if won."""
    possible = nodes + (1 if has_quorum_device(nodes) else 0)
    present = reachable_nodes + (1 if device_vote and has_quorum_device(nodes) else 0)
    return Votes(possible, possible // 2 + 1, present)


def suspects(last_heard: dict[str, float], now: float, timeout: float) -> list[str]:
    """Peers silent for longer than `timeout` seconds."""
    return sorted(peer for peer, heard in last_heard.items() if now - heard > timeout)


# --- the quorum server (on the client host) ---------------------------------------------


class QuorumServer:
    """Registration keys of a cluster's nodes; PREEMPT removes another's key, and only a
    registered node may preempt (as with SCSI-3 persistent reservations)."""

    def __init__(self, nodes: Iterable[str]) -> None:
        self.keys = set(nodes)
        self.lock = threading.Lock()

    def answer(self, request: str) -> str:
        words = request.split()
        with self.lock:
            if len(words) == 2 and words[0] == "REGISTER":
                self.keys.add(words[1])
                return "OK"
            if len(words) == 3 and words[0] == "PREEMPT":
                if words[1] not in self.keys:
                    return "DENIED"
                self.keys.discard(words[2])
                return "OK"
            if words == ["KEYS"]:
                return "KEYS " + " ".join(sorted(self.keys))
        return "ERROR"

    def serve(self, address: str, port: int = QUORUM_PORT) -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind((address, port))
            while True:
                data, peer = sock.recvfrom(512)
                sock.sendto(self.answer(data.decode(errors="replace")).encode(), peer)


def on_segment(sock: socket.socket, address: str, port: int) -> bool:
    """Would a datagram to `address` leave from an address of the cluster's segment? (A UDP
    connect sends nothing.) From the machine's own network namespace it would not: there
    198.18.0.0/24 is not a local network, and nothing may be sent its way."""
    try:
        sock.connect((address, port))
    except OSError:
        return False
    return sock.getsockname()[0].startswith("198.18.0.")


def ask_quorum_server(request: str, server: str = QUORUM_SERVER,
                      timeout: float = QUORUM_REPLY_TIMEOUT) -> str | None:
    """One request to the quorum server (from a host on the segment); None if it cannot be
    reached."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        if not on_segment(sock, server, QUORUM_PORT):
            return None
        try:
            sock.send(request.encode())
            return sock.recvfrom(512)[0].decode(errors="replace")
        except OSError:
            return None


# --- the node's membership monitor -------------------------------------------------------


class Monitor:
    """Runs in the node agent: heartbeats out, heartbeats in, decisions every quantum.

    `declare_dead(peer)` tells the RGM; `panic()` powers this node off.
    """

    def __init__(self, cluster: Path, node: str, peers: dict[str, str], address: str,  # noqa: PLR0917
                 declare_dead: Callable[[str], None], panic: Callable[[], None],
                 log: Callable[[str, str], None]) -> None:
        self.cluster = cluster
        self.node = node
        self.peers = peers
        self.address = address
        self.declare_dead = declare_dead
        self.panic = panic
        self.log = log
        started = time.monotonic()
        self.last_heard = dict.fromkeys(peers, started)
        self.gone: set[str] = set()
        self.stop = threading.Event()

    def start(self) -> None:
        ask_quorum_server(f"REGISTER {self.node}")
        for target in (self._send, self._receive, self._decide):
            threading.Thread(target=target, daemon=True, name=target.__name__).start()

    def _quantum(self) -> float:
        return settings(self.cluster)["heartbeat_quantum"] / 1000

    def _send(self) -> None:
        while not self.stop.wait(self._quantum()):
            for address in self.peers.values():
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock, \
                        contextlib.suppress(OSError):  # no carrier: nobody hears us
                    if on_segment(sock, address, HEARTBEAT_PORT):
                        sock.send(f"HB {self.node}".encode())

    def _receive(self) -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.address, HEARTBEAT_PORT))
            sock.settimeout(0.5)
            while not self.stop.is_set():
                try:
                    data, _ = sock.recvfrom(128)
                except TimeoutError:
                    continue
                except OSError:
                    continue
                words = data.decode(errors="replace").split()
                if len(words) == 2 and words[0] == "HB" and words[1] in self.peers:
                    self.last_heard[words[1]] = time.monotonic()
                    if words[1] in self.gone:
                        self.gone.discard(words[1])  # it booted again and rejoined

    def _decide(self) -> None:
        while not self.stop.wait(self._quantum()):
            timeout = settings(self.cluster)["heartbeat_timeout"] / 1000
            silent = [p for p in suspects(self.last_heard, time.monotonic(), timeout)
                      if p not in self.gone]
            if not silent:
                continue
            reachable = 1 + sum(1 for p in self.peers if p not in silent and p not in self.gone)
            total = 1 + len(self.peers)
            device = False
            if has_quorum_device(total):
                answers = [ask_quorum_server(f"PREEMPT {self.node} {p}") for p in silent]
                device = all(a == "OK" for a in answers)
            tally = votes(total, reachable, device)
            if not tally.has_quorum:
                self.log("err", f"CMM: quorum lost ({tally.present} of {tally.needed} votes "
                         f"needed; no answer from {', '.join(silent)}): aborting this node")
                time.sleep(0.3)  # the console line reaches /var/adm/messages first
                self.panic()
                return
            for peer in silent:
                self.log("notice", f"CMM: node {peer} not heard for {timeout:g} s: declared "
                         "dead (quorum held)")
                self.gone.add(peer)
                self.declare_dead(peer)


def power_off_self() -> None:
    """Panic: the host's init exits at once (SIGPWR), and the kernel kills every process."""
    os.kill(1, signal.SIGPWR)


def main(argv: list[str] | None = None) -> int:
    """`python -m clustersim.membership quorum-server NODE...`: the cluster's quorum server,
    run on the client host."""
    import sys  # noqa: PLC0415

    args = sys.argv[1:] if argv is None else argv
    if len(args) < 2 or args[0] != "quorum-server":
        print("usage: python -m clustersim.membership quorum-server NODE...", file=sys.stderr)
        return 2
    QuorumServer(args[1:]).serve(QUORUM_SERVER)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
