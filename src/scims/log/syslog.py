"""The agent's logger: the line format, debug levels and transport of the SUNW.ims contract.

A line reads `SC[SUNW.ims,<RG>,<R>,<method>]: [ID <n> <facility>.<level>] <text>`: the
`SC[...]` part is the syslog tag (ident), `n` the STRLOG_MAKE_MSGID of the message's format.

* Facility: asked once per logger from `scha_cluster_get -O SYSLOG_FACILITY`; if the cluster
  cannot say, `daemon` and one warning.
* Debug messages appear when `/var/cluster/rgm/rt/<RT>/loglevel` holds a level at
  least theirs. The fault monitor runs for months, so the file is watched, cheaply: a stat
  at most every half second, a read only when the stat changed.
* Transport: on Solaris, libc syslog(3C) with the real format and C-typed arguments, because
  Solaris computes the ID from the format it is given (Python's `syslog` module would pass
  "%s" and give every line one ID). Elsewhere (the stand-in cluster) the agent formats the
  line and sends it to the node's `/dev/log`; if nobody listens, to stderr.
"""

from __future__ import annotations

import os
import socket
import stat
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Optional, Protocol, TextIO

from scims import trust
from scims.cluster import commands
from scims.errors import AgentError, FrameworkError
from scims.log import messages
from scims.log.cformat import c_arguments, expand
from scims.log.messages import Message, Priority

FACILITIES = {
    "kern": 0, "user": 1, "mail": 2, "daemon": 3, "auth": 4, "syslog": 5, "lpr": 6,
    "news": 7, "uucp": 8, "cron": 9, "audit": 13,
    "local0": 16, "local1": 17, "local2": 18, "local3": 19,
    "local4": 20, "local5": 21, "local6": 22, "local7": 23,
}  # fmt: skip
DEFAULT_FACILITY = "daemon"
FACILITY_TIMEOUT = 10.0

LOGLEVEL_DIR = "/var/cluster/rgm/rt"
MAX_DEBUG_LEVEL = 9
RECHECK_INTERVAL = 0.5
"""Seconds between two stats of the loglevel file."""
_RACY_WINDOW = 2.0
"""A file modified this recently is re-read even if its stat looks unchanged: two writes
within one file-system timestamp tick leave size, inode and mtime alike."""
_LOGLEVEL_READ_LIMIT = 64

SOCKET_PATH = "/dev/log"
_SUN_PATH_LIMIT = 100


def resource_type_name(rt: str) -> str:
    """`SUNW.ims` from `SUNW.ims:1.0`: the tag and the loglevel path use the bare name."""
    return rt.split(":", 1)[0]


def syslog_tag(rt: str, rg: str, r: str, method: str) -> str:
    return f"SC[{resource_type_name(rt)},{rg},{r},{method}]"


def loglevel_path(rt: str) -> str:
    return f"{LOGLEVEL_DIR}/{resource_type_name(rt)}/loglevel"


@dataclass(frozen=True)
class LogRecord:
    """One message on its way out: what both transports need."""

    tag: str
    facility: str
    message: Message
    arguments: tuple[object, ...]
    text: str

    @property
    def priority(self) -> Priority:
        return self.message.priority

    @property
    def pri(self) -> int:
        """The syslog PRI value: facility * 8 + level."""
        return FACILITIES[self.facility] * 8 + int(self.priority)

    def line(self) -> str:
        """What Solaris' log driver writes after the tag and ': '."""
        label = f"{self.facility}.{self.priority.label}"
        return f"[ID {self.message.msgid} {label}] {self.text}"


# --- the debug level ------------------------------------------------------------------------

Warn = Callable[..., None]


def parse_loglevel(content: bytes) -> Optional[int]:
    """The level a loglevel file holds; None when it is not one integer 0-9.

    An empty file is level 0 (`: > loglevel` is a way to turn debugging off).
    """
    text = content.strip()
    if not text:
        return 0
    if text.isdigit() and int(text) <= MAX_DEBUG_LEVEL:
        return int(text)
    return None


