"""Which host of a lab the calling process runs in, from the lab's record alone.

Why a module of its own: a short-lived program on a host (a cluster's method, which must
refuse to plumb an address or mount a disk on the machine itself) asks this once; the rest
of hostlab (pathlib, subprocess, ctypes, the lab's machinery) would cost it ~25 ms of
imports. `Host.is_current` answers with the same rule.
"""

from __future__ import annotations

import os

STATE_NAME = "hostlab.json"
"""The lab's record, in its directory (hostlab.state writes it)."""


def in_namespace_of(record: dict[str, object]) -> bool:
    """Does the calling process run in the network namespace recorded for a host? Only a
    powered host has one. (Works inside the host too, where the machine's pids are not
    visible.)"""
    recorded = record.get("netns") if record.get("powered") else None
    return recorded is not None and os.readlink("/proc/self/ns/net") == recorded


def runs_in(directory: str, host: str) -> bool:
    """Does the calling process run in `host` of the lab recorded in `directory`? False
    when there is no such lab or host."""
    import json  # noqa: PLC0415

    try:
        with open(os.path.join(directory, STATE_NAME), "rb") as f:
            record = json.loads(f.read())["hosts"][host]
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return isinstance(record, dict) and in_namespace_of(record)
