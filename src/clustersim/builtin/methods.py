"""Method executables of the built-in types (run by the node agent like any method).

`main` is what the generated `/usr/cluster/lib/rgm/rt/<dir>/<method>` wrappers call. The
methods read their properties from the state store (they are part of the framework) with
any `-x name=value` given to Validate taking precedence, as for every type.
"""

from __future__ import annotations

import os
from typing import Any

from clustersim.builtin import METHODS, network, storage
from clustersim.layout import ClusterLayout
from clustersim.store import Store, iget


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
    from clustersim.syslogd import log_to_node  # noqa: PLC0415

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


def main(argv: list[str], *, layout: ClusterLayout, node: str, method: str) -> int:
    directory, kind = METHODS[method]
    args = _Args(argv)
    store = Store(layout.state_db)
    try:
        if directory == "hafoip":
            return _hafoip(layout, node, store, args, method, kind)
        return _storage(layout, node, store, args, method, kind, directory)
    finally:
        store.close()


def _nodes(store: Store) -> list[str]:
    return [n for n, _i, _s in store.nodes()]


def _hafoip(layout: ClusterLayout, node: str, store: Store, args: _Args, method: str,  # noqa: PLR0917
            kind: str) -> int:
    hosts = _array(store, args, "HostnameList")
    table = network.read_hosts(layout.node_root(node) / "etc" / "hosts")
    addrs = []
    for host in hosts:
        addr = table.get(host)
        if addr is None or not network.is_loopback(addr):
            _log(layout, node, args, method, "err",
                 "Host %s is not resolvable to a loopback address in /etc/hosts.", host)
            return 1
        addrs.append((host, addr))
    if kind == "prenet_start":
        for host, addr in addrs:
            other = network.holder(layout, [n for n in _nodes(store) if n != node], addr)
            if other:
                _log(layout, node, args, method, "err",
                     "IP address %s (%s) is already plumbed on node %s.", addr, host, other)
                return 1
            network.plumb(layout, node, addr, host)
    elif kind == "postnet_stop":
        for _host, addr in addrs:
            network.unplumb(layout, node, addr)
    elif kind == "start":
        _status(store, args, node, "OK", "LogicalHostname online.")
    elif kind == "stop":
        _status(store, args, node, "OFFLINE", "LogicalHostname offline.")
    return 0


def _storage(layout: ClusterLayout, node: str, store: Store, args: _Args, method: str,  # noqa: PLR0917
             kind: str, directory: str) -> int:
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
    nodes = _nodes(store)
    if kind == "prenet_start":
        for entry in entries:
            disk = layout.disk(entry.disk_name)
            if entry.is_global:
                for n in nodes:
                    storage.mount(layout, n, entry)
                continue
            for other in nodes:
                if other != node and storage.mounted_disk(layout, other, entry.mount_point) \
                        == disk:
                    if store.rs_state(args.r, other)[0] == "OFFLINE":
                        # the administrator cleared STOP_FAILED there: a stale mount
                        storage.unmount(layout, other, entry.mount_point)
                        _log(layout, node, args, method, "notice", "Released stale mount of "
                             "%s on node %s.", entry.mount_point, other)
                        continue
                    _log(layout, node, args, method, "err", "File system %s is already "
                         "mounted on node %s.", entry.mount_point, other)
                    return 1
            try:
                storage.mount(layout, node, entry)
            except OSError as exc:
                _log(layout, node, args, method, "err", "Failed to mount %s: %s.",
                     entry.mount_point, str(exc))
                return 1
    elif kind == "postnet_stop":
        mine = _self_and_ancestors()
        for entry in reversed(entries):
            if entry.is_global:
                continue
            disk = storage.mounted_disk(layout, node, entry.mount_point)
            if disk is None:
                continue
            busy = storage.busy_pids(layout, node, disk, mine)
            if busy:
                _log(layout, node, args, method, "err",
                     "Failed to unmount %s: Device busy (pids %s).", entry.mount_point,
                     " ".join(str(p) for p in busy))
                return 1
            storage.unmount(layout, node, entry.mount_point)
    elif kind == "start":
        _status(store, args, node, "OK", "")
    elif kind == "stop":
        _status(store, args, node, "OFFLINE", "")
    return 0


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
