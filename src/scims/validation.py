"""Validate: refuse a configuration that cannot work, before the cluster accepts it.

The RGM runs Validate on every node that may master the group, with `-c` and every property
when a resource is created, or `-u` and the changed ones when it is updated; a failure on any
node cancels the change. Each refusal is one catalogue line naming what to fix. Problems that
do not stop Messaging Server from running (ha_ip_config not run, imta.cnf naming a node,
self-restart switched off) are warnings: the change goes through.

The fault monitor's timing is checked first, as scds_initialize(3HA) does: Retry_interval must
hold Retry_count restarts at one per Thorough_probe_interval, or the failover it counts towards
could never come.

Storage follows scds_hasp_check: where the storage is online on another node the files
cannot be read here, so the file checks are skipped and the method says so.
"""

from __future__ import annotations

import os
from typing import Optional

from scims import framework, installation, invocation, messages, neighbours, paths
from scims.errors import FrameworkError
from scims.installation import CheckFailed, Installation
from scims.invocation import Scope
from scims.method_runtime import MethodContext
from scims.neighbours import HaspStatus, StorageView

# Properties whose change needs the installation itself to be checked again.
INSTALLATION_PROPERTIES = ("ims_serverroot", "resource_dependencies")


def validate(ctx: MethodContext) -> int:
    check_probe_timing(ctx)
    server_root = installation.checked_server_root(ctx.server_root_value())
    dependencies = ctx.props.get_list("Resource_dependencies")
    view = neighbours.storage_view(ctx.group, dependencies)
    _check_storage_placement(ctx, view)

    local_root = paths.node_path(server_root)
    if view.status is HaspStatus.ONLINE_NOT_LOCAL:
        ctx.log.emit(messages.STORAGE_ONLINE_ELSEWHERE)
        if os.path.isdir(local_root):
            _check_managed(ctx, neighbours.config_dir_of(local_root), view)
        _check_contention(ctx, server_root, _known_config_dir(local_root))
        return 0
    if view.status is HaspStatus.NOT_ONLINE:
        changed = {name.lower() for name in (*ctx.invocation.extension_properties,
                                             *ctx.invocation.resource_properties)}
        if ctx.invocation.mode == invocation.CREATE or changed & set(INSTALLATION_PROPERTIES):
            assert view.culprit is not None
            raise CheckFailed(messages.STORAGE_NOT_ONLINE, view.culprit.name)
        _check_contention(ctx, server_root, _known_config_dir(local_root))
        return 0

    inst = installation.inspect(server_root, ctx.log)
    _check_managed(ctx, neighbours.config_dir_of(inst.path), view)
    _check_contention(ctx, server_root, inst.config_dir)
    _warn_about_ha_settings(ctx, inst)
    return 0


def check_probe_timing(ctx: MethodContext) -> None:
    """Retry_interval >= Thorough_probe_interval x Retry_count, with the values about to be
    applied (the command line's over the stored ones)."""
    retry_interval = ctx.props.get_int("Retry_interval")
    probe_interval = ctx.props.get_int("Thorough_probe_interval")
    retry_count = ctx.props.get_int("Retry_count")
    if retry_interval < probe_interval * retry_count:
        raise CheckFailed(messages.RETRY_INTERVAL_TOO_SHORT, retry_interval, probe_interval,
                          retry_count)


def _check_storage_placement(ctx: MethodContext, view: StorageView) -> None:
    if view.status is HaspStatus.ERR_CONFIG:
        assert view.culprit is not None
        raise CheckFailed(messages.STORAGE_IN_OTHER_GROUP, view.culprit.name,
                          view.culprit.group, ctx.group)


def _check_managed(ctx: MethodContext, config_dir: str, view: StorageView) -> None:
    """The configuration directory must lie on a file system of a storage resource we
    depend on, or it would not follow the group to the next node."""
    if view.status is HaspStatus.NO_RESOURCE:
        raise CheckFailed(messages.STORAGE_NOT_MANAGED, _as_configured(config_dir), "")
    if neighbours.managing_mount_point(config_dir, view.mount_points) is None:
        names = ", ".join(ref.name for ref in view.resources)
        mounts = ", ".join(view.mount_points) or "none"
        raise CheckFailed(messages.STORAGE_NOT_MANAGED, _as_configured(config_dir),
                          f" (resources {names} manage {mounts})")


