"""The campaign's history: every SMTP attempt, read, probe, mount sample and fault, as
JSON lines (DIR/history.jsonl), and the classification of an SMTP exchange's outcome.

Pure: nothing here touches a process or a socket; the load and the nemesis record into it.
"""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO

ACCEPTED = "accepted"
REFUSED = "refused"
NO_CONNECTION = "no-connection"
NO_REPLY = "no-reply"
"""No reply after the final dot: the server may or may not have kept the message."""
ATTEMPT_CLASSES = (ACCEPTED, REFUSED, NO_CONNECTION, NO_REPLY)

# The stages of one SMTP submission, in order; where a failure happens decides its class.
CONNECT, GREETING, EHLO, MAIL, RCPT, DATA, END_OF_DATA = (
    "connect", "greeting", "ehlo", "mail", "rcpt", "data", "end-of-data")


def classify(stage: str, code: int | None) -> str:
    """The class of an attempt that ended at `stage` with reply `code` (None: no reply:
    the connection failed, was closed or timed out there).

    A reply other than the expected one at any stage is a refusal (4xx or 5xx, whichever
    the server said); silence before the final dot means the message was never handed
    over (no connection); silence after it is the one uncertain outcome (no reply)."""
    if code is None:
        return NO_REPLY if stage == END_OF_DATA else NO_CONNECTION
    if stage == END_OF_DATA and 200 <= code < 300:
        return ACCEPTED
    return REFUSED


def refusal_kind(code: int | None) -> str | None:
    """'4xx' or '5xx' for a refusal's code (a temporary or a permanent failure)."""
    if code is None:
        return None
    return f"{code // 100}xx" if code >= 400 else None


@dataclass
class Attempt:
    """One SMTP submission."""

    message_id: str
    t: float  # seconds since the campaign began, when the connection was opened
    took: float
    stage: str
    code: int | None
    reply: str
    cls: str
    kind: str = "attempt"


@dataclass
class Fault:
    """One fault the nemesis injected, and what the campaign saw of it."""

    cls: str
    node: str | None
    detail: str
    injected_at: float  # campaign seconds
    healed_at: float | None = None
    ended_at: float | None = None  # the next fault may start from here
    detected_s: float | None = None
    detected_by: str = ""
    recovered_s: float | None = None
    restarts: int = 0
    failovers: int = 0
    needed_human: str = ""
    end_state: list[str] = field(default_factory=list)
    holder_before: str | None = None
    holder_after: str | None = None
    kind: str = "fault"

    def summary(self) -> dict[str, Any]:
        """The object summary.json keeps of it (the issue's keys first)."""
        out = {"class": self.cls, "node": self.node, "injected_at": round(self.injected_at, 2),
               "detected_s": _round(self.detected_s), "recovered_s": _round(self.recovered_s),
               "restarts": self.restarts, "failovers": self.failovers}
        out.update(detail=self.detail, detected_by=self.detected_by,
                   healed_at=_round(self.healed_at), needed_human=self.needed_human or None,
                   end_state=self.end_state, holder_before=self.holder_before,
                   holder_after=self.holder_after)
        return out


def describe(f: Fault) -> str:
    def s(x: float | None) -> str:
        return "never" if x is None else f"{x:.1f} s"
    what = f"{f.cls}{' ' + f.detail if f.detail else ''} on {f.node}"
    moved = f", now on {f.holder_after}" if f.holder_after != f.holder_before else ""
    extra = f"; NEEDED A HUMAN: {f.needed_human}" if f.needed_human else ""
    bad = f"; FAILED STATE: {', '.join(f.end_state)}" if f.end_state else ""
    return (f"{what}: detected {s(f.detected_s)}, recovered {s(f.recovered_s)}, "
            f"restarts {f.restarts}, failovers {f.failovers}{moved}{extra}{bad}")



def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


@dataclass
class History:
    """Everything recorded, in memory and (if given a file) as JSON lines as it happens."""

    attempts: list[Attempt] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    probes: list[tuple[float, bool]] = field(default_factory=list)
    """(campaign seconds, every service answered) of each probe from the client."""
    reads: list[tuple[float, str, bool]] = field(default_factory=list)
    mounts: list[tuple[float, list[str]]] = field(default_factory=list)
    """(campaign seconds, where the shared disk was mounted) of every host-wide sample."""
    holders: list[tuple[float, str | None]] = field(default_factory=list)
    """(campaign seconds, the node holding the group) each time it changed."""
    out: TextIO | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def to_file(cls, path: Path) -> History:
        path.parent.mkdir(parents=True, exist_ok=True)
        return cls(out=path.open("w", encoding="utf-8"))

    def _write(self, record: dict[str, Any]) -> None:
        if self.out is not None:
            self.out.write(json.dumps(record) + "\n")
            self.out.flush()

    def attempt(self, a: Attempt) -> None:
        with self.lock:
            self.attempts.append(a)
            self._write(asdict(a))

    def fault(self, f: Fault) -> None:
        """Record a fault once it is over (its figures known)."""
        with self.lock:
            self.faults.append(f)
            self._write(asdict(f))

    def probe(self, t: float, up: bool) -> None:
        with self.lock:
            last = self.probes[-1][1] if self.probes else None
            self.probes.append((t, up))
            if last is not up:  # transitions only in the file
                self._write({"kind": "probe", "t": round(t, 3), "up": up})

    def read(self, t: float, protocol: str, ok: bool, detail: str = "") -> None:
        with self.lock:
            self.reads.append((t, protocol, ok))
            self._write({"kind": "read", "t": round(t, 3), "protocol": protocol, "ok": ok,
                         "detail": detail})

    def mount_sample(self, t: float, where: list[str]) -> None:
        with self.lock:
            last = self.mounts[-1][1] if self.mounts else None
            self.mounts.append((t, where))
            if last != where:
                self._write({"kind": "mounts", "t": round(t, 3), "where": where})

    def holder(self, t: float, node: str | None) -> None:
        with self.lock:
            if not self.holders or self.holders[-1][1] != node:
                self.holders.append((t, node))
                self._write({"kind": "holder", "t": round(t, 3), "node": node})

    def note(self, t: float, text: str) -> None:
        with self.lock:
            self._write({"kind": "note", "t": round(t, 3), "text": text})

    def close(self) -> None:
        if self.out is not None:
            self.out.close()
            self.out = None
