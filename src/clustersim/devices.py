"""The device service: the cluster's shared disks, as every node sees them.

Sun Cluster's device configuration service knows every shared disk and makes its global
device paths (`/dev/global/dsk/d4s0`, `/dev/md/<set>/dsk/dN`) valid on every node. Here a
shared disk is a small ext4 file system on a loop device (hostlab), made the first time a
storage resource names it in /etc/vfstab (as if the storage administrator had given the
LUN that name) and visible at that device path inside every node.

It runs in rgmd, outside the nodes (only there can loop devices be made and a node's
mounts be seen or changed from another node), and answers the storage methods that run on
the nodes: provision a disk, say where a file system is mounted, mount a global file
system on every node, release a stale mount. None of these goes through the RGM's request
queue (a method asks while the RGM waits for it).

A vfstab's `ufs` is mounted as ext4: the file system type is the only thing of Solaris
this cannot have.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import hostlab
from clustersim import hosts
from clustersim.errors import ClusterError
from clustersim.layout import ClusterLayout

DISK_MB = 64
FSTYPE = "ext4"
OPS = {"device_provision", "device_mounts", "device_mount_global", "device_umount"}

_lock = threading.Lock()


def disk_name(device: str) -> str:
    """`/dev/md/<set>/dsk/dN` -> `<set>-dN`; any other device -> its last component."""
    parts = device.strip("/").split("/")
    if len(parts) == 5 and parts[:2] == ["dev", "md"]:
        return f"{parts[2]}-{parts[4]}"
    return parts[-1]


def _lab(layout: ClusterLayout) -> hostlab.Lab:
    return hosts.lab(layout)


def provision(layout: ClusterLayout, device: str) -> str:
    """Make sure the disk behind `device` exists and `device` names it on every node."""
    if not device.startswith("/dev/") or ".." in device.split("/"):
        raise ClusterError(f"{device}: not a device path", "INVAL")
    with _lock:
        lab = _lab(layout)
        name = disk_name(device)
        disk = lab.disks.get(name)
        if disk is None:
            try:
                disk = lab.disk(name, DISK_MB, paths=(device,))
            except hostlab.HostlabError as exc:
                raise ClusterError(f"cannot make disk {name}: {exc}", "INTERNAL") from exc
        elif device not in disk.paths and device != disk.device:
            raise ClusterError(f"{device} and {disk.paths[0]} name the same disk {name}",
                               "INVAL")
        return disk.device


def _numbers(layout: ClusterLayout, device: str) -> str | None:
    disk = _lab(layout).disks.get(disk_name(device))
    if disk is None:
        return None
    major, minor = disk.numbers
    return f"{major}:{minor}"


def mounts_of(host: hostlab.Host) -> list[tuple[str, str]]:
    """(major:minor, mount point) of every mount of the host's mount namespace."""
    try:
        text = Path(f"/proc/{host.pid}/mountinfo").read_text()
    except (OSError, hostlab.HostlabError):
        return []
    return [(fields[2], fields[4]) for fields in (line.split() for line in text.splitlines())]


def mounted_on(layout: ClusterLayout, device: str, mount_point: str) -> list[str]:
    """The nodes whose mount namespace has the disk of `device` mounted at `mount_point`."""
    numbers = _numbers(layout, device)
    if numbers is None:
        return []
    cfg_nodes = _cluster_nodes(layout)
    return [name for name, host in _lab(layout).hosts.items()
            if name in cfg_nodes and host.is_powered
            and (numbers, mount_point) in mounts_of(host)]


def _cluster_nodes(layout: ClusterLayout) -> list[str]:
    from clustersim.config import ClusterConfig  # noqa: PLC0415

    return ClusterConfig.load(layout).nodes


def mount_on(host: hostlab.Host, device: str, mount_point: str, *,
             check: bool = True) -> str | None:
    """fsck (never while mounted anywhere: `check=False`) and mount on one host; None, or
    the tools' own complaint."""
    if check:
        fsck = host.run(["e2fsck", "-p", device], capture_output=True, text=True,
                        timeout=120)
        if fsck.returncode not in (0, 1):
            from clustersim.builtin.storage import said  # noqa: PLC0415

            return said(fsck.stdout + fsck.stderr, fsck.returncode)
    host.run(["mkdir", "-p", mount_point], check=True, timeout=30)
    done = host.run(["mount", "-t", FSTYPE, device, mount_point], capture_output=True,
                    text=True, timeout=60)
    return None if done.returncode == 0 else done.stderr.strip()


def mount_global(layout: ClusterLayout, device: str, mount_point: str) -> list[str]:
    """Mount a global file system on every node that is up and lacks it; the nodes done."""
    provision(layout, device)
    numbers = _numbers(layout, device)
    done = []
    with _lock:
        anywhere = bool(mounted_on(layout, device, mount_point))
        for name in _cluster_nodes(layout):
            host = _lab(layout).hosts[name]
            if not host.is_powered or (numbers, mount_point) in mounts_of(host):
                continue
            problem = mount_on(host, device, mount_point, check=not anywhere)
            anywhere = True
            if problem:
                raise ClusterError(f"cannot mount {mount_point} on {name}: {problem}",
                                   "INTERNAL")
            done.append(name)
    return done


def umount_on(layout: ClusterLayout, node: str, mount_point: str) -> None:
    host = _lab(layout).hosts[node]
    done = host.run(["umount", mount_point], capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise ClusterError(done.stderr.strip() or "umount failed", "INTERNAL")


def serve(layout: ClusterLayout, op: str, args: dict[str, Any]) -> Any:
    """One device-service request (from rgmd's socket)."""
    if op == "device_provision":
        return provision(layout, str(args["device"]))
    if op == "device_mounts":
        return mounted_on(layout, str(args["device"]), str(args["mount_point"]))
    if op == "device_mount_global":
        return mount_global(layout, str(args["device"]), str(args["mount_point"]))
    if op == "device_umount":
        umount_on(layout, str(args["node"]), str(args["mount_point"]))
        return None
    raise ClusterError(f"unknown device op {op}", "INVAL")


def boot_mounts(layout: ClusterLayout, node: str) -> None:
    """A booting node mounts the global file systems the cluster already has mounted."""
    from clustersim.builtin.storage import vfstab  # noqa: PLC0415

    host = _lab(layout).hosts[node]
    for entry in vfstab(layout, node).values():
        if entry.is_global and disk_name(entry.device) in _lab(layout).disks:
            others = [n for n in mounted_on(layout, entry.device, entry.mount_point)
                      if n != node]
            if others and node not in mounted_on(layout, entry.device, entry.mount_point):
                mount_on(host, entry.device, entry.mount_point, check=False)