def _as_configured(path: str) -> str:
    """A node path as the administrator writes it (without the stand-in's node root)."""
    root = paths.root()
    if root != "/" and (path == root or path.startswith(root.rstrip("/") + "/")):
        return "/" + os.path.relpath(path, root)
    return path


def _known_config_dir(local_root: str) -> Optional[str]:
    return neighbours.config_dir_of(local_root) if os.path.lexists(local_root) else None


def _check_contention(ctx: MethodContext, server_root: str, config_dir: Optional[str]) -> None:
    """Another SUNW.ims resource must not use our installation or configuration directory
    where both could come to run on one node."""
    try:
        our_nodes = set(ctx.props.get_list("Nodelist", scope=Scope.GROUP))
    except FrameworkError:
        our_nodes = set()
    ours = {os.path.normpath(config_dir), os.path.realpath(config_dir)} if config_dir else set()
    for other in neighbours.other_instances(ctx.resource):
        shared_nodes = not our_nodes or not other.nodes or bool(our_nodes & set(other.nodes))
        same_group = other.ref.group == ctx.group
        if not (shared_nodes or same_group):
            continue
        if other.server_root == server_root:
            raise CheckFailed(messages.INSTANCE_CONTENTION, other.ref.name, "installation",
                              server_root)
        nesting = nested(server_root, other.server_root)
        if nesting is not None:
            raise CheckFailed(messages.INSTANCE_NESTED, server_root, nesting,
                              other.server_root, other.ref.name)
        if other.config_dir and ours:
            theirs = {os.path.normpath(other.config_dir), os.path.realpath(other.config_dir)}
            if ours & theirs:
                raise CheckFailed(messages.INSTANCE_CONTENTION, other.ref.name,
                                  "configuration directory", _as_configured(other.config_dir))


def nested(ours: str, theirs: str) -> Optional[str]:
    """"lies in" or "contains" when one server root is inside the other (pure): the programs
    of /a/b would otherwise be under /a too, and /a's Stop would see them as its own."""
    ours, theirs = ours.rstrip("/"), theirs.rstrip("/")
    if ours != theirs and ours.startswith(theirs + "/"):
        return "lies in"
    if ours != theirs and theirs.startswith(ours + "/"):
        return "contains"
    return None


def _warn_about_ha_settings(ctx: MethodContext, inst: Installation) -> None:
    """Warnings only: Messaging Server runs, but not as an HA deployment should."""
    addresses = neighbours.logical_host_addresses(
        ctx.group, ctx.resource, ctx.props.get_list("Network_resources_used"))
    if addresses:
        for endpoint in inst.config.endpoints:
            if endpoint.port is None or endpoint.protocol is None:
                continue
            if endpoint.address not in addresses:
                where = (f"{endpoint.address}:{endpoint.port}" if endpoint.address
                         else f"all interfaces, port {endpoint.port}")
                ctx.log.emit(messages.NOT_BOUND_TO_LOGICAL_HOST, endpoint.name, where,
                             ", ".join(addresses))
    imta = inst.config.imta
    if imta is not None:
        try:
            nodes = framework.cluster_get("All_nodenames").as_list()
        except FrameworkError:
            nodes = []
        reported: set[tuple[int, str]] = set()
        for node in nodes:
            for mention in imta.mentions_of(node):
                key = (mention.line, mention.host)
                if key not in reported:
                    reported.add(key)
                    ctx.log.emit(messages.IMTA_NAMES_PHYSICAL_HOST, mention.line, mention.host)
    if not inst.config.ha.watcher_enabled.value:
        ctx.log.emit(messages.HA_PARAMETER_OFF, "local.watcher.enable")
    if not inst.config.ha.autorestart.value:
        ctx.log.emit(messages.HA_PARAMETER_OFF, "local.autorestart")
