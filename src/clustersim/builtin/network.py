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
import subprocess
from pathlib import Path

from clustersim.errors import ClusterError
from clustersim.layout import ClusterLayout

SEGMENT = ipaddress.ip_network("198.18.0.0/24")
INTERFACE = "eth0"
TOOL_ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C"}


def read_hosts(path: Path) -> dict[str, str]:
    """host name -> address, from an /etc/hosts file (first mapping wins, as resolvers do)."""
    names: dict[str, str] = {}
    if not path.exists():
        return names
    for line in path.read_text().splitlines():
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
    known = {n: read_hosts(layout.node_root(n) / "etc" / "hosts").get(host) for n in nodes}
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
    return subprocess.run(argv, capture_output=True, text=True, env=TOOL_ENV, timeout=30,
                          check=False)


def plumbed() -> set[str]:
    """Addresses up on this node's interface (run on the node)."""
    done = _tool(["ip", "-o", "-4", "addr", "show", "dev", INTERFACE])
    return {line.split()[3].split("/")[0] for line in done.stdout.splitlines()
            if len(line.split()) > 3}


DAD_WAIT = 0.2
"""How long duplicate address detection listens for an answer (seconds). Every station is
on one bridge, where an ARP reply comes back within a millisecond; arping's own deadline is
a whole second (it takes whole seconds only), which was a third of a switchover."""


def in_use(addr: str) -> bool:
    """Duplicate address detection: does any station on the segment answer for `addr`?
    arping -D exits 1 as soon as one answers; still waiting after DAD_WAIT means none did."""
    proc = subprocess.Popen(["arping", "-D", "-q", "-c", "1", "-w", "1", "-I", INTERFACE, addr],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env=TOOL_ENV)
    try:
        return proc.wait(timeout=DAD_WAIT) == 1
    except subprocess.TimeoutExpired:
        return False
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


def plumb(addr: str) -> str | None:
    """Bring `addr` up on this node's interface and announce it; None, or why not."""
    if addr in plumbed():
        return None
    done = _tool(["ip", "addr", "add", f"{addr}/{SEGMENT.prefixlen}", "dev", INTERFACE])
    if done.returncode != 0:
        return done.stderr.strip() or "ip addr add failed"
    # Gratuitous ARP, in the background: it takes a second and nobody waits for it.
    subprocess.Popen(["arping", "-U", "-q", "-c", "1", "-I", INTERFACE, addr],
                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                     stderr=subprocess.DEVNULL, env=TOOL_ENV, start_new_session=True)
    return None


def unplumb(addr: str) -> str | None:
    if addr not in plumbed():
        return None
    done = _tool(["ip", "addr", "del", f"{addr}/{SEGMENT.prefixlen}", "dev", INTERFACE])
    return None if done.returncode == 0 else (done.stderr.strip() or "ip addr del failed")
