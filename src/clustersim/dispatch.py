"""Entry of every generated command in a node's /usr/cluster/bin (and built-in methods).

Kept tiny and import-light: scha_*_get runs many times per method, so a wrapper imports
only this module and the one command it runs.
"""

from __future__ import annotations

import sys

COMMANDS: dict[str, str] = {
    "scha_resource_get": "clustersim.commands.scha:resource_get",
    "scha_resourcegroup_get": "clustersim.commands.scha:resourcegroup_get",
    "scha_resourcetype_get": "clustersim.commands.scha:resourcetype_get",
    "scha_cluster_get": "clustersim.commands.scha:cluster_get",
    "scha_resource_setstatus": "clustersim.commands.scha:resource_setstatus",
    "scha_control": "clustersim.commands.scha:control",
    "pmfadm": "clustersim.pmfadm:main",
    "hatimerun": "clustersim.hatimerun:main",
    "scrgadm": "clustersim.commands.scrgadm:main",
    "scswitch": "clustersim.commands.scswitch:main",
    "scstat": "clustersim.commands.scstat:main",
    "cluster": "clustersim.commands.cluster:main",
    "clresourcetype": "clustersim.commands.objcli:clresourcetype",
    "clrt": "clustersim.commands.objcli:clresourcetype",
    "clresourcegroup": "clustersim.commands.objcli:clresourcegroup",
    "clrg": "clustersim.commands.objcli:clresourcegroup",
    "clresource": "clustersim.commands.objcli:clresource",
    "clrs": "clustersim.commands.objcli:clresource",
    "clreslogicalhostname": "clustersim.commands.objcli:clreslogicalhostname",
    "clrslh": "clustersim.commands.objcli:clreslogicalhostname",
}

LIGHT = ("pmfadm", "hatimerun")
"""Commands (besides scha_*) that get a `paths.CommandLayout`: they run several times per
method and need only a socket's path."""


def run(command: str, argv: list[str], cluster: str, node: str) -> int:
    if command.startswith("scha_") or command in LIGHT:
        from clustersim.paths import CommandLayout  # noqa: PLC0415

        layout = CommandLayout(cluster)
    else:
        from pathlib import Path  # noqa: PLC0415

        from clustersim.layout import ClusterLayout  # noqa: PLC0415

        layout = ClusterLayout(Path(cluster))
    target = COMMANDS.get(command)
    if target is None:
        from clustersim.builtin import METHODS  # noqa: PLC0415

        if command not in METHODS:
            print(f"{command}: unknown clustersim command", file=sys.stderr)
            return 1
        from clustersim.builtin.methods import main as method_main  # noqa: PLC0415

        return method_main(argv, layout=layout, node=node, method=command)
    module, func = target.split(":")
    try:
        __import__(module)
        return int(getattr(sys.modules[module], func)(argv, layout=layout, node=node) or 0)
    except KeyboardInterrupt:
        return 130
