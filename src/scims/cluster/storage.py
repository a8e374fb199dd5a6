"""Where the storage we depend on is: scds_hasp_check(3HA) through the framework commands.

Validate and Monitor_check ask it before they look at the Messaging Server files: where the
storage is online on another node the files cannot be read here, and where it is in another
group or online nowhere the configuration is wrong or cannot be checked.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Optional

from scims.cluster.directory import STORAGE_TYPES, ClusterDirectory, ResourceRef


class HaspStatus(enum.Enum):
    """scds_hasp_check(3HA) results."""

    NO_RESOURCE = "no storage resource"
    ERR_CONFIG = "storage resource in another group"
    NOT_ONLINE = "storage not online anywhere"
    ONLINE_NOT_LOCAL = "storage online on another node"
    ONLINE_LOCAL = "storage online on this node"


@dataclass(frozen=True)
class StorageView:
    status: HaspStatus
    resources: tuple[ResourceRef, ...] = ()
    mount_points: tuple[str, ...] = ()
    """The file systems of the storage resources, as they name them (node-independent)."""
    culprit: Optional[ResourceRef] = None
    """The resource behind ERR_CONFIG or NOT_ONLINE."""


def _mount_points(value: object) -> list[str]:
    entries = value if isinstance(value, list) else [str(value)]
    return [entry.strip() for entry in entries
            if entry.strip().startswith("/") and not entry.strip().startswith("/dev/")]


def hasp_check(directory: ClusterDirectory, group: str, nodes: Sequence[str],
               dependencies: Sequence[str]) -> StorageView:
    """The storage resources among `dependencies`, and where they are online among `nodes`
    (the group's potential primaries)."""
    refs = [ref for ref in (directory.ref(name) for name in dependencies)
            if ref.base_type in STORAGE_TYPES]
    if not refs:
        return StorageView(HaspStatus.NO_RESOURCE)
    for ref in refs:
        if ref.group != group:
            return StorageView(HaspStatus.ERR_CONFIG, tuple(refs), culprit=ref)
    mounts: list[str] = []
    for ref in refs:
        for entry in _mount_points(directory.extension(ref, STORAGE_TYPES[ref.base_type])):
            if entry not in mounts:
                mounts.append(entry)
    here = directory.local_node()
    all_local = True
    for ref in refs:
        online = [node for node in nodes if directory.state_on(ref, node) == "ONLINE"]
        if not online:
            return StorageView(HaspStatus.NOT_ONLINE, tuple(refs), tuple(mounts), culprit=ref)
        if here not in online:
            all_local = False
    status = HaspStatus.ONLINE_LOCAL if all_local else HaspStatus.ONLINE_NOT_LOCAL
    return StorageView(status, tuple(refs), tuple(mounts))


def storage_view(group: str, dependencies: Sequence[str]) -> StorageView:
    """scds_hasp_check for a method that asks nothing else of its neighbours."""
    directory = ClusterDirectory()
    return hasp_check(directory, group, directory.nodes(group), dependencies)