class DebugLevel:
    """The current debug level of a resource type, following its loglevel file.

    A missing file is level 0 without a word. A malformed or unreadable one is level 0 and
    one warning, however often it is looked at: a warning per probe would flood the log.
    """

    def __init__(
        self,
        path: str,
        warn: Warn,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = path
        self._warn = warn
        self._clock = clock
        self._wall_clock = wall_clock
        self._level = 0
        self._signature: Optional[tuple[int, ...]] = None
        self._next_check = float("-inf")
        self._warned = False

    def current(self) -> int:
        now = self._clock()
        if now >= self._next_check:
            self._next_check = now + RECHECK_INTERVAL
            self._refresh()
        return self._level

    def _refresh(self) -> None:
        try:
            st = os.stat(self.path)
        except (FileNotFoundError, NotADirectoryError):
            self._signature = None
            self._level = 0
            return
        except OSError as exc:
            self._signature = None
            self._level = 0
            self._complain(messages.LOGLEVEL_UNREADABLE, self.path, exc.strerror or str(exc))
            return
        signature = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
        recent = self._wall_clock() - st.st_mtime < _RACY_WINDOW
        if signature == self._signature and not recent:
            return
        self._signature = signature
        if not stat.S_ISREG(st.st_mode):
            # A FIFO would block every method in its first debug line, a device worse.
            self._level = 0
            self._complain(messages.LOGLEVEL_UNREADABLE, self.path, "not a regular file")
            return
        try:
            content = trust.read_untrusted(self.path, trust.SMALL_READ_LIMIT, within=())
        except FileNotFoundError:
            self._signature = None
            self._level = 0
            return
        except OSError as exc:
            self._level = 0
            self._complain(messages.LOGLEVEL_UNREADABLE, self.path, exc.strerror or str(exc))
            return
        level = parse_loglevel(content) if len(content) <= _LOGLEVEL_READ_LIMIT else None
        if level is None:
            self._level = 0
            self._complain(messages.LOGLEVEL_MALFORMED, self.path)
        else:
            self._level = level

    def _complain(self, message: Message, *args: object) -> None:
        if not self._warned:
            self._warned = True
            self._warn(message, *args)


# --- transports -----------------------------------------------------------------------------


class Transport(Protocol):
    def deliver(self, record: LogRecord) -> None: ...


class DatagramTransport:
    """RFC 3164 datagrams (without timestamp) to the node's syslog socket.

    AF_UNIX addresses hold about 108 bytes and a socket path given can be longer, so a long
    socket path is addressed through the opened directory: `/proc/self/fd/<fd>/log`.
    """

    def __init__(
        self, socket_path: Optional[str] = None, stderr: Optional[TextIO] = None,
        timeout: float = 1.0,
    ) -> None:
        self.socket_path = socket_path or SOCKET_PATH
        self._stderr = stderr
        self._timeout = timeout

    def deliver(self, record: LogRecord) -> None:
        datagram = f"<{record.pri}>{record.tag}: {record.line()}".encode("utf-8", "replace")
        try:
            self._send(datagram)
        except OSError:
            self._fall_back(record)

    def _send(self, datagram: bytes) -> None:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.settimeout(self._timeout)
            if len(os.fsencode(self.socket_path)) <= _SUN_PATH_LIMIT:
                sock.sendto(datagram, self.socket_path)
                return
            directory, name = os.path.split(self.socket_path)
            flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)
            dir_fd = os.open(directory, flags)
            try:
                sock.sendto(datagram, f"/proc/self/fd/{dir_fd}/{name}")
            finally:
                os.close(dir_fd)

    def _fall_back(self, record: LogRecord) -> None:
        """One line on stderr: the RGM puts it on the console, the only place left."""
        stream = self._stderr if self._stderr is not None else sys.stderr
        try:
            stream.write(f"{record.tag}: {record.line()}\n")
            stream.flush()
        except (OSError, ValueError):
            pass  # stderr closed too: there is nowhere left to say anything


LOG_PRIMASK = 0x07


