"""The timeline written out: the terminal's blocks, the HTML page, the JSON for tools. Pure.

Every word that came from a log is untrusted text: on the terminal it goes through the
logger's own `printable` (no control character, no escape sequence, no line break reaches
the screen), in HTML through html.escape (attributes quoted too), in JSON through json.
"""

from __future__ import annotations

import html
import json
import re
import time
from typing import Any, Optional

from scims.log.cformat import printable
from scims.report.incidents import Incident, Window
from scims.report.lines import Event, Tally, explain

KEY_KINDS = {
    "rg-state": ("RG_ONLINE", "RG_PENDING_OFFLINE", "ERROR_STOP_FAILED"),
    "fm-status": ("R_FM_FAULTED", "R_FM_DEGRADED", "R_FM_ONLINE"),
}
"""Engine lines shown in an incident's block only with these states (the rest is counted)."""
_QUIET_KINDS = {"method-launch", "method-ok", "r-state", "fm-status-msg", "pcmk-initiate"}
MAX_SHOWN = 14


def clock(when: Optional[float]) -> str:
    return "-" if when is None else time.strftime("%H:%M:%S", time.localtime(when))


def day(when: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(when))


def shown(event: Event) -> bool:
    """Whether an event is one of the lines that tell the incident's story."""
    if event.origin in ("agent", "cmm", "pmf", "builtin"):
        return True
    if event.kind in KEY_KINDS:
        return event.fields.get("state") in KEY_KINDS[event.kind]
    if event.kind in _QUIET_KINDS:
        return event.kind == "method-ok" and event.method == "ims_svc_start"
    return True


def _outage(incident: Incident) -> str:
    if incident.outage is None:
        return "not recovered"
    return f"down {incident.outage:.1f} s, answering again {clock(incident.recovered_at)}" + (
        f" on {incident.recovered_on}" if incident.recovered_on else "")


def _id(event: Event) -> str:
    return f"[ID {event.msgid}] " if event.msgid is not None else ""


def text_report(found: list[Incident], window: Window, tally: Tally, nodes: list[str]) -> str:
    """One block per incident, most recent last; what needs a human at the top."""
    out = [f"imsreport: {len(found)} incident(s) from {day(window.start)} to "
           f"{day(window.end)}; nodes: {', '.join(printable(n) for n in nodes) or 'none'}"]
    human = [i for i in found if i.needs_human]
    if human:
        out.append("")
        out.append("NEEDS A HUMAN")
        out.extend(f"  ! {clock(i.detected_at)} {i.cls} on {printable(i.node)}, "
                   f"{printable(i.service)}: {printable(i.needs_human)}" for i in human)
    explained: dict[int, Event] = {}
    for incident in found:
        out.append("")
        res = f" ({printable(incident.resource)})" if incident.resource else ""
        out.append(f"{clock(incident.detected_at)}  {incident.cls} on "
                   f"{printable(incident.node)}, {printable(incident.service)}{res}: "
                   f"{_outage(incident)}")
        out.append(f"    fault      {clock(incident.fault_at)}")
        out.append(f"    detected   {clock(incident.detected_at)}")
        for d in incident.decisions:
            out.append(f"    decided    {clock(d.at)}  {printable(d.node)}: {d.what}: "
                       f"{printable(d.why)}")
        out.append(f"    recovered  {clock(incident.recovered_at)}")
        story = [e for e in incident.events if shown(e)]
        for event in story[:MAX_SHOWN]:
            out.append(f"      {clock(event.at)} {printable(event.node)} {_id(event)}"
                       f"{printable(event.text)}")
            if event.origin == "agent" and event.msgid is not None:
                explained.setdefault(event.msgid, event)
        if len(story) > MAX_SHOWN:
            out.append(f"      ... {len(story) - MAX_SHOWN} more line(s) (--json has them)")
    if explained:
        out.append("")
        out.append("MESSAGES (from the SUNWscims messages guide)")
        for ident, event in sorted(explained.items()):
            message = explain(event)
            if message is not None:
                out.append(f"  {ident} {message.name}: {message.cause}")
                out.append(f"         Action: {message.action}")
    out.append("")
    out.append(f"{tally.read} line(s) read, {tally.believed} believed; {tally.disbelieved} "
               "line(s) in the agent's or the engine's name not believed (wrong ID, level, "
               "facility or words: not theirs)")
    return "\n".join(out) + "\n"


_HEADLINE = re.compile(r"\d\d:\d\d:\d\d  \S")


def headlines(text: str) -> list[str]:
    """The first line of each incident's block of a terminal report (for a summary). Pure."""
    return [line for line in text.splitlines() if _HEADLINE.match(line)]


def _event_json(event: Event) -> dict[str, Any]:
    return {"at": round(event.at, 3), "node": event.node, "origin": event.origin,
            "kind": event.kind, "id": event.msgid, "level": event.level,
            "resource": event.resource, "group": event.group, "text": event.text}


def incident_json(incident: Incident) -> dict[str, Any]:
    explained = {}
    for event in incident.events:
        message = explain(event)
        if message is not None and event.msgid is not None:
            explained[str(event.msgid)] = {"name": message.name, "cause": message.cause,
                                           "action": message.action}
    return {
        "class": incident.cls, "node": incident.node, "service": incident.service,
        "resource": incident.resource, "fault_at": round(incident.fault_at, 3),
        "detected_at": round(incident.detected_at, 3),
        "recovered_at": None if incident.recovered_at is None
        else round(incident.recovered_at, 3),
        "recovered_on": incident.recovered_on,
        "outage_s": None if incident.outage is None else round(incident.outage, 3),
        "needs_human": incident.needs_human or None, "causes": incident.causes,
        "decisions": [{"at": round(d.at, 3), "what": d.what, "why": d.why, "node": d.node}
                      for d in incident.decisions],
        "lines": [_event_json(e) for e in incident.events], "messages": explained,
    }


