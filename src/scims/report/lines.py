"""One log line in, one believed event out (or nothing): parsing, trust and redaction.

Why so strict: every local user can write to syslog (`logger`), name a process anything and
put any text after any tag, and a resource's name is chosen by whoever creates it. A line is
believed only when all of it is the agent's or the engine's own:

* its tag is the agent's (`SC[SUNW.ims,<RG>,<R>,<method>]`, `ims(<R>)[<pid>]` on
  Pacemaker) or an engine's (rgmd, pmfd, the built-in LogicalHostname and HAStoragePlus
  methods), with names as the cluster allows them (a letter, then letters, digits, `.`, `-`,
  `_`): a name holding `]` or blanks cannot be taken apart into a different tag;
* its facility is the one the cluster logs to (daemon unless told otherwise), its level the
  message's own;
* its `[ID n]` is the ID of a known format (the catalogue's or the engine's), and its text
  is that very format filled in, names where names go and numbers where numbers go.

On Solaris the log driver computes the ID from the format the program gave syslog(3C), so a
user's `logger` line carries the ID of its own text and fails the third test; the stand-in's
syslogd does the same for senders that are not root. Anything else is counted, not shown.

Secrets are masked as crm_report masks them (`passw.*`), before a line is kept anywhere.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Optional

from scims.log import messages
from scims.log.msgid import msgid
from scims.report import engine

NAME = r"[A-Za-z][A-Za-z0-9._-]*"
"""A resource, group, node or method name as the cluster allows it."""
_NAMED_FIELDS = {"resource", "group", "node", "target", "method", "request", "state"}

_SOLARIS = re.compile(
    r"(?P<stamp>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d) (?:(?P<host>[A-Za-z0-9][\w.-]*) )?"
    r"(?P<tag>\S+): \[ID (?P<id>\d{6}) (?P<facility>[a-z0-9]+)\.(?P<level>[a-z]+)\] "
    r"(?P<text>.*)")
_PACEMAKER = re.compile(
    r"(?P<stamp>[A-Z][a-z]{2} [ \d]?\d \d\d:\d\d:\d\d)(?P<fraction>\.\d+)? "
    r"(?P<host>[A-Za-z0-9][\w.-]*) "
    r"(?P<daemon>pacemaker-[a-z]+|pacemakerd)\s*\[(?P<pid>\d+)\] \((?P<func>[\w@.:-]*)\)\s+"
    r"(?P<level>[a-z]+): (?P<text>.*)")
_AGENT_TAG = re.compile(rf"SC\[SUNW\.ims(?::[\w.]+)?,(?P<group>{NAME}),(?P<resource>{NAME}),"
                        rf"(?P<method>ims_[a-z_]+)\]")
_OCF_TAG = re.compile(rf"ims\((?P<resource>{NAME})\)\[\d+\]")
_BUILTIN_TAG = re.compile(rf"SC\[(?P<rt>{'|'.join(re.escape(t) for t in engine.BUILTIN_TYPES)})"
                          rf"(?::[\w.]+)?,(?P<group>{NAME}),(?P<resource>{NAME}),"
                          rf"(?P<method>[a-z_]+)\]")
_SECRET = re.compile(r"(?i)\b(passw\w*)(\s*[=:]\s*|\s+)(\"[^\"]*\"|'[^']*'|[^\s,;)>]+)")
MASK = "****"
ENGINE_FACILITIES = frozenset({"daemon"})
"""rgmd, pmfd and the membership monitor log to daemon whatever SYSLOG_FACILITY says."""


@dataclass(frozen=True)
class Event:
    """A believed line: when (on the reference clock), where, whose, and its words."""

    at: float
    node: str
    origin: str
    """agent, rgmd, pmf, cmm, builtin or pacemaker"""
    kind: str
    """the catalogue's message name (agent) or the engine message's kind"""
    text: str
    msgid: Optional[int] = None
    level: str = ""
    resource: str = ""
    group: str = ""
    method: str = ""
    fields: dict[str, str] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class Reading:
    """How lines are read: the reference time (a line's year is the one that puts it at most
    two days after it), the facilities the cluster logs to, and each node's clock offset
    (seconds its clock is ahead of the reference clock)."""

    reference: float
    facilities: frozenset[str] = frozenset({"daemon"})
    offsets: dict[str, float] = field(default_factory=dict, hash=False)

    def when(self, stamp: str, node: str) -> float:
        return stamp_to_epoch(stamp, self.reference) - self.offsets.get(node, 0.0)


@dataclass
class Tally:
    """What was read and what was not believed, for the report's last line."""

    read: int = 0
    believed: int = 0
    disbelieved: int = 0
    outside: int = 0


