"""Everything Validate reads, in one place: the properties, the framework, the node's files.

The properties come first from what the RGM passes on the command line (`-r`, `-x`, `-g`:
every property on creation, the changed ones on an update) and only then from the cluster,
each asked once (`PropertyView`). The cluster's other resources and groups come from one
`ClusterDirectory`, which asks each question once too.

The gathering goes in stages, and stops as soon as the facts at hand already refuse the
change (`rules.first_refusal`): a Retry_interval that is too short is reported without a
look at the storage; a server root that is not a plain path is never looked up on the node;
an installation is only inspected where its storage is online here.
"""

from __future__ import annotations

import os
from dataclasses import replace
from typing import Optional

from scims import RESOURCE_TYPE
from scims.cluster import invocation
from scims.cluster.directory import ClusterDirectory, ResourceRef
from scims.cluster.invocation import PropertyView, Scope
from scims.cluster.logical_hosts import addresses
from scims.cluster.storage import HaspStatus, hasp_check
from scims.errors import CheckFailed, FrameworkError
from scims.messaging import installation
from scims.messaging.installation import Installation
from scims.method_runtime import MethodContext
from scims.validation import rules
from scims.validation.facts import (
    Facts,
    HaConfiguration,
    InstallationFacts,
    OtherInstance,
    Place,
    ProbeTiming,
    ServerRootSetting,
)
from scims.validation.findings import Finding


def place(path: str, configured: Optional[str] = None) -> Place:
    """A directory of this node in the forms rules compare: as written, and as resolved."""
    return Place(configured if configured is not None else path,
                 frozenset({os.path.normpath(path), os.path.realpath(path)}))


def probe_timing(props: PropertyView) -> ProbeTiming:
    return ProbeTiming(props.get_int("Retry_interval"), props.get_int("Thorough_probe_interval"),
                       props.get_int("Retry_count"))


def _ha_configuration(inst: Installation) -> HaConfiguration:
    config = inst.config
    mentions = tuple(config.imta.host_mentions) if config.imta is not None else ()
    return HaConfiguration(tuple(config.endpoints), mentions, config.ha.watcher_enabled.value,
                           config.ha.autorestart.value)


def _inspected(ctx: MethodContext, server_root: str) -> InstallationFacts:
    """installation.inspect, its refusal kept as a fact."""
    try:
        inst = installation.inspect(server_root, ctx.log)
    except CheckFailed as exc:
        return InstallationFacts(refusal=Finding.of(exc))
    return InstallationFacts(config_dir=place(inst.config_dir), ha=_ha_configuration(inst))


def _other_instances(directory: ClusterDirectory, facts: Facts,
                     resource: str) -> tuple[OtherInstance, ...]:
    """Every other SUNW.ims resource of the cluster, with what it uses."""
    found: list[OtherInstance] = []
    for group in directory.groups():
        for ref in directory.members(group):
            if ref.name == resource or ref.base_type != RESOURCE_TYPE:
                continue
            try:
                value = directory.extension(ref, "IMS_serverroot")
            except FrameworkError:
                continue
            root = str(value).rstrip("/")
            if not root.startswith("/"):
                continue
            config = (place(installation.config_dir_of(root))
                      if os.path.lexists(root) else None)
            nodes = facts.our_nodes if group == facts.group else directory.nodes(group)
            found.append(OtherInstance(ref, root, config, tuple(nodes)))
    return tuple(found)


def gather(ctx: MethodContext) -> Facts:
    """The facts `rules.decide` needs about this Validate call, and no more."""
    props, inv = ctx.props, ctx.invocation
    facts = Facts(
        timing=probe_timing(props),
        creating=inv.mode == invocation.CREATE,
        changed=frozenset(name.lower() for name in (*inv.extension_properties,
                                                    *inv.resource_properties)),
        group=ctx.group,
    )
    if rules.first_refusal(facts):
        return facts
    facts = replace(facts, server_root=ServerRootSetting(ctx.server_root_value()))
    server_root = rules.server_root(facts)
    if server_root is None:
        return facts

    # The cluster: one scan tells every resource's group and type.
    directory = ClusterDirectory()
    directory.know(ResourceRef(ctx.resource, ctx.group, ctx.resource_type))
    directory.scan()
    our_nodes = props.get_list("Nodelist", scope=Scope.GROUP)
    directory.know_nodes(ctx.group, our_nodes)
    view = hasp_check(directory, ctx.group, our_nodes, props.get_list("Resource_dependencies"))
    facts = replace(facts, storage=view, our_nodes=tuple(our_nodes),
                    mount_points=tuple(place(mount) for mount in view.mount_points))
    if rules.first_refusal(facts):
        return facts

    # The node: the installation, as far as its storage lets it be seen here.
    facts = replace(
        facts,
        server_root_is_directory=os.path.isdir(server_root),
        config_link_dir=(place(installation.config_dir_of(server_root))
                         if os.path.lexists(server_root) else None),
    )
    if view.status in (HaspStatus.ONLINE_LOCAL, HaspStatus.NO_RESOURCE):
        facts = replace(facts, installation=_inspected(ctx, server_root))
    if rules.first_refusal(facts):
        return facts

    facts = replace(facts, others=_other_instances(directory, facts, ctx.resource))
    if rules.first_refusal(facts) or facts.installation is None \
            or facts.installation.ha is None:
        return facts

    # What the HA warnings compare the configuration with.
    logical = addresses(directory, ctx.group, ctx.resource,
                        props.get_list("Network_resources_used"))
    cluster_nodes: tuple[str, ...] = ()
    if facts.installation.ha.imta_mentions:
        try:
            cluster_nodes = directory.cluster_nodes()
        except FrameworkError:
            cluster_nodes = ()
    return replace(facts, logical_addresses=tuple(logical), cluster_nodes=cluster_nodes)