def json_report(found: list[Incident], window: Window, tally: Tally, nodes: list[str]) -> str:
    return json.dumps({
        "window": {"from": window.start, "to": window.end},
        "nodes": nodes,
        "needs_human": [incident_json(i) for i in found if i.needs_human],
        "incidents": [incident_json(i) for i in found],
        "lines": {"read": tally.read, "believed": tally.believed,
                  "not_believed": tally.disbelieved},
    }, indent=2) + "\n"


# --- HTML --------------------------------------------------------------------------------

_WIDTH = 900
_CSS = """body{font-family:sans-serif;margin:2em;color:#222}
h2{border-bottom:1px solid #ccc}.human{background:#fee;border:1px solid #c00;padding:.5em}
.incident{border-left:4px solid #c60;padding:.2em 1em;margin:1em 0}
.lines{font-family:monospace;font-size:90%;white-space:pre-wrap}
svg{background:#f8f8f8;border:1px solid #ddd}"""


def _x(when: float, window: Window) -> float:
    span = max(window.end - window.start, 1.0)
    return round(max(0.0, min(1.0, (when - window.start) / span)) * _WIDTH, 1)


def span(found: list[Incident], window: Window) -> Window:
    """The stretch of time the pictures show: from the first fault to the last recovery
    (the window's end for one still open), with a margin, inside the window; the whole
    window when nothing happened. Pure."""
    if not found:
        return window
    first = min(i.fault_at for i in found)
    last = max(i.recovered_at if i.recovered_at is not None else window.end for i in found)
    margin = max((last - first) * 0.05, 5.0)
    return Window(max(window.start, first - margin), min(window.end, last + margin))


def _node_picture(node: str, found: list[Incident], shown_span: Window) -> str:
    """One node's line of time: a bar per incident from its fault to its recovery (to the
    end if none), a tick at each decision, labels on two rows so that close ones do not
    overlap, the times of both ends below."""
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{_WIDTH}" height="64" '
             f'role="img" aria-label="incidents on {html.escape(node, quote=True)}">',
             f'<line x1="0" y1="40" x2="{_WIDTH}" y2="40" stroke="#999"/>',
             f'<text x="0" y="60" font-size="10">{html.escape(clock(shown_span.start))}</text>',
             f'<text x="{_WIDTH}" y="60" font-size="10" text-anchor="end">'
             f'{html.escape(clock(shown_span.end))}</text>']
    row = 0
    for incident in found:
        if node not in (incident.node, incident.recovered_on):
            continue
        start = _x(incident.fault_at, shown_span)
        end = _x(incident.recovered_at if incident.recovered_at is not None
                 else shown_span.end, shown_span)
        colour = "#c00" if incident.needs_human else "#e80"
        label = html.escape(f"{incident.cls} {clock(incident.detected_at)}", quote=True)
        parts.append(f'<rect x="{start}" y="32" width="{max(end - start, 2.0)}" height="16" '
                     f'fill="{colour}"><title>{label}</title></rect>')
        parts.append(f'<text x="{start}" y="{12 + 12 * row}" font-size="11">{label}</text>')
        row = 1 - row
        for d in incident.decisions:
            x = _x(d.at, shown_span)
            parts.append(f'<line x1="{x}" y1="28" x2="{x}" y2="52" stroke="#036"/>')
    parts.append("</svg>")
    return "".join(parts)


def html_report(found: list[Incident], window: Window, tally: Tally, nodes: list[str]) -> str:
    """A self-contained page (no script, no external resource): a picture per node, then
    the incidents."""
    e = html.escape
    body = [f"<h1>imsreport: {len(found)} incident(s)</h1>",
            f"<p>{e(day(window.start))} to {e(day(window.end))}; {tally.read} lines read, "
            f"{tally.believed} believed, {tally.disbelieved} not believed.</p>"]
    human = [i for i in found if i.needs_human]
    if human:
        body.append('<div class="human"><h2>Needs a human</h2><ul>')
        body.extend(f"<li>{e(clock(i.detected_at))} {e(i.cls)} on {e(i.node)}, "
                    f"{e(i.service)}: {e(i.needs_human)}</li>" for i in human)
        body.append("</ul></div>")
    body.append("<h2>Timeline per node</h2>")
    shown_span = span(found, window)
    for node in nodes:
        body.append(f"<h3>{e(node)}</h3>{_node_picture(node, found, shown_span)}")
    body.append("<h2>Incidents</h2>")
    for incident in found:
        res = f" ({e(incident.resource)})" if incident.resource else ""
        body.append(f'<div class="incident"><h3>{e(clock(incident.detected_at))} '
                    f"{e(incident.cls)} on {e(incident.node)}, {e(incident.service)}{res}"
                    f"</h3><p>{e(_outage(incident))}; fault {e(clock(incident.fault_at))}, "
                    f"detected {e(clock(incident.detected_at))}</p><ul>")
        body.extend(f"<li>{e(clock(d.at))} {e(d.node)}: {e(d.what)}: {e(d.why)}</li>"
                    for d in incident.decisions)
        body.append('</ul><div class="lines">')
        for event in incident.events:
            if not shown(event):
                continue
            message = explain(event)
            title = (f' title="{e(message.name + ": " + message.cause, quote=True)}"'
                     if message else "")
            body.append(f"<div{title}>{e(clock(event.at))} {e(event.node)} "
                        f"{e(_id(event))}{e(event.text)}</div>")
        body.append("</div></div>")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<title>imsreport</title><style>" + _CSS + "</style></head><body>\n"
            + "\n".join(body) + "\n</body></html>\n")
