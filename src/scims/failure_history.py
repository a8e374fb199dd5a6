"""The fault monitor's decision: nothing, wait, restart here, or fail the group over.

This is scds_fm_action(3HA) as a pure function, so that every branch is tested without a
cluster: probe results are scored 0 (healthy) to 100 (complete failure), or 201 (Messaging
Server itself asks for a failover); scores are summed over Retry_interval; a sum that reaches
100 means a restart of the resource, unless the resource was already restarted Retry_count
times within Retry_interval, in which case the resource group is given over to another node.
Failover_mode RESTART_ONLY forbids the giveover and LOG_ONLY forbids any action. The extension
property Failover_enabled FALSE forbids the giveover too, as in Sun's agents of the same
generation (SUNW.iws, SUNW.iim, SUNW.gds): "the application does not restart or fail over to
another node when the number of restarts exceeds the Retry_count within the Retry_interval"
(Sun Cluster 3.1 Data Services Developer's Guide, 816-3385, "Failover_enabled").

The restart count is not kept here: each restart replaces the fault monitor process (the RGM
runs Monitor_stop, Stop, Start, Monitor_start), so the count comes from the RGM
(Num_resource_restarts, which the RGM keeps over Retry_interval).
"""

from __future__ import annotations

import enum
from collections import deque
from dataclasses import dataclass
from typing import Optional

from scims.cluster.scha_errors import SchaError, strerror

COMPLETE_FAILURE = 100
"""SCDS_PROBE_COMPLETE_FAILURE: the service is down or hung."""

IMMEDIATE_FAILOVER = 201
"""SCDS_PROBE_IMMEDIATE_FAILOVER: give the group over now (the watcher gave up in HA mode)."""

FAILOVER_MODES = ("NONE", "SOFT", "HARD", "RESTART_ONLY", "LOG_ONLY")


class Action(enum.Enum):
    """What the fault monitor does after one probe cycle."""

    HEALTHY = "healthy"
    """Everything answered: status OK, whatever failures the history still holds."""
    DEGRADED = "degraded"
    """A partial failure, not yet enough to act: status DEGRADED, keep probing."""
    RESTART = "restart"
    """Restart the resource on this node (scha_control RESOURCE_RESTART)."""
    GIVEOVER = "giveover"
    """Fail the resource group over to another node (scha_control GIVEOVER)."""
    REPORT_ONLY = "report_only"
    """Failover_mode LOG_ONLY: log and set status FAULTED, take no action."""
    EXHAUSTED = "exhausted"
    """Failover_mode RESTART_ONLY and Retry_count restarts used up: FAULTED, no action."""


@dataclass(frozen=True)
class Decision:
    action: Action
    failure_sum: int
    """The failure history summed over Retry_interval, this cycle included."""
    why: str
    """One sentence for the log: which rule chose the action."""


class FailureHistory:
    """Probe failure scores within the last Retry_interval seconds."""

    def __init__(self, retry_interval: float) -> None:
        if retry_interval <= 0:
            raise ValueError("Retry_interval must be positive")
        self.retry_interval = float(retry_interval)
        self._entries: deque[tuple[float, int]] = deque()

    def record(self, now: float, score: int) -> int:
        """Add one cycle's score (0 adds nothing) and return the sum within the window."""
        self._purge(now)
        if score > 0:
            self._entries.append((now, min(score, COMPLETE_FAILURE)))
        return self.total(now)

    def total(self, now: float) -> int:
        self._purge(now)
        return sum(score for _, score in self._entries)

    def clear(self) -> None:
        """After a successful restart the history starts afresh (scds_fm_action)."""
        self._entries.clear()

    def _purge(self, now: float) -> None:
        horizon = now - self.retry_interval
        while self._entries and self._entries[0][0] <= horizon:
            self._entries.popleft()


