"""Reading the logs of every node for a window: which files, checked how, and refused when.

How every node is reached (docs/imsreport.md): on Sun Cluster each node's syslogd forwards
to a log host (syslog.conf `*.notice;daemon.info<TAB>@loghost`, as Solaris sites do), so the
log host's /var/adm/messages holds every node's lines, each naming its node; imsreport runs
there. On Pacemaker each node's pacemaker.log is written by the daemons themselves and is
read where it lies (`--log NODE=FILE`, for a copy or a mount of each node's file).

Why the file checks: a file that a user other than root (or, for pacemaker.log, hacluster)
may write could hold anything; its lines are not evidence. Such a file is refused with one
line, like a file that cannot be read.
"""

from __future__ import annotations

import os
import pwd
import stat
from collections.abc import Iterator
from dataclasses import dataclass

SOLARIS_MESSAGES = "/var/adm/messages"
ROTATIONS = 9
"""logadm keeps /var/adm/messages.0 .. .N: the window may reach into them."""
PACEMAKER_LOG = "/var/log/pacemaker/pacemaker.log"
LINUX_SYSLOGS = ("/var/log/messages", "/var/log/syslog")
LOG_OWNERS = ("root", "hacluster")
MAX_LINE = 8192
"""Longer lines are no syslog line of ours (syslogd splits at 1 KiB); they are skipped."""


class Unreadable(Exception):
    """A log the report was asked to read and cannot (one line for the user)."""


@dataclass(frozen=True)
class Source:
    """One log file; `node` is the node whose log it is, or "" when each line names it."""

    path: str
    node: str = ""


def parse_source(text: str) -> Source:
    """`FILE` or `NODE=FILE` from the command line."""
    node, sep, path = text.partition("=")
    if sep and node and "/" not in node:
        return Source(path, node)
    return Source(text)


def default_sources() -> list[Source]:
    """Where an administrator's logs are: the log host's /var/adm/messages and its rotations
    on Solaris; on Linux pacemaker.log and the system log."""
    found = [Source(p) for p in _rotations(SOLARIS_MESSAGES) if os.path.exists(p)]
    if found:
        return found
    node = os.uname().nodename.split(".")[0]
    linux = [Source(PACEMAKER_LOG, node)] if os.path.exists(PACEMAKER_LOG) else []
    linux += [Source(p, node) for p in LINUX_SYSLOGS if os.path.exists(p)][:1]
    return linux


def _rotations(path: str) -> list[str]:
    return [path] + [f"{path}.{n}" for n in range(ROTATIONS + 1)]


def _trusted_owners() -> set[int]:
    owners = {0}
    for name in LOG_OWNERS[1:]:
        try:
            owners.add(pwd.getpwnam(name).pw_uid)
        except KeyError:
            pass
    return owners


def check_file(path: str, fd: int) -> None:
    """Refuse a log that someone other than root or hacluster could have written."""
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        raise Unreadable(f"{path} is not a regular file")
    if info.st_uid not in _trusted_owners():
        raise Unreadable(f"{path} belongs to uid {info.st_uid}, not to root: its lines could "
                         "be anyone's; refusing it")
    if info.st_mode & stat.S_IWOTH:
        raise Unreadable(f"{path} is writable by every user (mode "
                         f"{stat.S_IMODE(info.st_mode):04o}): its lines could be anyone's; "
                         "refusing it")


def read_lines(source: Source) -> Iterator[tuple[str, str]]:
    """(node, line) of one file, opened without following a symbolic link, checked first."""
    try:
        fd = os.open(source.path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
                     | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise Unreadable(f"cannot read {source.path}: {exc.strerror}") from None
    with open(fd, "rb") as f:
        check_file(source.path, f.fileno())
        for raw in f:
            if len(raw) > MAX_LINE:
                continue
            yield source.node, raw.decode("utf-8", "replace")


def read_all(sources: list[Source]) -> list[tuple[str, str]]:
    """Every line of every source; Unreadable for the first that cannot be read."""
    if not sources:
        raise Unreadable("no log to read: none of /var/adm/messages, "
                         f"{PACEMAKER_LOG} exists here; name the logs with --log FILE")
    lines: list[tuple[str, str]] = []
    for source in sources:
        lines.extend(read_lines(source))
    return lines
