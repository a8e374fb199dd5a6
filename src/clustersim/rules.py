"""The resource group manager's decisions, as pure functions (no processes, files, time).

Each function answers one question the RGM asks while it works -- in which order do the
resources of a group start, where does a group go, what does a failed Start lead to, may
a fault monitor's scha_control request be honoured -- so that the rules can be read and
unit-tested apart from the machinery that carries them out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

ONLINE_STATES = frozenset({"ONLINE", "ONLINE_NOT_MONITORED", "MONITOR_FAILED", "START_FAILED",
                           "STARTING", "STOPPING", "STOP_FAILED"})
"""Resource states in which Stop must still run before the node is clean."""

RG_UP_STATES = frozenset({"ONLINE", "ONLINE_FAULTED", "PENDING_ONLINE", "ERROR_STOP_FAILED",
                          "PENDING_OFFLINE"})
"""Group states in which the group occupies the node."""

RG_ONLINE_STATES = frozenset({"ONLINE", "ONLINE_FAULTED", "PENDING_ONLINE"})


def online_order(names: Sequence[str], deps: Mapping[str, Iterable[str]],
                 network: Iterable[str] = (), implicit_network: bool = True) -> list[str]:
    """Start order of a group's resources: every strong dependency first.

    `names` is the creation order (kept where dependencies allow); dependencies on
    resources outside `names` do not order anything here. With
    Implicit_network_dependencies, network address resources (LogicalHostname,
    SharedAddress) precede every other resource, as rg_properties(5) says.
    """
    members = list(names)
    net = set(network)
    edges: dict[str, set[str]] = {n: {d for d in deps.get(n, ()) if d in members and d != n}
                                  for n in members}
    if implicit_network:
        for n in members:
            if n not in net:
                edges[n] |= net & set(members)
    order: list[str] = []
    placed: set[str] = set()
    while len(order) < len(members):
        ready = [n for n in members if n not in placed and edges[n] <= placed]
        if not ready:  # a cycle: scrgadm refuses these, but never loop forever
            ready = [n for n in members if n not in placed][:1]
        order.append(ready[0])
        placed.add(ready[0])
    return order


def offline_order(names: Sequence[str], deps: Mapping[str, Iterable[str]],
                  network: Iterable[str] = (), implicit_network: bool = True) -> list[str]:
    """Stop order: the reverse of the start order, dependents first."""
    return list(reversed(online_order(names, deps, network, implicit_network)))


def dependency_cycle(start: str, deps: Mapping[str, Iterable[str]]) -> bool:
    """True if following strong dependencies from `start` leads back to it."""
    seen: set[str] = set()
    stack = list(deps.get(start, ()))
    while stack:
        current = stack.pop()
        if current == start:
            return True
        if current in seen:
            continue
        seen.add(current)
        stack.extend(deps.get(current, ()))
    return False


def candidate_nodes(nodelist: Sequence[str], up: Iterable[str],
                    exclude: Iterable[str] = ()) -> list[str]:
    """Nodes that may master the group, in Nodelist order (its order is the preference)."""
    up_set, excluded = set(up), set(exclude)
    return [n for n in nodelist if n in up_set and n not in excluded]


def pingpong_blocked(event_times: Iterable[float], now: float, interval: int,
                     threshold: int = 1) -> bool:
    """rg_properties(5) Pingpong_interval: a node where the group failed to start (or which
    a scha_control request moved it off) within the last `interval` seconds is not
    eligible. `threshold` is how many such events make it ineligible."""
    return sum(1 for t in event_times if now - t < interval) >= threshold


def start_failure_relocates(failover_mode: str) -> bool:
    """Failover_mode on a failed Start/Prenet_start: SOFT and HARD relocate the group;
    NONE, RESTART_ONLY and LOG_ONLY leave it where it is (resource Start_failed)."""
    return failover_mode.upper() in ("SOFT", "HARD")


def stop_failure_aborts_node(failover_mode: str) -> bool:
    """Failover_mode HARD on a failed Stop: the RGM aborts the node to force the group off.
    Every other mode leaves the resource Stop_failed for the administrator to clear."""
    return failover_mode.upper() == "HARD"


SCHA_CONTROL_TAGS = ("GIVEOVER", "RESTART", "RESOURCE_RESTART", "RESOURCE_IS_RESTARTED",
                     "CHECK_GIVEOVER", "CHECK_RESTART")


def scha_control_refusal(tag: str, failover_mode: str) -> str | None:
    """Why Failover_mode forbids a scha_control request (None: allowed).

    scha_control(1HA): with RESTART_ONLY only RESOURCE_RESTART (and its bookkeeping twin
    RESOURCE_IS_RESTARTED) is honoured; LOG_ONLY forbids every restart and failover.
    """
    mode = failover_mode.upper()
    if mode == "RESTART_ONLY" and tag not in ("RESOURCE_RESTART", "RESOURCE_IS_RESTARTED"):
        return f"Failover_mode is RESTART_ONLY: {tag} is not allowed"
    if mode == "LOG_ONLY":
        return f"Failover_mode is LOG_ONLY: {tag} is not allowed"
    return None


def rg_state_after_online(resource_states: Iterable[str]) -> str:
    """Group state once its resources were started on a node: a Start_failed resource (or a
    failed monitor) makes the group Online_faulted, as scstat(1M) describes."""
    states = list(resource_states)
    if any(s == "STOP_FAILED" for s in states):
        return "ERROR_STOP_FAILED"
    if any(s in ("START_FAILED", "MONITOR_FAILED") for s in states):
        return "ONLINE_FAULTED"
    return "ONLINE"


def rg_state_after_offline(resource_states: Iterable[str]) -> str:
    """Group state once its resources were stopped on a node."""
    return "ERROR_STOP_FAILED" if "STOP_FAILED" in set(resource_states) else "OFFLINE"


def init_nodes(init_nodes_kind: str, nodelist: Sequence[str], installed: Sequence[str],
               up: Iterable[str]) -> list[str]:
    """Where Init/Fini/Boot/Validate run (rt_reg(4) Init_nodes): the group's potential
    primaries, or every node the type is installed on; only nodes that are up."""
    up_set = set(up)
    if init_nodes_kind.upper() == "RT_INSTALLED_NODES":
        pool = [n for n in installed] if "*" not in installed else sorted(up_set)
    else:
        pool = list(nodelist)
    return [n for n in pool if n in up_set]


def restarts_within(event_times: Iterable[float], now: float, window: int) -> int:
    """Num_resource_restarts / Num_rg_restarts: requests within the last `window` s."""
    return sum(1 for t in event_times if now - t < window)