def decide(
    score: int,
    failure_sum: int,
    restarts_in_window: int,
    retry_count: int,
    failover_mode: str,
    *,
    failover_enabled: bool = True,
) -> Decision:
    """Choose the action for one probe cycle.

    `score` is this cycle's result, `failure_sum` the history including it, and
    `restarts_in_window` how often the RGM has restarted the resource within Retry_interval.
    `failover_enabled` is the extension property Failover_enabled: FALSE acts as
    RESTART_ONLY does, where Failover_mode itself allows more.
    """
    mode = failover_mode.upper()
    if mode not in FAILOVER_MODES:
        raise ValueError(f"unknown Failover_mode {failover_mode!r}")
    no_giveover = "Failover_mode is RESTART_ONLY"
    if not failover_enabled and mode != "LOG_ONLY":
        mode, no_giveover = "RESTART_ONLY", "Failover_enabled is FALSE"

    if score == IMMEDIATE_FAILOVER:
        if mode == "LOG_ONLY":
            return Decision(Action.REPORT_ONLY, failure_sum,
                            "an immediate failover was requested but Failover_mode is LOG_ONLY")
        if mode == "RESTART_ONLY":
            return _restart_or_exhausted(failure_sum, restarts_in_window, retry_count,
                                         "an immediate failover was requested but "
                                         + no_giveover)
        return Decision(Action.GIVEOVER, failure_sum,
                        "Messaging Server asked for a failover")

    if score == 0:
        # Healed: the status goes back to OK at once. The history still counts, so a failure
        # soon after adds up with the earlier ones.
        kept = f"; failure history {failure_sum} within Retry_interval" if failure_sum else ""
        return Decision(Action.HEALTHY, failure_sum, "every probe succeeded" + kept)
    if failure_sum < COMPLETE_FAILURE:
        return Decision(Action.DEGRADED, failure_sum,
                        f"failure history {failure_sum} is below {COMPLETE_FAILURE}")

    if mode == "LOG_ONLY":
        return Decision(Action.REPORT_ONLY, failure_sum,
                        "the service failed but Failover_mode is LOG_ONLY")
    if restarts_in_window >= retry_count:
        if mode == "RESTART_ONLY":
            return Decision(Action.EXHAUSTED, failure_sum,
                            f"{restarts_in_window} restarts within Retry_interval reach "
                            f"Retry_count {retry_count} and {no_giveover}")
        return Decision(Action.GIVEOVER, failure_sum,
                        f"{restarts_in_window} restarts within Retry_interval reach "
                        f"Retry_count {retry_count}")
    return Decision(Action.RESTART, failure_sum,
                    f"restart {restarts_in_window + 1} of {retry_count} within Retry_interval")


def _restart_or_exhausted(failure_sum: int, restarts: int, retry_count: int,
                          why: str) -> Decision:
    if restarts >= retry_count:
        return Decision(Action.EXHAUSTED, failure_sum, why + "; Retry_count restarts used up")
    return Decision(Action.RESTART, failure_sum, why + "; restarting instead")


def after_rejected_giveover(failure_mode_decision: Decision, why: str = "") -> Decision:
    """A rejected GIVEOVER (no healthy node, Pingpong_interval) falls back to a restart here;
    `why` is the refusal in words (`explain_refusal`)."""
    return Decision(Action.RESTART, failure_mode_decision.failure_sum,
                    f"the failover was refused ({why}); restarting on this node instead"
                    if why else "the giveover was rejected; restarting on this node instead")


@dataclass(frozen=True)
class RefusalFacts:
    """What the cluster says, when it refused a request, of where else the group could go:
    scha_control answers only SCHA_ERR_CHECKS (scha_control(1HA): "the exit code indicates
    whether the requested action was rejected"), so the reason is worked out from what the
    documented queries tell, in the administrator's terms."""

    group: str
    this_node: str
    nodelist: tuple[str, ...]
    """The group's Nodelist; empty when it could not be read."""
    down: tuple[str, ...] = ()
    """Nodes of the Nodelist that are not cluster members now."""
    pingpong_interval: Optional[int] = None


def explain_refusal(request: str, error: SchaError, facts: RefusalFacts) -> str:
    """Why the cluster refused `request` ("the failover", "the restart"), in words naming
    the property or the nodes behind it, never only an error code's name (the code and its
    scha_strerror text come last, in parentheses, for a search of the documentation)."""
    verdict = f"SCHA_ERR_{error.name}: {strerror(error)}"
    others = [n for n in facts.nodelist if n != facts.this_node]
    if error is SchaError.STATE:
        return (f"{request} was refused: the resource is not online on {facts.this_node} "
                f"(disabled, or being switched or restarted by an administrator) ({verdict})")
    if request != "the failover":
        return f"{request} was refused ({verdict})"
    if facts.nodelist and not others:
        return (f"no other node can master resource group {facts.group}: its Nodelist names "
                f"only {facts.this_node} ({verdict})")
    up = [n for n in others if n not in facts.down]
    if others and not up:
        return (f"no other node can master resource group {facts.group}: "
                f"{_nodes(others)} {'is' if len(others) == 1 else 'are'} not a cluster member"
                f" now ({verdict})")
    if up and facts.pingpong_interval:
        return (f"{_nodes(up)} {'is' if len(up) == 1 else 'are'} up, so the cluster kept the "
                f"group off {'it' if len(up) == 1 else 'them'} by Pingpong_interval "
                f"({facts.pingpong_interval} s: a node that gave resource group {facts.group} "
                f"up, or failed to start it, within that time may not master it) or because "
                f"Monitor_check failed there ({verdict})")
    if up:
        return (f"Monitor_check of the resource failed on {_nodes(up)}, which "
                f"{'is' if len(up) == 1 else 'are'} up (Pingpong_interval is 0) ({verdict})")
    return f"{request} was refused ({verdict})"


def _nodes(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
