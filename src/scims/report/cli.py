"""`imsreport`: the program. Arguments, the window, and one line for whatever goes wrong.

    imsreport [--from TIME] [--to TIME] [--log [NODE=]FILE]... [--node NAME]...
              [--ssh-config FILE] [--remote-log PATH]... [--clock-offset NODE=SECONDS]...
              [--facility NAME] [--json] [--html FILE]

TIME is `YYYY-MM-DD HH:MM[:SS]`, `HH:MM[:SS]` (today), `-90m`/`-2h`/`-1d` (before now) or
`@SECONDS` since the epoch. Exit status 0 with a report, 1 when a log or the window cannot
be read, 2 for a wrong argument; never a traceback.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from typing import Optional, TextIO

from scims.report import collect, render
from scims.report.incidents import Window, group_events, parse_lines
from scims.report.lines import Reading

DEFAULT_SPAN = 24 * 3600
_RELATIVE = re.compile(r"-(\d+(?:\.\d+)?)([smhd])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class Refusal(Exception):
    """One line for the user, and the exit status."""

    def __init__(self, text: str, status: int = 1) -> None:
        super().__init__(text)
        self.status = status


def parse_time(text: str, now: float) -> float:
    """A time of the command line in seconds since the epoch (local time). Pure."""
    text = text.strip()
    relative = _RELATIVE.fullmatch(text)
    if relative:
        return now - float(relative[1]) * _UNITS[relative[2]]
    if text.startswith("@"):
        try:
            return float(text[1:])
        except ValueError:
            pass
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"):
        try:
            return time.mktime(time.strptime(text, fmt))
        except ValueError:
            continue
    for fmt in ("%H:%M:%S", "%H:%M"):
        try:
            clock = time.strptime(text, fmt)
        except ValueError:
            continue
        today = time.localtime(now)
        return time.mktime((today.tm_year, today.tm_mon, today.tm_mday, clock.tm_hour,
                            clock.tm_min, clock.tm_sec, 0, 0, -1))
    raise Refusal(f"cannot read the time {text!r}: give YYYY-MM-DD HH:MM[:SS], HH:MM[:SS], "
                  "-90m, -2h, -1d or @SECONDS", 2)


def parse_offset(text: str) -> tuple[str, float]:
    node, sep, value = text.partition("=")
    try:
        if not sep or not node:
            raise ValueError
        return node, float(value)
    except ValueError:
        raise Refusal(f"--clock-offset wants NODE=SECONDS (the node's clock ahead of this "
                      f"one, negative if behind), not {text!r}", 2) from None


def window_of(args: argparse.Namespace, now: float) -> Window:
    end = parse_time(args.to, now) if args.to else now
    start = parse_time(args.since, now) if args.since else end - DEFAULT_SPAN
    if start >= end:
        raise Refusal(f"the window is empty: --from {render.day(start)} is not before --to "
                      f"{render.day(end)}", 2)
    return Window(start, end)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="imsreport", description="What happened to mail: the SUNW.ims lines of every "
        "node and the cluster's events that explain them, as incidents on one timeline.")
    parser.add_argument("--from", dest="since", metavar="TIME",
                        help="start of the window (default: 24 hours before its end)")
    parser.add_argument("--to", metavar="TIME", help="end of the window (default: now)")
    parser.add_argument("--log", action="append", default=[], metavar="[NODE=]FILE",
                        help="a log to read (repeat); NODE= for a log whose lines do not "
                        "name their node (pacemaker.log copies, the Pacemaker syslog). "
                        "Default: /var/adm/messages and its rotations (the log host), or "
                        "on Linux pacemaker.log and the system log")
    parser.add_argument("--node", action="append", default=[], metavar="NAME",
                        help="read NAME's logs over ssh (repeat for every node), as "
                        "crm_report does; its clock offset is measured on the way")
    parser.add_argument("--ssh-config", metavar="FILE",
                        help="the ssh_config for --node (ssh -F)")
    parser.add_argument("--remote-log", action="append", default=[], metavar="PATH",
                        help="a log to read on every --node (%%n: the node's name); default "
                        "pacemaker.log, /var/adm/messages and the system log, where they exist")
    parser.add_argument("--clock-offset", action="append", default=[], metavar="NODE=SECONDS",
                        help="how far NODE's clock is ahead of this host's (ntpq -p shows "
                        "it); its lines are moved back by that much")
    parser.add_argument("--facility", action="append", default=[], metavar="NAME",
                        help="the syslog facility the cluster logs to (scha_cluster_get -O "
                        "SYSLOG_FACILITY; default daemon)")
    parser.add_argument("--json", action="store_true", help="JSON on standard output")
    parser.add_argument("--html", metavar="FILE", help="also write a self-contained HTML page")
    return parser


def _glued(argv: list[str]) -> list[str]:
    """`--from -2h` as `--from=-2h`: argparse would take `-2h` for an option."""
    out: list[str] = []
    it = iter(argv)
    for arg in it:
        if arg in ("--from", "--to"):
            value = next(it, None)
            out.append(arg if value is None else f"{arg}={value}")
        else:
            out.append(arg)
    return out


def run(argv: Optional[list[str]], out: TextIO) -> int:
    parser = _parser()
    args = parser.parse_args(_glued(sys.argv[1:] if argv is None else argv))
    now = time.time()
    window = window_of(args, now)
    offsets = dict(parse_offset(o) for o in args.clock_offset)
    sources = [collect.parse_source(s) for s in args.log]
    if not sources and not args.node:
        sources = collect.default_sources()
    remotes = [collect.Remote(n, args.ssh_config, tuple(args.remote_log) or collect.REMOTE_LOGS,
                              bool(args.remote_log)) for n in args.node]
    try:
        lines = collect.read_all(sources) if sources else []
        for remote in remotes:
            offsets.setdefault(remote.node, collect.clock_offset(remote))
            lines = collect.merge([lines, collect.read_remote(remote)])
    except collect.Unreadable as exc:
        raise Refusal(str(exc)) from None
    reading = Reading(window.end, frozenset(args.facility or ["daemon"]), offsets)
    events, tally = parse_lines(lines, reading)
    if lines and events and max(e.at for e in events) < window.start:
        raise Refusal(f"the logs end at {render.day(max(e.at for e in events))}, before the "
                      f"window's start {render.day(window.start)}: nothing of the window is "
                      "in them", 1)
    if events and min(e.at for e in events) > window.end:
        raise Refusal(f"the logs begin at {render.day(min(e.at for e in events))}, after the "
                      f"window's end {render.day(window.end)}: the older logs are rotated "
                      "away or elsewhere", 1)
    found = group_events(events, window)
    nodes = sorted({e.node for e in events if window.holds(e.at) and e.node}
                   | {s.node for s in sources if s.node} | set(args.node))
    if args.html:
        page = render.html_report(found, window, tally, nodes)
        try:
            fd = os.open(args.html, os.O_WRONLY | os.O_CREAT | os.O_TRUNC
                         | getattr(os, "O_NOFOLLOW", 0), 0o644)
            with open(fd, "w", encoding="utf-8") as f:
                f.write(page)
        except OSError as exc:
            raise Refusal(f"cannot write {args.html}: {exc.strerror}") from None
    text = (render.json_report if args.json else render.text_report)(found, window, tally,
                                                                       nodes)
    out.write(text)
    return 0


def main(argv: Optional[list[str]] = None) -> int:
    try:
        return run(argv, sys.stdout)
    except Refusal as exc:
        print(f"imsreport: {exc}", file=sys.stderr)
        return exc.status
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # one line, never a traceback in a user's log
        print(f"imsreport: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 70
