"""Where a Messaging Server configuration value came from, and the one error every reader raises.

The agent's only useful reaction to a bad configuration is a syslog line an administrator can act
on ("Failed to get the configuration info: <detail>"), so every problem found by the
``msconfig*`` readers is a :class:`MsConfigError` naming the file and, when it is about one line,
the line number. Reading files is done here too, so that "missing", "unreadable" and "not text"
are reported the same way for every file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, Optional, TypeVar, Union

from scims import trust
from scims.errors import ConfigError
from scims.log import messages

__all__ = [
    "Location",
    "MsConfigError",
    "Sourced",
    "describe_missing_link",
    "excerpt",
    "read_config_lines",
    "undisclosed",
]

T = TypeVar("T")


@dataclass(frozen=True)
class Location:
    """A file and, when the thing is one line of it, the 1-based line number.

    Line numbers count ``\\n`` separated lines, as ``sed -n Np`` and editors do, so an
    administrator can go straight to the line a message names.
    """

    path: Path
    line: Optional[int] = None

    def __str__(self) -> str:
        if self.line is None:
            return str(self.path)
        return f"{self.path}, line {self.line}"


@dataclass(frozen=True)
class Sourced(Generic[T]):
    """A configuration value and where it was set; ``origin`` None means the built-in default.

    The agent's HA checks report *where* a wrong value lives (msg.conf or msg.conf.defaults,
    which line of dispatcher.cnf), so the value and its origin travel together.
    """

    value: T
    origin: Optional[Location] = None


class MsConfigError(ConfigError):
    """The Messaging Server configuration cannot be read or makes no sense.

    ``path`` is the file concerned, ``line`` its 1-based line number or None when the problem is
    the whole file (missing, unreadable, a required section absent), ``problem`` the problem in
    words. ``str()`` gives all three in one line, ready for syslog. As every configuration error
    of the agent, it is logged as one catalogue line: "Failed to get the configuration info:
    <file>, line <n>: <problem>".
    """

    def __init__(self, path: Union[Path, str], line: Optional[int], problem: str) -> None:
        self.path = Path(path)
        self.line = line
        self.problem = problem
        super().__init__(messages.CONFIG_INFO_UNAVAILABLE, f": {self}")

    @classmethod
    def at(cls, where: Location, message: str) -> MsConfigError:
        """Build the error for a known location (a setting's origin)."""
        return cls(where.path, where.line, message)

    @property
    def location(self) -> Location:
        return Location(self.path, self.line)

    def __str__(self) -> str:
        return f"{self.location}: {self.problem}"

    def __reduce__(self) -> tuple[type[MsConfigError], tuple[Path, Optional[int], str]]:
        # Exception pickling replays args; ours are not the constructor's, so say what they are.
        return (type(self), (self.path, self.line, self.problem))


def read_config_lines(path: Path, *, required: bool = True) -> Optional[list[str]]:
    """Return the lines of a configuration file, or None when it is absent and not required.

    Files are decoded as UTF-8; a byte that is not UTF-8 (an older installation's ISO-8859-1
    language variant, ``name;lang-fr``, or anything the runtime user wrote) is carried as a
    lone surrogate (surrogateescape) rather than rejected: the keys the agent needs are ASCII
    either way, a path keeps its very bytes (os.fsencode gives them back), and a message
    shows the byte as ``\\xNN`` (`cformat.printable`, docs/security.md section 7). Decoding
    the whole file as ISO-8859-1 showed the letters ``ÿþ`` instead, and C1 controls. Lines
    are split on ``\\n`` only (a trailing ``\\r`` is dropped), so numbering matches what the
    administrator's editor shows.

    The runtime user can write these files, so they are read as `trust.read_untrusted` reads:
    never blocking, regular files of bounded size, inside the installation.
    """
    try:
        data = trust.read_untrusted(str(path))
    except FileNotFoundError:
        if not required:
            return None
        raise MsConfigError(path, None, "file is missing") from None
    except IsADirectoryError:
        raise MsConfigError(path, None, "is a directory, not a file") from None
    except PermissionError as exc:
        raise MsConfigError(path, None, f"cannot be read: {exc.strerror or exc}") from None
    except trust.UnsafeFile as exc:
        raise MsConfigError(path, None, f"was not read: it {exc.strerror}") from None
    except OSError as exc:
        raise MsConfigError(path, None, f"cannot be read: {exc.strerror or exc}") from None
    text = data.decode("utf-8", "surrogateescape")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the newline that ends the last line does not start another
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def describe_missing_link(link: Path) -> str:
    """Explain why ``link`` (B/config) does not lead to a directory, for the error message.

    In HA the usual reason is that B/config points to the shared disk and the storage resource
    is not online on this node, so say where the link points.
    """
    if os.path.islink(link):
        try:
            target = os.readlink(link)
        except OSError as exc:  # pragma: no cover - a link that vanished between two calls
            return f"cannot be read: {exc.strerror or exc}"
        return (f"is a symbolic link to {target}, which does not exist "
                "(is the shared file system mounted on this node?)")
    if link.exists():
        return "is not a directory"
    return "is missing (the configuration directory link of the server root)"


def undisclosed(text: str) -> str:
    """A line that did not parse, described without quoting it: what root reads may be any
    file (a password hash), and only values that parsed may reach syslog or Status_msg."""
    return f"a text of {len(text)} characters (not shown)"


def excerpt(text: str, limit: int = 60) -> str:
    """Quote a piece of a line for a message, shortened so one syslog line stays readable."""
    if len(text) > limit:
        text = text[:limit] + "..."
    return repr(text)
