"""Node life: boot (syslogd, pmfd, node agent) and panic (every process dies at once).

A panic freezes every process of the node first -- the node agent, pmfd, syslogd, all
their descendants (methods, PMF-managed services, their double-forked daemons) and any
process carrying the node's SC_NODE_ROOT -- and only then kills them, so nothing gets the
chance to react, restart or clean up: as with a real node that loses power.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time

from clustersim import client, procs
from clustersim.layout import ClusterLayout

BOOT_TIMEOUT = 30.0


def _pid(path: os.PathLike[str]) -> int | None:
    try:
        return int(open(path).read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def agent_pid(layout: ClusterLayout, node: str) -> int | None:
    pid = _pid(layout.node_pidfile(node))
    return pid if pid is not None and procs.is_alive(pid) else None


def start_agent(layout: ClusterLayout, node: str) -> int:
    pid = agent_pid(layout, node)
    if pid is not None:
        return pid
    layout.run_dir.mkdir(parents=True, exist_ok=True)
    with open(layout.node_logfile(node), "ab") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "clustersim.noded", "--cluster", str(layout.base),
             "--node", node],
            stdin=subprocess.DEVNULL, stdout=err, stderr=err, start_new_session=True,
            cwd="/", env={**os.environ, "TZ": os.environ.get("TZ") or "UTC"})
    deadline = time.monotonic() + BOOT_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"node agent of {node} exited ({proc.returncode}); see "
                               f"{layout.node_logfile(node)}")
        try:
            client.request(layout.node_socket(node), {"op": "ping"}, timeout=5)
            return proc.pid
        except (client.Unreachable, OSError, ValueError):
            time.sleep(0.05)
    raise RuntimeError(f"node agent of {node} did not answer within {BOOT_TIMEOUT:.0f}s")


def boot(layout: ClusterLayout, node: str) -> None:
    """Start the node's daemons (syslogd first, so the others can log)."""
    from clustersim.pmfd import start_pmfd  # noqa: PLC0415
    from clustersim.syslogd import start_syslogd  # noqa: PLC0415

    start_syslogd(layout, node)
    start_pmfd(layout, node)
    start_agent(layout, node)


def node_processes(layout: ClusterLayout, node: str) -> set[int]:
    from clustersim.builtin.methods import _self_and_ancestors  # noqa: PLC0415
    from clustersim.builtin.storage import node_pids  # noqa: PLC0415

    return node_pids(layout, node) - _self_and_ancestors()


def panic(layout: ClusterLayout, node: str) -> list[int]:
    """Every process of the node dies at once: freeze all, then SIGKILL all."""
    killed: list[int] = []
    for _round in range(20):
        pids = node_processes(layout, node)
        if not pids:
            break
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGSTOP)
        for pid in list(pids):  # a child forked since the listing joins the set
            for child in procs.descendants(pid):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(child, signal.SIGSTOP)
                pids.add(child)
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        killed += sorted(pids)
        procs.wait_gone(pids, 10)
        for pid in pids:
            procs.reap_pid(pid)
    for path in (layout.node_socket(node), layout.node_pidfile(node),
                 layout.pmfd_socket(node), layout.pmfd_pidfile(node),
                 layout.node_log_socket(node), layout.syslogd_pidfile(node)):
        path.unlink(missing_ok=True)
    return killed


def shutdown(layout: ClusterLayout, node: str) -> None:
    """Orderly stop of the node's daemons (used by destroy); leftovers are then killed."""
    from clustersim.pmfd import stop_pmfd  # noqa: PLC0415
    from clustersim.syslogd import stop_syslogd  # noqa: PLC0415

    pid = agent_pid(layout, node)
    if pid is not None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        if not procs.wait_gone([pid], 10):
            procs.kill_tree(pid)
        procs.reap_pid(pid)
    with contextlib.suppress(Exception):
        stop_pmfd(layout, node)
    with contextlib.suppress(Exception):
        stop_syslogd(layout, node)
    panic(layout, node)
