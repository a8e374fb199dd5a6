"""Start and Stop when Messaging Server misbehaves: start-msg failing, the shared storage
not coming online, stop-msg hanging. Each must end cleanly within its timeout, honour
Failover_mode, and leave no Messaging Server process behind."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from imsguide import faults, proof
from imsguide.site import Site
from imsguide.testbed import HEAL_TIMEOUT, Cluster
from support.agent import healthy_node, left_behind

pytestmark = pytest.mark.e2e

TIMEOUT = 60
"""Start_timeout and Stop_timeout, the RTR's minimum."""
MARGIN = 30.0
"""Slack for the rest of a switchover on a loaded machine (seconds)."""


@pytest.fixture(scope="module")
def tuned(cluster: Cluster) -> Cluster:
    cluster.set_props("-y", f"Start_timeout={TIMEOUT}", "-y", f"Stop_timeout={TIMEOUT}")
    cluster.cmd(cluster.site.nodes[0], "scrgadm", "-c", "-g", cluster.site.group,
                "-y", "Pingpong_interval=0")
    return cluster


@pytest.fixture
def healthy(tuned: Cluster) -> Iterator[str]:
    tuned.set_props("-y", "Failover_mode=SOFT")
    yield from healthy_node(tuned)


def gave_up(site: Site, there: str, here: str, took: float, failing: str) -> None:
    """The group, failing to start on `there`, went back to `here` within two Start
    timeouts, and `there` kept nothing of it."""
    assert left_behind(site, there) == []
    assert took < 2 * TIMEOUT + MARGIN
    print(f"{failing} failing on {there}: back online on {here} after {took:.1f} s")


def test_start_msg_failing_fails_over_with_failover_mode_soft(tuned: Cluster,
                                                             healthy: str) -> None:
    site, here = tuned.site, healthy
    there = tuned.other(here)
    faults.inject(site, there, "start-msg", "fail")
    where = faults.mark(site, there)
    back, took = tuned.switch_until_healthy(there, expect=None)
    assert back == here, "Failover_mode SOFT: the group must go to a node where it starts"
    lines = faults.agent_lines(site, there, where, "ims_svc_start")
    assert any("daemon.error] Failed to start Messaging Server: start-msg ha ended" in line
               for line in lines), lines
    gave_up(site, there, here, took, "start-msg")


def test_start_msg_failing_stays_failed_with_failover_mode_none(tuned: Cluster,
                                                               healthy: str) -> None:
    site, here = tuned.site, healthy
    there = tuned.other(here)
    tuned.set_props("-y", "Failover_mode=NONE")
    faults.inject(site, there, "start-msg", "fail")
    where = faults.mark(site, there)
    started = time.monotonic()
    tuned.switch(there, expect=None)
    proof.wait_for(lambda: faults.resource_state(site, there) == "START_FAILED", TIMEOUT,
                   f"mail-rs Start_failed on {there}")
    took = time.monotonic() - started
    assert proof.group_node(site) != here, "Failover_mode NONE: the group must not move on"
    assert faults.resource_state(site, here) == "OFFLINE"
    lines = faults.agent_lines(site, there, where, "ims_svc_start")
    assert any("Failed to start Messaging Server" in line for line in lines), lines
    assert not faults.processes(site, there), "Messaging Server left after the failed Start"
    assert took < TIMEOUT + MARGIN
    # The administrator repairs Messaging Server and switches the group back.
    faults.inject(site, there, "clear")
    tuned.switch(here)
    assert faults.wait_healthy(site, HEAL_TIMEOUT)[0] == here


def test_storage_not_coming_online_leaves_nothing_and_fails_over(tuned: Cluster,
                                                                 healthy: str) -> None:
    site, here = tuned.site, healthy
    there = tuned.other(here)
    mount_point = site.on(there, site.config_dir)  # not mounted there: the node's own
    # The storage resource decides where the group goes when it cannot start.
    tuned.cmd(here, "scrgadm", "-c", "-j", site.storage_resource, "-y", "Failover_mode=SOFT")
    mount_point.rmdir()
    mount_point.write_text("a file where the mount point should be: mount refuses\n")
    try:
        where = faults.mark(site, there)
        back, took = tuned.switch_until_healthy(there, expect=None)
    finally:
        mount_point.unlink()
        mount_point.mkdir()
    assert back == here
    lines = faults.agent_lines(site, there, where, "ims_svc_start")
    assert not any("Messaging Server is up" in line for line in lines), lines
    gave_up(site, there, here, took, "storage")


def test_stop_msg_hanging_stop_finishes_within_stop_timeout(tuned: Cluster,
                                                            healthy: str) -> None:
    site, here = tuned.site, healthy
    there = tuned.other(here)
    faults.inject(site, here, "stop-msg", "hang")
    where = faults.mark(site, here)
    back, took = tuned.switch_until_healthy(there)
    assert back == there
    assert left_behind(site, here) == [], "Stop must end OFFLINE, with nothing left"
    lines = faults.agent_lines(site, here, where, "ims_svc_stop")
    assert any("stop-msg ha did not stop Messaging Server (it did not finish in" in line
               for line in lines), lines
    assert any("Messaging Server stopped." in line for line in lines), lines
    assert took < TIMEOUT + MARGIN
    print(f"stop-msg hanging on {here}: switchover to {there} done after {took:.1f} s "
          f"(Stop_timeout {TIMEOUT} s)")
