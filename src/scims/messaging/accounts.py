"""The runtime user and group of Messaging Server, as the node's files define them.

The administration guide requires the user and group to be in `/etc/passwd` and `/etc/group`
on every node with the same ids; a name that resolves only through NIS or LDAP would vanish
when the name service does, so the files are read directly, not NSS.

Lines that do not follow passwd(4)/group(4) are skipped and kept in `malformed`, for the
caller to log: one bad line must not make the agent fail the whole resource.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Optional, Protocol, TypeVar

from scims.errors import ConfigError
from scims.log import messages
from scims.log.messages import Message

USERS_FILE = "/etc/passwd"
GROUPS_FILE = "/etc/group"


class Log(Protocol):
    def emit(self, message: Message, *args: object) -> None: ...


@dataclass(frozen=True)
class User:
    name: str
    uid: int
    gid: int
    home: str
    shell: str

    @property
    def is_root(self) -> bool:
        """uid 0 is root whatever the name: the guide forbids running the server as root."""
        return self.uid == 0


@dataclass(frozen=True)
class Group:
    name: str
    gid: int
    members: tuple[str, ...]


@dataclass(frozen=True)
class MalformedLine:
    path: str
    line_number: int
    reason: str


def _read_lines(path: str) -> list[str]:
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as f:
            return f.read().split("\n")
    except OSError as exc:
        raise ConfigError(
            messages.ACCOUNT_FILE_UNREADABLE, path, exc.strerror or str(exc)
        ) from exc


def _skipped_quietly(line: str) -> bool:
    """Blank lines, comments, and NIS compat entries (`+name`, `-name`, `+`) are not errors."""
    return not line.strip() or line.startswith(("#", "+", "-"))


def _number(text: str) -> Optional[int]:
    return int(text) if text.isascii() and text.isdigit() else None


def _entries(lines: list[str], path: str, count: int, what: str,
             bad: list[MalformedLine]) -> Iterator[tuple[int, list[str]]]:
    """The entries of a passwd(4) or group(4) file: (line number, its `count` fields, the
    first a `what` name); a line with another number of fields or no name goes to `bad`."""
    for number, line in enumerate(lines, start=1):
        if _skipped_quietly(line):
            continue
        fields = line.split(":")
        if len(fields) != count:
            bad.append(MalformedLine(path, number, f"{len(fields)} fields instead of {count}"))
        elif not fields[0]:
            bad.append(MalformedLine(path, number, f"empty {what} name"))
        else:
            yield number, fields


R = TypeVar("R", "User", "Group")
"""A record of an account file: a user or a group."""


def _first_records(lines: list[str], path: str, count: int, what: str, *,
                   record: Callable[[list[str]], Optional[R]], not_a_number: str
                   ) -> tuple[dict[str, R], list[MalformedLine]]:
    """Records by name (the first entry of a name wins, as getpwnam and getgrnam find it),
    and bad lines: `record` makes one of an entry's fields, None when a number is not one."""
    records: dict[str, R] = {}
    bad: list[MalformedLine] = []
    for number, fields in _entries(lines, path, count, what, bad):
        made = record(fields)
        if made is None:
            bad.append(MalformedLine(path, number, not_a_number))
        elif made.name not in records:
            records[made.name] = made
    return records, bad


def _user(fields: list[str]) -> Optional[User]:
    name, _password, uid, gid, _gecos, home, shell = fields
    uid_number, gid_number = _number(uid), _number(gid)
    if uid_number is None or gid_number is None:
        return None
    return User(name, uid_number, gid_number, home, shell)


def _group(fields: list[str]) -> Optional[Group]:
    name, _password, gid, members = fields
    gid_number = _number(gid)
    if gid_number is None:
        return None
    return Group(name, gid_number, tuple(m.strip() for m in members.split(",") if m.strip()))


def parse_passwd(lines: list[str], path: str = USERS_FILE
                 ) -> tuple[dict[str, User], list[MalformedLine]]:
    """Users by name (the first entry of a name wins, as getpwnam finds it), and bad lines."""
    return _first_records(lines, path, 7, "user", record=_user,
                          not_a_number="uid or gid is not a number")


def parse_group(lines: list[str], path: str = GROUPS_FILE
                ) -> tuple[dict[str, Group], list[MalformedLine]]:
    """Groups by name (first entry wins), and bad lines."""
    return _first_records(lines, path, 4, "group", record=_group,
                          not_a_number="gid is not a number")


class Accounts:
    """The users and groups of one node."""

    def __init__(self, users: dict[str, User], groups: dict[str, Group],
                 malformed: list[MalformedLine]) -> None:
        self._users = users
        self._groups = groups
        self.malformed = tuple(malformed)

    @classmethod
    def load(cls) -> Accounts:
        """Read `/etc/passwd` and `/etc/group`; ConfigError if one is unreadable."""
        passwd_path, group_path = USERS_FILE, GROUPS_FILE
        users, bad_users = parse_passwd(_read_lines(passwd_path), passwd_path)
        groups, bad_groups = parse_group(_read_lines(group_path), group_path)
        return cls(users, groups, bad_users + bad_groups)

    def user(self, name: str) -> Optional[User]:
        return self._users.get(name)

    def group(self, name: str) -> Optional[Group]:
        return self._groups.get(name)

    def user_exists(self, name: str) -> bool:
        return name in self._users

    def group_exists(self, name: str) -> bool:
        return name in self._groups

    def group_by_gid(self, gid: int) -> Optional[Group]:
        for group in self._groups.values():
            if group.gid == gid:
                return group
        return None

    def primary_group(self, user_name: str) -> Optional[Group]:
        """The group named by the user's gid, if /etc/group has it."""
        user = self.user(user_name)
        return self.group_by_gid(user.gid) if user is not None else None

    def supplementary_groups(self, user_name: str) -> list[Group]:
        """Groups that list the user as a member."""
        return [g for g in self._groups.values() if user_name in g.members]

    def is_member(self, user_name: str, group_name: str) -> bool:
        """True when the group is the user's primary group or lists the user."""
        user, group = self.user(user_name), self.group(group_name)
        if user is None or group is None:
            return False
        return user.gid == group.gid or user_name in group.members

    def report_malformed(self, log: Log) -> None:
        """Log each skipped line (log: an AgentLog)."""
        for bad in self.malformed:
            log.emit(messages.ACCOUNT_FILE_LINE_MALFORMED, bad.line_number, bad.path, bad.reason)
