"""SUNW.LogicalHostname: logical host addresses plumbed on the node that holds them.

A host name the administrator names with `scrgadm -a -L -l host` must resolve, in every
node's /etc/hosts, to one address on the cluster's segment (198.18.0.0/24). Plumbing it
on a node is what ifconfig addif does on Solaris: the address goes up on the node's own
interface (`ip addr add ... dev eth0`) after duplicate address detection (an ARP probe:
if any station answers for it, it is in use and is not plumbed) and is announced with a
gratuitous ARP, so the neighbours' caches point at the new holder at once. A client that
connects to the logical host reaches whichever node holds it, and only that one.
"""

from __future__ import annotations

import ipaddress
import os

from clustersim.builtin import node_file
from clustersim.errors import ClusterError

TYPE_CHECKING = False  # Start and Stop of a LogicalHostname import this module: keep it light
if TYPE_CHECKING:
    import socket
    import subprocess
    from pathlib import Path

    from clustersim.layout import ClusterLayout

SEGMENT = ipaddress.ip_network("198.18.0.0/24")
INTERFACE = "eth0"
TOOL_ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C"}


def read_hosts(path: Path | str) -> dict[str, str]:
    """host name -> address, from an /etc/hosts file (first mapping wins, as resolvers do)."""
    names: dict[str, str] = {}
    for line in node_file(path).splitlines():
        fields = line.split("#", 1)[0].split()
        if len(fields) < 2:
            continue
        for host in fields[1:]:
            names.setdefault(host, fields[0])
    return names


def on_segment(addr: str) -> bool:
    try:
        return ipaddress.ip_address(addr) in SEGMENT
    except ValueError:
        return False


def ensure_hostname(layout: ClusterLayout, nodes: list[str], host: str) -> str:
    """The segment address of `host`, as every node's /etc/hosts gives it.

    The cluster takes a logical host's addresses from the name service (IPList is not for
    the administrator to set), so a host name some node cannot resolve is refused: the
    guide has the administrator add it to /etc/hosts on every node first.
    """
    known = {n: read_hosts(f"{layout.node_root(n)}/etc/hosts").get(host) for n in nodes}
    addrs = {a for a in known.values() if a}
    foreign = sorted(a for a in addrs if not on_segment(a))
    if foreign:
        raise ClusterError(f"host name {host} maps to {', '.join(foreign)} in /etc/hosts, "
                           f"which is not on the cluster's public network ({SEGMENT}): give "
                           "it an address of that subnet", "PROP")
    missing = sorted(n for n, addr in known.items() if addr is None)
    if missing:
        raise ClusterError(f"host name {host} cannot be resolved on node(s) "
                           f"{', '.join(missing)}: add it to /etc/hosts on every node", "PROP")
    if len(addrs) > 1:
        raise ClusterError(f"host name {host} maps to different addresses on different nodes "
                           f"({', '.join(sorted(addrs))})", "PROP")
    return addrs.pop()


def _tool(argv: list[str]) -> subprocess.CompletedProcess[str]:
    import subprocess  # noqa: PLC0415 - Start and Stop run no tool: they do not load it

    return subprocess.run(argv, capture_output=True, text=True, env=TOOL_ENV, timeout=30,
                          check=False)


def plumbed() -> set[str]:
    """Addresses up on this node's interface (run on the node)."""
    done = _tool(["ip", "-o", "-4", "addr", "show", "dev", INTERFACE])
    return {line.split()[3].split("/")[0] for line in done.stdout.splitlines()
            if len(line.split()) > 3}


PROBE_WAIT = 10.0
"""How long arping may take to start and send its probe: its start-up, which on a loaded
machine is a matter of scheduling, not of the network."""
REPLY_WAIT = 0.05
"""How long duplicate address detection waits for an answer once arping's probe is on the
wire (seen by our own capture, so arping's start-up is not counted). A station answers ARP
in its kernel: on the segment (veth pairs on one bridge) the reply is produced in the same
softirq pass that delivers the probe, usually before arping's send returns; a deferred pass
(ksoftirqd, on a busy machine) runs within a scheduler slice, a few milliseconds. The reply
then waits in our capture socket until it is read, so how late this process is scheduled
does not matter. 50 ms is ten times a slice; the old fixed 0.2 s counted from arping's
start and could still miss a reply on a machine slow to start arping."""
ETH_P_ARP = 0x0806
ETH_P_ALL = 0x0003
ARP_REQUEST, ARP_REPLY = 1, 2


