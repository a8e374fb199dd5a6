"""Time and liveness on the stand-in cluster (issue 23): a process monitor that stops
answering and a FIFO where a pid file should be, during a switchover, as the RGM runs the
methods. The group must move, the node left must end OFFLINE (not STOP_FAILED), and the
methods must say what they met. tests/security/test_liveness.py covers each in detail."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from security_support import GID, RUNTIME_UID
from test_e2e_trust import _shared_disk

from clustersim import hosts
from imsguide import faults
from imsguide.testbed import HEAL_TIMEOUT, Cluster
from support.agent import healthy_node

pytestmark = pytest.mark.e2e

TIMEOUT = 60
"""Stop_timeout and Monitor_stop_timeout, the RTR's minimum."""


@pytest.fixture(scope="module")
def tuned(cluster: Cluster) -> Cluster:
    cluster.set_props("-y", f"Stop_timeout={TIMEOUT}", "-y", f"Monitor_stop_timeout={TIMEOUT}")
    cluster.set_group_props("-y", "Pingpong_interval=0")
    return cluster


@pytest.fixture
def here(tuned: Cluster) -> Iterator[str]:
    yield from healthy_node(tuned)


def _pmfd(tuned: Cluster, node: str) -> int:
    """The machine pid of the node's pmfd."""
    host = tuned.site.host(node)
    assert host is not None, f"{node} is down"
    for pid in hosts.processes(host):
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"clustersim.pmfd" in argv:
            return pid
    raise AssertionError(f"no pmfd on {node}")


def _resume(pid: int) -> None:
    """SIGCONT to a stopped pmfd, and to the nsenter that runs it on its node: nsenter stops
    itself when its child stops (and would stay stopped)."""
    os.kill(pid, signal.SIGCONT)
    try:
        parent = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return
    if parent > 1:
        with contextlib.suppress(ProcessLookupError):
            os.kill(parent, signal.SIGCONT)


def _time_used(lines: list[str], method: str) -> int:
    """The share of its timeout the RGM says `method` used (its "time used: N%" line)."""
    for line in lines:
        if f"<{method}>" in line or f" {method} " in line:
            found = re.search(r"time used: (\d+)% of timeout", line)
            if found:
                return int(found.group(1))
    raise AssertionError(f"no time used for {method}: {lines}")


def test_a_stopped_pmfd_does_not_fail_the_switchover(tuned: Cluster, here: str) -> None:
    """pmfd stopped (SIGSTOP: it holds its socket and never answers) on the node being
    left: Monitor_stop waited for pmfadm its whole timeout and the resource went to
    STOP_FAILED. Now Monitor_stop ends the fault monitor by the kernel's account, Stop kills
    Messaging Server by the kernel's account, and the group comes up on the other node."""
    site = tuned.site
    there = tuned.other(here)
    pmfd = _pmfd(tuned, here)
    left = faults.mark(site, here)
    os.kill(pmfd, signal.SIGSTOP)
    try:
        tuned.switch(there, expect=None)
        state = faults.resource_state(site, here)
        monitor = faults.agent_lines(site, here, left, "ims_monitor_stop")
        stop = faults.agent_lines(site, here, left, "ims_svc_stop")
        left_behind = faults.processes(site, here)
    finally:
        _resume(pmfd)
    assert state == "OFFLINE", f"the resource ended {state}: " + "\n".join(monitor + stop)
    assert any("ended 1 fault monitor processes by the kernel's account" in line
               for line in monitor), monitor
    assert any("Messaging Server stopped." in line for line in stop), stop
    assert not left_behind, f"Messaging Server left on {here}: {left_behind}"
    node, _ = faults.wait_healthy(site, HEAL_TIMEOUT)
    assert node == there, "the switchover did not go through"
    rgm = faults.since(site, here, left)
    assert _time_used(rgm, "ims_monitor_stop") < 50, rgm
    # pmfd, answering again, must not bring back on the node left what it no longer holds.
    time.sleep(3)
    assert not faults.processes(site, here), "pmfd restarted Messaging Server once resumed"


def test_a_fifo_pid_file_does_not_hold_stop(tuned: Cluster, here: str) -> None:
    """The runtime user replaced the watcher's pid file with a FIFO: root's stop-msg blocked
    on it for 80 % of Stop_timeout. Now Stop names the file and stops Messaging Server
    without stop-msg, promptly. (Start, on any node, then refuses at once while the FIFO is
    there: test_liveness.py.)"""
    site = tuned.site
    relative = "run/watcher.pid"
    pid_file = site.on(here, f"{site.config_dir}/{relative}")
    pid_file.unlink()
    os.mkfifo(pid_file, 0o644)
    os.chown(pid_file, RUNTIME_UID, GID)
    left = faults.mark(site, here)
    try:
        tuned.cmd(here, "scswitch", "-F", "-g", site.group, expect=None)
        state = faults.resource_state(site, here)
        stop = faults.agent_lines(site, here, left, "ims_svc_stop")
        rgm = faults.since(site, here, left)
        left_behind = faults.processes(site, here)
    finally:
        with _shared_disk(site, here) as top:
            (top / relative).unlink(missing_ok=True)
    assert state == "OFFLINE", f"Stop ended {state}: " + "\n".join(stop)
    assert any("watcher.pid is not a regular file (a FIFO)" in line for line in stop), stop
    assert any("Messaging Server stopped." in line for line in stop), stop
    assert not left_behind, f"Messaging Server left on {here}: {left_behind}"
    assert _time_used(rgm, "ims_svc_stop") < 50, rgm
    tuned.cmd(here, "scswitch", "-Z", "-g", site.group)
    faults.wait_healthy(site, HEAL_TIMEOUT)
