"""The client side of a node's syslog: what a program on the node (a method, a cluster
command, pmfd, rgmd) calls to log one message, and the facility and level names.

Why a module of its own: `scha_resource_setstatus` and the built-in methods log, each a
fresh process; the daemon's module (clustersim.syslogd: argparse, re, ctypes, dataclasses)
would cost each of them more than the rest of its work.
"""

from __future__ import annotations

import _socket
import sys

from scims.log.msgid import msgid

TYPE_CHECKING = False
if TYPE_CHECKING:
    from clustersim.layout import ClusterLayout

FACILITIES: dict[int, str] = {
    0: "kern", 1: "user", 2: "mail", 3: "daemon", 4: "auth", 5: "syslog", 6: "lpr",
    7: "news", 8: "uucp", 9: "cron", 10: "authpriv", 11: "ftp", 12: "ntp", 13: "security",
    14: "console", 15: "cron2",
    16: "local0", 17: "local1", 18: "local2", 19: "local3", 20: "local4", 21: "local5",
    22: "local6", 23: "local7",
}  # fmt: skip
FACILITY_CODES: dict[str, int] = {name: code for code, name in FACILITIES.items()}
# Solaris spells two levels differently from Linux ("error", "warning", not "err", "warn").
LEVELS: tuple[str, ...] = ("emerg", "alert", "crit", "error", "warning", "notice", "info", "debug")
LEVEL_ALIASES: dict[str, int] = {
    **{name: i for i, name in enumerate(LEVELS)},
    "err": 3, "warn": 4, "panic": 0,
}  # fmt: skip


def id_prefix(fmt: str, facility: str, level: str) -> str:
    """`[ID <n> <facility>.<level>] ` for a message format, as Solaris' log driver writes it."""
    return f"[ID {msgid(fmt)} {facility}.{level}] "


def encode_priority(priority: int | str, facility: int | str = "daemon") -> int:
    """PRI number from a level (0-7 or a name such as "notice") and a facility name."""
    level = priority if isinstance(priority, int) else LEVEL_ALIASES[priority.lower()]
    fac = facility if isinstance(facility, int) else FACILITY_CODES[facility.lower()]
    if not 0 <= level <= 7:
        raise ValueError(f"syslog level out of range: {level}")
    return fac * 8 + level


# --- the client side ------------------------------------------------------------------


def log_to_node(  # noqa: PLR0917 - the signature other clustersim code calls
    layout: ClusterLayout,
    node: str,
    tag: str,
    priority: int | str,
    text: str,
    facility: str = "daemon",
    *,
    msgid_format: str | None = None,
) -> bool:
    """Log one message to the node's syslog as a Solaris daemon would; False if not delivered.

    The `[ID n]` of a Solaris message is computed from its printf *format*: pass that as
    `msgid_format` when `text` is the expanded message (pmfd does), otherwise the ID is
    computed from `text` itself by the syslog daemon. Never raises for a missing daemon:
    logging must not break the caller; the line goes to stderr instead.
    """
    pri = encode_priority(priority, facility)
    body = text
    if msgid_format is not None:
        body = id_prefix(msgid_format, FACILITIES[pri >> 3], LEVELS[pri & 7]) + text
    payload = f"<{pri}>{tag}: {body}".encode()
    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_DGRAM)
    try:
        sock.sendto(payload, str(layout.node_log_socket(node)))
    except OSError:
        print(f"{tag}: {body}", file=sys.stderr, flush=True)
        return False
    finally:
        sock.close()
    return True
