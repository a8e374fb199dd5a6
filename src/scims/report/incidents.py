"""Believed events in, incidents out: fault -> detection -> decision -> recovery. Pure.

Why a state machine per service (a resource group on Sun Cluster, the agent's resource on
Pacemaker): what the administrator asks is "when was mail down and why", and every line of
one outage concerns the group that carries mail. An incident opens at the first sign of a
fault (an agent line naming a failure, a node that left the cluster, a group leaving its
node without one), gathers the decisions (restart in place, failover, a refused giveover
and its reason), and closes when the service answers again: the Start method returned on a
node (it returns only once every service answers), the group online on a node, or the
fault monitor's "healthy again". What needs a human (no action taken, a stop that failed,
no node left to master the group, an incident still open at the end) is marked so.

The classes are the chaos campaign's fault classes (src/chaos/schedule.py), so that the
campaign can match each injected fault to one incident: kill-daemon, kill-watcher,
hang-daemon, hang-stop-msg, power-off, freeze, net-cut, partition, switchover, double,
disk-full, load. On a two-node cluster a partition and a cut network look the same in the
logs (the side without quorum aborts itself): the report names both net-cut, and
`SAME_SIGNATURE` says which classes share a signature. A line that needs a human with no
fault of a known class before it (Messaging Server already running outside the cluster's
control, say) is an incident of class `other`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Optional

from scims.report.lines import Event, Reading, Tally, parse_line

CLASSES = ("kill-daemon", "kill-watcher", "hang-daemon", "hang-stop-msg", "power-off",
           "freeze", "net-cut", "partition", "switchover", "double", "disk-full", "load")
SAME_SIGNATURE = {"partition": "net-cut"}
"""Classes the logs cannot tell apart, and the name the report gives them. (A net-cut also
reads as power-off when the cut node's "quorum lost" line never reached the log host: see
docs/imsreport.md, "What the log host cannot have".)"""

NODE_CLASSES = ("power-off", "freeze", "net-cut")
SLOW_GAP = 60.0
"""Seconds after the last slow probe within which another slow probe is the same load."""
CMM_LINK = 30.0
"""Seconds between the membership monitor's "declared dead" and rgmd's "left the cluster"
within which both are one departure."""

_FAILURE_TRIGGERS = {"WATCHER_DIED": "kill-watcher", "WATCHER_NOT_RUNNING": "kill-watcher",
                     "SERVER_GAVE_UP": "kill-daemon", "SERVICE_FAILED": None,
                     "START_FAILED": None, "SERVICE_SLOW": "load",
                     "PROCESS_HUNG": "hang-daemon", "ENDING_HUNG": "hang-daemon",
                     "ENDING_HUNG_FOR_WATCHER": "hang-daemon", "DELIVERY_STUCK": "hang-daemon",
                     "STORE_FULL": "disk-full"}
_DECISIONS = {"RESTARTING": "restart in place", "GIVING_OVER": "fail over",
              "ENDING_HUNG_FOR_WATCHER": "restart in place",
              "CONTROL_REJECTED": "refused", "NO_ACTION_TAKEN": "no action"}
_HUMAN_AGENT = {"NO_ACTION_TAKEN", "STOP_FAILED", "ALREADY_RUNNING"}
_HUMAN_ENGINE = {"stays", "no-node-up", "no-node-after"}
_DISK_WORDS = ("no space left", "enospc", "disk full", "file system full", "quota exceeded")


@dataclass(frozen=True)
class Window:
    """The time the report covers, in seconds since the epoch (reference clock)."""

    start: float
    end: float

    def holds(self, when: float) -> bool:
        return self.start <= when <= self.end


@dataclass(frozen=True)
class Decision:
    at: float
    what: str
    why: str
    node: str


@dataclass
class Incident:
    """One outage or fault of a service, as the logs tell it."""

    cls: str
    node: str
    """the node the fault hit"""
    service: str
    """the resource group (Sun Cluster) or resource (Pacemaker) that carries mail"""
    resource: str
    detected_at: float
    fault_at: float
    recovered_at: Optional[float] = None
    recovered_on: str = ""
    decisions: list[Decision] = field(default_factory=list)
    needs_human: str = ""
    causes: list[str] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    provisional: bool = False
    """a group that left its node with no fault seen yet: a switchover if it comes online
    on another node, nothing (an administrator's offline) otherwise"""

    @property
    def outage(self) -> Optional[float]:
        """Seconds from the first sign of the fault to the service answering again."""
        if self.recovered_at is None:
            return None
        return max(0.0, self.recovered_at - self.fault_at)

    @property
    def open(self) -> bool:
        return self.recovered_at is None


def _trigger_class(event: Event) -> Optional[str]:
    """The fault class an agent line names, or None if it names none."""
    if event.kind not in _FAILURE_TRIGGERS:
        return None
    words = event.text.lower()
    if any(w in words for w in _DISK_WORDS):
        return "disk-full"
    named = _FAILURE_TRIGGERS[event.kind]
    if named:
        return named
    if "timed out" in words or "did not answer" in words:
        return "hang-daemon"
    return "kill-daemon"


class _Grouper:
    def __init__(self) -> None:
        self.done: list[Incident] = []
        self.open: dict[str, Incident] = {}
        self.group_of: dict[str, str] = {}
        self.online_on: dict[str, str] = {}
        self.agent_resources: set[str] = set()
        self.mail_on: dict[str, set[str]] = {}
        """the nodes where each service's SUNW.ims resource is online: a group without it
        online carries no mail, and its moves are no incident"""
        self.pending_dead: dict[str, Event] = {}
        self.quorum_lost: dict[str, Event] = {}
        self.fenced: dict[str, Event] = {}

    # --- where things are -------------------------------------------------------------
    def service(self, event: Event) -> str:
        if event.group:
            if event.resource:
                self.group_of[event.resource] = event.group
            return event.group
        if event.resource in self.group_of:
            return self.group_of[event.resource]
        return event.resource

    def _open(self, cls: str, event: Event, service: str, *, fault_at: Optional[float] = None,
              node: Optional[str] = None, provisional: bool = False) -> Incident:
        incident = Incident(cls, node or event.node, service, event.resource, event.at,
                            event.at if fault_at is None else fault_at,
                            provisional=provisional)
        if cls != "switchover":
            incident.causes.append(cls)
        self.open[service] = incident
        return incident

    def _close(self, service: str, at: float, node: str) -> None:
        incident = self.open.pop(service)
        incident.recovered_at = at
        incident.recovered_on = node
        self.done.append(incident)

    def _cause(self, incident: Incident, cls: str, event: Event) -> None:
        """A second sign of a fault in an open incident: the same fault, a sharper name for
        it, or a second fault (double)."""
        if cls in incident.causes or cls == "load":
            return
        if incident.provisional or incident.cls == "switchover":
            incident.cls = cls
            incident.provisional = False
        elif incident.cls == "load":
            incident.cls = cls
        elif event.node != incident.node or (cls in NODE_CLASSES) != (
                incident.cls in NODE_CLASSES):
            incident.cls = "double"
        elif cls == "disk-full":
            incident.cls = cls
        incident.causes.append(cls)

    # --- the events ---------------------------------------------------------------------
    def feed(self, event: Event) -> None:
        service = self.service(event)
        self._end_load(service, event)
        if event.origin == "agent":
            self.agent_resources.add(event.resource)
            self._agent(event, service)
        elif event.origin in ("rgmd", "builtin", "pmf"):
            self._rgmd(event, service)
        elif event.origin == "cmm":
            self._cmm(event)
        elif event.origin == "pacemaker":
            self._pacemaker(event, service)

    def _end_load(self, service: str, event: Event) -> None:
        """A load (slow probes, mail never down) ends at its last slow probe once anything
        else happens to the service, or nothing slow for SLOW_GAP: what comes next is a
        fault of its own."""
        incident = self.open.get(service)
        if incident is None or incident.cls != "load":
            return
        last = max(e.at for e in incident.events)
        if (event.origin == "agent" and _trigger_class(event) is not None
                and event.at - last <= SLOW_GAP):
            return
        self._close(service, last, incident.node)

    def _attach(self, service: str, event: Event) -> Optional[Incident]:
        incident = self.open.get(service)
        if incident is not None:
            incident.events.append(event)
        return incident

    def _agent(self, event: Event, service: str) -> None:
        cls = _trigger_class(event)
        incident = self.open.get(service)
        if cls is None and incident is None and event.kind in _HUMAN_AGENT:
            # a line that needs a human with no fault seen before it: still an incident
            cls = "hang-stop-msg" if event.kind == "STOP_FAILED" else "other"
        if cls is not None:
            if incident is None:
                incident = self._open(cls, event, service)
            else:
                self._cause(incident, cls, event)
        if incident is None:
            return
        incident.events.append(event)
        if event.kind in _DECISIONS:
            incident.decisions.append(Decision(event.at, _DECISIONS[event.kind], event.text,
                                               event.node))
        if event.kind == "STOP_COMMAND_FAILED":
            self._stop_hung(incident)
        if event.kind in _HUMAN_AGENT:
            incident.needs_human = event.text
        if event.kind == "SERVICES_HEALTHY" and not incident.decisions:
            self._close(service, event.at, event.node)
        elif incident.cls == "load" and event.kind == "SERVICE_SLOW":
            incident.recovered_on = event.node  # degraded, never down: see finish()

    @staticmethod
    def _stop_hung(incident: Incident) -> None:
        if "hang-stop-msg" in incident.causes:
            return
        if incident.provisional or incident.cls == "switchover":
            incident.cls = "hang-stop-msg"
            incident.provisional = False
        incident.causes.append("hang-stop-msg")

    def _rgmd(self, event: Event, service: str) -> None:
        kind = event.kind
        if kind == "node-left":
            self._node_left(event)
            return
        if kind == "node-joined":
            return
        if kind == "fenced":
            node = event.fields.get("node", "")
            self.fenced[node] = event
            # it ran on after it left: frozen, or cut off and not yet aborted
            self._sharpen(node, event.at, "net-cut" if self._lost_quorum(node, event.at)
                          else "freeze", ("power-off",), event)
            return
        if kind == "rg-state":
            self._group_state(event, service)
            return
        if kind == "method-launch" and event.method.startswith("ims_"):
            self.agent_resources.add(event.resource)
        if kind == "r-state" and event.resource in self.agent_resources:
            state = event.fields.get("state")
            where = self.mail_on.setdefault(service, set())
            if state == "R_ONLINE":
                where.add(event.fields.get("node", event.node))
            elif state == "R_OFFLINE":
                where.discard(event.fields.get("node", event.node))
        incident = self._attach(service, event)
        if incident is None:
            if kind == "method-timeout" and event.method.startswith("ims_svc_stop"):
                incident = self._open("hang-stop-msg", event, service)
                incident.events.append(event)
            return
        if kind == "method-timeout" and event.method == "ims_svc_stop":
            self._stop_hung(incident)
        elif kind in ("giveover", "relocating"):
            incident.decisions.append(Decision(event.at, "fail over", event.text, event.node))
        elif kind in ("control-rejected", "control-rejected-group"):
            incident.decisions.append(Decision(event.at, "refused", event.text, event.node))
        elif kind == "hard-abort":
            incident.decisions.append(Decision(event.at, "abort the node", event.text,
                                               event.node))
        elif kind in _HUMAN_ENGINE:
            incident.needs_human = event.text
        elif kind == "method-ok" and event.method == "ims_svc_start":
            self._answering(service, incident, event)

    def _answering(self, service: str, incident: Incident, event: Event) -> None:
        """ims_svc_start returned on a node: it returns only once every service answers,
        so mail answers again there (a second before the group reads RG_ONLINE)."""
        node = event.fields.get("node", event.node)
        if incident.provisional:
            if node != incident.node:
                incident.provisional = False
                self._close(service, event.at, node)
            return
        if incident.cls in NODE_CLASSES and node == incident.node:
            return
        self._close(service, event.at, node)

    def _group_state(self, event: Event, service: str) -> None:
        state = event.fields.get("state", "")
        node = event.fields.get("node", event.node)
        incident = self.open.get(service)
        if incident is not None:
            incident.events.append(event)
        if state == "RG_ONLINE":
            self.online_on[service] = node
            if incident is None:
                return
            if incident.provisional and node == incident.node:
                del self.open[service]  # back where it was: an administrator's restart
                return
            if incident.provisional:
                incident.provisional = False
            if incident.cls in NODE_CLASSES and node == incident.node:
                return  # the node's own view before it left; the service is elsewhere
            self._close(service, event.at, node)
        elif state == "RG_PENDING_OFFLINE" and incident is None:
            if self.online_on.get(service) == node and node in self.mail_on.get(service, ()):
                new = self._open("switchover", event, service, provisional=True)
                new.events.append(event)
        elif state == "ERROR_STOP_FAILED" and incident is not None:
            incident.needs_human = event.text

    def _cmm(self, event: Event) -> None:
        if event.kind == "node-dead":
            self.pending_dead[event.fields.get("node", "")] = event
        elif event.kind == "quorum-lost":
            self.quorum_lost[event.node] = event
            # the cut node's own line may be stamped after the survivors' "left"
            self._sharpen(event.node, event.at, "net-cut", ("power-off", "freeze"), event)

    def _lost_quorum(self, node: str, at: float) -> bool:
        lost = self.quorum_lost.get(node)
        return lost is not None and abs(at - lost.at) <= CMM_LINK

    def _sharpen(self, node: str, at: float, cls: str, was: tuple[str, ...],
                 event: Event) -> None:
        """A later line says what a node's departure was: the incident of it is renamed."""
        for incident in [*self.open.values(), *self.done[-8:]]:
            if (incident.node == node and incident.cls in was
                    and -CMM_LINK <= at - incident.detected_at <= CMM_LINK):
                incident.cls = cls
                incident.causes.append(cls)
                incident.events.append(event)

    def _node_left(self, event: Event) -> None:
        node = event.fields.get("node", "")
        cls = "power-off"
        fenced = self.fenced.get(node)
        if self._lost_quorum(node, event.at):
            cls = "net-cut"
        elif fenced is not None and abs(event.at - fenced.at) <= CMM_LINK:
            cls = "freeze"  # it was not off: it ran on, and was fenced
        self._node_fault(node, cls, event)

    def _node_fault(self, node: str, cls: str, event: Event) -> None:
        for incident in [*self.open.values(), *self.done[-8:]]:
            if (incident.node == node and incident.cls in (*NODE_CLASSES, "double")
                    and 0 <= event.at - incident.detected_at <= CMM_LINK):
                incident.events.append(event)  # every survivor logs the departure
                return
        dead = self.pending_dead.get(node)
        detected = event.at
        fault_at = event.at
        if dead is not None and 0 <= event.at - dead.at <= CMM_LINK:
            detected = min(detected, dead.at)
            fault_at = detected - float(dead.fields.get("silent") or 0)
        services = [s for s, where in self.online_on.items() if where == node]
        hit = [s for s in services if s in self.open] or [
            s for s, i in self.open.items() if i.node == node]
        if hit:
            for s in hit:
                incident = self.open[s]
                if dead is not None:
                    incident.events.append(dead)
                incident.events.append(event)
                self._cause(incident, cls, event)
            return
        key = services[0] if services else f"node:{node}"
        incident = self._open(cls, event, key, fault_at=fault_at, node=node)
        incident.detected_at = detected
        if dead is not None:
            incident.events.append(dead)
        incident.events.append(event)
        if not services:
            self._close(key, event.at, "")  # nothing of mail ran there

    def _pacemaker(self, event: Event, service: str) -> None:
        kind = event.kind
        result = event.fields.get("result", "").lower()
        failed = result not in ("ok", "cancelled", "")
        op = event.fields.get("op", "")
        if kind == "pcmk-node-lost":
            self._node_fault(event.fields.get("node", ""), "power-off", event)
            return
        incident = self._attach(service, event)
        if kind == "pcmk-result" and event.resource in self.agent_resources:
            node = event.fields.get("node", event.node)
            if op == "monitor" and failed and incident is None:
                incident = self._open("kill-daemon", event, service)
                incident.events.append(event)
            elif op == "start" and result == "ok" and incident is not None:
                self.online_on[service] = node
                if incident.provisional and node == incident.node:
                    del self.open[service]  # stopped and started where it was: no fault
                else:
                    incident.provisional = False
                    self._close(service, event.at, node)
            elif (op == "stop" and result == "ok" and incident is None
                  and self.online_on.get(service) == node):
                # stopped with no fault seen: a move (crm_resource --move) if it starts
                # elsewhere next
                self._open("switchover", event, service, node=node,
                           provisional=True).events.append(event)
            elif op == "stop" and failed and incident is not None:
                incident.needs_human = event.text
            elif op in ("monitor", "start") and result == "ok":
                self.online_on[service] = node
        elif kind == "pcmk-action" and incident is None:
            moving = re.fullmatch(r"\s*([\w.-]+) -> [\w.-]+\s*", event.fields.get("detail", ""))
            if moving and event.resource in self.agent_resources and \
                    service not in self.online_on:
                self.online_on[service] = moving[1]  # where it ran, from the scheduler's word
        elif kind == "pcmk-action" and incident is not None:
            what = event.fields.get("action", "").lower()
            incident.decisions.append(Decision(
                event.at, "fail over" if what == "move" else "restart in place"
                if what in ("recover", "restart") else what, event.text, event.node))
        elif kind in ("pcmk-fence-request", "pcmk-fenced") and incident is not None:
            incident.decisions.append(Decision(event.at, "fence", event.text, event.node))

    def finish(self) -> list[Incident]:
        for service, incident in list(self.open.items()):
            if incident.provisional:
                continue  # a group taken offline on purpose: no fault
            if incident.cls == "load":
                last = max(e.at for e in incident.events)
                incident.recovered_at = last
                incident.recovered_on = incident.node
            elif not incident.needs_human:
                incident.needs_human = (f"{service} has not answered again by the end of the "
                                        "window")
            self.done.append(incident)
            del self.open[service]
        found = [i for i in self.done if not i.provisional]
        for incident in found:
            incident.events.sort(key=lambda e: e.at)
        return sorted(found, key=lambda i: i.detected_at)


def group_events(events: Iterable[Event], window: Window) -> list[Incident]:
    """Incidents from believed events (any order) that overlap the window. The events
    before the window set the scene only (where each group is online, which node holds
    mail), so that the first switchover after `--from` is still told as one. Pure."""
    grouper = _Grouper()
    for event in sorted((e for e in events if e.at <= window.end), key=lambda e: e.at):
        grouper.feed(event)
    return [i for i in grouper.finish()
            if i.recovered_at is None or i.recovered_at >= window.start]


def parse_lines(lines: Iterable[tuple[str, str]],
                reading: Reading) -> tuple[list[Event], Tally]:
    """Believed events of (node, line) pairs; `node` names the log a line came from (a
    line that names its host is that host's)."""
    tally = Tally()
    events: list[Event] = []
    for node, line in lines:
        tally.read += 1
        event, recognised = parse_line(line, node, reading)
        if event is not None:
            events.append(event)
            tally.believed += 1
        elif recognised:
            tally.disbelieved += 1
    return events, tally


def incidents(lines: Iterable[str | tuple[str, str]], window: Window | tuple[float, float],
              offsets: Optional[dict[str, float]] = None,
              facilities: frozenset[str] = frozenset({"daemon"})) -> list[Incident]:
    """The chaos campaign's entry: log lines (each a line naming its host, or a (node,
    line) pair) and a window -> incidents, each with cls, node, detected_at, recovered_at.
    `offsets`: seconds each node's clock is ahead of the reference clock."""
    if not isinstance(window, Window):
        window = Window(*window)
    pairs = ((item if isinstance(item, tuple) else ("", item)) for item in lines)
    events, _tally = parse_lines(pairs, Reading(window.end, facilities, dict(offsets or {})))
    return group_events(events, window)


# --- the chaos campaign's cross-check ------------------------------------------------------


@dataclass(frozen=True)
class Truth:
    """What the campaign knows of one injected fault: its class, the node it hit (None for
    a fault of the cluster, a switchover say), and when (seconds since the epoch) the
    campaign saw it detected and recovered."""

    cls: str
    node: Optional[str]
    detected_at: Optional[float]
    recovered_at: Optional[float]


def same_class(fault: str, incident: str) -> bool:
    """Whether an incident's class names the fault's (SAME_SIGNATURE: what the logs cannot
    tell apart)."""
    return SAME_SIGNATURE.get(fault, fault) == SAME_SIGNATURE.get(incident, incident)


def _close_enough(truth: Optional[float], seen: Optional[float], tolerance: float,
                  resolution: float = 0.0) -> bool:
    """Whether `truth` lies within `tolerance` of the time a log stamp stands for: a stamp
    of whole seconds (`resolution` 1) says the event came in [seen, seen + 1)."""
    if truth is None or seen is None:
        return truth is None and seen is None
    return seen - tolerance <= truth <= seen + resolution + tolerance


def match(faults: Iterable[Truth], found: Iterable[Incident], tolerance: float = 1.0,
          resolution: float = 0.0) -> tuple[list[Optional[Incident]], list[Incident]]:
    """Each fault's incident (the same class on the same node, detection and recovery within
    `tolerance` seconds of what the log stamps, of `resolution` seconds, say), or None; and
    the incidents no fault explains. An incident serves one fault at most. Pure."""
    left = sorted(found, key=lambda i: i.detected_at)
    matched: list[Optional[Incident]] = []
    for fault in faults:
        hit = next((i for i in left if same_class(fault.cls, i.cls)
                    and (fault.node is None or fault.node == i.node)
                    and _close_enough(fault.detected_at, i.detected_at, tolerance, resolution)
                    and _close_enough(fault.recovered_at, i.recovered_at, tolerance,
                                      resolution)), None)
        if hit is not None:
            left.remove(hit)
        matched.append(hit)
    return matched, left
