"""SUNW.HAStoragePlus / SUNW.HAStorage: real file systems on the cluster's shared disks.

A mount point is looked up in the node's /etc/vfstab as the administrator wrote it; the
device names a shared disk, which the device service (clustersim.devices) makes and names
on every node. A file system whose options contain `global` is mounted on every node;
any other is a failover file system: checked (fsck) and mounted only in the mount
namespace of the node where the resource is online, and its unmount fails with the
kernel's own EBUSY while a process of that node uses it.

The functions below that take no layout run on the node itself (the methods do).
"""

from __future__ import annotations

import os
from typing import NamedTuple

from clustersim.builtin import node_file

TYPE_CHECKING = False  # an HAStoragePlus method imports this module: no pathlib
if TYPE_CHECKING:
    import subprocess
    from pathlib import Path

    from clustersim.layout import ClusterLayout

TOOL_ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C"}
FSTYPE = "ext4"
"""What a vfstab's ufs is mounted as here."""


class VfstabEntry(NamedTuple):
    """One line of /etc/vfstab (a NamedTuple, not a dataclass: dataclasses costs each
    HAStoragePlus method ~8 ms of imports)."""

    device: str
    mount_point: str
    fstype: str
    at_boot: str
    options: tuple[str, ...]

    @property
    def is_global(self) -> bool:
        return "global" in self.options

    @property
    def disk_name(self) -> str:
        from clustersim.devices import disk_name  # noqa: PLC0415

        return disk_name(self.device)


def read_vfstab(path: Path | str) -> dict[str, VfstabEntry]:
    """mount point -> entry; 7 fields per line, `#` comments, `-` for an empty field."""
    entries: dict[str, VfstabEntry] = {}
    for line in node_file(path).splitlines():
        fields = line.split()
        if len(fields) < 7 or fields[0].startswith("#"):
            continue
        options = tuple(o for o in fields[6].split(",") if o and o != "-")
        entries[fields[2]] = VfstabEntry(fields[0], fields[2], fields[3], fields[5], options)
    return entries


def vfstab(layout: ClusterLayout, node: str) -> dict[str, VfstabEntry]:
    return read_vfstab(f"{layout.node_root(node)}/etc/vfstab")


def _tool(argv: list[str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    import subprocess  # noqa: PLC0415 - Start and Stop run no tool: they do not load it

    return subprocess.run(argv, capture_output=True, text=True, env=TOOL_ENV,
                          timeout=timeout, check=False)


def is_mounted(mount_point: str) -> bool:
    """Is a file system mounted at `mount_point` in this node's mount namespace?"""
    with open("/proc/self/mountinfo") as mountinfo:
        return any(line.split()[4] == mount_point for line in mountinfo)


def _said(done: subprocess.CompletedProcess[str]) -> str:
    lines = (done.stderr or done.stdout).strip().splitlines()
    return lines[-1] if lines else f"exit status {done.returncode}"


def mount(device: str, mount_point: str) -> str | None:
    """fsck -p, then mount, on this node; None, or what the tool said."""
    check = _tool(["e2fsck", "-p", device])
    if check.returncode not in (0, 1):  # 1: errors corrected
        return _said(check)
    try:
        os.makedirs(mount_point, exist_ok=True)
    except OSError as exc:
        return f"{mount_point}: {exc.strerror}"
    done = _tool(["mount", "-t", FSTYPE, device, mount_point], timeout=60)
    return None if done.returncode == 0 else _said(done)


def unmount(mount_point: str) -> str | None:
    """umount on this node; None, or what umount said (`target is busy.`: EBUSY)."""
    done = _tool(["umount", mount_point], timeout=60)
    return None if done.returncode == 0 else _said(done)


def release(layout: ClusterLayout, node: str) -> None:
    """A dead node's failover file systems: nothing to do, they went with its mount
    namespace (every process of the node died, so the kernel dropped its mounts)."""
