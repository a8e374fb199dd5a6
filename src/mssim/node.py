"""The node root (docs/internals.md §2) and the user, group and host databases inside it.

A stand-in node keeps its own etc/passwd, etc/group and etc/hosts, so two "nodes" can live on
one machine. Names are therefore never looked up with pwd/grp (that would read the machine's
/etc), only in the files under the node root.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path


def node_root(argv0: str | None = None) -> Path:
    """The nearest ancestor of the invoked path holding etc/nodename, else /.

    The invoked path is used as given (made absolute, symlinks not resolved): a node's
    /opt/SUNWmsgsr may be a symlink onto shared storage, and the node is where it was invoked.
    """
    start = Path(os.path.abspath(argv0 if argv0 is not None else sys.argv[0]))
    for parent in (start, *start.parents):
        if parent != Path("/") and (parent / "etc" / "nodename").is_file():
            return parent
    return Path("/")


def in_root(root: Path, path: str) -> Path:
    return root / path.lstrip("/")


@dataclass(frozen=True)
class Account:
    name: str
    uid: int
    gid: int


def _records(path: Path) -> list[list[str]]:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return []
    return [line.split(":") for line in text.splitlines() if line and not line.startswith("#")]


def find_user(root: Path, name: str) -> Account | None:
    for rec in _records(in_root(root, "/etc/passwd")):
        if len(rec) >= 4 and rec[0] == name and rec[2].isdigit() and rec[3].isdigit():
            return Account(name, int(rec[2]), int(rec[3]))
    return None


def find_group(root: Path, name: str) -> int | None:
    for rec in _records(in_root(root, "/etc/group")):
        if len(rec) >= 3 and rec[0] == name and rec[2].isdigit():
            return int(rec[2])
    return None


def resolve_host(root: Path, name: str) -> str | None:
    """Address of `name` (or of its first label) in the node's etc/hosts."""
    try:
        lines = in_root(root, "/etc/hosts").read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return None
    short = name.split(".", maxsplit=1)[0]
    for line in lines:
        fields = line.split("#", 1)[0].split()
        if len(fields) >= 2 and (name in fields[1:] or short in fields[1:]):
            return fields[0]
    return None


def runtime_ids(root: Path, user: str, group: str) -> tuple[int, int]:
    """Numeric uid/gid of the runtime user in the node's files; LookupError if absent."""
    acct = find_user(root, user)
    if acct is None:
        raise LookupError(f"Username {user} does not exist in {in_root(root, '/etc/passwd')}")
    gid = find_group(root, group)
    if gid is None:
        raise LookupError(f"Groupname {group} does not exist in {in_root(root, '/etc/group')}")
    return acct.uid, gid
