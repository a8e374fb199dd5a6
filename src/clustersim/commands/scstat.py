"""scstat(1M): cluster member status and resource group/resource status, in the layout of
Sun Cluster 3.1 (`-- Resource Groups --` tables with `Group:` / `Resource:` rows).

`-g` groups and resources, `-n` nodes, `-p` (and no option) everything, `-v[v]` verbose
(same tables here), `-h node` only that node's rows; `-w` is accepted as in the seed's
`scstat -pw`. Reads the state store directly; the admin sees what the RGM set.
"""

from __future__ import annotations

import sys
from typing import Any

from clustersim.commands import adminargs
from clustersim.errors import ClusterError
from clustersim.layout import ClusterLayout
from clustersim.store import Store

RG_STATES = {"ONLINE": "Online", "OFFLINE": "Offline", "PENDING_ONLINE": "Pending online",
             "PENDING_OFFLINE": "Pending offline", "ERROR_STOP_FAILED": "Error--stop failed",
             "ONLINE_FAULTED": "Online faulted", "UNMANAGED": "Unmanaged"}
RS_STATES = {"ONLINE": "Online", "OFFLINE": "Offline", "START_FAILED": "Start failed",
             "STOP_FAILED": "Stop failed", "MONITOR_FAILED": "Monitor failed",
             "ONLINE_NOT_MONITORED": "Online but not monitored", "STARTING": "Starting",
             "STOPPING": "Stopping"}
STATUSES = {"OK": "Online", "DEGRADED": "Degraded", "FAULTED": "Faulted",
            "UNKNOWN": "Unknown", "OFFLINE": "Offline"}
RULE = "-" * 66


def main(argv: list[str], *, layout: ClusterLayout, node: str) -> int:
    return adminargs.run("scstat", lambda: sys.stdout.write(render(layout, argv)))


def _flags(argv: list[str]) -> tuple[set[str], str | None]:
    flags: set[str] = set()
    only: str | None = None
    it = iter(argv)
    for arg in it:
        if not arg.startswith("-") or arg == "-":
            raise ClusterError(f"unexpected operand \"{arg}\"", "INVAL")
        letters = arg[1:]
        if letters.startswith("h"):
            only = letters[1:] or next(it, None)
            if not only:
                raise ClusterError("option -h requires a node name", "INVAL")
            continue
        for letter in letters:
            if letter not in "DWginpqvw":
                raise ClusterError(f"illegal option -- {letter}", "INVAL")
            flags.add(letter)
    return flags, only


def quorum_lines(layout: ClusterLayout, store: Any, nodes: list[str]) -> list[str]:
    """scstat -q: one vote per node, and the quorum server's in a two-node cluster (present
    when it holds the key of a node that is up)."""
    from clustersim import membership  # noqa: PLC0415

    up = [n for n, _i, s in store.nodes() if s == "UP"]
    device = membership.has_quorum_device(len(nodes))
    device_up = False
    if device:
        keys = _quorum_keys(layout)
        device_up = bool(keys and set(keys) & set(up))
    tally = membership.votes(len(nodes), len(up), device_up)
    lines = [RULE, "", "-- Quorum Summary --", "",
             f"  Quorum votes possible:      {tally.possible}",
             f"  Quorum votes needed:        {tally.needed}",
             f"  Quorum votes present:       {tally.present}", "", "",
             "-- Quorum Votes by Node --", "",
             f"{'':12}{'Node Name':<20}{'Present':<9}{'Possible':<9}Status",
             f"{'':12}{'---------':<20}{'-------':<9}{'--------':<9}------"]
    lines += [f"  Node votes: {n:<20}{1 if n in up else 0:<9}{1:<9}"
              f"{'Online' if n in up else 'Offline'}" for n in nodes]
    if device:
        lines += ["", "", "-- Quorum Votes by Device --", "",
                  f"{'':12}{'Device Name':<20}{'Present':<9}{'Possible':<9}Status",
                  f"{'':12}{'-----------':<20}{'-------':<9}{'--------':<9}------",
                  f"  Device votes: {'qs1':<18}{1 if device_up else 0:<9}{1:<9}"
                  f"{'Online' if device_up else 'Offline'}",
                  f"  (quorum server {membership.QUORUM_SERVER}:{membership.QUORUM_PORT} "
                  "on the client host)"]
    return [*lines, ""]