class SolarisTransport:
    """libc syslog(3C) through ctypes, so that Solaris computes the message ID itself."""

    def __init__(self, libc: Any = None) -> None:
        import ctypes  # noqa: PLC0415 - Solaris only; elsewhere no method pays for it
        import ctypes.util  # noqa: PLC0415

        if libc is None:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.1", use_errno=True)
        self._libc = libc
        self._ident: Any = None  # openlog keeps this pointer: the buffer must live on
        self._opened: Optional[tuple[str, str]] = None

    def deliver(self, record: LogRecord) -> None:
        import ctypes  # noqa: PLC0415 - loaded by __init__ already

        facility_bits = FACILITIES[record.facility] << 3
        if self._opened != (record.tag, record.facility):
            self._ident = ctypes.create_string_buffer(record.tag.encode("utf-8", "replace"))
            self._libc.openlog(self._ident, ctypes.c_int(0), ctypes.c_int(facility_bits))
            self._opened = (record.tag, record.facility)
        fmt = ctypes.c_char_p(record.message.fmt.encode("utf-8"))
        arguments = c_arguments(record.message.fmt, record.arguments)
        priority = ctypes.c_int(facility_bits | int(record.priority))
        self._libc.syslog(priority, fmt, *arguments)


def default_transport() -> Transport:
    if sys.platform.startswith("sunos"):
        return SolarisTransport()
    return DatagramTransport()


# --- the logger -----------------------------------------------------------------------------


def cluster_facility() -> str:
    """The cluster's syslog facility name, as scha_cluster_get prints it."""
    return commands.cluster_get("SYSLOG_FACILITY", timeout=FACILITY_TIMEOUT).as_str()


class AgentLog:
    """The log of one method (or the fault monitor) of one resource.

    Create one per process: the facility lookup and the loglevel warning happen once per
    logger.
    """

    def __init__(
        self,
        rt: str,
        rg: str,
        r: str,
        method: str,
        *,
        transport: Optional[Transport] = None,
        facility: Optional[str] = None,
        facility_source: Callable[[], str] = cluster_facility,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.tag = syslog_tag(rt, rg, r, method)
        self._transport = transport if transport is not None else default_transport()
        if facility is not None and facility not in FACILITIES:
            raise ValueError(f"unknown syslog facility {facility!r}")
        self._facility = facility
        self._facility_source = facility_source
        self._debug_level = DebugLevel(loglevel_path(rt), self.emit, clock)

    @property
    def facility(self) -> str:
        if self._facility is None:
            self._facility = DEFAULT_FACILITY  # set first: the warning below logs through us
            problem = None
            try:
                name = self._facility_source().strip().lower()
            except FrameworkError as exc:
                problem = exc.detail or exc.name
            else:
                if name in FACILITIES:
                    self._facility = name
                else:
                    problem = f"unknown facility {name!r}"
            if problem is not None:
                self.emit(messages.SYSLOG_FACILITY_UNAVAILABLE, problem)
        return self._facility

    def debug_level(self) -> int:
        """The level the loglevel file holds now (0 when missing or malformed)."""
        return self._debug_level.current()

    def debug_enabled(self, level: int) -> bool:
        return level <= self._debug_level.current()

    def emit(self, message: Message, *args: object) -> None:
        """Log `message`; a debug message only when the current debug level shows it."""
        if len(args) != len(message.conversions):
            # Checked even when a debug message is not shown, so tests catch the mistake.
            raise ValueError(f"{message.name} takes {len(message.conversions)} argument(s)")
        if message.debug_level is not None and not self.debug_enabled(message.debug_level):
            return
        text = expand(message.fmt, args)
        self._transport.deliver(LogRecord(self.tag, self.facility, message, args, text))

    def report(self, error: AgentError) -> int:
        """Log an error as its one catalogue line; return the exit status for `main`.

        The traceback is not logged: the line says what failed and the catalogue says why.
        """
        self.emit(error.message, *error.arguments)
        return error.exit_status

    def debug(self, message: Message, *args: object) -> None:
        """`emit` for debug messages, refusing others so a mistaken call shows in tests."""
        if not message.is_debug:
            raise ValueError(f"{message.name} is not a debug message")
        self.emit(message, *args)
