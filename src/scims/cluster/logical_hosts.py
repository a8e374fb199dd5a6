"""The logical host addresses clients use to reach Messaging Server.

Those of the resources in Network_resources_used if it is set, else of every
SUNW.LogicalHostname (or SUNW.SharedAddress) resource of our group, the RGM's implicit network
dependencies. Host names resolve through the node's /etc/hosts first: the cluster requires the
logical hosts there.
"""

from __future__ import annotations

import socket
from collections.abc import Sequence
from typing import Optional

from scims.cluster.directory import LOGICAL_HOST_TYPES, ClusterDirectory, ResourceRef

HOSTS_FILE = "/etc/hosts"


def hosts_table() -> dict[str, list[str]]:
    """Host name (any alias, lower case) -> addresses, from the node's /etc/hosts."""
    table: dict[str, list[str]] = {}
    try:
        with open(HOSTS_FILE, encoding="utf-8", errors="replace") as f:
            lines = f.read().splitlines()
    except OSError:
        return table
    for line in lines:
        words = line.split("#", 1)[0].split()
        if len(words) < 2:
            continue
        for name in words[1:]:
            table.setdefault(name.lower(), []).append(words[0])
    return table


def resolve_host(name: str, table: dict[str, list[str]]) -> list[str]:
    """Addresses of a host name: /etc/hosts first (the cluster requires logical hosts there),
    then the resolver."""
    found = table.get(name.lower()) or table.get(name.lower().split(".")[0])
    if found:
        return list(found)
    try:
        return sorted({info[4][0] for info in socket.getaddrinfo(name, None, socket.AF_INET)})
    except OSError:
        return []


def addresses(directory: ClusterDirectory, group: str, resource: str,
              network_resources: Sequence[str]) -> list[str]:
    """The addresses clients use, in the order the resources name them, each once."""
    if network_resources:
        refs = [directory.ref(name) for name in network_resources]
    else:
        refs = [ref for ref in directory.members(group) if ref.name != resource]
    table = hosts_table()
    found: list[str] = []
    for ref in refs:
        if ref.base_type not in LOGICAL_HOST_TYPES:
            continue
        hosts = directory.extension(ref, "HostnameList")
        for host in hosts if isinstance(hosts, list) else [str(hosts)]:
            for address in resolve_host(host, table):
                if address not in found:
                    found.append(address)
    return found


def logical_host_addresses(group: str, resource: str, network_resources: Sequence[str],
                           resource_type: Optional[str] = None) -> list[str]:
    """`addresses` for a method that asks nothing else of its neighbours. The method's own
    resource (and its type, from -T) is known: the group's member list is not a reason to
    ask its type."""
    directory = ClusterDirectory()
    if resource_type:
        directory.know(ResourceRef(resource, group, resource_type))
    return addresses(directory, group, resource, network_resources)
