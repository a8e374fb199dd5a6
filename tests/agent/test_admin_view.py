"""What an administrator who knows Sun Cluster's documentation sees after the guide's generic
procedure (issue 14): the type's name everywhere, the resource's status right after it was
enabled, and the documented meaning of the properties administrators' scripts set."""

from __future__ import annotations

import re

import pytest

from imsguide import faults, proof
from imsguide.testbed import Cluster

pytestmark = pytest.mark.e2e


def test_the_type_is_sunw_ims_wherever_an_administrator_looks(cluster: Cluster) -> None:
    """rtr/SUNW.ims has no #$upgrade directive, so the version is no part of the name
    ("Format of Resource Type Names"), as the guide's SC[SUNW.ims,...] lines show."""
    site = cluster.site
    node = site.nodes[0]
    typed = cluster.cmd(node, "scha_resource_get", "-O", "Type", "-R", site.mail_resource,
                        "-G", site.group).stdout
    assert typed.split() == ["SUNW.ims"]
    listing = cluster.cmd(node, "scrgadm", "-pv").stdout
    assert re.search(r"^Res Type name:\s+SUNW\.ims$", listing, re.M), listing
    assert re.search(rf"^\s+\({site.group}:{site.mail_resource}\) Res resource type:\s+"
                     r"SUNW\.ims$", listing, re.M), listing
    assert "SUNW.ims:" not in listing
    # Without #$upgrade the resource cannot change versions: Type_version is fixed.
    refused = cluster.cmd(node, "scrgadm", "-c", "-j", site.mail_resource,
                          "-y", "Type_version=6.3", expect=None)
    assert refused.returncode != 0
    assert "Type_version" in refused.stderr, refused.stderr


def test_failover_mode_is_soft_unless_the_administrator_says_otherwise(cluster: Cluster) -> None:
    """SUNW.ims(5): SOFT, not r_properties(5)'s NONE, so that a failed Start moves the group
    (tests/agent/test_start_stop.py shows both modes at work)."""
    site = cluster.site
    mode = cluster.cmd(site.nodes[0], "scha_resource_get", "-O", "Failover_mode",
                       "-R", site.mail_resource, "-G", site.group).stdout
    assert mode.split() == ["SOFT"]


def test_failover_enabled_is_there_for_scripts_that_set_it(cluster: Cluster) -> None:
    """Boolean, TRUE, tunable when disabled, as for SUNW.iws and SUNW.iim."""
    site = cluster.site
    node = site.nodes[0]
    value = cluster.cmd(node, "scha_resource_get", "-O", "Extension", "-R", site.mail_resource,
                        "-G", site.group, "Failover_enabled").stdout
    assert value.split() == ["BOOLEAN", "TRUE"]
    refused = cluster.cmd(node, "scrgadm", "-c", "-j", site.mail_resource,
                          "-x", "Failover_enabled=FALSE", expect=None)
    assert refused.returncode != 0 and "disabled" in refused.stderr, refused.stderr


def test_right_after_scswitch_e_the_resource_is_online_and_ok(cluster: Cluster) -> None:
    """Step 17: Start has seen every service answer, so it sets the status itself; with the
    fault monitor disabled nothing else could have."""
    site = cluster.site
    node = proof.group_node(site)
    assert node is not None
    resource = site.mail_resource
    cluster.cmd(node, "scswitch", "-n", "-M", "-j", resource)
    cluster.cmd(node, "scswitch", "-n", "-j", resource)
    try:
        assert proof.resource_status(site, node)[0] == "OFFLINE"
        cluster.cmd(node, "scswitch", "-e", "-j", resource)
        scstat = cluster.cmd(node, "scstat", "-pw").stdout
        assert re.search(rf"Resource: {resource}\s+{node}\s+Online but not monitored\s+Online - "
                         r"Service is online\.", scstat), scstat
        assert proof.resource_status(site, node) == ("OK", "Service is online.")
    finally:
        cluster.cmd(node, "scswitch", "-e", "-M", "-j", resource)
    faults.wait_healthy(site, 60)


def test_with_the_monitor_disabled_pmf_restarts_a_messaging_server_that_died(
        cluster: Cluster) -> None:
    """PMF gets Retry_count restarts within Retry_interval as in Sun's agents, but only while
    the fault monitor is disabled: while it runs, it decides (a give-up in HA mode is a
    request to fail over, which a PMF restart would undo)."""
    site = cluster.site
    node = proof.group_node(site)
    assert node is not None
    resource = site.mail_resource
    tag = f"{site.group},{resource},0.svc"

    def restarts() -> str:
        listing = cluster.cmd(node, "pmfadm", "-l", tag).stdout
        found = re.search(r"\s-n (-?\d+) -t (-?\d+)\s", listing)
        assert found, listing
        return f"{found[1]}/{found[2]}"

    faults.wait_healthy(site, 60)
    assert restarts() == "0/-1"
    cluster.cmd(node, "scswitch", "-n", "-M", "-j", resource)
    try:
        assert restarts() == "2/10"  # Retry_count 2 within Retry_interval 600 s
        before = faults.watcher_pid(site, node)
        cluster.cmd(node, "pmfadm", "-k", tag, "KILL")  # every process of the tree dies
        proof.wait_for(lambda: faults.watcher_pid(site, node) not in (None, before)
                       and proof.services_answer(site), 60,
                       "Messaging Server started again by PMF")
        assert proof.group_node(site) == node
    finally:
        cluster.cmd(node, "scswitch", "-e", "-M", "-j", resource)
    faults.wait_healthy(site, 60)
    assert restarts() == "0/-1"
