"""The guide's generic procedure end to end: MAIL-RG online, mail through the logical host,
switchovers that keep the mail, and the agent's log lines at loglevel 9 and 0."""

from __future__ import annotations

import re

import pytest

from imsguide import faults, proof
from imsguide.testbed import Cluster
from support.agent import left_behind

pytestmark = pytest.mark.e2e

SEED_LINES = (
    "SC[SUNW.ims,MAIL-RG,mail-rs,ims_svc_start]: [ID 831728 daemon.debug] Groupname mail exists.",
    "SC[SUNW.ims,MAIL-RG,mail-rs,ims_svc_start]: [ID 383726 daemon.debug] Username mailsrv "
    "exists.",
    "SC[SUNW.ims,MAIL-RG,mail-rs,ims_svc_start]: [ID 244341 daemon.debug] IMS_serverroot = "
    "/opt/SUNWmsgsr",
    "SC[SUNW.ims,MAIL-RG,mail-rs,ims_svc_start]: [ID 833212 daemon.info] Attempting to start "
    "the data service under process monitor facility.",
)
SWITCH_BOUND = 60.0
"""A switchover an administrator waits for: Stop and Start of a healthy service (seconds)."""

SENT: list[str] = []


def test_generic_procedure_brings_mail_rs_online(cluster: Cluster) -> None:
    site = cluster.site
    node = proof.group_node(site)
    assert node is not None, "MAIL-RG is not online anywhere after step 17"
    scstat = cluster.cmd(node, "scstat", "-pw").stdout
    assert re.search(rf"Group: {site.group}\s+{node}\s+Online", scstat), scstat
    assert re.search(rf"Resource: {site.mail_resource}\s+{node}\s+Online", scstat), scstat
    for other in site.nodes:
        if other != node:
            assert left_behind(site, other) == []
    # The first probe cycle sets the status; scstat then shows "Online - Service is online."
    faults.wait_healthy(site, 60)
    assert proof.resource_status(site, node) == ("OK", "Service is online.")
    scstat = cluster.cmd(node, "scstat", "-pw").stdout
    assert re.search(rf"Resource: {site.mail_resource}\s+{node}\s+Online\s+Online - "
                     r"Service is online\.", scstat), scstat


def test_mail_sent_by_smtp_is_read_by_imap_and_pop(cluster: Cluster) -> None:
    site = cluster.site
    sent = [proof.send_mail(site, "joe", f"test {n}", f"message {n} through the cluster")
            for n in (1, 2)]
    proof.wait_for(lambda: set(sent) <= set(proof.imap_message_ids(site, "joe")), 30,
                   "mail delivered to the store")
    assert set(sent) <= set(proof.pop_message_ids(site, "joe"))
    SENT.extend(sent)


def test_switchover_to_venus_and_back_keeps_the_mail(cluster: Cluster) -> None:
    site = cluster.site
    assert SENT, "the mail test did not run first"
    here = proof.group_node(site)
    assert here is not None
    there = cluster.other(here)
    for target, source in ((there, here), (here, there)):
        node, took = cluster.switch_until_healthy(target, SWITCH_BOUND)
        assert node == target
        assert took < SWITCH_BOUND
        assert set(SENT) <= set(proof.imap_message_ids(site, "joe")), \
            f"mail sent before the switchover is not readable on {target}"
        assert set(SENT) <= set(proof.pop_message_ids(site, "joe"))
        assert left_behind(site, source) == []
    fresh = proof.send_mail(site, "joe", "after", "sent after two switchovers")
    proof.wait_for(lambda: fresh in proof.imap_message_ids(site, "joe"), 30, "new mail")


def test_loglevel_9_logs_the_seed_lines_and_0_no_debug(cluster: Cluster) -> None:
    site = cluster.site
    here = proof.group_node(site)
    assert here is not None
    there = cluster.other(here)
    for node in site.nodes:
        cluster.session.loglevel(node, 9)
    try:
        where = faults.mark(site, there)
        cluster.switch(there)
        faults.wait_healthy(site, SWITCH_BOUND)
        # Start sets the status OK itself: wait for the fault monitor's first cycle too, so
        # that none of its level-9 lines is still to come when the level goes back to 0.
        faults.wait_for_line(site, there, where, "daemon.debug] Probe cycle:", SWITCH_BOUND)
        lines = faults.agent_lines(site, there, where, "ims_svc_start")
        for seed in SEED_LINES:
            assert seed in lines, f"{seed!r} not logged; ims_svc_start logged:\n" + \
                "\n".join(lines)
        # The seed's order: the accounts, the server root, then the start under PMF.
        positions = [lines.index(seed) for seed in SEED_LINES]
        assert positions == sorted(positions)
    finally:
        for node in site.nodes:
            cluster.session.loglevel(node, 0)
    marks = {node: faults.mark(site, node) for node in site.nodes}
    cluster.switch(here)
    faults.wait_healthy(site, SWITCH_BOUND)
    for node in site.nodes:
        lines = faults.agent_lines(site, node, marks[node])
        assert any("daemon.info" in line for line in lines), f"{node} logged nothing"
        debug = [line for line in lines if "daemon.debug" in line]
        assert not debug, f"loglevel 0, yet debug lines on {node}:\n" + "\n".join(debug)
    start = faults.agent_lines(site, here, marks[here], "ims_svc_start")
    assert SEED_LINES[3] in start
