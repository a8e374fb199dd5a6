"""Can this machine hold a lab? One line saying what is missing, before anything is made.

A lab needs root with CAP_SYS_ADMIN (namespaces, mounts), CAP_NET_ADMIN (interfaces) and
CAP_MKNOD (the hosts' private /dev), the kernel's network, mount, UTS and PID namespaces,
overlayfs (mount points that do not exist on the machine are made in an overlay, never on
the machine's own file systems), loop devices, and the tools that do the work.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from pathlib import Path

TOOLS = ("ip", "unshare", "nsenter", "mount", "umount", "losetup", "mkfs.ext4", "e2fsck")
"""Programs hostlab itself runs (iproute2, util-linux, e2fsprogs)."""

CAPABILITIES = {"CAP_NET_ADMIN": 12, "CAP_SYS_ADMIN": 21, "CAP_MKNOD": 27}
NAMESPACES = ("net", "mnt", "uts", "pid")
TOOL_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def _effective_capabilities() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("CapEff:"):
            return int(line.split()[1], 16)
    return 0


def missing(extra_tools: Iterable[str] = ()) -> list[str]:
    """Everything a lab needs and this machine lacks, in the words of the fix."""
    lacks: list[str] = []
    if os.geteuid() != 0:
        lacks.append("root (run as root)")
    else:
        caps = _effective_capabilities()
        lacks += [name for name, bit in CAPABILITIES.items() if not caps & (1 << bit)]
    lacks += [f"{ns} namespaces" for ns in NAMESPACES if not Path(f"/proc/self/ns/{ns}").exists()]
    try:
        filesystems = Path("/proc/filesystems").read_text().split()
    except OSError:
        filesystems = []
    lacks += [f"{fs} file systems" for fs in ("overlay", "tmpfs", "ext4")
              if fs not in filesystems]
    if not Path("/dev/loop-control").exists():
        lacks.append("loop devices (/dev/loop-control; modprobe loop)")
    tools = [t for t in (*TOOLS, *extra_tools) if shutil.which(t, path=TOOL_PATH) is None]
    if tools:
        lacks.append("the programs " + ", ".join(tools)
                     + " (make sysdeps installs them on Debian)")
    return lacks


def check_capabilities(extra_tools: Iterable[str] = ()) -> str | None:
    """`None` when a lab can be made here, else one line naming everything missing.

    `extra_tools` adds programs the caller needs inside its hosts (e.g. `arping`).
    """
    lacks = missing(extra_tools)
    if not lacks:
        return None
    return "this machine cannot hold real hosts; missing: " + "; ".join(lacks)
