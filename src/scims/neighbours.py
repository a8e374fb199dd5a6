"""What the cluster says about the resources around ours.

Three questions, asked through the framework commands only:
- the logical host addresses the service must listen on (Network_resources_used, or the
  SUNW.LogicalHostname resources of our group);
- the state of the storage we depend on, with the answers of scds_hasp_check(3HA), and
  whether the Messaging Server configuration directory lies on it;
- which other SUNW.ims resources exist, and what they use (the symmetric example's
  "contention problem": two instances sharing a directory collide after a failover).
"""

from __future__ import annotations

import enum
import os
import socket
from dataclasses import dataclass, field
from typing import Optional

from scims import framework, paths
from scims.errors import FrameworkError

LOGICAL_HOST_TYPES = ("SUNW.LogicalHostname", "SUNW.SharedAddress")
STORAGE_TYPES = {"SUNW.HAStoragePlus": "FilesystemMountPoints", "SUNW.HAStorage": "ServicePaths"}
IMS_TYPE = "SUNW.ims"
HOSTS_FILE = "/etc/hosts"


def base_type(full_name: str) -> str:
    """`SUNW.ims:6.3` -> `SUNW.ims`."""
    return full_name.split(":", 1)[0]


@dataclass(frozen=True)
class ResourceRef:
    name: str
    group: str
    type: str

    @property
    def base_type(self) -> str:
        return base_type(self.type)


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
    culprit: Optional[ResourceRef] = None
    """The resource behind ERR_CONFIG or NOT_ONLINE."""


def resource_ref(name: str, group: Optional[str] = None) -> ResourceRef:
    if group is None:
        group = framework.resource_get("Group", name).as_str()
    rtype = framework.resource_get("Type", name, group).as_str()
    return ResourceRef(name, group, rtype)


def group_resources(group: str, exclude: str = "") -> list[ResourceRef]:
    names = framework.resourcegroup_get("Resource_list", group).as_list()
    return [resource_ref(n, group) for n in names if n != exclude]


def local_node() -> str:
    return framework.cluster_get("Nodename_local").as_str()


def node_list(group: str) -> list[str]:
    return framework.resourcegroup_get("Nodelist", group).as_list()


# --- logical hosts ---------------------------------------------------------------------------


def hosts_table() -> dict[str, list[str]]:
    """Host name (any alias, lower case) -> addresses, from the node's /etc/hosts."""
    table: dict[str, list[str]] = {}
    try:
        with open(paths.node_path(HOSTS_FILE), encoding="utf-8", errors="replace") as f:
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
    then the resolver on a real node."""
    found = table.get(name.lower()) or table.get(name.lower().split(".")[0])
    if found:
        return list(found)
    if paths.root() != "/":
        return []
    try:
        return sorted({info[4][0] for info in socket.getaddrinfo(name, None, socket.AF_INET)})
    except OSError:
        return []


def logical_host_addresses(group: str, resource: str, network_resources: list[str]) -> list[str]:
    """The addresses clients use: of Network_resources_used if set, else of every logical
    host resource in our group (the RGM's implicit network dependencies)."""
    if network_resources:
        refs = [resource_ref(name) for name in network_resources]
    else:
        refs = [ref for ref in group_resources(group, exclude=resource)
                if ref.base_type in LOGICAL_HOST_TYPES]
    table = hosts_table()
    addresses: list[str] = []
    for ref in refs:
        if ref.base_type not in LOGICAL_HOST_TYPES:
            continue
        _, hosts = framework.extension(ref.name, ref.group, "HostnameList")
        for host in hosts if isinstance(hosts, list) else [str(hosts)]:
            for address in resolve_host(host, table):
                if address not in addresses:
                    addresses.append(address)
    return addresses


# --- storage ---------------------------------------------------------------------------------


def storage_view(group: str, dependencies: list[str]) -> StorageView:
    """scds_hasp_check: the storage resources among our dependencies, and where they are."""
    refs: list[ResourceRef] = []
    for name in dependencies:
        ref = resource_ref(name)
        if ref.base_type in STORAGE_TYPES:
            refs.append(ref)
    if not refs:
        return StorageView(HaspStatus.NO_RESOURCE)
    for ref in refs:
        if ref.group != group:
            return StorageView(HaspStatus.ERR_CONFIG, tuple(refs), culprit=ref)
    mounts: list[str] = []
    for ref in refs:
        _, value = framework.extension(ref.name, ref.group, STORAGE_TYPES[ref.base_type])
        for raw in value if isinstance(value, list) else [str(value)]:
            entry = raw.strip()
            if entry.startswith("/") and not entry.startswith("/dev/") and entry not in mounts:
                mounts.append(entry)
    here = local_node()
    nodes = node_list(group)
    all_local = True
    for ref in refs:
        online = [n for n in nodes if _state_on(ref, n) == "ONLINE"]
        if not online:
            return StorageView(HaspStatus.NOT_ONLINE, tuple(refs), tuple(mounts), culprit=ref)
        if here not in online:
            all_local = False
    status = HaspStatus.ONLINE_LOCAL if all_local else HaspStatus.ONLINE_NOT_LOCAL
    return StorageView(status, tuple(refs), tuple(mounts))


def _state_on(ref: ResourceRef, node: str) -> str:
    try:
        return framework.resource_get("Resource_state_node", ref.name, ref.group,
                                      node).as_str().upper()
    except FrameworkError:
        return "UNKNOWN"


def config_dir_of(server_root_path: str) -> str:
    """The configuration directory an installation points to, from its `config` link read
    lexically, so it is known even while the storage it lies on is elsewhere."""
    link = os.path.join(server_root_path, "config")
    try:
        target = os.readlink(link)
    except OSError:
        return server_root_path  # no link: the configuration lives in the installation
    return os.path.dirname(os.path.normpath(os.path.join(server_root_path, target)))


def _within(path: str, directory: str) -> bool:
    directory = directory.rstrip("/")
    return path == directory or path.startswith(directory + "/")


def managing_mount_point(config_dir: str, mount_points: tuple[str, ...]) -> Optional[str]:
    """The mount point (as the storage resource names it) that holds `config_dir`."""
    candidates = {os.path.normpath(config_dir), os.path.realpath(config_dir)}
    for mount in mount_points:
        on_node = paths.node_path(mount)
        for place in {os.path.normpath(on_node), os.path.realpath(on_node)}:
            if any(_within(c, place) for c in candidates):
                return mount
    return None


# --- other SUNW.ims resources ----------------------------------------------------------------


@dataclass(frozen=True)
class OtherInstance:
    ref: ResourceRef
    server_root: str
    config_dir: Optional[str]
    nodes: tuple[str, ...] = field(default=())


def other_instances(resource: str) -> list[OtherInstance]:
    """Every other SUNW.ims resource of the cluster, with what it uses."""
    found: list[OtherInstance] = []
    for group in framework.cluster_get("All_resourcegroups").as_list():
        nodes = tuple(node_list(group))
        for ref in group_resources(group, exclude=resource):
            if ref.base_type != IMS_TYPE:
                continue
            try:
                _, value = framework.extension(ref.name, ref.group, "IMS_serverroot")
            except FrameworkError:
                continue
            root = str(value).rstrip("/")
            if not root.startswith("/"):
                continue
            on_node = paths.node_path(root)
            config = config_dir_of(on_node) if os.path.lexists(on_node) else None
            found.append(OtherInstance(ref, root, config, nodes))
    return found