def in_use(addr: str) -> bool:
    """Duplicate address detection: does any station on the segment answer for `addr`?

    arping -D sends the probe (an ARP request from 0.0.0.0, RFC 5227) and exits 1 once
    one answers; an AF_PACKET socket on the interface sees the probe leave and any reply
    arrive, so the wait for a reply starts when the probe is out (REPLY_WAIT)."""
    import socket  # noqa: PLC0415
    import subprocess  # noqa: PLC0415

    target = socket.inet_aton(addr)
    # ETH_P_ALL: a socket bound to one protocol is not shown the frames the node sends
    with socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(ETH_P_ALL)) as cap:
        cap.bind((INTERFACE, ETH_P_ALL))
        proc = subprocess.Popen(["arping", "-D", "-q", "-c", "1", "-w", "1", "-I", INTERFACE,
                                 addr], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, env=TOOL_ENV)
        pidfd = os.pidfd_open(proc.pid)  # readable once arping exits
        try:
            seen = _watch(cap, pidfd, target, PROBE_WAIT, want_probe=True)
            if seen == "probe":
                seen = _watch(cap, pidfd, target, REPLY_WAIT, want_probe=False)
            return seen == "answered" or (seen == "exited" and proc.wait() == 1)
        finally:
            os.close(pidfd)
            if proc.poll() is None:
                proc.kill()
            proc.wait()


def _watch(cap: socket.socket, pidfd: int, target: bytes, wait: float,
           want_probe: bool) -> str:
    """Read ARP frames until arping's probe for `target` is seen ("probe", if
    `want_probe`), a station answers for it ("answered"), arping exits ("exited") or
    `wait` seconds pass ("quiet"). Frames already queued are always read first."""
    import select  # noqa: PLC0415
    import time  # noqa: PLC0415

    deadline = time.monotonic() + wait
    while True:
        remaining = max(0.0, deadline - time.monotonic())
        ready, _, _ = select.select([cap, pidfd], [], [], remaining)
        if cap in ready:
            frame, (_dev, proto, *_rest) = cap.recvfrom(2048)
            if proto == ETH_P_ARP and len(frame) >= 28 and frame[2:4] == b"\x08\x00":
                oper = int.from_bytes(frame[6:8], "big")
                sender, about = frame[14:18], frame[24:28]
                if oper == ARP_REPLY and sender == target:
                    return "answered"
                if want_probe and oper == ARP_REQUEST and about == target \
                        and sender == b"\0\0\0\0":
                    return "probe"
            continue
        if pidfd in ready:
            return "exited"
        if remaining <= 0:
            return "quiet"


def plumb(addr: str, up: set[str] | None = None) -> str | None:
    """Bring `addr` up on this node's interface and announce it; None, or why not. `up`:
    the addresses up already, if the caller has just asked (plumbed())."""
    if addr in (plumbed() if up is None else up):
        return None
    done = _tool(["ip", "addr", "add", f"{addr}/{SEGMENT.prefixlen}", "dev", INTERFACE])
    if done.returncode != 0:
        return done.stderr.strip() or "ip addr add failed"
    # Gratuitous ARP, in the background: it takes a second and nobody waits for it.
    import subprocess  # noqa: PLC0415

    subprocess.Popen(["arping", "-U", "-q", "-c", "1", "-I", INTERFACE, addr],
                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                     stderr=subprocess.DEVNULL, env=TOOL_ENV, start_new_session=True)
    return None


def unplumb(addr: str, up: set[str] | None = None) -> str | None:
    if addr not in (plumbed() if up is None else up):
        return None
    done = _tool(["ip", "addr", "del", f"{addr}/{SEGMENT.prefixlen}", "dev", INTERFACE])
    return None if done.returncode == 0 else (done.stderr.strip() or "ip addr del failed")
