"""The lab's record of its kernel objects, and the teardown that works from the record alone.

Every object is written down *before* it is made (a crash between the two leaves a record
of something absent, which teardown skips) and struck off only after it is gone. The record
is kept twice: `<lab>/hostlab.json`, and a copy under `/run/hostlab/` (tmpfs: it dies with
the machine, as the objects do), so a lab whose directory was deleted by a test runner can
still be torn down by `cleanup_orphans()`.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from hostlab import kernel
from hostlab.errors import HostlabError
from hostlab.inside import STATE_NAME

REGISTRY = Path("/run/hostlab")
KILL_WAIT = 10.0


def lab_id(directory: Path) -> str:
    """Short id that names this lab's kernel objects (netns names carry it)."""
    return hashlib.sha1(str(directory).encode(), usedforsecurity=False).hexdigest()[:10]


class LabState:
    """The JSON record of one lab; `save()` after every change."""

    def __init__(self, directory: Path, data: dict[str, Any]) -> None:
        self.directory = directory
        self.data = data
        self._depth = 0

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """Read-modify-write under the lab's lock: several processes act on one lab (a
        command-line tool powers a host off while a daemon adds a disk), and none may
        lose the other's records. Re-entrant; the record is saved even on failure, so a
        half-made object stays recorded for teardown."""
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        REGISTRY.mkdir(mode=0o700, exist_ok=True)
        fd = os.open(REGISTRY / f"{self.id}.lock", os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            for path in (self.path, self.registry_path):
                with contextlib.suppress(OSError, ValueError):
                    self.data = json.loads(path.read_text())
                    break
            self._depth = 1
            try:
                yield
            finally:
                self._depth = 0
                self.save()
        finally:
            os.close(fd)

    @classmethod
    def new(cls, directory: Path, owner: tuple[int, int] | None) -> LabState:
        return cls(directory, {"id": lab_id(directory), "directory": str(directory),
                               "owner": list(owner) if owner else None,
                               "segments": {}, "hosts": {}, "disks": {}})

    @classmethod
    def load(cls, path: Path) -> LabState:
        data = json.loads(path.read_text())
        return cls(Path(data["directory"]), data)

    @property
    def id(self) -> str:
        return str(self.data["id"])

    @property
    def path(self) -> Path:
        return self.directory / STATE_NAME

    @property
    def registry_path(self) -> Path:
        return REGISTRY / f"{self.id}.json"

    @property
    def segments(self) -> dict[str, dict[str, Any]]:
        return self.data["segments"]

    @property
    def hosts(self) -> dict[str, dict[str, Any]]:
        return self.data["hosts"]

    @property
    def disks(self) -> dict[str, dict[str, Any]]:
        return self.data["disks"]

    def save(self) -> None:
        if self.data.get("forgotten"):
            return
        text = json.dumps(self.data, indent=1, sort_keys=True)
        REGISTRY.mkdir(mode=0o700, exist_ok=True)
        for path in (self.path, self.registry_path):
            if path == self.path and not self.directory.is_dir():
                continue
            tmp = path.with_name(path.name + ".tmp")
            tmp.write_text(text)
            os.replace(tmp, path)

    def forget(self) -> None:
        for path in (self.path, self.registry_path, REGISTRY / f"{self.id}.lock"):
            path.unlink(missing_ok=True)


# --- teardown ------------------------------------------------------------------------------


@contextlib.contextmanager
def pinned_namespaces(record: dict[str, Any]) -> Iterator[set[str]]:
    """The identities of a powered host's PID, mount and network namespaces, read from its
    init while it is the process recorded, and held open while they are used: a namespace's
    number is given to a new one as soon as it dies (another lab's host booting meanwhile),
    and a survey by number would then stop or kill that host's processes. Empty for a host
    that is not running."""
    pid, started = record.get("init") or (0, 0)
    fds: list[int] = []
    try:
        if pid and kernel.is_same(pid, started):
            for kind in kernel.NAMESPACE_KINDS:
                with contextlib.suppress(OSError):
                    fds.append(os.open(f"/proc/{pid}/ns/{kind}", os.O_RDONLY))
            if not kernel.is_same(pid, started):  # another process by now: not its namespaces
                for fd in fds:
                    os.close(fd)
                fds = []
        yield {os.readlink(f"/proc/self/fd/{fd}") for fd in fds}
    finally:
        for fd in fds:
            os.close(fd)


def stop_host(record: dict[str, Any]) -> None:
    """Power a host off: SIGKILL its init (the kernel then kills every process of its PID
    namespace at once) and its unshare parent, then every other process of the machine in
    the host's namespaces (nsenter wrappers, whatever setns'ed into it: stopped ones too),
    so that its mount namespace -- with its mounts -- and its network namespace die with it
    (once this returns: it holds them while it works). Raises when a process survives
    SIGKILL (then the host still holds its disks)."""
    init = record.get("init") or (0, 0)
    parent = record.get("unshare") or (0, 0)
    with pinned_namespaces(record) as namespaces:
        if init[0] and kernel.kill_if_same(init[0], init[1], signal.SIGKILL):
            # The rest of the machine's processes in its namespaces at once, before waiting
            # for init: a dying init waits until every process of its PID namespace is
            # reaped, and one whose parent is an nsenter outside (frozen, say) is reaped only
            # when that parent dies. Its own parent, unshare, is resumed (it may be frozen)
            # to reap it.
            left = kernel.kill_members(namespaces, KILL_WAIT, spare={tuple(parent)})
            if parent[0]:
                kernel.kill_if_same(parent[0], parent[1], signal.SIGCONT)
            kernel.wait_gone(init[0], init[1], KILL_WAIT)
        else:
            left = []
    if parent[0] and kernel.kill_if_same(parent[0], parent[1], signal.SIGKILL):
        kernel.wait_gone(parent[0], parent[1], KILL_WAIT)
    if left:
        raise HostlabError(f"process {left[0][0]} is still in the host's namespaces "
                           f"{KILL_WAIT:.0f}s after SIGKILL")


def delete_segment(record: dict[str, Any]) -> None:
    if kernel.netns_exists(record["netns"]):
        kernel.tool(["ip", "netns", "delete", record["netns"]])


def detach_disk(record: dict[str, Any]) -> None:
    """Detach every loop device bound to this disk's image (found in sysfs, so a crash
    between `losetup` and the record still leaves nothing behind), then delete the image."""
    for device in kernel.loop_devices_of(record["image"]):
        # A mount namespace that just died may still hold the device for a moment; the
        # kernel then marks it autoclear and detaches it on the last close.
        kernel.tool(["losetup", "--detach", device], check=False)
    Path(record["image"]).unlink(missing_ok=True)


def teardown(state: LabState) -> list[str]:
    """Remove every object of the record; returns what could not be removed (one line each)."""
    problems: list[str] = []
    # Hosts first (they hold the segments' ports and the disks' mounts), disks last.
    removals: list[tuple[str, dict[str, Any], Callable[[dict[str, Any]], None]]] = [
        ("host", state.hosts, stop_host), ("segment", state.segments, delete_segment),
        ("disk", state.disks, detach_disk)]
    for kind, records, remove in removals:
        for name, record in list(records.items()):
            try:
                remove(record)
                del records[name]
            except HostlabError as exc:
                problems.append(f"{kind} {name}: {exc}")
    if problems:
        state.save()
    else:
        state.forget()
        state.data["forgotten"] = True
    return problems


def cleanup(directory: str | os.PathLike[str]) -> list[str]:
    """Tear down the lab recorded in `directory` (a crashed or killed run): every host's
    processes, every segment, every loop device. Returns what could not be removed."""
    path = Path(directory).resolve() / STATE_NAME
    if not path.exists():
        registry = REGISTRY / f"{lab_id(Path(directory).resolve())}.json"
        if not registry.exists():
            return []
        path = registry
    return teardown(LabState.load(path))


def registered_labs() -> list[dict[str, Any]]:
    """The records of every lab alive on this machine (from `/run/hostlab`)."""
    labs = []
    for path in sorted(REGISTRY.glob("*.json")) if REGISTRY.is_dir() else []:
        with contextlib.suppress(OSError, ValueError):
            labs.append(json.loads(path.read_text()))
    return labs


def cleanup_orphans() -> list[str]:
    """Tear down every lab whose owner process has died (a test run killed mid-way).

    Labs without an owner (a `clustersim create` from a shell) are left alone: they are
    meant to outlive the process that made them.
    """
    problems: list[str] = []
    for data in registered_labs():
        owner = data.get("owner")
        if owner and not kernel.is_same(int(owner[0]), int(owner[1])):
            problems += teardown(LabState(Path(data["directory"]), data))
    return problems
