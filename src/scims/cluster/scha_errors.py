"""scha_err_t: the error numbers of the Sun Cluster API, in one table.

The scha_* commands exit with these numbers, so the agent reads a command's exit status
through this table; the cluster stand-in imports the same table to produce them. The numbers
0-18 follow the order of the scha_calls(3HA) list; 19-21 are this project's fixed choice for
the later additions (documented in docs/internals.md §4).
"""

from __future__ import annotations

import enum
from typing import Optional


class SchaError(enum.IntEnum):
    """One scha_err_t value; `symbol` is the C name, `text` a short scha_strerror-like text."""

    NOERR = 0
    NOMEM = 1
    HANDLE = 2
    INVAL = 3
    TAG = 4
    RECONF = 5
    ACCESS = 6
    SEQID = 7
    DEPEND = 8
    STATE = 9
    METHOD = 10
    NODE = 11
    RG = 12
    RT = 13
    RSRC = 14
    PROP = 15
    CHECKS = 16
    RSTATUS = 17
    INTERNAL = 18
    CLUSTER = 19
    ZONE_CLUSTER = 20
    TIMEOUT = 21

    @property
    def symbol(self) -> str:
        return f"SCHA_ERR_{self.name}"

    @property
    def text(self) -> str:
        return _TEXTS[self]


_TEXTS = {
    SchaError.NOERR: "no error",
    SchaError.NOMEM: "not enough memory",
    SchaError.HANDLE: "invalid or stale handle",
    SchaError.INVAL: "invalid argument",
    SchaError.TAG: "invalid tag",
    SchaError.RECONF: "cluster is reconfiguring",
    SchaError.ACCESS: "permission denied",
    SchaError.SEQID: "resource, group or type has been updated since the handle was opened",
    SchaError.DEPEND: "object dependency problem",
    SchaError.STATE: "object is in the wrong state for this operation",
    SchaError.METHOD: "invalid method",
    SchaError.NODE: "invalid node",
    SchaError.RG: "invalid resource group",
    SchaError.RT: "invalid resource type",
    SchaError.RSRC: "invalid resource",
    SchaError.PROP: "invalid property",
    SchaError.CHECKS: "sanity checks failed",
    SchaError.RSTATUS: "invalid resource status",
    SchaError.INTERNAL: "internal error",
    SchaError.CLUSTER: "invalid cluster",
    SchaError.ZONE_CLUSTER: "invalid zone cluster",
    SchaError.TIMEOUT: "operation timed out",
}


def lookup(code: int) -> Optional[SchaError]:
    """The table entry for an exit status, or None when a program exited outside the table."""
    try:
        return SchaError(code)
    except ValueError:
        return None


def symbol(code: int) -> str:
    """`SCHA_ERR_PROP` for 15; a readable stand-in for numbers outside the table."""
    err = lookup(code)
    if err is not None:
        return err.symbol
    if code < 0:
        return f"killed by signal {-code}"
    return f"exit status {code}"


def strerror(code: int) -> str:
    """Short text like scha_strerror(3HA), for log lines."""
    err = lookup(code)
    return err.text if err is not None else "unknown error"
