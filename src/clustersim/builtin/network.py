"""SUNW.LogicalHostname: logical host names as loopback addresses.

A host name the administrator names with `scrgadm -a -L -l host` must resolve on every
node; the stand-in gives it a 127.0.0.0/8 address in every node's /etc/hosts (keeping an
address the administrator already wrote there, if it is a loopback one). "Plumbing" the
address on a node is a file in `layout.node_addresses(node)`; one node at a time.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

from clustersim.errors import ClusterError
from clustersim.layout import ClusterLayout


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


def is_loopback(addr: str) -> bool:
    try:
        return ipaddress.ip_address(addr) in ipaddress.ip_network("127.0.0.0/8")
    except ValueError:
        return False


def ensure_hostname(layout: ClusterLayout, nodes: list[str], host: str) -> str:
    """The loopback address of `host`, as every node's /etc/hosts gives it.

    The cluster takes a logical host's addresses from the name service (IPList is not for
    the administrator to set), so a host name some node cannot resolve is refused: the
    guide has the administrator add it to /etc/hosts on every node first.
    """
    known = {n: read_hosts(layout.node_root(n) / "etc" / "hosts").get(host) for n in nodes}
    addrs = {a for a in known.values() if a}
    foreign = sorted(a for a in addrs if not is_loopback(a))
    if foreign:
        raise ClusterError(f"host name {host} maps to {', '.join(foreign)} in /etc/hosts; this "
                           "stand-in cluster can only host loopback addresses (127.0.0.0/8): "
                           "remove that line or give it a 127.x.y.z address", "PROP")
    missing = sorted(n for n, addr in known.items() if addr is None)
    if missing:
        raise ClusterError(f"host name {host} cannot be resolved on node(s) "
                           f"{', '.join(missing)}: add it to /etc/hosts on every node", "PROP")
    if len(addrs) > 1:
        raise ClusterError(f"host name {host} maps to different addresses on different nodes "
                           f"({', '.join(sorted(addrs))})", "PROP")
    return addrs.pop()


def holder(layout: ClusterLayout, nodes: list[str], addr: str) -> str | None:
    for n in nodes:
        if (layout.node_addresses(n) / addr).exists():
            return n
    return None


def plumb(layout: ClusterLayout, node: str, addr: str, host: str) -> None:
    directory = layout.node_addresses(node)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / addr).write_text(host + "\n")


def unplumb(layout: ClusterLayout, node: str, addr: str) -> None:
    (layout.node_addresses(node) / addr).unlink(missing_ok=True)


def release(layout: ClusterLayout, node: str) -> None:
    directory = layout.node_addresses(node)
    if directory.is_dir():
        for entry in directory.iterdir():
            entry.unlink(missing_ok=True)