def redact(text: str) -> str:
    """`password=secret` -> `password=****`, as crm_report masks `passw.*` values."""
    return _SECRET.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", text)


def format_regex(fmt: str, fields: tuple[str, ...] = ()) -> re.Pattern[str]:
    """The text a printf format (the catalogue's subset: %s %d %u %%) can become. A field
    named like a name (resource, node...) matches a name only. Pure."""
    out: list[str] = []
    i = 0
    arg = 0
    while i < len(fmt):
        ch = fmt[i]
        if ch == "%" and i + 1 < len(fmt):
            letter = fmt[i + 1]
            i += 2
            if letter == "%":
                out.append("%")
                continue
            name = fields[arg] if arg < len(fields) else ""
            arg += 1
            if letter == "d":
                out.append(r"(-?\d+)")
            elif letter == "u":
                out.append(r"(\d+)")
            elif name in _NAMED_FIELDS:
                out.append(f"({NAME})")
            else:
                out.append(r"(.*?)")
            continue
        out.append(re.escape(ch))
        i += 1
    return re.compile("".join(out), re.DOTALL)


@dataclass(frozen=True)
class _Known:
    kind: str
    level: str
    regex: re.Pattern[str]
    fields: tuple[str, ...]


def _table(entries: tuple[engine.EngineMessage, ...]) -> dict[int, list[_Known]]:
    table: dict[int, list[_Known]] = {}
    for m in entries:
        table.setdefault(msgid(m.fmt), []).append(
            _Known(m.kind, m.level, format_regex(m.fmt, m.fields), m.fields))
    return table


_TABLES: dict[str, dict[int, list[_Known]]] = {}


def _tables() -> dict[str, dict[int, list[_Known]]]:
    """The known formats by ID, worked out once per run."""
    if not _TABLES:
        _TABLES["rgmd"] = _table(engine.RGMD_MESSAGES)
        _TABLES["pmf"] = _table(engine.PMF_MESSAGES)
        _TABLES["builtin"] = _table(engine.BUILTIN_MESSAGES)
        agent: dict[int, list[_Known]] = {}
        for m in messages.all_messages():
            agent.setdefault(m.msgid, []).append(
                _Known(m.name, m.priority.label, format_regex(m.fmt), ()))
        _TABLES["agent"] = agent
    return _TABLES


_LEVEL_WORDS = {"err": "error", "warn": "warning", "crit": "crit"}


def _level(word: str) -> str:
    return _LEVEL_WORDS.get(word, word)


def _match(table: dict[int, list[_Known]], ident: int, level: str,
           text: str) -> Optional[tuple[_Known, re.Match[str]]]:
    for known in table.get(ident, ()):
        if _level(known.level) != level:
            continue
        found = known.regex.fullmatch(text)
        if found:
            return known, found
    return None


def stamp_to_epoch(stamp: str, reference: float) -> float:
    """`Dec  8 01:16:32` (no year, local time, as syslog writes it) as seconds since the
    epoch: the year that puts it at most two days after `reference` (a log is read after it
    was written; the two days cover a clock set ahead). Pure but for the time zone."""
    parts = stamp.split()
    ref_year = time.localtime(reference).tm_year
    for year in (ref_year, ref_year - 1):
        try:
            parsed = time.strptime(f"{year} {parts[0]} {parts[1]} {parts[2]}",
                                   "%Y %b %d %H:%M:%S")
        except ValueError:
            return float("nan")
        when = time.mktime(parsed)
        if when <= reference + 2 * 86400:
            return when
    return when



