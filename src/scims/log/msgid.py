"""Solaris' STRLOG_MAKE_MSGID: the number in `[ID <n> daemon.error]`.

Solaris computes the ID from the *unexpanded* printf format of a message, so one message
keeps one ID whatever its arguments; the Sun Cluster Error Messages Guide is indexed by it.
This is the one implementation, shared by the agent (which formats lines itself off Solaris),
the catalogue (which prints IDs in the messages guide) and the stand-in syslog daemon.
"""

from __future__ import annotations

_MASK = 0xFFFFFFFF


def msgid(fmt: str) -> int:
    """The message ID of a printf format, as `usr/src/uts/common/sys/strlog.h` computes it.

    The C macro walks bytes as `uchar_t`, skips control characters and stops at NUL; the
    32-bit arithmetic wraps, which the masks reproduce.
    """
    h = 0
    for c in fmt.encode("utf-8"):
        if c == 0:
            break
        if c >= 32:
            h = ((h >> 5) + ((h << 27) & _MASK) + c) & _MASK
    return h % 899981 + 100000
