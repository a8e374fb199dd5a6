"""cluster(1CL), the global-properties part: `cluster set -p name=value ...` and
`cluster show -t global` for heartbeat_quantum and heartbeat_timeout (milliseconds), the
two settings of cluster membership (clustersim.membership)."""

from __future__ import annotations

import sys

from clustersim import membership
from clustersim.layout import ClusterLayout

PROG = "cluster"
USAGE = "usage: cluster set -p name=value [-p name=value ...] | cluster show [-t global]"


def main(argv: list[str], *, layout: ClusterLayout, node: str) -> int:
    del node
    if argv[:1] == ["set"]:
        changes: dict[str, str] = {}
        args = argv[1:]
        while args:
            if args[0] != "-p" or len(args) < 2 or "=" not in args[1]:
                print(f"{PROG}: {USAGE}", file=sys.stderr)
                return 1
            name, _, value = args[1].partition("=")
            changes[name.strip()] = value.strip()
            args = args[2:]
        if not changes:
            print(f"{PROG}: {USAGE}", file=sys.stderr)
            return 1
        try:
            membership.change_settings(layout.base, changes)
        except ValueError as exc:
            print(f"{PROG}: {exc}", file=sys.stderr)
            return 1
        return 0
    if argv[:1] == ["show"] and argv[1:] in ([], ["-t", "global"]):
        values = membership.settings(layout.base)
        print("=== Cluster ===\n")
        print(f"  heartbeat_quantum:      {values['heartbeat_quantum']}")
        print(f"  heartbeat_timeout:      {values['heartbeat_timeout']}")
        return 0
    print(f"{PROG}: {USAGE}", file=sys.stderr)
    return 1
