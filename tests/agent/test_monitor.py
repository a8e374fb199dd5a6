"""The fault monitor against real failures: a killed watcher, a hung imapd, failures past
Retry_count, and Messaging Server's own request to fail over.

Timing knobs are set as tight as the RTR allows (Thorough_probe_interval 5, Probe_timeout 2,
Retry_interval 60); bounds are what an administrator would hold the agent to, with a margin
for a loaded test machine."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest

from imsguide import faults, proof
from imsguide.testbed import HEAL_TIMEOUT, Cluster
from support.agent import healthy_node, left_behind

pytestmark = pytest.mark.e2e

TPI = 5
PROBE_TIMEOUT = 2
MARGIN = 8.0
"""Slack for a loaded machine on top of the detection bounds (seconds)."""
FAILOVER_BOUND = 90.0
USER = "joe"
RESTARTED = "ims_svc_start]: [ID 693544 daemon.info] Messaging Server is up"


@pytest.fixture(scope="module")
def tuned(cluster: Cluster) -> Cluster:
    cluster.set_props("-y", f"Thorough_probe_interval={TPI}", "-x",
                      f"Probe_timeout={PROBE_TIMEOUT}", "-y", "Retry_interval=60")
    # A node the group just left stays eligible (the default 3600 s would block the
    # second failover of this module).
    cluster.cmd(cluster.site.nodes[0], "scrgadm", "-c", "-g", cluster.site.group,
                "-y", "Pingpong_interval=0")
    return cluster


@pytest.fixture
def healthy(tuned: Cluster) -> Iterator[str]:
    yield from healthy_node(tuned)


def restarts(cluster: Cluster, node: str) -> int:
    lines = proof.ask(cluster.site, node, "scha_resource_get", "-O", "Num_resource_restarts",
                      "-R", cluster.site.mail_resource, "-G", cluster.site.group)
    return int(lines[0]) if lines else 0


def status_changes(cluster: Cluster, node: str, where: int) -> list[str]:
    """The statuses scstat showed for mail-rs on `node` since `where`, in order (the RGM
    logs each change)."""
    needle = f"resource {cluster.site.mail_resource} status on node {node} change to "
    return [line.split(needle, 1)[1].strip() for line in faults.since(cluster.site, node, where)
            if needle in line]


def after_degraded(cluster: Cluster, node: str, where: int) -> list[str]:
    changes = status_changes(cluster, node, where)
    return changes[changes.index("R_FM_DEGRADED"):] if "R_FM_DEGRADED" in changes else []


def kill_watcher(cluster: Cluster, node: str) -> int:
    return faults.kill_watcher(cluster.site, node)


def test_killed_watcher_is_restarted_locally_degraded_then_ok(tuned: Cluster,
                                                              healthy: str) -> None:
    site, node = tuned.site, healthy
    tuned.set_props("-y", "Retry_count=2")
    where = faults.mark(site, node)
    started = time.monotonic()
    old = kill_watcher(tuned, node)
    noticed = faults.wait_for_line(site, node, where, "Restarting Messaging Server on this "
                                   "node", 30)
    faults.wait_for_line(site, node, where, RESTARTED, HEAL_TIMEOUT)
    back, _ = faults.wait_healthy(site, HEAL_TIMEOUT)
    took = time.monotonic() - started
    assert back == node, "a first failure must be restarted on the same node"
    assert faults.watcher_pid(site, node) not in (None, old)
    # scstat's status went DEGRADED, then OK again (the RGM logs each change).
    proof.wait_for(lambda: "R_FM_ONLINE" in after_degraded(tuned, node, where), 10,
                   "status DEGRADED, then OK")
    assert noticed < 5.0, f"watcher death noticed after {noticed:.1f} s"
    assert took < 60.0
    print(f"watcher death noticed in {noticed:.1f} s; OK again after {took:.1f} s")


HANG_BOUND = 1 + 1 + MARGIN
"""A stopped process: Cheap_probe_interval (1 s, the default) + the 1 s it must be seen
stopped, whatever Thorough_probe_interval and Probe_timeout are."""


def hang_and_recover(cluster: Cluster, node: str, daemon: str) -> tuple[float, float]:
    """`mssim fault <daemon> hang` (SIGSTOP, a real hang): the seconds until the agent says
    so, and until every service answers again after the agent ended the hung server for
    the watcher to restart (a restart the RGM counts)."""
    site = cluster.site
    before = restarts(cluster, node)
    where = faults.mark(site, node)
    faults.inject(site, node, daemon, "hang")
    started = time.monotonic()
    detected = faults.wait_for_line(site, node, where,
                                    f"Messaging Server process hung: {daemon} (pid ", 60)
    faults.inject(site, node, "clear")  # the next one starts healthy
    faults.wait_for_line(site, node, where, f"Ending the hung {daemon} process (pid ", 30)
    back, _ = faults.wait_healthy(site, HEAL_TIMEOUT)
    recovered = time.monotonic() - started
    assert back == node
    lines = faults.agent_lines(site, node, where, "ims_probe")
    assert not any("Probe failed" in line for line in lines), "the hang waited for a probe"
    assert not any("Restarting Messaging Server" in line for line in lines), lines
    assert restarts(cluster, node) == before + 1, "the RGM counts the watcher's restart"
    proof.wait_for(lambda: "R_FM_ONLINE" in after_degraded(cluster, node, where), 15,
                   "status DEGRADED, then OK")
    assert detected < HANG_BOUND, f"{daemon} hang detected after {detected:.1f} s"
    print(f"{daemon} hang detected in {detected:.1f} s (bound {HANG_BOUND:.0f} s); "
          f"recovered in {recovered:.1f} s")
    return detected, recovered


@pytest.mark.parametrize("daemon", ["imapd", "dispatcher"])
def test_a_hung_server_is_detected_by_its_state_and_restarted(
        tuned: Cluster, healthy: str, daemon: str) -> None:
    tuned.set_props("-y", "Retry_count=10")
    hang_and_recover(tuned, healthy, daemon)


def test_a_hung_job_controller_is_restarted_and_the_queued_mail_delivered(
        tuned: Cluster, healthy: str) -> None:
    """A stopped job controller: SMTP still answers 250 and the mail queues; the agent
    restarts Messaging Server and every message accepted meanwhile reaches the store."""
    site = tuned.site
    tuned.set_props("-y", "Retry_count=10")
    where = faults.mark(site, healthy)
    faults.inject(site, healthy, "job_controller", "hang")
    sent = [proof.send_mail(site, USER, f"queued {n}", "held by a hung job controller")
            for n in range(3)]
    faults.wait_for_line(site, healthy, where,
                         "Messaging Server process hung: job_controller (pid ", 60)
    faults.inject(site, healthy, "clear")
    faults.wait_healthy(site, HEAL_TIMEOUT)
    proof.wait_for(lambda: not any(proof.missing_mail(site, USER, sent).values()), 30,
                   "the queued mail in the store")


def test_failures_past_retry_count_fail_the_group_over(tuned: Cluster, healthy: str) -> None:
    site, node = tuned.site, healthy
    other = tuned.other(node)
    tuned.set_props("-y", "Retry_count=1")
    where = faults.mark(site, node)
    local = 0
    expected_local = max(0, 1 - restarts(tuned, node))
    started = time.monotonic()
    for _ in range(3):
        now = faults.mark(site, node)
        kill_watcher(tuned, node)
        faults.wait_for_line(site, node, now, "ims_svc_stop", FAILOVER_BOUND)
        back, _ = faults.wait_healthy(site, FAILOVER_BOUND)
        if back != node:
            break
        faults.wait_for_line(site, node, now, RESTARTED, FAILOVER_BOUND)
        local += 1
        started = time.monotonic()
    took = time.monotonic() - started
    lines = faults.agent_lines(site, node, where, "ims_probe")
    assert proof.group_node(site) == other, "the group did not fail over:\n" + "\n".join(lines)
    assert local == expected_local, f"{local} local restarts before the failover"
    assert left_behind(site, node) == []
    assert any(re.search(f"Failing resource group {site.group} over to another node: \\d+ "
                         "restarts within Retry_interval reach Retry_count 1", line)
               for line in lines), lines
    assert took < FAILOVER_BOUND
    print(f"{local} local restart(s), then failover to {other}, answering after {took:.1f} s")


def test_watcher_giving_up_fails_the_group_over(tuned: Cluster, healthy: str) -> None:
    site, node = tuned.site, healthy
    other = tuned.other(node)
    tuned.set_props("-y", "Retry_count=2")
    where = faults.mark(site, node)
    # imapd crashes, and every restart of it fails: the watcher gives up (HA mode) and
    # stops Messaging Server, asking the cluster for a failover.
    faults.inject(site, node, "imapd", "exit-on-start")
    started = time.monotonic()
    faults.inject(site, node, "imapd", "crash")
    back, _ = faults.wait_healthy(site, FAILOVER_BOUND)
    took = time.monotonic() - started
    assert back == other, "the group did not fail over"
    lines = faults.agent_lines(site, node, where, "ims_probe")
    assert any("Messaging Server shut itself down: its watcher gave up" in line
               for line in lines), lines
    assert not any("Restarting Messaging Server" in line for line in lines), lines
    assert left_behind(site, node) == []
    assert took < FAILOVER_BOUND
    print(f"watcher gave up on {node}; {site.group} answering on {other} after {took:.1f} s")


def test_a_job_controller_that_runs_but_delivers_nothing_is_noticed_by_the_queue(
        tuned: Cluster, healthy: str) -> None:
    """`stall`: the job controller's process sleeps like an idle one, SMTP answers 250 and
    the queue grows; the monitor sees mail arriving and none leaving, restarts, and the
    queued mail reaches the store."""
    site = tuned.site
    tuned.set_props("-y", "Retry_count=10")
    where = faults.mark(site, healthy)
    faults.inject(site, healthy, "job_controller", "stall")
    started = time.monotonic()
    sent: list[str] = []

    def noticed() -> bool:
        try:
            sent.append(proof.send_mail(site, USER, f"stalled {len(sent)}", "queued", 5))
        except OSError:
            pass  # the restart has begun
        return any("Messaging Server is not delivering mail" in line
                   for line in faults.agent_lines(site, healthy, where, "ims_probe"))

    proof.wait_for(noticed, 60, "the monitor's line about mail not delivered", poll=1.0)
    took = time.monotonic() - started
    faults.inject(site, healthy, "clear")
    faults.wait_for_line(site, healthy, where, RESTARTED, HEAL_TIMEOUT)
    faults.wait_healthy(site, HEAL_TIMEOUT)
    proof.wait_for(lambda: not any(proof.missing_mail(site, USER, sent).values()), 30,
                   "the queued mail in the store")
    assert took < 8 + 2 + MARGIN, f"stuck delivery noticed after {took:.1f} s"
    print(f"stuck delivery noticed in {took:.1f} s, {len(sent)} messages sent meanwhile")
