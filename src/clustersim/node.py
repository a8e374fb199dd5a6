"""Node life: boot (syslogd, pmfd, node agent, inside the node's host) and panic (power off).

A node is a real Linux host (`clustersim.hosts`). Its daemons run inside it, so everything
they start -- methods, PMF-managed services, their double-forked daemons -- is a process
of that host's PID namespace. A panic powers the host off: the kernel kills every process
of it at once and its interface disappears with its network namespace, so nothing gets the
chance to react, restart or clean up, and the other nodes learn of it only by silence.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable

from clustersim import client, hosts
from clustersim.layout import ClusterLayout

BOOT_TIMEOUT = 30.0


def agent_up(layout: ClusterLayout, node: str) -> bool:
    """The node's host is powered and its node agent answers."""
    if not hosts.is_up(layout, node):
        return False
    try:
        client.request(layout.node_socket(node), {"op": "ping"}, timeout=5)
    except (client.Unreachable, OSError, ValueError):
        return False
    return True


def _start_inside(layout: ClusterLayout, node: str, module: str, logfile: os.PathLike[str],
                  ready: Callable[[], bool]) -> None:
    """Start `python -m module` inside the node, detached; wait until `ready()`."""
    host = hosts.host(layout, node)
    layout.run_dir.mkdir(parents=True, exist_ok=True)
    with open(logfile, "ab") as err:
        proc = subprocess.Popen(
            host.command([sys.executable, "-m", module, "--cluster", str(layout.base),
                          "--node", node]),
            stdin=subprocess.DEVNULL, stdout=err, stderr=err, start_new_session=True,
            env=hosts.node_env())
    deadline = time.monotonic() + BOOT_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{module} on {node} exited ({proc.returncode}); see {logfile}")
        if ready():
            return
        time.sleep(0.02)
    raise RuntimeError(f"{module} on {node} did not answer within {BOOT_TIMEOUT:.0f}s")


def _answers(socket_path: os.PathLike[str]) -> bool:
    try:
        client.request(socket_path, {"op": "ping"}, timeout=5)
    except (client.Unreachable, OSError, ValueError):
        return False
    return True


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
                  lambda: _answers_pmfd(layout, node))
    _start_inside(layout, node, "clustersim.noded", layout.node_logfile(node),
                  lambda: _answers(layout.node_socket(node)))
    from clustersim.devices import boot_mounts  # noqa: PLC0415

    boot_mounts(layout, node)


def _answers_pmfd(layout: ClusterLayout, node: str) -> bool:
    from clustersim.pmfd import PmfdUnavailable, request  # noqa: PLC0415

    try:
        return bool(request(layout, node, {"op": "ping"}, timeout=5.0).get("ok"))
    except (PmfdUnavailable, OSError, ValueError):
        return False


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