def _quorum_keys(layout: ClusterLayout) -> list[str] | None:
    """The registration keys the quorum server holds (asked from the client host)."""
    from clustersim import hosts, membership  # noqa: PLC0415

    try:
        lab = hosts.lab(layout)
        if any(h.is_current() for h in lab.hosts.values()):  # typed on a node
            answer = membership.ask_quorum_server("KEYS")
        elif lab.hosts[hosts.CLIENT].is_powered:  # from the machine: through the client
            answer = lab.hosts[hosts.CLIENT].call(membership.ask_quorum_server, "KEYS")
        else:
            return None
    except Exception:  # no hosts: a cluster that is not started
        return None
    if not answer or not answer.startswith("KEYS"):
        return None
    return answer.split()[1:]


def render(layout: ClusterLayout, argv: list[str]) -> str:
    flags, only = _flags(argv)
    store = Store(layout.state_db)
    nodes = [n for n, _i, _s in store.nodes()]
    if only is not None and only not in nodes:
        raise ClusterError(f"node \"{only}\" is not a cluster node", "NODE")
    shown = [only] if only else nodes
    sections = flags & set("DWginq")
    everything = not sections or "p" in flags
    out: list[str] = [""]
    if everything or "n" in flags:
        out += [RULE, "", "-- Cluster Nodes --", "",
                f"{'':20}{'Node name':<20}Status", f"{'':20}{'---------':<20}------"]
        for n, _i, state in store.nodes():
            if n in shown:
                out.append(f"  Cluster node:     {n:<20}{'Online' if state == 'UP' else 'Offline'}")
        out.append("")
    if everything or "g" in flags:
        out += [RULE, "", "-- Resource Groups and Resources --", "",
                f"{'':12}{'Group Name':<20}Resources", f"{'':12}{'----------':<20}---------"]
        for rg in store.rg_names():
            members = " ".join(store.rs_names(rg)) or "-"
            out.append(f" Resources: {rg:<20}{members}")
        out += ["", "", "-- Resource Groups --", "",
                f"{'':12}{'Group Name':<20}{'Node Name':<20}State",
                f"{'':12}{'----------':<20}{'---------':<20}-----"]
        for rg in store.rg_names():
            for n in shown:
                state = RG_STATES.get(store.rg_state(rg, n), store.rg_state(rg, n))
                out.append(f"     Group: {rg:<20}{n:<20}{state}")
        rows = []
        for rg in store.rg_names():
            for rs in store.rs_names(rg):
                for n in shown:
                    state, status, msg = store.rs_state(rs, n)
                    text = STATUSES.get(status, status) + (f" - {msg}" if msg else "")
                    rows.append((rs, n, RS_STATES.get(state, state), text))
        width = max([10, *(len(r[2]) + 2 for r in rows)])  # "Start failed" needs more than 10
        out += ["", "", "-- Resources --", "",
                f"{'':12}{'Resource Name':<20}{'Node Name':<20}{'State':<{width}}Status Message",
                f"{'':12}{'-------------':<20}{'---------':<20}{'-----':<{width}}--------------"]
        out += [f"  Resource: {rs:<20}{n:<20}{state:<{width}}{text}"
                for rs, n, state, text in rows]
        out.append("")
    if everything or "q" in flags:
        out += quorum_lines(layout, store, nodes)
    out.append(RULE)
    return "\n".join(line.rstrip() for line in out) + "\n"
