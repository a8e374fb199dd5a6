"""Reading the logs of every node for a window: which files, checked how, and refused when.

How every node is reached (docs/imsreport.md): on Sun Cluster each node's syslogd forwards
to a log host (syslog.conf `*.notice;daemon.info<TAB>@loghost`, as Solaris sites do), so the
log host's /var/adm/messages holds every node's lines, each naming its node; imsreport runs
there. On Pacemaker each node's pacemaker.log is written by the daemons themselves: it is
read over ssh from one node, as crm_report does (`--node NAME`, `--ssh-config FILE`), or
where it lies (`--log NODE=FILE`). Over ssh the node's clock is read too (`date +%s.%N`
between two readings of ours), so that its lines are put on this host's clock.

Why the file checks: a file that a user other than root (or, for pacemaker.log, hacluster)
may write could hold anything; its lines are not evidence. Such a file is refused with one
line, like a file that cannot be read.
"""

from __future__ import annotations

import os
import pwd
import shlex
import stat
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Optional

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
    return merge([list(read_lines(source)) for source in sources])


def merge(logs: list[list[tuple[str, str]]]) -> list[tuple[str, str]]:
    """The lines of several logs, a line that an earlier log holds too left out: the log
    host's copy of a node's line is the node's own line, word for word (the node's stamp
    and name), so reading both (the node's file for what never reached the log host) does
    not tell anything twice. Pure."""
    merged: list[tuple[str, str]] = []
    earlier: set[str] = set()
    for log in logs:
        merged.extend(item for item in log if item[1].rstrip("\n") not in earlier)
        earlier.update(line.rstrip("\n") for _node, line in log)
    return merged


# --- other nodes, over ssh ----------------------------------------------------------------

SSH = "/usr/bin/ssh"
SSH_TIMEOUT = 60.0
REMOTE_LOGS = (PACEMAKER_LOG, SOLARIS_MESSAGES, *LINUX_SYSLOGS)
"""What is read on a node when no --remote-log is given (those that exist)."""


@dataclass(frozen=True)
class Remote:
    """A node reached by ssh: its name as ssh knows it, the ssh_config, the logs to read
    (`%n` in a path is the node's name; `explicit` ones must exist)."""

    node: str
    config: Optional[str] = None
    paths: tuple[str, ...] = REMOTE_LOGS
    explicit: bool = False


def _ssh(remote: Remote, *command: str) -> subprocess.CompletedProcess[bytes]:
    """One command on the node: ssh's own argument list; the words of the command are quoted
    for the node's login shell, which sshd runs them with, as for every ssh command."""
    argv = [SSH, *(["-F", remote.config] if remote.config else []), "-o", "BatchMode=yes",
            "--", remote.node, " ".join(shlex.quote(word) for word in command)]
    try:
        return subprocess.run(argv, capture_output=True, timeout=SSH_TIMEOUT, check=False,
                              stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise Unreadable(f"cannot reach {remote.node} by ssh: {exc}") from None


def _refusal(done: subprocess.CompletedProcess[bytes]) -> str:
    words = done.stderr.decode("utf-8", "replace").strip().splitlines()
    return words[-1] if words else f"exit status {done.returncode}"


def clock_offset(remote: Remote) -> float:
    """How far the node's clock is ahead of ours: its `date +%s.%N` against the middle of
    the time the question took."""
    asked = time.time()
    done = _ssh(remote, "date", "+%s.%N")
    answered = time.time()
    if done.returncode == 255:
        raise Unreadable(f"cannot reach {remote.node} by ssh: {_refusal(done)}")
    try:
        theirs = float(done.stdout.decode().strip())
    except ValueError:
        raise Unreadable(f"{remote.node} did not tell its time: {_refusal(done)}") from None
    return theirs - (asked + answered) / 2


def read_remote(remote: Remote) -> list[tuple[str, str]]:
    """(node, line) of the node's logs, each checked as a local log is (owner, mode, kind)."""
    lines: list[tuple[str, str]] = []
    for template in remote.paths:
        path = template.replace("%n", remote.node)
        done = _ssh(remote, "stat", "-c", "%U %a %F", "--", path)
        if done.returncode == 255:
            raise Unreadable(f"cannot reach {remote.node} by ssh: {_refusal(done)}")
        if done.returncode != 0:
            if remote.explicit:
                raise Unreadable(f"cannot read {remote.node}:{path}: {_refusal(done)}")
            continue
        fields = done.stdout.decode("utf-8", "replace").strip().split(" ", 2)
        owner, mode, kind = (*fields, "", "")[:3]
        try:
            others_write = bool(int(mode, 8) & 0o002)
        except ValueError:
            others_write = True
        if kind != "regular file" or owner not in LOG_OWNERS or others_write:
            raise Unreadable(f"{remote.node}:{path} is {kind or 'unknown'} of {owner or '?'}, "
                             f"mode {mode or '?'}: its lines could be anyone's; refusing it")
        done = _ssh(remote, "cat", "--", path)
        if done.returncode != 0:
            raise Unreadable(f"cannot read {remote.node}:{path}: {_refusal(done)}")
        lines.extend((remote.node, raw.decode("utf-8", "replace"))
                     for raw in done.stdout.splitlines() if len(raw) <= MAX_LINE)
    return lines
