"""The resources and groups around ours, as the framework commands describe them.

A method that looks at its neighbours (Validate above all) asks the same questions from
several sides: the type of a dependency, the members of our group, the node list of a group.
`ClusterDirectory` asks each of them once in its life, which is one method call (the cluster
cannot change under a method in a way the method could act on: the RGM runs Validate before
it applies a change), and answers the rest from what it already learnt: a scan of every group
tells the group and type of every resource, so a dependency named later costs no query.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from scims.cluster import commands
from scims.cluster.commands import ExtensionValue
from scims.cluster.protocols import ClusterQueries
from scims.errors import FrameworkError

LOGICAL_HOST_TYPES = ("SUNW.LogicalHostname", "SUNW.SharedAddress")
STORAGE_TYPES = {"SUNW.HAStoragePlus": "FilesystemMountPoints", "SUNW.HAStorage": "ServicePaths"}
"""The storage resource types, each with the extension property that names its file systems."""


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


class ClusterDirectory:
    """What the cluster says about its groups and resources, each question asked once."""

    def __init__(self, cluster: ClusterQueries = commands) -> None:
        self._cluster = cluster
        self._refs: dict[str, ResourceRef] = {}
        self._members: dict[str, tuple[ResourceRef, ...]] = {}
        self._nodes: dict[str, tuple[str, ...]] = {}
        self._extensions: dict[tuple[str, str], ExtensionValue] = {}
        self._states: dict[tuple[str, str], str] = {}
        self._groups: Optional[tuple[str, ...]] = None
        self._local_node: Optional[str] = None
        self._cluster_nodes: Optional[tuple[str, ...]] = None

    # --- what the caller already knows --------------------------------------------------

    def know(self, ref: ResourceRef) -> None:
        """A resource the caller knows (its own, from -R/-T/-G): never asked about."""
        self._refs[ref.name] = ref

    def know_nodes(self, group: str, nodes: list[str]) -> None:
        """A group's node list the caller has (Validate's, from -g Nodelist or its view)."""
        self._nodes[group] = tuple(nodes)

    # --- questions ------------------------------------------------------------------------

    def ref(self, name: str) -> ResourceRef:
        """Group and type of a resource, from a scan if one was made, else two queries."""
        if name not in self._refs:
            group = self._cluster.resource_get("Group", name).as_str()
            rtype = self._cluster.resource_get("Type", name, group).as_str()
            self._refs[name] = ResourceRef(name, group, rtype)
        return self._refs[name]

    def groups(self) -> tuple[str, ...]:
        """Every resource group of the cluster."""
        if self._groups is None:
            self._groups = tuple(self._cluster.cluster_get("All_resourcegroups").as_list())
        return self._groups

    def members(self, group: str) -> tuple[ResourceRef, ...]:
        """The resources of a group (Resource_list), each with its type."""
        if group not in self._members:
            names = self._cluster.resourcegroup_get("Resource_list", group).as_list()
            refs = []
            for name in names:
                known = self._refs.get(name)
                if known is None or known.group != group:
                    rtype = self._cluster.resource_get("Type", name, group).as_str()
                    known = self._refs[name] = ResourceRef(name, group, rtype)
                refs.append(known)
            self._members[group] = tuple(refs)
        return self._members[group]

    def scan(self) -> tuple[ResourceRef, ...]:
        """Every resource of every group: afterwards `ref` answers without asking."""
        return tuple(ref for group in self.groups() for ref in self.members(group))

    def nodes(self, group: str) -> tuple[str, ...]:
        """The group's Nodelist: the nodes that may master it."""
        if group not in self._nodes:
            self._nodes[group] = tuple(
                self._cluster.resourcegroup_get("Nodelist", group).as_list())
        return self._nodes[group]

    def extension(self, ref: ResourceRef, name: str) -> ExtensionValue:
        """An extension property of another resource."""
        key = (ref.name, name.lower())
        if key not in self._extensions:
            _kind, value = self._cluster.extension(ref.name, ref.group, name)
            self._extensions[key] = value
        return self._extensions[key]

    def state_on(self, ref: ResourceRef, node: str) -> str:
        """Resource_state of a resource on a node, upper case; UNKNOWN if it cannot be read."""
        key = (ref.name, node)
        if key not in self._states:
            try:
                state = self._cluster.resource_get("Resource_state_node", ref.name, ref.group,
                                                   node).as_str().upper()
            except FrameworkError:
                state = "UNKNOWN"
            self._states[key] = state
        return self._states[key]

    def local_node(self) -> str:
        """The name of the node this method runs on."""
        if self._local_node is None:
            self._local_node = self._cluster.cluster_get("Nodename_local").as_str()
        return self._local_node

    def cluster_nodes(self) -> tuple[str, ...]:
        """Every node of the cluster (All_nodenames)."""
        if self._cluster_nodes is None:
            self._cluster_nodes = tuple(self._cluster.cluster_get("All_nodenames").as_list())
        return self._cluster_nodes
