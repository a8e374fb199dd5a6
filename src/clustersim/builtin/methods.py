"""Method executables of the built-in types (run by the node agent like any method).

`main` is what the generated `/usr/cluster/lib/rgm/rt/<dir>/<method>` wrappers call. The
methods read their properties from the state store (they are part of the framework) with
any `-x name=value` given to Validate taking precedence, as for every type.
"""

from __future__ import annotations

import os

from clustersim.builtin import METHODS
from clustersim.store import Store, iget

TYPE_CHECKING = False  # each method is a fresh process: only what it runs is imported
if TYPE_CHECKING:
    from typing import Any

    from clustersim.builtin import storage
    from clustersim.layout import ClusterLayout


class _Args:
    def __init__(self, argv: list[str]) -> None:
        self.r = self.t = self.g = ""
        self.overrides: dict[str, str] = {}
        it = iter(argv)
        for arg in it:
            if arg in ("-R", "-T", "-G", "-Z"):
                value = next(it, "")
                if arg != "-Z":
                    setattr(self, arg[1].lower(), value)
            elif arg in ("-x", "-r", "-g"):
                key, _, value = next(it, "").partition("=")
                self.overrides[key.lower()] = value


def _log(layout: ClusterLayout, node: str, args: _Args, method: str, level: str,  # noqa: PLR0917
         fmt: str, *values: Any) -> None:
    from clustersim.syslog_client import log_to_node  # noqa: PLC0415

    rt = args.t.split(":", 1)[0]
    log_to_node(layout, node, f"SC[{rt},{args.g},{args.r},{method}]", level, fmt % values,
                msgid_format=fmt)


def _array(store: Store, args: _Args, name: str) -> list[str]:
    if name.lower() in args.overrides:
        return [v.strip() for v in args.overrides[name.lower()].split(",") if v.strip()]
    rs = store.rs(args.r)
    hit = iget(rs["ext"], name) if rs else None
    return list(hit[1]) if hit and hit[1] else []


def _bool(store: Store, args: _Args, name: str, default: bool) -> bool:
    if name.lower() in args.overrides:
        return args.overrides[name.lower()].strip().lower() in ("true", "1", "yes")
    rs = store.rs(args.r)
    hit = iget(rs["ext"], name) if rs else None
    return bool(hit[1]) if hit else default


def _status(store: Store, args: _Args, node: str, status: str, msg: str) -> None:
    with store.tx():
        store.set_rs_status(args.r, node, status, msg)


def _start_stop_status(store: Store, args: _Args, node: str, kind: str,  # noqa: PLR0917
                       online: str, offline: str) -> None:
    """Start and Stop of a built-in type only say so in the resource's status (the work is
    done in Prenet_start and Postnet_stop); any other method leaves the status alone."""
    if kind == "start":
        _status(store, args, node, "OK", online)
    elif kind == "stop":
        _status(store, args, node, "OFFLINE", offline)


def main(argv: list[str], *, layout: ClusterLayout, node: str, method: str) -> int:
    directory, kind = METHODS[method]
    args = _Args(argv)
    if kind in ("prenet_start", "postnet_stop") and not _on_node(layout, node):
        # never plumb an address or mount a disk on the machine itself
        _log(layout, node, args, method, "err", "Not running on node %s.", node)
        return 1
    store = Store(layout.state_db)
    try:
        if directory == "hafoip":
            return _hafoip(layout, node, store, args, method, kind)
        return _storage(layout, node, store, args, method, kind, directory)
    finally:
        store.close()


def _on_node(layout: ClusterLayout, node: str) -> bool:
    """Does this method run in the node's host (not on the machine itself)?"""
    from hostlab.inside import runs_in  # noqa: PLC0415 - the lab's record only

    return runs_in(str(layout.base), node)


def _nodes(store: Store) -> list[str]:
    return [n for n, _i, _s in store.nodes()]


