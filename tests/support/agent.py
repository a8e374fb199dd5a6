"""What the agent's end-to-end tests check after the group left a node."""

from __future__ import annotations

from collections.abc import Iterator

from imsguide import faults
from imsguide.site import Site
from imsguide.testbed import Cluster


def left_behind(site: Site, node: str) -> list[str]:
    """What `node`, after the group left it, still holds of it: the Messaging Server or the
    storage resource not OFFLINE there, a Messaging Server process, the shared file system
    mounted. Empty when the node gave everything up, as a failover or switchover must."""
    found = []
    for resource in (site.mail_resource, site.storage_resource):
        state = faults.resource_state(site, node, resource)
        if state != "OFFLINE":
            found.append(f"{resource} is {state} on {node}")
    found += [f"Messaging Server process on {node}: {p}" for p in faults.processes(site, node)]
    if faults.storage_mounted(site, node):
        found.append(f"the shared file system is still mounted on {node}")
    return found


def healthy_node(cluster: Cluster) -> Iterator[str]:
    """For a fixture: the node where the group runs healthy, and every fault a test set
    cleared after it (`yield from healthy_node(tuned)`)."""
    node = cluster.healthy()
    yield node
    faults.clear_faults(cluster.site)
