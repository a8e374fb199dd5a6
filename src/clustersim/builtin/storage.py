"""SUNW.HAStoragePlus / SUNW.HAStorage: shared disks as directories, mounts as symlinks.

A mount point is looked up in the node's /etc/vfstab as the administrator wrote it; the
device names the disk: `/dev/md/<set>/dsk/dN` -> disk `<set>-dN`, any other device (e.g.
`/dev/global/dsk/d4s0`) -> its basename; the disk is `layout.disk(name)`, created on demand.
"Mounted" means `<node root><mount point>` is a symlink to the disk directory. A file system
whose options contain `global` is mounted on every node; any other is a failover file system,
mounted only where the resource is online. Unmounting a failover file system fails, as
umount(1M) does with EBUSY, while a process of the node has its working directory or an
open file beneath it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from clustersim.layout import ClusterLayout


@dataclass(frozen=True)
class VfstabEntry:
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
        parts = self.device.strip("/").split("/")
        if len(parts) == 5 and parts[:2] == ["dev", "md"]:
            return f"{parts[2]}-{parts[4]}"
        return parts[-1]


def read_vfstab(path: Path) -> dict[str, VfstabEntry]:
    """mount point -> entry; 7 fields per line, `#` comments, `-` for an empty field."""
    entries: dict[str, VfstabEntry] = {}
    if not path.exists():
        return entries
    for line in path.read_text().splitlines():
        fields = line.split()
        if len(fields) < 7 or fields[0].startswith("#"):
            continue
        options = tuple(o for o in fields[6].split(",") if o and o != "-")
        entries[fields[2]] = VfstabEntry(fields[0], fields[2], fields[3], fields[5], options)
    return entries


def vfstab(layout: ClusterLayout, node: str) -> dict[str, VfstabEntry]:
    return read_vfstab(layout.node_root(node) / "etc" / "vfstab")


def mount_path(layout: ClusterLayout, node: str, mount_point: str) -> Path:
    return layout.node_root(node) / mount_point.lstrip("/")


def mounted_disk(layout: ClusterLayout, node: str, mount_point: str) -> Path | None:
    path = mount_path(layout, node, mount_point)
    if path.is_symlink():
        return Path(os.readlink(path))
    return None


def mount(layout: ClusterLayout, node: str, entry: VfstabEntry) -> None:
    disk = layout.disk(entry.disk_name)
    disk.mkdir(parents=True, exist_ok=True)
    path = mount_path(layout, node, entry.mount_point)
    if path.is_symlink():
        if Path(os.readlink(path)) == disk:
            return
        path.unlink()
    elif path.is_dir():
        if any(path.iterdir()):
            raise OSError(f"mount point {entry.mount_point} is not empty on node {node}")
        path.rmdir()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(disk)


def unmount(layout: ClusterLayout, node: str, mount_point: str) -> None:
    path = mount_path(layout, node, mount_point)
    if path.is_symlink():
        path.unlink()
        path.mkdir(exist_ok=True)  # the empty mount point directory stays, as on Solaris


def node_pids(layout: ClusterLayout, node: str) -> set[int]:
    """Processes of the node: its daemons and their descendants, and any process that was
    told it runs on this node (SC_NODE_ROOT)."""
    from clustersim import procs  # noqa: PLC0415

    roots = []
    for pidfile in (layout.node_pidfile(node), layout.pmfd_pidfile(node),
                    layout.syslogd_pidfile(node)):
        try:
            roots.append(int(pidfile.read_text().split()[0]))
        except (OSError, ValueError, IndexError):
            continue
    table = procs.process_table()
    pids: set[int] = set()
    for root in roots:
        if root in table:
            pids.add(root)
            pids.update(procs.descendants(root, table))
    marker = f"SC_NODE_ROOT={layout.node_root(node)}".encode()
    for pid in table:
        if pid in pids:
            continue
        try:
            with open(f"/proc/{pid}/environ", "rb") as fh:
                if marker in fh.read().split(b"\0"):
                    pids.add(pid)
        except OSError:
            continue
    return pids


def busy_pids(layout: ClusterLayout, node: str, disk: Path,
              ignore: set[int] | None = None) -> list[int]:
    """Processes of the node with their cwd or an open file beneath `disk`."""
    disk_real = os.path.realpath(disk)
    ignore = ignore or set()
    busy = []
    for pid in sorted(node_pids(layout, node) - ignore):
        paths = []
        try:
            paths.append(os.readlink(f"/proc/{pid}/cwd"))
            fd_dir = f"/proc/{pid}/fd"
            for fd in os.listdir(fd_dir):
                try:
                    paths.append(os.readlink(f"{fd_dir}/{fd}"))
                except OSError:
                    continue
        except OSError:
            continue
        if any(p == disk_real or p.startswith(disk_real + "/") for p in paths):
            busy.append(pid)
    return busy


def release(layout: ClusterLayout, node: str) -> None:
    """A dead node's failover file systems are no longer mounted there."""
    for entry in vfstab(layout, node).values():
        if not entry.is_global and mounted_disk(layout, node, entry.mount_point):
            unmount(layout, node, entry.mount_point)
