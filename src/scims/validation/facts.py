"""What Validate knows when it decides: plain values, gathered by `gather.gather`.

Every field is an observation (a property value, what a framework command answered, what
the node's file system shows), never a conclusion: the conclusions are the rules'
(`rules.py`). A field left at its default was not gathered, because an earlier rule already
refused the change or the storage state made it unreadable here; the rules then conclude
nothing from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from scims.cluster.directory import ResourceRef
from scims.cluster.storage import StorageView
from scims.msconfig.config import ServiceEndpoint
from scims.msconfig.imta import HostMention
from scims.validation.findings import Finding


@dataclass(frozen=True)
class ProbeTiming:
    """The fault monitor's timing as it is about to be applied (command line over stored)."""

    retry_interval: int
    thorough_probe_interval: int
    retry_count: int


@dataclass(frozen=True)
class ServerRootSetting:
    """IMS_serverroot as the command line gives it or the cluster stores it."""

    value: Optional[str]
    """None when it is not set (or set to blanks)."""


@dataclass(frozen=True)
class Place:
    """A directory on this node: as the administrator writes it (`configured`) and the forms
    two names of one directory are compared in (`forms`: lexically normal, and with every
    symbolic link resolved)."""

    configured: str
    forms: frozenset[str]

    def holds(self, other: Place) -> bool:
        """`other` is this directory or lies beneath it, in any of their forms."""
        return any(theirs == ours or theirs.startswith(ours.rstrip("/") + "/")
                   for ours in self.forms for theirs in other.forms)


@dataclass(frozen=True)
class OtherInstance:
    """Another SUNW.ims resource of the cluster, and what it uses."""

    ref: ResourceRef
    server_root: str
    config_dir: Optional[Place]
    """Its configuration directory, when its installation can be seen on this node."""
    nodes: tuple[str, ...] = ()
    """The nodes of its group (empty if unknown: then it may share ours)."""


@dataclass(frozen=True)
class HaConfiguration:
    """The settings of the configuration the HA procedure changes."""

    endpoints: tuple[ServiceEndpoint, ...]
    imta_mentions: tuple[HostMention, ...]
    """Every host name imta.cnf writes, in line order (none without imta.cnf)."""
    watcher_enabled: bool
    autorestart: bool


@dataclass(frozen=True)
class InstallationFacts:
    """The installation on this node, inspected (installation.inspect: the checks of
    docs/security.md on start-msg, stop-msg, the configuration files and the accounts):
    either the refusal of its first problem, or its configuration."""

    refusal: Optional[Finding] = None
    config_dir: Optional[Place] = None
    """The configuration directory the configuration was read from."""
    ha: Optional[HaConfiguration] = None


@dataclass(frozen=True)
class Facts:
    timing: ProbeTiming
    creating: bool = False
    """Validate -c (a new resource) rather than -u."""
    changed: frozenset[str] = frozenset()
    """Lower-case names of the resource properties the command line sets."""
    group: str = ""
    server_root: Optional[ServerRootSetting] = None
    storage: Optional[StorageView] = None
    mount_points: tuple[Place, ...] = ()
    """The file systems of the storage resources (`storage.mount_points`), on this node."""
    server_root_is_directory: bool = False
    """IMS_serverroot is a directory on this node (whether the storage is here or not)."""
    config_link_dir: Optional[Place] = None
    """The configuration directory the installation's `config` link names (read lexically,
    so known while the storage is elsewhere); None when the server root is not on this node."""
    installation: Optional[InstallationFacts] = None
    """Inspected only where the storage is online here or there is no storage resource."""
    our_nodes: tuple[str, ...] = ()
    """Our group's Nodelist as it is about to be applied."""
    others: tuple[OtherInstance, ...] = ()
    logical_addresses: tuple[str, ...] = ()
    """The addresses of our logical hosts (Network_resources_used, or our group's)."""
    cluster_nodes: tuple[str, ...] = ()
    """Every node of the cluster: the physical host names imta.cnf must not write."""
