"""imsreport on the stand-in cluster: every node forwards its syslog to the client host (the
log host, as a Solaris site's `@loghost`), a fault is injected, and the report run on the
log host finds that one incident, while a user's forged `logger` line on a node finds none.
Also the stand-in syslogd's own guarantees the report relies on: a user cannot bring an
`[ID]` of their own, and the log host takes datagrams only from a node's syslogd."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from clustersim import hosts, syslogd
from clustersim.layout import ClusterLayout
from imsguide import faults
from imsguide.testbed import HEAL_TIMEOUT, Cluster
from scims.log import messages

REPO = Path(__file__).resolve().parents[2]
IMSREPORT = REPO / "admin" / "imsreport"
FORGED = messages.WATCHER_DIED.fmt % (4242, 9)


@pytest.fixture(scope="module")
def loghost(cluster: Cluster) -> Iterator[tuple[ClusterLayout, Path]]:
    layout = ClusterLayout.at(cluster.site.directory)
    received = syslogd.start_loghost(layout)
    try:
        for node in cluster.site.nodes:
            syslogd.forward_to_loghost(layout, node)
        yield layout, received
    finally:
        syslogd.stop_loghost(layout)


def wait_for(path: Path, text: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and text in path.read_text(errors="replace"):
            return
        time.sleep(0.2)
    raise AssertionError(f"{text!r} never reached {path}")


def report_on_loghost(layout: ClusterLayout, received: Path, since: float) -> dict:
    """imsreport run on the log host (the client host), as its administrator runs it."""
    client = hosts.host(layout, hosts.CLIENT)
    done = client.run([sys.executable, str(IMSREPORT), "--log", str(received), "--from",
                       f"@{since}", "--json"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_killed_watcher_is_the_one_incident_of_the_log_hosts_report(
        cluster: Cluster, loghost: tuple[ClusterLayout, Path]) -> None:
    layout, received = loghost
    site = cluster.site
    node = cluster.healthy()
    since = time.time() - 1
    where = faults.mark(site, node)
    # a user's forgery on the node, tag and ID typed in: it must not become an incident
    forged = hosts.host(layout, node).run(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "logger", "-p",
         "daemon.err", "-t", f"SC[SUNW.ims,{site.group},{site.mail_resource},ims_probe]",
         f"[ID {messages.WATCHER_DIED.msgid} daemon.error] {FORGED}"], capture_output=True,
        text=True, timeout=30)
    assert forged.returncode == 0, forged.stderr
    wait_for(received, FORGED, 30)
    time.sleep(2)  # believed, the forgery would open the incident before the kill
    killed_at = time.time()
    faults.kill_watcher(site, node)
    faults.wait_for_line(site, node, where, "Restarting Messaging Server on this node", 30)
    faults.wait_healthy(site, HEAL_TIMEOUT)
    wait_for(received, f"method <ims_monitor_start> completed successfully for resource "
             f"<{site.mail_resource}>", 60)
    found = report_on_loghost(layout, received, since)
    assert [(i["class"], i["node"], i["service"]) for i in found["incidents"]] == [
        ("kill-watcher", node, site.group)]
    incident = found["incidents"][0]
    assert killed_at - 1 <= incident["detected_at"] <= killed_at + 6
    assert incident["recovered_at"] is not None and incident["recovered_on"] == node
    assert [d["what"] for d in incident["decisions"]] == ["restart in place"]
    assert str(messages.WATCHER_DIED.msgid) in incident["messages"]
    assert found["lines"]["not_believed"] >= 1  # the forgery: read, and not believed
    assert found["needs_human"] == []


def test_the_log_host_takes_no_datagram_from_an_unprivileged_port(
        cluster: Cluster, loghost: tuple[ClusterLayout, Path]) -> None:
    layout, received = loghost
    text = f"<27>Dec  8 03:12:00 SC[SUNW.ims,X,y,ims_probe]: [ID 1 daemon.error] {FORGED} A"

    def send() -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind(("", 0))  # any user's port
            sock.sendto(text.encode(), (hosts.CLIENT_ADDRESS, syslogd.SYSLOG_PORT))

    hosts.host(layout, cluster.site.nodes[0]).call(send)
    # a line that does arrive after it shows the datagram was dropped, not delayed
    syslogd_line = subprocess.run(
        hosts.host(layout, cluster.site.nodes[0]).command(
            ["logger", "-p", "daemon.notice", "-t", "marker", "after the forgery"]),
        capture_output=True, timeout=30, check=False)
    assert syslogd_line.returncode == 0
    wait_for(received, "after the forgery", 30)
    assert f"{FORGED} A" not in received.read_text()
