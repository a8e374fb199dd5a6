"""Node life: boot (syslogd, pmfd, node agent, inside the node's host) and panic (power off).

A node is a real Linux host (`clustersim.hosts`). Its daemons run inside it, so everything
they start -- methods, PMF-managed services, their double-forked daemons -- is a process
of that host's PID namespace. A panic powers the host off: the kernel kills every process
of it at once and its interface disappears with its network namespace, so nothing gets the
chance to react, restart or clean up, and the other nodes learn of it only by silence.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from clustersim import client, daemons, hosts, pmfd
from clustersim.layout import ClusterLayout

BOOT_TIMEOUT = 30.0


def agent_up(layout: ClusterLayout, node: str) -> bool:
    """The node's host is powered and its node agent answers."""
    if not hosts.is_up(layout, node):
        return False
    return client.answers(layout.node_socket(node))


def _start_inside(layout: ClusterLayout, node: str, module: str, logfile: os.PathLike[str],
                  ready: Callable[[], bool]) -> None:
    """Start `python -m module` inside the node, detached; wait until `ready()`."""
    host = hosts.host(layout, node)
    layout.run_dir.mkdir(parents=True, exist_ok=True)
    daemons.start(host.command([sys.executable, "-m", module, "--cluster", str(layout.base),
                                "--node", node]),
                  logfile, f"{module} on {node}", lambda _pid: ready(),
                  timeout=BOOT_TIMEOUT, poll=0.02, env=hosts.node_env())


def boot(layout: ClusterLayout, node: str) -> None:
    """Power the node's host on (if it is off) and start its daemons inside it: syslogd
    first, so the others can log."""
    host = hosts.host(layout, node)
    if not host.is_powered:
        host.power_on()
        hosts.link_dev_log(layout, host, node)
    if agent_up(layout, node):
        return
    log = layout.node_log_socket(node)
    _start_inside(layout, node, "clustersim.syslogd", layout.syslogd_logfile(node),
                  lambda: log.exists() and (layout.node_root(node) / "dev" / "log").is_symlink())
    _start_inside(layout, node, "clustersim.pmfd", layout.pmfd_logfile(node),
                  lambda: pmfd.answering_pid(layout, node) is not None)
    _start_inside(layout, node, "clustersim.noded", layout.node_logfile(node),
                  lambda: client.answers(layout.node_socket(node)))
    from clustersim.devices import boot_mounts  # noqa: PLC0415

    boot_mounts(layout, node)


def node_processes(layout: ClusterLayout, node: str) -> set[int]:
    """Every process of the node (machine pids); none once it is powered off."""
    try:
        return set(hosts.processes(hosts.host(layout, node)))
    except Exception:  # no hosts (a cluster being torn down): nothing runs there
        return set()


def panic(layout: ClusterLayout, node: str) -> list[int]:
    """Power the node off: every process of it dies at once, its interface with it."""
    host = hosts.host(layout, node)
    killed = sorted(node_processes(layout, node))
    host.power_off()
    for path in (layout.node_socket(node), layout.node_pidfile(node),
                 layout.pmfd_socket(node), layout.pmfd_pidfile(node),
                 layout.node_log_socket(node), layout.syslogd_pidfile(node)):
        path.unlink(missing_ok=True)
    return killed


def shutdown(layout: ClusterLayout, node: str) -> None:
    """Stop the node (used by destroy): the host goes down with everything on it."""
    if (layout.base / "hostlab.json").exists():
        panic(layout, node)
