"""The campaign checks imsreport (issue 24): the nodes' logs, read as the report reads them,
must tell each injected fault as exactly one incident of its class on its node, with
detection and recovery within a second of what the campaign itself saw, and tell no
incident where nothing was injected.

The campaign's own figures are its ground truth: detection is the first line of the agent
or the engine it saw after the injection, recovery the end of the last outage its probe saw
(both in campaign seconds, turned into wall-clock time here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chaos.history import Fault
from scims.report.incidents import Incident, Truth, incidents, match

TOLERANCE = 1.0
"""Seconds either way of what a log stamp says (issue 24: within 1 s of the ground truth)."""
RESOLUTION = 1.0
"""Syslog (Solaris' /var/adm/messages, the bed's syslog) stamps whole seconds: a line
stamped hh:mm:ss came during that second."""


@dataclass
class CrossCheck:
    matched: int = 0
    told: int = 0
    """faults the logs could tell (the others must have no incident)"""
    missing: list[str] = field(default_factory=list)
    unexplained: list[str] = field(default_factory=list)
    pairs: list[dict[str, Any]] = field(default_factory=list)
    """each fault beside its incident, in campaign seconds, for whoever reads summary.json"""

    @property
    def green(self) -> bool:
        return not self.missing and not self.unexplained

    def summary(self) -> dict[str, Any]:
        return {"report_matched": self.matched, "report_expected": self.told,
                "report_missing": self.missing,
                "report_unexplained": self.unexplained, "report_pairs": self.pairs}


def read_logs(files: dict[str, Path]) -> list[str]:
    """Every line of the nodes' logs (read before the cluster is torn down)."""
    lines: list[str] = []
    for path in files.values():
        try:
            lines += path.read_text(errors="replace").splitlines()
        except OSError:
            continue
    return lines


def truths(faults: list[Fault], wall_zero: float) -> list[Truth]:
    """What the campaign knows of each fault the logs could tell, in wall-clock seconds. A
    fault no line of any log answered (a daemon the watcher restarted unseen, load that
    slowed nothing) is no incident: if the report tells one there, it is unexplained."""
    def at(f: Fault, seconds: float | None) -> float | None:
        return None if seconds is None else wall_zero + f.injected_at + seconds
    # a partition hits the cluster: the side that loses quorum leaves, whichever it is
    return [Truth(f.cls, None if f.cls == "partition" else f.node, at(f, f.detected_s),
                  at(f, f.recovered_s))
            for f in faults if f.kind == "fault" and f.detected_s is not None]


def _said(i: Incident, wall_zero: float) -> str:
    recovered = ("never" if i.recovered_at is None
                 else f"{i.recovered_at - wall_zero:.1f} s")
    return (f"{i.cls} on {i.node} detected at {i.detected_at - wall_zero:.1f} s, "
            f"recovered {recovered}")


def cross_check(faults: list[Fault], lines: list[str], wall_zero: float,
                wall_end: float) -> CrossCheck:
    """Match the report's incidents to the campaign's faults. Pure but for the report."""
    found = incidents(lines, (wall_zero, wall_end))
    wanted = truths(faults, wall_zero)
    hits, left = match(wanted, found, TOLERANCE, RESOLUTION)
    result = CrossCheck(matched=sum(1 for h in hits if h is not None), told=len(wanted))
    for truth, hit in zip(wanted, hits):
        if hit is None:
            near = [i for i in found if i.node == truth.node]
            close = min(near, key=lambda i: abs(i.detected_at - (truth.detected_at or 0)),
                        default=None)
            nearest = (f" (nearest: {_said(close, wall_zero)})" if close
                       else " (no incident on that node)")
            recovered = ("never" if truth.recovered_at is None
                         else f"{truth.recovered_at - wall_zero:.1f} s")
            result.missing.append(
                f"{truth.cls} on {truth.node} detected at "
                f"{(truth.detected_at or 0) - wall_zero:.1f} s, recovered {recovered}"
                + nearest)
    result.unexplained = [_said(i, wall_zero) for i in left]

    def rel(t: float | None) -> float | None:
        return None if t is None else round(t - wall_zero, 2)
    for truth, hit in zip(wanted, hits):
        result.pairs.append({"class": truth.cls, "node": truth.node,
                             "detected": rel(truth.detected_at),
                             "recovered": rel(truth.recovered_at),
                             "report": None if hit is None else {
                                 "class": hit.cls, "node": hit.node,
                                 "detected": rel(hit.detected_at),
                                 "recovered": rel(hit.recovered_at)}})
    result.pairs += [{"report": {"class": i.cls, "node": i.node, "detected": rel(i.detected_at),
                                 "recovered": rel(i.recovered_at)}} for i in left]
    return result
