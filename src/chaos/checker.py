"""The checker: from the history and what was read back after the campaign, the verdict.

Pure (Jepsen's way: a history first, then a verdict): nothing here looks at the machine.
Green only when every message that got a 250 is in the store exactly once, nothing refused
was delivered, no temporary condition got a 5xx, the shared disk was never mounted on two
hosts at once and its file system is clean, the queue is empty and the store holds no
temporary file, no resource or group ended failed, no fault needed a human, and nothing of
the bed is left running.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from chaos.history import ACCEPTED, NO_REPLY, REFUSED, Attempt, Fault, History


@dataclass
class Readback:
    """What the campaign found after the final recovery."""

    store: Counter[str] = field(default_factory=Counter)
    """Message-ID -> copies in the store."""
    queue: list[str] = field(default_factory=list)
    """Queue files still waiting after the drain."""
    temp_files: list[str] = field(default_factory=list)
    """Temporary files of mailstore.durable_write left in the store."""
    queue_temp_files: list[str] = field(default_factory=list)
    """The same in the queue: a submission cut before its queue file was renamed into
    place (never acknowledged), counted but not in the verdict (the issue asks for no
    temporary file in the store and no message in the queue)."""
    store_read: bool = False
    """Whether the store could be read at all (the group online somewhere at the end)."""
    fsck_ok: bool | None = None
    fsck_output: str = ""
    end_state: list[str] = field(default_factory=list)
    """Resources and groups in a failed state at the end (empty: none)."""
    leftovers: list[str] = field(default_factory=list)
    """Processes, network namespaces, loop devices of the bed still there after teardown."""


@dataclass
class Verdict:
    lost: list[str]
    duplicated: dict[str, int]
    duplicate_reasons: dict[str, str]
    refused_delivered: list[str]
    permanent_for_temporary: list[str]
    double_mounts: list[tuple[float, list[str]]]
    stuck: list[str]
    needed_human: list[str]
    fsck_ok: bool | None
    queue: list[str]
    temp_files: list[str]
    leftovers: list[str]
    availability: float
    attempted: int
    accepted: int
    no_reply_delivered: int
    no_reply_missing: int
    problems: list[str]

    @property
    def green(self) -> bool:
        return not self.problems

    def line(self) -> str:
        head = "GREEN" if self.green else "RED"
        figures = (f"lost {len(self.lost)}, duplicated {sum(self.duplicated.values())}, "
                   f"double mounts {len(self.double_mounts)}, stuck {len(self.stuck)}, "
                   f"needed a human {len(self.needed_human)}, availability "
                   f"{self.availability:.1%} ({self.accepted}/{self.attempted})")
        if self.green:
            return f"verdict: {head}: {figures}"
        return f"verdict: {head}: {figures}; " + "; ".join(self.problems)


def fault_at(faults: list[Fault], t: float) -> Fault | None:
    """The fault whose window (injection until the next may start) holds `t`."""
    for f in faults:
        end = f.ended_at if f.ended_at is not None else float("inf")
        if f.injected_at <= t <= end:
            return f
    return None


def double_mount_samples(history: History) -> list[tuple[float, list[str]]]:
    """Samples where the shared disk was mounted in two mount namespaces or more."""
    return [(t, where) for t, where in history.mounts if len(where) > 1]


def check(history: History, back: Readback) -> Verdict:
    attempts = history.attempts
    accepted = [a for a in attempts if a.cls == ACCEPTED]
    refused = [a for a in attempts if a.cls == REFUSED]
    no_reply = [a for a in attempts if a.cls == NO_REPLY]
    lost = [a.message_id for a in accepted if back.store[a.message_id] == 0] \
        if back.store_read else []
    duplicated = {m: n - 1 for m, n in back.store.items() if n > 1}
    by_id = {a.message_id: a for a in attempts}
    reasons = {m: _duplicate_reason(by_id.get(m), history.faults) for m in duplicated}
    refused_delivered = [a.message_id for a in refused if back.store[a.message_id] > 0]
    # The load only ever sends a well-formed message to an existing user: nothing it sends
    # can deserve a permanent failure, so every 5xx was given for a temporary condition.
    permanent = [f"{a.message_id}: {a.code} {a.reply}" for a in attempts
                 if a.code is not None and 500 <= a.code < 600]
    unknown = [m for m in back.store if m not in by_id]
    doubles = double_mount_samples(history)
    stuck = stuck_states(history.faults, back.end_state)
    human = [f"{f.cls} at {f.injected_at:.0f} s: {f.needed_human}" for f in history.faults
             if f.needed_human]
    attempted = len(attempts)
    availability = len(accepted) / attempted if attempted else 0.0

    problems: list[str] = []
    if not attempts:
        problems.append("no SMTP attempt was recorded")
    if not back.store_read:
        problems.append("the store could not be read back (the group was online nowhere "
                        "after the final recovery): nothing is known of the accepted mail")
    if lost:
        problems.append(f"{len(lost)} accepted message(s) not in the store (first "
                        f"{', '.join(lost[:3])})")
    # A copy delivered again after a crash between the store's copy and the queue file's
    # removal is an MTA's at-least-once delivery (RFC 5321 §6.1 prefers it to a loss):
    # counted, explained and shown, but red only when no fault under way explains it.
    unexplained = [m for m in duplicated if not _explained(reasons[m])]
    if unexplained:
        problems.append(f"{sum(duplicated[m] for m in unexplained)} extra copies of "
                        f"{len(unexplained)} message(s) in the store that no fault explains "
                        f"({reasons[unexplained[0]]})")
    if refused_delivered:
        problems.append(f"{len(refused_delivered)} refused message(s) delivered")
    if permanent:
        problems.append(f"{len(permanent)} 5xx repl(ies) to a temporary condition (first: "
                        f"{permanent[0]})")
    if unknown:
        problems.append(f"{len(unknown)} message(s) in the store that the load never sent")
    if doubles:
        problems.append(f"the shared disk mounted on two hosts at once in {len(doubles)} "
                        f"sample(s) (first at {doubles[0][0]:.1f} s: "
                        f"{', '.join(doubles[0][1])})")
    if back.fsck_ok is False:
        problems.append("e2fsck -fn found the shared file system damaged")
    elif back.fsck_ok is None:
        problems.append("e2fsck -fn could not be run on the shared disk")
    if back.queue:
        problems.append(f"{len(back.queue)} message(s) left in the queue")
    if back.temp_files:
        problems.append(f"{len(back.temp_files)} temporary file(s) in the store")
    if stuck:
        problems.append(f"{len(stuck)} failed state(s): {stuck[0]}")
    if human:
        problems.append(f"{len(human)} fault(s) needed a human: {human[0]}")
    not_recovered = [f for f in history.faults if f.recovered_s is None]
    if not_recovered:
        problems.append(f"{len(not_recovered)} fault(s) never recovered: "
                        f"{not_recovered[0].cls} at {not_recovered[0].injected_at:.0f} s")
    quiet = [f for f in history.faults if f.cls == "load" and (f.restarts or f.failovers)]
    if quiet:
        problems.append(f"CPU and I/O load caused {sum(f.restarts for f in quiet)} restart(s) "
                        f"and {sum(f.failovers for f in quiet)} failover(s)")
    if back.leftovers:
        problems.append(f"{len(back.leftovers)} thing(s) of the bed left running: "
                        f"{back.leftovers[0]}")
    return Verdict(
        lost=lost, duplicated=duplicated, duplicate_reasons=reasons,
        refused_delivered=refused_delivered, permanent_for_temporary=permanent,
        double_mounts=doubles, stuck=stuck, needed_human=human, fsck_ok=back.fsck_ok,
        queue=back.queue, temp_files=back.temp_files, leftovers=back.leftovers,
        availability=availability, attempted=attempted, accepted=len(accepted),
        no_reply_delivered=sum(1 for a in no_reply if back.store[a.message_id] > 0),
        no_reply_missing=sum(1 for a in no_reply if back.store[a.message_id] == 0),
        problems=problems)


def stuck_states(faults: list[Fault], at_end: list[str]) -> list[str]:
    """Each failed state once, with the fault after which it was first seen (a ban that
    lasts the whole campaign is one state, not one per fault)."""
    first: dict[str, str] = {}
    for f in faults:
        for state in f.end_state:
            first.setdefault(state, f"after {f.cls} at {f.injected_at:.0f} s")
    for state in at_end:
        first.setdefault(state, "at the end")
    return [f"{state} (first seen {when})" for state, when in first.items()]


def _explained(reason: str) -> bool:
    return " during " in reason


def _duplicate_reason(attempt: Attempt | None, faults: list[Fault]) -> str:
    """Why a message may be in the store twice: the fault under way when it was sent (a
    delivery cut between the store's copy and the queue file's removal is redone)."""
    if attempt is None:
        return "never sent by the load"
    f = fault_at(faults, attempt.t)
    if f is None:
        return f"sent at {attempt.t:.1f} s ({attempt.cls}) with no fault under way"
    return (f"sent at {attempt.t:.1f} s ({attempt.cls}) during {f.cls} on {f.node} "
            f"(injected at {f.injected_at:.0f} s; {f.restarts} restart(s), {f.failovers} "
            f"failover(s) in its window): a delivery cut between the store's copy and the "
            f"queue file's removal is done again after the restart")


# --- the table per fault class --------------------------------------------------------------


def refused_during(history: History, f: Fault) -> int:
    end = f.ended_at if f.ended_at is not None else float("inf")
    return sum(1 for a in history.attempts
               if f.injected_at <= a.t <= end and a.cls != ACCEPTED)


def per_class(history: History) -> list[dict[str, Any]]:
    """One row per fault class: count, detection and recovery median and max, attempts
    not accepted while its faults lasted, restarts and failovers."""
    rows = []
    classes = list(dict.fromkeys(f.cls for f in history.faults))
    for cls in classes:
        mine = [f for f in history.faults if f.cls == cls]
        detected = [f.detected_s for f in mine if f.detected_s is not None]
        recovered = [f.recovered_s for f in mine if f.recovered_s is not None]
        rows.append({
            "class": cls, "count": len(mine),
            "detected_median": statistics.median(detected) if detected else None,
            "detected_max": max(detected) if detected else None,
            "undetected": len(mine) - len(detected),
            "recovered_median": statistics.median(recovered) if recovered else None,
            "recovered_max": max(recovered) if recovered else None,
            "unrecovered": len(mine) - len(recovered),
            "not_accepted": sum(refused_during(history, f) for f in mine),
            "restarts": sum(f.restarts for f in mine),
            "failovers": sum(f.failovers for f in mine)})
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    head = ["fault", "n", "detect med", "detect max", "recover med", "recover max",
            "not accepted", "restarts", "failovers"]
    body = []
    for r in rows:
        body.append([r["class"], str(r["count"]),
                     _s(r["detected_median"], r["undetected"]),
                     _s(r["detected_max"], 0),
                     _s(r["recovered_median"], r["unrecovered"]),
                     _s(r["recovered_max"], 0),
                     str(r["not_accepted"]), str(r["restarts"]), str(r["failovers"])])
    widths = [max(len(x[i]) for x in [head, *body]) for i in range(len(head))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                       for i, (c, w) in enumerate(zip(row, widths))) for row in [head, *body]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _s(value: float | None, missing: int) -> str:
    text = "-" if value is None else f"{value:.1f}"
    return f"{text} ({missing} never)" if missing else text


def summary(history: History, verdict: Verdict, meta: dict[str, Any]) -> dict[str, Any]:
    """summary.json: the issue's keys, then the rest of what the verdict rests on."""
    return {
        "verdict": "green" if verdict.green else "red",
        "lost": len(verdict.lost), "duplicated": sum(verdict.duplicated.values()),
        "double_mounts": len(verdict.double_mounts), "stuck": len(verdict.stuck),
        "needed_human": len(verdict.needed_human),
        "availability": round(verdict.availability, 5),
        "faults": [f.summary() for f in history.faults],
        "attempted": verdict.attempted, "accepted": verdict.accepted,
        "by_class": dict(Counter(a.cls for a in history.attempts)),
        "no_reply_delivered": verdict.no_reply_delivered,
        "no_reply_missing": verdict.no_reply_missing,
        "refused_delivered": len(verdict.refused_delivered),
        "permanent_for_temporary": verdict.permanent_for_temporary[:50],
        "lost_ids": verdict.lost[:200],
        "duplicates": {m: {"extra": n, "why": verdict.duplicate_reasons[m]}
                       for m, n in verdict.duplicated.items()},
        "double_mount_samples": [{"t": round(t, 2), "where": w}
                                 for t, w in verdict.double_mounts[:50]],
        "stuck_states": verdict.stuck, "needed_human_faults": verdict.needed_human,
        "fsck_ok": verdict.fsck_ok, "queue_left": len(verdict.queue),
        "temp_files": verdict.temp_files[:50], "leftovers": verdict.leftovers,
        "reads": {f"{protocol} {'ok' if ok else 'failed'}": n for (protocol, ok), n in
                  sorted(Counter((p, ok) for _t, p, ok in history.reads).items())},
        "per_class": per_class(history), "problems": verdict.problems, **meta}