def _hafoip(layout: ClusterLayout, node: str, store: Store, args: _Args, method: str,  # noqa: PLR0917
            kind: str) -> int:
    from clustersim.builtin import network  # noqa: PLC0415

    hosts = _array(store, args, "HostnameList")
    table = network.read_hosts(f"{layout.node_root(node)}/etc/hosts")
    addrs = []
    for host in hosts:
        addr = table.get(host)
        if addr is None or not network.on_segment(addr):
            _log(layout, node, args, method, "err",
                 "Host %s is not resolvable to an address of the public network in "
                 "/etc/hosts.", host)
            return 1
        addrs.append((host, addr))
    if kind in ("prenet_start", "postnet_stop"):
        verb = "plumb" if kind == "prenet_start" else "unplumb"
        up = network.plumbed()  # asked once: this method is the only one changing it here
        for host, addr in addrs:
            if verb == "plumb" and addr not in up and network.in_use(addr):
                _log(layout, node, args, method, "err",
                     "IP address %s (%s) is already in use on the network.", addr, host)
                return 1
            problem = network.plumb(addr, up) if verb == "plumb" else network.unplumb(addr, up)
            if problem:
                _log(layout, node, args, method, "err", f"Failed to {verb} %s (%s): %s.",
                     addr, host, problem)
                return 1
    else:
        _start_stop_status(store, args, node, kind, "LogicalHostname online.",
                           "LogicalHostname offline.")
    return 0


def _storage(layout: ClusterLayout, node: str, store: Store, args: _Args, method: str,  # noqa: PLR0917
             kind: str, directory: str) -> int:
    from clustersim.builtin import storage  # noqa: PLC0415

    if directory == "hastorage":
        points = [p for p in _array(store, args, "ServicePaths") if not p.startswith("/dev/")]
    else:
        points = _array(store, args, "FilesystemMountPoints")
    affinity = _bool(store, args, "AffinityOn", True)
    table = storage.vfstab(layout, node)
    entries = []
    for mp in points:
        if not mp.startswith("/"):
            _log(layout, node, args, method, "err",
                 "Mount point %s is not an absolute path.", mp)
            return 1
        entry = table.get(mp.rstrip("/") or "/")
        if entry is None:
            _log(layout, node, args, method, "err",
                 "Entry for file system %s not found in /etc/vfstab.", mp)
            return 1
        entries.append(entry)
    if kind in ("validate", "monitor_check", "update"):
        for entry in entries:
            if not entry.is_global and not affinity:
                _log(layout, node, args, method, "err", "Failover file system %s requires "
                     "AffinityOn to be set to TRUE.", entry.mount_point)
                return 1
        return 0
    if kind == "prenet_start":
        for entry in entries:
            if not _mount_here(layout, node, store, args, method, entry):
                return 1
    elif kind == "postnet_stop":
        for entry in reversed(entries):
            if entry.is_global or not storage.is_mounted(entry.mount_point):
                continue
            if not _unmount_here(layout, node, store, args, method, entry):
                return 1
    else:
        _start_stop_status(store, args, node, kind, "", "")
    return 0


def _mount_here(layout: ClusterLayout, node: str, store: Store, args: _Args,  # noqa: PLR0917
                method: str, entry: storage.VfstabEntry) -> bool:
    """Bring one file system online for a resource on this node."""
    from clustersim.builtin import storage  # noqa: PLC0415
    from clustersim.client import call_rgmd  # noqa: PLC0415
    from clustersim.errors import ClusterError  # noqa: PLC0415

    try:
        call_rgmd(layout, "device_provision", device=entry.device)
        if entry.is_global:
            call_rgmd(layout, "device_mount_global", device=entry.device,
                      mount_point=entry.mount_point)
            return True
        holders = _live_holders(layout, node, store, entry)
        for other in holders:
            if other == node:
                continue
            if store.rs_state(args.r, other)[0] != "OFFLINE":
                _log(layout, node, args, method, "err", "File system %s is already "
                     "mounted on node %s.", entry.mount_point, other)
                return False
            # the administrator cleared STOP_FAILED there: a stale mount
            call_rgmd(layout, "device_umount", node=other, mount_point=entry.mount_point)
            _log(layout, node, args, method, "notice", "Released stale mount of "
                 "%s on node %s.", entry.mount_point, other)
    except ClusterError as exc:
        _log(layout, node, args, method, "err", "Failed to mount %s: %s.",
             entry.mount_point, str(exc))
        return False
    if storage.is_mounted(entry.mount_point):
        return True
    problem = storage.mount(entry.device, entry.mount_point)
    if problem:
        _log(layout, node, args, method, "err", "Failed to mount %s: %s.",
             entry.mount_point, problem)
        return False
    return True


