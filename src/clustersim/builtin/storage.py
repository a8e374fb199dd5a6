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


def said(output: str, returncode: int) -> str:
    """Every line a tool said, joined: its last line alone (e2fsck's "Cannot continue,
    aborting.") drops the one that says why ("/dev/loop4 is in use.")."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    return " ".join(lines) if lines else f"exit status {returncode}"


def _said(done: subprocess.CompletedProcess[str]) -> str:
    return said(done.stderr + done.stdout, done.returncode)


def in_use(device: str) -> bool:
    """Is the device's file system mounted anywhere on the machine -- on another node, or
    in a mount namespace no process is in any more -- whatever this node's mount table
    says? The kernel holds a mounted block device exclusively: an exclusive open fails
    with EBUSY (e2fsck's own check)."""
    import errno  # noqa: PLC0415

    try:
        fd = os.open(device, os.O_RDONLY | os.O_EXCL)
    except OSError as exc:
        return exc.errno == errno.EBUSY
    os.close(fd)
    return False


RELEASE_WAIT = 5.0
"""How long a mount waits for a device to be released (a node being powered off lets go of
its disks within moments) before it says the device is in use (seconds)."""


def _stays_in_use(device: str) -> bool:
    import time  # noqa: PLC0415

    deadline = time.monotonic() + RELEASE_WAIT
    while in_use(device):
        if time.monotonic() >= deadline:
            return True
        time.sleep(0.1)
    return False


def mount(device: str, mount_point: str) -> str | None:
    """fsck -p, then mount, on this node; None, or what the tool said."""
    if _stays_in_use(device):
        return (f"{device} is in use: its file system is mounted elsewhere (another node, "
                "or one not yet fenced); not checked or mounted here")
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


class User(NamedTuple):
    """A process of this node that uses a file system (what `fuser -cu` lists)."""

    pid: int
    user: str
    command: str
    how: str
    """cwd, root, exe, open file or mapped file."""

    def __str__(self) -> str:
        return f"process {self.pid} ({self.command}) of user {self.user}, {self.how}"


def users(mount_point: str) -> list[User]:
    """The processes of this node (its /proc) that use the file system mounted at
    `mount_point`: the kernel's facts (device numbers of their cwd, root, program, open and
    mapped files), never what a process says about itself."""
    try:
        dev = os.stat(mount_point).st_dev
    except OSError:
        return []
    found = []
    me = os.getpid()
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != me:
            how = _use_of(int(entry), dev)
            if how:
                found.append(User(int(entry), _owner(int(entry)), _comm(int(entry)), how))
    return found


def _use_of(pid: int, dev: int) -> str | None:
    base = f"/proc/{pid}"
    for link, how in (("cwd", "working directory in it"), ("root", "root in it"),
                      ("exe", "program on it")):
        try:
            if os.stat(f"{base}/{link}").st_dev == dev:
                return how
        except OSError:
            continue
    try:
        fds = os.listdir(f"{base}/fd")
    except OSError:
        return None
    for fd in fds:
        try:
            if os.stat(f"{base}/fd/{fd}").st_dev == dev:
                return "a file of it open"
        except OSError:
            continue
    wanted = f"{os.major(dev):02x}:{os.minor(dev):02x}"
    try:
        with open(f"{base}/maps") as maps:
            if any(line.split()[3] == wanted for line in maps if len(line.split()) > 5):
                return "a file of it mapped"
    except OSError:
        pass
    return None


def _owner(pid: int) -> str:
    import pwd  # noqa: PLC0415

    try:
        uid = os.stat(f"/proc/{pid}").st_uid
    except OSError:
        return "?"
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def _comm(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/comm", "rb") as f:
            raw = f.read().strip()
    except OSError:
        return "?"
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}"
                   for c in raw.decode("utf-8", "backslashreplace"))


def kill_users(mount_point: str, found: list[User]) -> None:
    """SIGKILL each process that still uses the file system (`fuser -c -k`), through a
    pidfd opened before the use is checked again, so a recycled pid is never signalled."""
    import signal  # noqa: PLC0415

    dev = os.stat(mount_point).st_dev
    for user in found:
        try:
            pidfd = os.pidfd_open(user.pid)
        except OSError:
            continue
        try:
            if _use_of(user.pid, dev):
                signal.pidfd_send_signal(pidfd, signal.SIGKILL)
        except OSError:
            pass
        finally:
            os.close(pidfd)


def release(layout: ClusterLayout, node: str) -> None:
    """A dead node's failover file systems: nothing to do, they went with its mount
    namespace (every process of the node died, so the kernel dropped its mounts)."""