def parse_line(line: str, node_hint: str, reading: Reading) -> tuple[Optional[Event], bool]:
    """(event, recognised): the believed event of one line, or None. `recognised` is False
    for lines that are no one's we know (counted apart from the disbelieved). Pure."""
    line = line.rstrip("\n")
    found = _SOLARIS.fullmatch(line)
    if found:
        return _solaris(found, node_hint, reading)
    found = _PACEMAKER.fullmatch(line)
    if found:
        event = _pacemaker(found, node_hint, reading)
        return event, False  # a daemon line we do not use is nobody's forgery
    return None, False


def _solaris(found: re.Match[str], node_hint: str,
             reading: Reading) -> tuple[Optional[Event], bool]:
    tag = found["tag"]
    node = found["host"] or node_hint
    ident = int(found["id"])
    level = _level(found["level"])
    text = found["text"]
    agent = _AGENT_TAG.fullmatch(tag) or _OCF_TAG.fullmatch(tag)
    tables = _tables()
    if agent:
        origin, table = "agent", tables["agent"]
    elif tag in engine.RGMD_TAGS:
        origin, table = "rgmd", tables["rgmd"]
    elif tag == engine.PMF_TAG:
        origin, table = "pmf", tables["pmf"]
    elif tag == engine.CMM_TAG:
        return _cmm(found, node, reading), True
    else:
        builtin = _BUILTIN_TAG.fullmatch(tag)
        if not builtin:
            return None, False
        agent, origin, table = builtin, "builtin", tables["builtin"]
    if origin != "agent" and ident not in table:
        return None, False  # an engine message the report does not use
    # the data services (ours, the built-in types) log to the cluster's facility
    # (SYSLOG_FACILITY), the engine's daemons to daemon
    facilities = reading.facilities if origin in ("agent", "builtin") else ENGINE_FACILITIES
    if found["facility"] not in facilities:
        return None, True
    matched = _match(table, ident, level, text)
    if matched is None:
        return None, True
    known, values = matched
    fields = dict(zip(known.fields, values.groups()))
    names = agent.groupdict() if agent else {}
    return Event(
        at=reading.when(found["stamp"], node), node=node, origin=origin,
        kind=known.kind, text=redact(text), msgid=ident, level=level,
        resource=names.get("resource") or fields.get("resource", ""),
        group=names.get("group") or fields.get("group", ""),
        method=names.get("method") or fields.get("method", ""),
        fields={k: redact(v) for k, v in fields.items()}), True


def _cmm(found: re.Match[str], node: str, reading: Reading) -> Optional[Event]:
    """The membership monitor's lines carry the ID of their text (they are logged without a
    format): believed when that holds, as context only (see engine.CMM_PATTERNS)."""
    text, ident, level = found["text"], int(found["id"]), _level(found["level"])
    if found["facility"] not in ENGINE_FACILITIES or msgid(text) != ident:
        return None
    for kind, pattern, want in engine.CMM_PATTERNS:
        hit = re.fullmatch(pattern, text)
        if hit and _level(want) == level:
            return Event(at=reading.when(found["stamp"], node), node=node,
                         origin="cmm",
                         kind=kind, text=redact(text), msgid=ident, level=level,
                         fields=hit.groupdict())
    return None


def _pacemaker(found: re.Match[str], node_hint: str, reading: Reading) -> Optional[Event]:
    node = found["host"] or node_hint
    text = found["text"]
    for pattern in engine.PACEMAKER_PATTERNS:
        if pattern.daemon != found["daemon"]:
            continue
        hit = re.fullmatch(pattern.regex, text)
        if hit:
            fields = {k: v for k, v in hit.groupdict().items() if v is not None}
            at = reading.when(found["stamp"], node) + float(found["fraction"] or 0)
            return Event(at=at, node=node, origin="pacemaker", kind=pattern.kind, text=redact(text),
                         level=found["level"], resource=fields.get("resource", ""),
                         fields=fields)
    return None


def explain(event: Event) -> Optional[messages.Message]:
    """The catalogue entry of an agent line: its cause and action, from the messages guide."""
    if event.origin != "agent":
        return None
    for m in messages.all_messages():
        if m.name == event.kind:
            return m
    return None