UNMOUNT_TRIES = 10
"""How many times a busy failover file system is unmounted again (0.3 s apart) after the
processes that used it were killed (they die asynchronously)."""


def _unmount_here(layout: ClusterLayout, node: str, store: Store, args: _Args,  # noqa: PLR0917
                  method: str, entry: storage.VfstabEntry) -> bool:
    """Take one failover file system offline on this node. A busy one is not left mounted
    (the group would stay STOP_FAILED until a human acts): as Solaris documents for an
    unmount that fails busy (`fuser -c -u`, then `fuser -c -k`), the processes that use it
    are named in the log and the resource's status -- pid, command, user -- killed, and the
    unmount tried again; only if it still fails does the method fail, saying what the
    administrator must do."""
    import time  # noqa: PLC0415

    from clustersim.builtin import storage  # noqa: PLC0415

    mp = entry.mount_point
    problem = storage.unmount(mp)
    if problem is None:
        return True
    found = storage.users(mp)
    if found and "busy" in problem:
        named = "; ".join(str(u) for u in found)
        _log(layout, node, args, method, "warning", "File system %s is busy: killing the "
             "processes that use it (fuser -ck): %s.", mp, named)
        _status(store, args, node, "OFFLINE", f"Killed to unmount {mp}: {named}")
        for _ in range(UNMOUNT_TRIES):
            storage.kill_users(mp, storage.users(mp))
            time.sleep(0.3)
            problem = storage.unmount(mp)
            if problem is None:
                return True
        found = storage.users(mp)
    named = "; ".join(str(u) for u in found) or "none that this node can see"
    _log(layout, node, args, method, "err", "Failed to unmount %s: %s Processes using it: "
         "%s. Stop them (fuser -cu %s lists them), then clear the resource's STOP_FAILED "
         "flag (scswitch -c -h %s -j %s -f STOP_FAILED).", mp, problem, named, mp, node,
         args.r)
    _status(store, args, node, "FAULTED", f"Cannot unmount {mp}: used by {named}")
    return False


FENCE_WAIT = 30.0
"""How long a failover mount waits for a node the cluster declared dead to be gone (a node
that lost quorum panics itself within a second or two of being declared dead)."""


def _live_holders(layout: ClusterLayout, node: str, store: Store,
                  entry: storage.VfstabEntry) -> list[str]:
    """Nodes other than this one with the file system mounted, once every node the cluster
    has declared dead has let go of it (it dies with its mounts)."""
    import time  # noqa: PLC0415

    from clustersim.client import call_rgmd  # noqa: PLC0415

    deadline = time.monotonic() + FENCE_WAIT
    while True:
        holders = [n for n in call_rgmd(layout, "device_mounts", device=entry.device,
                                        mount_point=entry.mount_point) if n != node]
        dead = [n for n in holders if store.node_state(n) != "UP"]
        if not dead or time.monotonic() > deadline:
            return holders
        time.sleep(0.2)


def _self_and_ancestors() -> set[int]:
    pids = set()
    pid = os.getpid()
    while pid > 1:
        pids.add(pid)
        try:
            with open(f"/proc/{pid}/stat") as fh:
                pid = int(fh.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            break
    return pids
